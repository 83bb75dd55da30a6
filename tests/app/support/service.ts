import { spawn, type ChildProcessWithoutNullStreams } from "node:child_process";
import { request, type Agent, type IncomingHttpHeaders } from "node:http";
import * as path from "node:path";
import { AUTH_ENV } from "./tokens";

export const REPO_ROOT = path.resolve(__dirname, "../../..");
/** The repository's TypeScript loader (tools/register.js): esbuild, cached, no type-checking. */
const REGISTER = path.join(REPO_ROOT, "tools", "register.js");
export const SERVER_ENTRY = path.join(REPO_ROOT, "app/src/server.ts");
export const HEALTHCHECK_ENTRY = path.join(REPO_ROOT, "app/src/healthcheck.ts");

export const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

export type LogLine = Record<string, unknown> & { time: string; level: string; msg: string };

/** A service child process with its stdout parsed into JSON log lines as they arrive. */
export interface ServiceProcess {
  readonly child: ChildProcessWithoutNullStreams;
  readonly logs: LogLine[];
  /** stdout lines that were not JSON; the service must never produce any. */
  readonly strayStdout: string[];
  readonly stderr: () => string;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>;
  /** Resolves with the first log line matching `predicate`, or rejects after `timeoutMs`. */
  waitForLog(predicate: (line: LogLine) => boolean, timeoutMs?: number, what?: string): Promise<LogLine>;
  /** Ends the process if a test left it running. */
  kill(): void;
}

/**
 * Runs the real entry point through the repository's TypeScript loader: no build step, well under a second to start.
 * Node is spawned directly (not through npx or a shell) so signals reach the service itself.
 */
export function spawnNode(entry: string, env: Record<string, string>): ServiceProcess {
  const child = spawn(process.execPath, ["-r", REGISTER, entry], {
    cwd: REPO_ROOT,
    env: { PATH: process.env.PATH ?? "", TS_NODE_PROJECT: path.join(REPO_ROOT, "app/tsconfig.json"), ...env },
    stdio: ["pipe", "pipe", "pipe"],
  });
  const logs: LogLine[] = [];
  const strayStdout: string[] = [];
  const waiters: Array<() => void> = [];
  let stderr = "";
  let pending = "";

  child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
    pending += chunk;
    const lines = pending.split("\n");
    pending = lines.pop() ?? "";
    for (const line of lines) {
      if (line.trim() === "") continue;
      try {
        logs.push(JSON.parse(line) as LogLine);
      } catch {
        strayStdout.push(line);
      }
    }
    waiters.forEach((w) => w());
  });
  child.stderr.setEncoding("utf8").on("data", (chunk: string) => {
    stderr += chunk;
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>((resolve) => {
    child.on("exit", (code, signal) => {
      resolve({ code, signal, at: Date.now() });
      waiters.forEach((w) => w());
    });
  });

  const waitForLog = (predicate: (line: LogLine) => boolean, timeoutMs = 10_000, what = "log line") =>
    new Promise<LogLine>((resolve, reject) => {
      const check = (): boolean => {
        const found = logs.find(predicate);
        if (found === undefined) return false;
        clearTimeout(timer);
        waiters.splice(waiters.indexOf(check), 1);
        resolve(found);
        return true;
      };
      const timer = setTimeout(() => {
        waiters.splice(waiters.indexOf(check), 1);
        reject(
          new Error(
            `timed out after ${timeoutMs} ms waiting for ${what}; stdout so far:\n${dump(logs)}\nstderr:\n${stderr}`,
          ),
        );
      }, timeoutMs);
      if (!check()) waiters.push(check);
    });

  return {
    child,
    logs,
    strayStdout,
    stderr: () => stderr,
    exited,
    waitForLog,
    kill: () => {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
    },
  };
}

/**
 * What every service process needs to start: token verification (HS256, tokens from ./tokens) and a database.
 * This one is unreachable (port 1 on loopback refuses connections): tests that need a database override DB_*.
 * Password login and plain TCP, because IAM authentication and the RDS CA need AWS (DB_AUTH=iam is tested
 * in tests/app/iamToken.test.ts against @aws-sdk/rds-signer itself).
 */
export const BASE_ENV: Record<string, string> = {
  ...AUTH_ENV,
  DB_HOST: "127.0.0.1",
  DB_PORT: "1",
  DB_NAME: "none",
  DB_USER: "app",
  DB_AUTH: "password",
  DB_PASSWORD: "unused",
  DB_SSL: "disable",
};

/** Starts the service on a kernel-chosen loopback port and resolves once it logs that it is listening. */
export async function startService(env: Record<string, string> = {}): Promise<ServiceProcess & { port: number }> {
  const service = spawnNode(SERVER_ENTRY, { HOST: "127.0.0.1", PORT: "0", ...BASE_ENV, ...env });
  try {
    const listening = await service.waitForLog((l) => l.msg === "listening", 15_000, "the listening log line");
    return Object.assign(service, { port: listening.port as number });
  } catch (err) {
    service.kill();
    throw err;
  }
}

export interface HttpResult {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
  /** When the whole body had arrived, by `Date.now()`. */
  readonly receivedAt: number;
}

/** One GET on 127.0.0.1; by default on a fresh connection so tests do not share sockets by accident. */
export function httpGet(
  port: number,
  urlPath: string,
  options: { headers?: Record<string, string>; agent?: Agent | false; method?: string } = {},
): Promise<HttpResult> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: "127.0.0.1",
        port,
        path: urlPath,
        method: options.method ?? "GET",
        headers: options.headers,
        agent: options.agent ?? false,
        timeout: 15_000,
      },
      (res) => {
        let body = "";
        res.setEncoding("utf8");
        res.on("data", (c: string) => (body += c));
        res.on("end", () =>
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body, receivedAt: Date.now() }),
        );
        res.on("error", reject);
      },
    );
    req.on("timeout", () => req.destroy(new Error(`GET ${urlPath} timed out`)));
    req.on("error", reject);
    req.end();
  });
}

/** Any method, with an optional body (a string, or JSON-encoded with its Content-Type). */
export function httpRequest(
  port: number,
  method: string,
  urlPath: string,
  options: { headers?: Record<string, string>; body?: unknown; agent?: Agent | false } = {},
): Promise<HttpResult> {
  const headers: Record<string, string> = { ...options.headers };
  let payload: Buffer | undefined;
  if (options.body !== undefined) {
    payload = Buffer.from(typeof options.body === "string" ? options.body : JSON.stringify(options.body));
    headers["content-type"] ??= "application/json";
    headers["content-length"] = String(payload.length);
  }
  return new Promise((resolve, reject) => {
    const req = request(
      { host: "127.0.0.1", port, path: urlPath, method, headers, agent: options.agent ?? false, timeout: 15_000 },
      (res) => {
        let body = "";
        res.setEncoding("utf8");
        res.on("data", (c: string) => (body += c));
        res.on("end", () =>
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body, receivedAt: Date.now() }),
        );
        res.on("error", reject);
      },
    );
    req.on("timeout", () => req.destroy(new Error(`${method} ${urlPath} timed out`)));
    req.on("error", reject);
    req.end(payload);
  });
}

export function requestLogs(service: ServiceProcess, correlationId: string): LogLine[] {
  return service.logs.filter((l) => l.msg === "request" && l.requestId === correlationId);
}

export function dump(lines: readonly unknown[]): string {
  return lines.map((l) => JSON.stringify(l)).join("\n");
}
