import { Planned } from "../support/plan";
import { policyViolations } from "../../tools/plan/checks";
import { UsageCollector, UsageCollectorArgs, collectorPolicy } from "../../components/tenant-metering/collector";
import { testContext } from "../support/context";

const FN = "aws:lambda/function:Function";
const SG = "aws:ec2/securityGroup:SecurityGroup";
const EGRESS = "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule";
const INGRESS = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule";
const ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm";
const SCHEDULE = "aws:scheduler/schedule:Schedule";

const doc = (text: unknown) => JSON.parse(String(text)) as { Statement: Record<string, unknown>[] };

describe("UsageCollector in the dev stack", () => {
  let plan: Planned;
  beforeAll(async () => {
    plan = await Planned.of({ stack: "dev" });
  });

  it("registers stable, documented child names (a public contract)", () => {
    const component = plan.one("saas:tenants:UsageCollector", "tenant-metering");
    expect(
      plan
        .childrenOf(component)
        .map((r) => `${r.type.split(":").pop()} ${r.name}`)
        .sort(),
    ).toEqual(
      [
        "BucketLifecycleConfiguration tenant-metering-records",
        "BucketOwnershipControls tenant-metering-records",
        "BucketPolicy tenant-metering-records",
        "BucketPublicAccessBlock tenant-metering-records",
        "BucketServerSideEncryptionConfiguration tenant-metering-records",
        "BucketVersioning tenant-metering-records",
        "Bucket tenant-metering-records",
        "Function tenant-metering-function",
        "FunctionEventInvokeConfig tenant-metering-async",
        "LogGroup tenant-metering-logs",
        "MetricAlarm tenant-metering-alarm-failing",
        "MetricAlarm tenant-metering-alarm-noisy-tenant",
        "Role tenant-metering-role",
        "Role tenant-metering-scheduler-role",
        "RolePolicy tenant-metering-policy",
        "RolePolicy tenant-metering-scheduler-policy",
        "Schedule tenant-metering-schedule",
        "SecurityGroup tenant-metering-sg",
        "SecurityGroupEgressRule tenant-metering-out-db",
        "SecurityGroupEgressRule tenant-metering-out-https",
        "SecurityGroupEgressRule tenant-metering-out-s3",
        "SecurityGroupIngressRule tenant-metering-db-in",
      ].sort(),
    );
  });

  it("runs Node.js 24 on arm64 in the private subnets, one run at a time, as the metering user", () => {
    const fn = plan.one(FN, "tenant-metering-function");
    const sg = plan.one(SG, "tenant-metering-sg");
    const instance = plan.one("aws:rds/instance:Instance", "database-instance");
    expect(fn.inputs).toMatchObject({
      name: "saas-dev-tenant-metering",
      runtime: "nodejs24.x",
      architectures: ["arm64"],
      handler: "index.handler",
      memorySize: 512,
      timeout: 300,
      reservedConcurrentExecutions: 1,
      vpcConfig: { subnetIds: plan.run.outputs.privateSubnetIds, securityGroupIds: [sg.outputs.id] },
      loggingConfig: { logFormat: "JSON", logGroup: "/aws/lambda/saas-dev-tenant-metering" },
    });
    const bucket = plan.one("aws:s3/bucket:Bucket", "tenant-metering-records");
    expect((fn.inputs.environment as { variables: Record<string, string> }).variables).toEqual({
      DB_HOST: instance.outputs.address,
      DB_PORT: "5432",
      DB_NAME: "app",
      DB_USER: "metering",
      STACK_NAME: "saas-dev",
      METRIC_NAMESPACE: "saas-dev/tenants",
      TOP_TENANTS: "3",
      SERVICE_LOG_GROUP: plan.run.outputs.logGroupName,
      METERING_BUCKET: bucket.outputs.bucket,
      // stacks/cost-pools.json: the dev stack's own estimate
      MONTHLY_COST: '{"databaseUsd":14.38,"computeUsd":7.21,"loadBalancerUsd":29.57,"source":"estimate"}',
      NODE_EXTRA_CA_CERTS: "/var/runtime/ca-cert.pem",
    });
    // Lambda does not retry a failed run: the next run reads usage since the last successful one.
    expect(
      plan.one("aws:lambda/functionEventInvokeConfig:FunctionEventInvokeConfig", "tenant-metering-async").inputs,
    ).toEqual({
      functionName: "saas-dev-tenant-metering",
      maximumRetryAttempts: 0,
      maximumEventAgeInSeconds: 300,
    });
  });

  it("reaches the database on 5432 and AWS APIs on 443 through NAT and the S3 gateway endpoint, nothing else", () => {
    const sg = plan.one(SG, "tenant-metering-sg");
    const db = plan.one(SG, "network-db-sg");
    const rules = [...plan.ofType(EGRESS), ...plan.ofType(INGRESS)]
      .filter((r) => r.name.startsWith("tenant-metering-"))
      .sort((a, b) => a.name.localeCompare(b.name));
    expect(
      rules.map((r) => [
        r.name,
        r.inputs.fromPort,
        r.inputs.toPort,
        r.inputs.securityGroupId,
        r.inputs.referencedSecurityGroupId ?? r.inputs.cidrIpv4 ?? "prefix-list",
      ]),
    ).toEqual([
      ["tenant-metering-db-in", 5432, 5432, db.outputs.id, sg.outputs.id],
      ["tenant-metering-out-db", 5432, 5432, sg.outputs.id, db.outputs.id],
      ["tenant-metering-out-https", 443, 443, sg.outputs.id, "0.0.0.0/0"],
      ["tenant-metering-out-s3", 443, 443, sg.outputs.id, "prefix-list"],
    ]);
  });

  it("may connect as exactly the metering user, publish only to its namespace and query only the service's logs", () => {
    const policy = doc(plan.one("aws:iam/rolePolicy:RolePolicy", "tenant-metering-policy").inputs.policy);
    const instance = plan.one("aws:rds/instance:Instance", "database-instance");
    const bucket = plan.one("aws:s3/bucket:Bucket", "tenant-metering-records");
    const key = plan.one("aws:kms/key:Key", "stack-key-key");
    const logs = plan.one("aws:cloudwatch/logGroup:LogGroup", "tenant-metering-logs");
    expect(policy.Statement).toEqual([
      {
        Sid: "WriteOwnLogs",
        Effect: "Allow",
        Action: ["logs:CreateLogStream", "logs:PutLogEvents"],
        Resource: `${logs.outputs.arn}:*`,
      },
      {
        Sid: "ConnectAsMeteringUser",
        Effect: "Allow",
        Action: "rds-db:connect",
        Resource: `arn:aws:rds-db:us-east-1:123456789012:dbuser:${instance.outputs.resourceId}/metering`,
      },
      {
        Sid: "PublishTenantMetrics",
        Effect: "Allow",
        Action: "cloudwatch:PutMetricData",
        Resource: "*",
        Condition: { StringEquals: { "cloudwatch:namespace": "saas-dev/tenants" } },
      },
      {
        Sid: "QueryServiceLogs",
        Effect: "Allow",
        Action: "logs:StartQuery",
        Resource: [
          "arn:aws:logs:us-east-1:123456789012:log-group:/ecs/saas-dev/app",
          "arn:aws:logs:us-east-1:123456789012:log-group:/ecs/saas-dev/app:*",
        ],
      },
      { Sid: "ReadQueryResults", Effect: "Allow", Action: "logs:GetQueryResults", Resource: "*" },
      {
        Sid: "WriteMeteringRecords",
        Effect: "Allow",
        Action: "s3:PutObject",
        Resource: `${bucket.outputs.arn}/metering/*`,
      },
      {
        Sid: "EncryptMeteringRecordsThroughS3",
        Effect: "Allow",
        Action: "kms:GenerateDataKey",
        Resource: key.outputs.arn,
        Condition: { StringEquals: { "kms:ViaService": "s3.us-east-1.amazonaws.com" } },
      },
      expect.objectContaining({ Sid: "AttachToVpc", Resource: "*" }),
    ]);
  });

  it("is run every 5 minutes by EventBridge Scheduler through a role that may invoke only this function", () => {
    const fn = plan.one(FN, "tenant-metering-function");
    const role = plan.one("aws:iam/role:Role", "tenant-metering-scheduler-role");
    expect(plan.one(SCHEDULE, "tenant-metering-schedule").inputs).toEqual({
      name: "saas-dev-tenant-metering",
      description: "Runs the tenant usage collector",
      scheduleExpression: "rate(5 minutes)",
      flexibleTimeWindow: { mode: "OFF" },
      state: "ENABLED",
      target: {
        arn: fn.outputs.arn,
        roleArn: role.outputs.arn,
        retryPolicy: { maximumEventAgeInSeconds: 300, maximumRetryAttempts: 2 },
      },
    });
    expect(doc(role.inputs.assumeRolePolicy).Statement).toEqual([
      {
        Effect: "Allow",
        Principal: { Service: "scheduler.amazonaws.com" },
        Action: "sts:AssumeRole",
        Condition: {
          StringEquals: { "aws:SourceAccount": "123456789012" },
          ArnLike: { "aws:SourceArn": "arn:aws:scheduler:us-east-1:123456789012:schedule-group/default" },
        },
      },
    ]);
    expect(
      doc(plan.one("aws:iam/rolePolicy:RolePolicy", "tenant-metering-scheduler-policy").inputs.policy).Statement,
    ).toEqual([
      {
        Sid: "InvokeCollector",
        Effect: "Allow",
        Action: "lambda:InvokeFunction",
        Resource: [fn.outputs.arn, `${fn.outputs.arn}:*`],
      },
    ]);
  });

  it("alarms on a noisy tenant (over 50 % of database time three collections running) and on failing runs", () => {
    const topic = plan.one("aws:sns/topic:Topic", "monitoring-alerts").outputs.arn;
    expect(plan.one(ALARM, "tenant-metering-alarm-noisy-tenant").inputs).toMatchObject({
      name: "saas-dev-noisy-tenant",
      namespace: "saas-dev/tenants",
      metricName: "MaxTenantDbTimeShare",
      statistic: "Maximum",
      period: 300,
      evaluationPeriods: 3,
      datapointsToAlarm: 3,
      threshold: 50,
      comparisonOperator: "GreaterThanThreshold",
      treatMissingData: "notBreaching",
      alarmActions: [topic],
      okActions: [topic],
    });
    expect(String(plan.one(ALARM, "tenant-metering-alarm-noisy-tenant").inputs.alarmDescription)).toContain(
      "runbooks/tenant-metering.md#a-noisy-tenant",
    );
    expect(plan.one(ALARM, "tenant-metering-alarm-failing").inputs).toMatchObject({
      namespace: "AWS/Lambda",
      metricName: "Errors",
      dimensions: { FunctionName: "saas-dev-tenant-metering" },
      statistic: "Sum",
      threshold: 0,
      evaluationPeriods: 2,
      datapointsToAlarm: 2,
      alarmActions: [topic],
    });
  });

  it("keeps records encrypted with the stack key, expired after 400 days, disposable in dev", () => {
    const key = plan.one("aws:kms/key:Key", "stack-key-key").outputs.arn;
    const bucket = plan.one("aws:s3/bucket:Bucket", "tenant-metering-records");
    expect(bucket.inputs).toMatchObject({ bucketPrefix: "saas-dev-metering-", forceDestroy: true });
    expect(
      plan.one(
        "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
        "tenant-metering-records",
      ).inputs.rules,
    ).toEqual([
      { applyServerSideEncryptionByDefault: { sseAlgorithm: "aws:kms", kmsMasterKeyId: key }, bucketKeyEnabled: true },
    ]);
    expect(
      plan.one("aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration", "tenant-metering-records").inputs
        .rules,
    ).toEqual([
      {
        id: "expire-metering-records",
        status: "Enabled",
        filter: {},
        expiration: { days: 400 },
        noncurrentVersionExpiration: { noncurrentDays: 400 },
        abortIncompleteMultipartUpload: { daysAfterInitiation: 1 },
      },
    ]);
  });

  it("shows the top tenants in the dashboard", () => {
    const body = JSON.parse(
      String(plan.one("aws:cloudwatch/dashboard:Dashboard", "monitoring-dashboard").inputs.dashboardBody),
    ) as {
      widgets: { type: string; properties: { title?: string; markdown?: string; metrics?: unknown[] } }[];
    };
    const titles = body.widgets.map((w) => w.properties.title ?? w.properties.markdown?.split("\n")[0]);
    expect(titles.slice(-5)).toEqual([
      "## Tenants",
      "Database time by tenant (ms)",
      "Requests and 5xx by tenant",
      "Largest tenant's share of database time (%)",
      "Storage by tenant (bytes)",
    ]);
    expect(body.widgets.find((w) => w.properties.title === "Database time by tenant (ms)")?.properties.metrics).toEqual(
      [
        [
          {
            id: "dbtime",
            expression: `SEARCH('{saas-dev/tenants,Tenant} MetricName="DatabaseTime"', 'Sum', 300)`,
            label: "",
          },
        ],
      ],
    );
  });

  it("passes the policy pack", () => {
    expect(policyViolations(plan.run).filter((v) => v.urn.includes("tenant-metering"))).toEqual([]);
  });
});

describe("UsageCollector in the prod stack", () => {
  let plan: Planned;
  beforeAll(async () => {
    plan = await Planned.of({ stack: "prod" });
  });

  it("keeps the records through a destroy and reaches AWS APIs only through the endpoints (CloudWatch among them)", () => {
    expect(plan.one("aws:s3/bucket:Bucket", "tenant-metering-records").options.protect).toBe(true);
    expect(plan.one("aws:s3/bucket:Bucket", "tenant-metering-records").inputs.forceDestroy).toBe(false);
    const sg = plan.one(SG, "tenant-metering-sg");
    const endpoints = plan.one(SG, "network-endpoints-sg");
    expect(plan.one(EGRESS, "tenant-metering-out-https").inputs).toMatchObject({
      securityGroupId: sg.outputs.id,
      referencedSecurityGroupId: endpoints.outputs.id,
      description: "To the interface endpoints (CloudWatch, CloudWatch Logs)",
    });
    expect(plan.one(INGRESS, "tenant-metering-endpoints-in").inputs).toMatchObject({
      securityGroupId: endpoints.outputs.id,
      referencedSecurityGroupId: sg.outputs.id,
      fromPort: 443,
    });
    expect(plan.one(ALARM, "tenant-metering-alarm-noisy-tenant").inputs.threshold).toBe(50);
    expect(policyViolations(plan.run).filter((v) => v.urn.includes("tenant-metering"))).toEqual([]);
  });
});

describe("UsageCollector with the bill's cost (saas:meteringActualMonthlyCostUsd)", () => {
  it("hands the actual pools to the function instead of the estimate", async () => {
    const plan = await Planned.of({
      stack: "dev",
      config: { "saas:meteringActualMonthlyCostUsd": '{"database":20,"compute":9,"loadBalancer":31}' },
    });
    const env = (plan.one(FN, "tenant-metering-function").inputs.environment as { variables: Record<string, string> })
      .variables;
    expect(env.MONTHLY_COST).toBe('{"databaseUsd":20,"computeUsd":9,"loadBalancerUsd":31,"source":"actual"}');
  });
});

describe("UsageCollector arguments", () => {
  const ARGS: UsageCollectorArgs = {
    context: testContext({ kmsKeyArn: "arn:aws:kms:us-east-1:123456789012:key/k" }),
    vpcId: "vpc-1",
    subnetIds: ["subnet-1"],
    databaseSecurityGroupId: "sg-db",
    s3PrefixListId: "pl-s3",
    database: { host: "db", port: 5432, name: "app", resourceId: "db-ABC", user: "metering" },
    serviceLogGroupName: "/ecs/saas-dev/app",
    topTenants: 10,
    intervalMinutes: 5,
    noisyTenantSharePercent: 50,
    recordRetentionDays: 400,
    logRetentionDays: 14,
    monthlyCost: { databaseUsd: 1, computeUsd: 1, loadBalancerUsd: 1, source: "estimate" },
    alarmTopicArn: "arn:aws:sns:us-east-1:123456789012:alerts",
  };

  it("reports every bad argument at once, before the component registers (it throws before super)", async () => {
    const run = Planned.of({
      stack: "dev",
      program: () =>
        new UsageCollector("c", {
          ...ARGS,
          topTenants: 0,
          intervalMinutes: 61,
          noisyTenantSharePercent: 101,
          recordRetentionDays: 0,
          logRetentionDays: 2,
          database: { ...ARGS.database, user: "Metering" },
          monthlyCost: { ...ARGS.monthlyCost, computeUsd: -1 },
        }),
    });
    await expect(run).rejects.toThrow(
      'UsageCollector "c": invalid arguments:\n' +
        "  - topTenants: expected an integer from 1 to 100, got 0\n" +
        "  - intervalMinutes: expected an integer from 5 to 60, got 61\n" +
        "  - noisyTenantSharePercent: expected an integer from 1 to 100, got 101\n" +
        "  - recordRetentionDays: expected an integer from 1 to 3650, got 0\n" +
        "  - logRetentionDays: expected one of CloudWatch Logs' retention periods (1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653), got 2\n" +
        '  - database.user: "Metering" is not a PostgreSQL role name the model makes\n' +
        "  - monthlyCost.computeUsd: expected a number ≥ 0, got -1",
    );
  });

  it("refuses a name prefix the record bucket's prefix cannot hold (28 characters), and takes 27", async () => {
    const prefix = (n: number) => "a".repeat(n);
    await expect(
      Planned.of({
        stack: "dev",
        program: () => new UsageCollector("c", { ...ARGS, context: { ...ARGS.context, namePrefix: prefix(28) } }),
      }),
    ).rejects.toThrow(
      `context.namePrefix: "${prefix(28)}" must be 1-27 lowercase letters, digits or '-' (the record bucket's name prefix adds "-metering-", at most 37 characters)`,
    );
    const plan = await Planned.of({
      stack: "dev",
      program: () => new UsageCollector("c", { ...ARGS, context: { ...ARGS.context, namePrefix: prefix(27) } }),
    });
    expect(plan.one("aws:s3/bucket:Bucket", "c-records").inputs.bucketPrefix).toBe(`${prefix(27)}-metering-`);
  });

  it("takes the largest value of each bound (100 tenants, 60 minutes, 3650 days)", async () => {
    const plan = await Planned.of({
      stack: "dev",
      program: () =>
        new UsageCollector("c", { ...ARGS, topTenants: 100, intervalMinutes: 60, recordRetentionDays: 3650 }),
    });
    expect(plan.one(SCHEDULE, "c-schedule").inputs.scheduleExpression).toBe("rate(60 minutes)");
    expect(plan.one(ALARM, "c-alarm-noisy-tenant").inputs.period).toBe(3600);
  });

  it("writes the policy from the pure collectorPolicy", () => {
    const statements = collectorPolicy({
      partition: "aws-us-gov",
      region: "us-gov-west-1",
      account: "1",
      logGroupArn: "arn:l",
      keyArn: "arn:k",
      bucketArn: "arn:b",
      databaseResourceId: "db-X",
      databaseUser: "metering",
      serviceLogGroupName: "/ecs/x",
      metricNamespace: "x/tenants",
    }).Statement;
    expect(statements.find((s) => s.Sid === "ConnectAsMeteringUser")?.Resource).toBe(
      "arn:aws-us-gov:rds-db:us-gov-west-1:1:dbuser:db-X/metering",
    );
  });
});
