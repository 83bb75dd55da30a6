/**
 * pg_stat_statements evicts its least-used entries once more than `pg_stat_statements.max` distinct statements
 * exist (PostgreSQL 16 manual, F.32: "the information about the least-executed statements is discarded"; the
 * number of times it did is pg_stat_statements_info.dealloc). Here a server with the smallest allowed max (100) and one tenant
 * running 300 distinct statements: the collector reports the evictions as a caveat instead of silently
 * undercounting. Logins use passwords a superuser gives them (IAM tokens in AWS).
 */
import { createHash } from "crypto";
import { Client } from "pg";
import { collectUsage } from "../../components/tenant-metering/usage";
import { renderProvisionerEvent } from "../../components/tenant-plane/event";
import { provisionTenants } from "../../components/tenant-plane/provision";
import { startTestServer, TestServer } from "./support/postgresServer";
import { createRdsLikeDatabase, RdsLikeDatabase } from "./support/rdsMaster";
import { connect } from "./support/provisioning";

const PASSWORD = "only-in-this-test";
let server: TestServer;
let db: RdsLikeDatabase;
let master: Client;
let root: Client;
let metering: Client;

beforeAll(async () => {
  server = await startTestServer({
    settings: { shared_preload_libraries: "pg_stat_statements", "pg_stat_statements.max": "100" },
  });
  db = await createRdsLikeDatabase(server, "eviction");
  master = await connect(db.url);
  root = await connect(db.superuserUrl);
  const handlerSha256 = createHash("sha256").update("tenantMeteringEviction.test").digest("hex");
  await provisionTenants(
    master,
    renderProvisionerEvent({ tenants: [{ id: "alpha" }], database: db.database, mode: "apply", handlerSha256 }),
  );
  await root.query("CREATE EXTENSION pg_stat_statements SCHEMA admin");
  await root.query(`ALTER ROLE metering PASSWORD '${PASSWORD}'`);
  await root.query(`ALTER ROLE app PASSWORD '${PASSWORD}'`);
  metering = await connect(db.urlFor("metering", PASSWORD));
}, 60_000);

afterAll(async () => {
  await metering?.end();
  await master?.end();
  await root?.end();
  await db?.drop();
  await server?.stop();
});

test("evictions during the period are counted and named in the caveats", async () => {
  await collectUsage(metering);
  const app = await connect(db.urlFor("app", PASSWORD));
  try {
    await app.query("BEGIN");
    await app.query("SET LOCAL ROLE tenant_alpha");
    // 300 distinct statements against a max of 100: i + 1 columns each, so a distinct parse tree and queryid
    // each (constants and column aliases alone do not make a statement distinct).
    for (let i = 0; i < 300; i++) await app.query(`SELECT ${Array.from({ length: i + 1 }, () => "1").join(", ")}`);
    await app.query("COMMIT");
  } finally {
    await app.end();
  }
  const sample = await collectUsage(metering);
  expect(sample.evictedEntries).toBeGreaterThan(0);
  expect(sample.caveats).toContain(
    `pg_stat_statements evicted entries ${sample.evictedEntries} time(s) (pg_stat_statements.max is too small): their usage since the previous collection is lost`,
  );
  // What survived still counts for alpha: fewer than the 302 calls it made, never more.
  const alpha = sample.tenants.find((t) => t.tenantId === "alpha");
  expect(alpha?.calls).toBeGreaterThan(0);
  expect(alpha?.calls).toBeLessThan(302);
});
