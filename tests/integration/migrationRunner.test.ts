/**
 * The migration task's runner end to end, as the image runs it: the very bundle migrations/Dockerfile copies
 * (esbuild of components/tenant-migrations/runner/main.ts, staged by components/database/migrationImage.ts),
 * started with `node runner.js` and the environment the task definition and the state machine's container
 * override set, a `flyway` on PATH (support/flywayCli.ts over the Flyway 10.22 stand-in), a real PostgreSQL,
 * and S3 stood in for by a local HTTP server. It assumes, as the AWS SDK for JavaScript v3 documents
 * ("Service-specific endpoints", AWS SDKs and Tools Reference Guide), that AWS_ENDPOINT_URL_S3 redirects the
 * S3 client, and that a PutObject is an HTTP PUT of the body to /<bucket>/<key> on an IP-address endpoint
 * (path-style addressing, since an IP cannot carry the bucket as a host name).
 */
import { execFile } from "child_process";
import { createHash } from "crypto";
import fs from "fs";
import http from "http";
import { AddressInfo } from "net";
import os from "os";
import path from "path";
import { promisify } from "util";
import { Client } from "pg";
import { renderProvisionerEvent } from "../../components/tenant-plane/event";
import { provisionTenants } from "../../components/tenant-plane/provision";
import { verifyTenants } from "../../components/tenant-plane/verify";
import { migrationImageFiles } from "../../components/database/migrationImage";
import { TenantResult } from "../../components/tenant-migrations/run";
import { startTestServer, TestServer } from "./support/postgresServer";
import { createRdsLikeDatabase, RdsLikeDatabase } from "./support/rdsMaster";
import { connect } from "./support/provisioning";

const run = promisify(execFile);
const REPO = path.resolve(__dirname, "..", "..");
const TENANTS = [{ id: "alpha" }, { id: "beta" }, { id: "gamma" }];
const PASSWORD = "only-in-this-test";

let server: TestServer;
let db: RdsLikeDatabase;
let master: Client;
let s3: http.Server;
const puts: { path: string; body: string }[] = [];
let dir: string;

beforeAll(async () => {
  server = await startTestServer();
  db = await createRdsLikeDatabase(server, "runner");
  master = await connect(db.url);
  const root = await connect(db.superuserUrl);
  await provisionTenants(
    master,
    renderProvisionerEvent({
      tenants: TENANTS,
      database: db.database,
      mode: "apply",
      handlerSha256: createHash("sha256").update("migrationRunner.test").digest("hex"),
    }),
  );
  await root.query(`ALTER ROLE migrator PASSWORD '${PASSWORD}'`);
  await root.end();

  // The image's files: runner/runner.js and tenant/*.sql, as the Dockerfile copies them.
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "migration-image-"));
  for (const [name, content] of await migrationImageFiles()) {
    fs.mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    fs.writeFileSync(path.join(dir, name), content);
  }
  fs.mkdirSync(path.join(dir, "bin"));
  fs.writeFileSync(
    path.join(dir, "bin", "flyway"),
    `#!/bin/sh\nexec node ${JSON.stringify(path.join(REPO, "tools", "run.js"))} ${JSON.stringify(path.join(REPO, "tests", "integration", "support", "flywayCli.ts"))} "$@"\n`,
    { mode: 0o755 },
  );

  s3 = http.createServer((req, res) => {
    let body = "";
    req.on("data", (c: Buffer) => (body += c.toString("utf8")));
    req.on("end", () => {
      if (req.method === "PUT") puts.push({ path: req.url ?? "", body });
      res.writeHead(200, { ETag: '"0"' });
      res.end();
    });
  });
  await new Promise<void>((resolve) => s3.listen(0, "127.0.0.1", resolve));
}, 120_000);

afterAll(async () => {
  await master?.end();
  await db?.drop();
  await server?.stop();
  await new Promise((resolve) => s3?.close(resolve));
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

function env(schemas: string, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const u = new URL(db.url);
  return {
    PATH: `${path.join(dir, "bin")}:${process.env.PATH ?? ""}`,
    HOME: os.tmpdir(),
    // As the task definition sets them (sslmode=disable: the test server has no TLS).
    FLYWAY_URL: `jdbc:postgresql://${u.hostname}:${u.port}/${db.database}?sslmode=disable`,
    FLYWAY_LOCATIONS: `filesystem:${path.join(dir, "tenant")}`,
    FLYWAY_USER: "migrator",
    FLYWAY_PASSWORD: PASSWORD,
    MIGRATION_RESULTS_BUCKET: "saas-test-migration-results-1",
    // As the state machine's container override sets them.
    MIGRATION_RUN_ID: "run-1",
    MIGRATION_BATCH_ID: "wave-1-1",
    MIGRATION_SCHEMAS: schemas,
    AWS_REGION: "us-east-1",
    AWS_ACCESS_KEY_ID: "test",
    AWS_SECRET_ACCESS_KEY: "test",
    AWS_ENDPOINT_URL_S3: `http://127.0.0.1:${(s3.address() as AddressInfo).port}`,
    ...extra,
  };
}

async function runner(e: NodeJS.ProcessEnv): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run("node", [path.join(dir, "runner", "runner.js")], { env: e, timeout: 120_000 });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const x = err as { code: number; stdout: string; stderr: string };
    return { code: x.code, stdout: x.stdout, stderr: x.stderr };
  }
}

const BUCKET_PATH = "/saas-test-migration-results-1";
const resultsAt = (key: string) => {
  const put = puts.filter((p) => p.path.split("?")[0] === `${BUCKET_PATH}/${key}`);
  expect(put).toHaveLength(1);
  return JSON.parse(put[0].body) as { batchId: string; results: TenantResult[] };
};
const withoutDurations = (results: TenantResult[]) =>
  results.map(({ durationMs, ...r }) => {
    expect(durationMs).toBeGreaterThan(0);
    return r;
  });

describe("the migration runner, bundled as in the image", () => {
  test("first run: every schema of the batch from nothing to V2, results written, exit 0", async () => {
    const { code, stderr } = await runner(
      env("tenant_alpha,tenant_beta,tenant_gamma", { MIGRATION_BATCH_ID: "canary-1" }),
    );
    // (Node 20 here makes the AWS SDK warn about its Node support on stderr; the image runs Node 24.)
    expect(stderr).not.toContain("ERROR");
    expect(code).toBe(0);
    const doc = resultsAt("run-1/canary-1.json");
    expect(doc.batchId).toBe("canary-1");
    expect(withoutDurations(doc.results)).toEqual([
      { schema: "tenant_alpha", versionBefore: null, versionAfter: "2", error: null },
      { schema: "tenant_beta", versionBefore: null, versionAfter: "2", error: null },
      { schema: "tenant_gamma", versionBefore: null, versionAfter: "2", error: null },
    ]);
  }, 120_000);

  test("a V3 that beta's data breaks: alpha and gamma migrated, beta's error reported, exit 1", async () => {
    await master.query("SET ROLE tenant_beta");
    await master.query("INSERT INTO tenant_beta.notes (body) VALUES ('poison')");
    await master.query("RESET ROLE");
    fs.writeFileSync(
      path.join(dir, "tenant", "V3__forbid_poison.sql"),
      "ALTER TABLE notes ADD CONSTRAINT notes_no_poison CHECK (body <> 'poison');",
    );
    const { code } = await runner(env("tenant_alpha,tenant_beta,tenant_gamma"));
    expect(code).toBe(1);
    expect(withoutDurations(resultsAt("run-1/wave-1-1.json").results)).toEqual([
      { schema: "tenant_alpha", versionBefore: "2", versionAfter: "3", error: null },
      {
        schema: "tenant_beta",
        versionBefore: "2",
        versionAfter: "2",
        error:
          'ERROR: Migration of schema "tenant_beta" failed Message : check constraint "notes_no_poison" of relation "notes" is violated by some row',
      },
      { schema: "tenant_gamma", versionBefore: "2", versionAfter: "3", error: null },
    ]);
    expect((await verifyTenants(master, TENANTS)).filter((r) => !r.ok)).toEqual([]);
  }, 120_000);

  test("started without a batch: exit 2, the reason on stderr, nothing written", async () => {
    const before = puts.length;
    const { code, stderr } = await runner(env("", { MIGRATION_BATCH_ID: "wave-9-9" }));
    expect(code).toBe(2);
    expect(stderr).toBe(
      'the migration task was started without its batch:\n  - MIGRATION_SCHEMAS: expected the batch\'s schema names, comma-separated, each once, got ""\n',
    );
    expect(puts.length).toBe(before);
  }, 120_000);
});
