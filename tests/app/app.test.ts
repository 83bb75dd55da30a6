import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { createApp } from "../../app/src/app";
import { createLogger } from "../../app/src/logger";
import type { TenantDatabase } from "../../app/src/db";
import { createTokenVerifier } from "../../app/src/auth";
import { loadConfig } from "../../app/src/config";
import { BASE_ENV, httpGet } from "./support/service";

/** A database that is always ready and never reached: these tests are about the HTTP layer. */
const readyDb: TenantDatabase = {
  withTenant: () => Promise.reject(new Error("no database in this test")),
  readiness: async () => ({ ready: true }),
  end: async () => undefined,
};

/**
 * In-process: the draining flag is flipped directly, which a real process cannot expose without also closing
 * its listener. This is where /ready answering 503 while draining is observed, not just inferred.
 */
describe("request handler (in process)", () => {
  let server: Server;
  let port: number;
  let draining = false;
  const lines: string[] = [];

  beforeAll(async () => {
    const logger = createLogger({ level: "info", write: (line) => lines.push(line) });
    const loaded = loadConfig(BASE_ENV);
    if (!loaded.ok) throw new Error(loaded.errors.join("\n"));
    const app = createApp({
      logger,
      isDraining: () => draining,
      enableDebugRoutes: true,
      db: readyDb,
      verifyToken: createTokenVerifier({ config: loaded.config.auth }),
    });
    server = createServer(app.handle);
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    port = (server.address() as AddressInfo).port;
  });

  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  afterEach(() => {
    draining = false;
  });

  it("/ready turns 503 {status: draining} and responses carry Connection: close once draining", async () => {
    const before = await httpGet(port, "/ready", { headers: { Connection: "keep-alive" } });
    expect(before.status).toBe(200);
    expect(before.headers.connection).toBe("keep-alive");

    draining = true;
    const after = await httpGet(port, "/ready", { headers: { Connection: "keep-alive" } });
    expect(after.status).toBe(503);
    expect(JSON.parse(after.body)).toEqual({ status: "draining" });
    expect(after.headers.connection).toBe("close");

    // Liveness must stay green while draining, or ECS would count a normal stop as a failed health check.
    expect((await httpGet(port, "/health")).status).toBe(200);
  });

  it("answers 405 with Allow for a method the route does not take", async () => {
    const res = await httpGet(port, "/api/hello", { method: "POST" });
    expect(res.status).toBe(405);
    expect(res.headers.allow).toBe("GET, HEAD");
  });

  it("answers HEAD without a body", async () => {
    const res = await httpGet(port, "/health", { method: "HEAD" });
    expect(res.status).toBe(200);
    expect(res.body).toBe("");
  });

  it.each(["", "?ms=", "?ms=-1", "?ms=10001", "?ms=1.5", "?ms=abc"])("rejects /debug/delay%s with 400", async (q) => {
    const res = await httpGet(port, `/debug/delay${q}`);
    expect(res.status).toBe(400);
    expect(JSON.parse(res.body)).toMatchObject({
      error: "bad_request",
      message: "ms must be an integer from 0 to 10000",
    });
  });

  it("logs one JSON line per request, with the fields in a fixed order", async () => {
    lines.length = 0;
    await httpGet(port, "/api/hello", { headers: { "X-Request-Id": "order-check" } });
    await new Promise((resolve) => setImmediate(resolve));
    expect(lines).toHaveLength(1);
    expect(lines[0].endsWith("\n")).toBe(true);
    expect(Object.keys(JSON.parse(lines[0]))).toEqual([
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
  });
});

describe("createLogger", () => {
  const at = () => new Date("2030-01-02T03:04:05.678Z");

  it("drops lines below the configured level", () => {
    const out: string[] = [];
    const logger = createLogger({ level: "warn", write: (l) => out.push(l), now: at });
    logger.debug("d");
    logger.info("i");
    logger.warn("w");
    logger.error("e");
    expect(out.map((l) => JSON.parse(l).level)).toEqual(["warn", "error"]);
  });

  it("never lets a field overwrite time, level or msg, and spells out errors", () => {
    const out: string[] = [];
    const logger = createLogger({ level: "info", write: (l) => out.push(l), now: at });
    logger.info("hello", { level: "error", msg: "forged", time: "x", err: new TypeError("boom") });
    const entry = JSON.parse(out[0]);
    expect(entry).toMatchObject({ time: "2030-01-02T03:04:05.678Z", level: "info", msg: "hello" });
    expect(entry.err).toMatchObject({ name: "TypeError", message: "boom" });
  });
});
