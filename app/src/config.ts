import { isIP } from "node:net";
import * as path from "node:path";

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
  /** The database the tenants' data lives in, and how this service's pool reaches it. */
  readonly db: DbConfig;
  /** How a request's bearer token is verified and where its tenant id is. */
  readonly auth: AuthConfig;
}

export type DbAuth =
  /** IAM database authentication: a 15-minute token from @aws-sdk/rds-signer per new connection (AWS). */
  | { readonly mode: "iam"; readonly region: string }
  /** A fixed password (DB_PASSWORD): local runs and the tests, where IAM cannot be used. */
  | { readonly mode: "password"; readonly password: string };

export type DbSsl =
  /** TLS with the server certificate verified against `caFile` and its name checked against DB_HOST. */
  | { readonly mode: "verify-full"; readonly caFile: string }
  /** Plain TCP: only for a database on loopback (tests, local runs). */
  | { readonly mode: "disable" };

export interface PoolConfig {
  /** DB_POOL_MAX_SIZE: connections this task may open (components/database/sizing.ts budgets it). */
  readonly maxSize: number;
  /** DB_POOL_MIN_IDLE: idle connections the pool keeps instead of closing them after DB_IDLE_TIMEOUT_MS. */
  readonly minIdle: number;
  /** DB_CONNECTION_TIMEOUT_MS: longest wait for a new connection to be opened (and pg-pool's outer bound). */
  readonly connectionTimeoutMs: number;
  /** DB_IDLE_TIMEOUT_MS: an idle connection above minIdle is closed after this. */
  readonly idleTimeoutMs: number;
  /** DB_MAX_LIFETIME_MS: a connection is retired after this, so rotations and failovers are picked up. */
  readonly maxLifetimeMs: number;
  /** DB_POOL_WAIT_MS: longest wait for a connection to come free while every one is busy; then 503. */
  readonly poolWaitMs: number;
  /** DB_POOL_MAX_WAITING: requests allowed to queue for a connection; the next one is answered 503 at once. */
  readonly maxWaiting: number;
  /** DB_STATEMENT_TIMEOUT_MS: PostgreSQL's statement_timeout for this service's sessions. */
  readonly statementTimeoutMs: number;
  /** DB_READY_EXHAUSTED_MS: /ready turns 503 once requests have been queueing for a connection this long, without a break. */
  readonly readyExhaustedMs: number;
}

export interface DbConfig {
  readonly host: string;
  readonly port: number;
  readonly database: string;
  readonly user: string;
  readonly auth: DbAuth;
  readonly ssl: DbSsl;
  readonly pool: PoolConfig;
}

export type AuthKey =
  | { readonly kind: "jwks-url"; readonly url: URL }
  | { readonly kind: "jwks"; readonly jwks: { keys: Record<string, unknown>[] } }
  | { readonly kind: "secret"; readonly secret: Uint8Array };

export interface AuthConfig {
  readonly issuer: string;
  readonly audience: string;
  /** The claim that carries the tenant id. @default "tenant_id" */
  readonly tenantClaim: string;
  readonly key: AuthKey;
}

/**
 * The RDS CA bundle the image ships (see Dockerfile: stage rds-ca), relative to the compiled dist/ folder, so
 * the same default works in the image (/app/certs) and from a checkout.
 */
export const DEFAULT_RDS_CA_FILE = path.join(__dirname, "..", "certs", "rds-global-bundle.pem");
/** RFC 7518 section 3.2: an HS256 key must be at least as long as the hash, 256 bits. */
export const MIN_SIGNING_SECRET_BYTES = 32;

export type ConfigResult =
  { readonly ok: true; readonly config: Config } | { readonly ok: false; readonly errors: string[] };

const DEFAULTS: Omit<Config, "db" | "auth"> = {
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

  const db = loadDbConfig(env, errors);
  const auth = loadAuthConfig(env, errors);

  if (
    errors.length > 0 ||
    port === undefined ||
    shutdownTimeoutMs === undefined ||
    enableDebugRoutes === undefined ||
    db === undefined ||
    auth === undefined
  ) {
    return { ok: false, errors };
  }
  return {
    ok: true,
    config: { host, port, shutdownTimeoutMs, logLevel: logLevel as LogLevel, enableDebugRoutes, db, auth },
  };
}

const POOL_DEFAULTS = {
  maxSize: 10,
  connectionTimeoutMs: 10_000,
  // A full pool answers 503 + Retry-After within about a second: the client retries instead of holding a
  // request open for the whole connect timeout, which is sized for opening a connection (TLS, IAM token).
  poolWaitMs: 1_000,
  idleTimeoutMs: 600_000,
  maxLifetimeMs: 1_800_000,
  statementTimeoutMs: 10_000,
  readyExhaustedMs: 5_000,
};

function loadDbConfig(env: NodeJS.ProcessEnv, errors: string[]): DbConfig | undefined {
  const before = errors.length;
  const required = (name: string, example: string): string => {
    const value = env[name];
    if (value === undefined || value === "")
      errors.push(`${name} is required; got ${quote(value)}. Example: ${name}=${example}.`);
    return value ?? "";
  };
  const host = required("DB_HOST", "db.cluster-abc.eu-west-1.rds.amazonaws.com");
  const port = parseInteger(env.DB_PORT, 5432, 1, 65_535);
  if (port === undefined)
    errors.push(`DB_PORT must be an integer from 1 to 65535; got ${quote(env.DB_PORT)}. Example: DB_PORT=5432.`);
  const database = required("DB_NAME", "saas");
  const user = env.DB_USER ?? "app";
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(user)) {
    errors.push(`DB_USER must be a lowercase PostgreSQL role name; got ${quote(user)}. Example: DB_USER=app.`);
  }

  let auth: DbAuth | undefined;
  const mode = env.DB_AUTH ?? "iam";
  if (mode === "iam") {
    const region = env.AWS_REGION ?? "";
    if (!/^[a-z]{2}(-[a-z]+)+-\d$/.test(region)) {
      errors.push(
        `AWS_REGION must name the database's region when DB_AUTH=iam; got ${quote(env.AWS_REGION)}. Example: AWS_REGION=eu-west-1.`,
      );
    }
    if (env.DB_PASSWORD !== undefined)
      errors.push("DB_PASSWORD must not be set when DB_AUTH=iam; the IAM token is the password.");
    auth = { mode, region };
  } else if (mode === "password") {
    if (env.DB_PASSWORD === undefined || env.DB_PASSWORD === "") {
      errors.push(`DB_PASSWORD is required when DB_AUTH=password; got ${quote(env.DB_PASSWORD)}.`);
    }
    auth = { mode, password: env.DB_PASSWORD ?? "" };
  } else {
    errors.push(`DB_AUTH must be iam (AWS) or password (local runs and tests); got ${quote(mode)}.`);
  }

  let ssl: DbSsl | undefined;
  const sslMode = env.DB_SSL ?? "verify-full";
  if (sslMode === "verify-full") {
    const caFile = env.DB_SSL_CA ?? DEFAULT_RDS_CA_FILE;
    if (caFile === "")
      errors.push(`DB_SSL_CA must be the path of a PEM CA bundle; got "". Unset it for the bundled RDS CAs.`);
    ssl = { mode: sslMode, caFile };
  } else if (sslMode === "disable") {
    if (!isLoopback(host)) {
      errors.push(
        `DB_SSL=disable is allowed only for a database on loopback (127.0.0.1, ::1, localhost); DB_HOST is ${quote(host)}.`,
      );
    }
    ssl = { mode: sslMode };
  } else {
    errors.push(`DB_SSL must be verify-full (AWS) or disable (loopback only); got ${quote(sslMode)}.`);
  }

  const int = (name: string, fallback: number, min: number, max: number): number => {
    const value = parseInteger(env[name], fallback, min, max);
    if (value === undefined) errors.push(`${name} must be an integer from ${min} to ${max}; got ${quote(env[name])}.`);
    return value ?? fallback;
  };
  const maxSize = int("DB_POOL_MAX_SIZE", POOL_DEFAULTS.maxSize, 1, 1000);
  const minIdle = int("DB_POOL_MIN_IDLE", 0, 0, 1000);
  if (minIdle > maxSize) errors.push(`DB_POOL_MIN_IDLE (${minIdle}) must not exceed DB_POOL_MAX_SIZE (${maxSize}).`);
  const pool: PoolConfig = {
    maxSize,
    minIdle,
    connectionTimeoutMs: int("DB_CONNECTION_TIMEOUT_MS", POOL_DEFAULTS.connectionTimeoutMs, 1, 60_000),
    idleTimeoutMs: int("DB_IDLE_TIMEOUT_MS", POOL_DEFAULTS.idleTimeoutMs, 1_000, 86_400_000),
    maxLifetimeMs: int("DB_MAX_LIFETIME_MS", POOL_DEFAULTS.maxLifetimeMs, 1_000, 86_400_000),
    poolWaitMs: int("DB_POOL_WAIT_MS", POOL_DEFAULTS.poolWaitMs, 1, 60_000),
    maxWaiting: int("DB_POOL_MAX_WAITING", maxSize * 4, 0, 100_000),
    statementTimeoutMs: int("DB_STATEMENT_TIMEOUT_MS", POOL_DEFAULTS.statementTimeoutMs, 1, 600_000),
    readyExhaustedMs: int("DB_READY_EXHAUSTED_MS", POOL_DEFAULTS.readyExhaustedMs, 1, 600_000),
  };

  if (errors.length > before || port === undefined || auth === undefined || ssl === undefined) return undefined;
  return { host, port, database, user, auth, ssl, pool };
}

function loadAuthConfig(env: NodeJS.ProcessEnv, errors: string[]): AuthConfig | undefined {
  const before = errors.length;
  const issuer = env.AUTH_ISSUER ?? "";
  if (issuer === "") errors.push(`AUTH_ISSUER is required (the token's "iss"); got ${quote(env.AUTH_ISSUER)}.`);
  const audience = env.AUTH_AUDIENCE ?? "";
  if (audience === "") errors.push(`AUTH_AUDIENCE is required (the token's "aud"); got ${quote(env.AUTH_AUDIENCE)}.`);
  const tenantClaim = env.AUTH_TENANT_CLAIM ?? "tenant_id";
  if (!/^[A-Za-z0-9_:./-]{1,100}$/.test(tenantClaim)) {
    errors.push(`AUTH_TENANT_CLAIM must be a claim name (letters, digits, _ : . / -); got ${quote(tenantClaim)}.`);
  }

  const sources = (["AUTH_JWKS_URL", "AUTH_JWKS", "AUTH_SIGNING_SECRET"] as const).filter((n) => env[n] !== undefined);
  let key: AuthKey | undefined;
  if (sources.length !== 1) {
    errors.push(
      `Exactly one of AUTH_JWKS_URL, AUTH_JWKS, AUTH_SIGNING_SECRET must be set; got ${sources.length === 0 ? "none" : sources.join(", ")}.`,
    );
  } else if (sources[0] === "AUTH_JWKS_URL") {
    const raw = env.AUTH_JWKS_URL ?? "";
    let url: URL | undefined;
    try {
      url = new URL(raw);
    } catch {
      url = undefined;
    }
    if (url === undefined || !(url.protocol === "https:" || (url.protocol === "http:" && isLoopback(url.hostname)))) {
      errors.push(`AUTH_JWKS_URL must be an https:// URL (http:// only on loopback); got ${quote(raw)}.`);
    } else {
      key = { kind: "jwks-url", url };
    }
  } else if (sources[0] === "AUTH_JWKS") {
    let parsed: unknown;
    try {
      parsed = JSON.parse(env.AUTH_JWKS ?? "");
    } catch {
      parsed = undefined;
    }
    const keys = (parsed as { keys?: unknown } | undefined)?.keys;
    if (!Array.isArray(keys) || keys.length === 0 || !keys.every((k) => typeof k === "object" && k !== null)) {
      errors.push('AUTH_JWKS must be a JSON Web Key Set, {"keys":[{...}, ...]} with at least one key.');
    } else if (keys.some((k: Record<string, unknown>) => "d" in k || "k" in k)) {
      errors.push("AUTH_JWKS must hold public keys only; a key has a private (d) or symmetric (k) member.");
    } else {
      key = { kind: "jwks", jwks: { keys: keys as Record<string, unknown>[] } };
    }
  } else {
    const secret = new TextEncoder().encode(env.AUTH_SIGNING_SECRET ?? "");
    if (secret.length < MIN_SIGNING_SECRET_BYTES) {
      errors.push(
        `AUTH_SIGNING_SECRET must be at least ${MIN_SIGNING_SECRET_BYTES} bytes for HS256; got ${secret.length} bytes.`,
      );
    } else {
      key = { kind: "secret", secret };
    }
  }

  if (errors.length > before || key === undefined) return undefined;
  return { issuer, audience, tenantClaim, key };
}

function isLoopback(host: string): boolean {
  return host === "localhost" || host === "::1" || host === "[::1]" || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
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
