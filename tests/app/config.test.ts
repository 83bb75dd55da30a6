import { ECS_STOP_TIMEOUT_MS, formatConfigErrors, loadConfig } from "../../app/src/config";
import { SERVER_ENTRY, spawnNode } from "./support/service";

describe("loadConfig", () => {
  it("applies every default when nothing is set", () => {
    expect(loadConfig({})).toEqual({
      ok: true,
      config: { host: "0.0.0.0", port: 8080, shutdownTimeoutMs: 25000, logLevel: "info", enableDebugRoutes: false },
    });
  });

  it("keeps the default shutdown deadline below the ECS stopTimeout", () => {
    const result = loadConfig({});
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
    const result = loadConfig(env);
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
    expect(loadConfig(env)).toEqual({ ok: false, errors: [message] });
  });

  it("reports every problem at once", () => {
    const result = loadConfig({ PORT: "x", SHUTDOWN_TIMEOUT_MS: "y", LOG_LEVEL: "z", ENABLE_DEBUG_ROUTES: "w" });
    expect(result.ok ? [] : result.errors.map((e) => e.split(" ")[0])).toEqual([
      "PORT",
      "SHUTDOWN_TIMEOUT_MS",
      "LOG_LEVEL",
      "ENABLE_DEBUG_ROUTES",
    ]);
  });
});

describe("invalid environment at start-up (real process)", () => {
  it("exits 2 with a readable message on stderr and an error-level JSON line on stdout", async () => {
    const service = spawnNode(SERVER_ENTRY, { PORT: "eighty", SHUTDOWN_TIMEOUT_MS: "60000" });
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
