/**
 * The provisioner's planner: given the tenant model and what the live catalog holds, the statements that make
 * the database match — and nothing else. Pure (no database, no AWS), so every decision has a table-driven test.
 *
 * Rules:
 * - Only what is missing is issued: a re-run with no change issues no statement, so a revoke done since (the
 *   Flyway callback's revoke on its history table) is never undone.
 * - Nothing is dropped. A tenant removed from config is suspended and reported as orphaned.
 * - Suspension revokes the `app` membership (every grantor's), and a dedicated tenant's LOGIN and CONNECT.
 */
import {
  ADMIN_EXTENSIONS,
  MembershipSpec,
  RDS_IAM_ROLE,
  TENANT_PREFIX,
  TenantModel,
  TenantPlan,
} from "../tenant-schemas/model";
import { usageSnapshotTableSql } from "../tenant-metering/usage";
import { Catalog, CatalogMembership } from "./catalog";
import { quoteIdent } from "./sql";

export interface PlannedStatement {
  /** Tenant id, or undefined for a platform statement. */
  readonly tenant?: string;
  readonly sql: string;
}

export interface ProvisioningPlan {
  readonly statements: readonly PlannedStatement[];
  /** Tenants whose role or schema did not exist. */
  readonly created: readonly string[];
  /** Tenants that existed and got at least one statement (suspensions included). */
  readonly changed: readonly string[];
  /** Tenants whose access this run takes away (config `suspended`, or orphaned). */
  readonly suspended: readonly string[];
  /** tenant_* roles or schemas in the database that config does not list; treated as suspended, never dropped. */
  readonly orphaned: readonly string[];
  /** Things worth telling the operator that are not statements (e.g. a stand-in rds_iam on plain PostgreSQL). */
  readonly notes: readonly string[];
}

export interface PlanOptions {
  /** Render the RDS-only memberships (rds_iam). */
  readonly rdsIam: boolean;
  readonly adminSchema: string;
}

const ident = quoteIdent;

const membershipIndex = new WeakMap<Catalog, Map<string, CatalogMembership[]>>();

/** The rows of one membership (one per grantor), from an index built once per catalog: O(1) per tenant. */
function membershipOf(catalog: Catalog, role: string, member: string): readonly CatalogMembership[] {
  let index = membershipIndex.get(catalog);
  if (index === undefined) {
    index = new Map();
    for (const m of catalog.memberships) {
      const key = `${m.role}\u0000${m.member}`;
      index.set(key, [...(index.get(key) ?? []), m]);
    }
    membershipIndex.set(catalog, index);
  }
  return index.get(`${role}\u0000${member}`) ?? [];
}

function grantMembership(m: Pick<MembershipSpec, "role" | "member" | "inherit" | "set">): string {
  return `GRANT ${ident(m.role)} TO ${ident(m.member)} WITH INHERIT ${m.inherit ? "TRUE" : "FALSE"}, SET ${m.set ? "TRUE" : "FALSE"}`;
}

/** Revokes a membership whatever role granted it: PostgreSQL keeps one row per grantor. */
function revokeMembership(catalog: Catalog, role: string, member: string): string[] {
  return membershipOf(catalog, role, member).map(
    (m) => `REVOKE ${ident(role)} FROM ${ident(member)} GRANTED BY ${ident(m.grantor)}`,
  );
}

function missing(wanted: readonly string[], have: readonly string[], grantee: string): string[] {
  return wanted.filter((p) => !have.includes(`${grantee}:${p}`));
}

export function planProvisioning(model: TenantModel, catalog: Catalog, opts: PlanOptions): ProvisioningPlan {
  const statements: PlannedStatement[] = [];
  const notes: string[] = [];
  const platform = (sql: string) => statements.push({ sql });
  const { migratorRole: migrator, appRole: app } = model;
  const db = ident(catalog.database);

  // Service roles. Credentials never appear here: app and dedicated tenants log in with IAM tokens.
  for (const r of model.roles.filter((x) => x.purpose !== "tenant")) {
    const have = catalog.roles.get(r.name);
    if (have === undefined) {
      platform(`CREATE ROLE ${ident(r.name)} ${r.login ? "LOGIN" : "NOLOGIN"}${r.inherit ? "" : " NOINHERIT"}`);
      continue;
    }
    if (have.login !== r.login) platform(`ALTER ROLE ${ident(r.name)} ${r.login ? "LOGIN" : "NOLOGIN"}`);
    if (have.inherit !== r.inherit) platform(`ALTER ROLE ${ident(r.name)} ${r.inherit ? "INHERIT" : "NOINHERIT"}`);
  }

  // The operator (the RDS master user) must act for the migrator (own its schemas, set its default privileges,
  // pg_dump and drop them) and SET ROLE to the others to verify them. A CREATEROLE creator holds only ADMIN
  // on a role created outside this session's createrole_self_grant (e.g. by @pulumi/postgresql).
  const operatorTargets: { role: string; inherit: boolean }[] = [
    { role: migrator, inherit: true },
    { role: app, inherit: false },
    { role: model.meteringRole, inherit: false },
    ...model.tenants.map((t) => ({ role: t.roleName, inherit: false })),
  ];
  if (!catalog.superuser) {
    for (const target of operatorTargets) {
      if (!catalog.roles.has(target.role)) continue; // created in this run: createrole_self_grant gives SET
      const rows = membershipOf(catalog, target.role, catalog.currentUser);
      const hasSet = rows.some((m) => m.set);
      const hasInherit = rows.some((m) => m.inherit);
      if (!hasSet || (target.inherit && !hasInherit)) {
        statements.push({
          ...(target.role.startsWith(TENANT_PREFIX) ? { tenant: target.role.slice(TENANT_PREFIX.length) } : {}),
          sql: grantMembership({
            role: target.role,
            member: catalog.currentUser,
            inherit: target.inherit || hasInherit,
            set: true,
          }),
        });
      }
    }
    // The migrator created in this run needs INHERIT too (createrole_self_grant = 'set' gives SET only).
    if (!catalog.roles.has(migrator)) {
      platform(grantMembership({ role: migrator, member: catalog.currentUser, inherit: true, set: true }));
    }
  }

  // RDS-only platform membership: app authenticates with IAM.
  const appIam = model.memberships.filter((m) => m.tenantId === undefined && m.rdsOnly);
  const rdsIam = opts.rdsIam && model.memberships.some((m) => m.rdsOnly);
  if (rdsIam) {
    if (!catalog.roles.has(RDS_IAM_ROLE)) {
      notes.push(`role ${RDS_IAM_ROLE} not found (not Amazon RDS): created a privilege-less NOLOGIN stand-in`);
      platform(`CREATE ROLE ${ident(RDS_IAM_ROLE)} NOLOGIN`);
    }
    for (const m of appIam) {
      if (membershipOf(catalog, m.role, m.member).length === 0) platform(grantMembership(m));
    }
  }

  // Lock-down: PUBLIC keeps nothing on the databases, no CREATE on public, nothing on the admin schema.
  for (const a of model.publicAccess) {
    if (a.objectType === "database") {
      const onMaintenance = a.database !== undefined && a.database !== catalog.database;
      const have = onMaintenance ? catalog.maintenanceGrants : catalog.databaseGrants;
      const revoke = a.revoke.filter((p) => have.includes(`public:${p}`));
      if (revoke.length > 0) {
        platform(`REVOKE ${revoke.join(", ")} ON DATABASE ${onMaintenance ? ident(a.database ?? "") : db} FROM PUBLIC`);
      }
    } else {
      const schema = catalog.schemas.get(a.schema ?? "public");
      const revoke = a.revoke.filter((p) => schema?.grants.includes(`public:${p}`));
      if (revoke.length > 0)
        platform(`REVOKE ${revoke.join(", ")} ON SCHEMA ${ident(a.schema ?? "public")} FROM PUBLIC`);
    }
  }
  const platformGrants = model.grants.filter((x) => x.tenantId === undefined);
  for (const g of platformGrants.filter((x) => x.objectType === "database")) {
    const need = missing(g.privileges, catalog.databaseGrants, g.role);
    if (need.length > 0) platform(`GRANT ${need.join(", ")} ON DATABASE ${db} TO ${ident(g.role)}`);
  }
  const adminName = ident(opts.adminSchema);
  const admin = catalog.schemas.get(opts.adminSchema);
  // The model's grants on the admin schema and its tables (the usage collector's), rendered for this schema.
  const adminGrants = platformGrants.filter((x) => x.objectType === "schema" || x.objectType === "table");
  const schemaGrants = adminGrants.filter((g) => g.objectType === "schema");
  if (admin === undefined) {
    platform(`CREATE SCHEMA ${adminName}`);
  } else {
    // Only its owner (the operator) reads it, and the roles the model names: no PUBLIC, app, migrator or tenant.
    const grantees = [...new Set(admin.grants.map((g) => g.split(":")[0]))];
    for (const grantee of grantees) {
      const wanted = schemaGrants.filter((g) => g.role === grantee).flatMap((g) => g.privileges);
      const extra = admin.grants
        .filter((g) => g.startsWith(`${grantee}:`))
        .map((g) => g.slice(grantee.length + 1))
        .filter((p) => !wanted.includes(p));
      if (extra.length === 0) continue;
      const from = grantee === "public" ? "PUBLIC" : ident(grantee);
      platform(
        wanted.length === 0
          ? `REVOKE ALL ON SCHEMA ${adminName} FROM ${from}`
          : `REVOKE ${extra.join(", ")} ON SCHEMA ${adminName} FROM ${from}`,
      );
    }
  }
  for (const g of schemaGrants) {
    const need = missing(g.privileges, admin?.grants ?? [], g.role);
    if (need.length > 0) platform(`GRANT ${need.join(", ")} ON SCHEMA ${adminName} TO ${ident(g.role)}`);
  }
  for (const g of adminGrants.filter((x) => x.objectType === "table")) {
    for (const name of g.objects ?? []) {
      const have = catalog.adminTables?.get(name);
      if (have === undefined) platform(usageSnapshotTableSql(opts.adminSchema));
      const need = missing(g.privileges, have ?? [], g.role);
      if (need.length > 0) {
        platform(`GRANT ${need.join(", ")} ON TABLE ${adminName}.${ident(name)} TO ${ident(g.role)}`);
      }
    }
  }
  for (const extension of ADMIN_EXTENSIONS) {
    const schema = catalog.extensions.get(extension);
    if (schema !== undefined && schema !== opts.adminSchema) {
      platform(`ALTER EXTENSION ${ident(extension)} SET SCHEMA ${ident(opts.adminSchema)}`);
    }
  }

  const created: string[] = [];
  const changed = new Set<string>();
  const suspended: string[] = [];
  const gapsBySchema = new Map<string, Catalog["relationGaps"][number][]>();
  for (const gap of catalog.relationGaps) gapsBySchema.set(gap.schema, [...(gapsBySchema.get(gap.schema) ?? []), gap]);
  const databaseGrants = new Set(catalog.databaseGrants);
  const touchedEarlier = new Set(statements.map((s) => s.tenant));
  for (const t of model.tenants) {
    // A tenant's own statements are the ones planTenant appends now; the operator's SET grant on its role
    // (above) also counts as a change of it.
    const before = statements.length;
    const earlier = touchedEarlier.has(t.id);
    const isNew = !catalog.roles.has(t.roleName) || !catalog.schemas.has(t.schemaName);
    planTenant(model, catalog, t, statements, db, rdsIam, gapsBySchema.get(t.schemaName) ?? [], databaseGrants);
    if (isNew) created.push(t.id);
    else if (statements.length > before || earlier) changed.add(t.id);
    if (t.status === "suspended" && !isNew && hasAccess(model, catalog, t.roleName)) suspended.push(t.id);
  }

  const known = new Set(model.tenants.map((t) => t.roleName));
  const orphaned = [
    ...new Set([
      ...[...catalog.roles.keys()].filter((r) => r.startsWith(TENANT_PREFIX)),
      ...[...catalog.schemas.keys()].filter((s) => s.startsWith(TENANT_PREFIX)),
    ]),
  ]
    .filter((name) => !known.has(name))
    .sort();
  for (const name of orphaned) {
    const id = name.slice(TENANT_PREFIX.length);
    if (hasAccess(model, catalog, name)) suspended.push(id);
    for (const sql of revokeAccess(model, catalog, name, db)) statements.push({ tenant: id, sql });
  }

  return {
    statements,
    created,
    changed: [...changed],
    suspended,
    orphaned: orphaned.map((n) => n.slice(TENANT_PREFIX.length)),
    notes,
  };
}

/** Whether anyone can still get in as the role: app's membership, or its own LOGIN / CONNECT. */
function hasAccess(model: TenantModel, catalog: Catalog, role: string): boolean {
  return (
    membershipOf(catalog, role, model.appRole).length > 0 ||
    catalog.roles.get(role)?.login === true ||
    catalog.databaseGrants.includes(`${role}:CONNECT`)
  );
}

function revokeAccess(model: TenantModel, catalog: Catalog, role: string, db: string): string[] {
  const out = revokeMembership(catalog, role, model.appRole);
  if (catalog.roles.get(role)?.login === true) out.push(`ALTER ROLE ${ident(role)} NOLOGIN`);
  if (catalog.databaseGrants.includes(`${role}:CONNECT`))
    out.push(`REVOKE CONNECT ON DATABASE ${db} FROM ${ident(role)}`);
  return out;
}

interface TenantItems {
  readonly grants: TenantModel["grants"][number][];
  readonly defaults: TenantModel["defaultPrivileges"][number][];
  readonly memberships: TenantModel["memberships"][number][];
}
const itemIndex = new WeakMap<TenantModel, Map<string, TenantItems>>();

/** The model's items grouped by tenant, once per model: planning stays linear in the tenant count. */
function byTenant(model: TenantModel): Map<string, TenantItems> {
  let index = itemIndex.get(model);
  if (index === undefined) {
    index = new Map();
    const of = (id: string) => {
      let items = index?.get(id);
      if (items === undefined) {
        items = { grants: [], defaults: [], memberships: [] };
        index?.set(id, items);
      }
      return items;
    };
    for (const g of model.grants) if (g.tenantId !== undefined) of(g.tenantId).grants.push(g);
    for (const d of model.defaultPrivileges) of(d.tenantId).defaults.push(d);
    for (const m of model.memberships) if (m.tenantId !== undefined) of(m.tenantId).memberships.push(m);
    itemIndex.set(model, index);
  }
  return index;
}

function planTenant(
  model: TenantModel,
  catalog: Catalog,
  t: TenantPlan,
  out: PlannedStatement[],
  db: string,
  rdsIam: boolean,
  gaps: Catalog["relationGaps"],
  databaseGrants: ReadonlySet<string>,
): void {
  const add = (sql: string) => out.push({ tenant: t.id, sql });
  const role = ident(t.roleName);
  const schema = ident(t.schemaName);
  const migrator = ident(model.migratorRole);

  const haveRole = catalog.roles.get(t.roleName);
  if (haveRole === undefined) {
    add(`CREATE ROLE ${role} ${t.login ? "LOGIN" : "NOLOGIN"}`);
  } else if (haveRole.login !== t.login) {
    add(`ALTER ROLE ${role} ${t.login ? "LOGIN" : "NOLOGIN"}`);
  }
  // Noisy-neighbour controls of a dedicated tenant's logins; a limit taken out of config is taken off the role.
  const limit = t.connectionLimit ?? -1;
  if ((haveRole?.connectionLimit ?? -1) !== limit) add(`ALTER ROLE ${role} CONNECTION LIMIT ${limit}`);
  const timeout = t.statementTimeoutMs === undefined ? undefined : String(t.statementTimeoutMs);
  if (haveRole?.statementTimeout !== timeout) {
    add(
      timeout === undefined
        ? `ALTER ROLE ${role} RESET statement_timeout`
        : `ALTER ROLE ${role} SET statement_timeout = ${timeout}`,
    );
  }
  const haveSchema = catalog.schemas.get(t.schemaName);
  if (haveSchema === undefined) {
    add(`CREATE SCHEMA ${schema} AUTHORIZATION ${migrator}`);
  } else {
    if (haveSchema.owner !== model.migratorRole) add(`ALTER SCHEMA ${schema} OWNER TO ${migrator}`);
    if (haveSchema.grants.some((g) => g.startsWith("public:"))) add(`REVOKE ALL ON SCHEMA ${schema} FROM PUBLIC`);
  }
  const schemaGrants = haveSchema?.grants ?? [];

  const own = byTenant(model).get(t.id) ?? { grants: [], defaults: [], memberships: [] };
  for (const g of own.grants) {
    switch (g.objectType) {
      case "schema": {
        const need = missing(g.privileges, schemaGrants, t.roleName);
        if (need.length > 0) add(`GRANT ${need.join(", ")} ON SCHEMA ${schema} TO ${role}`);
        break;
      }
      case "database": {
        const need = g.privileges.filter((p) => !databaseGrants.has(`${t.roleName}:${p}`));
        if (need.length > 0) add(`GRANT ${need.join(", ")} ON DATABASE ${db} TO ${role}`);
        break;
      }
      case "table":
      case "sequence": {
        // Per object, for objects that exist without the grant (created before the default privileges, or by
        // another role). Flyway's history table is never among them (catalog.ts leaves it out).
        for (const gap of gaps.filter((x) => x.kind === g.objectType)) {
          const need = g.privileges.filter((p) => gap.missing.includes(p));
          if (need.length > 0) {
            add(
              `GRANT ${need.join(", ")} ON ${g.objectType === "sequence" ? "SEQUENCE" : "TABLE"} ${schema}.${ident(gap.name)} TO ${role}`,
            );
          }
        }
        break;
      }
    }
  }
  if (!t.login && databaseGrants.has(`${t.roleName}:CONNECT`)) {
    add(`REVOKE CONNECT ON DATABASE ${db} FROM ${role}`);
  }
  for (const d of own.defaults) {
    const have =
      catalog.defaultPrivileges.get(`${t.schemaName}|${d.objectType === "table" ? "r" : "S"}|${t.roleName}`) ?? [];
    const need = d.privileges.filter((p) => !have.includes(p));
    if (need.length > 0) {
      add(
        `ALTER DEFAULT PRIVILEGES FOR ROLE ${ident(d.owner)} IN SCHEMA ${schema} GRANT ${need.join(", ")} ON ${d.objectType === "table" ? "TABLES" : "SEQUENCES"} TO ${role}`,
      );
    }
  }

  const appMember = own.memberships.find((m) => m.member === model.appRole);
  const appRows = membershipOf(catalog, t.roleName, model.appRole);
  if (appMember !== undefined) {
    const exact =
      appRows.length > 0 && appRows.every((m) => m.inherit === appMember.inherit && m.set === appMember.set);
    if (!exact) {
      // One grant by us with the right options, and no other grantor's row that says otherwise.
      for (const m of appRows.filter((r) => r.grantor !== catalog.currentUser)) {
        add(`REVOKE ${role} FROM ${ident(model.appRole)} GRANTED BY ${ident(m.grantor)}`);
      }
      add(grantMembership(appMember));
    }
  } else {
    for (const sql of revokeMembership(catalog, t.roleName, model.appRole)) add(sql);
  }
  if (rdsIam) {
    for (const m of own.memberships.filter((x) => x.rdsOnly)) {
      if (membershipOf(catalog, m.role, m.member).length === 0) add(grantMembership(m));
    }
  }
}
