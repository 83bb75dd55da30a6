/**
 * `npm run tenants:apply` from a workstation: the dev stack's own event (rendered from Pulumi.dev.yaml, database
 * `app`) against a real PostgreSQL, connected as an RDS-like master user, printed as the operator reads it.
 */
import { main as apply } from "../../tools/tenants/apply";
import { startTestServer, TestServer } from "./support/postgresServer";
import { createRdsLikeDatabase, RdsLikeDatabase } from "./support/rdsMaster";

let server: TestServer;
let db: RdsLikeDatabase;

beforeAll(async () => {
  server = await startTestServer();
  // Its own server: the dev stack's database name is fixed, and roles are cluster-wide.
  db = await createRdsLikeDatabase(server, "app", { exactName: true });
}, 120_000);

afterAll(async () => {
  await db?.drop();
  await server?.stop();
});

async function run(argv: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const o = jest.spyOn(process.stdout, "write").mockImplementation((c) => (out.push(String(c)), true));
  const e = jest.spyOn(process.stderr, "write").mockImplementation((c) => (err.push(String(c)), true));
  try {
    return { code: await apply(argv), out: out.join(""), err: err.join("") };
  } finally {
    o.mockRestore();
    e.mockRestore();
  }
}

test("--dry-run prints the SQL it would run and leaves nothing behind", async () => {
  const result = await run(["--database-url", db.url, "--stack", "dev", "--dry-run"]);
  expect(result.code).toBe(0);
  expect(result.out).toMatch(/^dry-run: 3 tenants in database app, 35 statements, \d+ ms\n/);
  expect(result.out).toContain("  created:   acme, globex, initech\n");
  expect(result.out).toContain('    CREATE ROLE "tenant_initech" LOGIN;\n');
  const again = await run(["--database-url", db.url, "--stack", "dev", "--dry-run"]);
  expect(again.out).toContain("  created:   acme, globex, initech\n");
});

test("applies the dev stack's tenants, then a second run has nothing to do", async () => {
  const first = await run(["--database-url", db.url, "--stack", "dev"]);
  expect(first).toMatchObject({ code: 0, err: "" });
  expect(first.out).toMatch(/checks: {4}(\d+) of \1 passed\n/);
  const second = await run(["--database-url", db.url, "--stack", "dev"]);
  expect(second.out).toMatch(/^apply: 3 tenants in database app, 0 statements, \d+ ms\n/);
  expect(second.out).toContain("  SQL: none\n");
});
