import * as pulumi from "@pulumi/pulumi";
import { Function as LambdaFunction } from "@pulumi/aws/lambda/function";
import { Invocation } from "@pulumi/aws/lambda/invocation";
import { Role } from "@pulumi/aws/iam/role";
import { RolePolicy } from "@pulumi/aws/iam/rolePolicy";
import { LogGroup } from "@pulumi/aws/cloudwatch/logGroup";
import { SecurityGroup } from "@pulumi/aws/ec2/securityGroup";
import { SecurityGroupIngressRule } from "@pulumi/aws/vpc/securityGroupIngressRule";
import { SecurityGroupEgressRule } from "@pulumi/aws/vpc/securityGroupEgressRule";
import { Bucket } from "@pulumi/aws/s3/bucket";
import { BucketOwnershipControls } from "@pulumi/aws/s3/bucketOwnershipControls";
import { BucketPublicAccessBlock } from "@pulumi/aws/s3/bucketPublicAccessBlock";
import { BucketServerSideEncryptionConfiguration } from "@pulumi/aws/s3/bucketServerSideEncryptionConfiguration";
import { BucketVersioning } from "@pulumi/aws/s3/bucketVersioning";
import { BucketLifecycleConfiguration } from "@pulumi/aws/s3/bucketLifecycleConfiguration";
import { BucketPolicy } from "@pulumi/aws/s3/bucketPolicy";
import { ComponentArgsError, nameTags } from "../shared/naming";
import { logRetentionProblem } from "../shared/logs";
import { denyInsecureTransport, policyDocument } from "../shared/policies";
import { TenantSpec, validateTenants } from "../tenant-schemas/model";
import { HandlerBundle, bundleHandler, provisionerEvent } from "./bundle";
import { ProvisionerEvent, ProvisionerMode, renderProvisionerEvent } from "./event";

export interface TenantProvisionerArgs {
  /** Prefix of the physical names; the function is `<namePrefix>-tenant-provisioner`. */
  readonly namePrefix: string;
  /** Region of the stack (the Secrets Manager and S3 endpoints the function's role is limited to). */
  readonly region: string;
  readonly partition: pulumi.Input<string>;
  /** ARN of the stack KMS key: the log group and the export bucket are encrypted with it. */
  readonly kmsKeyArn: pulumi.Input<string>;
  readonly vpcId: pulumi.Input<string>;
  /** Private subnets the function runs in (it needs the database and Secrets Manager, nothing else). */
  readonly subnetIds: pulumi.Input<pulumi.Input<string>[]>;
  /** The database's security group: the component adds the ingress rule admitting the function on 5432. */
  readonly databaseSecurityGroupId: pulumi.Input<string>;
  /**
   * The interface endpoints' security group. Given, the function's HTTPS egress reaches only the endpoints
   * (Secrets Manager among them) and S3; the component adds the endpoints' ingress rule for it.
   * @default - HTTPS egress to AWS APIs through NAT (0.0.0.0/0 on 443)
   */
  readonly endpointSecurityGroupId?: pulumi.Input<string>;
  /** Prefix list of the S3 gateway endpoint: the purge export's only way to S3. */
  readonly s3PrefixListId: pulumi.Input<string>;
  readonly database: {
    readonly host: pulumi.Input<string>;
    readonly port: pulumi.Input<number>;
    /** The database holding the tenant schemas. */
    readonly name: string;
    /** The RDS-managed master secret; the function may read this one secret only. */
    readonly masterSecretArn: pulumi.Input<string>;
  };
  /** The stack's tenants, rendered into the Invocation's input. */
  readonly tenants: readonly TenantSpec[];
  /**
   * `apply`: the function creates and converges the tenants. `verify`: @pulumi/postgresql manages them and the
   * function only checks isolation (and the operator's memberships).
   * @default "apply"
   */
  readonly mode?: ProvisionerMode;
  /** Days the function's log group keeps its logs; one of CloudWatch Logs' retention values. */
  readonly logRetentionDays: number;
  /** Days a purge export is kept before S3 expires it. @default 365 */
  readonly exportRetentionDays?: number;
  /**
   * Production: the export bucket survives `pulumi destroy` (protect, no forceDestroy), since it may hold the
   * only copy of a purged tenant's data.
   * @default false
   */
  readonly protectExports?: boolean;
}

/** The function's memory: `pg` and the catalog of 1,000 tenants fit well; more memory is also more CPU. */
export const PROVISIONER_MEMORY_MB = 1024;
/** Lambda's maximum: an apply from scratch at 1,000 tenants is far inside it (docs/benchmarks.md). */
export const PROVISIONER_TIMEOUT_SECONDS = 900;
const DEFAULT_EXPORT_RETENTION_DAYS = 365;

export function provisionerFunctionName(namePrefix: string): string {
  return `${namePrefix}-tenant-provisioner`;
}

/**
 * The tenant provisioner: a Lambda function inside the VPC that `pulumi up` invokes (an `aws.lambda.Invocation`,
 * lifecycle CRUD) with the stack's desired tenant state. The database is private, so this is how tenants are
 * created, changed, suspended and verified in every stack, prod included, with no tunnel and no provider that
 * must reach the database. Adding a tenant changes only the Invocation's input; tenants cost no resources.
 *
 * Child names (a public contract): `<name>-sg`, `<name>-out-db`, `<name>-db-in`, `<name>-out-https`,
 * `<name>-out-s3`, `<name>-endpoints-in` (with endpoints), `<name>-logs`, `<name>-role`, `<name>-policy`,
 * `<name>-exports` and its `-ownership`, `-public-access`, `-encryption`, `-versioning`, `-lifecycle`,
 * `-policy`, `<name>-function`, `<name>-apply`.
 */
export class TenantProvisioner extends pulumi.ComponentResource {
  public readonly functionName: pulumi.Output<string>;
  public readonly functionArn: pulumi.Output<string>;
  public readonly securityGroupId: pulumi.Output<string>;
  public readonly exportBucketName: pulumi.Output<string>;
  /** The Invocation's input, as rendered (without the code hash, which is known once the bundle is built). */
  public readonly event: ProvisionerEvent;
  /** The function's report of the last apply (created, changed, suspended, orphaned, every check). */
  public readonly result: pulumi.Output<unknown>;

  constructor(name: string, args: TenantProvisionerArgs, opts?: pulumi.ComponentResourceOptions) {
    const mode = args.mode ?? "apply";
    const exportRetentionDays = args.exportRetentionDays ?? DEFAULT_EXPORT_RETENTION_DAYS;
    const protectExports = args.protectExports ?? false;

    const problems = [...validateTenants(args.tenants)];
    const retention = logRetentionProblem("logRetentionDays", args.logRetentionDays);
    if (retention) problems.push(retention);
    if (mode !== "apply" && mode !== "verify") {
      problems.push(`mode: ${JSON.stringify(mode)} must be "apply" or "verify"`);
    }
    if (!Number.isInteger(exportRetentionDays) || exportRetentionDays < 1 || exportRetentionDays > 3650) {
      problems.push(`exportRetentionDays: ${JSON.stringify(exportRetentionDays)} must be an integer from 1 to 3650`);
    }
    if (!/^[a-z0-9][a-z0-9-]{0,38}$/.test(args.namePrefix)) {
      problems.push(
        `namePrefix: ${JSON.stringify(args.namePrefix)} must be 1-39 lowercase letters, digits or '-' (the function name adds "-tenant-provisioner")`,
      );
    }
    if (problems.length > 0) throw new ComponentArgsError(`TenantProvisioner "${name}"`, problems);

    super("saas:tenants:TenantProvisioner", name, {}, opts);
    const child = { parent: this };
    const tags = (what: string) => nameTags(`${args.namePrefix}-tenant-provisioner-${what}`);
    const functionName = provisionerFunctionName(args.namePrefix);
    const partition = pulumi.output(args.partition);

    const sg = new SecurityGroup(
      `${name}-sg`,
      { vpcId: args.vpcId, description: "Tenant provisioner: to the database and AWS APIs only", tags: tags("sg") },
      child,
    );
    const tcp = (port: number) => ({ ipProtocol: "tcp", fromPort: port, toPort: port });
    new SecurityGroupEgressRule(
      `${name}-out-db`,
      {
        securityGroupId: sg.id,
        ...tcp(5432),
        referencedSecurityGroupId: args.databaseSecurityGroupId,
        description: "To the database",
        tags: tags("out-db"),
      },
      child,
    );
    const dbIngress = new SecurityGroupIngressRule(
      `${name}-db-in`,
      {
        securityGroupId: args.databaseSecurityGroupId,
        ...tcp(5432),
        referencedSecurityGroupId: sg.id,
        description: "From the tenant provisioner",
        tags: tags("db-in"),
      },
      child,
    );
    const egressReady: pulumi.Resource[] = [dbIngress];
    if (args.endpointSecurityGroupId !== undefined) {
      egressReady.push(
        new SecurityGroupEgressRule(
          `${name}-out-https`,
          {
            securityGroupId: sg.id,
            ...tcp(443),
            referencedSecurityGroupId: args.endpointSecurityGroupId,
            description: "To the interface endpoints (Secrets Manager)",
            tags: tags("out-https"),
          },
          child,
        ),
        new SecurityGroupIngressRule(
          `${name}-endpoints-in`,
          {
            securityGroupId: args.endpointSecurityGroupId,
            ...tcp(443),
            referencedSecurityGroupId: sg.id,
            description: "From the tenant provisioner",
            tags: tags("endpoints-in"),
          },
          child,
        ),
      );
    } else {
      egressReady.push(
        new SecurityGroupEgressRule(
          `${name}-out-https`,
          {
            securityGroupId: sg.id,
            ...tcp(443),
            cidrIpv4: "0.0.0.0/0",
            description: "HTTPS to Secrets Manager through NAT",
            tags: tags("out-https"),
          },
          child,
        ),
      );
    }
    egressReady.push(
      new SecurityGroupEgressRule(
        `${name}-out-s3`,
        {
          securityGroupId: sg.id,
          ...tcp(443),
          prefixListId: args.s3PrefixListId,
          description: "To S3 through the gateway endpoint (purge exports)",
          tags: tags("out-s3"),
        },
        child,
      ),
    );

    // Lambda writes to /aws/lambda/<function>; created here so it is encrypted and expires from the start.
    const logGroup = new LogGroup(
      `${name}-logs`,
      {
        name: `/aws/lambda/${functionName}`,
        retentionInDays: args.logRetentionDays,
        kmsKeyId: args.kmsKeyArn,
        tags: tags("logs"),
      },
      child,
    );

    const bucket = new Bucket(
      `${name}-exports`,
      { forceDestroy: !protectExports, tags: tags("exports") },
      { ...child, protect: protectExports },
    );
    new BucketOwnershipControls(
      `${name}-exports-ownership`,
      { bucket: bucket.id, rule: { objectOwnership: "BucketOwnerEnforced" } },
      child,
    );
    new BucketPublicAccessBlock(
      `${name}-exports-public-access`,
      {
        bucket: bucket.id,
        blockPublicAcls: true,
        blockPublicPolicy: true,
        ignorePublicAcls: true,
        restrictPublicBuckets: true,
      },
      child,
    );
    new BucketServerSideEncryptionConfiguration(
      `${name}-exports-encryption`,
      {
        bucket: bucket.id,
        rules: [
          {
            applyServerSideEncryptionByDefault: { sseAlgorithm: "aws:kms", kmsMasterKeyId: args.kmsKeyArn },
            bucketKeyEnabled: true,
          },
        ],
      },
      child,
    );
    new BucketVersioning(
      `${name}-exports-versioning`,
      { bucket: bucket.id, versioningConfiguration: { status: "Enabled" } },
      child,
    );
    new BucketLifecycleConfiguration(
      `${name}-exports-lifecycle`,
      {
        bucket: bucket.id,
        rules: [
          {
            id: "expire-exports",
            status: "Enabled",
            filter: { prefix: "tenant-exports/" },
            expiration: { days: exportRetentionDays },
            noncurrentVersionExpiration: { noncurrentDays: exportRetentionDays },
          },
        ],
      },
      child,
    );
    new BucketPolicy(
      `${name}-exports-policy`,
      {
        bucket: bucket.id,
        policy: bucket.arn.apply((arn) => JSON.stringify(policyDocument([denyInsecureTransport(arn)]))),
      },
      child,
    );

    const role = new Role(
      `${name}-role`,
      {
        // The trust policy of AWS's Lambda execution-role examples; see runbooks/tenant-provisioning.md.
        assumeRolePolicy: JSON.stringify(
          policyDocument([
            { Effect: "Allow", Principal: { Service: "lambda.amazonaws.com" }, Action: "sts:AssumeRole" },
          ]),
        ),
        description:
          "Tenant provisioner: read the master secret, manage network interfaces, write its logs and exports",
        tags: tags("role"),
      },
      child,
    );
    const policy = new RolePolicy(
      `${name}-policy`,
      {
        role: role.id,
        policy: pulumi
          .all([
            partition,
            logGroup.arn,
            pulumi.output(args.database.masterSecretArn),
            pulumi.output(args.kmsKeyArn),
            bucket.arn,
          ])
          .apply(([p, logArn, secretArn, keyArn, bucketArn]) =>
            JSON.stringify(
              provisionerPolicy({
                partition: p,
                region: args.region,
                logGroupArn: logArn,
                secretArn,
                keyArn,
                bucketArn,
              }),
            ),
          ),
      },
      child,
    );

    const bundle: Promise<HandlerBundle> = bundleHandler();
    const fn = new LambdaFunction(
      `${name}-function`,
      {
        name: functionName,
        description: "Applies the stack's tenant model to the database and verifies isolation (invoked by pulumi up)",
        runtime: "nodejs24.x",
        architectures: ["arm64"],
        handler: "index.handler",
        code: bundle.then((b) => new pulumi.asset.AssetArchive({ "index.js": new pulumi.asset.StringAsset(b.code) })),
        sourceCodeHash: bundle.then((b) => b.sha256),
        role: role.arn,
        memorySize: PROVISIONER_MEMORY_MB,
        timeout: PROVISIONER_TIMEOUT_SECONDS,
        // One at a time: two deploys (or a deploy and a purge) never interleave. The handler also takes an
        // advisory lock, which covers `npm run tenants:apply` from a workstation.
        reservedConcurrentExecutions: 1,
        vpcConfig: { subnetIds: args.subnetIds, securityGroupIds: [sg.id] },
        environment: {
          variables: {
            DB_HOST: args.database.host,
            DB_PORT: pulumi.output(args.database.port).apply(String),
            DB_NAME: args.database.name,
            MASTER_SECRET_ARN: args.database.masterSecretArn,
            EXPORT_BUCKET: bucket.bucket,
            NODE_EXTRA_CA_CERTS: "/var/runtime/ca-cert.pem",
          },
        },
        loggingConfig: {
          logFormat: "JSON",
          logGroup: logGroup.name,
          applicationLogLevel: "INFO",
          systemLogLevel: "WARN",
        },
        tags: tags("function"),
      },
      { ...child, dependsOn: [logGroup, policy] },
    );

    const event = renderProvisionerEvent({
      tenants: args.tenants,
      database: args.database.name,
      mode,
      handlerSha256: "",
    });
    const invocation = new Invocation(
      `${name}-apply`,
      {
        functionName: fn.name,
        input: provisionerEvent({ tenants: args.tenants, database: args.database.name, mode }).then((e) =>
          JSON.stringify(e),
        ),
        // create/update on every input change, and a final `delete` call that the handler answers without
        // dropping anything.
        lifecycleScope: "CRUD",
      },
      { ...child, dependsOn: egressReady },
    );

    this.functionName = fn.name;
    this.functionArn = fn.arn;
    this.securityGroupId = sg.id;
    this.exportBucketName = bucket.bucket;
    this.event = event;
    this.result = invocation.result.apply((r) => (r ? (JSON.parse(r) as unknown) : undefined));
    this.registerOutputs({
      functionName: this.functionName,
      functionArn: this.functionArn,
      securityGroupId: this.securityGroupId,
      exportBucketName: this.exportBucketName,
      result: this.result,
    });
  }
}

export interface ProvisionerPolicyInput {
  readonly partition: string;
  readonly region: string;
  readonly logGroupArn: string;
  readonly secretArn: string;
  readonly keyArn: string;
  readonly bucketArn: string;
}

/** The execution role's only permissions. Pure, so the tests read it statement by statement. */
export function provisionerPolicy(input: ProvisionerPolicyInput) {
  return policyDocument([
    {
      Sid: "WriteOwnLogs",
      Effect: "Allow",
      Action: ["logs:CreateLogStream", "logs:PutLogEvents"],
      Resource: `${input.logGroupArn}:*`,
    },
    { Sid: "ReadMasterSecret", Effect: "Allow", Action: "secretsmanager:GetSecretValue", Resource: input.secretArn },
    {
      // The master secret is encrypted with the stack key; decrypting is allowed only through Secrets Manager.
      Sid: "DecryptMasterSecretThroughSecretsManager",
      Effect: "Allow",
      Action: "kms:Decrypt",
      Resource: input.keyArn,
      Condition: { StringEquals: { "kms:ViaService": `secretsmanager.${input.region}.amazonaws.com` } },
    },
    {
      Sid: "WritePurgeExports",
      Effect: "Allow",
      Action: "s3:PutObject",
      Resource: `${input.bucketArn}/tenant-exports/*`,
    },
    {
      Sid: "EncryptPurgeExportsThroughS3",
      Effect: "Allow",
      Action: "kms:GenerateDataKey",
      Resource: input.keyArn,
      Condition: { StringEquals: { "kms:ViaService": `s3.${input.region}.amazonaws.com` } },
    },
    {
      // What Lambda needs to attach the function to the VPC (the actions of AWS's
      // AWSLambdaVPCAccessExecutionRole); EC2 does not scope these to a resource.
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
}
