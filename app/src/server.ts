import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { createApp } from "./app";
import { formatConfigErrors, loadConfig } from "./config";
import { createLogger } from "./logger";
import { createGracefulShutdown } from "./shutdown";

/** Exit code for a configuration error, distinct from 1 (runtime failure) so a crash loop is easy to triage. */
const EXIT_INVALID_CONFIG = 2;

/**
 * Must exceed the ALB idle timeout (60 s by default): if the service closed an idle keep-alive connection
 * first, the ALB could send a request on it at the same moment and answer the client with a 502.
 */
const KEEP_ALIVE_TIMEOUT_MS = 65_000;
/** Node requires headersTimeout > keepAliveTimeout, otherwise a reused connection can be cut mid-request. */
const HEADERS_TIMEOUT_MS = 66_000;

function main(): void {
  const loaded = loadConfig(process.env);
  if (!loaded.ok) {
    // Both a JSON line, so the log-based alarm fires on a crash-looping task, and plain text for a human.
    createLogger({ level: "error" }).error("invalid configuration", { errors: loaded.errors });
    process.stderr.write(`${formatConfigErrors(loaded.errors)}\n`);
    process.exit(EXIT_INVALID_CONFIG);
  }
  const config = loaded.config;
  const logger = createLogger({ level: config.logLevel });

  let draining = false;
  const app = createApp({ logger, isDraining: () => draining, enableDebugRoutes: config.enableDebugRoutes });
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
    });
    if (config.enableDebugRoutes) logger.warn("debug routes enabled; do not set ENABLE_DEBUG_ROUTES in production");
  });
}

main();
