import type { IncomingMessage, ServerResponse } from "node:http";
import { MAX_DEBUG_DELAY_MS } from "./config";
import { resolveCorrelation } from "./correlation";
import type { Logger } from "./logger";

export interface AppArgs {
  /** Where the one-line-per-request access log goes. */
  readonly logger: Logger;
  /** True once shutdown has begun: `/ready` fails and every response closes its connection. */
  readonly isDraining: () => boolean;
  /**
   * Routes `/debug/delay?ms=` (a slow request, for shutdown drills) and `/debug/error` (a 500, for alarm drills).
   * @default false
   */
  readonly enableDebugRoutes?: boolean;
}

export interface App {
  /** The `node:http` request listener. */
  readonly handle: (req: IncomingMessage, res: ServerResponse) => void;
  /** Requests whose response has not finished or been aborted yet; reported when shutdown is forced. */
  readonly inFlight: () => number;
}

type Route = (req: IncomingMessage, res: ServerResponse, query: URLSearchParams) => void;

/** Methods every route answers; HEAD comes free because node:http drops the body of a HEAD response. */
const ALLOWED_METHODS = "GET, HEAD";

/** Paths are logged, so a pathological URL must not turn into a multi-kilobyte log line. */
const MAX_LOGGED_PATH = 512;

export function createApp(args: AppArgs): App {
  const enableDebugRoutes = args.enableDebugRoutes ?? false;
  const { logger, isDraining } = args;
  let inFlight = 0;

  const routes = new Map<string, Route>([
    ["/health", (_req, res) => sendJson(res, 200, { status: "ok" })],
    [
      "/ready",
      (_req, res) =>
        isDraining() ? sendJson(res, 503, { status: "draining" }) : sendJson(res, 200, { status: "ready" }),
    ],
    ["/api/hello", (_req, res) => sendJson(res, 200, { message: "Hello from the reference service" })],
  ]);
  if (enableDebugRoutes) {
    routes.set("/debug/delay", delayRoute);
    routes.set("/debug/error", () => {
      throw new Error("deliberate failure from /debug/error");
    });
  }

  const handle = (req: IncomingMessage, res: ServerResponse): void => {
    const started = process.hrtime.bigint();
    const correlation = resolveCorrelation(req.headers);
    const rawUrl = req.url ?? "/";
    const queryStart = rawUrl.indexOf("?");
    // The query string is left out of the log on purpose: it is where callers put tokens by mistake.
    const path = queryStart === -1 ? rawUrl : rawUrl.slice(0, queryStart);
    const query = new URLSearchParams(queryStart === -1 ? "" : rawUrl.slice(queryStart + 1));
    const loggedPath = path.length > MAX_LOGGED_PATH ? `${path.slice(0, MAX_LOGGED_PATH)}...` : path;
    let failure: unknown;

    inFlight += 1;
    // Only at debug level, so the default stays one line per request; drills use it to know a request arrived.
    logger.debug("request started", { method: req.method, path: loggedPath, correlationId: correlation.id });
    res.setHeader("X-Request-Id", correlation.id);
    res.setHeader("Cache-Control", "no-store");
    res.setHeader("X-Content-Type-Options", "nosniff");

    res.on("close", () => {
      inFlight -= 1;
      const aborted = !res.writableFinished;
      // 499 is the nginx convention for "client went away first"; dashboards already know it.
      const status = aborted && !res.headersSent ? 499 : res.statusCode;
      const fields = {
        method: req.method,
        path: loggedPath,
        status,
        durationMs: Math.round(Number(process.hrtime.bigint() - started) / 1e3) / 1e3,
        correlationId: correlation.id,
        correlationSource: correlation.source,
        userAgent: req.headers["user-agent"],
        ...(aborted ? { aborted: true } : {}),
        ...(failure !== undefined ? { err: failure } : {}),
      };
      if (status >= 500) logger.error("request", fields);
      else logger.info("request", fields);
    });

    const route = routes.get(path);
    try {
      if (route === undefined) {
        sendJson(res, 404, { error: "not_found", correlationId: correlation.id });
      } else if (req.method !== "GET" && req.method !== "HEAD") {
        res.setHeader("Allow", ALLOWED_METHODS);
        sendJson(res, 405, { error: "method_not_allowed", correlationId: correlation.id });
      } else {
        route(req, res, query);
      }
    } catch (err) {
      failure = err;
      if (res.headersSent) res.destroy();
      else sendJson(res, 500, { error: "internal_error", correlationId: correlation.id });
    }
  };

  /**
   * Why this route exists: proving that shutdown waits for slow requests needs a slow request. It sits behind
   * ENABLE_DEBUG_ROUTES rather than on /api/hello so production traffic cannot hold connections open at will.
   */
  function delayRoute(_req: IncomingMessage, res: ServerResponse, query: URLSearchParams): void {
    const raw = query.get("ms") ?? "";
    const ms = /^\d{1,6}$/.test(raw) ? Number(raw) : NaN;
    if (!(ms <= MAX_DEBUG_DELAY_MS)) {
      sendJson(res, 400, { error: "bad_request", message: `ms must be an integer from 0 to ${MAX_DEBUG_DELAY_MS}` });
      return;
    }
    const timer = setTimeout(() => sendJson(res, 200, { delayedMs: ms }), ms);
    res.on("close", () => clearTimeout(timer));
  }

  function sendJson(res: ServerResponse, status: number, body: unknown): void {
    const payload = JSON.stringify(body);
    // Decided when the response is written, not when the request arrived, so a slow request that straddles
    // SIGTERM still releases its keep-alive connection and lets server.close() finish.
    if (isDraining()) res.setHeader("Connection", "close");
    res.writeHead(status, {
      "Content-Type": "application/json; charset=utf-8",
      "Content-Length": Buffer.byteLength(payload),
    });
    res.end(payload);
  }

  return { handle, inFlight: () => inFlight };
}
