/**
 * The shutdown drill's client: `connections` keep-alive connections, each sending one request after another
 * (no pipelining), as a load balancer's connection pool does. When a response says `Connection: close`, that
 * connection's worker stops: the target is draining, and a load balancer would send the next request to another
 * target. A new connection is never opened after that, so a refused connection is not counted as a failure of
 * the target being drained; a reset on a connection the server had kept open is (the defect of issue 13).
 *
 * Used by tests/app/shutdown.test.ts and by `npm run bench` (tools/bench/service.ts).
 */
import { Agent, request, type OutgoingHttpHeaders } from "node:http";

export interface DrillOptions {
  readonly port: number;
  readonly path: string;
  readonly connections: number;
  readonly headers?: OutgoingHttpHeaders;
  /** Per-request timeout. @default 10000 */
  readonly timeoutMs?: number;
}

export interface DrillResult {
  /** Responses received with a 2xx status. */
  readonly ok: number;
  /** Responses with another status, by status. */
  readonly failedByStatus: Record<string, number>;
  /** Requests that got no response: resets, hang-ups, timeouts, refusals, by error code. */
  readonly errorsByCode: Record<string, number>;
  /** Connections that ended on a `Connection: close` response (every one, after a graceful shutdown). */
  readonly closedByServer: number;
  readonly latenciesMs: readonly number[];
}

export interface Drill {
  /** Stops sending; resolves when every worker has finished its last request. */
  stop(): Promise<DrillResult>;
  /** Resolves when every worker has stopped on its own (each saw `Connection: close`, or an error). */
  readonly finished: Promise<DrillResult>;
  /** Responses so far. */
  readonly count: () => number;
}

export function startKeepAliveDrill(options: DrillOptions): Drill {
  const ok = { n: 0 };
  const failedByStatus: Record<string, number> = {};
  const errorsByCode: Record<string, number> = {};
  const latenciesMs: number[] = [];
  let closedByServer = 0;
  let stopping = false;

  const one = (agent: Agent) =>
    new Promise<"again" | "closed" | "error">((resolve) => {
      const started = performance.now();
      const req = request(
        {
          host: "127.0.0.1",
          port: options.port,
          path: options.path,
          agent,
          headers: options.headers,
          timeout: options.timeoutMs ?? 10_000,
        },
        (res) => {
          res.resume();
          res.on("end", () => {
            latenciesMs.push(performance.now() - started);
            const status = res.statusCode ?? 0;
            if (status >= 200 && status < 300) ok.n += 1;
            else failedByStatus[status] = (failedByStatus[status] ?? 0) + 1;
            if (res.headers.connection === "close") {
              closedByServer += 1;
              resolve("closed");
            } else resolve("again");
          });
          res.on("error", (err: NodeJS.ErrnoException) => {
            errorsByCode[err.code ?? err.message] = (errorsByCode[err.code ?? err.message] ?? 0) + 1;
            resolve("error");
          });
        },
      );
      req.on("timeout", () => req.destroy(Object.assign(new Error("timeout"), { code: "TIMEOUT" })));
      req.on("error", (err: NodeJS.ErrnoException) => {
        const code = err.code ?? err.message;
        errorsByCode[code] = (errorsByCode[code] ?? 0) + 1;
        resolve("error");
      });
      req.end();
    });

  const worker = async () => {
    // One socket per worker, reused for every request: exactly one keep-alive connection.
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    try {
      while (!stopping) {
        if ((await one(agent)) !== "again") break;
      }
    } finally {
      agent.destroy();
    }
  };

  const result = (): DrillResult => ({
    ok: ok.n,
    failedByStatus,
    errorsByCode,
    closedByServer,
    latenciesMs,
  });
  const finished = Promise.all(Array.from({ length: options.connections }, worker)).then(result);
  return {
    stop: async () => {
      stopping = true;
      return finished;
    },
    finished,
    count: () => ok.n + Object.values(failedByStatus).reduce((a, b) => a + b, 0),
  };
}
