/**
 * The provisioner's planner, decision by decision, on hand-made catalogs (what catalog.ts reads from a live
 * database; the integration tests prove the reading). GIVEN a catalog, WHEN planned, THEN these statements.
 */
import { buildTenantModel, TenantSpec } from "../../components/tenant-schemas/model";
import { Catalog, CatalogMembership, CatalogRole, CatalogSchema } from "../../components/tenant-plane/catalog";
import { planProvisioning } from "../../components/tenant-plane/plan";

const MASTER = "master";
const OPTS = { rdsIam: true, adminSchema: "admin" };

const member = (role: string, m: string, over: Partial<CatalogMembership> = {}): CatalogMembership => ({
  role,
  member: m,
  grantor: MASTER,
  inherit: false,
  set: true,
  admin: false,
  ...over,
});

/** The catalog of a database the provisioner has converged for `tenants` (all shared and active). */
function converged(ids: string[]): Catalog {
  const tenantRoles = ids.map((id) => `tenant_${id}`);
  return {
    currentUser: MASTER,
    superuser: false,
    database: "app",
    roles: new Map<string, CatalogRole>([
      ["migrator", { login: true, inherit: true }],
      ["app", { login: true, inherit: false }],
      ["metering", { login: true, inherit: true }],
      ["rds_iam", { login: false, inherit: true }],
      ...tenantRoles.map((r): [string, CatalogRole] => [r, { login: false, inherit: true }]),
    ]),
    memberships: [
      member("migrator", MASTER, { inherit: true }),
      member("app", MASTER),
      member("metering", MASTER),
      member("rds_iam", "app", { inherit: true, set: false }),
      member("rds_iam", "metering", { inherit: true, set: false }),
      ...tenantRoles.flatMap((r) => [member(r, MASTER), member(r, "app")]),
    ],
    schemas: new Map<string, CatalogSchema>([
      ["public", { owner: "pg_database_owner", grants: ["public:USAGE"] }],
      ["admin", { owner: MASTER, grants: ["metering:USAGE"] }],
      ...tenantRoles.map((r): [string, CatalogSchema] => [r, { owner: "migrator", grants: [`${r}:USAGE`] }]),
    ]),
    databaseGrants: ["migrator:CONNECT", "app:CONNECT", "metering:CONNECT"],
    maintenanceGrants: [],
    defaultPrivileges: new Map<string, readonly string[]>(
      tenantRoles.flatMap((r): [string, string[]][] => [
        [`${r}|r|${r}`, ["DELETE", "INSERT", "SELECT", "UPDATE"]],
        [`${r}|S|${r}`, ["SELECT", "USAGE"]],
      ]),
    ),
    relationGaps: [],
    extensions: new Map(),
    adminTables: new Map([
      ["tenant_usage_snapshot", ["metering:DELETE", "metering:INSERT", "metering:SELECT", "metering:UPDATE"]],
    ]),
  };
}

const plan = (tenants: TenantSpec[], catalog: Catalog) => planProvisioning(buildTenantModel(tenants), catalog, OPTS);
const sql = (tenants: TenantSpec[], catalog: Catalog) => plan(tenants, catalog).statements.map((s) => s.sql);

describe("planProvisioning", () => {
  test("GIVEN a converged database THEN nothing is issued", () => {
    expect(plan([{ id: "acme" }, { id: "globex" }], converged(["acme", "globex"]))).toEqual({
      statements: [],
      created: [],
      changed: [],
      suspended: [],
      orphaned: [],
      notes: [],
    });
  });

  test("GIVEN one new tenant THEN exactly its six statements, all attributed to it", () => {
    const p = plan([{ id: "acme" }, { id: "globex" }], converged(["acme"]));
    expect(p.created).toEqual(["globex"]);
    expect(p.statements).toEqual([
      { tenant: "globex", sql: 'CREATE ROLE "tenant_globex" NOLOGIN' },
      { tenant: "globex", sql: 'CREATE SCHEMA "tenant_globex" AUTHORIZATION "migrator"' },
      { tenant: "globex", sql: 'GRANT USAGE ON SCHEMA "tenant_globex" TO "tenant_globex"' },
      {
        tenant: "globex",
        sql: 'ALTER DEFAULT PRIVILEGES FOR ROLE "migrator" IN SCHEMA "tenant_globex" GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO "tenant_globex"',
      },
      {
        tenant: "globex",
        sql: 'ALTER DEFAULT PRIVILEGES FOR ROLE "migrator" IN SCHEMA "tenant_globex" GRANT USAGE, SELECT ON SEQUENCES TO "tenant_globex"',
      },
      { tenant: "globex", sql: 'GRANT "tenant_globex" TO "app" WITH INHERIT FALSE, SET TRUE' },
    ]);
  });

  test("GIVEN a suspended tenant whose membership two roles granted THEN both grants are revoked", () => {
    const catalog = converged(["acme"]);
    const memberships = [...catalog.memberships, member("tenant_acme", "app", { grantor: "postgres" })];
    const p = plan([{ id: "acme", status: "suspended" }], { ...catalog, memberships });
    expect(p.statements.map((s) => s.sql)).toEqual([
      'REVOKE "tenant_acme" FROM "app" GRANTED BY "master"',
      'REVOKE "tenant_acme" FROM "app" GRANTED BY "postgres"',
    ]);
    expect(p.suspended).toEqual(["acme"]);
  });

  test("GIVEN a role and schema config no longer lists THEN it is orphaned and suspended, not dropped", () => {
    const catalog = converged(["acme", "gone"]);
    const p = plan([{ id: "acme" }], {
      ...catalog,
      roles: new Map<string, CatalogRole>([...catalog.roles, ["tenant_gone", { login: true, inherit: true }]]),
      databaseGrants: [...catalog.databaseGrants, "tenant_gone:CONNECT"],
    });
    expect(p.orphaned).toEqual(["gone"]);
    expect(p.suspended).toEqual(["gone"]);
    expect(p.statements).toEqual([
      { tenant: "gone", sql: 'REVOKE "tenant_gone" FROM "app" GRANTED BY "master"' },
      { tenant: "gone", sql: 'ALTER ROLE "tenant_gone" NOLOGIN' },
      { tenant: "gone", sql: 'REVOKE CONNECT ON DATABASE "app" FROM "tenant_gone"' },
    ]);
    expect(p.statements.map((s) => s.sql).join("\n")).not.toMatch(/DROP/);
  });

  test("GIVEN an app membership with the wrong options from another grantor THEN it is replaced", () => {
    const catalog = converged(["acme"]);
    const memberships = catalog.memberships
      .filter((m) => !(m.role === "tenant_acme" && m.member === "app"))
      .concat(member("tenant_acme", "app", { grantor: "postgres", inherit: true }));
    expect(sql([{ id: "acme" }], { ...catalog, memberships })).toEqual([
      'REVOKE "tenant_acme" FROM "app" GRANTED BY "postgres"',
      'GRANT "tenant_acme" TO "app" WITH INHERIT FALSE, SET TRUE',
    ]);
  });

  test("GIVEN tables and sequences that lack grants THEN per-object grants of what is missing", () => {
    const catalog: Catalog = {
      ...converged(["acme"]),
      relationGaps: [
        { schema: "tenant_acme", name: "legacy", kind: "table", missing: ["INSERT", "DELETE"] },
        { schema: "tenant_acme", name: "legacy_id_seq", kind: "sequence", missing: ["USAGE"] },
      ],
    };
    expect(sql([{ id: "acme" }], catalog)).toEqual([
      'GRANT INSERT, DELETE ON TABLE "tenant_acme"."legacy" TO "tenant_acme"',
      'GRANT USAGE ON SEQUENCE "tenant_acme"."legacy_id_seq" TO "tenant_acme"',
    ]);
  });

  test("GIVEN pg_stat_statements in public and a readable admin schema THEN both are taken out of reach; metering keeps USAGE only", () => {
    const catalog = converged([]);
    expect(
      sql([], {
        ...catalog,
        schemas: new Map<string, CatalogSchema>([
          ...catalog.schemas,
          ["admin", { owner: MASTER, grants: ["public:USAGE", "app:USAGE", "metering:CREATE", "metering:USAGE"] }],
        ]),
        extensions: new Map([["pg_stat_statements", "public"]]),
      }),
    ).toEqual([
      'REVOKE ALL ON SCHEMA "admin" FROM PUBLIC',
      'REVOKE ALL ON SCHEMA "admin" FROM "app"',
      'REVOKE CREATE ON SCHEMA "admin" FROM "metering"',
      'ALTER EXTENSION "pg_stat_statements" SET SCHEMA "admin"',
    ]);
  });

  test("GIVEN PUBLIC's default CONNECT and TEMPORARY on both databases THEN both are revoked", () => {
    expect(
      sql([], {
        ...converged([]),
        databaseGrants: ["migrator:CONNECT", "app:CONNECT", "metering:CONNECT", "public:CONNECT", "public:TEMPORARY"],
        maintenanceGrants: ["public:CONNECT", "public:TEMPORARY"],
      }),
    ).toEqual([
      'REVOKE CONNECT, TEMPORARY ON DATABASE "app" FROM PUBLIC',
      'REVOKE CONNECT, TEMPORARY ON DATABASE "postgres" FROM PUBLIC',
    ]);
  });

  test("GIVEN plain PostgreSQL without rds_iam THEN a privilege-less stand-in, and a note saying so", () => {
    const catalog = converged([]);
    const roles = new Map(catalog.roles);
    roles.delete("rds_iam");
    const p = plan([], {
      ...catalog,
      roles,
      memberships: catalog.memberships.filter((m) => m.role !== "rds_iam"),
    });
    expect(p.statements.map((s) => s.sql)).toEqual([
      'CREATE ROLE "rds_iam" NOLOGIN',
      'GRANT "rds_iam" TO "app" WITH INHERIT TRUE, SET FALSE',
      'GRANT "rds_iam" TO "metering" WITH INHERIT TRUE, SET FALSE',
    ]);
    expect(p.notes).toEqual(["role rds_iam not found (not Amazon RDS): created a privilege-less NOLOGIN stand-in"]);
  });

  test("GIVEN the master user holds ADMIN only (roles made by @pulumi/postgresql) THEN it grants itself SET", () => {
    const catalog = converged(["acme"]);
    const memberships = catalog.memberships
      .filter((m) => m.member !== MASTER)
      .concat(
        member("migrator", MASTER, { admin: true, set: false, grantor: "rdsadmin" }),
        member("tenant_acme", MASTER, { admin: true, set: false, grantor: "rdsadmin" }),
      );
    expect(sql([{ id: "acme" }], { ...catalog, memberships })).toEqual([
      'GRANT "migrator" TO "master" WITH INHERIT TRUE, SET TRUE',
      'GRANT "app" TO "master" WITH INHERIT FALSE, SET TRUE',
      'GRANT "metering" TO "master" WITH INHERIT FALSE, SET TRUE',
      'GRANT "tenant_acme" TO "master" WITH INHERIT FALSE, SET TRUE',
    ]);
  });

  test("GIVEN a superuser THEN no operator membership is issued", () => {
    const catalog = converged(["acme"]);
    expect(
      sql([{ id: "acme" }], {
        ...catalog,
        superuser: true,
        memberships: catalog.memberships.filter((m) => m.member !== MASTER),
      }),
    ).toEqual([]);
  });

  test("GIVEN a dedicated tenant moved back to shared THEN NOLOGIN and CONNECT revoked; rds_iam stays", () => {
    const catalog = converged(["acme"]);
    const p = plan([{ id: "acme" }], {
      ...catalog,
      roles: new Map<string, CatalogRole>([...catalog.roles, ["tenant_acme", { login: true, inherit: true }]]),
      databaseGrants: [...catalog.databaseGrants, "tenant_acme:CONNECT"],
      memberships: [...catalog.memberships, member("rds_iam", "tenant_acme", { inherit: true, set: false })],
    });
    expect(p.statements.map((s) => s.sql)).toEqual([
      'ALTER ROLE "tenant_acme" NOLOGIN',
      'REVOKE CONNECT ON DATABASE "app" FROM "tenant_acme"',
    ]);
    expect(p.changed).toEqual(["acme"]);
  });
  test("GIVEN a fresh database THEN the usage collector gets its role, IAM login, CONNECT, admin USAGE and its table", () => {
    const catalog = converged([]);
    const roles = new Map(catalog.roles);
    roles.delete("metering");
    const p = plan([], {
      ...catalog,
      roles,
      memberships: catalog.memberships.filter((m) => m.role !== "metering" && m.member !== "metering"),
      databaseGrants: ["migrator:CONNECT", "app:CONNECT"],
      schemas: new Map<string, CatalogSchema>([...catalog.schemas, ["admin", { owner: MASTER, grants: [] }]]),
      adminTables: new Map(),
    });
    expect(p.statements.map((s) => s.sql)).toEqual([
      'CREATE ROLE "metering" LOGIN',
      'GRANT "rds_iam" TO "metering" WITH INHERIT TRUE, SET FALSE',
      'GRANT CONNECT ON DATABASE "app" TO "metering"',
      'GRANT USAGE ON SCHEMA "admin" TO "metering"',
      `CREATE TABLE "admin"."tenant_usage_snapshot" (
  userid oid PRIMARY KEY,
  calls bigint NOT NULL,
  time_ms double precision NOT NULL,
  rows bigint NOT NULL,
  collected_at timestamptz NOT NULL,
  stats_reset timestamptz,
  dealloc bigint
)`,
      'GRANT SELECT, INSERT, UPDATE, DELETE ON TABLE "admin"."tenant_usage_snapshot" TO "metering"',
    ]);
  });

  test("GIVEN a dedicated tenant with a statement timeout and a connection limit THEN both are set on its role", () => {
    const catalog = converged(["acme"]);
    const p = plan([{ id: "acme", tier: "dedicated", statementTimeoutMs: 5000, connectionLimit: 3 }], {
      ...catalog,
      roles: new Map([...catalog.roles, ["tenant_acme", { login: true, inherit: true }]]),
      databaseGrants: [...catalog.databaseGrants, "tenant_acme:CONNECT"],
      memberships: [...catalog.memberships, member("rds_iam", "tenant_acme", { inherit: true, set: false })],
    });
    expect(p.statements).toEqual([
      { tenant: "acme", sql: 'ALTER ROLE "tenant_acme" CONNECTION LIMIT 3' },
      { tenant: "acme", sql: 'ALTER ROLE "tenant_acme" SET statement_timeout = 5000' },
    ]);
    expect(p.changed).toEqual(["acme"]);
  });

  test("GIVEN the limits already in place THEN a re-run issues nothing", () => {
    const catalog = converged(["acme"]);
    const roles = new Map(catalog.roles);
    roles.set("tenant_acme", { login: true, inherit: true, connectionLimit: 3, statementTimeout: "5000" });
    expect(
      sql([{ id: "acme", tier: "dedicated", statementTimeoutMs: 5000, connectionLimit: 3 }], {
        ...catalog,
        roles,
        databaseGrants: [...catalog.databaseGrants, "tenant_acme:CONNECT"],
        memberships: [...catalog.memberships, member("rds_iam", "tenant_acme", { inherit: true, set: false })],
      }),
    ).toEqual([]);
  });

  test("GIVEN different limits on the role THEN only the one that differs is changed", () => {
    const catalog = converged(["acme"]);
    const roles = new Map(catalog.roles);
    roles.set("tenant_acme", { login: true, inherit: true, connectionLimit: 3, statementTimeout: "1min" });
    expect(
      sql([{ id: "acme", tier: "dedicated", statementTimeoutMs: 5000, connectionLimit: 3 }], {
        ...catalog,
        roles,
        databaseGrants: [...catalog.databaseGrants, "tenant_acme:CONNECT"],
        memberships: [...catalog.memberships, member("rds_iam", "tenant_acme", { inherit: true, set: false })],
      }),
    ).toEqual(['ALTER ROLE "tenant_acme" SET statement_timeout = 5000']);
  });

  test("GIVEN limits taken out of config THEN they are taken off the role", () => {
    const catalog = converged(["acme"]);
    const roles = new Map(catalog.roles);
    roles.set("tenant_acme", { login: true, inherit: true, connectionLimit: 3, statementTimeout: "5000" });
    expect(
      sql([{ id: "acme", tier: "dedicated" }], {
        ...catalog,
        roles,
        databaseGrants: [...catalog.databaseGrants, "tenant_acme:CONNECT"],
        memberships: [...catalog.memberships, member("rds_iam", "tenant_acme", { inherit: true, set: false })],
      }),
    ).toEqual(['ALTER ROLE "tenant_acme" CONNECTION LIMIT -1', 'ALTER ROLE "tenant_acme" RESET statement_timeout']);
  });
});
