/**
 * Checks a live database against the tenant privilege model, in the catalog and by behaviour. The provisioner
 * runs it after every apply (components/tenant-plane/provision.ts); `npm run verify:tenants` runs it alone.
 *
 * Everything runs in a transaction (or a savepoint of the caller's) that is rolled back, so the verifier can
 * create probe tables as the migrator and try writes as every tenant without leaving a trace. Connect as a
 * role that can SET ROLE to the migrator, app and every tenant role: a superuser, or the RDS master user after
 * the provisioner ran (it gives itself SET, not INHERIT, on the roles it manages).
 *
 * No AWS import and no import from tools/: the Lambda bundle includes this file.
 */
import { Client, ClientBase } from "pg";
import {
  ADMIN_EXTENSIONS,
  ADMIN_SCHEMA,
  buildTenantModel,
  DEFAULT_MIGRATOR_ROLE,
  MAINTENANCE_DATABASE,
  RDS_IAM_ROLE,
  SEQUENCE_PRIVILEGES,
  TABLE_PRIVILEGES,
  TENANT_NAME_LIKE,
  TENANT_PREFIX,
  TenantModel,
  TenantModelOptions,
  TenantPlan,
  TenantSpec,
  USAGE_SNAPSHOT_TABLE,
} from "../tenant-schemas/model";
import { quoteIdent } from "./sql";

/** The tenants or options handed to a tenant-plane function are invalid; nothing was read or changed. */
export class TenantInputError extends Error {}

export interface CheckResult {
  readonly check: string;
  /** Tenant id, or "*" for a database-wide check. */
  readonly tenant: string;
  readonly expected: string;
  readonly actual: string;
  readonly ok: boolean;
}

const PROBE_TABLE = "__tenant_verify_probe";
/** Flyway's default history table: migrator-only, never the tenant's (see catalog checks). */
export const FLYWAY_HISTORY_TABLE = "flyway_schema_history";
const DML = ["SELECT", "INSERT", "UPDATE", "DELETE"] as const;
type Dml = (typeof DML)[number] | "TRUNCATE";
const SYSTEM_SCHEMA_FILTER = `n.nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast') AND n.nspname NOT LIKE 'pg\\_temp\\_%' AND n.nspname NOT LIKE 'pg\\_toast\\_temp\\_%'`;

/** The results of one group of checks, and how each is added: a check passes when actual equals expected. */
function checkList() {
  const out: CheckResult[] = [];
  const add = (check: string, tenant: string, expected: string, actual: string) =>
    out.push({ check, tenant, expected, actual, ok: expected === actual });
  return { out, add };
}

function list(values: readonly string[]): string {
  return values.length === 0 ? "none" : [...values].sort().join(", ");
}

interface TableRef {
  readonly schema: string;
  readonly name: string;
  /** A non-generated column to INSERT and UPDATE, or undefined when the table has none. */
  readonly column?: string;
}

class Session {
  constructor(private readonly client: ClientBase) {}

  async rows<T>(sql: string, params: unknown[] = []): Promise<T[]> {
    return (await this.client.query(sql, params)).rows as T[];
  }

  /** Runs `sql` as `role` inside a savepoint; returns null on success or the PostgreSQL error. */
  async attempt(role: string | null, sql: string): Promise<{ message: string; code?: string } | null> {
    await this.client.query("SAVEPOINT verify_attempt");
    try {
      if (role !== null) await this.client.query(`SET LOCAL ROLE ${quoteIdent(role)}`);
      await this.client.query(sql);
      return null;
    } catch (e) {
      const err = e as { message: string; code?: string };
      return { message: err.message, code: err.code };
    } finally {
      // Also undoes the SET LOCAL ROLE, so the next attempt starts as the connecting user. RELEASE too: a
      // savepoint left open nests the next one inside it, and each open level that wrote keeps a lock until
      // the transaction ends (thousands of attempts would fill the shared lock table).
      await this.client.query("ROLLBACK TO SAVEPOINT verify_attempt");
      await this.client.query("RELEASE SAVEPOINT verify_attempt");
    }
  }

  /**
   * Runs `sql` as `role`, then `body` while its effect stands, then undoes both: the probe tables live only as
   * long as their checks, so their locks are released at once instead of piling up until the end.
   */
  async withProbe<T>(
    role: string,
    sql: string,
    body: (err: { message: string; code?: string } | null) => Promise<T>,
  ): Promise<T> {
    await this.client.query("SAVEPOINT verify_probe");
    try {
      let err: { message: string; code?: string } | null = null;
      try {
        await this.client.query("SAVEPOINT verify_probe_create");
        await this.client.query(`SET LOCAL ROLE ${quoteIdent(role)}`);
        await this.client.query(sql);
        await this.client.query("RESET ROLE");
        await this.client.query("RELEASE SAVEPOINT verify_probe_create");
      } catch (e) {
        await this.client.query("ROLLBACK TO SAVEPOINT verify_probe_create");
        await this.client.query("RELEASE SAVEPOINT verify_probe_create");
        err = { message: (e as Error).message, code: (e as { code?: string }).code };
      }
      return await body(err);
    } finally {
      await this.client.query("ROLLBACK TO SAVEPOINT verify_probe");
      await this.client.query("RELEASE SAVEPOINT verify_probe");
    }
  }
}

function dmlStatement(op: Dml, t: TableRef): string | undefined {
  const table = `${quoteIdent(t.schema)}.${quoteIdent(t.name)}`;
  // WHERE false: the privilege check happens at executor start, constraints never see a row.
  switch (op) {
    case "SELECT":
      return `SELECT * FROM ${table} WHERE false`;
    case "INSERT":
      // OVERRIDING SYSTEM VALUE and a non-generated column keep identity/generated columns from failing
      // the statement before the privilege check is reached.
      return t.column === undefined
        ? undefined
        : `INSERT INTO ${table} (${quoteIdent(t.column)}) OVERRIDING SYSTEM VALUE SELECT ${quoteIdent(t.column)} FROM ${table} WHERE false`;
    case "UPDATE":
      return t.column === undefined ? undefined : `UPDATE ${table} SET ${quoteIdent(t.column)} = DEFAULT WHERE false`;
    case "DELETE":
      return `DELETE FROM ${table} WHERE false`;
    case "TRUNCATE":
      return `TRUNCATE ${table}`;
  }
}

async function tablesIn(s: Session, schemas: readonly string[]): Promise<TableRef[]> {
  return s.rows<TableRef>(
    `SELECT n.nspname AS schema, c.relname AS name,
            (SELECT a.attname FROM pg_catalog.pg_attribute a
              WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped AND a.attgenerated = '' ORDER BY a.attnum LIMIT 1) AS column
       FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname = ANY($1) AND c.relkind IN ('r', 'p')
      ORDER BY 1, 2`,
    [schemas],
  );
}

/** Tenants present in the database: schemas named tenant_* owned by the migrator, tier from the role's LOGIN. */
export async function discoverTenants(client: ClientBase, opts: TenantModelOptions = {}): Promise<TenantSpec[]> {
  const rows = (
    await client.query<{ id: string; login: boolean | null }>(
      `SELECT substr(n.nspname, $2) AS id, r.rolcanlogin AS login
         FROM pg_catalog.pg_namespace n
         LEFT JOIN pg_catalog.pg_roles r ON r.rolname = n.nspname
        WHERE n.nspname LIKE $1 AND pg_catalog.pg_get_userbyid(n.nspowner) = $3
        ORDER BY 1`,
      [TENANT_NAME_LIKE, TENANT_PREFIX.length + 1, opts.migratorRole ?? DEFAULT_MIGRATOR_ROLE],
    )
  ).rows;
  return rows.map((r) => ({ id: r.id, tier: r.login ? "dedicated" : "shared" }));
}

async function catalogChecks(
  s: Session,
  model: TenantModel,
  database: string,
  inScope: (t: TenantPlan) => boolean,
): Promise<CheckResult[]> {
  const { out, add } = checkList();
  const { migratorRole: migrator, appRole: app } = model;
  const tenantRoles = model.tenants.map((t) => t.roleName);

  const [db] = await s.rows<{ connect: boolean; temp: boolean; create: boolean }>(
    `SELECT has_database_privilege('public', $1, 'CONNECT') AS connect,
            has_database_privilege('public', $1, 'TEMPORARY') AS temp,
            has_database_privilege('public', $1, 'CREATE') AS create`,
    [database],
  );
  add(
    "catalog: PUBLIC privileges on database",
    "*",
    "none",
    list([db.connect && "CONNECT", db.temp && "TEMPORARY", db.create && "CREATE"].filter((x): x is string => !!x)),
  );

  const [maintenance] = await s.rows<{ connect: boolean; temp: boolean } | undefined>(
    `SELECT has_database_privilege('public', d.oid, 'CONNECT') AS connect,
            has_database_privilege('public', d.oid, 'TEMPORARY') AS temp
       FROM pg_catalog.pg_database d WHERE d.datname = $1`,
    [MAINTENANCE_DATABASE],
  );
  if (maintenance !== undefined && database !== MAINTENANCE_DATABASE) {
    add(
      `catalog: PUBLIC privileges on database ${MAINTENANCE_DATABASE}`,
      "*",
      "none",
      list([maintenance.connect && "CONNECT", maintenance.temp && "TEMPORARY"].filter((x): x is string => !!x)),
    );
  }

  // pg_stat_statements shows every role's query texts; its views are granted to PUBLIC by the extension.
  const extensions = await s.rows<{ extname: string; schema: string }>(
    `SELECT e.extname, n.nspname AS schema FROM pg_catalog.pg_extension e
       JOIN pg_catalog.pg_namespace n ON n.oid = e.extnamespace WHERE e.extname = ANY($1)`,
    [[...ADMIN_EXTENSIONS]],
  );
  for (const e of extensions) {
    add(`catalog: extension ${e.extname} schema`, "*", ADMIN_SCHEMA, e.schema);
  }
  const [adminSchema] = await s.rows<{ readers: string[] }>(
    `SELECT ARRAY(SELECT r FROM unnest(ARRAY['public', $2, $3]::text[]) r
                   WHERE has_schema_privilege(r, n.oid, 'USAGE')) AS readers
       FROM pg_catalog.pg_namespace n WHERE n.nspname = $1`,
    [ADMIN_SCHEMA, app, migrator],
  );
  if (adminSchema !== undefined) {
    add(`catalog: roles that can use schema ${ADMIN_SCHEMA}`, "*", "none", list(adminSchema.readers));
  }

  // The service may become exactly the active tenants: a suspended or orphaned tenant's role is out of reach.
  const reachable = await s.rows<{ rolname: string }>(
    `SELECT r.rolname FROM pg_catalog.pg_roles r
      WHERE r.rolname LIKE $2 AND pg_has_role((SELECT oid FROM pg_catalog.pg_roles WHERE rolname = $1), r.oid, 'MEMBER')`,
    [app, TENANT_NAME_LIKE],
  );
  add(
    `catalog: tenant roles ${app} can become`,
    "*",
    list(model.tenants.filter((t) => t.status === "active").map((t) => t.roleName)),
    list(reachable.map((r) => r.rolname)),
  );
  const logins = await s.rows<{ rolname: string }>(
    `SELECT rolname FROM pg_catalog.pg_roles WHERE rolname LIKE $1 AND rolcanlogin`,
    [TENANT_NAME_LIKE],
  );
  add(
    "catalog: tenant roles that can log in",
    "*",
    list(model.tenants.filter((t) => t.login).map((t) => t.roleName)),
    list(logins.map((r) => r.rolname)),
  );

  // Set-based sweeps over every tenant, whatever the scope: a direct grant to a tenant role on another tenant's
  // schema or relations, and a tenant role that is a member of another.
  // One pass over every tenant schema's and relation's ACL: a grant to PUBLIC, or to a tenant role other than
  // the object's own, reaches across tenants.
  const aclGrants = await s.rows<{ grantee: string; object: string }>(
    `SELECT DISTINCT CASE WHEN x.grantee = 0 THEN 'PUBLIC' ELSE x.grantee::regrole::text END AS grantee, o.name AS object
       FROM (SELECT n.nspname AS owner_schema, format('schema %I', n.nspname) AS name, n.nspacl AS acl
               FROM pg_catalog.pg_namespace n WHERE n.nspname LIKE $1
             UNION ALL
             SELECT n.nspname, format('%I.%I', n.nspname, c.relname), c.relacl
               FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
              WHERE n.nspname LIKE $1) o
       CROSS JOIN LATERAL aclexplode(o.acl) x
      WHERE x.grantee = 0 OR (x.grantee::regrole::text LIKE $1 AND x.grantee::regrole::text <> o.owner_schema)
      ORDER BY 1, 2`,
    [TENANT_NAME_LIKE],
  );
  add(
    "catalog: grants to a tenant role on another tenant's objects",
    "*",
    "none",
    list(aclGrants.filter((g) => g.grantee !== "PUBLIC").map((g) => `${g.grantee} on ${g.object}`)),
  );
  add(
    "catalog: tenant objects granted to PUBLIC",
    "*",
    "none",
    list([...new Set(aclGrants.filter((g) => g.grantee === "PUBLIC").map((g) => g.object))]),
  );
  const crossMembers = await s.rows<{ pair: string }>(
    `SELECT format('%s in %s', m.rolname, r.rolname) AS pair
       FROM pg_catalog.pg_auth_members am
       JOIN pg_catalog.pg_roles r ON r.oid = am.roleid
       JOIN pg_catalog.pg_roles m ON m.oid = am.member
      WHERE r.rolname LIKE $1 AND m.rolname LIKE $1 ORDER BY 1`,
    [TENANT_NAME_LIKE],
  );
  add(
    "catalog: tenant roles that are members of another tenant role",
    "*",
    "none",
    list(crossMembers.map((r) => r.pair)),
  );
  // The rest of the fleet-wide sweeps: what a migration could add to any tenant schema that the per-tenant
  // checks would catch, in one query each, so a run that checks only the tenants it touched still sees them.
  const foreignSchemas = await s.rows<{ grant: string }>(
    `SELECT DISTINCT format('%s on schema %I', CASE WHEN x.grantee = 0 THEN 'PUBLIC' ELSE x.grantee::regrole::text END,
                            n.nspname) AS grant
       FROM pg_catalog.pg_namespace n CROSS JOIN LATERAL aclexplode(n.nspacl) x
      WHERE ${SYSTEM_SCHEMA_FILTER} AND n.nspname NOT LIKE $1 AND n.nspname <> 'public' AND x.privilege_type = 'USAGE'
        AND (x.grantee = 0 OR x.grantee::regrole::text LIKE $1)
      ORDER BY 1`,
    [TENANT_NAME_LIKE],
  );
  add(
    "catalog: other schemas a tenant role (or PUBLIC) can use",
    "*",
    "none",
    list(foreignSchemas.map((r) => r.grant)),
  );
  const fleetDefiners = await s.rows<{ name: string }>(
    `SELECT p.oid::regprocedure::text AS name FROM pg_catalog.pg_proc p
       JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname LIKE $1 AND p.prosecdef ORDER BY 1`,
    [TENANT_NAME_LIKE],
  );
  add("catalog: SECURITY DEFINER functions in any tenant schema", "*", "none", list(fleetDefiners.map((r) => r.name)));
  // A view runs with its owner's (the migrator's) privileges, which reach every tenant.
  const fleetViews = await s.rows<{ name: string }>(
    `SELECT DISTINCT format('%I.%I -> %I.%I', vn.nspname, v.relname, tn.nspname, t.relname) AS name
       FROM pg_catalog.pg_class v
       JOIN pg_catalog.pg_namespace vn ON vn.oid = v.relnamespace
       JOIN pg_catalog.pg_rewrite rw ON rw.ev_class = v.oid
       JOIN pg_catalog.pg_depend d ON d.classid = 'pg_catalog.pg_rewrite'::regclass AND d.objid = rw.oid
                                  AND d.refclassid = 'pg_catalog.pg_class'::regclass
       JOIN pg_catalog.pg_class t ON t.oid = d.refobjid
       JOIN pg_catalog.pg_namespace tn ON tn.oid = t.relnamespace
      WHERE vn.nspname LIKE $1 AND v.relkind IN ('v', 'm') AND tn.oid <> vn.oid
        AND tn.nspname NOT IN ('pg_catalog', 'information_schema')
      ORDER BY 1`,
    [TENANT_NAME_LIKE],
  );
  add("catalog: views in any tenant schema reaching other schemas", "*", "none", list(fleetViews.map((r) => r.name)));
  const writableHistory = await s.rows<{ name: string }>(
    `SELECT format('%I.%I', n.nspname, c.relname) AS name
       FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
       JOIN pg_catalog.pg_roles r ON r.rolname = n.nspname
      WHERE n.nspname LIKE $1 AND c.relname = $2
        AND has_table_privilege(r.oid, c.oid, 'INSERT, UPDATE, DELETE, TRUNCATE') ORDER BY 1`,
    [TENANT_NAME_LIKE, FLYWAY_HISTORY_TABLE],
  );
  add("catalog: Flyway histories their tenant can write", "*", "none", list(writableHistory.map((r) => r.name)));

  const creators = await s.rows<{ rolname: string }>(
    `SELECT 'PUBLIC' AS rolname WHERE has_schema_privilege('public', 'public', 'CREATE')
     UNION ALL
     SELECT rolname FROM pg_catalog.pg_roles WHERE rolname = ANY($1) AND has_schema_privilege(rolname, 'public', 'CREATE')`,
    [[migrator, app, ...tenantRoles]],
  );
  add("catalog: CREATE on schema public", "*", "none", list(creators.map((r) => r.rolname)));

  const schemaCreators = await s.rows<{ rolname: string }>(
    `SELECT rolname FROM pg_catalog.pg_roles WHERE rolname = ANY($1) AND has_database_privilege(rolname, $2, 'CREATE')`,
    [[app, ...tenantRoles], database],
  );
  add("catalog: CREATE on database (new schemas)", "*", "none", list(schemaCreators.map((r) => r.rolname)));

  const service = await s.rows<{ rolname: string; rolinherit: boolean; connect: boolean }>(
    `SELECT rolname, rolinherit, has_database_privilege(rolname, $2, 'CONNECT') AS connect
       FROM pg_catalog.pg_roles WHERE rolname = ANY($1)`,
    [[migrator, app], database],
  );
  for (const role of [migrator, app]) {
    const r = service.find((x) => x.rolname === role);
    add(
      `catalog: ${role} exists with CONNECT`,
      "*",
      "yes",
      r === undefined ? "missing" : r.connect ? "yes" : "no CONNECT",
    );
  }
  const appRow = service.find((x) => x.rolname === app);
  add(`catalog: ${app} is NOINHERIT`, "*", "NOINHERIT", appRow?.rolinherit === false ? "NOINHERIT" : "INHERIT");
  const [appMigrator] = await s.rows<{ member: boolean }>(
    `SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_roles a, pg_catalog.pg_roles m
                     WHERE a.rolname = $1 AND m.rolname = $2 AND pg_has_role(a.oid, m.oid, 'MEMBER')) AS member`,
    [app, migrator],
  );
  add(`catalog: ${app} can become ${migrator}`, "*", "no", appMigrator.member ? "yes" : "no");

  const rdsIam = await s.rows<{ schemas: string[] }>(
    `SELECT ARRAY(SELECT n.nspname::text FROM pg_catalog.pg_namespace n
                   WHERE ${SYSTEM_SCHEMA_FILTER} AND n.nspname <> 'public' AND has_schema_privilege(r.oid, n.oid, 'USAGE')) AS schemas
       FROM pg_catalog.pg_roles r WHERE r.rolname = $1`,
    [RDS_IAM_ROLE],
  );
  if (rdsIam.length > 0) {
    add(`catalog: schemas ${RDS_IAM_ROLE} can use`, "*", "none", list(rdsIam[0].schemas));
    // Without it RDS refuses the service's IAM token: the service could not log in at all.
    if (model.memberships.some((m) => m.member === app && m.role === RDS_IAM_ROLE)) {
      const [appIam] = await s.rows<{ member: boolean }>(
        `SELECT pg_has_role((SELECT oid FROM pg_catalog.pg_roles WHERE rolname = $1),
                            (SELECT oid FROM pg_catalog.pg_roles WHERE rolname = $2), 'MEMBER') AS member`,
        [app, RDS_IAM_ROLE],
      );
      add(`catalog: ${app} is a member of ${RDS_IAM_ROLE}`, "*", "yes", appIam?.member ? "yes" : "no");
    }
  }

  out.push(...(await meteringCatalogChecks(s, model, database, rdsIam.length > 0)));
  for (const t of model.tenants) {
    if (inScope(t)) out.push(...(await tenantCatalogChecks(s, model, t, database)));
  }
  return out;
}

/**
 * The usage collector's login sees statistics and sizes, and no tenant data: no privilege on any tenant schema
 * or relation, no tenant role to become, no pg_read_all_stats (so no other role's query text), and it writes
 * only its snapshot table.
 */
async function meteringCatalogChecks(
  s: Session,
  model: TenantModel,
  database: string,
  onRds: boolean,
): Promise<CheckResult[]> {
  const { out, add } = checkList();
  const metering = model.meteringRole;
  const [role] = await s.rows<{ attrs: string; connect: boolean }>(
    `SELECT concat_ws(' ', CASE WHEN rolcanlogin THEN 'LOGIN' ELSE 'NOLOGIN' END,
                      CASE WHEN rolsuper THEN 'SUPERUSER' END, CASE WHEN rolcreaterole THEN 'CREATEROLE' END,
                      CASE WHEN rolcreatedb THEN 'CREATEDB' END, CASE WHEN rolreplication THEN 'REPLICATION' END,
                      CASE WHEN rolbypassrls THEN 'BYPASSRLS' END) AS attrs,
            has_database_privilege(oid, $2, 'CONNECT') AS connect
       FROM pg_catalog.pg_roles WHERE rolname = $1`,
    [metering, database],
  );
  add(`catalog: role ${metering} attributes`, "*", "LOGIN", role?.attrs ?? "missing");
  if (role === undefined) return out;
  add(`catalog: ${metering} CONNECT on database`, "*", "yes", role.connect ? "yes" : "no");
  const memberOf = await s.rows<{ rolname: string }>(
    `SELECT r.rolname FROM pg_catalog.pg_roles r
      WHERE r.rolname <> $1 AND pg_has_role((SELECT oid FROM pg_catalog.pg_roles WHERE rolname = $1), r.oid, 'MEMBER')`,
    [metering],
  );
  add(
    `catalog: roles ${metering} is a member of`,
    "*",
    onRds ? RDS_IAM_ROLE : "none",
    list(memberOf.map((r) => r.rolname)),
  );
  const schemas = await s.rows<{ nspname: string }>(
    `SELECT n.nspname FROM pg_catalog.pg_namespace n
      WHERE ${SYSTEM_SCHEMA_FILTER} AND n.nspname <> 'public' AND has_schema_privilege($1, n.oid, 'USAGE')`,
    [metering],
  );
  add(`catalog: schemas ${metering} can use`, "*", ADMIN_SCHEMA, list(schemas.map((r) => r.nspname)));
  const creates = await s.rows<{ nspname: string }>(
    `SELECT n.nspname FROM pg_catalog.pg_namespace n
      WHERE ${SYSTEM_SCHEMA_FILTER} AND has_schema_privilege($1, n.oid, 'CREATE')`,
    [metering],
  );
  add(`catalog: schemas ${metering} can create in`, "*", "none", list(creates.map((r) => r.nspname)));
  const tenantRelations = await s.rows<{ rel: string }>(
    `SELECT format('%I.%I', n.nspname, c.relname) AS rel
       FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname LIKE $2 AND c.relkind IN ('r', 'p', 'v', 'm', 'f', 'S')
        AND (CASE WHEN c.relkind = 'S' THEN has_sequence_privilege($1, c.oid, 'USAGE, SELECT, UPDATE')
                  ELSE has_table_privilege($1, c.oid, 'SELECT, INSERT, UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER')
             END OR has_any_column_privilege($1, c.oid, 'SELECT, INSERT, UPDATE, REFERENCES'))`,
    [metering, TENANT_NAME_LIKE],
  );
  add(`catalog: ${metering} privileges on tenant relations`, "*", "none", list(tenantRelations.map((r) => r.rel)));
  const writable = await s.rows<{ rel: string }>(
    `SELECT format('%I.%I', n.nspname, c.relname) AS rel
       FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
      WHERE ${SYSTEM_SCHEMA_FILTER} AND c.relkind IN ('r', 'p', 'v', 'm', 'f')
        AND has_table_privilege($1, c.oid, 'INSERT, UPDATE, DELETE, TRUNCATE, TRIGGER')`,
    [metering],
  );
  add(
    `catalog: relations ${metering} can write`,
    "*",
    `${ADMIN_SCHEMA}.${USAGE_SNAPSHOT_TABLE}`,
    list(writable.map((r) => r.rel)),
  );
  return out;
}

async function tenantCatalogChecks(
  s: Session,
  model: TenantModel,
  t: TenantPlan,
  database: string,
): Promise<CheckResult[]> {
  const list_ = checkList();
  const out = list_.out;
  const add = (check: string, expected: string, actual: string) => list_.add(check, t.id, expected, actual);
  const { migratorRole: migrator, appRole: app } = model;

  const [role] = await s.rows<{ attrs: string; connect: boolean }>(
    `SELECT concat_ws(' ', CASE WHEN rolcanlogin THEN 'LOGIN' ELSE 'NOLOGIN' END,
                      CASE WHEN rolsuper THEN 'SUPERUSER' END, CASE WHEN rolcreaterole THEN 'CREATEROLE' END,
                      CASE WHEN rolcreatedb THEN 'CREATEDB' END, CASE WHEN rolreplication THEN 'REPLICATION' END,
                      CASE WHEN rolbypassrls THEN 'BYPASSRLS' END) AS attrs,
            has_database_privilege(oid, $2, 'CONNECT') AS connect
       FROM pg_catalog.pg_roles WHERE rolname = $1`,
    [t.roleName, database],
  );
  add(`catalog: role ${t.roleName} attributes`, t.login ? "LOGIN" : "NOLOGIN", role?.attrs ?? "missing");
  if (role === undefined) return out;
  add(`catalog: ${t.roleName} CONNECT on database`, t.login ? "yes" : "no", role.connect ? "yes" : "no");

  const [schema] = await s.rows<{ owner: string }>(
    `SELECT pg_catalog.pg_get_userbyid(nspowner) AS owner FROM pg_catalog.pg_namespace WHERE nspname = $1`,
    [t.schemaName],
  );
  add(`catalog: schema ${t.schemaName} owner`, migrator, schema?.owner ?? "missing");

  const usable = await s.rows<{ nspname: string }>(
    `SELECT n.nspname FROM pg_catalog.pg_namespace n
      WHERE ${SYSTEM_SCHEMA_FILTER} AND n.nspname <> 'public' AND has_schema_privilege($1, n.oid, 'USAGE')`,
    [t.roleName],
  );
  add("catalog: schemas the tenant role can use", schema ? t.schemaName : "none", list(usable.map((r) => r.nspname)));

  const foreign = await s.rows<{ rel: string }>(
    `SELECT format('%I.%I', n.nspname, c.relname) AS rel
       FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
      WHERE ${SYSTEM_SCHEMA_FILTER} AND n.nspname <> $2 AND c.relkind IN ('r', 'p', 'v', 'm', 'f', 'S')
        -- The admin extensions' own views, which the extension grants to PUBLIC: the schema around them is the
        -- guard (check "roles that can use schema admin"), so they are not a tenant's privilege on another schema.
        AND NOT (n.nspname = $3 AND EXISTS (
              SELECT 1 FROM pg_catalog.pg_depend d JOIN pg_catalog.pg_extension e ON e.oid = d.refobjid
               WHERE d.classid = 'pg_catalog.pg_class'::regclass AND d.objid = c.oid AND d.deptype = 'e'
                 AND e.extname = ANY($4)))
        AND (CASE WHEN c.relkind = 'S' THEN has_sequence_privilege($1, c.oid, 'USAGE, SELECT, UPDATE')
                  ELSE has_table_privilege($1, c.oid, 'SELECT, INSERT, UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER')
             END OR has_any_column_privilege($1, c.oid, 'SELECT, INSERT, UPDATE, REFERENCES'))`,
    [t.roleName, t.schemaName, ADMIN_SCHEMA, [...ADMIN_EXTENSIONS]],
  );
  add("catalog: privileges on other schemas' relations", "none", list(foreign.map((r) => r.rel)));

  const missing = await s.rows<{ rel: string }>(
    `SELECT format('%I.%I', n.nspname, c.relname) AS rel
       FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname = $2 AND c.relname <> $3 AND c.relname <> $6 AND
            CASE WHEN c.relkind = 'S' THEN NOT has_sequence_privilege($1, c.oid, $4)
                 WHEN c.relkind IN ('r', 'p', 'v', 'm', 'f') THEN NOT has_table_privilege($1, c.oid, $5)
                 ELSE false END`,
    [
      t.roleName,
      t.schemaName,
      PROBE_TABLE,
      SEQUENCE_PRIVILEGES.join(", "),
      TABLE_PRIVILEGES.join(", "),
      FLYWAY_HISTORY_TABLE,
    ],
  );
  add("catalog: own tables/sequences missing a grant", "none", list(missing.map((r) => r.rel)));

  // Flyway keeps its history in the schema it migrates; a tenant that could write it could make a migration
  // be skipped or run again. The afterMigrate callback (runbooks/database-migrations.md) takes it back.
  const history = await s.rows<{ writable: boolean }>(
    `SELECT has_table_privilege($1, c.oid, 'INSERT, UPDATE, DELETE, TRUNCATE') AS writable
       FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname = $2 AND c.relname = $3`,
    [t.roleName, t.schemaName, FLYWAY_HISTORY_TABLE],
  );
  if (history.length > 0) {
    add(
      "catalog: Flyway history writable by the tenant",
      "no",
      history[0].writable ? "yes: ship the afterMigrate callback (runbooks/database-migrations.md)" : "no",
    );
  }

  const defaults = await s.rows<{ objtype: string; grantee: string; privileges: string }>(
    `SELECT d.defaclobjtype AS objtype, coalesce(g.rolname, 'PUBLIC') AS grantee,
            string_agg(x.privilege_type, ', ' ORDER BY x.privilege_type) AS privileges
       FROM pg_catalog.pg_default_acl d
       JOIN pg_catalog.pg_namespace n ON n.oid = d.defaclnamespace
       CROSS JOIN LATERAL aclexplode(d.defaclacl) x
       LEFT JOIN pg_catalog.pg_roles g ON g.oid = x.grantee
      WHERE n.nspname = $1 AND pg_catalog.pg_get_userbyid(d.defaclrole) = $2
      GROUP BY 1, 2`,
    [t.schemaName, migrator],
  );
  for (const [objtype, label, privileges] of [
    ["r", "tables", TABLE_PRIVILEGES],
    ["S", "sequences", SEQUENCE_PRIVILEGES],
  ] as const) {
    const rows = defaults.filter((d) => d.objtype === objtype);
    add(
      `catalog: default privileges for ${label} created by ${migrator}`,
      `${t.roleName}: ${list([...privileges])}`,
      rows.length === 0 ? "none" : rows.map((r) => `${r.grantee}: ${r.privileges}`).join("; "),
    );
  }

  const appGrants = await s.rows<{ opts: string }>(
    `SELECT format('INHERIT %s, SET %s', upper(m.inherit_option::text), upper(m.set_option::text)) AS opts
       FROM pg_catalog.pg_auth_members m
      WHERE m.roleid = (SELECT oid FROM pg_catalog.pg_roles WHERE rolname = $1)
        AND m.member = (SELECT oid FROM pg_catalog.pg_roles WHERE rolname = $2)`,
    [t.roleName, app],
  );
  add(
    `catalog: ${app} membership in ${t.roleName}`,
    t.status === "active" ? "INHERIT FALSE, SET TRUE" : "none",
    appGrants.length === 0 ? "none" : [...new Set(appGrants.map((g) => g.opts))].join("; "),
  );

  // Anyone holding the tenant's privileges without SET ROLE reads its data silently.
  const inheritors = await s.rows<{ rolname: string }>(
    `SELECT r.rolname FROM pg_catalog.pg_roles r
      WHERE r.rolname <> $1 AND NOT r.rolsuper AND pg_has_role(r.oid, (SELECT oid FROM pg_catalog.pg_roles WHERE rolname = $1), 'USAGE')`,
    [t.roleName],
  );
  add("catalog: roles inheriting the tenant's privileges", "none", list(inheritors.map((r) => r.rolname)));

  // rds_iam has no privileges (checked above), so only it may appear.
  const setTargets = await s.rows<{ rolname: string }>(
    `SELECT r.rolname FROM pg_catalog.pg_roles r
      WHERE r.rolname NOT IN ($1, $2) AND pg_has_role((SELECT oid FROM pg_catalog.pg_roles WHERE rolname = $1), r.oid, 'MEMBER')`,
    [t.roleName, RDS_IAM_ROLE],
  );
  add("catalog: roles the tenant can become", "none", list(setTargets.map((r) => r.rolname)));

  return out;
}

/**
 * Up to this many tenants, every tenant attacks every other tenant's tables. Beyond it, each attacks its two
 * neighbours in config order: the attacks are N² statements, and the catalog check "privileges on other
 * schemas' relations" already covers every pair exhaustively, so the attacks confirm by behaviour what the
 * catalog says (1,000 tenants: ~10,000 statements instead of ~10 million).
 */
export const EXHAUSTIVE_ATTACK_LIMIT = 10;

function attackTargets(order: readonly string[], i: number): Set<string> {
  if (order.length <= EXHAUSTIVE_ATTACK_LIMIT) return new Set(order.filter((_, j) => j !== i));
  return new Set([order[(i + 1) % order.length], order[(i + order.length - 1) % order.length]]);
}

async function behaviourChecks(
  s: Session,
  model: TenantModel,
  inScope: (t: TenantPlan) => boolean,
): Promise<CheckResult[]> {
  const { out, add } = checkList();
  const { migratorRole: migrator, appRole: app } = model;
  const tables = await tablesIn(
    s,
    model.tenants.map((t) => t.schemaName),
  );

  const tryOps = async (role: string, targets: readonly TableRef[], ops: readonly Dml[]) => {
    const allowed: string[] = [];
    const denied: string[] = [];
    for (const table of targets) {
      for (const op of ops) {
        const sql = dmlStatement(op, table);
        if (sql === undefined) continue;
        const err = await s.attempt(role, sql);
        (err === null ? allowed : denied).push(`${op} ${table.schema}.${table.name}${err ? ` (${err.message})` : ""}`);
      }
    }
    return { allowed, denied };
  };

  const order = model.tenants.map((t) => t.schemaName);
  const byRole = new Map(model.tenants.map((t) => [t.schemaName, t]));
  // What each tenant could do to another tenant's tables (real ones and the probes), gathered per attacker.
  const leaks = new Map<string, string[]>();
  const leak = (attacker: string, allowed: readonly string[]) =>
    leaks.set(attacker, [...(leaks.get(attacker) ?? []), ...allowed]);

  for (const [i, t] of model.tenants.entries()) {
    if (!inScope(t)) continue;
    const own = tables.filter((x) => x.schema === t.schemaName && x.name !== FLYWAY_HISTORY_TABLE);
    const targets = attackTargets(order, i);
    const others = tables.filter((x) => targets.has(x.schema));
    const ownResult = await tryOps(t.roleName, own, DML);
    add(
      "behaviour: SELECT/INSERT/UPDATE/DELETE on own tables",
      t.id,
      `allowed on ${own.length} tables`,
      ownResult.denied.length === 0 ? `allowed on ${own.length} tables` : `denied: ${ownResult.denied.join("; ")}`,
    );
    // The probe is created the way Flyway creates tables, so it proves the default privileges; while it exists,
    // the neighbours attack it too (an empty schema has nothing else to attack).
    const probe: TableRef = { schema: t.schemaName, name: PROBE_TABLE, column: "note" };
    await s.withProbe(
      migrator,
      `CREATE TABLE ${quoteIdent(t.schemaName)}.${quoteIdent(PROBE_TABLE)} (id bigserial PRIMARY KEY, note text)`,
      async (err) => {
        add(
          `behaviour: ${migrator} creates a table in the schema`,
          t.id,
          "allowed",
          err === null ? "allowed" : err.message,
        );
        if (err !== null) return;
        const insert = await s.attempt(
          t.roleName,
          `INSERT INTO ${quoteIdent(t.schemaName)}.${quoteIdent(PROBE_TABLE)} (note) VALUES ('probe') RETURNING id`,
        );
        add(
          "behaviour: INSERT using own sequence (table created later)",
          t.id,
          "allowed",
          insert?.message ?? "allowed",
        );
        for (const schema of targets) {
          const attacker = byRole.get(schema);
          if (attacker !== undefined)
            leak(attacker.id, (await tryOps(attacker.roleName, [probe], [...DML, "TRUNCATE"])).allowed);
        }
      },
    );
    leak(t.id, (await tryOps(t.roleName, others, [...DML, "TRUNCATE"])).allowed);
    for (const [label, sql] of [
      ["CREATE TABLE in own schema", `CREATE TABLE ${quoteIdent(t.schemaName)}.__verify_create (id int)`],
      ["CREATE TABLE in public", `CREATE TABLE public.__verify_create (id int)`],
      ["CREATE SCHEMA", `CREATE SCHEMA __verify_${t.id}`],
      ["CREATE TEMP TABLE", `CREATE TEMP TABLE __verify_create (id int)`],
    ] as const) {
      const err = await s.attempt(t.roleName, sql);
      add(`behaviour: ${label}`, t.id, "denied", err === null ? "allowed" : "denied");
    }
  }
  for (const t of model.tenants) {
    if (!leaks.has(t.id)) continue;
    const allowed = leaks.get(t.id) ?? [];
    add(
      "behaviour: any DML on other tenants' tables",
      t.id,
      "denied",
      allowed.length === 0 ? "denied" : `allowed: ${allowed.join("; ")}`,
    );
  }

  const appResult = await tryOps(app, tables, ["SELECT"]);
  add(
    `behaviour: ${app} without SET ROLE reads tenant tables`,
    "*",
    "denied",
    appResult.allowed.length === 0 ? "denied" : `allowed: ${appResult.allowed.join("; ")}`,
  );
  const metering = model.meteringRole;
  const [meteringExists] = await s.rows<{ n: number }>(
    "SELECT count(*)::int AS n FROM pg_catalog.pg_roles WHERE rolname = $1",
    [metering],
  );
  if (meteringExists.n > 0) {
    // SELECT only, like app's: the catalog check above covers every privilege on every tenant relation.
    const meteringResult = await tryOps(metering, tables, ["SELECT"]);
    add(
      `behaviour: ${metering} reads tenant tables`,
      "*",
      "denied",
      meteringResult.allowed.length === 0 ? "denied" : `allowed: ${meteringResult.allowed.join("; ")}`,
    );
    // Which roles it can become is the catalog check "roles metering is a member of": SET ROLE is checked
    // against the session user (here the operator), so it cannot be tried from this session.
  }
  for (const role of [app, migrator, metering]) {
    if (role === metering && meteringExists.n === 0) continue;
    const err = await s.attempt(role, `CREATE TABLE public.__verify_create (id int)`);
    add(`behaviour: ${role} CREATE TABLE in public`, "*", "denied", err === null ? "allowed" : "denied");
  }
  return out;
}

/**
 * Runs every check for `tenants` (default: discovered from the database). Takes a URL or an idle connected
 * client; nothing it does is committed. Throws when it cannot do its job (invalid tenants, connection, missing
 * SET ROLE rights), never for a failed check.
 */
export interface VerifyOptions extends TenantModelOptions {
  /**
   * The client is inside a transaction of the caller's (the provisioner verifies what it has just applied,
   * before it commits): the checks run in a savepoint that is rolled back, and the transaction stays open.
   * @default false - the verifier opens and rolls back its own transaction
   */
  readonly inTransaction?: boolean;
  /**
   * Only these tenants get the per-tenant checks (catalog and behaviour); the database-wide checks, which cover
   * every tenant in a few set-based queries, always run. The provisioner passes the tenants its run touched.
   * @default - every tenant
   */
  readonly scope?: ReadonlySet<string>;
}

export async function verifyTenants(
  target: ClientBase | string,
  tenants?: readonly TenantSpec[],
  opts: VerifyOptions = {},
): Promise<CheckResult[]> {
  const client: ClientBase = typeof target === "string" ? new Client({ connectionString: target }) : target;
  if (typeof target === "string") {
    try {
      await client.connect();
    } catch (e) {
      throw new Error(`cannot connect to ${redact(target)}: ${(e as Error).message}`);
    }
  }
  try {
    const list = tenants ?? (await discoverTenants(client, opts));
    let model: TenantModel;
    try {
      model = buildTenantModel(list, { migratorRole: opts.migratorRole, appRole: opts.appRole });
    } catch (e) {
      throw new TenantInputError((e as Error).message);
    }
    const s = new Session(client);
    const [{ database }] = await s.rows<{ database: string }>("SELECT current_database() AS database");
    const inTransaction = opts.inTransaction ?? false;
    await client.query(inTransaction ? "SAVEPOINT verify_all" : "BEGIN");
    try {
      const [blocked] = await s.rows<{ rolname: string }>(
        `SELECT rolname FROM pg_catalog.pg_roles WHERE rolname = ANY($1) AND NOT pg_has_role(current_user, oid, 'SET')
          ORDER BY rolname LIMIT 1`,
        [[model.migratorRole, model.appRole, model.meteringRole, ...model.tenants.map((t) => t.roleName)]],
      );
      if (blocked !== undefined) {
        throw new Error(
          `the connecting user cannot SET ROLE ${blocked.rolname}; connect as a superuser or the user the provisioner runs as`,
        );
      }
      const inScope = (t: TenantPlan) => opts.scope === undefined || opts.scope.has(t.id);
      return [...(await catalogChecks(s, model, database, inScope)), ...(await behaviourChecks(s, model, inScope))];
    } finally {
      await client.query(inTransaction ? "ROLLBACK TO SAVEPOINT verify_all" : "ROLLBACK");
    }
  } finally {
    if (typeof target === "string") await (client as Client).end();
  }
}

function redact(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = "***";
    return u.toString();
  } catch {
    return "<unparsable url>";
  }
}

export function formatChecks(results: readonly CheckResult[]): string {
  const header = ["check", "tenant", "expected", "actual", "ok"];
  const rows = results.map((r) => [r.check, r.tenant, r.expected, r.actual, r.ok ? "ok" : "FAIL"]);
  const widths = header.map((h, i) => Math.min(80, Math.max(h.length, ...rows.map((r) => r[i].length))));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => c.padEnd(widths[i]))
      .join("  ")
      .trimEnd();
  const failed = results.filter((r) => !r.ok).length;
  return [
    line(header),
    line(widths.map((w) => "-".repeat(w))),
    ...rows.map(line),
    "",
    `${results.length} checks, ${failed} failed`,
    "",
  ].join("\n");
}
