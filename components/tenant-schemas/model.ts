/**
 * The tenant privilege model: one pure description of every role, schema, grant, default privilege and role
 * membership that isolates the tenants of one database. The SQL renderer (sql.ts), the Pulumi component
 * (tenantSchemas.ts) and the verifier (tools/tenants/verify.ts) all read this model, so the three cannot drift.
 *
 * Naming decision: a tenant `<id>` gets the schema `tenant_<id>` AND the role `tenant_<id>`. One name for both
 * keeps audits and error messages readable (`permission denied for schema tenant_b` names the tenant), and
 * the default search_path entry `"$user"` resolves to the tenant's own schema after `SET ROLE tenant_<id>`.
 * The prefix also keeps tenant names out of the space of system names (`public`, `pg_*`, role names).
 */

export type TenantTier = "shared" | "dedicated";
/**
 * `suspended` keeps the tenant's schema, data and grants but takes away every way in: the service's `app` role
 * loses its membership (no `SET ROLE tenant_<id>`), and a dedicated tenant loses LOGIN and CONNECT.
 */
export type TenantStatus = "active" | "suspended";
export const TENANT_STATUSES: readonly TenantStatus[] = ["active", "suspended"];

/** One tenant as written in stack config. */
export interface TenantSpec {
  /** Stable identifier; becomes part of the schema and role names and of Pulumi child names. Never rename. */
  readonly id: string;
  /** Human-readable name, used only in generated SQL comments and outputs. */
  readonly displayName?: string;
  /** `dedicated` gives the tenant role LOGIN through IAM database authentication. @default "shared" */
  readonly tier?: TenantTier;
  /** Lifecycle state; removing a tenant from config is treated as `suspended` (never as a drop). @default "active" */
  readonly status?: TenantStatus;
  /**
   * Dedicated tier only: `statement_timeout` (ms) of the tenant's own logins (`ALTER ROLE … SET`). A role setting
   * takes effect when a session logs in as the role, never on `SET ROLE`, so it cannot limit a shared tenant
   * reached through `app`. @default - none (the server's setting)
   */
  readonly statementTimeoutMs?: number;
  /** Dedicated tier only: at most this many concurrent logins as the tenant role. @default - no limit */
  readonly connectionLimit?: number;
}

export interface TenantModelOptions {
  /** Role that owns every tenant schema and runs the migrations (Flyway). @default "migrator" */
  readonly migratorRole?: string;
  /** Login role of the service; reaches a tenant only after `SET ROLE tenant_<id>`. @default "app" */
  readonly appRole?: string;
}

export const DEFAULT_MIGRATOR_ROLE = "migrator";
export const DEFAULT_APP_ROLE = "app";
export const TENANT_PREFIX = "tenant_";
/** A LIKE pattern matching every tenant role and schema name (the prefix's `_` escaped, as LIKE reads `_`). */
export const TENANT_NAME_LIKE = `${TENANT_PREFIX.replace("_", "\\_")}%`;
/** RDS's built-in role that enables IAM database authentication; it carries no privileges. */
export const RDS_IAM_ROLE = "rds_iam";

export const TENANT_ID_PATTERN = /^[a-z][a-z0-9_]{1,30}$/;
const TENANT_ID_RULE = `${TENANT_ID_PATTERN.source} (lowercase letter, then 1–30 lowercase letters, digits or _)`;
const ROLE_NAME_PATTERN = /^[a-z_][a-z0-9_]{0,62}$/;
const DISPLAY_NAME_MAX = 100;
const TENANT_FIELDS = ["id", "displayName", "tier", "status", "statementTimeoutMs", "connectionLimit"] as const;
/** Bounds of the noisy-neighbour controls: a day of statement time, a thousand connections. */
export const STATEMENT_TIMEOUT_MAX_MS = 86_400_000;
export const CONNECTION_LIMIT_MAX = 1000;

/** Exact ids we refuse even though the prefix would make them harmless: they confuse people reading grants. */
const RESERVED_IDS: Readonly<Record<string, string>> = {
  public: "PostgreSQL's default schema",
  information_schema: "a PostgreSQL system schema",
  postgres: "the default superuser and maintenance database",
  rdsadmin: "the Amazon RDS administrator role",
  template0: "a PostgreSQL template database",
  template1: "a PostgreSQL template database",
};
const RESERVED_PREFIXES: Readonly<Record<string, string>> = {
  pg_: "PostgreSQL system objects",
  rds_: "Amazon RDS roles",
};

/** PostgreSQL's maintenance database: every role can CONNECT to it through PUBLIC unless that is revoked. */
export const MAINTENANCE_DATABASE = "postgres";
/**
 * Schema for the extensions only administrators read (`pg_stat_statements` sees every role's queries).
 * PUBLIC has no USAGE on it, so no tenant, `app` or `migrator` session can reach its views.
 */
export const ADMIN_SCHEMA = "admin";
/** Extensions whose objects must live in ADMIN_SCHEMA, never in `public` where PUBLIC can read them. */
export const ADMIN_EXTENSIONS = ["pg_stat_statements"] as const;
/**
 * Login role of the usage collector (components/tenant-metering/usage.ts). It logs in with an IAM token (member
 * of rds_iam, no password) and can use ADMIN_SCHEMA, where pg_stat_statements' view gives it every role's
 * counters but, without pg_read_all_stats, no other role's query text or queryid. It writes only
 * USAGE_SNAPSHOT_TABLE and holds no privilege on any tenant schema, relation or role.
 */
export const METERING_ROLE = "metering";
/** The collector's previous counters, in ADMIN_SCHEMA; only METERING_ROLE (and its owner, the operator) reads it. */
export const USAGE_SNAPSHOT_TABLE = "tenant_usage_snapshot";

export const TABLE_PRIVILEGES = ["SELECT", "INSERT", "UPDATE", "DELETE"] as const;
export const SEQUENCE_PRIVILEGES = ["USAGE", "SELECT"] as const;

export interface TenantPlan {
  readonly id: string;
  readonly displayName?: string;
  readonly tier: TenantTier;
  readonly status: TenantStatus;
  readonly roleName: string;
  readonly schemaName: string;
  /** True for an active tenant of the dedicated tier only. */
  readonly login: boolean;
  /** Dedicated tier only; see TenantSpec. */
  readonly statementTimeoutMs?: number;
  readonly connectionLimit?: number;
}

/**
 * Every item carries `key`: its stable Pulumi child name, a public contract (renaming one replaces the real
 * object). Tenant keys are `<id>-<suffix>`; platform keys use a first word that is never paired with a tenant
 * suffix, so no tenant id can collide with them.
 */
export interface RoleSpec {
  readonly key: string;
  readonly name: string;
  readonly purpose: "migrator" | "app" | "metering" | "tenant";
  readonly login: boolean;
  /**
   * `app` must be NOINHERIT: a plain `GRANT tenant_x TO app` (all @pulumi/postgresql can issue) then defaults
   * to INHERIT FALSE on PostgreSQL 16, so app holds no tenant privilege until it runs SET ROLE.
   */
  readonly inherit: boolean;
  /** A dedicated tenant's `ALTER ROLE … SET statement_timeout`, in ms. @default - none */
  readonly statementTimeoutMs?: number;
  /** `ALTER ROLE … CONNECTION LIMIT`. @default - no limit (-1) */
  readonly connectionLimit?: number;
  readonly tenantId?: string;
}

export interface SchemaSpec {
  readonly key: string;
  readonly name: string;
  readonly owner: string;
  readonly tenantId: string;
  readonly displayName?: string;
}

export interface GrantSpec {
  readonly key: string;
  readonly objectType: "database" | "schema" | "table" | "sequence";
  readonly role: string;
  /** Schema for schema/table/sequence grants; table and sequence grants cover ALL objects in it unless `objects`. */
  readonly schema?: string;
  /** Only these tables of `schema`. @default - all of them */
  readonly objects?: readonly string[];
  readonly privileges: readonly string[];
  readonly tenantId?: string;
}

/** What PUBLIC (every role, including ones created later) keeps; everything in `revoke` is taken away. */
export interface PublicAccessSpec {
  readonly key: string;
  readonly objectType: "database" | "schema";
  /** For a database lock-down: which database. @default - the tenants' database */
  readonly database?: string;
  readonly schema?: string;
  readonly keep: readonly string[];
  readonly revoke: readonly string[];
}

export interface DefaultPrivilegeSpec {
  readonly key: string;
  /** Only objects this role creates later get the privileges; Flyway runs as it. */
  readonly owner: string;
  readonly schema: string;
  readonly objectType: "table" | "sequence";
  readonly role: string;
  readonly privileges: readonly string[];
  readonly tenantId: string;
}

export interface MembershipSpec {
  readonly key: string;
  /** The role granted. */
  readonly role: string;
  /** The role that becomes a member. */
  readonly member: string;
  /** Member holds the role's privileges without SET ROLE. */
  readonly inherit: boolean;
  /** Member may SET ROLE to the role. */
  readonly set: boolean;
  /** Only meaningful on Amazon RDS (the granted role is `rds_iam`). */
  readonly rdsOnly: boolean;
  /** Undefined for a platform membership (`app` in `rds_iam`). */
  readonly tenantId?: string;
}

export interface TenantModel {
  readonly migratorRole: string;
  readonly appRole: string;
  /** The usage collector's login role (METERING_ROLE). */
  readonly meteringRole: string;
  readonly tenants: readonly TenantPlan[];
  readonly roles: readonly RoleSpec[];
  readonly schemas: readonly SchemaSpec[];
  readonly publicAccess: readonly PublicAccessSpec[];
  readonly grants: readonly GrantSpec[];
  readonly defaultPrivileges: readonly DefaultPrivilegeSpec[];
  readonly memberships: readonly MembershipSpec[];
}

export function tenantRoleName(id: string): string {
  return `${TENANT_PREFIX}${id}`;
}

export function tenantSchemaName(id: string): string {
  return `${TENANT_PREFIX}${id}`;
}

function show(value: unknown): string {
  if (value === undefined) return "undefined";
  return JSON.stringify(value) ?? String(value);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Problems with the role-name options, one message each. */
export function validateModelOptions(opts: TenantModelOptions = {}): string[] {
  const problems: string[] = [];
  const migrator = opts.migratorRole ?? DEFAULT_MIGRATOR_ROLE;
  const app = opts.appRole ?? DEFAULT_APP_ROLE;
  for (const [field, value] of [
    ["migratorRole", migrator],
    ["appRole", app],
  ] as const) {
    if (typeof value !== "string" || !ROLE_NAME_PATTERN.test(value)) {
      problems.push(
        `${field}: ${show(value)} must match ${ROLE_NAME_PATTERN.source} (lowercase PostgreSQL identifier, at most 63 characters)`,
      );
    } else if (value.startsWith("pg_") || value.startsWith(TENANT_PREFIX) || value === RDS_IAM_ROLE) {
      problems.push(
        `${field}: ${show(value)} must not start with "pg_" or "${TENANT_PREFIX}" nor be "${RDS_IAM_ROLE}"`,
      );
    }
  }
  if (migrator === app) {
    problems.push(`appRole: ${show(app)} must differ from migratorRole; the service must not own the schemas`);
  }
  for (const [field, value] of [
    ["migratorRole", migrator],
    ["appRole", app],
  ] as const) {
    if (value === METERING_ROLE) {
      problems.push(`${field}: ${show(value)} is the usage collector's role; choose another name`);
    }
  }
  return problems;
}

/**
 * Every problem in a tenant list, one message per problem naming the tenant, the bad value and what is
 * expected. An empty array means the list is valid.
 */
export function validateTenants(tenants: readonly TenantSpec[], opts: TenantModelOptions = {}): string[] {
  const list: unknown = tenants;
  if (!Array.isArray(list)) {
    return [`tenants: ${show(list)} must be an array of { id, displayName?, tier? }`];
  }
  const migrator = opts.migratorRole ?? DEFAULT_MIGRATOR_ROLE;
  const app = opts.appRole ?? DEFAULT_APP_ROLE;
  const problems: string[] = [];
  const firstIndex = new Map<string, number>();

  list.forEach((tenant: unknown, i: number) => {
    const at = `tenants[${i}]`;
    if (!isRecord(tenant)) {
      problems.push(`${at}: ${show(tenant)} must be an object { id, displayName?, tier? }`);
      return;
    }
    for (const field of Object.keys(tenant)) {
      if (!(TENANT_FIELDS as readonly string[]).includes(field)) {
        problems.push(`${at}.${field}: unknown field; expected only ${TENANT_FIELDS.join(", ")}`);
      }
    }

    const id = tenant.id;
    if (id === undefined) {
      problems.push(`${at}.id: is missing; expected a string matching ${TENANT_ID_RULE}`);
    } else if (typeof id !== "string") {
      problems.push(`${at}.id: ${show(id)} must be a string matching ${TENANT_ID_RULE}`);
    } else if (!TENANT_ID_PATTERN.test(id)) {
      problems.push(`${at}.id: ${show(id)} must match ${TENANT_ID_RULE}`);
    } else {
      const prefix = Object.keys(RESERVED_PREFIXES).find((p) => id.startsWith(p));
      if (RESERVED_IDS[id] !== undefined) {
        problems.push(`${at}.id: ${show(id)} is reserved (${RESERVED_IDS[id]}); choose another id`);
      } else if (prefix !== undefined) {
        problems.push(
          `${at}.id: ${show(id)} starts with the reserved prefix "${prefix}" (${RESERVED_PREFIXES[prefix]}); choose another id`,
        );
      }
      for (const [label, role] of [
        ["migrator role", migrator],
        ["app role", app],
        ["metering role", METERING_ROLE],
      ] as const) {
        if (id === role || tenantRoleName(id) === role) {
          problems.push(`${at}.id: ${show(id)} collides with the ${label} ${show(role)}; choose another id`);
        }
      }
      const seen = firstIndex.get(id);
      if (seen !== undefined) {
        problems.push(`${at}.id: ${show(id)} duplicates tenants[${seen}].id; tenant ids must be unique`);
      } else {
        firstIndex.set(id, i);
      }
    }

    const tier = tenant.tier;
    if (tier !== undefined && tier !== "shared" && tier !== "dedicated") {
      problems.push(`${at}.tier: ${show(tier)} must be "shared" or "dedicated" (omit it for "shared")`);
    }
    const status = tenant.status;
    if (status !== undefined && !(TENANT_STATUSES as readonly unknown[]).includes(status)) {
      problems.push(`${at}.status: ${show(status)} must be "active" or "suspended" (omit it for "active")`);
    }

    const dedicated = tier === "dedicated";
    for (const [field, max, unit] of [
      ["statementTimeoutMs", STATEMENT_TIMEOUT_MAX_MS, "milliseconds"],
      ["connectionLimit", CONNECTION_LIMIT_MAX, "connections"],
    ] as const) {
      const value = tenant[field];
      if (value === undefined) continue;
      if (typeof value !== "number" || !Number.isInteger(value) || value < 1 || value > max) {
        problems.push(`${at}.${field}: ${show(value)} must be a whole number of ${unit} from 1 to ${max}`);
      } else if (!dedicated) {
        problems.push(
          `${at}.${field}: applies only to tier "dedicated" (a role setting takes effect when the tenant logs in as its role, never through the service's SET ROLE); set tier: "dedicated" or remove ${field}`,
        );
      }
    }

    const displayName = tenant.displayName;
    if (
      displayName !== undefined &&
      (typeof displayName !== "string" ||
        displayName.trim() === "" ||
        displayName.length > DISPLAY_NAME_MAX ||
        /[\u0000-\u001f\u007f]/.test(displayName))
    ) {
      problems.push(
        `${at}.displayName: ${show(displayName)} must be a non-empty string of at most ${DISPLAY_NAME_MAX} characters without control characters`,
      );
    }
  });
  return problems;
}

/**
 * The full privilege model for `tenants`. Throws one Error listing every validation problem, so a caller
 * can never act on a half-valid list.
 */
export function buildTenantModel(tenants: readonly TenantSpec[], opts: TenantModelOptions = {}): TenantModel {
  const problems = [...validateModelOptions(opts), ...validateTenants(tenants, opts)];
  if (problems.length > 0) {
    throw new Error(`Invalid tenant configuration:\n  - ${problems.join("\n  - ")}`);
  }
  const migratorRole = opts.migratorRole ?? DEFAULT_MIGRATOR_ROLE;
  const appRole = opts.appRole ?? DEFAULT_APP_ROLE;

  const plans: TenantPlan[] = tenants.map((t) => {
    const tier = t.tier ?? "shared";
    const status = t.status ?? "active";
    return {
      id: t.id,
      ...(t.displayName !== undefined ? { displayName: t.displayName } : {}),
      tier,
      status,
      roleName: tenantRoleName(t.id),
      schemaName: tenantSchemaName(t.id),
      login: tier === "dedicated" && status === "active",
      ...(t.statementTimeoutMs !== undefined ? { statementTimeoutMs: t.statementTimeoutMs } : {}),
      ...(t.connectionLimit !== undefined ? { connectionLimit: t.connectionLimit } : {}),
    };
  });

  const roles: RoleSpec[] = [
    { key: "service-role-migrator", name: migratorRole, purpose: "migrator", login: true, inherit: true },
    { key: "service-role-app", name: appRole, purpose: "app", login: true, inherit: false },
    { key: "service-role-metering", name: METERING_ROLE, purpose: "metering", login: true, inherit: true },
  ];
  const schemas: SchemaSpec[] = [];
  const grants: GrantSpec[] = [
    { key: "connect-migrator", objectType: "database", role: migratorRole, privileges: ["CONNECT"] },
    { key: "connect-app", objectType: "database", role: appRole, privileges: ["CONNECT"] },
    { key: "connect-metering", objectType: "database", role: METERING_ROLE, privileges: ["CONNECT"] },
    // pg_stat_statements' view and functions are in the admin schema; without pg_read_all_stats the collector
    // sees every role's counters but no other role's query text (PostgreSQL 16 manual, F.32).
    {
      key: "service-metering-admin-usage",
      objectType: "schema",
      role: METERING_ROLE,
      schema: ADMIN_SCHEMA,
      privileges: ["USAGE"],
    },
    {
      key: "service-metering-snapshot",
      objectType: "table",
      role: METERING_ROLE,
      schema: ADMIN_SCHEMA,
      objects: [USAGE_SNAPSHOT_TABLE],
      privileges: TABLE_PRIVILEGES,
    },
  ];
  const defaultPrivileges: DefaultPrivilegeSpec[] = [];
  const memberships: MembershipSpec[] = [
    // The service logs in with an IAM token (rds-db:connect on dbuser:<resource id>/app); RDS accepts one only
    // from a member of rds_iam. SET FALSE: app never needs to become it.
    {
      key: "service-app-rds-iam",
      role: RDS_IAM_ROLE,
      member: appRole,
      inherit: true,
      set: false,
      rdsOnly: true,
    },
    // The collector Lambda logs in with an IAM token too (rds-db:connect on dbuser:<resource id>/metering).
    {
      key: "service-metering-rds-iam",
      role: RDS_IAM_ROLE,
      member: METERING_ROLE,
      inherit: true,
      set: false,
      rdsOnly: true,
    },
  ];

  for (const p of plans) {
    const tenantId = p.id;
    roles.push({
      key: `${p.id}-role`,
      name: p.roleName,
      purpose: "tenant",
      login: p.login,
      inherit: true,
      ...(p.statementTimeoutMs !== undefined ? { statementTimeoutMs: p.statementTimeoutMs } : {}),
      ...(p.connectionLimit !== undefined ? { connectionLimit: p.connectionLimit } : {}),
      tenantId,
    });
    schemas.push({
      key: `${p.id}-schema`,
      name: p.schemaName,
      owner: migratorRole,
      tenantId,
      ...(p.displayName !== undefined ? { displayName: p.displayName } : {}),
    });
    grants.push(
      {
        key: `${p.id}-usage`,
        objectType: "schema",
        role: p.roleName,
        schema: p.schemaName,
        privileges: ["USAGE"],
        tenantId,
      },
      {
        key: `${p.id}-tables`,
        objectType: "table",
        role: p.roleName,
        schema: p.schemaName,
        privileges: TABLE_PRIVILEGES,
        tenantId,
      },
      {
        key: `${p.id}-sequences`,
        objectType: "sequence",
        role: p.roleName,
        schema: p.schemaName,
        privileges: SEQUENCE_PRIVILEGES,
        tenantId,
      },
    );
    if (p.login) {
      // Only a session that logs in as the tenant role needs CONNECT; SET ROLE from app does not.
      grants.push({
        key: `${p.id}-connect`,
        objectType: "database",
        role: p.roleName,
        privileges: ["CONNECT"],
        tenantId,
      });
    }
    defaultPrivileges.push(
      {
        key: `${p.id}-default-tables`,
        owner: migratorRole,
        schema: p.schemaName,
        objectType: "table",
        role: p.roleName,
        privileges: TABLE_PRIVILEGES,
        tenantId,
      },
      {
        key: `${p.id}-default-sequences`,
        owner: migratorRole,
        schema: p.schemaName,
        objectType: "sequence",
        role: p.roleName,
        privileges: SEQUENCE_PRIVILEGES,
        tenantId,
      },
    );
    if (p.status === "active") {
      // Suspension is exactly the absence of this membership: app can no longer SET ROLE to the tenant.
      memberships.push({
        key: `${p.id}-app-member`,
        role: p.roleName,
        member: appRole,
        inherit: false,
        set: true,
        rdsOnly: false,
        tenantId,
      });
    }
    if (p.login) {
      // SET FALSE: a dedicated tenant's login session must not be able to become anything else, not even
      // the privilege-less rds_iam. INHERIT stays TRUE because RDS checks plain membership for IAM logins.
      memberships.push({
        key: `${p.id}-rds-iam`,
        role: RDS_IAM_ROLE,
        member: p.roleName,
        inherit: true,
        set: false,
        rdsOnly: true,
        tenantId,
      });
    }
  }

  const publicAccess: PublicAccessSpec[] = [
    // PUBLIC includes every future role, so CONNECT/TEMP must be granted by name instead.
    { key: "lockdown-database", objectType: "database", keep: [], revoke: ["CONNECT", "TEMPORARY", "CREATE"] },
    // Every cluster has it and PUBLIC may CONNECT and create TEMP tables there by default: a dedicated tenant's
    // login would otherwise reach a second database.
    {
      key: "lockdown-maintenance-database",
      objectType: "database",
      database: MAINTENANCE_DATABASE,
      keep: [],
      revoke: ["CONNECT", "TEMPORARY"],
    },
    // USAGE stays so extension functions installed in public keep working; CREATE is the attack surface.
    { key: "lockdown-public-schema", objectType: "schema", schema: "public", keep: ["USAGE"], revoke: ["CREATE"] },
  ];

  return {
    migratorRole,
    appRole,
    meteringRole: METERING_ROLE,
    tenants: plans,
    roles,
    schemas,
    publicAccess,
    grants,
    defaultPrivileges,
    memberships,
  };
}

/** Every child key of the model, in registration order; used to prove keys are unique and stable. */
export function modelKeys(model: TenantModel): string[] {
  return [
    ...model.roles.map((r) => r.key),
    ...model.schemas.map((s) => s.key),
    ...model.publicAccess.map((a) => a.key),
    ...model.grants.map((g) => g.key),
    ...model.defaultPrivileges.map((d) => d.key),
    ...model.memberships.map((m) => m.key),
  ];
}
