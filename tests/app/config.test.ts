import { ECS_STOP_TIMEOUT_MS, DEFAULT_RDS_CA_FILE, formatConfigErrors, loadConfig } from "../../app/src/config";
import { poolEnvironment, poolSettings } from "../../components/database/sizing";
import { BASE_ENV, SERVER_ENTRY, spawnNode } from "./support/service";
import { SIGNING_SECRET } from "./support/tokens";

/** What AWS passes (C3): IAM login, verified TLS, HS256 secret from Secrets Manager. */
const AWS_ENV = {
  DB_HOST: "db.cluster-abc.eu-west-1.rds.amazonaws.com",
  DB_PORT: "5432",
  DB_NAME: "saas",
  DB_USER: "app",
  DB_AUTH: "iam",
  DB_SSL: "verify-full",
  AWS_REGION: "eu-west-1",
  DB_POOL_MAX_SIZE: "8",
  DB_POOL_MIN_IDLE: "8",
  DB_CONNECTION_TIMEOUT_MS: "10000",
  DB_IDLE_TIMEOUT_MS: "600000",
  DB_MAX_LIFETIME_MS: "1800000",
  AUTH_ISSUER: "https://id.example.com/",
  AUTH_AUDIENCE: "notes",
  AUTH_SIGNING_SECRET: SIGNING_SECRET,
};
const errorsOf = (env: NodeJS.ProcessEnv) => {
  const r = loadConfig(env);
  return r.ok ? [] : r.errors;
};

describe("loadConfig", () => {
  it("applies every default when only the required database and auth settings are set", () => {
    const result = loadConfig(BASE_ENV);
    if (!result.ok) throw new Error(result.errors.join("\n"));
    const { db, auth, ...rest } = result.config;
    expect(rest).toEqual({
      host: "0.0.0.0",
      port: 8080,
      shutdownTimeoutMs: 25000,
      logLevel: "info",
      enableDebugRoutes: false,
    });
    expect(db).toMatchObject({
      pool: {
        maxSize: 10,
        minIdle: 0,
        connectionTimeoutMs: 10000,
        poolWaitMs: 1000,
        idleTimeoutMs: 600000,
        maxLifetimeMs: 1800000,
        maxWaiting: 40,
        statementTimeoutMs: 10000,
        readyExhaustedMs: 5000,
      },
    });
    expect(auth).toMatchObject({ tenantClaim: "tenant_id", key: { kind: "secret" } });
  });

  it("reads the AWS environment (C3 and components/database/sizing.ts poolEnvironment)", () => {
    const result = loadConfig(AWS_ENV);
    expect(result.ok && result.config.db).toEqual({
      host: "db.cluster-abc.eu-west-1.rds.amazonaws.com",
      port: 5432,
      database: "saas",
      user: "app",
      auth: { mode: "iam", region: "eu-west-1" },
      ssl: { mode: "verify-full", caFile: DEFAULT_RDS_CA_FILE },
      pool: {
        maxSize: 8,
        minIdle: 8,
        connectionTimeoutMs: 10000,
        poolWaitMs: 1000,
        idleTimeoutMs: 600000,
        maxLifetimeMs: 1800000,
        maxWaiting: 32,
        statementTimeoutMs: 10000,
        readyExhaustedMs: 5000,
      },
    });
  });

  it("reads every variable name poolEnvironment() gives the task", () => {
    const env = Object.fromEntries(poolEnvironment(poolSettings(7)).map((e) => [e.name, e.value]));
    const result = loadConfig({ ...AWS_ENV, ...env });
    expect(result.ok && result.config.db.pool).toMatchObject({ maxSize: 7, minIdle: 7 });
    expect(Object.keys(env).sort()).toEqual([
      "DB_CONNECTION_TIMEOUT_MS",
      "DB_IDLE_TIMEOUT_MS",
      "DB_MAX_LIFETIME_MS",
      "DB_POOL_MAX_SIZE",
      "DB_POOL_MIN_IDLE",
    ]);
  });

  it.each([
    [
      { DB_HOST: undefined },
      'DB_HOST is required; got "". Example: DB_HOST=db.cluster-abc.eu-west-1.rds.amazonaws.com.',
    ],
    [{ DB_NAME: "" }, 'DB_NAME is required; got "". Example: DB_NAME=saas.'],
    [{ DB_PORT: "0" }, 'DB_PORT must be an integer from 1 to 65535; got "0". Example: DB_PORT=5432.'],
    [{ DB_USER: "App" }, 'DB_USER must be a lowercase PostgreSQL role name; got "App". Example: DB_USER=app.'],
    [{ DB_AUTH: "trust" }, 'DB_AUTH must be iam (AWS) or password (local runs and tests); got "trust".'],
    [
      { AWS_REGION: undefined },
      'AWS_REGION must name the database\'s region when DB_AUTH=iam; got "". Example: AWS_REGION=eu-west-1.',
    ],
    [{ DB_PASSWORD: "x" }, "DB_PASSWORD must not be set when DB_AUTH=iam; the IAM token is the password."],
    [{ DB_AUTH: "password" }, 'DB_PASSWORD is required when DB_AUTH=password; got "".'],
    [{ DB_SSL: "require" }, 'DB_SSL must be verify-full (AWS) or disable (loopback only); got "require".'],
    [
      { DB_SSL: "disable" },
      'DB_SSL=disable is allowed only for a database on loopback (127.0.0.1, ::1, localhost); DB_HOST is "db.cluster-abc.eu-west-1.rds.amazonaws.com".',
    ],
    [{ DB_POOL_MAX_SIZE: "0" }, 'DB_POOL_MAX_SIZE must be an integer from 1 to 1000; got "0".'],
    [{ DB_POOL_MIN_IDLE: "9" }, "DB_POOL_MIN_IDLE (9) must not exceed DB_POOL_MAX_SIZE (8)."],
    [{ DB_CONNECTION_TIMEOUT_MS: "10s" }, 'DB_CONNECTION_TIMEOUT_MS must be an integer from 1 to 60000; got "10s".'],
    [{ DB_POOL_WAIT_MS: "0" }, 'DB_POOL_WAIT_MS must be an integer from 1 to 60000; got "0".'],
    [{ AUTH_ISSUER: undefined }, 'AUTH_ISSUER is required (the token\'s "iss"); got "".'],
    [{ AUTH_AUDIENCE: "" }, 'AUTH_AUDIENCE is required (the token\'s "aud"); got "".'],
    [
      { AUTH_TENANT_CLAIM: "tenant id" },
      'AUTH_TENANT_CLAIM must be a claim name (letters, digits, _ : . / -); got "tenant id".',
    ],
    [
      { AUTH_SIGNING_SECRET: undefined },
      "Exactly one of AUTH_JWKS_URL, AUTH_JWKS, AUTH_SIGNING_SECRET must be set; got none.",
    ],
    [
      { AUTH_JWKS_URL: "https://id.example.com/.well-known/jwks.json" },
      "Exactly one of AUTH_JWKS_URL, AUTH_JWKS, AUTH_SIGNING_SECRET must be set; got AUTH_JWKS_URL, AUTH_SIGNING_SECRET.",
    ],
    [{ AUTH_SIGNING_SECRET: "short" }, "AUTH_SIGNING_SECRET must be at least 32 bytes for HS256; got 5 bytes."],
    [
      { AUTH_SIGNING_SECRET: undefined, AUTH_JWKS_URL: "http://id.example.com/jwks" },
      'AUTH_JWKS_URL must be an https:// URL (http:// only on loopback); got "http://id.example.com/jwks".',
    ],
    [
      { AUTH_SIGNING_SECRET: undefined, AUTH_JWKS: "{}" },
      'AUTH_JWKS must be a JSON Web Key Set, {"keys":[{...}, ...]} with at least one key.',
    ],
    [
      { AUTH_SIGNING_SECRET: undefined, AUTH_JWKS: '{"keys":[{"kty":"oct","k":"c2VjcmV0"}]}' },
      "AUTH_JWKS must hold public keys only; a key has a private (d) or symmetric (k) member.",
    ],
  ])("rejects %j with a message naming the variable, the value and the fix", (change, message) => {
    expect(errorsOf({ ...AWS_ENV, ...change })).toEqual([message]);
  });

  it("accepts each key source alone", () => {
    const base = { ...AWS_ENV, AUTH_SIGNING_SECRET: undefined };
    const url = loadConfig({ ...base, AUTH_JWKS_URL: "https://id.example.com/.well-known/jwks.json" });
    expect(url.ok && url.config.auth.key).toEqual({
      kind: "jwks-url",
      url: new URL("https://id.example.com/.well-known/jwks.json"),
    });
    const jwk = {
      kty: "EC",
      crv: "P-256",
      x: "f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU",
      y: "x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0",
    };
    const inline = loadConfig({ ...base, AUTH_JWKS: JSON.stringify({ keys: [jwk] }) });
    expect(inline.ok && inline.config.auth.key).toEqual({ kind: "jwks", jwks: { keys: [jwk] } });
  });

  it("keeps the default shutdown deadline below the ECS stopTimeout", () => {
    const result = loadConfig(BASE_ENV);
    expect(result.ok && result.config.shutdownTimeoutMs).toBeLessThan(ECS_STOP_TIMEOUT_MS);
  });

  it.each([
    [{ PORT: "0" }, { port: 0 }],
    [{ PORT: "65535" }, { port: 65535 }],
    [{ SHUTDOWN_TIMEOUT_MS: "1" }, { shutdownTimeoutMs: 1 }],
    [{ SHUTDOWN_TIMEOUT_MS: "29999" }, { shutdownTimeoutMs: 29999 }],
    [{ LOG_LEVEL: "debug" }, { logLevel: "debug" }],
    [{ LOG_LEVEL: "error" }, { logLevel: "error" }],
    [{ ENABLE_DEBUG_ROUTES: "1" }, { enableDebugRoutes: true }],
    [{ ENABLE_DEBUG_ROUTES: "TRUE" }, { enableDebugRoutes: true }],
    [{ ENABLE_DEBUG_ROUTES: "0" }, { enableDebugRoutes: false }],
    [{ HOST: "::" }, { host: "::" }],
  ])("accepts %j", (env, expected) => {
    const result = loadConfig({ ...BASE_ENV, ...env });
    expect(result.ok).toBe(true);
    expect(result.ok && result.config).toMatchObject(expected);
  });

  it.each([
    [{ PORT: "" }, 'PORT must be an integer from 0 to 65535 (0 picks a free port); got "". Example: PORT=8080.'],
    [
      { PORT: "http" },
      'PORT must be an integer from 0 to 65535 (0 picks a free port); got "http". Example: PORT=8080.',
    ],
    [
      { PORT: "8080.0" },
      'PORT must be an integer from 0 to 65535 (0 picks a free port); got "8080.0". Example: PORT=8080.',
    ],
    [
      { PORT: "65536" },
      'PORT must be an integer from 0 to 65535 (0 picks a free port); got "65536". Example: PORT=8080.',
    ],
    [{ PORT: "-1" }, 'PORT must be an integer from 0 to 65535 (0 picks a free port); got "-1". Example: PORT=8080.'],
    [
      { SHUTDOWN_TIMEOUT_MS: "30000" },
      'SHUTDOWN_TIMEOUT_MS must be an integer from 1 to 29999, below the ECS stopTimeout of 30000 ms; got "30000". Example: SHUTDOWN_TIMEOUT_MS=25000.',
    ],
    [
      { SHUTDOWN_TIMEOUT_MS: "0" },
      'SHUTDOWN_TIMEOUT_MS must be an integer from 1 to 29999, below the ECS stopTimeout of 30000 ms; got "0". Example: SHUTDOWN_TIMEOUT_MS=25000.',
    ],
    [
      { SHUTDOWN_TIMEOUT_MS: "25s" },
      'SHUTDOWN_TIMEOUT_MS must be an integer from 1 to 29999, below the ECS stopTimeout of 30000 ms; got "25s". Example: SHUTDOWN_TIMEOUT_MS=25000.',
    ],
    [{ LOG_LEVEL: "verbose" }, 'LOG_LEVEL must be one of debug, info, warn, error; got "verbose".'],
    [{ LOG_LEVEL: "INFO" }, 'LOG_LEVEL must be one of debug, info, warn, error; got "INFO".'],
    [
      { ENABLE_DEBUG_ROUTES: "yes" },
      'ENABLE_DEBUG_ROUTES must be 1 or true to enable, 0 or false to disable; got "yes".',
    ],
    [{ HOST: "localhost" }, 'HOST must be an IP address to listen on, such as 0.0.0.0 or 127.0.0.1; got "localhost".'],
  ])("rejects %j with a message naming the variable, the value and the fix", (env, message) => {
    expect(loadConfig({ ...BASE_ENV, ...env })).toEqual({ ok: false, errors: [message] });
  });

  it("reports every problem at once", () => {
    const result = loadConfig({ PORT: "x", SHUTDOWN_TIMEOUT_MS: "y", LOG_LEVEL: "z", ENABLE_DEBUG_ROUTES: "w" });
    // ...including every missing database and auth setting, after the listener's.
    expect(result.ok ? [] : result.errors.map((e) => e.split(" ")[0])).toEqual([
      "PORT",
      "SHUTDOWN_TIMEOUT_MS",
      "LOG_LEVEL",
      "ENABLE_DEBUG_ROUTES",
      "DB_HOST",
      "DB_NAME",
      "AWS_REGION",
      "AUTH_ISSUER",
      "AUTH_AUDIENCE",
      "Exactly",
    ]);
  });
});

describe("invalid environment at start-up (real process)", () => {
  it("exits 2 with a readable message on stderr and an error-level JSON line on stdout", async () => {
    const service = spawnNode(SERVER_ENTRY, { ...BASE_ENV, PORT: "eighty", SHUTDOWN_TIMEOUT_MS: "60000" });
    const { code } = await service.exited;

    expect(code).toBe(2);
    expect(service.stderr()).toBe(
      formatConfigErrors([
        'PORT must be an integer from 0 to 65535 (0 picks a free port); got "eighty". Example: PORT=8080.',
        'SHUTDOWN_TIMEOUT_MS must be an integer from 1 to 29999, below the ECS stopTimeout of 30000 ms; got "60000". Example: SHUTDOWN_TIMEOUT_MS=25000.',
      ]) + "\n",
    );
    expect(service.stderr()).toMatch(/^Invalid configuration, the service will not start:\n {2}- PORT /);
    expect(service.logs).toEqual([
      expect.objectContaining({ level: "error", msg: "invalid configuration", errors: expect.any(Array) }),
    ]);
    expect(service.logs.some((l) => l.msg === "listening")).toBe(false);
  });
});

describe("DB_SSL=verify-full without a readable CA bundle (real process)", () => {
  it("exits 2 naming the file, before listening", async () => {
    const env = Object.fromEntries(Object.entries(BASE_ENV).filter(([name]) => name !== "DB_SSL"));
    const service = spawnNode(SERVER_ENTRY, { ...env, PORT: "0", DB_SSL_CA: "/nonexistent/rds-global-bundle.pem" });
    const { code } = await service.exited;
    expect(code).toBe(2);
    expect(service.stderr()).toContain('DB_SSL_CA "/nonexistent/rds-global-bundle.pem" cannot be read: ENOENT');
    expect(service.logs.some((l) => l.msg === "listening")).toBe(false);
  });
});
