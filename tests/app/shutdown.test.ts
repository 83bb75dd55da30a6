import { Agent } from "node:http";
import { connect, type Socket } from "node:net";
import { dump, httpGet, startService, type HttpResult, type ServiceProcess } from "./support/service";
import { startKeepAliveDrill } from "../../tools/bench/keepAliveDrill";

type Probe = { status: number } | { error: string };

/** A GET on a brand-new connection, reduced to its status or its connection error code. */
async function probe(port: number, urlPath: string): Promise<Probe> {
  try {
    return { status: (await httpGet(port, urlPath)).status };
  } catch (err) {
    return { error: (err as NodeJS.ErrnoException).code ?? String(err) };
  }
}

/**
 * A raw keep-alive connection that has finished one request and now sits idle, the state an ALB or a pooling
 * client leaves connections in. Raw so the test, not an agent, decides when the socket is reused or closed.
 */
async function openIdleKeepAlive(
  port: number,
): Promise<{ socket: Socket; closed: Promise<number>; errors: string[]; received: () => string }> {
  const socket = connect(port, "127.0.0.1");
  const closed = new Promise<number>((resolve) => socket.on("close", () => resolve(Date.now())));
  const errors: string[] = [];
  let all = "";
  socket.on("error", (err: NodeJS.ErrnoException) => errors.push(err.code ?? err.message));
  socket.on("data", (chunk: Buffer | string) => (all += chunk.toString()));
  await new Promise<void>((resolve, reject) => {
    let received = "";
    socket.setEncoding("utf8");
    socket.on("error", reject);
    socket.on("data", (chunk: string) => {
      received += chunk;
      if (received.includes('{"status":"ok"}')) resolve();
    });
    socket.write("GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: keep-alive\r\n\r\n");
  });
  expect(socket.destroyed).toBe(false);
  return { socket, closed, errors, received: () => all };
}

describe("graceful shutdown (real process on 127.0.0.1)", () => {
  let service: (ServiceProcess & { port: number }) | undefined;

  afterEach(async () => {
    service?.kill();
    await service?.exited;
    service = undefined;
  });

  it("on SIGTERM finishes 50 in-flight requests, refuses new connections, answers then closes idle ones, exits 0", async () => {
    const s = (service = await startService({
      ENABLE_DEBUG_ROUTES: "1",
      LOG_LEVEL: "debug",
      SHUTDOWN_TIMEOUT_MS: "10000",
    }));
    const idle = await openIdleKeepAlive(s.port);
    const reused = await openIdleKeepAlive(s.port);

    // GIVEN 50 slow requests the server has already accepted, half on pooled keep-alive connections
    const pooled = new Agent({ keepAlive: true, maxSockets: Infinity });
    const delays = Array.from({ length: 50 }, (_, i) => 2_500 + (i % 10) * 100);
    const inFlight = delays.map((ms, i) =>
      httpGet(s.port, `/debug/delay?ms=${ms}`, { agent: i % 2 === 0 ? pooled : false }).then(
        (res) => ({ i, res }),
        (err: Error) => ({ i, err }),
      ),
    );
    let settled = 0;
    inFlight.forEach((p) => p.then(() => (settled += 1)));
    await s.waitForLog(
      () => s.logs.filter((l) => l.msg === "request started" && l.route === "/debug/delay").length === 50,
      10_000,
      "all 50 slow requests to reach the server",
    );

    // WHEN ECS stops the task
    s.child.kill("SIGTERM");
    const started = await s.waitForLog((l) => l.msg === "shutdown started", 5_000, "the shutdown started log");
    const shutdownSeenAt = Date.now();
    expect(started).toMatchObject({ level: "info", signal: "SIGTERM", inFlight: 50, timeoutMs: 10000 });

    // THEN the listener is gone: a new connection is not served, so /ready cannot report anything but "not
    // ready". A connection that raced into the kernel's accept queue just before close() is reset rather than
    // refused; both mean the load balancer sees the target as gone.
    const notServed = { error: expect.stringMatching(/^(ECONNREFUSED|ECONNRESET)$/) };
    expect(await probe(s.port, "/ready")).toEqual(notServed);
    expect(await probe(s.port, "/api/hello")).toEqual({ error: "ECONNREFUSED" });

    // AND a client reusing its idle keep-alive connection right after SIGTERM gets an answer, not a reset: 200
    // with Connection: close, and then the server closes that connection (the issue-13 drill's 12 resets)
    reused.socket.write("GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: keep-alive\r\n\r\n");
    const reusedClosedAt = await reused.closed;
    const second = reused.received().split("HTTP/1.1 ").slice(2).join("");
    expect(second).toMatch(/^200 OK\r\n/);
    expect(second).toMatch(/\r\nConnection: close\r\n/i);
    expect(reused.errors).toEqual([]);
    expect(reusedClosedAt - shutdownSeenAt).toBeLessThan(1_000);

    // AND a connection left idle is closed after the idle grace (2 s: min(2000, deadline / 4)), while the slow
    // requests are still running
    const idleClosedAt = await Promise.race([
      idle.closed,
      new Promise<number>((_, reject) => setTimeout(() => reject(new Error("idle connection not closed")), 4_000)),
    ]);
    expect({ settledWhenIdleClosed: settled }).toEqual({ settledWhenIdleClosed: 0 });
    expect(idleClosedAt - shutdownSeenAt).toBeGreaterThanOrEqual(1_500);
    expect(idleClosedAt - shutdownSeenAt).toBeLessThan(2_500);
    expect(idle.errors).toEqual([]);

    // AND every in-flight request completes normally, each telling its client not to reuse the connection
    const outcomes = await Promise.all(inFlight);
    const failures = outcomes.filter((o) => "err" in o).map((o) => `#${o.i}: ${(o as { err: Error }).err.message}`);
    expect(failures).toEqual([]);
    const responses = outcomes.map((o) => (o as { res: HttpResult }).res);
    expect(responses.map((r) => r.status)).toEqual(delays.map(() => 200));
    expect(responses.map((r) => JSON.parse(r.body).delayedMs)).toEqual(delays);
    expect(responses.filter((r) => r.receivedAt < shutdownSeenAt)).toEqual([]);
    expect(responses.map((r) => r.headers.connection)).toEqual(delays.map(() => "close"));

    // AND the process exits 0 on its own, well before the deadline, once the last connection has gone
    const exit = await s.exited;
    pooled.destroy();
    expect({ code: exit.code, signal: exit.signal }).toEqual({ code: 0, signal: null });
    expect(exit.at - shutdownSeenAt).toBeLessThan(10_000);
    expect(s.logs.find((l) => l.msg === "shutdown complete")).toMatchObject({ level: "info", signal: "SIGTERM" });
    expect(s.logs.filter((l) => l.level === "error")).toEqual([]);
    const requestLines = s.logs.filter((l) => l.msg === "request" && l.route === "/debug/delay");
    expect(requestLines).toHaveLength(50);
    expect(s.logs.find((l) => l.msg === "connections drained, closing the database pool")).toMatchObject({
      level: "info",
    });
  });

  it("SIGTERM under keep-alive load: 0 failed requests, 0 resets, every connection closed by a response", async () => {
    const s = (service = await startService({ SHUTDOWN_TIMEOUT_MS: "10000" }));
    // GIVEN 32 keep-alive connections, each sending its next request as soon as the previous one is answered
    const drill = startKeepAliveDrill({ port: s.port, path: "/api/hello", connections: 32 });
    const until = Date.now() + 5_000;
    while (drill.count() < 500 && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
    const before = drill.count();
    expect(before).toBeGreaterThanOrEqual(500);

    // WHEN the task is stopped mid-load
    s.child.kill("SIGTERM");
    const result = await drill.finished;
    const exit = await s.exited;

    // THEN every request sent got a 2xx, no connection was reset or hung up, each of the 32 connections ended
    // with a Connection: close response, and the process exited 0 without an error line
    expect({ failed: result.failedByStatus, errors: result.errorsByCode }).toEqual({ failed: {}, errors: {} });
    expect(result.closedByServer).toBe(32);
    expect(result.ok).toBeGreaterThan(before);
    expect({ code: exit.code, signal: exit.signal }).toEqual({ code: 0, signal: null });
    expect(s.logs.filter((l) => l.level === "error")).toEqual([]);
  });

  it("exits 1 with an error log when a request outlives SHUTDOWN_TIMEOUT_MS", async () => {
    const s = (service = await startService({
      ENABLE_DEBUG_ROUTES: "1",
      LOG_LEVEL: "debug",
      SHUTDOWN_TIMEOUT_MS: "300",
    }));
    const stuck = httpGet(s.port, "/debug/delay?ms=8000").then(
      () => "completed",
      (err: NodeJS.ErrnoException) => err.code ?? err.message,
    );
    await s.waitForLog((l) => l.msg === "request started" && l.route === "/debug/delay", 5_000, "the slow request");

    const signalledAt = Date.now();
    s.child.kill("SIGTERM");
    const exit = await s.exited;

    expect({ code: exit.code, signal: exit.signal }).toEqual({ code: 1, signal: null });
    expect(exit.at - signalledAt).toBeGreaterThanOrEqual(250);
    expect(exit.at - signalledAt).toBeLessThan(5_000);
    const error = s.logs.find((l) => l.level === "error");
    expect(error).toMatchObject({
      msg: "shutdown deadline exceeded, closing remaining connections",
      timeoutMs: 300,
      inFlight: 1,
    });
    expect(s.logs.some((l) => l.msg === "shutdown complete")).toBe(false);
    expect(await stuck).toMatch(/ECONNRESET|socket hang up/);
  });

  it("treats SIGINT like SIGTERM and exits 0 promptly when idle; a repeated signal does not restart shutdown", async () => {
    const s = (service = await startService());
    const idle = await openIdleKeepAlive(s.port);
    s.child.kill("SIGINT");
    await s.waitForLog((l) => l.msg === "shutdown started", 5_000, "the shutdown started log");
    s.child.kill("SIGINT");
    const exit = await s.exited;
    await idle.closed;
    expect({ code: exit.code, signal: exit.signal }).toEqual({ code: 0, signal: null });
    const shutdownLines = s.logs.filter((l) => String(l.msg).startsWith("shutdown"));
    expect(shutdownLines.map((l) => l.msg)).toEqual(expect.arrayContaining(["shutdown started", "shutdown complete"]));
    expect(s.logs.filter((l) => l.msg === "shutdown started")).toHaveLength(1);
    expect(dump(s.logs)).not.toContain('"level":"error"');
  });
});
