import { readFileSync } from "node:fs";
import { Pool, type PoolClient, type QueryResultRow } from "pg";
import type { DbConfig } from "./config";
import { HttpError, UnavailableError } from "./errors";
import { createIamPassword, rdsSigner, type AuthTokenSigner } from "./iamToken";
import type { Logger } from "./logger";
import { tenantIdentifier } from "./tenant";

/** What a request handler may do inside its tenant's transaction: parameterised queries, nothing else. */
export interface TenantQueries {
  readonly schema: string;
  query<R extends QueryResultRow = QueryResultRow>(text: string, values?: readonly unknown[]): Promise<R[]>;
}

export interface Readiness {
  readonly ready: boolean;
  readonly reason?: "database_unreachable" | "pool_exhausted";
}

export interface TenantDatabase {
  /**
   * Runs `fn` in one transaction that starts with `SET LOCAL ROLE tenant_<id>`; commits if it resolves.
   * `singleStatement`: `fn` runs exactly one query, and the COMMIT is sent right behind it (pipelined), so the
   * whole transaction takes one round trip, as the bare query would. The contract: once that query succeeds
   * the transaction is committed, so `fn` must do nothing after it that can fail (only map the rows it got).
   * If `fn` throws after a successful write, the write is kept while the caller sees the error (a 500);
   * work that may fail after a query needs the default mode, where COMMIT is sent only after `fn` resolves.
   */
  withTenant<T>(
    tenantId: string,
    fn: (q: TenantQueries) => Promise<T>,
    options?: { singleStatement?: boolean },
  ): Promise<T>;
  readiness(): Promise<Readiness>;
  /** Waits for every checked-out connection to come back, then closes them all. */
  end(): Promise<void>;
}

export interface TenantDatabaseArgs {
  readonly db: DbConfig;
  readonly logger: Logger;
  /** For DB_AUTH=iam, in tests. @default rdsSigner(db) */
  readonly signer?: AuthTokenSigner;
  /** @default Date.now */
  readonly now?: () => number;
  /**
   * Runs the queries as the login role itself, without the transaction and without SET LOCAL ROLE: the
   * baseline `npm run bench` compares isolation against. Only tools/bench/unisolatedService.ts passes it; no
   * environment variable reaches it and the image's build context (app/) does not contain that file
   * (tests/app/manifest.test.ts proves both).
   */
  readonly unsafeSkipTenantRole?: boolean;
}

/** Retry-After for a pool that is momentarily full: a second is long enough for most transactions to finish. */
const RETRY_AFTER_EXHAUSTED_S = 1;
/** Retry-After while the database cannot be reached: a failover takes tens of seconds. */
const RETRY_AFTER_UNREACHABLE_S = 5;
/** A readiness probe must answer inside the ALB health check timeout (5 s by default). */
const PROBE_TIMEOUT_MS = 2_000;
const SAMPLE_INTERVAL_MS = 100;

/** SQLSTATEs of SET ROLE: the role does not exist (a GUC check failure) / this login is not a member of it. */
const UNKNOWN_ROLE = "22023";
const INSUFFICIENT_PRIVILEGE = "42501";
/**
 * SQLSTATEs of a schema behind the code (PostgreSQL, "Appendix A. PostgreSQL Error Codes"): not migrated at all
 * (undefined_table), or at an older version than this service reads (undefined_column, e.g. V1 without `title`).
 */
const UNDEFINED_TABLE = "42P01";
const UNDEFINED_COLUMN = "42703";

export function createTenantDatabase(args: TenantDatabaseArgs): TenantDatabase {
  const { db, logger } = args;
  const now = args.now ?? Date.now;
  const pool = new Pool({
    host: db.host,
    port: db.port,
    database: db.database,
    user: db.user,
    password:
      db.auth.mode === "iam"
        ? createIamPassword({ signer: args.signer ?? rdsSigner(db, db.auth.region), now })
        : db.auth.password,
    // verify-full: the certificate must chain to the RDS CAs and name DB_HOST (node's checkServerIdentity,
    // which runs because rejectUnauthorized is true and pg passes the host as the TLS servername).
    ssl: db.ssl.mode === "verify-full" ? { ca: readFileSync(db.ssl.caFile, "utf8"), rejectUnauthorized: true } : false,
    max: db.pool.maxSize,
    min: db.pool.minIdle,
    connectionTimeoutMillis: db.pool.connectionTimeoutMs,
    idleTimeoutMillis: db.pool.idleTimeoutMs,
    maxLifetimeSeconds: Math.ceil(db.pool.maxLifetimeMs / 1000),
    statement_timeout: db.pool.statementTimeoutMs,
    application_name: "reference-service",
    // Queries of one connection are sent without waiting for the previous answer (see withTenant); node-postgres
    // keeps their results in order.
    pipeline: true,
  });
  // An idle connection the server ended (restart, failover): pg-pool has already dropped it. Not an error for
  // the alarm: the next request opens a new one, and /ready says whether that works.
  pool.on("error", (err) => logger.warn("idle database connection lost", { err: describe(err) }));

  let exhaustedSince: number | undefined;
  const sample = (): void => {
    const saturated = pool.waitingCount > 0;
    if (!saturated) exhaustedSince = undefined;
    else exhaustedSince ??= now();
  };
  const sampler = setInterval(sample, SAMPLE_INTERVAL_MS);
  sampler.unref();

  const acquire = async (): Promise<PoolClient> => {
    if (pool.waitingCount >= db.pool.maxWaiting) {
      exhaustedSince ??= now();
      throw new UnavailableError(
        "pool_exhausted",
        "every database connection is busy; retry shortly",
        RETRY_AFTER_EXHAUSTED_S,
      );
    }
    const full = pool.totalCount >= db.pool.maxSize;
    const connecting = pool.connect();
    try {
      // Every connection busy: wait DB_POOL_WAIT_MS for one to come free, not the connect timeout, so a full
      // pool answers 503 + Retry-After fast. pg-pool cannot cancel a waiter: one that gets a connection after
      // we gave up hands it straight back.
      if (!full || pool.idleCount > 0) return await connecting;
      let timer: NodeJS.Timeout | undefined;
      const gaveUp = new Promise<undefined>((resolve) => {
        timer = setTimeout(() => resolve(undefined), db.pool.poolWaitMs);
      });
      try {
        const client = await Promise.race([connecting, gaveUp]);
        if (client !== undefined) return client;
      } finally {
        clearTimeout(timer);
      }
      connecting.then(
        (late) => late.release(),
        () => undefined,
      );
      throw new UnavailableError(
        "pool_exhausted",
        "every database connection is busy; retry shortly",
        RETRY_AFTER_EXHAUSTED_S,
      );
    } catch (err) {
      if (err instanceof UnavailableError) throw err;
      // pg-pool's own timeout: either no connection came free (the pool was full) or a new one did not connect.
      if (full && /timeout exceeded when trying to connect/.test(String((err as Error).message))) {
        throw new UnavailableError(
          "pool_exhausted",
          "every database connection is busy; retry shortly",
          RETRY_AFTER_EXHAUSTED_S,
        );
      }
      logger.warn("database connection failed", { err: describe(err) });
      throw new UnavailableError(
        "database_unavailable",
        "the database cannot be reached; retry shortly",
        RETRY_AFTER_UNREACHABLE_S,
      );
    }
  };

  const withTenant = async <T>(
    tenantId: string,
    fn: (q: TenantQueries) => Promise<T>,
    options: { singleStatement?: boolean } = {},
  ): Promise<T> => {
    const role = tenantIdentifier(tenantId);
    const client = await acquire();
    if (args.unsafeSkipTenantRole) return runUnisolated(client, role, fn);
    let broken: Error | undefined;
    // Pipelined (the pool's connections run in pg's pipeline mode): BEGIN and SET LOCAL ROLE go out as one
    // simple-protocol message (no parameter can be bound to SET; the identifier is validated and quoted), and
    // the handler's first query follows on the wire without waiting for the answer, so the transaction costs one
    // round trip more than the bare query (the COMMIT), not two. This is safe because PostgreSQL runs them in
    // order: if SET LOCAL ROLE fails the transaction is aborted and every query after it fails (25P02) without
    // running, as app or as anyone. SET LOCAL lasts until COMMIT/ROLLBACK, so nothing of the tenant outlives the
    // transaction on the pooled connection; a session-level SET ROLE would.
    const begun = client.query(`BEGIN; SET LOCAL ROLE ${role}`);
    begun.catch(() => undefined);
    // singleStatement: COMMIT follows the one query on the wire. If the query (or SET LOCAL ROLE) fails, the
    // transaction is aborted and PostgreSQL answers that COMMIT with ROLLBACK: nothing of it is kept.
    let committed: Promise<unknown> | undefined;
    try {
      let result: T | undefined;
      let failure: { err: unknown } | undefined;
      try {
        result = await fn({
          schema: role,
          query: async (text, values) => {
            if (committed !== undefined) throw new Error("singleStatement transaction: a second query was issued");
            const rows = client.query(text, values as unknown[]);
            if (options.singleStatement) {
              committed = client.query("COMMIT");
              committed.catch(() => undefined);
            }
            return (await rows).rows;
          },
        });
      } catch (err) {
        failure = { err };
      }
      try {
        await begun;
      } catch (err) {
        broken = await rollback(client, err);
        throw tenantRoleError(err);
      }
      if (failure !== undefined) {
        broken = await rollback(client, failure.err);
        throw queryError(failure.err);
      }
      try {
        await (committed ?? client.query("COMMIT"));
      } catch (err) {
        broken = await rollback(client, err);
        throw queryError(err);
      }
      return result as T;
    } finally {
      client.release(broken);
    }
  };

  /** The bench's baseline: the same queries as the login role, autocommit, no transaction and no role. */
  async function runUnisolated<T>(
    client: PoolClient,
    schema: string,
    fn: (q: TenantQueries) => Promise<T>,
  ): Promise<T> {
    let broken: Error | undefined;
    try {
      return await fn({ schema, query: async (text, values) => (await client.query(text, values as unknown[])).rows });
    } catch (err) {
      broken = isConnectionError(err) ? (err as Error) : undefined;
      throw queryError(err);
    } finally {
      client.release(broken);
    }
  }

  /** ROLLBACK after a failure; a connection that cannot even roll back is destroyed, not returned to the pool. */
  async function rollback(client: PoolClient, cause: unknown): Promise<Error | undefined> {
    if (cause instanceof HttpError) {
      // Thrown by the handler itself, the connection is fine: roll back its work like any other failure.
    } else if (isConnectionError(cause)) {
      return cause as Error;
    }
    try {
      await client.query("ROLLBACK");
      return undefined;
    } catch (err) {
      return err as Error;
    }
  }

  let probe: Promise<Readiness> | undefined;
  const readiness = async (): Promise<Readiness> => {
    sample();
    if (exhaustedSince !== undefined && now() - exhaustedSince >= db.pool.readyExhaustedMs) {
      return { ready: false, reason: "pool_exhausted" };
    }
    // Saturated but not for long: requests are flowing, and a probe would only queue behind them.
    if (pool.totalCount >= db.pool.maxSize && pool.idleCount === 0) return { ready: true };
    probe ??= runProbe().finally(() => (probe = undefined));
    return probe;
  };

  async function runProbe(): Promise<Readiness> {
    let timer: NodeJS.Timeout | undefined;
    const attempt = (async (): Promise<Readiness> => {
      const client = await pool.connect();
      try {
        await client.query("SELECT 1");
        client.release();
      } catch (err) {
        client.release(err as Error);
        throw err;
      }
      return { ready: true };
    })();
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer within ${PROBE_TIMEOUT_MS} ms`)), PROBE_TIMEOUT_MS);
    });
    try {
      return await Promise.race([attempt, timeout]);
    } catch (err) {
      attempt.catch(() => undefined);
      logger.warn("readiness probe failed", { err: describe(err) });
      return { ready: false, reason: "database_unreachable" };
    } finally {
      clearTimeout(timer);
    }
  }

  return {
    withTenant,
    readiness,
    end: async () => {
      clearInterval(sampler);
      await pool.end();
    },
  };
}

function tenantRoleError(err: unknown): Error {
  const code = (err as { code?: string }).code;
  // Both mean "this login cannot act as that tenant": the tenant was never provisioned, or it is suspended
  // (the model revokes app's membership). The caller learns no more than that.
  if (code === UNKNOWN_ROLE || code === INSUFFICIENT_PRIVILEGE) {
    return new HttpError(403, "tenant_forbidden", "this tenant is unknown or suspended");
  }
  return queryError(err);
}

function queryError(err: unknown): Error {
  if (err instanceof HttpError) return err;
  const code = (err as { code?: string }).code;
  if (code === INSUFFICIENT_PRIVILEGE)
    return new HttpError(403, "tenant_forbidden", "this tenant is unknown or suspended");
  // A deploy migrates tenants after `pulumi up` (runbooks/database-migrations.md): until then a tenant's schema
  // is behind, a 503 to retry, not a 500.
  if (code === UNDEFINED_TABLE || code === UNDEFINED_COLUMN) {
    return new UnavailableError(
      "tenant_not_ready",
      "this tenant's schema is not migrated yet",
      RETRY_AFTER_UNREACHABLE_S,
    );
  }
  if (isConnectionError(err)) {
    return new UnavailableError(
      "database_unavailable",
      "the database connection was lost; retry shortly",
      RETRY_AFTER_UNREACHABLE_S,
    );
  }
  return err as Error;
}

/** Lost or refused connections and server shutdowns: SQLSTATE classes 08 and 57P, and socket errors. */
function isConnectionError(err: unknown): boolean {
  const code = String((err as { code?: string } | undefined)?.code ?? "");
  if (/^(08|57P)/.test(code) || /^E(CONN|PIPE|TIMEDOUT|HOSTUNREACH|NETUNREACH)/.test(code)) return true;
  return /Connection terminated|Client has encountered a connection error|not queryable/i.test(
    String((err as Error)?.message),
  );
}

function describe(err: unknown): Record<string, unknown> {
  const e = err as { name?: string; message?: string; code?: string };
  return { name: e?.name, message: e?.message, code: e?.code };
}
