import { createHash } from "crypto";
import * as pulumi from "@pulumi/pulumi";
import { Invocation } from "@pulumi/aws/lambda/invocation";
import { RolePolicy } from "@pulumi/aws/iam/rolePolicy";
import { StackContext } from "../shared/context";
import { PrivateBucket } from "../shared/privateBucket";
import { replicateBucket } from "../shared/bucketReplica";
import { ComponentArgsError, nameTags } from "../shared/naming";
import { logRetentionProblem } from "../shared/logs";
import { denyInsecureTransport, policyDocument } from "../shared/policies";
import { TenantSpec, validateTenants } from "../tenant-schemas/model";
import {
  attachToVpcStatement,
  lambdaLogGroup,
  lambdaRole,
  vpcLambdaNetwork,
  writeOwnLogsStatement,
  vpcLambdaFunction,
} from "../shared/vpcLambda";
import { provisionerBundle, provisionerEvent } from "./bundle";

export interface TenantProvisionerArgs {
  /**
   * The stack: the function is `<namePrefix>-tenant-provisioner`; its role is limited to the region's Secrets
   * Manager and S3; the log group and the export bucket are encrypted with the stack key.
   */
  readonly context: StackContext;
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
    /** The instance's DbiResourceId: a new instance (a restore swapped in) makes `pulumi up` apply again. */
    readonly resourceId: pulumi.Input<string>;
  };
  /** The stack's tenants, rendered into the Invocation's input. */
  readonly tenants: readonly TenantSpec[];
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
  /**
   * Replicate exports to the stack's disaster-recovery region (its provider and key, from the database): after a
   * purge the export is the only copy of the tenant's data.
   * @default - no replication
   */
  readonly exportReplica?: {
    readonly region: string;
    readonly provider: pulumi.ProviderResource;
    readonly kmsKeyArn: pulumi.Input<string>;
  };
}

/** The function's memory: `pg` and the catalog of 1,000 tenants fit well; more memory is also more CPU. */
const MEMORY_MB = 1024;
/** Lambda's maximum: an apply from scratch at 1,000 tenants is far inside it (docs/benchmarks.md). */
const TIMEOUT_SECONDS = 900;
const DEFAULT_EXPORT_RETENTION_DAYS = 365;

/**
 * The export bucket is named `<namePrefix>-tenant-exports-<unique id>`, so the S3 gateway endpoint's policy
 * (components/network/network.ts), written before the bucket exists, can admit exactly the stack's exports.
 */
export function exportBucketPrefix(namePrefix: string): string {
  return `${namePrefix}-tenant-exports-`;
}

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
 * `<name>-exports` (the bucket and each of its settings, components/shared/privateBucket.ts),
 * `<name>-function`, `<name>-apply`.
 */
export class TenantProvisioner extends pulumi.ComponentResource {
  public readonly functionName: pulumi.Output<string>;
  public readonly functionArn: pulumi.Output<string>;
  public readonly securityGroupId: pulumi.Output<string>;
  public readonly exportBucketName: pulumi.Output<string>;
  /** The function's report of the last apply (created, changed, suspended, orphaned, every check). */
  public readonly result: pulumi.Output<unknown>;

  constructor(name: string, args: TenantProvisionerArgs, opts?: pulumi.ComponentResourceOptions) {
    const exportRetentionDays = args.exportRetentionDays ?? DEFAULT_EXPORT_RETENTION_DAYS;
    const protectExports = args.protectExports ?? false;

    const { namePrefix, region, kmsKeyArn } = args.context;
    const problems = [...validateTenants(args.tenants)];
    const retention = logRetentionProblem("logRetentionDays", args.logRetentionDays);
    if (retention) problems.push(retention);
    if (!Number.isInteger(exportRetentionDays) || exportRetentionDays < 1 || exportRetentionDays > 3650) {
      problems.push(`exportRetentionDays: ${JSON.stringify(exportRetentionDays)} must be an integer from 1 to 3650`);
    }
    if (!/^[a-z0-9][a-z0-9-]{0,20}$/.test(namePrefix)) {
      problems.push(
        `context.namePrefix: ${JSON.stringify(namePrefix)} must be 1-21 lowercase letters, digits or '-' (the export bucket's name prefix adds "-tenant-exports-", at most 37 characters)`,
      );
    }
    if (problems.length > 0) throw new ComponentArgsError(`TenantProvisioner "${name}"`, problems);

    super("saas:tenants:TenantProvisioner", name, {}, opts);
    const child = { parent: this };
    const tags = (what: string) => nameTags(`${namePrefix}-tenant-provisioner-${what}`);
    const functionName = provisionerFunctionName(namePrefix);
    const partition = pulumi.output(args.context.partition);

    const { securityGroup: sg, egressReady } = vpcLambdaNetwork(this, name, {
      vpcId: args.vpcId,
      description: "Tenant provisioner: to the database and AWS APIs only",
      who: "the tenant provisioner",
      databaseSecurityGroupId: args.databaseSecurityGroupId,
      ...(args.endpointSecurityGroupId !== undefined ? { endpointSecurityGroupId: args.endpointSecurityGroupId } : {}),
      apis: "Secrets Manager",
      s3: { prefixListId: args.s3PrefixListId, purpose: "purge exports" },
      tags,
    });

    const logGroup = lambdaLogGroup(this, name, {
      functionName,
      retentionDays: args.logRetentionDays,
      kmsKeyArn,
      tags: tags("logs"),
    });

    // May hold the only copy of a purged tenant's data: protected in production, expired after the retention.
    const exports = new PrivateBucket(this, `${name}-exports`, {
      bucketPrefix: exportBucketPrefix(namePrefix),
      objectOwnership: "BucketOwnerEnforced",
      encryption: { kmsKeyArn },
      lifecycle: { ruleId: "expire-exports", expirationDays: exportRetentionDays, noncurrentDays: exportRetentionDays },
      forceDestroy: !protectExports,
      protect: protectExports,
      tags: tags("exports"),
    });
    const bucket = exports.bucket;
    exports.attachPolicy(bucket.arn.apply((arn) => JSON.stringify(policyDocument([denyInsecureTransport(arn)]))));
    if (args.exportReplica !== undefined) {
      replicateBucket(this, `${name}-exports`, {
        context: args.context,
        replica: args.exportReplica,
        source: exports,
        protect: protectExports,
        retentionDays: exportRetentionDays,
        ruleId: "expire-exports",
        replicationRuleId: "exports-to-dr-region",
        prefix: "tenant-exports/",
        description: "S3 replication of tenant exports to the disaster-recovery region",
        tags: tags("exports-replica"),
        roleTags: tags("exports-replication"),
      });
    }

    // The trust policy of AWS's Lambda execution-role examples; see runbooks/tenant-provisioning.md.
    const role = lambdaRole(this, name, {
      description: "Tenant provisioner: read the master secret, manage network interfaces, write its logs and exports",
      tags: tags("role"),
    });
    const policy = new RolePolicy(
      `${name}-policy`,
      {
        role: role.id,
        policy: pulumi
          .all([
            partition,
            logGroup.arn,
            pulumi.output(args.database.masterSecretArn),
            pulumi.output(kmsKeyArn),
            bucket.arn,
          ])
          .apply(([p, logArn, secretArn, keyArn, bucketArn]) =>
            JSON.stringify(
              provisionerPolicy({
                partition: p,
                region,
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

    const bundle = provisionerBundle();
    // One at a time: two deploys (or a deploy and a purge) never interleave. The handler also takes an advisory
    // lock, which covers `npm run tenants:apply` from a workstation.
    const fn = vpcLambdaFunction(this, name, {
      functionName,
      description: "Applies the stack's tenant model to the database and verifies isolation (invoked by pulumi up)",
      bundle,
      roleArn: role.arn,
      memorySize: MEMORY_MB,
      timeoutSeconds: TIMEOUT_SECONDS,
      subnetIds: args.subnetIds,
      securityGroupId: sg.id,
      logGroup,
      database: args.database,
      environment: { MASTER_SECRET_ARN: args.database.masterSecretArn, EXPORT_BUCKET: bucket.bucket },
      tags: tags("function"),
      policy,
    });

    // Every run applies (in provider mode too: it suspends what the provider's retained resources left behind).
    const input = provisionerEvent({ tenants: args.tenants, database: args.database.name, mode: "apply" }).then((e) =>
      JSON.stringify(e),
    );
    const invocation = new Invocation(
      `${name}-apply`,
      {
        functionName: fn.name,
        input,
        lifecycleScope: "CRUD",
        // Every change is a replacement, not an update: the provider stores an update's new input even when the
        // function fails (terraform-provider-aws#43447), so the next `pulumi up` would see no diff and never
        // retry; a failed create stores nothing. A replaced or restored database (a new resource id) applies
        // and verifies again too. The old Invocation's `delete` call, after the new one, changes nothing.
        triggers: {
          input: pulumi.output(input).apply((text) => createHash("sha256").update(text).digest("hex")),
          database: args.database.resourceId,
        },
      },
      { ...child, dependsOn: egressReady },
    );

    this.functionName = fn.name;
    this.functionArn = fn.arn;
    this.securityGroupId = sg.id;
    this.exportBucketName = bucket.bucket;
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
    writeOwnLogsStatement(input.logGroupArn),
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
    attachToVpcStatement(),
  ]);
}
