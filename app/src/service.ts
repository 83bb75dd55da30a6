import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { createApp } from "./app";
import { createTokenVerifier } from "./auth";
import { formatConfigErrors, loadConfig } from "./config";
import { createTenantDatabase } from "./db";
import { createLogger } from "./logger";
import { createGracefulShutdown } from "./shutdown";

/** Exit code for a configuration error, distinct from 1 (runtime failure) so a crash loop is easy to triage. */
export const EXIT_INVALID_CONFIG = 2;

/**
 * Must exceed the ALB idle timeout (60 s by default): if the service closed an idle keep-alive connection
 * first, the ALB could send a request on it at the same moment and answer the client with a 502.
 */
const KEEP_ALIVE_TIMEOUT_MS = 65_000;
/** Node requires headersTimeout > keepAliveTimeout, otherwise a reused connection can be cut mid-request. */
const HEADERS_TIMEOUT_MS = 66_000;

export interface ServiceOptions {
  /** See TenantDatabaseArgs.unsafeSkipTenantRole: for tools/bench/ only, never read from the environment. */
  readonly unsafeSkipTenantRole?: boolean;
}

/** Starts the service from `env`: the whole of server.ts, callable by the bench with options. */
export function runService(env: NodeJS.ProcessEnv, options: ServiceOptions = {}): Server | undefined {
  const loaded = loadConfig(env);
  if (!loaded.ok) return invalid(loaded.errors);
  const config = loaded.config;
  const logger = createLogger({ level: config.logLevel });

  let db;
  try {
    db = createTenantDatabase({ db: config.db, logger, unsafeSkipTenantRole: options.unsafeSkipTenantRole });
  } catch (err) {
    return invalid([
      `DB_SSL_CA ${JSON.stringify(config.db.ssl.mode === "verify-full" ? config.db.ssl.caFile : "")} cannot be read: ${(err as Error).message}`,
    ]);
  }
  let draining = false;
  const app = createApp({
    logger,
    isDraining: () => draining,
    enableDebugRoutes: config.enableDebugRoutes,
    verifyToken: createTokenVerifier({ config: config.auth }),
    db,
  });
  const server = createServer(app.handle);
  server.keepAliveTimeout = KEEP_ALIVE_TIMEOUT_MS;
  server.headersTimeout = HEADERS_TIMEOUT_MS;

  server.on("error", (err) => {
    logger.error("server error", { err });
    process.exit(1);
  });
  process.on("uncaughtException", (err) => {
    logger.error("uncaught exception", { err });
    process.exit(1);
  });

  const shutdown = createGracefulShutdown({
    server,
    timeoutMs: config.shutdownTimeoutMs,
    logger,
    startDraining: () => {
      draining = true;
    },
    inFlight: app.inFlight,
    drain: () => db.end(),
  });
  // The image runs node as PID 1 (exec-form CMD); without these handlers PID 1 would ignore SIGTERM entirely.
  process.on("SIGTERM", shutdown);
  process.on("SIGINT", shutdown);

  server.listen(config.port, config.host, () => {
    const { port } = server.address() as AddressInfo;
    logger.info("listening", {
      host: config.host,
      port,
      shutdownTimeoutMs: config.shutdownTimeoutMs,
      logLevel: config.logLevel,
      nodeVersion: process.version,
      db: {
        host: config.db.host,
        port: config.db.port,
        database: config.db.database,
        user: config.db.user,
        auth: config.db.auth.mode,
        ssl: config.db.ssl.mode,
        poolMaxSize: config.db.pool.maxSize,
      },
      auth: { issuer: config.auth.issuer, audience: config.auth.audience, key: config.auth.key.kind },
    });
    if (config.enableDebugRoutes) logger.warn("debug routes enabled; do not set ENABLE_DEBUG_ROUTES in production");
    if (options.unsafeSkipTenantRole) logger.warn("BENCH ONLY: SET LOCAL ROLE is skipped; tenants are not isolated");
  });
  return server;
}

function invalid(errors: string[]): undefined {
  // Both a JSON line, so the log-based alarm fires on a crash-looping task, and plain text for a human.
  createLogger({ level: "error" }).error("invalid configuration", { errors });
  process.stderr.write(`${formatConfigErrors(errors)}\n`);
  process.exit(EXIT_INVALID_CONFIG);
}
