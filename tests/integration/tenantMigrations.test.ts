/**
 * The tenant migrations (migrations/tenant/) on a real PostgreSQL 16, applied the way the migration task runs
 * Flyway: once per tenant schema, as migrator, that schema as the default schema, then the afterMigrate
 * callback. Flyway itself cannot run here (no JVM, no Flyway binary): support/flyway.ts stands in for it and
 * says exactly what of Flyway 10.22.0 it reproduces. The tenants are provisioned first by the provisioner,
 * connected as an RDS-like master user (support/rdsMaster.ts), and every expected error is PostgreSQL's exact
 * message.
 */
import { createHash } from "crypto";
import fs from "fs";
import os from "os";
import path from "path";
import { crc32 } from "zlib";
import { Client } from "pg";
import { TenantSpec } from "../../components/tenant-schemas/model";
import { ProvisionerEvent, renderProvisionerEvent } from "../../components/tenant-plane/event";
import { provisionTenants } from "../../components/tenant-plane/provision";
import { verifyTenants } from "../../components/tenant-plane/verify";
import { startTestServer, TestServer } from "./support/postgresServer";
import { createRdsLikeDatabase, RdsLikeDatabase } from "./support/rdsMaster";
import { connect } from "./support/provisioning";
import {
  flywayChecksum,
  flywayLockKey,
  javaStringHashCode,
  migrateSchema,
  readMigrations,
  schemaNameProblems,
} from "./support/flyway";
import { asTenant } from "./support/asTenant";

const LOCATION = path.resolve(__dirname, "..", "..", "migrations", "tenant");
const TENANTS: TenantSpec[] = [{ id: "alpha" }, { id: "beta" }, { id: "gamma", tier: "dedicated" }];
const SCHEMAS = TENANTS.map((t) => `tenant_${t.id}`);
const PASSWORD = "only-in-this-test";

let server: TestServer;
let db: RdsLikeDatabase;
/** The RDS-like master user: what the provisioner and the verifier connect as. */
let master: Client;
/** A superuser, only to give the test's logins a password (production logs in with IAM or a secret). */
let root: Client;
/** Flyway's login. */
let migrator: Client;
/** The service's login; it reaches a tenant only through SET LOCAL ROLE. */
let app: Client;
let event: ProvisionerEvent;
const scratch: string[] = [];

/** A copy of the migrations in a temp dir, with `extra` files added or replaced (null removes a file). */
function locationWith(extra: Record<string, string | null>): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "tenant-migrations-"));
  scratch.push(dir);
  for (const f of fs.readdirSync(LOCATION)) fs.copyFileSync(path.join(LOCATION, f), path.join(dir, f));
  for (const [name, content] of Object.entries(extra)) {
    if (content === null) fs.rmSync(path.join(dir, name));
    else fs.writeFileSync(path.join(dir, name), content);
  }
  return dir;
}

const historyOf = async (schema: string) =>
  (
    await master.query(
      `SELECT installed_rank, version, description, type, script, checksum, installed_by, installed_on, execution_time, success
         FROM ${schema}.flyway_schema_history ORDER BY installed_rank`,
    )
  ).rows;

beforeAll(async () => {
  server = await startTestServer();
  db = await createRdsLikeDatabase(server, "migrations");
  master = await connect(db.url);
  root = await connect(db.superuserUrl);
  event = renderProvisionerEvent({
    tenants: TENANTS,
    database: db.database,
    mode: "apply",
    handlerSha256: createHash("sha256").update("tenantMigrations.test").digest("hex"),
  });
  await provisionTenants(master, event);
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

describe("the migration files", () => {
  test("are V1 and V2 in version order, with afterMigrate as the one callback", () => {
    const set = readMigrations(LOCATION);
    expect(set.versioned.map((m) => [m.version, m.description, m.script])).toEqual([
      ["1", "baseline", "V1__baseline.sql"],
      ["2", "add note title", "V2__add_note_title.sql"],
    ]);
    expect(set.afterMigrate.map((c) => c.script)).toEqual(["afterMigrate.sql"]);
  });

  test("name no schema and no tenant: every file passes the scan", () => {
    const files = fs.readdirSync(LOCATION).filter((f) => f.endsWith(".sql"));
    expect(files.sort()).toEqual(["V1__baseline.sql", "V2__add_note_title.sql", "afterMigrate.sql"]);
    for (const f of files) {
      expect(schemaNameProblems(f, fs.readFileSync(path.join(LOCATION, f), "utf8"))).toEqual([]);
    }
  });

  test.each([
    [
      "a tenant schema",
      "CREATE TABLE tenant_acme.notes (id int);",
      [
        'V3__x.sql:1: names a tenant ("tenant_…"); write it schema-agnostic',
        "V3__x.sql:1: object tenant_acme.notes is schema-qualified; write notes (the run's search_path is the tenant's schema)",
      ],
    ],
    [
      "a tenant named in a comment",
      "-- copied from tenant_acme\nSELECT 1;",
      ['V3__x.sql:1: names a tenant ("tenant_…"); write it schema-agnostic'],
    ],
    [
      "public",
      "SELECT 1;\nALTER TABLE public.notes ADD COLUMN x int;",
      [
        "V3__x.sql:2: object public.notes is schema-qualified; write notes (the run's search_path is the tenant's schema)",
      ],
    ],
    [
      "a quoted schema in an INSERT",
      'INSERT INTO "Billing"."notes" (body) VALUES (\'x\');',
      [
        `V3__x.sql:1: object "Billing"."notes" is schema-qualified; write "notes" (the run's search_path is the tenant's schema)`,
      ],
    ],
    [
      "an index on another schema's table",
      "CREATE INDEX i ON app.notes (id);",
      ["V3__x.sql:1: object app.notes is schema-qualified; write notes (the run's search_path is the tenant's schema)"],
    ],
    [
      "a qualified function call",
      "SELECT admin.audit(1);",
      [
        "V3__x.sql:1: function admin.audit is schema-qualified; write audit (the run's search_path is the tenant's schema)",
      ],
    ],
    [
      "a regclass literal",
      "SELECT nextval('shared.notes_id_seq');",
      [
        "V3__x.sql:1: literal shared.notes_id_seq is schema-qualified; write notes_id_seq (the run's search_path is the tenant's schema)",
      ],
    ],
    [
      "a search_path change",
      "SET LOCAL search_path = other;",
      ['V3__x.sql:1: "search_path" changes or names the schema; leave it to the run'],
    ],
    [
      "a schema created",
      "CREATE SCHEMA extra;",
      ['V3__x.sql:1: "CREATE SCHEMA" changes or names the schema; leave it to the run'],
    ],
  ])("a file naming %s is caught, with its line", (_label, sql, problems) => {
    expect(schemaNameProblems("V3__x.sql", sql)).toEqual(problems);
  });

  test("column references qualified by a table or alias, and pg_catalog, are not schema names", () => {
    const sql = `UPDATE notes SET title = n.body FROM notes n WHERE n.id = notes.id;
      SELECT 1 FROM pg_catalog.pg_roles r JOIN notes ON r.rolname = notes.body;`;
    expect(schemaNameProblems("V3__x.sql", sql)).toEqual([]);
  });

  test("are ordered numerically: V10 after V2, V1_1 between V1 and V2", () => {
    const dir = locationWith({ "V10__ten.sql": "SELECT 10;", "V1_1__one_one.sql": "SELECT 11;" });
    expect(readMigrations(dir).versioned.map((m) => m.version)).toEqual(["1", "1.1", "2", "10"]);
  });

  test("a second file with the same version, or a misnamed one, is refused", () => {
    expect(() => readMigrations(locationWith({ "V2__again.sql": "SELECT 2;" }))).toThrow(
      "Found more than one migration with version 2\nOffenders:\n-> V2__add_note_title.sql\n-> V2__again.sql",
    );
    expect(() => readMigrations(locationWith({ "v3_notes.sql": "SELECT 3;" }))).toThrow(
      /Invalid SQL filenames found:\n.*v3_notes\.sql: expected V<version>__<description>\.sql or afterMigrate\.sql/,
    );
  });

  test("the checksum is Flyway's: CRC-32 of the lines without terminators, BOM dropped, signed", () => {
    // zlib.crc32("SELECT 1;SELECT 2;") is 2629868284 unsigned, -1665099012 as Java's int.
    expect(flywayChecksum("SELECT 1;\nSELECT 2;\n")).toBe(-1665099012);
    expect(flywayChecksum("\uFEFFSELECT 1;\r\nSELECT 2;")).toBe(-1665099012);
    expect(flywayChecksum("SELECT 1;\rSELECT 2;\r\n")).toBe(-1665099012);
  });

  test("the lock key is Flyway's: 0x466C79776179 + hashCode of the quoted schema-qualified history table", () => {
    // Java: "\"tenant_alpha\".\"flyway_schema_history\"".hashCode() == -278403372.
    expect(javaStringHashCode('"tenant_alpha"."flyway_schema_history"')).toBe(-278403372);
    expect(flywayLockKey("tenant_alpha")).toBe(77431429875789n);
    expect(flywayLockKey("tenant_beta")).toBe(77431133361909n);
  });
});

describe("GIVEN alpha, beta and gamma (dedicated) provisioned, WHEN Flyway migrates each schema", () => {
  test("V1 (target 1) creates notes in every schema, owned by migrator, and records Flyway's history row", async () => {
    for (const schema of SCHEMAS) {
      const report = await migrateSchema(migrator, { location: LOCATION, schema, target: "1" });
      expect(report).toMatchObject({
        schema,
        initialVersion: null,
        finalVersion: "1",
        applied: [{ version: "1", script: "V1__baseline.sql" }],
        callbacks: ["afterMigrate.sql"],
      });
      const [owner] = (
        await master.query(
          `SELECT pg_get_userbyid(c.relowner) AS owner FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE n.nspname = $1 AND c.relname = 'notes'`,
          [schema],
        )
      ).rows;
      expect(owner).toEqual({ owner: "migrator" });
      const v1 = fs.readFileSync(path.join(LOCATION, "V1__baseline.sql"), "utf8");
      expect(await historyOf(schema)).toEqual([
        {
          installed_rank: 1,
          version: "1",
          description: "baseline",
          type: "SQL",
          script: "V1__baseline.sql",
          checksum: crc32(Buffer.from(v1.replace(/\r\n|\r|\n/g, ""))) | 0,
          installed_by: "migrator",
          installed_on: expect.any(Date),
          execution_time: expect.any(Number),
          success: true,
        },
      ]);
    }
  });

  test("the history table has Flyway's PostgreSQL layout: columns, types, primary key and index", async () => {
    const columns = (
      await master.query(
        `SELECT column_name, data_type, character_maximum_length AS len, is_nullable, column_default
           FROM information_schema.columns WHERE table_schema = 'tenant_alpha' AND table_name = 'flyway_schema_history'
          ORDER BY ordinal_position`,
      )
    ).rows.map(
      (c) =>
        `${c.column_name} ${c.data_type}${c.len ? `(${c.len})` : ""} ${c.is_nullable}${c.column_default ? ` ${c.column_default}` : ""}`,
    );
    expect(columns).toEqual([
      "installed_rank integer NO",
      "version character varying(50) YES",
      "description character varying(200) NO",
      "type character varying(20) NO",
      "script character varying(1000) NO",
      "checksum integer YES",
      "installed_by character varying(100) NO",
      "installed_on timestamp without time zone NO now()",
      "execution_time integer NO",
      "success boolean NO",
    ]);
    const indexes = (
      await master.query(
        `SELECT indexname FROM pg_indexes WHERE schemaname = 'tenant_alpha' AND tablename = 'flyway_schema_history' ORDER BY 1`,
      )
    ).rows.map((r) => r.indexname);
    expect(indexes).toEqual(["flyway_schema_history_pk", "flyway_schema_history_s_idx"]);
  });

  test("with each tenant's notes in place, the upgrade to V2 keeps every row and adds a NULL title", async () => {
    for (const schema of SCHEMAS) {
      await asTenant(app, schema, "INSERT INTO notes (body) VALUES ($1), ($2)", [
        `${schema} first`,
        `${schema} second`,
      ]);
    }
    for (const schema of SCHEMAS) {
      const before = await asTenant(app, schema, "SELECT id, body, created_at FROM notes ORDER BY id");
      const report = await migrateSchema(migrator, { location: LOCATION, schema });
      expect(report).toMatchObject({
        initialVersion: "1",
        finalVersion: "2",
        applied: [{ version: "2", script: "V2__add_note_title.sql" }],
      });
      const after = await asTenant(app, schema, "SELECT id, body, created_at, title FROM notes ORDER BY id");
      expect(after).toEqual(before.map((r) => ({ ...r, title: null })));
      expect(after.map((r) => r.body)).toEqual([`${schema} first`, `${schema} second`]);
      expect((await historyOf(schema)).map((r) => [r.installed_rank, r.version, r.description, r.success])).toEqual([
        [1, "1", "baseline", true],
        [2, "2", "add note title", true],
      ]);
    }
  });

  test("verify:tenants passes every check for every tenant, including that the tenant cannot write the history", async () => {
    const results = await verifyTenants(master, event.tenants);
    expect(results.filter((r) => !r.ok)).toEqual([]);
    expect(results.filter((r) => r.check === "catalog: Flyway history writable by the tenant")).toEqual(
      ["alpha", "beta", "gamma"].map((tenant) => ({
        check: "catalog: Flyway history writable by the tenant",
        tenant,
        expected: "no",
        actual: "no",
        ok: true,
      })),
    );
    // The checks ran on the migrated tables, not on empty schemas.
    expect(
      results.find((r) => r.check === "behaviour: SELECT/INSERT/UPDATE/DELETE on own tables" && r.tenant === "alpha"),
    ).toMatchObject({
      actual: "allowed on 1 tables",
      ok: true,
    });
  });

  test("a provisioner re-run issues no statement: it neither re-grants the history table nor touches notes", async () => {
    const report = await provisionTenants(master, event, { includeStatements: true });
    expect(report).toMatchObject({ statements: 0, sql: [], changed: [], checks: { failed: 0 } });
    const [row] = (
      await root.query(
        `SELECT has_table_privilege('tenant_alpha', 'tenant_alpha.flyway_schema_history', 'SELECT, INSERT, UPDATE, DELETE, TRUNCATE') AS any,
                has_table_privilege('tenant_alpha', 'tenant_alpha.notes', 'SELECT, INSERT, UPDATE, DELETE') AS notes`,
      )
    ).rows;
    expect(row).toEqual({ any: false, notes: true });
  });

  test("each tenant inserts, reads and deletes its own notes through SET LOCAL ROLE, unqualified", async () => {
    for (const schema of SCHEMAS) {
      const [created] = await asTenant<{ id: string; title: string }>(
        app,
        schema,
        "INSERT INTO notes (title, body) VALUES ($1, $2) RETURNING id, title",
        ["hello", "from the service"],
      );
      expect(created.title).toBe("hello");
      expect(await asTenant(app, schema, "SELECT body FROM notes WHERE id = $1", [created.id])).toEqual([
        { body: "from the service" },
      ]);
      expect(await asTenant(app, schema, "DELETE FROM notes WHERE id = $1 RETURNING id", [created.id])).toEqual([
        { id: created.id },
      ]);
      expect(await asTenant(app, schema, "SELECT count(*)::int AS n FROM notes")).toEqual([{ n: 2 }]);
    }
  });

  test.each([
    ["SELECT", "SELECT * FROM tenant_beta.notes"],
    ["INSERT", "INSERT INTO tenant_beta.notes (body) VALUES ('intruder')"],
    ["UPDATE", "UPDATE tenant_beta.notes SET body = 'intruder'"],
    ["DELETE", "DELETE FROM tenant_beta.notes"],
  ])("alpha's %s on beta's notes is denied by PostgreSQL", async (_op, sql) => {
    await expect(asTenant(app, "tenant_alpha", sql)).rejects.toThrow("permission denied for schema tenant_beta");
  });

  test("the dedicated gamma cannot reach alpha's notes either, nor can app without SET ROLE", async () => {
    await expect(asTenant(app, "tenant_gamma", "SELECT * FROM tenant_alpha.notes")).rejects.toThrow(
      "permission denied for schema tenant_alpha",
    );
    await expect(app.query("SELECT * FROM tenant_alpha.notes")).rejects.toThrow(
      "permission denied for schema tenant_alpha",
    );
  });

  test("a tenant can neither write nor read its own schema's Flyway history", async () => {
    await expect(
      asTenant(app, "tenant_alpha", "DELETE FROM flyway_schema_history WHERE version = '2'"),
    ).rejects.toThrow("permission denied for table flyway_schema_history");
    await expect(asTenant(app, "tenant_alpha", "SELECT * FROM flyway_schema_history")).rejects.toThrow(
      "permission denied for table flyway_schema_history",
    );
  });

  test("the tables enforce what the service relies on: bounded body and title, ids from the database only", async () => {
    await expect(asTenant(app, "tenant_alpha", "INSERT INTO notes (body) VALUES ('')")).rejects.toThrow(
      'new row for relation "notes" violates check constraint "notes_body_length"',
    );
    await expect(asTenant(app, "tenant_alpha", "INSERT INTO notes (body) VALUES (repeat('x', 10001))")).rejects.toThrow(
      'new row for relation "notes" violates check constraint "notes_body_length"',
    );
    await expect(
      asTenant(app, "tenant_alpha", "INSERT INTO notes (body) VALUES (repeat('x', 10000)) RETURNING id"),
    ).resolves.toHaveLength(1);
    await expect(
      asTenant(app, "tenant_alpha", "INSERT INTO notes (title, body) VALUES (repeat('t', 201), 'x')"),
    ).rejects.toThrow('new row for relation "notes" violates check constraint "notes_title_length"');
    await expect(asTenant(app, "tenant_alpha", "INSERT INTO notes (id, body) VALUES (1, 'x')")).rejects.toThrow(
      'cannot insert a non-DEFAULT value into column "id"',
    );
    await asTenant(app, "tenant_alpha", "DELETE FROM notes WHERE char_length(body) = 10000");
  });

  test("re-running the migrator applies nothing, leaves the history as it was, and the callback re-takes the history", async () => {
    // What a default-privilege grant or a hand-made GRANT would have left; the no-op run's callback must undo it.
    await master.query(
      "SET ROLE migrator; GRANT INSERT, DELETE ON tenant_beta.flyway_schema_history TO tenant_beta; RESET ROLE",
    );
    for (const schema of SCHEMAS) {
      const before = await historyOf(schema);
      const report = await migrateSchema(migrator, { location: LOCATION, schema });
      expect(report).toEqual({
        schema,
        initialVersion: "2",
        finalVersion: "2",
        applied: [],
        callbacks: ["afterMigrate.sql"],
      });
      expect(await historyOf(schema)).toEqual(before);
    }
    const [row] = (
      await root.query(
        `SELECT has_table_privilege('tenant_beta', 'tenant_beta.flyway_schema_history', 'INSERT, DELETE') AS w`,
      )
    ).rows;
    expect(row.w).toBe(false);
  });

  test("migrations for different schemas do not wait for each other: Flyway's lock is per history table", async () => {
    const holder = await connect(db.urlFor("migrator", PASSWORD));
    try {
      await holder.query("BEGIN");
      await holder.query("SELECT pg_advisory_xact_lock($1::bigint)", [flywayLockKey("tenant_alpha").toString()]);
      // beta's run completes while alpha's lock is held ...
      await expect(migrateSchema(migrator, { location: LOCATION, schema: "tenant_beta" })).resolves.toMatchObject({
        applied: [],
      });
      // ... and alpha's key is really taken: a second run for alpha would wait.
      const [{ got }] = (
        await migrator.query("SELECT pg_try_advisory_lock($1::bigint) AS got", [
          flywayLockKey("tenant_alpha").toString(),
        ])
      ).rows;
      expect(got).toBe(false);
    } finally {
      await holder.query("ROLLBACK");
      await holder.end();
    }
  });

  test("an applied migration that was edited stops the run before anything is applied", async () => {
    const v1 = fs.readFileSync(path.join(LOCATION, "V1__baseline.sql"), "utf8");
    const dir = locationWith({
      "V1__baseline.sql": `${v1}\n-- edited after it ran\n`,
      "V3__more.sql": "CREATE TABLE more (id int);",
    });
    const [applied] = (
      await master.query("SELECT checksum FROM tenant_alpha.flyway_schema_history WHERE version = '1'")
    ).rows;
    await expect(migrateSchema(migrator, { location: dir, schema: "tenant_alpha" })).rejects.toThrow(
      `Validate failed: Migrations have failed validation\nMigration checksum mismatch for migration version 1\n-> Applied to database : ${applied.checksum}\n-> Resolved locally    : ${flywayChecksum(`${v1}\n-- edited after it ran\n`)}`,
    );
    expect((await master.query("SELECT to_regclass('tenant_alpha.more') AS t")).rows).toEqual([{ t: null }]);
  });

  test("a failing migration is rolled back whole and leaves no history row (PostgreSQL's DDL transactions)", async () => {
    const dir = locationWith({
      "V3__broken.sql": "CREATE TABLE half (id int);\nALTER TABLE notes ADD COLUMN body text;",
    });
    await expect(migrateSchema(migrator, { location: dir, schema: "tenant_gamma" })).rejects.toThrow(
      'column "body" of relation "notes" already exists',
    );
    expect((await master.query("SELECT to_regclass('tenant_gamma.half') AS t")).rows).toEqual([{ t: null }]);
    expect((await historyOf("tenant_gamma")).map((r) => r.version)).toEqual(["1", "2"]);
  });

  test("a schema with objects but no history table is refused, as Flyway does without baselineOnMigrate", async () => {
    const more = [...event.tenants, { id: "delta", tier: "shared" as const, status: "active" as const }];
    await provisionTenants(master, { ...event, tenants: more });
    await master.query("SET ROLE migrator; CREATE TABLE tenant_delta.legacy (id int); RESET ROLE");
    await expect(migrateSchema(migrator, { location: LOCATION, schema: "tenant_delta" })).rejects.toThrow(
      'Found non-empty schema(s) "tenant_delta" but no schema history table. Use baseline() or set baselineOnMigrate to true to initialize the schema history table.',
    );
    expect((await master.query("SELECT to_regclass('tenant_delta.flyway_schema_history') AS t")).rows).toEqual([
      { t: null },
    ]);
  });
  test("without the callback the tenant could rewrite its history, and the verifier fails exactly those checks (fleet-wide and the tenant's own)", async () => {
    const tenants = [
      ...event.tenants,
      { id: "delta", tier: "shared" as const, status: "active" as const },
      { id: "epsilon", tier: "shared" as const, status: "active" as const },
    ];
    await provisionTenants(master, { ...event, tenants });
    const noCallback = locationWith({ "afterMigrate.sql": null });
    await expect(migrateSchema(migrator, { location: noCallback, schema: "tenant_epsilon" })).resolves.toMatchObject({
      finalVersion: "2",
      callbacks: [],
    });
    // The schema's default privileges gave the tenant the history table the migrator just created.
    await expect(
      asTenant(app, "tenant_epsilon", "UPDATE flyway_schema_history SET success = false WHERE false"),
    ).resolves.toEqual([]);
    expect((await verifyTenants(master, tenants)).filter((r) => !r.ok)).toEqual([
      {
        check: "catalog: Flyway histories their tenant can write",
        tenant: "*",
        expected: "none",
        actual: "tenant_epsilon.flyway_schema_history",
        ok: false,
      },
      {
        check: "catalog: Flyway history writable by the tenant",
        tenant: "epsilon",
        expected: "no",
        actual: "yes: ship the afterMigrate callback (runbooks/database-migrations.md)",
        ok: false,
      },
    ]);
    // The next run with the callback, with nothing left to apply, takes it back.
    await expect(migrateSchema(migrator, { location: LOCATION, schema: "tenant_epsilon" })).resolves.toMatchObject({
      applied: [],
      callbacks: ["afterMigrate.sql"],
    });
    await expect(
      asTenant(app, "tenant_epsilon", "UPDATE flyway_schema_history SET success = false WHERE false"),
    ).rejects.toThrow("permission denied for table flyway_schema_history");
    expect((await verifyTenants(master, tenants)).filter((r) => !r.ok)).toEqual([]);
  });
});
