/**
 * The tenant provisioner's core against a real PostgreSQL 16, connected as an RDS-like master user (not a
 * superuser; see support/rdsMaster.ts), with exactly the event the offline plan gives the stack's
 * `aws.lambda.Invocation`.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { Client } from "pg";
import { mockClient } from "aws-sdk-client-mock";
import { GetSecretValueCommand, SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { TenantSpec } from "../../components/tenant-schemas/model";
import { ProvisionerEvent } from "../../components/tenant-plane/event";
import { ProvisioningCheckError, provisionTenants } from "../../components/tenant-plane/provision";
import { purgeTenant, PURGE_EVENT_KIND } from "../../components/tenant-plane/purge";
import { createHandler, readEnvironment } from "../../components/tenant-plane/handler";
import { TenantInputError } from "../../components/tenant-plane/verify";
import { directoryExportSink } from "../../tools/tenants/purge";
import { startTestServer, TestServer } from "./support/postgresServer";
import { createRdsLikeDatabase, RdsLikeDatabase } from "./support/rdsMaster";
import { catalogSnapshot, connect, plannedEvent } from "./support/provisioning";

const TENANTS: TenantSpec[] = [
  { id: "alpha", displayName: "Alpha Ltd" },
  { id: "beta" },
  { id: "gamma", tier: "dedicated" },
];
const PASSWORD = "only-in-this-test";

let server: TestServer;
let db: RdsLikeDatabase;
let master: Client;
let root: Client;
let event: ProvisionerEvent;

const roles = async () =>
  (await root.query("SELECT rolname FROM pg_roles WHERE rolname ~ '^(tenant_|app$|migrator$)' ORDER BY 1")).rows.map(
    (r) => r.rolname as string,
  );
const eventFor = (tenants: TenantSpec[]) => plannedEvent(tenants, db.database);
/** As the app session: BEGIN; SET LOCAL ROLE; sql; ROLLBACK — the request pattern of the service. */
async function asTenant(app: Client, role: string, sql: string) {
  await app.query("BEGIN");
  try {
    await app.query(`SET LOCAL ROLE ${role}`);
    return (await app.query(sql)).rows;
  } finally {
    await app.query("ROLLBACK");
  }
}

beforeAll(async () => {
  server = await startTestServer();
  db = await createRdsLikeDatabase(server, "provisioner");
  master = await connect(db.url);
  root = await connect(db.superuserUrl);
  event = await eventFor(TENANTS);
});

afterAll(async () => {
  await master?.end();
  await root?.end();
  await db?.drop();
  await server?.stop();
});

describe("GIVEN the planned event for alpha, beta and gamma (dedicated) on a fresh database", () => {
  test("the event is the plan's Invocation input, with every default filled in", () => {
    expect(event).toEqual({
      kind: "saas.tenant-provisioner/v1",
      mode: "apply",
      database: db.database,
      migratorRole: "migrator",
      appRole: "app",
      rdsIam: true,
      adminSchema: "admin",
      tenants: [
        { id: "alpha", displayName: "Alpha Ltd", tier: "shared", status: "active" },
        { id: "beta", tier: "shared", status: "active" },
        { id: "gamma", tier: "dedicated", status: "active" },
      ],
      handlerSha256: expect.stringMatching(/^[0-9a-f]{64}$/),
    });
  });

  test("the first run creates every role and schema, and every isolation check passes", async () => {
    const report = await provisionTenants(master, event, { includeStatements: true });
    expect(report).toMatchObject({
      action: "apply",
      database: db.database,
      tenants: 3,
      created: ["alpha", "beta", "gamma"],
      changed: [],
      suspended: [],
      orphaned: [],
      notes: [],
      checks: { failed: 0, failures: [] },
    });
    expect(report.checks.total).toBeGreaterThan(70);
    // Every check by name in the report (the stack output), e.g. one database-wide and one per tenant:
    expect(report.checks.byCheck?.["catalog: tenant roles app can become"]).toEqual({ passed: 1, failed: 0 });
    expect(report.checks.byCheck?.["behaviour: any DML on other tenants' tables"]).toEqual({ passed: 3, failed: 0 });
    expect(Object.values(report.checks.byCheck ?? {}).reduce((n, c) => n + c.passed + c.failed, 0)).toBe(
      report.checks.total,
    );
    // The platform part, in order (the usage collector's login included); then 6 statements per shared tenant
    // and 8 for the dedicated one.
    expect(report.sql?.slice(0, 15)).toEqual([
      'CREATE ROLE "migrator" LOGIN',
      'CREATE ROLE "app" LOGIN NOINHERIT',
      'CREATE ROLE "metering" LOGIN',
      `GRANT "migrator" TO "${db.masterUser}" WITH INHERIT TRUE, SET TRUE`,
      'GRANT "rds_iam" TO "app" WITH INHERIT TRUE, SET FALSE',
      'GRANT "rds_iam" TO "metering" WITH INHERIT TRUE, SET FALSE',
      `REVOKE CONNECT, TEMPORARY ON DATABASE "${db.database}" FROM PUBLIC`,
      'REVOKE CONNECT, TEMPORARY ON DATABASE "postgres" FROM PUBLIC',
      `GRANT CONNECT ON DATABASE "${db.database}" TO "migrator"`,
      `GRANT CONNECT ON DATABASE "${db.database}" TO "app"`,
      `GRANT CONNECT ON DATABASE "${db.database}" TO "metering"`,
      'CREATE SCHEMA "admin"',
      'GRANT USAGE ON SCHEMA "admin" TO "metering"',
      expect.stringMatching(/^CREATE TABLE "admin"\."tenant_usage_snapshot" \(/),
      'GRANT SELECT, INSERT, UPDATE, DELETE ON TABLE "admin"."tenant_usage_snapshot" TO "metering"',
    ]);
    expect(report.statements).toBe(15 + 6 + 6 + 8);
  });

  test("the service role can log in with IAM only: app is a member of rds_iam, NOINHERIT, no password", async () => {
    const [row] = (
      await root.query(`SELECT r.rolinherit, r.rolpassword IS NULL AS no_password,
                               pg_has_role('app', 'rds_iam', 'MEMBER') AS iam
                          FROM pg_authid r WHERE r.rolname = 'app'`)
    ).rows;
    expect(row).toEqual({ rolinherit: false, no_password: true, iam: true });
  });

  test("the master user keeps what the runbooks need: INHERIT and SET on migrator, SET on each tenant", async () => {
    const rows = (
      await root.query(
        `SELECT r.rolname AS role, bool_or(m.inherit_option) AS inherit, bool_or(m.set_option) AS set
           FROM pg_auth_members m JOIN pg_roles r ON r.oid = m.roleid
          WHERE m.member = $1::regrole AND r.rolname ~ '^(migrator|app|tenant_.*)$' GROUP BY 1 ORDER BY 1`,
        [db.masterUser],
      )
    ).rows;
    expect(rows).toEqual([
      { role: "app", inherit: false, set: true },
      { role: "migrator", inherit: true, set: true },
      { role: "tenant_alpha", inherit: false, set: true },
      { role: "tenant_beta", inherit: false, set: true },
      { role: "tenant_gamma", inherit: false, set: true },
    ]);
    // What a DBA does with them: read a tenant's schema and drop one, as the master user.
    await master.query("BEGIN");
    try {
      await master.query("CREATE TABLE tenant_beta.scratch (id int)");
      await expect(master.query("SELECT count(*) FROM tenant_beta.scratch")).resolves.toBeDefined();
      await expect(master.query("DROP SCHEMA tenant_beta CASCADE")).resolves.toBeDefined();
    } finally {
      await master.query("ROLLBACK");
    }
  });

  test("PUBLIC can neither connect to nor create temporary tables in the postgres database", async () => {
    const [row] = (
      await root.query(`SELECT has_database_privilege('public', 'postgres', 'CONNECT') AS connect,
                               has_database_privilege('public', 'postgres', 'TEMPORARY') AS temp`)
    ).rows;
    expect(row).toEqual({ connect: false, temp: false });
    await root.query(`ALTER ROLE tenant_gamma PASSWORD '${PASSWORD}'`);
    const u = new URL(server.urlFor("tenant_gamma", PASSWORD));
    u.pathname = "/postgres";
    await expect(connect(u.toString())).rejects.toThrow('permission denied for database "postgres"');
  });

  test("a re-run issues no statement and leaves the catalog byte-identical", async () => {
    const before = await catalogSnapshot(root);
    const report = await provisionTenants(master, event, { includeStatements: true });
    expect(report).toMatchObject({ statements: 0, sql: [], created: [], changed: [], checks: { failed: 0 } });
    expect(await catalogSnapshot(root)).toEqual(before);
  });

  test("the afterMigrate revoke on Flyway's history table survives a re-run", async () => {
    await master.query(`SET ROLE migrator;
      CREATE TABLE tenant_alpha.flyway_schema_history (installed_rank int PRIMARY KEY, version text, success boolean NOT NULL);
      REVOKE ALL ON tenant_alpha.flyway_schema_history FROM tenant_alpha;
      RESET ROLE;`);
    const report = await provisionTenants(master, event, { includeStatements: true });
    expect(report.sql).toEqual([]);
    const [row] = (
      await root.query(
        "SELECT has_table_privilege('tenant_alpha', 'tenant_alpha.flyway_schema_history', 'INSERT, UPDATE, DELETE') AS w",
      )
    ).rows;
    expect(row.w).toBe(false);
  });

  test("a table that lacks its grants gets exactly those, and the history table is left alone", async () => {
    await master.query(`SET ROLE migrator;
      CREATE TABLE tenant_beta.legacy (id int);
      REVOKE ALL ON tenant_beta.legacy FROM tenant_beta;
      RESET ROLE;`);
    const report = await provisionTenants(master, event, { includeStatements: true });
    expect(report.sql).toEqual([
      'GRANT SELECT, INSERT, UPDATE, DELETE ON TABLE "tenant_beta"."legacy" TO "tenant_beta"',
    ]);
    expect(report.changed).toEqual(["beta"]);
  });

  test("adding a tenant issues statements for that tenant only and leaves the others untouched", async () => {
    const before = await catalogSnapshot(root);
    const more = await eventFor([...TENANTS, { id: "delta" }]);
    expect({ ...more, tenants: more.tenants.slice(0, 3) }).toEqual(event);
    const report = await provisionTenants(master, more, { includeStatements: true });
    expect(report.created).toEqual(["delta"]);
    expect(report.sql).toHaveLength(6);
    for (const sql of report.sql ?? []) expect(sql).toContain('"tenant_delta"');
    const after = await catalogSnapshot(root);
    const withoutDelta = Object.fromEntries(
      Object.entries(after).map(([k, rows]) => [k, rows.filter((r) => !JSON.stringify(r).includes("tenant_delta"))]),
    );
    expect(withoutDelta).toEqual({ ...before, databases: withoutDelta.databases });
    event = more;
  });
});

describe("GIVEN the four tenants provisioned, WHEN tenants are suspended, removed and restored", () => {
  let app: Client;
  beforeAll(async () => {
    await root.query(`ALTER ROLE app PASSWORD '${PASSWORD}'`);
    app = await connect(db.urlFor("app", PASSWORD));
    await master.query("SET ROLE migrator; CREATE TABLE tenant_beta.notes (id int, body text); RESET ROLE");
    await asTenant(app, "tenant_beta", "SELECT 1");
    await app.query("BEGIN; SET LOCAL ROLE tenant_beta; INSERT INTO tenant_beta.notes VALUES (1, 'kept'); COMMIT");
  });
  afterAll(async () => {
    await app?.end();
  });

  test("suspending beta revokes app's membership, keeps the data, and a re-run changes nothing", async () => {
    const suspended = await eventFor([TENANTS[0], { id: "beta", status: "suspended" }, TENANTS[2], { id: "delta" }]);
    const report = await provisionTenants(master, suspended, { includeStatements: true });
    expect(report).toMatchObject({ suspended: ["beta"], changed: ["beta"], orphaned: [], checks: { failed: 0 } });
    expect(report.sql).toEqual([`REVOKE "tenant_beta" FROM "app" GRANTED BY "${db.masterUser}"`]);
    await expect(asTenant(app, "tenant_beta", "SELECT 1")).rejects.toThrow(
      'permission denied to set role "tenant_beta"',
    );
    expect((await root.query("SELECT body FROM tenant_beta.notes")).rows).toEqual([{ body: "kept" }]);
    expect((await provisionTenants(master, suspended)).statements).toBe(0);
  });

  test("suspending the dedicated gamma takes its LOGIN and CONNECT: it can no longer log in", async () => {
    const suspended = await eventFor([
      TENANTS[0],
      { id: "beta", status: "suspended" },
      { id: "gamma", tier: "dedicated", status: "suspended" },
      { id: "delta" },
    ]);
    const report = await provisionTenants(master, suspended, { includeStatements: true });
    expect(report.suspended).toEqual(["gamma"]);
    expect(report.sql).toEqual([
      'ALTER ROLE "tenant_gamma" NOLOGIN',
      `REVOKE CONNECT ON DATABASE "${db.database}" FROM "tenant_gamma"`,
      `REVOKE "tenant_gamma" FROM "app" GRANTED BY "${db.masterUser}"`,
    ]);
    await expect(connect(db.urlFor("tenant_gamma", PASSWORD))).rejects.toThrow(
      'role "tenant_gamma" is not permitted to log in',
    );
  });

  test("a tenant removed from config is reported as orphaned, suspended, and never dropped", async () => {
    const withoutAlpha = await eventFor([
      { id: "beta", status: "suspended" },
      { id: "gamma", tier: "dedicated", status: "suspended" },
      { id: "delta" },
    ]);
    const report = await provisionTenants(master, withoutAlpha, { includeStatements: true });
    expect(report).toMatchObject({ orphaned: ["alpha"], suspended: ["alpha"], checks: { failed: 0 } });
    expect(report.sql).toEqual([`REVOKE "tenant_alpha" FROM "app" GRANTED BY "${db.masterUser}"`]);
    await expect(asTenant(app, "tenant_alpha", "SELECT 1")).rejects.toThrow(
      'permission denied to set role "tenant_alpha"',
    );
    expect((await root.query("SELECT nspname FROM pg_namespace WHERE nspname = 'tenant_alpha'")).rows).toHaveLength(1);
    // Still orphaned on the next run, and still nothing to do.
    expect(await provisionTenants(master, withoutAlpha)).toMatchObject({
      statements: 0,
      orphaned: ["alpha"],
      suspended: [],
    });
  });

  test("restoring beta and gamma gives back exactly what suspension took", async () => {
    const restored = await eventFor([{ id: "beta" }, { id: "gamma", tier: "dedicated" }, { id: "delta" }]);
    const report = await provisionTenants(master, restored, { includeStatements: true });
    expect(report.sql).toEqual([
      'GRANT "tenant_beta" TO "app" WITH INHERIT FALSE, SET TRUE',
      'ALTER ROLE "tenant_gamma" LOGIN',
      `GRANT CONNECT ON DATABASE "${db.database}" TO "tenant_gamma"`,
      'GRANT "tenant_gamma" TO "app" WITH INHERIT FALSE, SET TRUE',
    ]);
    await expect(asTenant(app, "tenant_beta", "SELECT body FROM notes")).resolves.toEqual([{ body: "kept" }]);
    event = restored;
  });
});

describe("WHEN a run cannot be applied safely", () => {
  test("a failed isolation check fails the run, names the check, and rolls back everything it did", async () => {
    await root.query("GRANT SELECT ON tenant_delta.notes_leak TO tenant_beta").catch(() => undefined);
    await master.query("SET ROLE migrator; CREATE TABLE tenant_delta.secrets (v text); RESET ROLE");
    await root.query(
      "GRANT USAGE ON SCHEMA tenant_delta TO tenant_beta; GRANT SELECT ON tenant_delta.secrets TO tenant_beta",
    );
    const withEpsilon = await eventFor([
      { id: "beta" },
      { id: "gamma", tier: "dedicated" },
      { id: "delta" },
      { id: "epsilon" },
    ]);
    const run = provisionTenants(master, withEpsilon);
    await expect(run).rejects.toBeInstanceOf(ProvisioningCheckError);
    await expect(run).rejects.toThrow(
      /tenant provisioning rolled back: 4 of \d+ isolation checks failed:\n {2}- \*: catalog: grants to a tenant role on another tenant's objects: expected none, got tenant_beta on schema tenant_delta, tenant_beta on tenant_delta\.secrets\n {2}- beta: catalog: schemas the tenant role can use: expected tenant_beta, got tenant_beta, tenant_delta\n {2}- beta: catalog: privileges on other schemas' relations: expected none, got tenant_delta\.secrets\n {2}- beta: behaviour: any DML on other tenants' tables: expected denied, got allowed: SELECT tenant_delta\.secrets/,
    );
    // epsilon's role and schema were created in the run, and are gone with its rollback.
    expect(await roles()).not.toContain("tenant_epsilon");
    await root.query("REVOKE USAGE ON SCHEMA tenant_delta FROM tenant_beta; DROP TABLE tenant_delta.secrets");
  });

  test.each([
    [
      "a tenant id the model refuses",
      { tenants: [{ id: "Bad-Id", tier: "shared", status: "active" }] },
      'event.tenants[0].id: "Bad-Id" must match ^[a-z][a-z0-9_]{1,30}$ (lowercase letter, then 1–30 lowercase letters, digits or _)',
    ],
    [
      "a missing database",
      { database: undefined },
      "event.database: undefined must be a lowercase PostgreSQL identifier",
    ],
    ["a missing app role", { appRole: undefined }, "event.appRole: is missing; expected a role name"],
    [
      "an unknown status",
      { tenants: [{ id: "beta", tier: "shared", status: "paused" }] },
      'event.tenants[0].status: "paused" must be "active" or "suspended"',
    ],
    ["an unknown field", { tenantz: [] }, "event.tenantz: unknown field; expected only kind, mode, database"],
    [
      "another kind of event",
      { kind: "saas.other/v1" },
      'event.kind: "saas.other/v1" must be "saas.tenant-provisioner/v1"',
    ],
    ["a bad code hash", { handlerSha256: "abc" }, 'event.handlerSha256: "abc" must be 64 lowercase hex digits'],
  ])("%s is refused with a clear error, before anything is applied", async (_label, change, message) => {
    const before = await catalogSnapshot(root);
    const bad = { ...event, ...change };
    await expect(provisionTenants(master, bad)).rejects.toBeInstanceOf(TenantInputError);
    await expect(provisionTenants(master, bad)).rejects.toThrow(message);
    expect(await catalogSnapshot(root)).toEqual(before);
  });

  test("an event for another database is refused", async () => {
    await expect(provisionTenants(master, { ...event, database: "app" })).rejects.toThrow(
      `event.database: "app" is not the database this connection is in ("${db.database}"); connect to "app"`,
    );
  });

  test("the Invocation's delete (the resource or the stack removed) drops and revokes nothing", async () => {
    const before = await catalogSnapshot(root);
    const report = await provisionTenants(master, { ...event, tf: { action: "delete", prev_input: event } });
    expect(report).toMatchObject({ action: "delete", statements: 0 });
    expect(await catalogSnapshot(root)).toEqual(before);
  });

  test("mode verify (a check-only run) applies nothing and fails on what is missing", async () => {
    const withEpsilon = await eventFor([
      { id: "beta" },
      { id: "gamma", tier: "dedicated" },
      { id: "delta" },
      { id: "epsilon" },
    ]);
    const before = await catalogSnapshot(root);
    const run = provisionTenants(master, { ...withEpsilon, mode: "verify" });
    await expect(run).rejects.toBeInstanceOf(ProvisioningCheckError);
    await expect(run).rejects.toThrow(
      "epsilon: catalog: role tenant_epsilon attributes: expected NOLOGIN, got missing",
    );
    expect(await catalogSnapshot(root)).toEqual(before);
    await expect(provisionTenants(master, { ...event, mode: "verify" })).resolves.toMatchObject({
      action: "verify",
      statements: 0,
      checks: { failed: 0 },
    });
  });

  test("a dry run applies, verifies and rolls back", async () => {
    const withEpsilon = await eventFor([
      { id: "beta" },
      { id: "gamma", tier: "dedicated" },
      { id: "delta" },
      { id: "epsilon" },
    ]);
    const report = await provisionTenants(master, withEpsilon, { dryRun: true });
    expect(report).toMatchObject({ action: "dry-run", created: ["epsilon"], checks: { failed: 0 } });
    expect(report.sql).toHaveLength(6);
    expect(await roles()).not.toContain("tenant_epsilon");
  });
});

describe("purging a tenant", () => {
  let dir: string;
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "purge-"));
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
  const purge = (tenant: string, extra: object = {}) =>
    purgeTenant(
      master,
      { kind: PURGE_EVENT_KIND, tenant, confirm: tenant, requestedBy: "ops@example", ...extra },
      directoryExportSink(dir),
      () => new Date("2026-12-01T10:00:00.000Z"),
    );

  test("is refused while the tenant is reachable (still active in config)", async () => {
    await expect(purge("beta")).rejects.toThrow(
      "purge refused: tenant beta is still reachable (app can SET ROLE tenant_beta); remove it from config and run pulumi up first, so the provisioner suspends it",
    );
  });

  test("is refused when the confirmation does not repeat the id", async () => {
    await expect(purge("alpha", { confirm: "alpah" })).rejects.toThrow(
      'purge refused; nothing was exported or dropped: confirm: "alpah" must repeat the tenant id "alpha"',
    );
  });

  test("exports every row, manifest last, then drops the orphaned tenant's schema and role", async () => {
    await master.query(`SET ROLE migrator; CREATE TABLE tenant_alpha.customers (id int, name text);
      INSERT INTO tenant_alpha.customers VALUES (1, 'one'), (2, 'two'); RESET ROLE;`);
    const report = await purge("alpha");
    const prefix = path.join(dir, "tenant-exports", "alpha", "2026-12-01T10-00-00-000Z");
    expect(report).toEqual({
      action: "purge",
      tenant: "alpha",
      exportLocation: prefix,
      tables: [
        { name: "customers", rows: 2, parts: 1 },
        { name: "flyway_schema_history", rows: 0, parts: 1 },
      ],
      dropped: ["schema tenant_alpha", "role tenant_alpha"],
      requestedBy: "ops@example",
    });
    expect(fs.readFileSync(path.join(prefix, "customers.00001.jsonl"), "utf8")).toBe(
      '{"id":1,"name":"one"}\n{"id":2,"name":"two"}\n',
    );
    const manifest = JSON.parse(fs.readFileSync(path.join(prefix, "manifest.json"), "utf8"));
    expect(manifest).toMatchObject({ kind: "saas.tenant-export/v1", tenant: "alpha", requestedBy: "ops@example" });
    expect(manifest.tables[0].columns).toEqual([
      { name: "id", type: "integer" },
      { name: "name", type: "text" },
    ]);
    expect(await roles()).not.toContain("tenant_alpha");
    // The next apply has no orphan left, and every check still passes.
    expect(await provisionTenants(master, event)).toMatchObject({ orphaned: [], checks: { failed: 0 } });
  });
});

describe("the Lambda handler", () => {
  const secrets = mockClient(SecretsManagerClient);
  const env = () =>
    readEnvironment({
      DB_HOST: "127.0.0.1",
      DB_PORT: String(new URL(db.url).port),
      DB_NAME: db.database,
      MASTER_SECRET_ARN: "arn:aws:secretsmanager:us-east-1:123456789012:secret:rds!db-1234-AbCdEf",
    });
  // The embedded server offers no TLS: the test client drops the ssl settings the handler builds (and asserts them).
  const configs: unknown[] = [];
  const logged: Record<string, unknown>[] = [];
  const handler = createHandler(
    {
      log: (entry) => logged.push(entry),
      secrets: secrets as unknown as SecretsManagerClient,
      newClient: (c) => {
        configs.push(c.ssl);
        return new Client({ ...c, ssl: false });
      },
    },
    env,
  );
  afterEach(() => secrets.reset());

  test("reads the RDS-managed secret (its documented {username, password} shape) and applies the event", async () => {
    secrets
      .on(GetSecretValueCommand, {
        SecretId: "arn:aws:secretsmanager:us-east-1:123456789012:secret:rds!db-1234-AbCdEf",
      })
      .resolves({ SecretString: JSON.stringify({ username: db.masterUser, password: db.password }) });
    await expect(handler(event)).resolves.toMatchObject({ action: "apply", statements: 0, checks: { failed: 0 } });
    expect(configs.at(-1)).toEqual({ rejectUnauthorized: true, servername: "127.0.0.1" });
    // The audit trail in the function's log: the event as received, then the report.
    expect(logged.map((l) => l.msg)).toEqual(["event", "done"]);
    expect(logged[0].event).toEqual(event);
    expect(logged[1].report).toMatchObject({ action: "apply", statements: 0 });
    expect(JSON.stringify(logged)).not.toContain(db.password);
  });

  test("reads the secret again once when the password was rotated between read and login", async () => {
    secrets
      .on(GetSecretValueCommand)
      .resolvesOnce({ SecretString: JSON.stringify({ username: db.masterUser, password: "rotated-away" }) })
      .resolves({ SecretString: JSON.stringify({ username: db.masterUser, password: db.password }) });
    await expect(handler(event)).resolves.toMatchObject({ statements: 0 });
    expect(secrets.commandCalls(GetSecretValueCommand)).toHaveLength(2);
  });

  test("names every missing setting when misconfigured", () => {
    expect(() => readEnvironment({ DB_PORT: "x" })).toThrow(
      'provisioner misconfigured: DB_HOST is not set; DB_NAME is not set; MASTER_SECRET_ARN is not set; DB_PORT="x" is not a port number',
    );
  });
});

describe("GIVEN more tenants than are fully verified on every run", () => {
  const many: TenantSpec[] = [
    { id: "beta" },
    { id: "gamma", tier: "dedicated" },
    { id: "delta" },
    ...Array.from({ length: 50 }, (_, i) => ({ id: `fleet${String(i).padStart(2, "0")}` })),
  ];

  test("beyond 50 tenants, this code (which checked all 4 before) checks the 50 it creates, and the record stays", async () => {
    const first = await eventFor(many);
    const report = await provisionTenants(master, first);
    expect(report.checks).toMatchObject({ failed: 0, scope: "50 of 53 tenants" });
    // Written by the last run that checked every tenant (the earlier runs of this suite, 3 tenants then).
    expect((await master.query("SELECT handler_sha256, tenants FROM admin.tenant_provisioner_state")).rows).toEqual([
      { handler_sha256: first.handlerSha256, tenants: 3 },
    ]);
  });

  test("an added tenant is checked alone, and the fleet-wide sweeps still catch a leak in an untouched one", async () => {
    const plus = await eventFor([...many, { id: "fleet50" }]);
    await expect(provisionTenants(master, plus, { dryRun: true })).resolves.toMatchObject({
      created: ["fleet50"],
      checks: { failed: 0, scope: "1 of 54 tenants" },
    });
    // A migration that gave one tenant a view over another's table (views run with their owner's rights).
    await master.query(`SET ROLE migrator;
      CREATE TABLE tenant_fleet01.secrets (v text);
      CREATE VIEW tenant_fleet00.peek AS SELECT * FROM tenant_fleet01.secrets;
      RESET ROLE;`);
    try {
      await expect(provisionTenants(master, plus)).rejects.toThrow(
        "*: catalog: views in any tenant schema reaching other schemas: expected none, got tenant_fleet00.peek -> tenant_fleet01.secrets",
      );
    } finally {
      await master.query(
        "SET ROLE migrator; DROP VIEW tenant_fleet00.peek; DROP TABLE tenant_fleet01.secrets; RESET ROLE;",
      );
    }
  });

  test("other handler code than the one that last checked everything checks every tenant again", async () => {
    const newCode = { ...(await eventFor(many)), handlerSha256: "f".repeat(64) };
    await expect(provisionTenants(master, newCode, { dryRun: true })).resolves.toMatchObject({
      checks: { failed: 0, scope: "all" },
    });
  });
});

describe("the Invocation's delete call", () => {
  test("answers without the database, the secret, or a valid current event (an old stored input)", async () => {
    const secrets = mockClient(SecretsManagerClient);
    const handler = createHandler(
      {
        log: () => undefined,
        secrets: secrets as unknown as SecretsManagerClient,
        newClient: () => {
          throw new Error("the delete call must not connect");
        },
      },
      () => readEnvironment({ DB_HOST: "db", DB_PORT: "5432", DB_NAME: "app", MASTER_SECRET_ARN: "arn:x" }),
    );
    const storedLongAgo = { kind: "saas.tenant-provisioner/v0", someOldField: true, tenants: [{ id: "x" }] };
    await expect(handler({ ...storedLongAgo, tf: { action: "delete", prev_input: null } })).resolves.toMatchObject({
      action: "delete",
      statements: 0,
      tenants: 1,
    });
    expect(secrets.commandCalls(GetSecretValueCommand)).toHaveLength(0);
    secrets.restore();
  });
});
