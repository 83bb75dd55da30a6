import { request } from "node:http";

/**
 * Container HEALTHCHECK probe. The slim base image has no curl or wget, and node is already there.
 * It checks liveness (/health), not readiness: a draining task is healthy, and failing it would only make ECS
 * replace a task that is already on its way out.
 */

/** Well inside the HEALTHCHECK --timeout, so a hung service is reported by this probe, not killed by Docker. */
const TIMEOUT_MS = 2_000;

const port = Number(process.env.PORT ?? "8080");
const host = probeHost(process.env.HOST);

const req = request({ host, port, path: "/health", method: "GET", timeout: TIMEOUT_MS }, (res) => {
  res.resume();
  process.exit(res.statusCode === 200 ? 0 : 1);
});
req.on("timeout", () => req.destroy(new Error(`no response within ${TIMEOUT_MS} ms`)));
req.on("error", (err) => {
  process.stderr.write(`healthcheck failed: ${err.message}\n`);
  process.exit(1);
});
req.end();

/** A wildcard listen address cannot be connected to; loopback reaches the same listener. */
function probeHost(listenHost: string | undefined): string {
  if (listenHost === undefined || listenHost === "0.0.0.0") return "127.0.0.1";
  if (listenHost === "::") return "::1";
  return listenHost;
}
