import * as postgresql from "@pulumi/postgresql";
import * as pulumi from "@pulumi/pulumi";
import {
  TenantSchemas,
  TenantSchemasArgs,
  tenantDatabaseProviderArgs,
} from "../../components/tenant-schemas/tenantSchemas";

interface Recorded {
  type: string;
  name: string;
  inputs: Record<string, unknown>;
  provider?: string;
}

let recorded: Recorded[] = [];

beforeAll(async () => {
  await pulumi.runtime.setMocks(
    {
      newResource: (args) => {
        recorded.push({ type: args.type, name: args.name, inputs: args.inputs, provider: args.provider });
        return { id: `${args.name}-id`, state: args.inputs };
      },
      call: (args) => {
        throw new Error(`unexpected invoke ${args.token}: the component must not call data sources`);
      },
    },
    "saas",
    "test",
  );
});

beforeEach(() => {
  recorded = [];
});

interface Built {
  component: TenantSchemas;
  options: Map<string, pulumi.ResourceOptions>;
  resources: Recorded[];
}

/** Builds the component and waits until every child has been registered with the mock engine. */
async function build(name: string, args: TenantSchemasArgs): Promise<Built> {
  recorded = [];
  const options = new Map<string, pulumi.ResourceOptions>();
  const children: pulumi.Resource[] = [];
  const component = new TenantSchemas(name, args, {
    transformations: [
      (a) => {
        // Transformations also see the component itself; only its children are of interest.
        if (a.type === "saas:database:TenantSchemas") return undefined;
        options.set(a.name, a.opts);
        children.push(a.resource);
        return undefined;
      },
    ],
  });
  await new Promise((resolve) => pulumi.all(children.map((c) => c.urn)).apply(resolve));
  await new Promise((resolve) => component.schemaNames.apply(resolve));
  // Registration order follows output resolution, so compare by name.
  const resources = recorded
    .filter((r) => r.type !== "saas:database:TenantSchemas" && r.name !== "given")
    .sort((a, b) => a.name.localeCompare(b.name));
  return { component, options, resources };
}

const provider = new postgresql.Provider("given", { host: "db.internal", superuser: false });
const TENANTS: TenantSchemasArgs["tenants"] = [{ id: "acme" }, { id: "globex", tier: "dedicated" }];

describe("TenantSchemas", () => {
  test("registers stable, documented child names (a public contract)", async () => {
    const { resources } = await build("tenants", { tenants: TENANTS, database: "app", provider });
    expect(resources.map((r) => `${r.type} ${r.name}`)).toEqual([
      "postgresql:index/grantRole:GrantRole acme-app-member",
      "postgresql:index/defaultPrivileges:DefaultPrivileges acme-default-sequences",
      "postgresql:index/defaultPrivileges:DefaultPrivileges acme-default-tables",
      "postgresql:index/role:Role acme-role",
      "postgresql:index/schema:Schema acme-schema",
      "postgresql:index/grant:Grant acme-sequences",
      "postgresql:index/grant:Grant acme-tables",
      "postgresql:index/grant:Grant acme-usage",
      "postgresql:index/grant:Grant connect-app",
      "postgresql:index/grant:Grant connect-migrator",
      "postgresql:index/grantRole:GrantRole globex-app-member",
      "postgresql:index/grant:Grant globex-connect",
      "postgresql:index/defaultPrivileges:DefaultPrivileges globex-default-sequences",
      "postgresql:index/defaultPrivileges:DefaultPrivileges globex-default-tables",
      "postgresql:index/role:Role globex-role",
      "postgresql:index/schema:Schema globex-schema",
      "postgresql:index/grant:Grant globex-sequences",
      "postgresql:index/grant:Grant globex-tables",
      "postgresql:index/grant:Grant globex-usage",
      "postgresql:index/grant:Grant lockdown-database",
      "postgresql:index/grant:Grant lockdown-maintenance-database",
      "postgresql:index/grant:Grant lockdown-public-schema",
      "postgresql:index/grantRole:GrantRole service-app-rds-iam",
    ]);
  });

  test("renders the model's inputs", async () => {
    const { resources } = await build("tenants", { tenants: TENANTS, database: "app", provider });
    const inputs = (name: string) => resources.find((r) => r.name === name)?.inputs;
    expect(inputs("acme-role")).toEqual({ name: "tenant_acme", login: false, inherit: true });
    expect(inputs("globex-role")).toEqual({ name: "tenant_globex", login: true, inherit: true, roles: ["rds_iam"] });
    expect(inputs("acme-schema")).toEqual({
      name: "tenant_acme",
      database: "app",
      owner: "migrator",
      ifNotExists: true,
      dropCascade: false,
    });
    expect(inputs("acme-usage")).toEqual({
      database: "app",
      role: "tenant_acme",
      objectType: "schema",
      schema: "tenant_acme",
      privileges: ["USAGE"],
    });
    expect(inputs("acme-tables")).toEqual({
      database: "app",
      role: "tenant_acme",
      objectType: "table",
      schema: "tenant_acme",
      objects: [],
      privileges: ["SELECT", "INSERT", "UPDATE", "DELETE"],
    });
    expect(inputs("acme-sequences")).toMatchObject({
      objectType: "sequence",
      objects: [],
      privileges: ["USAGE", "SELECT"],
    });
    expect(inputs("globex-connect")).toEqual({
      database: "app",
      role: "tenant_globex",
      objectType: "database",
      privileges: ["CONNECT"],
    });
    expect(inputs("acme-default-tables")).toEqual({
      database: "app",
      owner: "migrator",
      schema: "tenant_acme",
      objectType: "table",
      role: "tenant_acme",
      privileges: ["SELECT", "INSERT", "UPDATE", "DELETE"],
    });
    expect(inputs("acme-app-member")).toEqual({ role: "app", grantRole: "tenant_acme" });
    expect(inputs("lockdown-database")).toEqual({
      database: "app",
      role: "public",
      objectType: "database",
      privileges: [],
    });
    expect(inputs("lockdown-public-schema")).toEqual({
      database: "app",
      role: "public",
      objectType: "schema",
      schema: "public",
      privileges: ["USAGE"],
    });
    expect(inputs("connect-app")).toEqual({
      database: "app",
      role: "app",
      objectType: "database",
      privileges: ["CONNECT"],
    });
  });

  test("retains every child on delete (no implicit revoke), parents every child and uses the given provider", async () => {
    const { component, options, resources } = await build("tenants", { tenants: TENANTS, database: "app", provider });
    const notRetained = [...options].filter(([, o]) => o.retainOnDelete !== true).map(([n]) => n);
    expect(notRetained).toEqual([]);
    expect(options.size).toBe(resources.length);
    expect([...options.values()].filter((o) => o.parent !== component)).toEqual([]);
    expect(resources.filter((r) => !r.provider?.includes("::given::"))).toEqual([]);
  });

  test("ignores privilege drift of the ALL TABLES / ALL SEQUENCES grants only (the Flyway history revoke)", async () => {
    const { options } = await build("tenants", { tenants: TENANTS, database: "app", provider });
    const ignoring = [...options]
      .filter(([, o]) => o.ignoreChanges !== undefined)
      .map(([n, o]) => [n, o.ignoreChanges]);
    expect(ignoring).toEqual([
      ["acme-tables", ["privileges"]],
      ["acme-sequences", ["privileges"]],
      ["globex-tables", ["privileges"]],
      ["globex-sequences", ["privileges"]],
    ]);
  });

  test("a suspended tenant keeps its grants but has no app membership", async () => {
    const { resources } = await build("tenants", {
      tenants: [{ id: "acme", status: "suspended" }, TENANTS[1]],
      database: "app",
      provider,
    });
    const names = resources.map((r) => r.name);
    expect(names).not.toContain("acme-app-member");
    expect(names).toEqual(
      expect.arrayContaining(["acme-role", "acme-schema", "acme-usage", "acme-tables", "globex-app-member"]),
    );
  });

  test("exposes schema and role names per tenant", async () => {
    const { component } = await build("tenants", { tenants: TENANTS, database: "app", provider });
    const schemaNames = await new Promise((r) => component.schemaNames.apply(r));
    const roleNames = await new Promise((r) => component.roleNames.apply(r));
    expect(schemaNames).toEqual({ acme: "tenant_acme", globex: "tenant_globex" });
    expect(roleNames).toEqual({ acme: "tenant_acme", globex: "tenant_globex" });
  });

  test("adding a tenant registers only its own children and changes no other input", async () => {
    const before = (await build("tenants", { tenants: TENANTS, database: "app", provider })).resources;
    const after = (await build("tenants", { tenants: [...TENANTS, { id: "initech" }], database: "app", provider }))
      .resources;
    expect(after.filter((r) => !r.name.startsWith("initech-")).map((r) => [r.name, r.inputs])).toEqual(
      before.map((r) => [r.name, r.inputs]),
    );
    expect(after.filter((r) => r.name.startsWith("initech-"))).toHaveLength(8);
  });

  test("GIVEN connection args THEN it creates a non-superuser TLS provider", async () => {
    const { resources } = await build("tenants", {
      tenants: TENANTS,
      database: "app",
      connection: { host: "db.internal", username: "master", password: "s3cret" },
    });
    const created = resources.find((r) => r.type === "pulumi:providers:postgresql");
    expect(created?.name).toBe("postgresql-provider");
    expect(created?.inputs).toMatchObject({
      host: "db.internal",
      port: "5432",
      username: "master",
      database: "app",
      superuser: "false",
      sslmode: "require",
    });
    expect(tenantDatabaseProviderArgs({ host: "h", username: "u", password: "p" })).toEqual({
      host: "h",
      port: 5432,
      username: "u",
      password: "p",
      superuser: false,
      sslmode: "require",
    });
  });

  test("createServiceRoles adds migrator and a NOINHERIT app, retained", async () => {
    const { resources, options } = await build("tenants", {
      tenants: [{ id: "acme" }],
      database: "app",
      provider,
      createServiceRoles: true,
      migratorRole: "flyway",
      appRole: "service",
    });
    const inputs = (name: string) => resources.find((r) => r.name === name)?.inputs;
    expect(inputs("service-role-migrator")).toEqual({ name: "flyway", login: true, inherit: true });
    expect(inputs("service-role-app")).toEqual({ name: "service", login: true, inherit: false });
    expect(inputs("service-role-metering")).toEqual({ name: "metering", login: true, inherit: true });
    expect(inputs("connect-metering")).toEqual({
      database: "app",
      role: "metering",
      objectType: "database",
      privileges: ["CONNECT"],
    });
    expect(inputs("service-metering-rds-iam")).toEqual({ role: "metering", grantRole: "rds_iam" });
    expect(options.get("service-role-app")?.retainOnDelete).toBe(true);
    expect(inputs("acme-schema")).toMatchObject({ owner: "flyway" });
    expect(inputs("acme-app-member")).toEqual({ role: "service", grantRole: "tenant_acme" });
  });

  test("a dedicated tenant's limits go on its role; the metering login is left to the provisioner", async () => {
    const { resources } = await build("tenants", {
      tenants: [{ id: "globex", tier: "dedicated", statementTimeoutMs: 5000, connectionLimit: 3 }],
      database: "app",
      provider,
    });
    const inputs = (name: string) => resources.find((r) => r.name === name)?.inputs;
    expect(inputs("globex-role")).toEqual({
      name: "tenant_globex",
      login: true,
      inherit: true,
      roles: ["rds_iam"],
      connectionLimit: 3,
      statementTimeout: 5000,
    });
    expect(resources.filter((r) => r.name.includes("metering"))).toEqual([]);
  });

  test("rdsIam: false leaves dedicated roles out of rds_iam", async () => {
    const { resources } = await build("tenants", { tenants: TENANTS, database: "app", provider, rdsIam: false });
    expect(resources.find((r) => r.name === "globex-role")?.inputs).toEqual({
      name: "tenant_globex",
      login: true,
      inherit: true,
    });
  });

  test("invalid arguments throw every problem and register nothing", () => {
    expect(
      () =>
        new TenantSchemas("tenants", {
          tenants: [{ id: "Acme" }, { id: "public", tier: "gold" as never }],
          database: "",
        }),
    ).toThrow(
      [
        'TenantSchemas "tenants": invalid arguments:',
        `  - tenants[0].id: "Acme" must match ^[a-z][a-z0-9_]{1,30}$ (lowercase letter, then 1–30 lowercase letters, digits or _)`,
        `  - tenants[1].id: "public" is reserved (PostgreSQL's default schema); choose another id`,
        `  - tenants[1].tier: "gold" must be "shared" or "dedicated" (omit it for "shared")`,
        "  - provider/connection: give exactly one of them (got neither)",
        `  - database: "" must be the name of the database holding the tenant schemas`,
      ].join("\n"),
    );
    expect(recorded).toEqual([]);
  });
});
