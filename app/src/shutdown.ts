import { Server as NetServer } from "node:net";
import type { Server } from "node:http";
import type { Logger } from "./logger";

export interface GracefulShutdownArgs {
  /** The listening server to drain. */
  readonly server: Server;
  /** Deadline after which remaining connections are destroyed and the process exits 1. */
  readonly timeoutMs: number;
  /**
   * How long an idle keep-alive connection is kept open after the signal, so a client that reuses it gets one
   * more response (with `Connection: close`) instead of a reset. @default min(2000, timeoutMs / 4)
   */
  readonly idleGraceMs?: number;
  readonly logger: Logger;
  /** Flips readiness to false; called first, before anything is closed. */
  readonly startDraining: () => void;
  /** Current number of unfinished requests, for the log lines. */
  readonly inFlight: () => number;
  /** Runs once every connection has ended: closes the database pool. @default nothing */
  readonly drain?: () => Promise<void>;
  /**
   * Ends the process.
   * @default process.exit
   */
  readonly exit?: (code: number) => void;
}

/**
 * Returns the signal handler. The order matters:
 * 1. readiness turns false and every response from now on carries `Connection: close`;
 * 2. the listener closes: new connections are refused, accepted ones keep being served;
 * 3. idle keep-alive connections stay open for `idleGraceMs`: a request that arrives on one is answered (with
 *    `Connection: close`, so the client does not reuse it again), then those still idle are closed;
 * 4. when the last connection has ended, the pool is drained (every transaction has finished by then, as its
 *    request has) and the process exits 0; at the deadline it logs at error, destroys what is left and exits 1
 *    (the deadline is below the ECS stopTimeout, so the failure is logged instead of ending in a SIGKILL).
 *
 * Why not `server.close()`: since Node 19 http.Server#close also calls closeIdleConnections() at once, and
 * destroying an idle keep-alive socket races with a client that is sending its next request on it: the client
 * gets ECONNRESET (the resets of the load drill in issue 13). net.Server#close, which http.Server#close wraps,
 * only stops the listener and calls back when the last connection has ended.
 */
export function createGracefulShutdown(args: GracefulShutdownArgs): (signal: NodeJS.Signals) => void {
  const exit = args.exit ?? ((code: number) => process.exit(code));
  const { server, timeoutMs, logger } = args;
  const idleGraceMs = args.idleGraceMs ?? Math.min(2_000, Math.floor(timeoutMs / 4));
  let startedAt: number | undefined;

  return (signal) => {
    if (startedAt !== undefined) {
      // ECS sends one SIGTERM and then SIGKILL; a repeat comes from a human, and the deadline already bounds the wait.
      logger.info("shutdown already in progress", { signal, inFlight: args.inFlight() });
      return;
    }
    const began = (startedAt = Date.now());
    args.startDraining();
    logger.info("shutdown started", { signal, timeoutMs, idleGraceMs, inFlight: args.inFlight() });

    const deadline = setTimeout(() => {
      logger.error("shutdown deadline exceeded, closing remaining connections", {
        signal,
        timeoutMs,
        inFlight: args.inFlight(),
      });
      server.closeAllConnections();
      exit(1);
    }, timeoutMs);

    const idleTimer = setTimeout(() => {
      logger.info("closing idle connections", { signal, inFlight: args.inFlight() });
      server.closeIdleConnections();
    }, idleGraceMs);

    NetServer.prototype.close.call(server, () => {
      clearTimeout(idleTimer);
      logger.info("connections drained, closing the database pool", { signal, durationMs: Date.now() - began });
      (args.drain ?? (async () => undefined))().then(
        () => {
          clearTimeout(deadline);
          logger.info("shutdown complete", { signal, durationMs: Date.now() - began });
          exit(0);
        },
        (err: unknown) => {
          // The connections are gone and every response was sent; a pool that fails to close loses nothing.
          clearTimeout(deadline);
          logger.warn("database pool did not close cleanly", { signal, err });
          logger.info("shutdown complete", { signal, durationMs: Date.now() - began });
          exit(0);
        },
      );
    });
  };
}
