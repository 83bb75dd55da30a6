import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { MetricAlarm } from "@pulumi/aws/cloudwatch/metricAlarm";
import { RolePolicy } from "@pulumi/aws/iam/rolePolicy";
import { Role } from "@pulumi/aws/iam/role";
import { FunctionEventInvokeConfig } from "@pulumi/aws/lambda/functionEventInvokeConfig";
import { Schedule } from "@pulumi/aws/scheduler/schedule";
import { StackContext } from "../shared/context";
import { ComponentArgsError, nameTags } from "../shared/naming";
import { logRetentionProblem } from "../shared/logs";
import { PrivateBucket } from "../shared/privateBucket";
import { replicateBucket } from "../shared/bucketReplica";
import { denyInsecureTransport, policyDocument, serviceTrustPolicy } from "../shared/policies";
import { bundleHandler } from "../shared/bundle";
import {
  attachToVpcStatement,
  lambdaLogGroup,
  lambdaRole,
  vpcLambdaNetwork,
  writeOwnLogsStatement,
  vpcLambdaFunction,
} from "../shared/vpcLambda";
import { MonthlyCost } from "./attribution";
import { MAX_SHARE_METRIC, tenantMetricNamespace } from "./publish";
import { METERING_PREFIX } from "./record";
import { topTenantsProblem } from "./topTenants";
import {
  MAX_INTERVAL_MINUTES,
  MAX_RECORD_RETENTION_DAYS,
  MIN_INTERVAL_MINUTES,
  MIN_RECORD_RETENTION_DAYS,
} from "./settings";

export interface UsageCollectorArgs {
  /** The stack: the function is `<namePrefix>-tenant-metering`; its log group and bucket use the stack key. */
  readonly context: StackContext;
  readonly vpcId: pulumi.Input<string>;
  /** Private subnets the function runs in (it needs the database, CloudWatch, CloudWatch Logs and S3). */
  readonly subnetIds: pulumi.Input<pulumi.Input<string>[]>;
  /** The database's security group: the component adds the ingress rule admitting the function on 5432. */
  readonly databaseSecurityGroupId: pulumi.Input<string>;
  /**
   * The interface endpoints' security group (they must include CloudWatch Logs and CloudWatch, `monitoring`).
   * @default - HTTPS egress to AWS APIs through NAT (0.0.0.0/0 on 443)
   */
  readonly endpointSecurityGroupId?: pulumi.Input<string>;
  /** Prefix list of the S3 gateway endpoint: the metering records' way to S3. */
  readonly s3PrefixListId: pulumi.Input<string>;
  readonly database: {
    readonly host: pulumi.Input<string>;
    readonly port: pulumi.Input<number>;
    /** The database holding the tenant schemas. */
    readonly name: string;
    /** The instance's DbiResourceId: rds-db:connect is granted on `dbuser:<resourceId>/<user>`. */
    readonly resourceId: pulumi.Input<string>;
    /** The metering login role (tenant model), which logs in with IAM authentication. */
    readonly user: string;
  };
  /** The service's log group: the request log lines requests and errors are counted from. */
  readonly serviceLogGroupName: pulumi.Input<string>;
  /** Tenants published under their own name; the rest are summed as `__other__`. */
  readonly topTenants: number;
  /** Minutes between collections (5-60): the metrics' period. */
  readonly intervalMinutes: number;
  /** Alarm when one tenant takes more than this percentage of the tenants' database time (1-100). */
  readonly noisyTenantSharePercent: number;
  /** Days a metering record is kept before S3 expires it (1-3650). */
  readonly recordRetentionDays: number;
  /** Days the function's log group keeps its logs; one of CloudWatch Logs' retention values. */
  readonly logRetentionDays: number;
  /** The stack's monthly cost by pool (tools/cost's estimate of this stack, or the bill), attributed per period. */
  readonly monthlyCost: MonthlyCost;
  /** The topic the alarms notify (the stack's alert topic). */
  readonly alarmTopicArn: pulumi.Input<string>;
  /**
   * The records are what billing reads: production keeps the bucket through `pulumi destroy`.
   * @default false
   */
  readonly protectRecords?: boolean;
  /**
   * Replicate records to the stack's disaster-recovery region (its provider and key, from the database): they are
   * what billing reads.
   * @default - no replication
   */
  readonly recordReplica?: {
    readonly region: string;
    readonly provider: pulumi.ProviderResource;
    readonly kmsKeyArn: pulumi.Input<string>;
  };
}

/** The function's memory: the usage of 1,000 tenants and the record are small; more memory is also more CPU. */
export const COLLECTOR_MEMORY_MB = 512;
/** A run takes seconds (one query to the database, one Logs Insights query); the query waits at most 2 minutes. */
export const COLLECTOR_TIMEOUT_SECONDS = 300;

export function collectorFunctionName(namePrefix: string): string {
  return `${namePrefix}-tenant-metering`;
}

/** The record bucket's name prefix, so the S3 gateway endpoint's policy can admit it before it exists. */
export function meteringBucketPrefix(namePrefix: string): string {
  return `${namePrefix}-metering-`;
}

/** EventBridge Scheduler's expression for every `minutes` minutes. */
export function scheduleExpression(minutes: number): string {
  return `rate(${minutes} minutes)`;
}

const collectorEntry = path.join(__dirname, "handler.ts");

/**
 * The usage collector: a Lambda function inside the VPC that EventBridge Scheduler runs every interval. It reads
 * each tenant's database usage as the metering role, counts requests from the service's logs, writes a metering
 * record to an encrypted, expiring bucket and publishes the top N tenants' metrics (the rest as `__other__`).
 *
 * Why EventBridge Scheduler and not a CloudWatch Events (EventBridge) rule: it is AWS's successor for
 * schedules, invokes through a role of its own (a resource policy on the function is not needed), and its
 * retry policy and maximum event age are set on the schedule. Its first 14 million invocations a month are free.
 *
 * Why the noisy-neighbour alarm watches one `MaxTenantDbTimeShare` metric the collector publishes instead of a
 * metric-math alarm over the top-N series: a metric-math alarm reads at most 10 metrics (fewer than N + 1), the
 * share must be of every tenant's time (the rest included), and one alarm metric costs $0.10 a month.
 *
 * Child names (a public contract): `<name>-sg`, `<name>-out-db`, `<name>-db-in`, `<name>-out-https`,
 * `<name>-out-s3`, `<name>-endpoints-in` (with endpoints), `<name>-logs`, `<name>-records` (the bucket and each
 * of its settings; with a replica `<name>-records-replica` and `<name>-records-replication`), `<name>-role`, `<name>-policy`, `<name>-function`, `<name>-async`, `<name>-scheduler-role`,
 * `<name>-scheduler-policy`, `<name>-schedule`, `<name>-alarm-noisy-tenant`, `<name>-alarm-failing`.
 */
export class UsageCollector extends pulumi.ComponentResource {
  public readonly functionName: pulumi.Output<string>;
  public readonly recordBucketName: pulumi.Output<string>;
  public readonly metricNamespace: string;
  public readonly scheduleName: pulumi.Output<string>;
  public readonly noisyTenantAlarmName: pulumi.Output<string>;

  constructor(name: string, args: UsageCollectorArgs, opts?: pulumi.ComponentResourceOptions) {
    const protectRecords = args.protectRecords ?? false;
    const problems = usageCollectorProblems(args);
    if (problems.length > 0) throw new ComponentArgsError(`UsageCollector "${name}"`, problems);

    super("saas:tenants:UsageCollector", name, {}, opts);
    const child = { parent: this };
    const { namePrefix, region, kmsKeyArn } = args.context;
    const tags = (what: string) => nameTags(`${namePrefix}-tenant-metering-${what}`);
    const functionName = collectorFunctionName(namePrefix);
    const namespace = tenantMetricNamespace(namePrefix);
    const partition = pulumi.output(args.context.partition);
    const account = pulumi.output(args.context.accountId);

    const { securityGroup: sg } = vpcLambdaNetwork(this, name, {
      vpcId: args.vpcId,
      description: "Tenant usage collector: to the database and AWS APIs only",
      who: "the tenant usage collector",
      databaseSecurityGroupId: args.databaseSecurityGroupId,
      ...(args.endpointSecurityGroupId !== undefined ? { endpointSecurityGroupId: args.endpointSecurityGroupId } : {}),
      apis: "CloudWatch, CloudWatch Logs",
      s3: { prefixListId: args.s3PrefixListId, purpose: "metering records" },
      tags,
    });
    const logGroup = lambdaLogGroup(this, name, {
      functionName,
      retentionDays: args.logRetentionDays,
      kmsKeyArn,
      tags: tags("logs"),
    });

    // What billing reads: encrypted with the stack key, expired after the retention, kept through a destroy in prod.
    const records = new PrivateBucket(this, `${name}-records`, {
      bucketPrefix: meteringBucketPrefix(namePrefix),
      objectOwnership: "BucketOwnerEnforced",
      encryption: { kmsKeyArn },
      lifecycle: {
        ruleId: "expire-metering-records",
        expirationDays: args.recordRetentionDays,
        noncurrentDays: args.recordRetentionDays,
      },
      forceDestroy: !protectRecords,
      protect: protectRecords,
      tags: tags("records"),
    });
    const bucket = records.bucket;
    records.attachPolicy(bucket.arn.apply((arn) => JSON.stringify(policyDocument([denyInsecureTransport(arn)]))));
    if (args.recordReplica !== undefined) {
      replicateBucket(this, `${name}-records`, {
        context: args.context,
        replica: args.recordReplica,
        source: records,
        protect: protectRecords,
        retentionDays: args.recordRetentionDays,
        ruleId: "expire-metering-records",
        replicationRuleId: "metering-to-dr-region",
        prefix: METERING_PREFIX,
        description: "S3 replication of metering records to the disaster-recovery region",
        tags: tags("records-replica"),
        roleTags: tags("records-replication"),
      });
    }

    const role = lambdaRole(this, name, {
      description:
        "Tenant usage collector: connect as the metering user, query the service's logs, publish metrics and records",
      tags: tags("role"),
    });
    const policy = new RolePolicy(
      `${name}-policy`,
      {
        role: role.id,
        policy: pulumi
          .all([
            partition,
            account,
            logGroup.arn,
            pulumi.output(kmsKeyArn),
            bucket.arn,
            args.database.resourceId,
            args.serviceLogGroupName,
          ])
          .apply(([p, acct, logArn, keyArn, bucketArn, resourceId, serviceLogGroup]) =>
            JSON.stringify(
              collectorPolicy({
                partition: p,
                region,
                account: acct,
                logGroupArn: logArn,
                keyArn,
                bucketArn,
                databaseResourceId: resourceId,
                databaseUser: args.database.user,
                serviceLogGroupName: serviceLogGroup,
                metricNamespace: namespace,
              }),
            ),
          ),
      },
      child,
    );

    // One run at a time: two runs would read the same period.
    const fn = vpcLambdaFunction(this, name, {
      functionName,
      description: "Collects per-tenant usage: CloudWatch metrics (top N and the rest) and metering records",
      bundle: bundleHandler("tenant-metering", collectorEntry),
      roleArn: role.arn,
      memorySize: COLLECTOR_MEMORY_MB,
      timeoutSeconds: COLLECTOR_TIMEOUT_SECONDS,
      subnetIds: args.subnetIds,
      securityGroupId: sg.id,
      logGroup,
      database: args.database,
      environment: {
        DB_USER: args.database.user,
        STACK_NAME: namePrefix,
        METRIC_NAMESPACE: namespace,
        TOP_TENANTS: String(args.topTenants),
        SERVICE_LOG_GROUP: args.serviceLogGroupName,
        METERING_BUCKET: bucket.bucket,
        MONTHLY_COST: JSON.stringify(args.monthlyCost),
      },
      tags: tags("function"),
      policy,
    });
    // A failed run is not retried by Lambda: the next run reads usage since the last successful one, and a
    // retry running late would overlap it.
    new FunctionEventInvokeConfig(
      `${name}-async`,
      { functionName: fn.name, maximumRetryAttempts: 0, maximumEventAgeInSeconds: args.intervalMinutes * 60 },
      child,
    );

    const schedulerRole = new Role(
      `${name}-scheduler-role`,
      {
        // EventBridge Scheduler assumes the role for schedules of this account's default group only.
        assumeRolePolicy: pulumi
          .all([partition, account])
          .apply(([p, acct]) =>
            JSON.stringify(
              serviceTrustPolicy(
                "scheduler.amazonaws.com",
                acct,
                `arn:${p}:scheduler:${region}:${acct}:schedule-group/default`,
              ),
            ),
          ),
        description: "EventBridge Scheduler: invoke the tenant usage collector",
        tags: tags("scheduler-role"),
      },
      child,
    );
    const schedulerPolicy = new RolePolicy(
      `${name}-scheduler-policy`,
      {
        role: schedulerRole.id,
        policy: fn.arn.apply((arn) =>
          JSON.stringify(
            policyDocument([
              { Sid: "InvokeCollector", Effect: "Allow", Action: "lambda:InvokeFunction", Resource: [arn, `${arn}:*`] },
            ]),
          ),
        ),
      },
      child,
    );
    const schedule = new Schedule(
      `${name}-schedule`,
      {
        name: functionName,
        description: "Runs the tenant usage collector",
        scheduleExpression: scheduleExpression(args.intervalMinutes),
        flexibleTimeWindow: { mode: "OFF" },
        state: "ENABLED",
        target: {
          arn: fn.arn,
          roleArn: schedulerRole.arn,
          // Delivery retries within one interval; a later delivery would overlap the next run.
          retryPolicy: { maximumEventAgeInSeconds: args.intervalMinutes * 60, maximumRetryAttempts: 2 },
        },
      },
      { ...child, dependsOn: [schedulerPolicy] },
    );

    const period = args.intervalMinutes * 60;
    const noisy = new MetricAlarm(
      `${name}-alarm-noisy-tenant`,
      {
        name: `${namePrefix}-noisy-tenant`,
        alarmDescription:
          `One tenant took more than ${args.noisyTenantSharePercent} % of the tenants' database time in three ` +
          "collections running. Runbook: runbooks/tenant-metering.md#a-noisy-tenant",
        namespace,
        metricName: MAX_SHARE_METRIC.name,
        statistic: "Maximum",
        period,
        evaluationPeriods: 3,
        datapointsToAlarm: 3,
        threshold: args.noisyTenantSharePercent,
        comparisonOperator: "GreaterThanThreshold",
        // No datum: the database was nearly idle or one tenant used it (the share says nothing then).
        treatMissingData: "notBreaching",
        actionsEnabled: true,
        alarmActions: [args.alarmTopicArn],
        okActions: [args.alarmTopicArn],
        tags: tags("alarm-noisy-tenant"),
      },
      child,
    );
    new MetricAlarm(
      `${name}-alarm-failing`,
      {
        name: `${namePrefix}-tenant-metering-failing`,
        alarmDescription:
          "The tenant usage collector failed twice running: metrics and metering records are missing. " +
          "Runbook: runbooks/tenant-metering.md#the-collector-fails",
        namespace: "AWS/Lambda",
        metricName: "Errors",
        dimensions: { FunctionName: fn.name },
        statistic: "Sum",
        period,
        evaluationPeriods: 2,
        datapointsToAlarm: 2,
        threshold: 0,
        comparisonOperator: "GreaterThanThreshold",
        treatMissingData: "notBreaching",
        actionsEnabled: true,
        alarmActions: [args.alarmTopicArn],
        okActions: [args.alarmTopicArn],
        tags: tags("alarm-failing"),
      },
      child,
    );

    this.functionName = fn.name;
    this.recordBucketName = bucket.bucket;
    this.metricNamespace = namespace;
    this.scheduleName = schedule.name;
    this.noisyTenantAlarmName = noisy.name;
    this.registerOutputs({
      functionName: this.functionName,
      recordBucketName: this.recordBucketName,
      metricNamespace: this.metricNamespace,
      scheduleName: this.scheduleName,
      noisyTenantAlarmName: this.noisyTenantAlarmName,
    });
  }
}

/** Every problem with the arguments, in the house format; nothing is registered when there is one. */
export function usageCollectorProblems(args: UsageCollectorArgs): string[] {
  const problems: string[] = [];
  const top = topTenantsProblem(args.topTenants);
  if (top) problems.push(top);
  const between = (key: string, value: number, min: number, max: number) => {
    if (!Number.isInteger(value) || value < min || value > max) {
      problems.push(`${key}: expected an integer from ${min} to ${max}, got ${JSON.stringify(value)}`);
    }
  };
  between("intervalMinutes", args.intervalMinutes, MIN_INTERVAL_MINUTES, MAX_INTERVAL_MINUTES);
  between("noisyTenantSharePercent", args.noisyTenantSharePercent, 1, 100);
  between("recordRetentionDays", args.recordRetentionDays, MIN_RECORD_RETENTION_DAYS, MAX_RECORD_RETENTION_DAYS);
  const retention = logRetentionProblem("logRetentionDays", args.logRetentionDays);
  if (retention) problems.push(retention);
  if (!/^[a-z][a-z0-9_]{0,62}$/.test(args.database.user)) {
    problems.push(`database.user: ${JSON.stringify(args.database.user)} is not a PostgreSQL role name the model makes`);
  }
  for (const pool of ["databaseUsd", "computeUsd", "loadBalancerUsd"] as const) {
    const v = args.monthlyCost[pool];
    if (!Number.isFinite(v) || v < 0)
      problems.push(`monthlyCost.${pool}: expected a number ≥ 0, got ${JSON.stringify(v)}`);
  }
  // S3's bucket prefix (bucket_prefix) is at most 37 characters, and "-metering-" takes 10 of them.
  if (!/^[a-z0-9][a-z0-9-]{0,26}$/.test(args.context.namePrefix)) {
    problems.push(
      `context.namePrefix: ${JSON.stringify(args.context.namePrefix)} must be 1-27 lowercase letters, digits or '-' (the record bucket's name prefix adds "-metering-", at most 37 characters)`,
    );
  }
  return problems;
}

export interface CollectorPolicyInput {
  readonly partition: string;
  readonly region: string;
  readonly account: string;
  readonly logGroupArn: string;
  readonly keyArn: string;
  readonly bucketArn: string;
  readonly databaseResourceId: string;
  readonly databaseUser: string;
  readonly serviceLogGroupName: string;
  readonly metricNamespace: string;
}

/** The execution role's only permissions. Pure, so the tests read it statement by statement. */
export function collectorPolicy(input: CollectorPolicyInput) {
  const { partition: p, region, account } = input;
  return policyDocument([
    writeOwnLogsStatement(input.logGroupArn),
    {
      Sid: "ConnectAsMeteringUser",
      Effect: "Allow",
      Action: "rds-db:connect",
      Resource: `arn:${p}:rds-db:${region}:${account}:dbuser:${input.databaseResourceId}/${input.databaseUser}`,
    },
    {
      // PutMetricData has no resource: the namespace condition keeps the role to the stack's tenant metrics.
      Sid: "PublishTenantMetrics",
      Effect: "Allow",
      Action: "cloudwatch:PutMetricData",
      Resource: "*",
      Condition: { StringEquals: { "cloudwatch:namespace": input.metricNamespace } },
    },
    {
      // The log group's ARN with and without the `:*` CloudWatch Logs appends to it in some ARNs.
      Sid: "QueryServiceLogs",
      Effect: "Allow",
      Action: "logs:StartQuery",
      Resource: [
        `arn:${p}:logs:${region}:${account}:log-group:${input.serviceLogGroupName}`,
        `arn:${p}:logs:${region}:${account}:log-group:${input.serviceLogGroupName}:*`,
      ],
    },
    {
      // GetQueryResults takes a query id, not a log group: CloudWatch Logs authorises it on no resource.
      Sid: "ReadQueryResults",
      Effect: "Allow",
      Action: "logs:GetQueryResults",
      Resource: "*",
    },
    {
      Sid: "WriteMeteringRecords",
      Effect: "Allow",
      Action: "s3:PutObject",
      Resource: `${input.bucketArn}/${METERING_PREFIX}*`,
    },
    {
      Sid: "EncryptMeteringRecordsThroughS3",
      Effect: "Allow",
      Action: "kms:GenerateDataKey",
      Resource: input.keyArn,
      Condition: { StringEquals: { "kms:ViaService": `s3.${region}.amazonaws.com` } },
    },
    attachToVpcStatement(),
  ]);
}
