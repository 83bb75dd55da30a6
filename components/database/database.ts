import * as pulumi from "@pulumi/pulumi";
import { Instance } from "@pulumi/aws/rds/instance";
import { SubnetGroup } from "@pulumi/aws/rds/subnetGroup";
import { ParameterGroup } from "@pulumi/aws/rds/parameterGroup";
import { InstanceAutomatedBackupsReplication } from "@pulumi/aws/rds/instanceAutomatedBackupsReplication";
import { LogGroup } from "@pulumi/aws/cloudwatch/logGroup";
import { Role } from "@pulumi/aws/iam/role";
import { RolePolicyAttachment } from "@pulumi/aws/iam/rolePolicyAttachment";
import { Key } from "@pulumi/aws/kms/key";
import { Alias } from "@pulumi/aws/kms/alias";
import { Secret } from "@pulumi/aws/secretsmanager/secret";
import { Provider } from "@pulumi/aws/provider";
import { ComponentArgsError, nameTags } from "../shared/naming";
import { serviceTrustPolicy } from "../shared/policies";
import { logRetentionProblem } from "../shared/logs";
import { StackContext } from "../shared/context";
import { isKnownRegion } from "../network/regions";
import { INSTANCE_CLASSES, PERFORMANCE_INSIGHTS_RETENTION_DAYS, STORAGE_GIB, isKnownInstanceClass } from "./sizing";
import { backupWindowProblem, maintenanceWindowProblem, windowsOverlap } from "./windows";

/**
 * PostgreSQL major version. The instance pins the major only ("16"), not a minor: with auto minor version
 * upgrades on, RDS moves the minor in the maintenance window, and a minor pinned here would then read as drift
 * that the next `pulumi up` tries (and fails) to downgrade. The running minor is the instance's
 * `engineVersionActual`. A major upgrade is a deliberate change of this constant and of the parameter family.
 */
export const POSTGRES_MAJOR_VERSION = "16";
export const PARAMETER_GROUP_FAMILY = `postgres${POSTGRES_MAJOR_VERSION}`;
/** The RSA 2048 CA valid to 2061; clients verifying the server (sslmode=verify-full) need its bundle. */
export const CA_CERT_IDENTIFIER = "rds-ca-rsa2048-g1";
export const POSTGRES_PORT = 5432;
/** CloudWatch Logs exports: the server log (slow statements, connections, lock waits) and major-upgrade logs. */
export const LOG_EXPORTS = ["postgresql", "upgrade"] as const;
/** AWS managed policy of the enhanced monitoring role: it writes only to the RDSOSMetrics log group. */
export const ENHANCED_MONITORING_POLICY = "policy/service-role/AmazonRDSEnhancedMonitoringRole";

const IDENTIFIER = /^[a-z][a-z0-9_]{0,62}$/;
const RESERVED_NAMES = new Set(["postgres", "rdsadmin", "template0", "template1", "public"]);

/** Automated-backup replication to a second region, for disaster recovery. */
export interface BackupReplicaArgs {
  /** Region that receives the copies, e.g. `us-west-2`; not the database's own region. */
  readonly region: string;
  /** Days the replicated backups are kept, 1-35. */
  readonly retentionDays: number;
  /**
   * ARN of a KMS key in `region` that encrypts the copies.
   * @default - a key with yearly rotation created in `region`
   */
  readonly kmsKeyArn?: pulumi.Input<string>;
}

export interface DatabaseArgs {
  /**
   * The stack's name prefix (the instance identifier is `<namePrefix>-postgres`), region, account and partition
   * (the monitoring role's confused-deputy conditions), and key: storage, master secret, migrator secret,
   * Performance Insights and logs.
   */
  readonly context: StackContext;
  /** Isolated (no route out) subnets, one per zone, for the DB subnet group. */
  readonly isolatedSubnetIds: pulumi.Input<pulumi.Input<string>[]>;
  /** The database security group (the network's): it admits 5432 from the service tasks only. */
  readonly securityGroupId: pulumi.Input<string>;
  /** RDS instance class, one of INSTANCE_CLASSES (components/database/sizing.ts), e.g. `db.t4g.micro`. */
  readonly instanceClass: string;
  /** Storage allocated at creation, GiB (gp3, 20-65536). */
  readonly allocatedStorageGiB: number;
  /** Ceiling of storage autoscaling, GiB; at least `allocatedStorageGiB`. */
  readonly maxAllocatedStorageGiB: number;
  /** Days automated backups (and point-in-time recovery) reach back, 1-35. */
  readonly backupRetentionDays: number;
  /** Days the exported PostgreSQL logs are kept; one of CloudWatch Logs' retention values. */
  readonly logRetentionDays: number;
  /**
   * A standby in a second zone with synchronous replication and automatic failover.
   * @default false
   */
  readonly multiAz?: boolean;
  /**
   * Daily UTC window of the automated backup, `hh:mm-hh:mm`; must not overlap the maintenance window.
   * @default "03:00-03:30"
   */
  readonly backupWindow?: string;
  /**
   * Weekly UTC maintenance window, `ddd:hh:mm-ddd:hh:mm`; minor upgrades and pending-reboot parameters apply here.
   * @default "sun:04:00-sun:04:30"
   */
  readonly maintenanceWindow?: string;
  /**
   * Refuse deletion of the instance (through Pulumi or the console) until this is turned off.
   * @default true - turning it off is a deliberate act, done for disposable stacks
   */
  readonly deletionProtection?: boolean;
  /**
   * Delete without a final snapshot (and with the automated backups).
   * @default false - a final snapshot `<identifier>-final` is taken and the automated backups are kept
   */
  readonly skipFinalSnapshot?: boolean;
  /**
   * Name of the database created with the instance (the tenants' schemas live in it).
   * @default "app"
   */
  readonly databaseName?: string;
  /**
   * Master user name. Its password is generated and rotated by RDS in Secrets Manager; this component never
   * reads it (the composition does, as a secret, only when Pulumi manages the tenant schemas).
   * @default "dbadmin"
   */
  readonly masterUsername?: string;
  /**
   * Role name the migrator secret is for; the DBA stores that role's credentials in the secret.
   * @default "migrator"
   */
  readonly migratorUsername?: string;
  /**
   * Days Performance Insights keeps its data: 7 (free), a multiple of 31 up to 713, or 731.
   * @default 7
   */
  readonly performanceInsightsRetentionDays?: number;
  /**
   * Replicate automated backups to a second region.
   * @default - no replication
   */
  readonly backupReplica?: BackupReplicaArgs;
  /**
   * Default tags of the provider this component creates for the backup replica's region (cost tags); only used
   * with `backupReplica`.
   * @default - none
   */
  readonly providerDefaultTags?: Readonly<Record<string, string>>;
  /** Extra tags; cost tags come from the provider's defaultTags. */
  readonly tags?: Readonly<Record<string, string>>;
}

const show = (value: unknown) => JSON.stringify(value);
const isIntIn = (v: unknown, min: number, max: number): v is number =>
  typeof v === "number" && Number.isInteger(v) && v >= min && v <= max;

function identifierProblem(field: string, value: string): string | undefined {
  if (!IDENTIFIER.test(value)) {
    return `${field}: expected 1-63 lowercase letters, digits or '_', starting with a letter, got ${show(value)}`;
  }
  if (RESERVED_NAMES.has(value) || value.startsWith("pg_") || value.startsWith("rds_")) {
    return `${field}: ${show(value)} is reserved by PostgreSQL or RDS; choose another name`;
  }
  return undefined;
}

/** Problems with the arguments, one message each, in the order of the fields. */
export function validateDatabaseArgs(args: DatabaseArgs): string[] {
  const problems: string[] = [];
  if (!isKnownInstanceClass(args.instanceClass)) {
    problems.push(
      `instanceClass: expected one of ${Object.keys(INSTANCE_CLASSES).join(", ")}, got ${show(args.instanceClass)}`,
    );
  }
  const storageOk = isIntIn(args.allocatedStorageGiB, STORAGE_GIB.min, STORAGE_GIB.max);
  if (!storageOk) {
    problems.push(
      `allocatedStorageGiB: expected an integer from ${STORAGE_GIB.min} to ${STORAGE_GIB.max}, got ${show(args.allocatedStorageGiB)}`,
    );
  }
  if (!isIntIn(args.maxAllocatedStorageGiB, STORAGE_GIB.min, STORAGE_GIB.max)) {
    problems.push(
      `maxAllocatedStorageGiB: expected an integer from ${STORAGE_GIB.min} to ${STORAGE_GIB.max}, got ${show(args.maxAllocatedStorageGiB)}`,
    );
  } else if (storageOk && args.maxAllocatedStorageGiB < args.allocatedStorageGiB) {
    problems.push(
      `maxAllocatedStorageGiB: expected at least allocatedStorageGiB (${args.allocatedStorageGiB}), got ${args.maxAllocatedStorageGiB}`,
    );
  }
  if (!isIntIn(args.backupRetentionDays, 1, 35)) {
    problems.push(
      `backupRetentionDays: expected an integer from 1 to 35 (0 would turn automated backups off), got ${show(args.backupRetentionDays)}`,
    );
  }
  const retention = logRetentionProblem("logRetentionDays", args.logRetentionDays);
  if (retention) {
    problems.push(retention);
  }

  const backupProblem = args.backupWindow === undefined ? undefined : backupWindowProblem(args.backupWindow);
  if (backupProblem) {
    problems.push(`backupWindow: ${backupProblem}, got ${show(args.backupWindow)}`);
  }
  const maintenanceProblem =
    args.maintenanceWindow === undefined ? undefined : maintenanceWindowProblem(args.maintenanceWindow);
  if (maintenanceProblem) {
    problems.push(`maintenanceWindow: ${maintenanceProblem}, got ${show(args.maintenanceWindow)}`);
  }
  const backupWindow = args.backupWindow ?? DEFAULT_BACKUP_WINDOW;
  const maintenanceWindow = args.maintenanceWindow ?? DEFAULT_MAINTENANCE_WINDOW;
  if (!backupProblem && !maintenanceProblem && windowsOverlap(backupWindow, maintenanceWindow)) {
    problems.push(
      `backupWindow: ${show(backupWindow)} overlaps the maintenance window ${show(maintenanceWindow)}; RDS requires them apart`,
    );
  }
  for (const [field, value] of [
    ["databaseName", args.databaseName],
    ["masterUsername", args.masterUsername],
    ["migratorUsername", args.migratorUsername],
  ] as const) {
    const problem = value === undefined ? undefined : identifierProblem(field, value);
    if (problem) {
      problems.push(problem);
    }
  }
  if (
    args.performanceInsightsRetentionDays !== undefined &&
    !PERFORMANCE_INSIGHTS_RETENTION_DAYS.includes(args.performanceInsightsRetentionDays)
  ) {
    problems.push(
      `performanceInsightsRetentionDays: expected 7, a multiple of 31 up to 713, or 731, got ${show(args.performanceInsightsRetentionDays)}`,
    );
  }
  if (args.backupReplica) {
    const { region, retentionDays } = args.backupReplica;
    if (!isKnownRegion(region)) {
      problems.push(`backupReplica.region: expected an AWS region such as us-west-2, got ${show(region)}`);
    } else if (region === args.context.region) {
      problems.push(
        `backupReplica.region: expected a region other than the database's own (${args.context.region}), got ${show(region)}`,
      );
    }
    if (!isIntIn(retentionDays, 1, 35)) {
      problems.push(`backupReplica.retentionDays: expected an integer from 1 to 35, got ${show(retentionDays)}`);
    }
  }
  return problems;
}

export const DEFAULT_BACKUP_WINDOW = "03:00-03:30";
export const DEFAULT_MAINTENANCE_WINDOW = "sun:04:00-sun:04:30";

/**
 * The parameter group's settings. TLS is required of every client; the server log records slow statements,
 * connections and lock waits (never statement text of fast queries, which may carry tenant data); a session left
 * idle inside a transaction is ended after a minute so it cannot hold locks and the xmin horizon. Only
 * `shared_preload_libraries` and `pg_stat_statements.max` are static and wait for a reboot.
 */
export function databaseParameters(): { name: string; value: string; applyMethod: string }[] {
  return [
    { name: "rds.force_ssl", value: "1", applyMethod: "immediate" },
    { name: "log_min_duration_statement", value: "500", applyMethod: "immediate" },
    { name: "log_connections", value: "1", applyMethod: "immediate" },
    { name: "log_disconnections", value: "1", applyMethod: "immediate" },
    { name: "log_lock_waits", value: "1", applyMethod: "immediate" },
    { name: "idle_in_transaction_session_timeout", value: "60000", applyMethod: "immediate" },
    { name: "shared_preload_libraries", value: "pg_stat_statements", applyMethod: "pending-reboot" },
    // The usage collector sums pg_stat_statements per tenant role, one entry per role and statement: ~25 per tenant
    // (the service's and the provisioner's checks), so 1,000 tenants need more than the default 5,000 entries
    // before evictions lose usage (components/tenant-metering/usage.ts). ~10 MB of shared memory.
    { name: "pg_stat_statements.max", value: "25000", applyMethod: "pending-reboot" },
  ];
}

/**
 * Only RDS enhanced monitoring may assume the role, and only for this instance of this account (the
 * confused-deputy guard AWS documents for the monitoring role).
 */
export function monitoringTrustPolicy(partition: string, region: string, account: string, identifier: string) {
  return serviceTrustPolicy(
    "monitoring.rds.amazonaws.com",
    account,
    `arn:${partition}:rds:${region}:${account}:db:${identifier}`,
  );
}

/** Policy of the replica-region key: the account administers it and grants its use through IAM (RDS's grants). */
export function replicaKeyPolicy(partition: string, account: string) {
  return {
    Version: "2012-10-17",
    Statement: [
      {
        Sid: "AccountAdministration",
        Effect: "Allow",
        Principal: { AWS: `arn:${partition}:iam::${account}:root` },
        Action: "kms:*",
        Resource: "*",
      },
    ],
  };
}

/**
 * The stack's PostgreSQL: an encrypted, private RDS instance in the isolated subnets, reachable only through the
 * database security group (from the service tasks), with the master password managed by RDS in Secrets Manager,
 * IAM authentication, automated backups (optionally replicated to a second region), Performance Insights,
 * enhanced monitoring and its logs in KMS-encrypted log groups with retention.
 */
export class Database extends pulumi.ComponentResource {
  /** Host name of the instance (without the port). */
  public readonly endpoint: pulumi.Output<string>;
  public readonly port: pulumi.Output<number>;
  /** The instance identifier, e.g. `saas-dev-postgres`. */
  public readonly instanceId: pulumi.Output<string>;
  public readonly arn: pulumi.Output<string>;
  /** `db-...`: the id in `rds-db:connect` ARNs of IAM authentication. */
  public readonly resourceId: pulumi.Output<string>;
  /** The RDS-managed secret with the master user's credentials. */
  public readonly masterSecretArn: pulumi.Output<string>;
  /** The secret the DBA fills with the migrator role's credentials (`{"username","password"}`). */
  public readonly migratorSecretArn: pulumi.Output<string>;
  public readonly databaseName: pulumi.Output<string>;
  public readonly parameterGroupName: pulumi.Output<string>;
  /** ARN of the replicated automated backups in the DR region; undefined without `backupReplica`. */
  public readonly backupReplicationArn?: pulumi.Output<string>;
  /**
   * The DR region, its provider and key, when backups are replicated: what another store of the stack (the
   * tenant export bucket) replicates to, so the stack has one DR region and one DR key.
   */
  public disasterRecovery?: {
    readonly region: string;
    readonly provider: Provider;
    readonly kmsKeyArn: pulumi.Input<string>;
  };

  constructor(name: string, args: DatabaseArgs, opts?: pulumi.ComponentResourceOptions) {
    const problems = validateDatabaseArgs(args);
    if (problems.length > 0) {
      throw new ComponentArgsError(`Database "${name}"`, problems);
    }
    super("saas:database:Database", name, {}, opts);
    const multiAz = args.multiAz ?? false;
    const backupWindow = args.backupWindow ?? DEFAULT_BACKUP_WINDOW;
    const maintenanceWindow = args.maintenanceWindow ?? DEFAULT_MAINTENANCE_WINDOW;
    const deletionProtection = args.deletionProtection ?? true;
    const skipFinalSnapshot = args.skipFinalSnapshot ?? false;
    const databaseName = args.databaseName ?? "app";
    const masterUsername = args.masterUsername ?? "dbadmin";
    const migratorUsername = args.migratorUsername ?? "migrator";
    const performanceInsightsRetentionDays = args.performanceInsightsRetentionDays ?? 7;
    const prefix = args.context.namePrefix;
    const identifier = `${prefix}-postgres`;
    const tags = (suffix: string) => nameTags(`${prefix}-${suffix}`, args.tags);

    const subnetGroup = new SubnetGroup(
      `${name}-subnets`,
      {
        name: `${prefix}-db`,
        description: `${prefix}: isolated subnets of the database`,
        subnetIds: args.isolatedSubnetIds,
        tags: tags("db"),
      },
      { parent: this },
    );

    const parameterGroup = new ParameterGroup(
      `${name}-params`,
      {
        // A generated name: the description and family are ForceNew, and a replacement is created before the old
        // group is deleted, so a fixed name would collide with itself (DBParameterGroupAlreadyExists).
        namePrefix: `${prefix}-${PARAMETER_GROUP_FAMILY}-`,
        family: PARAMETER_GROUP_FAMILY,
        description: `${prefix}: TLS only, slow-statement and connection logging, pg_stat_statements`,
        parameters: databaseParameters(),
        tags: tags(PARAMETER_GROUP_FAMILY),
      },
      { parent: this },
    );

    // RDS creates the export log groups itself when missing, never-expiring and unencrypted; owning them first
    // gives them the stack's retention and key.
    const logGroups = LOG_EXPORTS.map(
      (log) =>
        new LogGroup(
          `${name}-log-${log}`,
          {
            name: `/aws/rds/instance/${identifier}/${log}`,
            retentionInDays: args.logRetentionDays,
            kmsKeyId: args.context.kmsKeyArn,
            tags: tags(`db-${log}`),
          },
          { parent: this },
        ),
    );

    const monitoringRole = new Role(
      `${name}-monitoring`,
      {
        description: `${prefix}: RDS enhanced monitoring of ${identifier}`,
        assumeRolePolicy: pulumi
          .all([args.context.partition, args.context.accountId])
          .apply(([partition, account]) =>
            JSON.stringify(monitoringTrustPolicy(partition, args.context.region, account, identifier)),
          ),
        tags: tags("db-monitoring"),
      },
      { parent: this },
    );
    const monitoringPolicy = new RolePolicyAttachment(
      `${name}-monitoring`,
      {
        role: monitoringRole.name,
        policyArn: pulumi.interpolate`arn:${args.context.partition}:iam::aws:${ENHANCED_MONITORING_POLICY}`,
      },
      { parent: this },
    );

    // The secret only; its value is set by the DBA (runbooks/database-credentials.md), never by this program,
    // so no password passes through Pulumi state.
    const migratorSecret = new Secret(
      `${name}-migrator-secret`,
      {
        name: `${prefix}/database/${migratorUsername}`,
        description: `${prefix}: credentials of the ${migratorUsername} role (Flyway), {"username","password"}; set by the DBA`,
        kmsKeyId: args.context.kmsKeyArn,
        // A fixed name cannot be reused during the default 30-day recovery window, so a disposable stack deletes
        // its secret at once; a protected one keeps the window.
        recoveryWindowInDays: deletionProtection ? 30 : 0,
        tags: tags(`db-${migratorUsername}`),
      },
      { parent: this },
    );

    const instance = new Instance(
      `${name}-instance`,
      {
        identifier,
        engine: "postgres",
        engineVersion: POSTGRES_MAJOR_VERSION,
        autoMinorVersionUpgrade: true,
        allowMajorVersionUpgrade: false,
        instanceClass: args.instanceClass,
        storageType: "gp3",
        allocatedStorage: args.allocatedStorageGiB,
        maxAllocatedStorage: args.maxAllocatedStorageGiB,
        storageEncrypted: true,
        kmsKeyId: args.context.kmsKeyArn,
        dbName: databaseName,
        username: masterUsername,
        manageMasterUserPassword: true,
        masterUserSecretKmsKeyId: args.context.kmsKeyArn,
        iamDatabaseAuthenticationEnabled: true,
        port: POSTGRES_PORT,
        dbSubnetGroupName: subnetGroup.name,
        vpcSecurityGroupIds: [args.securityGroupId],
        publiclyAccessible: false,
        multiAz,
        parameterGroupName: parameterGroup.name,
        caCertIdentifier: CA_CERT_IDENTIFIER,
        backupRetentionPeriod: args.backupRetentionDays,
        backupWindow,
        maintenanceWindow,
        copyTagsToSnapshot: true,
        deletionProtection,
        skipFinalSnapshot,
        // Deterministic, so the restore runbook can name it; a second deletion needs the first snapshot renamed.
        finalSnapshotIdentifier: skipFinalSnapshot ? undefined : `${identifier}-final`,
        // With a final snapshot the point-in-time history is kept too; a disposable stack drops both.
        deleteAutomatedBackups: skipFinalSnapshot,
        performanceInsightsEnabled: true,
        performanceInsightsKmsKeyId: args.context.kmsKeyArn,
        performanceInsightsRetentionPeriod: performanceInsightsRetentionDays,
        monitoringInterval: 60,
        monitoringRoleArn: monitoringRole.arn,
        enabledCloudwatchLogsExports: [...LOG_EXPORTS],
        tags: tags("postgres"),
      },
      // Deletion protection stops AWS deleting it; protect stops Pulumi from planning to (a removed line of code,
      // a replacement): both, where the data matters.
      { parent: this, dependsOn: [...logGroups, monitoringPolicy], protect: deletionProtection },
    );

    if (args.backupReplica) {
      this.backupReplicationArn = this.replicateBackups(name, args, args.backupReplica, instance, tags);
    }

    this.endpoint = instance.address;
    this.port = instance.port;
    this.instanceId = instance.identifier;
    this.arn = instance.arn;
    this.resourceId = instance.resourceId;
    this.masterSecretArn = instance.masterUserSecrets.apply((secrets) => secrets[0].secretArn);
    this.migratorSecretArn = migratorSecret.arn;
    this.databaseName = pulumi.output(databaseName);
    this.parameterGroupName = parameterGroup.name;
    this.registerOutputs({
      endpoint: this.endpoint,
      port: this.port,
      instanceId: this.instanceId,
      arn: this.arn,
      resourceId: this.resourceId,
      masterSecretArn: this.masterSecretArn,
      migratorSecretArn: this.migratorSecretArn,
      databaseName: this.databaseName,
      parameterGroupName: this.parameterGroupName,
      backupReplicationArn: this.backupReplicationArn,
    });
  }

  /**
   * Copies of the automated backups (and their transaction logs, so point-in-time restore works there) in the
   * DR region. The replication resource lives in the destination region, hence the explicit provider.
   */
  private replicateBackups(
    name: string,
    args: DatabaseArgs,
    replica: BackupReplicaArgs,
    instance: Instance,
    tags: (suffix: string) => Record<string, string>,
  ): pulumi.Output<string> {
    const provider = new Provider(
      `${name}-dr`,
      {
        region: replica.region,
        ...(args.providerDefaultTags ? { defaultTags: { tags: { ...args.providerDefaultTags } } } : {}),
      },
      { parent: this },
    );
    // The copies are the regional disaster-recovery plan, and the key is the only way to read them: where the
    // instance is protected, Pulumi may not plan to delete either (a removed line, a replacement, a destroy).
    const protect = args.deletionProtection ?? true;
    let keyArn = replica.kmsKeyArn;
    if (keyArn === undefined) {
      const key = new Key(
        `${name}-dr-key`,
        {
          description: `${args.context.namePrefix}: replicated database backups from ${args.context.region}`,
          enableKeyRotation: true,
          deletionWindowInDays: 30,
          policy: pulumi
            .all([args.context.partition, args.context.accountId])
            .apply(([partition, account]) => JSON.stringify(replicaKeyPolicy(partition, account))),
          tags: tags("db-dr"),
        },
        { parent: this, provider, protect },
      );
      new Alias(
        `${name}-dr-alias`,
        { name: `alias/${args.context.namePrefix}-db-dr`, targetKeyId: key.keyId },
        { parent: this, provider },
      );
      keyArn = key.arn;
    }
    this.disasterRecovery = { region: replica.region, provider, kmsKeyArn: keyArn };
    const replication = new InstanceAutomatedBackupsReplication(
      `${name}-backup-replication`,
      { sourceDbInstanceArn: instance.arn, kmsKeyId: keyArn, retentionPeriod: replica.retentionDays },
      { parent: this, provider, protect },
    );
    return replication.id;
  }
}
