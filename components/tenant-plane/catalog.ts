/**
 * What the live database holds of the tenant privilege model, read in a fixed number of catalog queries
 * whatever the tenant count, so the planner (plan.ts) can compute what is missing instead of re-granting all.
 * No AWS import: the Lambda bundle and the workstation command share it.
 */
import { ClientBase } from "pg";
import {
  ADMIN_EXTENSIONS,
  MAINTENANCE_DATABASE,
  METERING_ROLE,
  RDS_IAM_ROLE,
  TENANT_NAME_LIKE,
} from "../tenant-schemas/model";
import { FLYWAY_HISTORY_TABLE } from "./verify";

export interface CatalogRole {
  readonly login: boolean;
  readonly inherit: boolean;
  /** rolconnlimit. @default -1 (no limit) */
  readonly connectionLimit?: number;
  /** The role's own `statement_timeout` setting as pg_roles.rolconfig holds it. @default - none */
  readonly statementTimeout?: string;
}

export interface CatalogMembership {
  readonly role: string;
  readonly member: string;
  readonly grantor: string;
  readonly inherit: boolean;
  readonly set: boolean;
  readonly admin: boolean;
}

export interface CatalogSchema {
  readonly owner: string;
  /** `grantee:PRIVILEGE` pairs from the schema's ACL (PUBLIC as `public`); the owner's own entries are left out. */
  readonly grants: readonly string[];
}

/** A table, view or sequence of a tenant schema the tenant role lacks some of its model privileges on. */
export interface CatalogRelationGap {
  readonly schema: string;
  readonly name: string;
  readonly kind: "table" | "sequence";
  readonly missing: readonly string[];
}

export interface Catalog {
  readonly currentUser: string;
  readonly superuser: boolean;
  readonly database: string;
  /** Roles named migrator, app, metering, rds_iam or tenant_*. */
  readonly roles: ReadonlyMap<string, CatalogRole>;
  /** Memberships among those roles and the current user. */
  readonly memberships: readonly CatalogMembership[];
  /** Schemas named public, admin or tenant_*. */
  readonly schemas: ReadonlyMap<string, CatalogSchema>;
  /** `grantee:PRIVILEGE` on the tenants' database and on the maintenance database (defaults made explicit). */
  readonly databaseGrants: readonly string[];
  readonly maintenanceGrants: readonly string[];
  /** `<schema>|<objtype r/S>|<grantee>` → privileges the migrator's default ACL gives there. */
  readonly defaultPrivileges: ReadonlyMap<string, readonly string[]>;
  readonly relationGaps: readonly CatalogRelationGap[];
  /** Admin extensions installed, by name → schema. */
  readonly extensions: ReadonlyMap<string, string>;
  /** Tables of the admin schema, by name → `grantee:PRIVILEGE` pairs (owner left out). @default - none */
  readonly adminTables?: ReadonlyMap<string, readonly string[]>;
}

export interface ReadCatalogOptions {
  readonly migratorRole: string;
  readonly appRole: string;
  readonly adminSchema: string;
  /** Privileges the tenant model gives a tenant role on each of its tables and sequences. */
  readonly tablePrivileges: readonly string[];
  readonly sequencePrivileges: readonly string[];
}

/**
 * An ACL entry's grantee by name, `public` for PUBLIC (oid 0). A cast instead of a join with pg_roles (a view
 * over pg_authid with its own joins): with 1,000 tenants the join made one query ~0.75 s. Role names the model
 * makes are plain lowercase identifiers, which regrole prints unquoted.
 */
const GRANTEE = "CASE WHEN x.grantee = 0 THEN 'public' ELSE x.grantee::regrole::text END";

export async function readCatalog(client: ClientBase, opts: ReadCatalogOptions): Promise<Catalog> {
  const q = async <T>(sql: string, params: unknown[] = []) => (await client.query(sql, params)).rows as T[];
  const names = [opts.migratorRole, opts.appRole, METERING_ROLE, RDS_IAM_ROLE];

  const [me] = await q<{ user: string; superuser: boolean; database: string }>(
    `SELECT current_user AS user, rolsuper AS superuser, current_database() AS database
       FROM pg_catalog.pg_roles WHERE rolname = current_user`,
  );

  const roleRows = await q<{
    name: string;
    login: boolean;
    inherit: boolean;
    connection_limit: number;
    statement_timeout: string | null;
  }>(
    `SELECT rolname AS name, rolcanlogin AS login, rolinherit AS inherit, rolconnlimit AS connection_limit,
            (SELECT substr(c, length('statement_timeout=') + 1) FROM unnest(rolconfig) c
              WHERE c LIKE 'statement\\_timeout=%' LIMIT 1) AS statement_timeout
       FROM pg_catalog.pg_roles
      WHERE rolname = ANY($1) OR rolname LIKE $2`,
    [names, TENANT_NAME_LIKE],
  );
  const memberships = await q<CatalogMembership>(
    `SELECT r.rolname AS role, m.rolname AS member, g.rolname AS grantor,
            am.inherit_option AS inherit, am.set_option AS set, am.admin_option AS admin
       FROM pg_catalog.pg_auth_members am
       JOIN pg_catalog.pg_roles r ON r.oid = am.roleid
       JOIN pg_catalog.pg_roles m ON m.oid = am.member
       JOIN pg_catalog.pg_roles g ON g.oid = am.grantor
      WHERE (r.rolname = ANY($1) OR r.rolname LIKE $2)
        AND (m.rolname = ANY($1) OR m.rolname LIKE $2 OR m.rolname = current_user)`,
    [names, TENANT_NAME_LIKE],
  );
  // aclexplode of the ACL, or of the built-in default when the ACL is NULL (nothing was ever granted).
  const schemaRows = await q<{ name: string; owner: string; grants: string[] }>(
    `SELECT n.nspname AS name, pg_catalog.pg_get_userbyid(n.nspowner) AS owner,
            ARRAY(SELECT ${GRANTEE} || ':' || x.privilege_type
                    FROM aclexplode(coalesce(n.nspacl, acldefault('n', n.nspowner))) x
                   WHERE x.grantee <> n.nspowner ORDER BY 1) AS grants
       FROM pg_catalog.pg_namespace n
      WHERE n.nspname IN ('public', $1) OR n.nspname LIKE $2`,
    [opts.adminSchema, TENANT_NAME_LIKE],
  );
  const databaseRows = await q<{ name: string; grants: string[] }>(
    `SELECT d.datname AS name,
            ARRAY(SELECT ${GRANTEE} || ':' || x.privilege_type
                    FROM aclexplode(coalesce(d.datacl, acldefault('d', d.datdba))) x
                   WHERE x.grantee <> d.datdba ORDER BY 1) AS grants
       FROM pg_catalog.pg_database d WHERE d.datname IN (current_database(), $1)`,
    [MAINTENANCE_DATABASE],
  );
  const defaultRows = await q<{ schema: string; objtype: string; grantee: string; privileges: string[] }>(
    `SELECT n.nspname AS schema, d.defaclobjtype AS objtype, ${GRANTEE} AS grantee,
            array_agg(x.privilege_type ORDER BY x.privilege_type) AS privileges
       FROM pg_catalog.pg_default_acl d
       JOIN pg_catalog.pg_namespace n ON n.oid = d.defaclnamespace
       CROSS JOIN LATERAL aclexplode(d.defaclacl) x
      WHERE n.nspname LIKE $1 AND d.defaclrole = (SELECT oid FROM pg_catalog.pg_roles WHERE rolname = $2)
      GROUP BY 1, 2, 3`,
    [TENANT_NAME_LIKE, opts.migratorRole],
  );
  // Only relations of a schema whose same-named role exists, and never Flyway's history table: the migration
  // callback revokes the tenant's rights on it, and a re-run must not give them back.
  const gapRows = await q<{ schema: string; name: string; kind: "table" | "sequence"; missing: string[] }>(
    `SELECT n.nspname AS schema, c.relname AS name,
            CASE WHEN c.relkind = 'S' THEN 'sequence' ELSE 'table' END AS kind,
            ARRAY(SELECT p FROM unnest(CASE WHEN c.relkind = 'S' THEN $3::text[] ELSE $2::text[] END) p
                   WHERE NOT CASE WHEN c.relkind = 'S' THEN has_sequence_privilege(r.oid, c.oid, p)
                                  ELSE has_table_privilege(r.oid, c.oid, p) END) AS missing
       FROM pg_catalog.pg_class c
       JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
       JOIN pg_catalog.pg_roles r ON r.rolname = n.nspname
      WHERE n.nspname LIKE $1 AND c.relkind IN ('r', 'p', 'v', 'm', 'f', 'S') AND c.relname <> $4`,
    [TENANT_NAME_LIKE, [...opts.tablePrivileges], [...opts.sequencePrivileges], FLYWAY_HISTORY_TABLE],
  );
  const extensionRows = await q<{ name: string; schema: string }>(
    `SELECT e.extname AS name, n.nspname AS schema FROM pg_catalog.pg_extension e
       JOIN pg_catalog.pg_namespace n ON n.oid = e.extnamespace WHERE e.extname = ANY($1)`,
    [[...ADMIN_EXTENSIONS]],
  );

  const adminTableRows = await q<{ name: string; grants: string[] }>(
    `SELECT c.relname AS name,
            ARRAY(SELECT ${GRANTEE} || ':' || x.privilege_type
                    FROM aclexplode(coalesce(c.relacl, acldefault('r', c.relowner))) x
                   WHERE x.grantee <> c.relowner ORDER BY 1) AS grants
       FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname = $1 AND c.relkind IN ('r', 'p')`,
    [opts.adminSchema],
  );

  return {
    currentUser: me.user,
    superuser: me.superuser,
    database: me.database,
    roles: new Map(
      roleRows.map((r) => [
        r.name,
        {
          login: r.login,
          inherit: r.inherit,
          connectionLimit: r.connection_limit,
          ...(r.statement_timeout !== null ? { statementTimeout: r.statement_timeout } : {}),
        },
      ]),
    ),
    memberships,
    schemas: new Map(schemaRows.map((r) => [r.name, { owner: r.owner, grants: r.grants }])),
    databaseGrants: databaseRows.find((d) => d.name === me.database)?.grants ?? [],
    maintenanceGrants:
      me.database === MAINTENANCE_DATABASE
        ? []
        : (databaseRows.find((d) => d.name === MAINTENANCE_DATABASE)?.grants ?? []),
    defaultPrivileges: new Map(defaultRows.map((d) => [`${d.schema}|${d.objtype}|${d.grantee}`, d.privileges])),
    relationGaps: gapRows.filter((g) => g.missing.length > 0),
    extensions: new Map(extensionRows.map((e) => [e.name, e.schema])),
    adminTables: new Map(adminTableRows.map((t) => [t.name, t.grants])),
  };
}
