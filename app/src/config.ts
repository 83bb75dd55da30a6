import { isIP } from "node:net";

/**
 * The ECS task definition's `stopTimeout` for this container: ECS sends SIGKILL this long after SIGTERM.
 * The shutdown deadline must expire before it, otherwise the "deadline exceeded" error log and exit code 1
 * are replaced by an unlogged SIGKILL (exit 137).
 */
export const ECS_STOP_TIMEOUT_MS = 30_000;

/** Upper bound for `GET /debug/delay?ms=`, so a debug route cannot pin a connection for minutes. */
export const MAX_DEBUG_DELAY_MS = 10_000;

export const LOG_LEVELS = ["debug", "info", "warn", "error"] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** Runtime configuration, read once from the environment at start-up. */
export interface Config {
  /**
   * Address to listen on.
   * @default "0.0.0.0" - every interface, which is what the ALB needs to reach the task's ENI
   */
  readonly host: string;
  /**
   * TCP port to listen on; 0 asks the kernel for a free port (the bound port is logged).
   * @default 8080
   */
  readonly port: number;
  /**
   * How long a graceful shutdown may take before open connections are force-closed and the process exits 1.
   * @default 25000 - leaves 5 s of the 30 s ECS stopTimeout for the forced exit itself
   */
  readonly shutdownTimeoutMs: number;
  /**
   * Lowest level written to stdout.
   * @default "info"
   */
  readonly logLevel: LogLevel;
  /**
   * Whether `/debug/delay` and `/debug/error` are routed; they exist for shutdown and alarm drills only.
   * @default false
   */
  readonly enableDebugRoutes: boolean;
}

export type ConfigResult =
  { readonly ok: true; readonly config: Config } | { readonly ok: false; readonly errors: string[] };

const DEFAULTS: Config = {
  host: "0.0.0.0",
  port: 8080,
  shutdownTimeoutMs: 25_000,
  logLevel: "info",
  enableDebugRoutes: false,
};

/**
 * Reads the service configuration from `env`. An unset variable takes its default; a variable that is set
 * must be valid, even when empty, because a blank value usually means a broken template rather than "default".
 * Every problem is reported at once so one failed deployment shows all of them.
 */
export function loadConfig(env: NodeJS.ProcessEnv): ConfigResult {
  const errors: string[] = [];

  const host = env.HOST ?? DEFAULTS.host;
  if (isIP(host) === 0) {
    errors.push(`HOST must be an IP address to listen on, such as 0.0.0.0 or 127.0.0.1; got ${quote(host)}.`);
  }

  const port = parseInteger(env.PORT, DEFAULTS.port, 0, 65_535);
  if (port === undefined) {
    errors.push(
      `PORT must be an integer from 0 to 65535 (0 picks a free port); got ${quote(env.PORT)}. Example: PORT=8080.`,
    );
  }

  const shutdownTimeoutMs = parseInteger(
    env.SHUTDOWN_TIMEOUT_MS,
    DEFAULTS.shutdownTimeoutMs,
    1,
    ECS_STOP_TIMEOUT_MS - 1,
  );
  if (shutdownTimeoutMs === undefined) {
    errors.push(
      `SHUTDOWN_TIMEOUT_MS must be an integer from 1 to ${ECS_STOP_TIMEOUT_MS - 1}, below the ECS stopTimeout of ` +
        `${ECS_STOP_TIMEOUT_MS} ms; got ${quote(env.SHUTDOWN_TIMEOUT_MS)}. Example: SHUTDOWN_TIMEOUT_MS=25000.`,
    );
  }

  const logLevel = env.LOG_LEVEL ?? DEFAULTS.logLevel;
  if (!isLogLevel(logLevel)) {
    errors.push(`LOG_LEVEL must be one of ${LOG_LEVELS.join(", ")}; got ${quote(logLevel)}.`);
  }

  const enableDebugRoutes = parseBoolean(env.ENABLE_DEBUG_ROUTES, DEFAULTS.enableDebugRoutes);
  if (enableDebugRoutes === undefined) {
    errors.push(
      `ENABLE_DEBUG_ROUTES must be 1 or true to enable, 0 or false to disable; got ${quote(env.ENABLE_DEBUG_ROUTES)}.`,
    );
  }

  if (errors.length > 0 || port === undefined || shutdownTimeoutMs === undefined || enableDebugRoutes === undefined) {
    return { ok: false, errors };
  }
  return { ok: true, config: { host, port, shutdownTimeoutMs, logLevel: logLevel as LogLevel, enableDebugRoutes } };
}

/** Formats the errors of a failed `loadConfig` for a human reading the task's stopped reason or log. */
export function formatConfigErrors(errors: readonly string[]): string {
  return ["Invalid configuration, the service will not start:", ...errors.map((e) => `  - ${e}`)].join("\n");
}

export function isLogLevel(value: string): value is LogLevel {
  return (LOG_LEVELS as readonly string[]).includes(value);
}

/** Parses a base-10 integer strictly: "8080.0", " 8080", "1e3" and "0x10" are mistakes, not numbers. */
function parseInteger(raw: string | undefined, fallback: number, min: number, max: number): number | undefined {
  if (raw === undefined) return fallback;
  if (!/^\d{1,9}$/.test(raw)) return undefined;
  const value = Number(raw);
  return value >= min && value <= max ? value : undefined;
}

function parseBoolean(raw: string | undefined, fallback: boolean): boolean | undefined {
  if (raw === undefined) return fallback;
  const normalised = raw.toLowerCase();
  if (normalised === "1" || normalised === "true") return true;
  if (normalised === "0" || normalised === "false") return false;
  return undefined;
}

function quote(value: string | undefined): string {
  return JSON.stringify(value ?? "");
}
