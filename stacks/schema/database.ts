import { z } from "zod";
import { TenantSpec, validateTenants } from "../../components/tenant-schemas/model";
import { ConfigProblem, RawValues, defineKey, logRetentionDays, integer, isIntegerIn, shapeOf } from "./common";
import { isKnownRegion } from "../../components/network/regions";
import {
  DatabasePoolSettings,
  INSTANCE_CLASSES,
  PERFORMANCE_INSIGHTS_RETENTION_DAYS,
  STORAGE_GIB,
  connectionBudget,
  isKnownInstanceClass,
  poolSettings,
} from "../../components/database/sizing";
import { backupWindowProblem, maintenanceWindowProblem, windowsOverlap } from "../../components/database/windows";
import { FLYWAY_IMAGE, isPinnedImage } from "../../components/database/migrationTask";
import { ecrRepositoryArnOf } from "../../components/shared/fargate";

/** Configuration of the database and the tenants. */

export const TENANT_PROVISIONING_MODES = ["lambda", "provider"] as const;
export type TenantProvisioningMode = (typeof TENANT_PROVISIONING_MODES)[number];

/** Keys this project no longer reads, with what replaced them: a stack file still setting one is an error. */
export const RETIRED_DATABASE_KEYS: Readonly<Record<string, string>> = {
  databaseManageTenants:
    'replaced by saas:tenantProvisioning ("lambda" or "provider"); read runbooks/tenant-provisioning.md before switching a live stack',
};

/** Days of automated backups production needs at least: two weekly cycles of point-in-time recovery. */
export const PROD_MIN_BACKUP_RETENTION_DAYS = 14;

const windowString = (problemOf: (w: string) => string | undefined, what: string) =>
  z.string({ error: `expected ${what}` }).superRefine((value, ctx) => {
    const problem = problemOf(value);
    if (problem) {
      ctx.addIssue({ code: "custom", message: problem });
    }
  });

export const DATABASE_KEYS = [
  defineKey({
    key: "tenants",
    type: "array",
    default: [],
    description:
      "Tenants, each `{ id, displayName?, tier?, status?, statementTimeoutMs?, connectionLimit? }`: each gets its own PostgreSQL schema and role; `tier: dedicated` adds an IAM login, `status: suspended` takes every way in away and keeps the data. Removing one suspends it too (never drops). Dedicated tier only, the noisy-neighbour controls of its logins: `statementTimeoutMs` (1-86400000, the role's statement_timeout) and `connectionLimit` (1-1000, the role's CONNECTION LIMIT); a role setting takes effect at login, never through the service's SET ROLE.",
    // Checked by the tenant model's own validation (components/tenant-schemas/model.ts), the same rules the
    // component applies, so the schema only requires a list here.
    schema: z.array(z.unknown(), {
      error:
        "expected a list of tenants, each { id, displayName?, tier?, status?, statementTimeoutMs?, connectionLimit? }",
    }),
  }),
  defineKey({
    key: "tenantMigrationCanary",
    type: "array",
    items: "string",
    default: [],
    description:
      "Tenant ids (from saas:tenants) `npm run migrate` migrates first, alone; the fleet runner stops if one fails. Empty: the first tenant in saas:tenants (there is always a canary). `--tenants a,b` replaces it: the first one named is the canary.",
    schema: z.array(z.string({ error: "expected a tenant id" }), {
      error: "expected a list of tenant ids from saas:tenants, e.g. [acme]",
    }),
  }),
  defineKey({
    key: "tenantProvisioning",
    type: "string",
    default: "lambda",
    description:
      "How tenants reach the database: `lambda` (the provisioner function inside the VPC, invoked by `pulumi up`) or `provider` (@pulumi/postgresql resources, only where every `pulumi up` reaches the private database: a runner in the VPC, or an SSM tunnel and saas:databaseTunnelHost). Switching on a live stack: runbooks/tenant-provisioning.md.",
    schema: z.enum(TENANT_PROVISIONING_MODES, {
      error: `expected one of ${TENANT_PROVISIONING_MODES.join(", ")}`,
    }),
  }),
  defineKey({
    key: "tenantExportRetentionDays",
    type: "integer",
    default: 365,
    description: "Days a purged tenant's export is kept in the stack's export bucket before S3 expires it (1-3650).",
    schema: integer(1, 3650),
  }),
  defineKey({
    key: "databaseTunnelHost",
    type: "string",
    default: "",
    description:
      "Host the PostgreSQL provider connects to, e.g. localhost through an SSM port forward; empty means the instance endpoint.",
    schema: z
      .string({ error: "expected a host name" })
      .regex(/^$|^[A-Za-z0-9.-]{1,253}$/, { error: "expected a host name such as localhost (or empty)" }),
  }),
  defineKey({
    key: "databaseTunnelPort",
    type: "integer",
    default: 0,
    description: "Port the PostgreSQL provider connects to; 0 means the instance port.",
    schema: integer(0, 65535, "a port from 1 to 65535, or 0 for the instance port"),
  }),
  defineKey({
    key: "databaseName",
    type: "string",
    default: "app",
    description: "Name of the PostgreSQL database created with the instance; the tenant schemas live in it.",
    schema: z.string({ error: "expected a string" }).regex(/^[a-z][a-z0-9_]{0,62}$/, {
      error: "expected 1-63 lowercase letters, digits or '_', starting with a letter",
    }),
  }),
  defineKey({
    key: "databaseInstanceClass",
    type: "string",
    default: "db.t4g.micro",
    description:
      "RDS instance class: a db.t4g, db.m6g, db.m7g, db.r6g or db.r7g size (components/database/sizing.ts); no burstable db.t4g in prod.",
    schema: z.string({ error: "expected an RDS instance class such as db.t4g.micro" }).refine(isKnownInstanceClass, {
      error: `is not a supported instance class; expected one of ${Object.keys(INSTANCE_CLASSES).join(", ")}`,
    }),
  }),
  defineKey({
    key: "databaseAllocatedStorageGiB",
    type: "integer",
    default: 20,
    description: `gp3 storage allocated at creation, GiB (${STORAGE_GIB.min}-${STORAGE_GIB.max}).`,
    schema: integer(STORAGE_GIB.min, STORAGE_GIB.max),
  }),
  defineKey({
    key: "databaseMaxAllocatedStorageGiB",
    type: "integer",
    default: 100,
    description: "Ceiling of storage autoscaling, GiB; at least databaseAllocatedStorageGiB.",
    schema: integer(STORAGE_GIB.min, STORAGE_GIB.max),
  }),
  defineKey({
    key: "databaseMultiAz",
    type: "boolean",
    default: false,
    description: "Run a synchronous standby in a second zone with automatic failover; required in prod.",
    schema: z.boolean({ error: "expected true or false" }),
  }),
  defineKey({
    key: "databaseBackupRetentionDays",
    type: "integer",
    default: 7,
    description: `Days of automated backups and point-in-time recovery (1-35; at least ${PROD_MIN_BACKUP_RETENTION_DAYS} in prod).`,
    schema: integer(1, 35, "an integer from 1 to 35 (0 would turn automated backups off)"),
  }),
  defineKey({
    key: "databaseBackupWindow",
    type: "string",
    default: "03:00-03:30",
    description: "Daily UTC backup window hh:mm-hh:mm (30 minutes or more), apart from the maintenance window.",
    schema: windowString(backupWindowProblem, "a daily UTC window such as 03:00-03:30"),
  }),
  defineKey({
    key: "databaseMaintenanceWindow",
    type: "string",
    default: "sun:04:00-sun:04:30",
    description: "Weekly UTC maintenance window ddd:hh:mm-ddd:hh:mm; minor upgrades and reboots happen in it.",
    schema: windowString(maintenanceWindowProblem, "a weekly UTC window such as sun:04:00-sun:04:30"),
  }),
  defineKey({
    key: "databaseLogRetentionDays",
    type: "integer",
    default: 30,
    description: "Days the exported PostgreSQL and migration logs are kept; one of CloudWatch Logs' retention values.",
    schema: logRetentionDays(),
  }),
  defineKey({
    key: "databasePerformanceInsightsRetentionDays",
    type: "integer",
    default: 7,
    description: "Days Performance Insights keeps its data: 7 (free), a multiple of 31 up to 713, or 731.",
    schema: z
      .number({ error: "expected a number of days" })
      .refine((d) => PERFORMANCE_INSIGHTS_RETENTION_DAYS.includes(d), {
        error: "expected 7, a multiple of 31 up to 713, or 731",
      }),
  }),
  defineKey({
    key: "databaseBackupReplicaRegion",
    type: "string",
    default: "",
    description: "Region automated backups are replicated to for disaster recovery; empty for none.",
    schema: z.string({ error: "expected an AWS region name or empty" }).refine((r) => r === "" || isKnownRegion(r), {
      error: "is not a known AWS region (e.g. us-west-2); leave it empty for no replication",
    }),
  }),
  defineKey({
    key: "databaseBackupReplicaRetentionDays",
    type: "integer",
    default: 7,
    description: "Days the replicated backups are kept in databaseBackupReplicaRegion (1-35).",
    schema: integer(1, 35),
  }),
  defineKey({
    key: "databasePoolSize",
    type: "integer",
    default: 10,
    description:
      "Connections one service task's pool may open; × the tasks at full scale + migrator + reserved must fit max_connections.",
    schema: integer(1, 1000),
  }),
  defineKey({
    key: "databaseMigratorConnections",
    type: "integer",
    default: 6,
    description:
      "Connections kept free for the fleet migration: each Flyway run holds up to 3, so batches run at once = this ÷ 3 (at most 40); prod sets 60 to migrate 1,000 tenants within 15 minutes (docs/benchmarks.md).",
    schema: integer(1, 100),
  }),
  defineKey({
    key: "databaseMigrationImage",
    type: "string",
    default: "",
    description:
      "Prebuilt migration image (Flyway, migrations, runner), pinned by release tag or digest; empty: built here from migrations/ and pushed to the stack's ECR.",
    schema: z.string({ error: "expected an image reference" }).refine((image) => image === "" || isPinnedImage(image), {
      error: `expected an image pinned by a release tag or a digest (e.g. ${FLYWAY_IMAGE}), or empty to build it here`,
    }),
  }),
] as const;

export const databaseShape = shapeOf(DATABASE_KEYS);

export interface DatabaseConfig {
  readonly tenants: readonly TenantSpec[];
  readonly name: string;
  readonly instanceClass: string;
  readonly allocatedStorageGiB: number;
  readonly maxAllocatedStorageGiB: number;
  readonly multiAz: boolean;
  readonly backupRetentionDays: number;
  readonly backupWindow: string;
  readonly maintenanceWindow: string;
  readonly logRetentionDays: number;
  readonly performanceInsightsRetentionDays: number;
  /** Automated-backup replication for DR; undefined when databaseBackupReplicaRegion is empty. */
  readonly backupReplica?: { readonly region: string; readonly retentionDays: number };
  /** The pool of one service task, to be put in the task environment (components/database/sizing.ts). */
  readonly pool: DatabasePoolSettings;
  readonly migratorConnections: number;
  /** Tenant ids the fleet migration runs first (saas:tenantMigrationCanary); empty: the first tenant. */
  readonly migrationCanary: readonly string[];
  /** A prebuilt migration image; undefined: built here. */
  readonly migrationImage?: string;
  /** Who applies the tenant model: the provisioner function (default) or @pulumi/postgresql resources. */
  readonly tenantProvisioning: TenantProvisioningMode;
  readonly tenantExportRetentionDays: number;
  /** Where the PostgreSQL provider connects instead of the instance endpoint (an SSM port forward). */
  readonly tunnel?: { readonly host: string; readonly port?: number };
}

/** The tasks the service may scale out to: serviceMaxCount when the service area declares it, else the desired count. */
export function maxServiceTasks(saas: Readonly<Record<string, unknown>>): { count: number; key: string } | undefined {
  if (isIntegerIn(saas.serviceMaxCount, 0, 10_000)) {
    return { count: saas.serviceMaxCount, key: "saas:serviceMaxCount" };
  }
  if (saas.serviceMaxCount === undefined && isIntegerIn(saas.serviceDesiredCount, 0, 10_000)) {
    return { count: saas.serviceDesiredCount, key: "saas:serviceDesiredCount" };
  }
  return undefined;
}

/** Rules between database keys (and keys of other areas), run on the coerced values. */
export function databaseProblems(values: RawValues): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  const saas = values.saas ?? {};
  if (Array.isArray(saas.tenants)) {
    problems.push(...tenantProblems(saas.tenants as TenantSpec[]));
  }
  if (Array.isArray(saas.tenants) && Array.isArray(saas.tenantMigrationCanary)) {
    problems.push(...canaryProblems(saas.tenantMigrationCanary, saas.tenants as TenantSpec[]));
  }
  const prod = saas.environment === "prod";
  const at = (key: string) => ["saas", key];
  const allocated = saas.databaseAllocatedStorageGiB;
  const max = saas.databaseMaxAllocatedStorageGiB;
  if (
    isIntegerIn(allocated, STORAGE_GIB.min, STORAGE_GIB.max) &&
    isIntegerIn(max, STORAGE_GIB.min, STORAGE_GIB.max) &&
    max < allocated
  ) {
    problems.push({
      path: at("databaseMaxAllocatedStorageGiB"),
      message: `expected at least saas:databaseAllocatedStorageGiB (${allocated}): the autoscaling ceiling cannot be below the allocation`,
    });
  }
  const backup = saas.databaseBackupWindow;
  const maintenance = saas.databaseMaintenanceWindow;
  if (
    typeof backup === "string" &&
    typeof maintenance === "string" &&
    !backupWindowProblem(backup) &&
    !maintenanceWindowProblem(maintenance) &&
    windowsOverlap(backup, maintenance)
  ) {
    problems.push({
      path: at("databaseBackupWindow"),
      message: `expected a window apart from saas:databaseMaintenanceWindow (${maintenance}); RDS refuses overlapping windows`,
    });
  }
  const replica = saas.databaseBackupReplicaRegion;
  if (typeof replica === "string" && replica !== "" && replica === values.aws?.region) {
    problems.push({
      path: at("databaseBackupReplicaRegion"),
      message: "expected a region other than aws:region: a copy in the same region does not survive its loss",
    });
  }
  if (prod) {
    if (isIntegerIn(saas.databaseBackupRetentionDays, 1, PROD_MIN_BACKUP_RETENTION_DAYS - 1)) {
      problems.push({
        path: at("databaseBackupRetentionDays"),
        message: `expected at least ${PROD_MIN_BACKUP_RETENTION_DAYS} in prod: point-in-time recovery must reach back past two weekly cycles`,
      });
    }
    if (saas.databaseMultiAz === false) {
      problems.push({
        path: at("databaseMultiAz"),
        message:
          "expected true in prod: a single-zone instance is down for the whole of a zone outage or a host failure",
      });
    }
    const instanceClass = saas.databaseInstanceClass;
    if (isKnownInstanceClass(instanceClass) && INSTANCE_CLASSES[instanceClass].burstable) {
      problems.push({
        path: at("databaseInstanceClass"),
        message:
          "is burstable: CPU credits run out under sustained production load; use a db.m7g, db.m6g, db.r7g or db.r6g class in prod",
      });
    }
  }
  const image = saas.databaseMigrationImage;
  if (
    typeof image === "string" &&
    image !== "" &&
    isPinnedImage(image) &&
    (saas.interfaceEndpoints === true || saas.natGateways === "none") &&
    ecrRepositoryArnOf(image, "aws") === undefined
  ) {
    problems.push({
      path: at("databaseMigrationImage"),
      message:
        "is not in ECR, and this stack's tasks reach no other registry (saas:interfaceEndpoints limits their HTTPS to the " +
        "VPC endpoints, or saas:natGateways is none), so the task would fail with CannotPullContainerError; leave it " +
        "empty to build the migration image here, or push it to this account's ECR",
    });
  }
  const budget = connectionBudgetProblem(saas);
  if (budget) {
    problems.push(budget);
  }
  return problems;
}

/** Each canary tenant must be a configured tenant, named once. */
function canaryProblems(canary: readonly unknown[], tenants: readonly TenantSpec[]): ConfigProblem[] {
  const ids = tenants.map((t) => (t as { id?: unknown }).id).filter((id): id is string => typeof id === "string");
  const seen = new Set<string>();
  const problems: ConfigProblem[] = [];
  for (const [i, id] of canary.entries()) {
    if (typeof id !== "string") continue; // the key's schema reports it
    const path = ["saas", "tenantMigrationCanary", i];
    if (!ids.includes(id)) {
      problems.push({
        path,
        message: `is not a tenant in saas:tenants; expected one of its ids: ${ids.join(", ") || "(none configured)"}`,
      });
    } else if (seen.has(id)) {
      problems.push({ path, message: "is listed twice; expected each canary tenant once" });
    }
    seen.add(id);
  }
  return problems;
}

/** The connection budget as a config problem, when every input is valid and the budget does not fit. */
function connectionBudgetProblem(saas: Readonly<Record<string, unknown>>): ConfigProblem | undefined {
  const tasks = maxServiceTasks(saas);
  const { databasePoolSize: pool, databaseMigratorConnections: migrator, databaseInstanceClass: instanceClass } = saas;
  if (!tasks || !isIntegerIn(pool, 1, 1000) || !isIntegerIn(migrator, 1, 100) || !isKnownInstanceClass(instanceClass)) {
    return undefined;
  }
  const budget = connectionBudget({
    poolSize: pool,
    maxTasks: tasks.count,
    migratorConnections: migrator,
    instanceClass,
    maxTasksSource: tasks.key,
  });
  if (budget.fits) {
    return undefined;
  }
  return {
    path: ["saas", "databasePoolSize"],
    message:
      `is too large: the connection budget is exceeded: ${budget.arithmetic} > ${budget.available}, the max_connections of ` +
      `${instanceClass}; lower the pool or the task count, or choose a larger saas:databaseInstanceClass`,
  };
}

export function toDatabaseConfig(saas: z.output<z.ZodObject<typeof databaseShape>>): DatabaseConfig {
  return {
    tenants: saas.tenants as TenantSpec[],
    name: saas.databaseName,
    instanceClass: saas.databaseInstanceClass,
    allocatedStorageGiB: saas.databaseAllocatedStorageGiB,
    maxAllocatedStorageGiB: saas.databaseMaxAllocatedStorageGiB,
    multiAz: saas.databaseMultiAz,
    backupRetentionDays: saas.databaseBackupRetentionDays,
    backupWindow: saas.databaseBackupWindow,
    maintenanceWindow: saas.databaseMaintenanceWindow,
    logRetentionDays: saas.databaseLogRetentionDays,
    performanceInsightsRetentionDays: saas.databasePerformanceInsightsRetentionDays,
    backupReplica:
      saas.databaseBackupReplicaRegion === ""
        ? undefined
        : { region: saas.databaseBackupReplicaRegion, retentionDays: saas.databaseBackupReplicaRetentionDays },
    pool: poolSettings(saas.databasePoolSize),
    migratorConnections: saas.databaseMigratorConnections,
    migrationCanary: saas.tenantMigrationCanary,
    migrationImage: saas.databaseMigrationImage === "" ? undefined : saas.databaseMigrationImage,
    tenantProvisioning: saas.tenantProvisioning,
    tenantExportRetentionDays: saas.tenantExportRetentionDays,
    tunnel:
      saas.databaseTunnelHost === ""
        ? undefined
        : { host: saas.databaseTunnelHost, port: saas.databaseTunnelPort === 0 ? undefined : saas.databaseTunnelPort },
  };
}

/** The tenant model's problems as config problems: `tenants[2].id: "Acme" must match …` → `saas:tenants[2].id`. */
function tenantProblems(tenants: readonly TenantSpec[]): ConfigProblem[] {
  return validateTenants(tenants).map((text) => {
    const split = text.indexOf(": ");
    const where = text.slice(0, split);
    const path = where
      .split(/[.[\]]+/)
      .filter(Boolean)
      .map((p) => (/^\d+$/.test(p) ? Number(p) : p));
    return { path: ["saas", ...path], message: text.slice(split + 2), verbatim: true };
  });
}
