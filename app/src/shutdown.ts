import type { Server } from "node:http";
import type { Logger } from "./logger";

export interface GracefulShutdownArgs {
  /** The listening server to drain. */
  readonly server: Server;
  /** Deadline after which remaining connections are destroyed and the process exits 1. */
  readonly timeoutMs: number;
  readonly logger: Logger;
  /** Flips readiness to false; called first, before anything is closed. */
  readonly startDraining: () => void;
  /** Current number of unfinished requests, for the log lines. */
  readonly inFlight: () => number;
  /**
   * Ends the process.
   * @default process.exit
   */
  readonly exit?: (code: number) => void;
}

/**
 * Returns the signal handler. The order matters:
 * 1. readiness turns false and every response from now on carries `Connection: close`;
 * 2. `server.close()` stops accepting connections and calls back once the last one has ended;
 * 3. idle keep-alive connections are closed now, because nothing else would close them before their timeout;
 * 4. exit 0 when the server reports closed, or log at error, destroy what is left and exit 1 at the deadline,
 *    which is set below the ECS stopTimeout so the failure is logged instead of ending in an anonymous SIGKILL.
 */
export function createGracefulShutdown(args: GracefulShutdownArgs): (signal: NodeJS.Signals) => void {
  const exit = args.exit ?? ((code: number) => process.exit(code));
  const { server, timeoutMs, logger } = args;
  let startedAt: number | undefined;

  return (signal) => {
    if (startedAt !== undefined) {
      // ECS sends one SIGTERM and then SIGKILL; a repeat comes from a human, and the deadline already bounds the wait.
      logger.info("shutdown already in progress", { signal, inFlight: args.inFlight() });
      return;
    }
    startedAt = Date.now();
    args.startDraining();
    logger.info("shutdown started", { signal, timeoutMs, inFlight: args.inFlight() });

    const deadline = setTimeout(() => {
      logger.error("shutdown deadline exceeded, closing remaining connections", {
        signal,
        timeoutMs,
        inFlight: args.inFlight(),
      });
      server.closeAllConnections();
      exit(1);
    }, timeoutMs);

    server.close(() => {
      clearTimeout(deadline);
      logger.info("shutdown complete", { signal, durationMs: Date.now() - (startedAt ?? Date.now()) });
      exit(0);
    });
    server.closeIdleConnections();
  };
}
