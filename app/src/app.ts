import type { IncomingMessage, ServerResponse } from "node:http";
import { AuthError, type TokenVerifier } from "./auth";
import { MAX_DEBUG_DELAY_MS } from "./config";
import { resolveCorrelation } from "./correlation";
import type { TenantDatabase } from "./db";
import { HttpError, UnavailableError } from "./errors";
import type { Logger } from "./logger";
import { createNote, deleteNote, getNote, listNotes, ListQuery, NewNote, parseNoteId, validationError } from "./notes";

export interface AppArgs {
  /** Where the one-line-per-request access log goes. */
  readonly logger: Logger;
  /** True once shutdown has begun: `/ready` fails and every response closes its connection. */
  readonly isDraining: () => boolean;
  /** Verifies the bearer token and yields the tenant id. */
  readonly verifyToken: TokenVerifier;
  /** The tenants' database. */
  readonly db: TenantDatabase;
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

/** Largest request body read: a note of 10 000 characters is at most 40 000 bytes of UTF-8, plus JSON. */
export const MAX_BODY_BYTES = 64 * 1024;

interface Reply {
  readonly status: number;
  readonly body?: unknown;
}

interface RequestContext {
  readonly req: IncomingMessage;
  readonly res: ServerResponse;
  readonly params: Readonly<Record<string, string>>;
  readonly query: URLSearchParams;
  /** Verifies the token and records the tenant for the log line. */
  readonly tenant: () => Promise<string>;
}

type Handler = (ctx: RequestContext) => Promise<Reply> | Reply;

interface Route {
  /** The template, as logged in `route`: the path with `:name` placeholders. */
  readonly template: string;
  readonly pattern: RegExp;
  readonly paramNames: readonly string[];
  readonly methods: ReadonlyMap<string, Handler>;
}

/**
 * Every notes handler runs exactly one statement, so its COMMIT is pipelined behind it (db.ts, withTenant): the
 * callback given to withTenant must only run that statement and map its rows (nothing after it that can fail),
 * because the write is committed when the statement succeeds. Validation (parse, ids) happens before withTenant;
 * a 404 for no row is decided after it returns.
 */
const ONE_STATEMENT = { singleStatement: true };

/** `route` of a request that matched no route: one value, so unknown paths do not become metric dimensions. */
export const UNMATCHED_ROUTE = "*";

export function createApp(args: AppArgs): App {
  const enableDebugRoutes = args.enableDebugRoutes ?? false;
  const { logger, isDraining, db, verifyToken } = args;
  let inFlight = 0;

  const routes: Route[] = [];
  const route = (template: string, methods: Record<string, Handler>): void => {
    const paramNames: string[] = [];
    const source = template.replace(/:([a-z]+)/g, (_m, name: string) => {
      paramNames.push(name);
      return "([^/]+)";
    });
    routes.push({
      template,
      pattern: new RegExp(`^${source}$`),
      paramNames,
      methods: new Map(Object.entries(methods)),
    });
  };

  route("/health", { GET: () => ({ status: 200, body: { status: "ok" } }) });
  route("/ready", {
    GET: async () => {
      if (isDraining()) return { status: 503, body: { status: "draining" } };
      const readiness = await db.readiness();
      return readiness.ready
        ? { status: 200, body: { status: "ready" } }
        : { status: 503, body: { status: readiness.reason } };
    },
  });
  route("/api/hello", { GET: () => ({ status: 200, body: { message: "Hello from the reference service" } }) });
  route("/api/notes", {
    GET: async (ctx) => {
      const parsed = ListQuery.safeParse(Object.fromEntries(ctx.query));
      if (!parsed.success) throw validationError("query", parsed.error);
      const tenantId = await ctx.tenant();
      return { status: 200, body: await db.withTenant(tenantId, (q) => listNotes(q, parsed.data), ONE_STATEMENT) };
    },
    POST: async (ctx) => {
      const tenantId = await ctx.tenant();
      const parsed = NewNote.safeParse(await readJson(ctx.req));
      if (!parsed.success) throw validationError("body", parsed.error);
      const note = await db.withTenant(tenantId, (q) => createNote(q, parsed.data), ONE_STATEMENT);
      ctx.res.setHeader("Location", `/api/notes/${note.id}`);
      return { status: 201, body: note };
    },
  });
  route("/api/notes/:id", {
    GET: async (ctx) => {
      const tenantId = await ctx.tenant();
      const id = parseNoteId(ctx.params.id);
      const note = await db.withTenant(tenantId, (q) => getNote(q, id), ONE_STATEMENT);
      if (note === undefined) throw new HttpError(404, "not_found", "no note with this id");
      return { status: 200, body: note };
    },
    DELETE: async (ctx) => {
      const tenantId = await ctx.tenant();
      const id = parseNoteId(ctx.params.id);
      if (!(await db.withTenant(tenantId, (q) => deleteNote(q, id), ONE_STATEMENT))) {
        throw new HttpError(404, "not_found", "no note with this id");
      }
      return { status: 204 };
    },
  });
  if (enableDebugRoutes) {
    route("/debug/delay", { GET: delayRoute });
    route("/debug/error", {
      GET: () => {
        throw new Error("deliberate failure from /debug/error");
      },
    });
  }

  const handle = (req: IncomingMessage, res: ServerResponse): void => {
    const started = process.hrtime.bigint();
    const correlation = resolveCorrelation(req.headers);
    const rawUrl = req.url ?? "/";
    const queryStart = rawUrl.indexOf("?");
    // The query string is never logged: it is where callers put tokens by mistake.
    const path = queryStart === -1 ? rawUrl : rawUrl.slice(0, queryStart);
    const query = new URLSearchParams(queryStart === -1 ? "" : rawUrl.slice(queryStart + 1));
    let tenantId: string | null = null;
    let matched: Route | undefined;
    let failure: unknown;
    let unavailable = false;

    inFlight += 1;
    // Only at debug level, so the default stays one line per request; drills use it to know a request arrived.
    logger.debug("request started", { method: req.method, route: routeOf(path), requestId: correlation.id });
    res.setHeader("X-Request-Id", correlation.id);
    res.setHeader("Cache-Control", "no-store");
    res.setHeader("X-Content-Type-Options", "nosniff");

    res.on("close", () => {
      inFlight -= 1;
      const aborted = !res.writableFinished;
      // 499 is the nginx convention for "client went away first"; dashboards already know it.
      const status = aborted && !res.headersSent ? 499 : res.statusCode;
      // C4: exactly these fields, in this order (tenantId null unless the token verified).
      const fields = {
        tenantId,
        method: req.method,
        route: matched?.template ?? UNMATCHED_ROUTE,
        status,
        durationMs: Math.round(Number(process.hrtime.bigint() - started) / 1e3) / 1e3,
        requestId: correlation.id,
      };
      if (failure !== undefined) {
        // The cause, for whoever reads the 500's request line; warn, so the alarm counts the 500 once.
        logger.warn("request failed", { requestId: correlation.id, err: failure });
      }
      // /ready's 503 is the readiness signal (draining, database down), not a failure of this request: the
      // cause is logged once by the probe, and a deployment must not page anyone. Neither does any other 503
      // (UnavailableError: a full pool, a failover, a tenant not migrated yet): it is a "retry later" with
      // Retry-After, at warn so the ApplicationErrors metric filter (components/monitoring/monitoring.ts, level
      // "error") does not count it; the load balancer and database alarms cover a lasting outage.
      if (status >= 500 && matched?.template !== "/ready" && !unavailable) logger.error("request", fields);
      else if (status >= 400) logger.warn("request", fields);
      else logger.info("request", fields);
    });

    const reply = (status: number, body: unknown, headers: Readonly<Record<string, string>> = {}): void => {
      for (const [name, value] of Object.entries(headers)) res.setHeader(name, value);
      sendJson(res, status, body);
    };
    const fail = (err: unknown): void => {
      if (res.headersSent) {
        res.destroy();
        return;
      }
      if (err instanceof AuthError) {
        res.setHeader("WWW-Authenticate", `Bearer error="invalid_token"`);
        reply(401, { error: err.code, message: err.message, requestId: correlation.id });
      } else if (err instanceof HttpError) {
        unavailable = err instanceof UnavailableError;
        const details = (err as HttpError & { details?: unknown }).details;
        reply(
          err.status,
          { error: err.code, message: err.message, ...(details ? { details } : {}), requestId: correlation.id },
          err.headers,
        );
      } else {
        failure = err;
        reply(500, { error: "internal_error", requestId: correlation.id });
      }
    };

    function routeOf(p: string): string {
      return routes.find((r) => r.pattern.test(p))?.template ?? UNMATCHED_ROUTE;
    }

    let params: Record<string, string> = {};
    for (const candidate of routes) {
      const m = candidate.pattern.exec(path);
      if (m !== null) {
        matched = candidate;
        params = Object.fromEntries(candidate.paramNames.map((n, i) => [n, decodeParam(m[i + 1])]));
        break;
      }
    }
    if (matched === undefined) {
      reply(404, { error: "not_found", message: "no such route", requestId: correlation.id });
      return;
    }
    const method = req.method === "HEAD" ? "GET" : (req.method ?? "");
    const handler = matched.methods.get(method);
    if (handler === undefined) {
      const allow = [...matched.methods.keys()].flatMap((m) => (m === "GET" ? ["GET", "HEAD"] : [m])).join(", ");
      reply(405, { error: "method_not_allowed", message: `use ${allow}`, requestId: correlation.id }, { Allow: allow });
      return;
    }
    const ctx: RequestContext = {
      req,
      res,
      params,
      query,
      tenant: async () => {
        const identity = await verifyToken(headerValue(req.headers.authorization));
        tenantId = identity.tenantId;
        return identity.tenantId;
      },
    };
    Promise.resolve()
      .then(() => handler(ctx))
      .then((r) => {
        if (res.headersSent || res.destroyed) return;
        if (r.status === 204) {
          if (isDraining()) res.setHeader("Connection", "close");
          res.writeHead(204);
          res.end();
        } else reply(r.status, r.body);
      })
      .catch(fail);
  };

  /**
   * Why this route exists: proving that shutdown waits for slow requests needs a slow request. It sits behind
   * ENABLE_DEBUG_ROUTES rather than on /api/hello so production traffic cannot hold connections open at will.
   */
  function delayRoute(ctx: RequestContext): Promise<Reply> {
    const raw = ctx.query.get("ms") ?? "";
    const ms = /^\d{1,6}$/.test(raw) ? Number(raw) : NaN;
    if (!(ms <= MAX_DEBUG_DELAY_MS)) {
      throw new HttpError(400, "bad_request", `ms must be an integer from 0 to ${MAX_DEBUG_DELAY_MS}`);
    }
    return new Promise((resolve) => {
      const timer = setTimeout(() => resolve({ status: 200, body: { delayedMs: ms } }), ms);
      ctx.res.on("close", () => clearTimeout(timer));
    });
  }

  function sendJson(res: ServerResponse, status: number, body: unknown): void {
    const payload = JSON.stringify(body);
    // Decided when the response is written, not when the request arrived, so a slow request that straddles
    // SIGTERM still releases its keep-alive connection and lets the server close.
    if (isDraining()) res.setHeader("Connection", "close");
    res.writeHead(status, {
      "Content-Type": "application/json; charset=utf-8",
      "Content-Length": Buffer.byteLength(payload),
    });
    res.end(payload);
  }

  return { handle, inFlight: () => inFlight };
}

function headerValue(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

function decodeParam(raw: string): string {
  try {
    return decodeURIComponent(raw);
  } catch {
    return raw;
  }
}

/**
 * The request body as JSON: `Content-Type: application/json` (415 otherwise), at most MAX_BODY_BYTES (413,
 * checked against Content-Length first and then while reading, for chunked bodies), valid JSON (400).
 */
export function readJson(req: IncomingMessage): Promise<unknown> {
  const type = String(req.headers["content-type"] ?? "")
    .split(";")[0]
    .trim()
    .toLowerCase();
  if (type !== "application/json") {
    req.resume();
    return Promise.reject(new HttpError(415, "unsupported_media_type", "the body must be application/json"));
  }
  const tooLarge = () =>
    new HttpError(413, "payload_too_large", `the body must be at most ${MAX_BODY_BYTES} bytes`, {
      Connection: "close",
    });
  const declared = Number(req.headers["content-length"] ?? "0");
  if (declared > MAX_BODY_BYTES) {
    req.resume();
    return Promise.reject(tooLarge());
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    req.on("data", (chunk: Buffer) => {
      if (done) return;
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        done = true;
        reject(tooLarge());
        return;
      }
      chunks.push(chunk);
    });
    req.on("error", (err) => {
      if (!done) reject(err);
      done = true;
    });
    req.on("end", () => {
      if (done) return;
      done = true;
      try {
        resolve(JSON.parse(Buffer.concat(chunks).toString("utf8")));
      } catch {
        reject(new HttpError(400, "invalid_json", "the body is not valid JSON"));
      }
    });
  });
}
