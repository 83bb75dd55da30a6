/**
 * What each tenant used of the database since the previous collection: database time, calls and rows from
 * pg_stat_statements, storage from the sizes of its schema's relations. Plain TypeScript with `pg` and no AWS
 * import: the collector Lambda and the integration tests run this very function, as the metering role.
 *
 * The fact it rests on (proven in tests/integration/tenantMetering.test.ts): pg_stat_statements keys each entry
 * by the CURRENT role, not the session user. pgss_store() sets `key.userid = GetUserId()` (contrib/
 * pg_stat_statements/pg_stat_statements.c), and GetUserId() is the role SET ROLE changes (GetSessionUserId() is
 * the login). So a statement the service runs after `SET LOCAL ROLE tenant_x` is counted under tenant_x, and
 * per-tenant database time is the sum of an entry's counters by `userid`. The docs agree: "userid: OID of user
 * who executed the statement" (PostgreSQL 16 manual, F.32 pg_stat_statements), and PostgreSQL's own test
 * contrib/pg_stat_statements/sql/privileges.sql attributes statements to roles it reaches with SET ROLE.
 *
 * Who may read it: the same test and the manual say only superusers and members of pg_read_all_stats see other
 * users' query text and queryid, and "other users can see the statistics". So the metering role is NOT a member
 * of pg_read_all_stats (the narrowest grant is none): USAGE on the admin schema gives it every role's counters
 * and no query text, so a literal a service might put into SQL never reaches it (the reference service binds
 * every value; pg_stat_statements also replaces constants with $n in the texts it keeps). The price: without
 * queryid the collector cannot tell entries apart, so it keeps per-role sums, not per-entry counters.
 *
 * Why pg_stat_statements and not other per-role statistics: PostgreSQL keeps no cumulative per-role time
 * (pg_stat_activity is a point-in-time view of sessions, and its `usename` is the session user, i.e. `app`;
 * pg_stat_database is per database; pg_stat_user_tables counts tuples per table, not time). pg_stat_statements
 * is the only server-side counter of execution time, and it follows SET ROLE.
 *
 * What it misses, by design of pg_stat_statements (so dbTimeMs is a lower bound of what a tenant costs):
 * - planning time, unless `pg_stat_statements.track_planning` is on (it is off by default; total_plan_time is
 *   added here and is 0 then);
 * - time outside statements: connection set-up, idle-in-transaction time, network;
 * - statements that never finish (a cancelled or timed-out statement is not stored);
 * - entries evicted when more than `pg_stat_statements.max` distinct statements exist (dealloc counts the times);
 *   the counters of an evicted entry since the previous collection are lost;
 * - nested statements (inside functions) unless `track = all`; only top-level entries are summed, so none is
 *   counted twice either way.
 * Utility statements are counted (track_utility is on by default): `SET LOCAL ROLE` and `COMMIT` of a tenant
 * request land on the tenant, the `BEGIN` before SET ROLE lands on `app` (other).
 *
 * Deltas: the counters are cumulative since the last reset. The previous collection's counters live in
 * `admin.tenant_usage_snapshot` (one row per role, plus a header row with userid 0), which only the metering
 * role writes; each collection reads it, computes deltas and replaces it, in one transaction that holds a lock
 * on it (two collectors never interleave). A role whose counters went down since the previous collection was
 * reset (pg_stat_statements_reset, a crash or failover, or its entries evicted): its delta is its current
 * counters, which is exact for a reset and over-counts by what its surviving entries held for an eviction. A
 * changed `stats_reset` (a full reset) treats every role so. Every such case is named in `caveats`.
 */
import { ClientBase } from "pg";
import { ADMIN_SCHEMA, TENANT_NAME_LIKE, TENANT_PREFIX, USAGE_SNAPSHOT_TABLE } from "../tenant-schemas/model";
import { quoteIdent } from "../tenant-plane/sql";

export interface TenantUsage {
  readonly tenantId: string;
  /** Execution (plus planning, when tracked) time of the tenant role's top-level statements, in ms. */
  readonly dbTimeMs: number;
  readonly calls: number;
  /** Rows returned or affected. */
  readonly rows: number;
  /** pg_total_relation_size over the tenant schema's tables, materialised views and sequences (indexes and TOAST included), now. */
  readonly storageBytes: number;
}

export interface UsageSample {
  /** ISO 8601: the previous collection, or on the first one the last full reset of pg_stat_statements. */
  readonly periodStart: string;
  /** ISO 8601: this collection. */
  readonly periodEnd: string;
  /** Every tenant role or schema in the database, sorted by id (zero usage included). */
  readonly tenants: readonly TenantUsage[];
  /** Database time of every non-tenant role (app's BEGIN, migrator, the collector itself, operators), in ms. */
  readonly otherDbTimeMs: number;
  /**
   * How many times during the period pg_stat_statements evicted entries to make room (the growth of
   * pg_stat_statements_info.dealloc, which counts evictions, each dropping about 5% of the entries, not entries).
   * Above 0, usage of the evicted entries since the previous collection is lost: raise pg_stat_statements.max.
   */
  readonly evictedEntries: number;
  /** Why some numbers are not exact deltas (first collection, a reset, evictions); empty when they are. */
  readonly caveats: readonly string[];
}

export interface CollectUsageOptions {
  /** The collection's time (periodEnd). @default - now */
  readonly now?: Date;
  /** Schema of pg_stat_statements and of the snapshot table. @default "admin" */
  readonly schema?: string;
  /**
   * Runs with the sample before the new snapshot commits. If it throws, the snapshot rolls back and the error
   * propagates: the next collection covers this period too, so a record that failed to be written is never a
   * period lost from billing. @default - none: the snapshot commits as soon as it is written
   */
  readonly publish?: (sample: UsageSample) => Promise<void>;
}

/** The database cannot give usage (extension missing or not preloaded); nothing was recorded. */
export class UsageCollectionError extends Error {}

/** Header row of the snapshot table: oid 0 is no role. */
const HEADER_USERID = 0;

/** DDL of the snapshot table; the provisioner creates it (the metering role may not create anything). */
export function usageSnapshotTableSql(schema: string = ADMIN_SCHEMA): string {
  return `CREATE TABLE ${quoteIdent(schema)}.${quoteIdent(USAGE_SNAPSHOT_TABLE)} (
  userid oid PRIMARY KEY,
  calls bigint NOT NULL,
  time_ms double precision NOT NULL,
  rows bigint NOT NULL,
  collected_at timestamptz NOT NULL,
  stats_reset timestamptz,
  dealloc bigint
)`;
}

interface Counters {
  readonly calls: number;
  readonly timeMs: number;
  readonly rows: number;
}

interface SnapshotHeader {
  readonly collectedAt: Date;
  readonly statsReset: Date | null;
  readonly dealloc: number;
}

const ZERO: Counters = { calls: 0, timeMs: 0, rows: 0 };
/** Relative rounding allowance of a time sum (float8 carries ~15 significant digits). */
const TIME_EPSILON_MS = 1e-9;

/**
 * The counters since `previous` for one role. Pure; exported for its table-driven test. `reset` means the role's
 * counters cannot be compared with the previous ones (a full reset): the delta is the current counters.
 */
export function counterDelta(
  current: Counters,
  previous: Counters | undefined,
  reset: boolean,
): {
  readonly delta: Counters;
  readonly wentDown: boolean;
} {
  if (previous === undefined || reset) return { delta: current, wentDown: false };
  // Calls and rows are integers and never go down while an entry lives. Time is a sum of floating-point
  // values, so only a drop beyond rounding counts (the SQL sums it as numeric, order-independent, too).
  const wentDown =
    current.calls < previous.calls ||
    current.rows < previous.rows ||
    current.timeMs < previous.timeMs - TIME_EPSILON_MS * Math.max(1, previous.timeMs);
  if (wentDown) return { delta: current, wentDown };
  return {
    delta: {
      calls: current.calls - previous.calls,
      timeMs: Math.max(0, current.timeMs - previous.timeMs),
      rows: current.rows - previous.rows,
    },
    wentDown,
  };
}

function round3(x: number): number {
  return Math.round(x * 1000) / 1000;
}

export async function collectUsage(client: ClientBase, options: CollectUsageOptions = {}): Promise<UsageSample> {
  const schema = options.schema ?? ADMIN_SCHEMA;
  const now = options.now ?? new Date();
  const table = `${quoteIdent(schema)}.${quoteIdent(USAGE_SNAPSHOT_TABLE)}`;
  const q = async <T>(sql: string, params: unknown[] = []) => (await client.query(sql, params)).rows as T[];

  await client.query("BEGIN");
  let committed = false;
  try {
    // Every name below is schema-qualified; an empty search_path leaves no object to plant in front of them.
    await client.query("SET LOCAL search_path = pg_catalog");
    // Sizes take an ACCESS SHARE lock per relation: behind a migration's ACCESS EXCLUSIVE lock, fail in time.
    await client.query("SET LOCAL lock_timeout = '10s'");
    await client.query("SET LOCAL statement_timeout = '60s'");
    const [found] = await q<{ stats: string | null; snapshot: string | null; info: string | null }>(
      `SELECT to_regprocedure($1)::text AS stats, to_regclass($2)::text AS snapshot, to_regclass($3)::text AS info`,
      [
        `${quoteIdent(schema)}.pg_stat_statements(boolean)`,
        `${quoteIdent(schema)}.${quoteIdent(USAGE_SNAPSHOT_TABLE)}`,
        `${quoteIdent(schema)}.pg_stat_statements_info`,
      ],
    );
    if (found.stats === null || found.info === null) {
      throw new UsageCollectionError(
        `pg_stat_statements is not installed in schema ${schema} (or this role cannot use the schema): as the master user run CREATE EXTENSION pg_stat_statements SCHEMA ${schema} (runbooks/database-connect.md)`,
      );
    }
    if (found.snapshot === null) {
      throw new UsageCollectionError(
        `${schema}.${USAGE_SNAPSHOT_TABLE} does not exist (or this role cannot use it): run the tenant provisioner, which creates it`,
      );
    }
    await client.query(`LOCK TABLE ${table} IN SHARE ROW EXCLUSIVE MODE`);

    const previousRows = await q<{
      userid: number;
      calls: string;
      time_ms: number;
      rows: string;
      collected_at: Date;
      stats_reset: Date | null;
      dealloc: string | null;
    }>(`SELECT userid::bigint AS userid, calls, time_ms, rows, collected_at, stats_reset, dealloc FROM ${table}`);
    const headerRow = previousRows.find((r) => Number(r.userid) === HEADER_USERID);
    const header: SnapshotHeader | undefined =
      headerRow === undefined
        ? undefined
        : {
            collectedAt: headerRow.collected_at,
            statsReset: headerRow.stats_reset,
            dealloc: Number(headerRow.dealloc ?? 0),
          };
    const previous = new Map<number, Counters>(
      previousRows
        .filter((r) => Number(r.userid) !== HEADER_USERID)
        .map((r) => [Number(r.userid), { calls: Number(r.calls), timeMs: r.time_ms, rows: Number(r.rows) }]),
    );

    let info: { dealloc: string; stats_reset: Date | null };
    let current: { userid: string; calls: string; time_ms: number; rows: string }[];
    try {
      [info] = await q<{ dealloc: string; stats_reset: Date | null }>(
        `SELECT dealloc, stats_reset FROM ${quoteIdent(schema)}.pg_stat_statements_info`,
      );
      // showtext false: the collector never reads query texts (it could not see other roles' anyway).
      current = await q(
        `SELECT s.userid::bigint AS userid, sum(s.calls)::bigint AS calls,
                sum((s.total_exec_time + s.total_plan_time)::numeric)::double precision AS time_ms,
                sum(s.rows)::bigint AS rows
           FROM ${quoteIdent(schema)}.pg_stat_statements(false) s
          WHERE s.dbid = (SELECT oid FROM pg_catalog.pg_database WHERE datname = current_database()) AND s.toplevel
          GROUP BY s.userid`,
      );
    } catch (e) {
      throw new UsageCollectionError(
        `cannot read pg_stat_statements: ${(e as Error).message} (on RDS: shared_preload_libraries in the parameter group, then a reboot)`,
      );
    }

    const roles = await q<{ oid: string; name: string }>(
      `SELECT oid::bigint AS oid, rolname AS name FROM pg_catalog.pg_roles WHERE rolname LIKE $1`,
      [TENANT_NAME_LIKE],
    );
    // Sizes need no privilege on the schema: pg_class is readable by all and the size functions check none.
    // Indexes and TOAST are inside pg_total_relation_size of their table, so only these relkinds are summed.
    const sizes = await q<{ name: string; bytes: string }>(
      `SELECT n.nspname AS name, coalesce(sum(pg_catalog.pg_total_relation_size(c.oid)), 0)::bigint AS bytes
         FROM pg_catalog.pg_namespace n
         LEFT JOIN pg_catalog.pg_class c ON c.relnamespace = n.oid AND c.relkind IN ('r', 'm', 'S')
        WHERE n.nspname LIKE $1 GROUP BY n.nspname`,
      [TENANT_NAME_LIKE],
    );

    const caveats: string[] = [];
    const dealloc = Number(info.dealloc);
    const statsReset = info.stats_reset;
    const fullReset =
      header !== undefined &&
      (statsReset?.getTime() ?? null) !== (header.statsReset?.getTime() ?? null) &&
      statsReset !== null;
    if (header === undefined) {
      caveats.push(
        `first collection: usage is everything since pg_stat_statements was last reset (${statsReset?.toISOString() ?? "unknown"})`,
      );
    } else if (fullReset) {
      caveats.push(
        `pg_stat_statements was reset at ${statsReset?.toISOString()}: usage between the previous collection and the reset is lost`,
      );
    }
    const evictedEntries = header === undefined || fullReset ? dealloc : Math.max(0, dealloc - header.dealloc);
    if (evictedEntries > 0) {
      caveats.push(
        `pg_stat_statements evicted entries ${evictedEntries} time(s) (pg_stat_statements.max is too small): their usage since the previous collection is lost`,
      );
    }

    const tenantByOid = new Map(roles.map((r) => [Number(r.oid), r.name.slice(TENANT_PREFIX.length)]));
    const usage = new Map<string, Counters>();
    let otherDbTimeMs = 0;
    const wentDown: string[] = [];
    for (const row of current) {
      const userid = Number(row.userid);
      const counters = { calls: Number(row.calls), timeMs: row.time_ms, rows: Number(row.rows) };
      const d = counterDelta(counters, previous.get(userid), fullReset);
      const tenant = tenantByOid.get(userid);
      if (d.wentDown) wentDown.push(tenant !== undefined ? `tenant ${tenant}` : `role oid ${userid}`);
      if (tenant !== undefined) usage.set(tenant, d.delta);
      else otherDbTimeMs += d.delta.timeMs;
    }
    if (wentDown.length > 0) {
      caveats.push(
        `counters went down for ${wentDown.sort().join(", ")} (a reset of their entries, or evictions): counted from zero`,
      );
    }

    const storage = new Map(sizes.map((s) => [s.name.slice(TENANT_PREFIX.length), Number(s.bytes)]));
    const ids = [...new Set([...tenantByOid.values(), ...storage.keys()])].sort();
    const tenants: TenantUsage[] = ids.map((tenantId) => {
      const u = usage.get(tenantId) ?? ZERO;
      return {
        tenantId,
        dbTimeMs: round3(u.timeMs),
        calls: u.calls,
        rows: u.rows,
        storageBytes: storage.get(tenantId) ?? 0,
      };
    });

    await client.query(`DELETE FROM ${table}`);
    await client.query(
      `INSERT INTO ${table} (userid, calls, time_ms, rows, collected_at, stats_reset, dealloc)
       SELECT u::oid, c, t, r, $5::timestamptz, NULL, NULL
         FROM unnest($1::bigint[], $2::bigint[], $3::float8[], $4::bigint[]) AS x(u, c, t, r)
       UNION ALL SELECT ${HEADER_USERID}::oid, 0, 0, 0, $5::timestamptz, $6::timestamptz, $7::bigint`,
      [
        current.map((r) => r.userid),
        current.map((r) => r.calls),
        current.map((r) => r.time_ms),
        current.map((r) => r.rows),
        now,
        statsReset,
        dealloc,
      ],
    );
    const sample: UsageSample = {
      periodStart: (header?.collectedAt ?? statsReset ?? now).toISOString(),
      periodEnd: now.toISOString(),
      tenants,
      otherDbTimeMs: round3(otherDbTimeMs),
      evictedEntries,
      caveats,
    };
    if (options.publish) {
      // The transaction waits while the caller publishes (a Logs Insights query, an S3 write): the parameter
      // group's idle_in_transaction_session_timeout (60 s) would end it. Only the snapshot table is locked.
      await client.query("SET LOCAL idle_in_transaction_session_timeout = '15min'");
      await options.publish(sample);
    }
    await client.query("COMMIT");
    committed = true;
    return sample;
  } finally {
    if (!committed) await client.query("ROLLBACK");
  }
}
