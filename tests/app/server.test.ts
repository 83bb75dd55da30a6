import { randomUUID } from "node:crypto";
import { createServer } from "node:net";
import {
  HEALTHCHECK_ENTRY,
  UUID,
  dump,
  httpGet,
  requestLogs,
  spawnNode,
  startService,
  type LogLine,
  type ServiceProcess,
} from "./support/service";

/** The access log is written when the response closes, which can be a moment after the client has the body. */
async function theRequestLog(service: ServiceProcess, correlationId: string): Promise<LogLine> {
  await service.waitForLog(
    (l) => l.msg === "request" && l.requestId === correlationId,
    5_000,
    `request log ${correlationId}`,
  );
  const lines = requestLogs(service, correlationId);
  expect(lines).toHaveLength(1);
  return lines[0];
}

describe("reference service over HTTP (real process on 127.0.0.1)", () => {
  let service: ServiceProcess & { port: number };

  beforeAll(async () => {
    // Debug routes are on only for the 5xx case; everything else behaves as in production.
    service = await startService({ ENABLE_DEBUG_ROUTES: "1" });
  });

  afterAll(async () => {
    service.kill();
    await service.exited;
  });

  it("GET /health is 200 {status: ok} with JSON content type", async () => {
    const res = await httpGet(service.port, "/health");
    expect(res.status).toBe(200);
    expect(JSON.parse(res.body)).toEqual({ status: "ok" });
    expect(res.headers["content-type"]).toBe("application/json; charset=utf-8");
    expect(res.headers["cache-control"]).toBe("no-store");
  });

  it("GET /ready is 503 database_unreachable while the database refuses connections, logged at warn", async () => {
    // BASE_ENV's database is a closed loopback port; tests/integration/notesService.test.ts has the 200 case.
    const id = `it-ready-${randomUUID()}`;
    const res = await httpGet(service.port, "/ready", { headers: { "X-Request-Id": id } });
    expect(res.status).toBe(503);
    expect(JSON.parse(res.body)).toEqual({ status: "database_unreachable" });
    expect(await theRequestLog(service, id)).toMatchObject({ level: "warn", route: "/ready", status: 503 });
    expect(service.logs.find((l) => l.msg === "readiness probe failed")).toMatchObject({
      level: "warn",
      err: { code: "ECONNREFUSED" },
    });
  });

  it("GET /api/hello is 200 JSON", async () => {
    const res = await httpGet(service.port, "/api/hello");
    expect(res.status).toBe(200);
    expect(JSON.parse(res.body)).toEqual({ message: "Hello from the reference service" });
  });

  it("an unknown path is 404 JSON carrying the correlation id", async () => {
    const id = `it-404-${randomUUID()}`;
    const res = await httpGet(service.port, "/does-not-exist", { headers: { "X-Request-Id": id } });
    expect(res.status).toBe(404);
    expect(JSON.parse(res.body)).toEqual({ error: "not_found", message: "no such route", requestId: id });
    const log = await theRequestLog(service, id);
    // One route value for every unmatched path, so scanners cannot blow up per-route metrics.
    expect(log).toMatchObject({ level: "warn", status: 404, route: "*" });
  });

  it("echoes X-Request-Id and logs exactly one line per request with every field", async () => {
    const id = `it-${randomUUID()}`;
    const res = await httpGet(service.port, "/api/hello?name=secret-ish", {
      headers: { "X-Request-Id": id, "User-Agent": "jest" },
    });
    expect(res.headers["x-request-id"]).toBe(id);

    const log = await theRequestLog(service, id);
    expect(log).toEqual({
      time: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
      level: "info",
      msg: "request",
      tenantId: null,
      method: "GET",
      route: "/api/hello",
      status: 200,
      durationMs: expect.any(Number),
      requestId: id,
    });
    // C4 (the contract the metric filters and the usage collector read): exactly these keys, in this order.
    expect(Object.keys(log)).toEqual([
      "time",
      "level",
      "msg",
      "tenantId",
      "method",
      "route",
      "status",
      "durationMs",
      "requestId",
    ]);
    expect(log.durationMs).toBeGreaterThanOrEqual(0);
  });

  it("falls back to X-Amzn-Trace-Id (as the ALB sends it) and echoes it as X-Request-Id", async () => {
    const trace = `Root=1-${Date.now().toString(16).slice(-8)}-abcdef012345678912345678;Sampled=1`;
    const res = await httpGet(service.port, "/health", { headers: { "X-Amzn-Trace-Id": trace } });
    expect(res.headers["x-request-id"]).toBe(trace);
    const log = await theRequestLog(service, trace);
    expect(log.requestId).toBe(trace);
  });

  it("prefers X-Request-Id over X-Amzn-Trace-Id when both are present", async () => {
    const id = `it-both-${randomUUID()}`;
    const res = await httpGet(service.port, "/health", {
      headers: { "X-Request-Id": id, "X-Amzn-Trace-Id": "Root=1-00000000-000000000000000000000000" },
    });
    expect(res.headers["x-request-id"]).toBe(id);
  });

  it("generates a UUID when no id header is sent, and logs the same id", async () => {
    const res = await httpGet(service.port, "/api/hello");
    const id = res.headers["x-request-id"];
    expect(id).toEqual(expect.stringMatching(UUID));
    const log = await theRequestLog(service, id as string);
    expect(log.requestId).toBe(id);
  });

  it("replaces a correlation id that could corrupt logs or headers (too long) with a generated one", async () => {
    const res = await httpGet(service.port, "/health", { headers: { "X-Request-Id": "x".repeat(300) } });
    expect(res.headers["x-request-id"]).toEqual(expect.stringMatching(UUID));
  });

  it("a 5xx is answered as JSON and logged at level error with the cause", async () => {
    const id = `it-500-${randomUUID()}`;
    const res = await httpGet(service.port, "/debug/error", { headers: { "X-Request-Id": id } });
    expect(res.status).toBe(500);
    expect(JSON.parse(res.body)).toEqual({ error: "internal_error", requestId: id });
    const log = await theRequestLog(service, id);
    expect(log).toMatchObject({ level: "error", status: 500, route: "/debug/error" });
    // The cause on its own line at warn: the error alarm counts the 500 once, through the request line.
    const cause = await service.waitForLog((l) => l.msg === "request failed" && l.requestId === id);
    expect(cause).toMatchObject({ level: "warn", err: { message: "deliberate failure from /debug/error" } });
  });

  it("leaves the query string out of the log, since callers put tokens there", async () => {
    const id = `it-query-${randomUUID()}`;
    await httpGet(service.port, "/api/hello?token=abc123", { headers: { "X-Request-Id": id } });
    const log = await theRequestLog(service, id);
    expect(JSON.stringify(log)).not.toContain("abc123");
  });

  it("the container HEALTHCHECK probe exits 0 against the running service", async () => {
    const probe = spawnNode(HEALTHCHECK_ENTRY, { HOST: "127.0.0.1", PORT: String(service.port) });
    const { code } = await probe.exited;
    expect({ code, stderr: probe.stderr() }).toEqual({ code: 0, stderr: "" });
  });

  it("writes nothing but JSON lines to stdout", () => {
    expect(service.strayStdout).toEqual([]);
    expect(service.logs.every((l) => typeof l.time === "string" && typeof l.msg === "string")).toBe(true);
    expect(service.logs.map((l) => l.level).filter((lvl) => !["info", "warn", "error"].includes(lvl))).toEqual([]);
  });
});

describe("reference service with default (production) settings", () => {
  it("does not route the debug endpoints unless ENABLE_DEBUG_ROUTES is set", async () => {
    const service = await startService();
    try {
      expect((await httpGet(service.port, "/debug/error")).status).toBe(404);
      expect((await httpGet(service.port, "/debug/delay?ms=1")).status).toBe(404);
      // No "debug routes enabled" warning; the two 404 request lines are the only warn lines.
      await service.waitForLog(() => service.logs.filter((l) => l.msg === "request").length === 2);
      expect(service.logs.filter((l) => l.level === "warn").map((l) => [l.msg, l.status])).toEqual([
        ["request", 404],
        ["request", 404],
      ]);
    } finally {
      service.kill();
      await service.exited;
    }
  });

  it("the HEALTHCHECK probe exits 1 when nothing listens", async () => {
    const closedPort = await new Promise<number>((resolve) => {
      const s = createServer().listen(0, "127.0.0.1", () => {
        const { port } = s.address() as { port: number };
        s.close(() => resolve(port));
      });
    });
    const probe = spawnNode(HEALTHCHECK_ENTRY, { HOST: "127.0.0.1", PORT: String(closedPort) });
    const { code } = await probe.exited;
    expect(code).toBe(1);
    expect(probe.stderr()).toContain("healthcheck failed");
  });

  it("logs the listening line with the bound port", async () => {
    const service = await startService({ LOG_LEVEL: "info" });
    try {
      const listening = service.logs.find((l) => l.msg === "listening");
      expect(listening).toMatchObject({
        level: "info",
        host: "127.0.0.1",
        port: service.port,
        shutdownTimeoutMs: 25000,
      });
    } finally {
      service.kill();
      await service.exited;
      expect(service.strayStdout).toEqual([]);
      expect(dump(service.logs)).not.toContain('"level":"error"');
    }
  });
});
