import { createHash } from "crypto";
import { Planned } from "../support/plan";
import { policyViolations } from "../../tools/plan/checks";
import { TenantProvisioner, TenantProvisionerArgs } from "../../components/tenant-plane/provisioner";
import { testContext } from "../support/context";

const FN = "aws:lambda/function:Function";
const SG = "aws:ec2/securityGroup:SecurityGroup";
const EGRESS = "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule";
const INGRESS = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule";

describe("TenantProvisioner in the dev stack", () => {
  let plan: Planned;
  beforeAll(async () => {
    plan = await Planned.of({ stack: "dev" });
  });

  it("registers stable, documented child names (a public contract)", () => {
    const component = plan.one("saas:tenants:TenantProvisioner", "tenant-provisioner");
    expect(
      plan
        .childrenOf(component)
        .map((r) => `${r.type.split(":").pop()} ${r.name}`)
        .sort(),
    ).toEqual(
      [
        "BucketLifecycleConfiguration tenant-provisioner-exports",
        "BucketOwnershipControls tenant-provisioner-exports",
        "BucketPolicy tenant-provisioner-exports",
        "BucketPublicAccessBlock tenant-provisioner-exports",
        "BucketServerSideEncryptionConfiguration tenant-provisioner-exports",
        "BucketVersioning tenant-provisioner-exports",
        "Bucket tenant-provisioner-exports",
        "Function tenant-provisioner-function",
        "Invocation tenant-provisioner-apply",
        "LogGroup tenant-provisioner-logs",
        "Role tenant-provisioner-role",
        "RolePolicy tenant-provisioner-policy",
        "SecurityGroup tenant-provisioner-sg",
        "SecurityGroupEgressRule tenant-provisioner-out-db",
        "SecurityGroupEgressRule tenant-provisioner-out-https",
        "SecurityGroupEgressRule tenant-provisioner-out-s3",
        "SecurityGroupIngressRule tenant-provisioner-db-in",
      ].sort(),
    );
  });

  it("runs Node.js 24 on arm64 in the private subnets, one at a time, for at most Lambda's 15 minutes", () => {
    const fn = plan.one(FN, "tenant-provisioner-function");
    const instance = plan.one("aws:rds/instance:Instance", "database-instance");
    const sg = plan.one(SG, "tenant-provisioner-sg");
    expect(fn.inputs).toMatchObject({
      name: "saas-dev-tenant-provisioner",
      runtime: "nodejs24.x",
      architectures: ["arm64"],
      handler: "index.handler",
      memorySize: 1024,
      timeout: 900,
      reservedConcurrentExecutions: 1,
      vpcConfig: { subnetIds: plan.run.outputs.privateSubnetIds, securityGroupIds: [sg.outputs.id] },
      environment: {
        variables: {
          DB_HOST: instance.outputs.address,
          DB_PORT: "5432",
          DB_NAME: "app",
          MASTER_SECRET_ARN: (instance.outputs.masterUserSecrets as { secretArn: string }[])[0].secretArn,
          EXPORT_BUCKET: plan.run.outputs.tenantExportBucketName,
          NODE_EXTRA_CA_CERTS: "/var/runtime/ca-cert.pem",
        },
      },
      loggingConfig: {
        logFormat: "JSON",
        logGroup: "/aws/lambda/saas-dev-tenant-provisioner",
        applicationLogLevel: "INFO",
        systemLogLevel: "WARN",
      },
    });
  });

  it("invokes with lifecycle CRUD, the rendered tenants and the hash of the code it deploys", () => {
    const fn = plan.one(FN, "tenant-provisioner-function");
    const invocation = plan.one("aws:lambda/invocation:Invocation", "tenant-provisioner-apply");
    expect(invocation.inputs.lifecycleScope).toBe("CRUD");
    expect(invocation.inputs.functionName).toBe("saas-dev-tenant-provisioner");
    const input = JSON.parse(String(invocation.inputs.input)) as Record<string, unknown>;
    expect(input).toEqual({
      kind: "saas.tenant-provisioner/v1",
      mode: "apply",
      database: "app",
      migratorRole: "migrator",
      appRole: "app",
      rdsIam: true,
      adminSchema: "admin",
      tenants: [
        { id: "acme", displayName: "Acme Corp", tier: "shared", status: "active" },
        { id: "globex", displayName: "Globex", tier: "shared", status: "active" },
        { id: "initech", displayName: "Initech", tier: "dedicated", status: "active" },
      ],
      handlerSha256: fn.inputs.sourceCodeHash,
    });
    // Every change replaces the Invocation (triggers force a new one): a failed update would otherwise be stored
    // with its new input, and the next `pulumi up` would not retry. A new database instance re-applies too.
    expect(invocation.inputs.triggers).toEqual({
      input: createHash("sha256").update(String(invocation.inputs.input)).digest("hex"),
      database: plan.one("aws:rds/instance:Instance", "database-instance").outputs.resourceId,
    });
    // Not before the database admits the function: the rules are dependencies of the Invocation.
    const dbIn = plan.one(INGRESS, "tenant-provisioner-db-in");
    expect(invocation.dependencies).toContain(dbIn.urn);
  });

  it("reaches the database on 5432 and AWS APIs on 443 (through NAT in dev), nothing else", () => {
    const sg = plan.one(SG, "tenant-provisioner-sg");
    const db = plan.one(SG, "network-db-sg");
    const rules = plan
      .ofType(EGRESS)
      .filter((r) => r.inputs.securityGroupId === sg.outputs.id)
      .sort((a, b) => a.name.localeCompare(b.name));
    expect(
      rules.map((r) => [
        r.name,
        r.inputs.fromPort,
        r.inputs.toPort,
        r.inputs.referencedSecurityGroupId ?? r.inputs.cidrIpv4 ?? r.inputs.prefixListId,
      ]),
    ).toEqual([
      ["tenant-provisioner-out-db", 5432, 5432, db.outputs.id],
      ["tenant-provisioner-out-https", 443, 443, "0.0.0.0/0"],
      ["tenant-provisioner-out-s3", 443, 443, expect.stringMatching(/^pl-/)],
    ]);
    expect(plan.ofType(INGRESS).filter((r) => r.inputs.securityGroupId === sg.outputs.id)).toEqual([]);
    expect(plan.one(INGRESS, "tenant-provisioner-db-in").inputs).toMatchObject({
      securityGroupId: db.outputs.id,
      referencedSecurityGroupId: sg.outputs.id,
      ipProtocol: "tcp",
      fromPort: 5432,
      toPort: 5432,
    });
  });

  it("may read exactly the master secret, decrypt only through Secrets Manager, and write only exports", () => {
    const policy = JSON.parse(
      String(plan.one("aws:iam/rolePolicy:RolePolicy", "tenant-provisioner-policy").inputs.policy),
    );
    const instance = plan.one("aws:rds/instance:Instance", "database-instance");
    const key = plan.run.outputs.kmsKeyArn;
    const bucket = plan.one("aws:s3/bucket:Bucket", "tenant-provisioner-exports");
    const logs = plan.one("aws:cloudwatch/logGroup:LogGroup", "tenant-provisioner-logs");
    expect(policy.Statement).toEqual([
      {
        Sid: "WriteOwnLogs",
        Effect: "Allow",
        Action: ["logs:CreateLogStream", "logs:PutLogEvents"],
        Resource: `${String(logs.outputs.arn)}:*`,
      },
      {
        Sid: "ReadMasterSecret",
        Effect: "Allow",
        Action: "secretsmanager:GetSecretValue",
        Resource: (instance.outputs.masterUserSecrets as { secretArn: string }[])[0].secretArn,
      },
      {
        Sid: "DecryptMasterSecretThroughSecretsManager",
        Effect: "Allow",
        Action: "kms:Decrypt",
        Resource: key,
        Condition: { StringEquals: { "kms:ViaService": "secretsmanager.us-east-1.amazonaws.com" } },
      },
      {
        Sid: "WritePurgeExports",
        Effect: "Allow",
        Action: "s3:PutObject",
        Resource: `${String(bucket.outputs.arn)}/tenant-exports/*`,
      },
      {
        Sid: "EncryptPurgeExportsThroughS3",
        Effect: "Allow",
        Action: "kms:GenerateDataKey",
        Resource: key,
        Condition: { StringEquals: { "kms:ViaService": "s3.us-east-1.amazonaws.com" } },
      },
      {
        Sid: "AttachToVpc",
        Effect: "Allow",
        Action: [
          "ec2:CreateNetworkInterface",
          "ec2:DescribeNetworkInterfaces",
          "ec2:DescribeSubnets",
          "ec2:DeleteNetworkInterface",
          "ec2:AssignPrivateIpAddresses",
          "ec2:UnassignPrivateIpAddresses",
        ],
        Resource: "*",
      },
    ]);
    expect(
      JSON.parse(String(plan.one("aws:iam/role:Role", "tenant-provisioner-role").inputs.assumeRolePolicy)),
    ).toEqual({
      Version: "2012-10-17",
      Statement: [{ Effect: "Allow", Principal: { Service: "lambda.amazonaws.com" }, Action: "sts:AssumeRole" }],
    });
  });

  it("writes KMS-encrypted logs kept for the database's log retention (14 days in dev)", () => {
    expect(plan.one("aws:cloudwatch/logGroup:LogGroup", "tenant-provisioner-logs").inputs).toMatchObject({
      name: "/aws/lambda/saas-dev-tenant-provisioner",
      retentionInDays: 14,
      kmsKeyId: plan.run.outputs.kmsKeyArn,
    });
  });

  it("keeps exports a year in dev, in a bucket a destroy may empty", () => {
    const bucket = plan.one("aws:s3/bucket:Bucket", "tenant-provisioner-exports");
    expect(bucket.inputs.forceDestroy).toBe(true);
    expect(bucket.options.protect).toBe(false);
    const lifecycle = plan.one(
      "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration",
      "tenant-provisioner-exports",
    );
    expect(lifecycle.inputs.rules).toEqual([
      expect.objectContaining({
        id: "expire-exports",
        status: "Enabled",
        expiration: { days: 365 },
        noncurrentVersionExpiration: { noncurrentDays: 365 },
      }),
    ]);
  });

  it("passes the policy pack", () => {
    expect(policyViolations(plan.run).filter((v) => v.urn.includes("tenant-provisioner"))).toEqual([]);
  });
});

describe("TenantProvisioner in the prod stack", () => {
  let plan: Planned;
  beforeAll(async () => {
    plan = await Planned.of({ stack: "prod" });
  });

  it("reaches Secrets Manager through the interface endpoints only, which admit it", () => {
    const sg = plan.one(SG, "tenant-provisioner-sg");
    const endpoints = plan.one(SG, "network-endpoints-sg");
    expect(plan.one(EGRESS, "tenant-provisioner-out-https").inputs).toMatchObject({
      securityGroupId: sg.outputs.id,
      referencedSecurityGroupId: endpoints.outputs.id,
      fromPort: 443,
      toPort: 443,
    });
    expect(plan.one(EGRESS, "tenant-provisioner-out-https").inputs.cidrIpv4).toBeUndefined();
    expect(plan.one(INGRESS, "tenant-provisioner-endpoints-in").inputs).toMatchObject({
      securityGroupId: endpoints.outputs.id,
      referencedSecurityGroupId: sg.outputs.id,
    });
  });

  it("replicates exports to the DR region with the database's DR key, and protects the copy too", () => {
    const source = plan.one("aws:s3/bucket:Bucket", "tenant-provisioner-exports");
    const replica = plan.one("aws:s3/bucket:Bucket", "tenant-provisioner-exports-replica");
    const drKey = plan.one("aws:kms/key:Key", "database-dr-key");
    const drProvider = plan.one("pulumi:providers:aws", "database-dr");
    expect(drProvider.inputs.region).toBe("us-west-2");
    expect(replica.provider).toContain("::database-dr::");
    expect(replica.options.protect).toBe(true);
    const config = plan.one(
      "aws:s3/bucketReplicationConfig:BucketReplicationConfig",
      "tenant-provisioner-exports-replication",
    );
    expect(config.inputs).toMatchObject({
      bucket: source.outputs.id,
      role: plan.one("aws:iam/role:Role", "tenant-provisioner-exports-replication").outputs.arn,
      rules: [
        {
          id: "exports-to-dr-region",
          status: "Enabled",
          filter: { prefix: "tenant-exports/" },
          deleteMarkerReplication: { status: "Disabled" },
          sourceSelectionCriteria: { sseKmsEncryptedObjects: { status: "Enabled" } },
          destination: {
            bucket: replica.outputs.arn,
            storageClass: "STANDARD",
            encryptionConfiguration: { replicaKmsKeyId: drKey.outputs.arn },
          },
        },
      ],
    });
    const replicationPolicy = JSON.parse(
      String(plan.one("aws:iam/rolePolicy:RolePolicy", "tenant-provisioner-exports-replication").inputs.policy),
    );
    const source_ = String(source.outputs.arn);
    const replica_ = String(replica.outputs.arn);
    expect(replicationPolicy.Statement).toEqual([
      {
        Sid: "ReadSourceConfiguration",
        Effect: "Allow",
        Action: ["s3:GetReplicationConfiguration", "s3:ListBucket"],
        Resource: source_,
      },
      {
        Sid: "ReadSourceVersions",
        Effect: "Allow",
        Action: ["s3:GetObjectVersionForReplication", "s3:GetObjectVersionAcl", "s3:GetObjectVersionTagging"],
        Resource: `${source_}/*`,
      },
      {
        Sid: "WriteReplicas",
        Effect: "Allow",
        Action: ["s3:ReplicateObject", "s3:ReplicateDelete", "s3:ReplicateTags"],
        Resource: `${replica_}/*`,
      },
      {
        Sid: "DecryptSourceThroughS3",
        Effect: "Allow",
        Action: "kms:Decrypt",
        Resource: plan.run.outputs.kmsKeyArn,
        Condition: {
          StringEquals: { "kms:ViaService": "s3.us-east-1.amazonaws.com" },
          // The bucket's ARN with an S3 Bucket Key (both buckets have one), the object's without.
          StringLike: { "kms:EncryptionContext:aws:s3:arn": [source_, `${source_}/*`] },
        },
      },
      {
        Sid: "EncryptReplicasThroughS3",
        Effect: "Allow",
        Action: ["kms:Encrypt", "kms:GenerateDataKey"],
        Resource: drKey.outputs.arn,
        Condition: {
          StringEquals: { "kms:ViaService": "s3.us-west-2.amazonaws.com" },
          StringLike: { "kms:EncryptionContext:aws:s3:arn": [replica_, `${replica_}/*`] },
        },
      },
    ]);
    const trust = JSON.parse(
      String(plan.one("aws:iam/role:Role", "tenant-provisioner-exports-replication").inputs.assumeRolePolicy),
    );
    expect(trust.Statement).toEqual([
      {
        Effect: "Allow",
        Principal: { Service: "s3.amazonaws.com" },
        Action: "sts:AssumeRole",
        Condition: {
          StringEquals: { "aws:SourceAccount": "123456789012" },
          ArnLike: { "aws:SourceArn": source.outputs.arn },
        },
      },
    ]);
  });

  it("protects the export bucket: pulumi refuses to delete it and a destroy does not empty it", () => {
    const bucket = plan.one("aws:s3/bucket:Bucket", "tenant-provisioner-exports");
    expect(bucket.options.protect).toBe(true);
    expect(bucket.inputs.forceDestroy).toBe(false);
  });
});

describe("TenantProvisioner arguments", () => {
  const valid: TenantProvisionerArgs = {
    context: testContext({ kmsKeyArn: "arn:aws:kms:us-east-1:123456789012:key/k" }),
    vpcId: "vpc-1",
    subnetIds: ["subnet-1"],
    databaseSecurityGroupId: "sg-db",
    s3PrefixListId: "pl-1",
    database: {
      host: "db",
      port: 5432,
      name: "app",
      masterSecretArn: "arn:aws:secretsmanager:us-east-1:1:secret:x",
      resourceId: "db-ABCDEFGHIJKLMNOPQRSTUVWXY0",
    },
    tenants: [{ id: "acme" }],
    logRetentionDays: 30,
  };

  it("reports every bad argument at once, before registering anything", () => {
    expect(
      () =>
        new TenantProvisioner("p", {
          ...valid,
          context: testContext({ kmsKeyArn: "k", namePrefix: "Saas_Dev" }),
          tenants: [{ id: "Acme" }],
          logRetentionDays: 31,
          exportRetentionDays: 0,
        }),
    ).toThrow(
      [
        'TenantProvisioner "p": invalid arguments:',
        '  - tenants[0].id: "Acme" must match ^[a-z][a-z0-9_]{1,30}$ (lowercase letter, then 1–30 lowercase letters, digits or _)',
        "  - logRetentionDays: expected one of CloudWatch Logs' retention periods (1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653), got 31",
        "  - exportRetentionDays: 0 must be an integer from 1 to 3650",
        `  - context.namePrefix: "Saas_Dev" must be 1-21 lowercase letters, digits or '-' (the export bucket's name prefix adds "-tenant-exports-", at most 37 characters)`,
      ].join("\n"),
    );
  });
});
