/**
 * The batch runner's core (components/tenant-migrations/batchRunner.ts) on a real PostgreSQL 16: the very
 * code the migration task runs, with the Flyway 10.22 stand-in (support/flyway.ts) as its migrator and its
 * version reads on the migrator's connection. The tenants are provisioned by the provisioner as an RDS-like
 * master user; a batch of several schemas goes V1 → V2 with data in place, one of them fails on its own data,
 * and the others are still migrated and reported. Afterwards the verifier's isolation checks pass for every
 * tenant. Expected errors are PostgreSQL's exact messages.
 */
import { createHash } from "crypto";
import fs from "fs";
import os from "os";
import path from "path";
import { Client } from "pg";
import { TenantSpec } from "../../components/tenant-schemas/model";
import { renderProvisionerEvent } from "../../components/tenant-plane/event";
import { provisionTenants } from "../../components/tenant-plane/provision";
import { verifyTenants } from "../../components/tenant-plane/verify";
import { migrateBatch, readCurrentVersion, SchemaMigrator } from "../../components/tenant-migrations/batchRunner";
import { startTestServer, TestServer } from "./support/postgresServer";
import { createRdsLikeDatabase, RdsLikeDatabase } from "./support/rdsMaster";
import { connect } from "./support/provisioning";
import { migrateSchema } from "./support/flyway";
import { asTenant } from "./support/asTenant";

const LOCATION = path.resolve(__dirname, "..", "..", "migrations", "tenant");
const TENANTS: TenantSpec[] = [{ id: "alpha" }, { id: "beta" }, { id: "gamma" }, { id: "delta" }];
const PASSWORD = "only-in-this-test";

let server: TestServer;
let db: RdsLikeDatabase;
let master: Client;
let root: Client;
let migrator: Client;
let app: Client;
const scratch: string[] = [];

/** A location holding these of the repository's migration files, plus `extra` files. */
function location(files: readonly string[], extra: Record<string, string> = {}): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "batch-runner-"));
  scratch.push(dir);
  for (const f of files) fs.copyFileSync(path.join(LOCATION, f), path.join(dir, f));
  for (const [name, content] of Object.entries(extra)) fs.writeFileSync(path.join(dir, name), content);
  return dir;
}

/** The stand-in as the runner's migrator: what the task does with the Flyway CLI, on one connection here. */
function standIn(dir: string): SchemaMigrator {
  return {
    currentVersion: (schema) => readCurrentVersion(migrator, schema),
    migrate: async (schema) => {
      await migrateSchema(migrator, { location: dir, schema });
    },
  };
}

beforeAll(async () => {
  server = await startTestServer();
  db = await createRdsLikeDatabase(server, "batchrunner");
  master = await connect(db.url);
  root = await connect(db.superuserUrl);
  await provisionTenants(
    master,
    renderProvisionerEvent({
      tenants: TENANTS,
      database: db.database,
      mode: "apply",
      handlerSha256: createHash("sha256").update("batchRunner.test").digest("hex"),
    }),
  );
  await root.query(`ALTER ROLE migrator PASSWORD '${PASSWORD}'`);
  await root.query(`ALTER ROLE app PASSWORD '${PASSWORD}'`);
  migrator = await connect(db.urlFor("migrator", PASSWORD));
  app = await connect(db.urlFor("app", PASSWORD));
});

afterAll(async () => {
  await migrator?.end();
  await app?.end();
  await master?.end();
  await root?.end();
  await db?.drop();
  await server?.stop();
  for (const dir of scratch) fs.rmSync(dir, { recursive: true, force: true });
});

// One scenario, in order: the fleet at V1, data written, then a batch to V3 where beta's data breaks V3.
describe("a batch of tenant schemas", () => {
  test("first run: every schema from no version to V1, with a result each", async () => {
    const results = await migrateBatch(
      ["tenant_alpha", "tenant_beta", "tenant_gamma", "tenant_delta"],
      standIn(location(["V1__baseline.sql", "afterMigrate.sql"])),
    );
    expect(results.map(({ durationMs, ...r }) => (expect(durationMs).toBeGreaterThanOrEqual(0), r))).toEqual([
      { schema: "tenant_alpha", versionBefore: null, versionAfter: "1", error: null },
      { schema: "tenant_beta", versionBefore: null, versionAfter: "1", error: null },
      { schema: "tenant_gamma", versionBefore: null, versionAfter: "1", error: null },
      { schema: "tenant_delta", versionBefore: null, versionAfter: "1", error: null },
    ]);
  });

  test("V1 → V2 → V3 with data in place: one tenant's data breaks V3, the others are migrated and reported", async () => {
    await asTenant(app, "tenant_alpha", "INSERT INTO notes (body) VALUES ('alpha keeps this')");
    await asTenant(app, "tenant_beta", "INSERT INTO notes (body) VALUES ('poison')");
    await asTenant(app, "tenant_gamma", "INSERT INTO notes (body) VALUES ('gamma keeps this')");
    const dir = location(["V1__baseline.sql", "V2__add_note_title.sql", "afterMigrate.sql"], {
      "V3__forbid_poison.sql": "ALTER TABLE notes ADD CONSTRAINT notes_no_poison CHECK (body <> 'poison');",
    });
    // A schema that does not exist is reported too, and does not stop the batch.
    const results = await migrateBatch(["tenant_alpha", "tenant_beta", "tenant_ghost", "tenant_gamma"], standIn(dir));
    expect(results.map(({ durationMs: _, ...r }) => r)).toEqual([
      { schema: "tenant_alpha", versionBefore: "1", versionAfter: "3", error: null },
      {
        schema: "tenant_beta",
        versionBefore: "1",
        // V2 committed before V3 failed; V3 rolled back whole (PostgreSQL has transactional DDL).
        versionAfter: "2",
        error: 'check constraint "notes_no_poison" of relation "notes" is violated by some row',
      },
      {
        schema: "tenant_ghost",
        versionBefore: null,
        versionAfter: null,
        error: 'schema "tenant_ghost" does not exist',
      },
      { schema: "tenant_gamma", versionBefore: "1", versionAfter: "3", error: null },
    ]);
    // The data stayed, the new column is there and empty.
    expect(await asTenant(app, "tenant_alpha", "SELECT body, title FROM notes")).toEqual([
      { body: "alpha keeps this", title: null },
    ]);
    expect(await asTenant(app, "tenant_beta", "SELECT body, title FROM notes")).toEqual([
      { body: "poison", title: null },
    ]);
    expect(await asTenant(app, "tenant_gamma", "SELECT body, title FROM notes")).toEqual([
      { body: "gamma keeps this", title: null },
    ]);
    // delta was in no batch of this run: untouched at V1.
    expect(await readCurrentVersion(migrator, "tenant_delta")).toBe("1");
  });

  test("afterwards every tenant is still isolated and none can write its Flyway history", async () => {
    const results = await verifyTenants(master, TENANTS);
    expect(results.filter((r) => !r.ok)).toEqual([]);
    const history = results.filter((r) => r.check === "catalog: Flyway history writable by the tenant");
    expect(history.map((r) => [r.tenant, r.actual])).toEqual([
      ["alpha", "no"],
      ["beta", "no"],
      ["gamma", "no"],
      ["delta", "no"],
    ]);
  });

  test("a rerun after the data is fixed finishes the failed tenant and is a no-op for the others", async () => {
    await asTenant(app, "tenant_beta", "UPDATE notes SET body = 'cured' WHERE body = 'poison'");
    const dir = location(["V1__baseline.sql", "V2__add_note_title.sql", "afterMigrate.sql"], {
      "V3__forbid_poison.sql": "ALTER TABLE notes ADD CONSTRAINT notes_no_poison CHECK (body <> 'poison');",
    });
    const results = await migrateBatch(["tenant_alpha", "tenant_beta"], standIn(dir));
    expect(results.map(({ durationMs: _, ...r }) => r)).toEqual([
      { schema: "tenant_alpha", versionBefore: "3", versionAfter: "3", error: null },
      { schema: "tenant_beta", versionBefore: "2", versionAfter: "3", error: null },
    ]);
  });
});
