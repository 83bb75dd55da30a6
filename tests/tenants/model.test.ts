import {
  buildTenantModel,
  modelKeys,
  TenantSpec,
  validateModelOptions,
  validateTenants,
} from "../../components/tenant-schemas/model";
import { quoteIdent, quoteLiteral } from "../../components/tenant-plane/sql";
import { parseFlags, parseTenantList } from "../../tools/tenants/cli";

const ID_RULE = "^[a-z][a-z0-9_]{1,30}$ (lowercase letter, then 1–30 lowercase letters, digits or _)";

describe("validateTenants", () => {
  test.each<[string, unknown, string[]]>([
    ["a valid list", [{ id: "acme" }, { id: "globex", tier: "dedicated", displayName: "Globex Corp" }], []],
    ["an empty list", [], []],
    ["uppercase", [{ id: "ok" }, { id: "ok2" }, { id: "Acme" }], [`tenants[2].id: "Acme" must match ${ID_RULE}`]],
    ["one character", [{ id: "a" }], [`tenants[0].id: "a" must match ${ID_RULE}`]],
    ["a leading digit", [{ id: "1acme" }], [`tenants[0].id: "1acme" must match ${ID_RULE}`]],
    ["a hyphen", [{ id: "ac-me" }], [`tenants[0].id: "ac-me" must match ${ID_RULE}`]],
    ["32 characters", [{ id: "a".repeat(32) }], [`tenants[0].id: "${"a".repeat(32)}" must match ${ID_RULE}`]],
    ["31 characters", [{ id: "a".repeat(31) }], []],
    ["a missing id", [{ tier: "shared" }], [`tenants[0].id: is missing; expected a string matching ${ID_RULE}`]],
    ["a numeric id", [{ id: 42 }], [`tenants[0].id: 42 must be a string matching ${ID_RULE}`]],
    [
      "a duplicate",
      [{ id: "acme" }, { id: "globex" }, { id: "acme" }],
      [`tenants[2].id: "acme" duplicates tenants[0].id; tenant ids must be unique`],
    ],
    [
      "public",
      [{ id: "public" }],
      [`tenants[0].id: "public" is reserved (PostgreSQL's default schema); choose another id`],
    ],
    [
      "information_schema",
      [{ id: "information_schema" }],
      [`tenants[0].id: "information_schema" is reserved (a PostgreSQL system schema); choose another id`],
    ],
    [
      "a pg_ prefix",
      [{ id: "pg_stats" }],
      [
        `tenants[0].id: "pg_stats" starts with the reserved prefix "pg_" (PostgreSQL system objects); choose another id`,
      ],
    ],
    [
      "an rds_ prefix",
      [{ id: "rds_iam" }],
      [`tenants[0].id: "rds_iam" starts with the reserved prefix "rds_" (Amazon RDS roles); choose another id`],
    ],
    [
      "the migrator role",
      [{ id: "migrator" }],
      [`tenants[0].id: "migrator" collides with the migrator role "migrator"; choose another id`],
    ],
    ["the app role", [{ id: "app" }], [`tenants[0].id: "app" collides with the app role "app"; choose another id`]],
    [
      "a bad tier",
      [{ id: "acme", tier: "premium" }],
      [`tenants[0].tier: "premium" must be "shared" or "dedicated" (omit it for "shared")`],
    ],
    [
      "an empty display name",
      [{ id: "acme", displayName: " " }],
      [`tenants[0].displayName: " " must be a non-empty string of at most 100 characters without control characters`],
    ],
    [
      "a display name with a newline",
      [{ id: "acme", displayName: "a\nDROP" }],
      [
        `tenants[0].displayName: "a\\nDROP" must be a non-empty string of at most 100 characters without control characters`,
      ],
    ],
    [
      "a typo in a field",
      [{ id: "acme", teir: "dedicated" }],
      [
        `tenants[0].teir: unknown field; expected only id, displayName, tier, status, statementTimeoutMs, connectionLimit`,
      ],
    ],
    [
      "a bad status",
      [{ id: "acme", status: "paused" }],
      [`tenants[0].status: "paused" must be "active" or "suspended" (omit it for "active")`],
    ],
    ["a suspended tenant", [{ id: "acme", status: "suspended" }], []],
    [
      "the metering role",
      [{ id: "metering" }],
      [`tenants[0].id: "metering" collides with the metering role "metering"; choose another id`],
    ],
    [
      "noisy-neighbour limits on a dedicated tenant",
      [{ id: "acme", tier: "dedicated", statementTimeoutMs: 5000, connectionLimit: 10 }],
      [],
    ],
    [
      "a statement timeout on a shared tenant",
      [{ id: "acme", statementTimeoutMs: 5000 }],
      [
        `tenants[0].statementTimeoutMs: applies only to tier "dedicated" (a role setting takes effect when the tenant logs in as its role, never through the service's SET ROLE); set tier: "dedicated" or remove statementTimeoutMs`,
      ],
    ],
    [
      "a connection limit on a shared tenant",
      [{ id: "acme", tier: "shared", connectionLimit: 5 }],
      [
        `tenants[0].connectionLimit: applies only to tier "dedicated" (a role setting takes effect when the tenant logs in as its role, never through the service's SET ROLE); set tier: "dedicated" or remove connectionLimit`,
      ],
    ],
    [
      "a zero statement timeout",
      [{ id: "acme", tier: "dedicated", statementTimeoutMs: 0 }],
      [`tenants[0].statementTimeoutMs: 0 must be a whole number of milliseconds from 1 to 86400000`],
    ],
    [
      "a statement timeout past a day",
      [{ id: "acme", tier: "dedicated", statementTimeoutMs: 86_400_001 }],
      [`tenants[0].statementTimeoutMs: 86400001 must be a whole number of milliseconds from 1 to 86400000`],
    ],
    [
      "a statement timeout as a string",
      [{ id: "acme", tier: "dedicated", statementTimeoutMs: "5s" }],
      [`tenants[0].statementTimeoutMs: "5s" must be a whole number of milliseconds from 1 to 86400000`],
    ],
    [
      "a fractional connection limit",
      [{ id: "acme", tier: "dedicated", connectionLimit: 2.5 }],
      [`tenants[0].connectionLimit: 2.5 must be a whole number of connections from 1 to 1000`],
    ],
    [
      "a connection limit past 1000",
      [{ id: "acme", tier: "dedicated", connectionLimit: 1001 }],
      [`tenants[0].connectionLimit: 1001 must be a whole number of connections from 1 to 1000`],
    ],
    ["a string entry", ["acme"], [`tenants[0]: "acme" must be an object { id, displayName?, tier? }`]],
    ["not an array", { id: "acme" }, [`tenants: {"id":"acme"} must be an array of { id, displayName?, tier? }`]],
  ])("%s", (_label, tenants, expected) => {
    expect(validateTenants(tenants as TenantSpec[])).toEqual(expected);
  });

  test("reports every problem at once, in order", () => {
    expect(validateTenants([{ id: "Bad" }, { id: "ok", tier: "gold" as never }, { id: "ok" }])).toEqual([
      `tenants[0].id: "Bad" must match ${ID_RULE}`,
      `tenants[1].tier: "gold" must be "shared" or "dedicated" (omit it for "shared")`,
      `tenants[2].id: "ok" duplicates tenants[1].id; tenant ids must be unique`,
    ]);
  });

  test("collisions follow custom role names, including the tenant_ prefixed form", () => {
    expect(
      validateTenants([{ id: "svc" }, { id: "flyway" }], { appRole: "tenant_svc", migratorRole: "flyway" }),
    ).toEqual([
      `tenants[0].id: "svc" collides with the app role "tenant_svc"; choose another id`,
      `tenants[1].id: "flyway" collides with the migrator role "flyway"; choose another id`,
    ]);
  });
});

describe("validateModelOptions", () => {
  test.each<[object, string[]]>([
    [{}, []],
    [{ migratorRole: "flyway", appRole: "service" }, []],
    [
      { appRole: "App" },
      [`appRole: "App" must match ^[a-z_][a-z0-9_]{0,62}$ (lowercase PostgreSQL identifier, at most 63 characters)`],
    ],
    [
      { appRole: "migrator" },
      [`appRole: "migrator" must differ from migratorRole; the service must not own the schemas`],
    ],
    [
      { migratorRole: "tenant_x" },
      [`migratorRole: "tenant_x" must not start with "pg_" or "tenant_" nor be "rds_iam"`],
    ],
  ])("%j", (opts, expected) => {
    expect(validateModelOptions(opts)).toEqual(expected);
  });
});

describe("buildTenantModel", () => {
  const model = buildTenantModel([
    { id: "acme", displayName: "Acme" },
    { id: "globex", tier: "dedicated" },
  ]);

  test("throws one error listing every problem", () => {
    expect(() => buildTenantModel([{ id: "Acme" }, { id: "public" }], { appRole: "App" })).toThrow(
      [
        "Invalid tenant configuration:",
        `  - appRole: "App" must match ^[a-z_][a-z0-9_]{0,62}$ (lowercase PostgreSQL identifier, at most 63 characters)`,
        `  - tenants[0].id: "Acme" must match ${ID_RULE}`,
        `  - tenants[1].id: "public" is reserved (PostgreSQL's default schema); choose another id`,
      ].join("\n"),
    );
  });

  test("names schema and role tenant_<id>; only the dedicated tier logs in", () => {
    expect(model.tenants).toEqual([
      {
        id: "acme",
        displayName: "Acme",
        tier: "shared",
        status: "active",
        roleName: "tenant_acme",
        schemaName: "tenant_acme",
        login: false,
      },
      {
        id: "globex",
        tier: "dedicated",
        status: "active",
        roleName: "tenant_globex",
        schemaName: "tenant_globex",
        login: true,
      },
    ]);
  });

  test("a suspended tenant keeps role, schema and grants, but not app's membership, LOGIN or CONNECT", () => {
    const suspended = buildTenantModel([
      { id: "acme", status: "suspended" },
      { id: "globex", tier: "dedicated", status: "suspended" },
    ]);
    expect(suspended.tenants.map((t) => [t.id, t.status, t.login])).toEqual([
      ["acme", "suspended", false],
      ["globex", "suspended", false],
    ]);
    expect(suspended.schemas.map((x) => x.name)).toEqual(["tenant_acme", "tenant_globex"]);
    expect(suspended.grants.map((g) => g.key)).toEqual([
      "connect-migrator",
      "connect-app",
      "connect-metering",
      "service-metering-admin-usage",
      "service-metering-snapshot",
      "acme-usage",
      "acme-tables",
      "acme-sequences",
      "globex-usage",
      "globex-tables",
      "globex-sequences",
    ]);
    expect(suspended.memberships.map((m) => m.key)).toEqual(["service-app-rds-iam", "service-metering-rds-iam"]);
  });

  test("roles: migrator, NOINHERIT app, the metering login, one per tenant", () => {
    expect(model.roles.map((r) => [r.name, r.login, r.inherit])).toEqual([
      ["migrator", true, true],
      ["app", true, false],
      ["metering", true, true],
      ["tenant_acme", false, true],
      ["tenant_globex", true, true],
    ]);
  });

  test("schemas are owned by the migrator", () => {
    expect(model.schemas.map((s) => [s.name, s.owner])).toEqual([
      ["tenant_acme", "migrator"],
      ["tenant_globex", "migrator"],
    ]);
  });

  test("grants: CONNECT for service roles and dedicated tenants; USAGE, DML, sequences in the own schema only", () => {
    expect(
      model.grants.map((g) => `${g.key}: ${g.objectType} ${g.schema ?? "-"} ${g.role} ${g.privileges.join("/")}`),
    ).toEqual([
      "connect-migrator: database - migrator CONNECT",
      "connect-app: database - app CONNECT",
      "connect-metering: database - metering CONNECT",
      "service-metering-admin-usage: schema admin metering USAGE",
      "service-metering-snapshot: table admin metering SELECT/INSERT/UPDATE/DELETE",
      "acme-usage: schema tenant_acme tenant_acme USAGE",
      "acme-tables: table tenant_acme tenant_acme SELECT/INSERT/UPDATE/DELETE",
      "acme-sequences: sequence tenant_acme tenant_acme USAGE/SELECT",
      "globex-usage: schema tenant_globex tenant_globex USAGE",
      "globex-tables: table tenant_globex tenant_globex SELECT/INSERT/UPDATE/DELETE",
      "globex-sequences: sequence tenant_globex tenant_globex USAGE/SELECT",
      "globex-connect: database - tenant_globex CONNECT",
    ]);
  });

  test("default privileges are for objects the migrator creates, in the tenant's schema", () => {
    expect(model.defaultPrivileges.map((d) => `${d.owner} ${d.schema} ${d.objectType} -> ${d.role}`)).toEqual([
      "migrator tenant_acme table -> tenant_acme",
      "migrator tenant_acme sequence -> tenant_acme",
      "migrator tenant_globex table -> tenant_globex",
      "migrator tenant_globex sequence -> tenant_globex",
    ]);
  });

  test("memberships: app in rds_iam; app NOINHERIT+SET in every tenant; rds_iam (RDS-only, no SET) for dedicated", () => {
    expect(model.memberships).toEqual([
      { key: "service-app-rds-iam", role: "rds_iam", member: "app", inherit: true, set: false, rdsOnly: true },
      {
        key: "service-metering-rds-iam",
        role: "rds_iam",
        member: "metering",
        inherit: true,
        set: false,
        rdsOnly: true,
      },
      {
        key: "acme-app-member",
        role: "tenant_acme",
        member: "app",
        inherit: false,
        set: true,
        rdsOnly: false,
        tenantId: "acme",
      },
      {
        key: "globex-app-member",
        role: "tenant_globex",
        member: "app",
        inherit: false,
        set: true,
        rdsOnly: false,
        tenantId: "globex",
      },
      {
        key: "globex-rds-iam",
        role: "rds_iam",
        member: "tenant_globex",
        inherit: true,
        set: false,
        rdsOnly: true,
        tenantId: "globex",
      },
    ]);
  });

  test("PUBLIC loses CONNECT/TEMP/CREATE on the database, CONNECT/TEMP on postgres and CREATE on public", () => {
    expect(model.publicAccess).toEqual([
      { key: "lockdown-database", objectType: "database", keep: [], revoke: ["CONNECT", "TEMPORARY", "CREATE"] },
      {
        key: "lockdown-maintenance-database",
        objectType: "database",
        database: "postgres",
        keep: [],
        revoke: ["CONNECT", "TEMPORARY"],
      },
      { key: "lockdown-public-schema", objectType: "schema", schema: "public", keep: ["USAGE"], revoke: ["CREATE"] },
    ]);
  });

  test("child keys are unique even for tenants named like platform keys", () => {
    const keys = modelKeys(
      buildTenantModel([
        { id: "service", tier: "dedicated" },
        { id: "lockdown", tier: "dedicated" },
        { id: "connect", tier: "dedicated" },
      ]),
    );
    expect(new Set(keys).size).toBe(keys.length);
  });

  test("adding a tenant adds keys and changes no existing item", () => {
    const more = buildTenantModel([
      { id: "acme", displayName: "Acme" },
      { id: "globex", tier: "dedicated" },
      { id: "initech" },
    ]);
    const items = (m: typeof model) =>
      [...m.roles, ...m.schemas, ...m.grants, ...m.defaultPrivileges, ...m.memberships, ...m.publicAccess].map((x) =>
        JSON.stringify(x),
      );
    const before = items(model);
    const after = items(more);
    expect(after.filter((x) => !before.includes(x)).every((x) => x.includes("initech"))).toBe(true);
    expect(before.every((x) => after.includes(x))).toBe(true);
  });
});

describe("SQL quoting", () => {
  test.each([
    [quoteIdent('we"ird'), '"we""ird"'],
    [quoteLiteral("it's"), "'it''s'"],
  ])("quotes %s", (actual, expected) => {
    expect(actual).toBe(expected);
  });
});

describe("tools/tenants", () => {
  test("parseTenantList reads ids and optional tiers", () => {
    expect(parseTenantList("a1, b2:dedicated,,c3:shared")).toEqual([
      { id: "a1" },
      { id: "b2", tier: "dedicated" },
      { id: "c3", tier: "shared" },
    ]);
    expect(() => parseTenantList("a1:x:y")).toThrow('--tenants: "a1:x:y" must be <id> or <id>:<tier>');
  });

  test("parseFlags refuses unknown flags and missing values", () => {
    expect(parseFlags(["--tenants", "a,b", "--database=app"], ["tenants", "database"])).toEqual({
      tenants: "a,b",
      database: "app",
    });
    expect(() => parseFlags(["--tenant", "a"], ["tenants"])).toThrow('unknown argument "--tenant"; expected --tenants');
    expect(() => parseFlags(["--tenants"], ["tenants"])).toThrow("--tenants needs a value");
  });
});
