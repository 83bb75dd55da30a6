import { parseConfig } from "../../stacks/config";
import { DEV, PROD, configProblems } from "../support/config";
import { databaseProblems, maxServiceTasks } from "../../stacks/schema/database";
import { LOG_RETENTION_DAYS } from "../../components/shared/logs";
import { INSTANCE_CLASSES } from "../../components/database/sizing";

/** The database problems parseConfig reports for the stack's values with `change` applied. */
function problems(change: Record<string, string | undefined>, base = DEV, stack = "dev"): string[] {
  return configProblems({ ...base, ...change }, stack).filter((p) => p.startsWith("saas:database"));
}

describe("database configuration of the stacks", () => {
  it("dev: a micro instance, one zone, a week of backups, no DR copy", () => {
    expect(problems({})).toEqual([]);
    expect(DEV).toMatchObject({ "saas:databaseInstanceClass": "db.t4g.micro", "saas:databaseMultiAz": "false" });
    expect(DEV["saas:databaseBackupReplicaRegion"]).toBe("");
  });

  it("prod: Multi-AZ m7g.large, 30 days of backups replicated to us-west-2", () => {
    expect(problems({}, PROD, "prod")).toEqual([]);
    expect(PROD).toMatchObject({
      "saas:databaseInstanceClass": "db.m7g.large",
      "saas:databaseMultiAz": "true",
      "saas:databaseBackupRetentionDays": "30",
      "saas:databaseBackupReplicaRegion": "us-west-2",
    });
  });
});

describe("database keys", () => {
  it.each<[string, Record<string, string>, string]>([
    [
      "an unknown instance class",
      { "saas:databaseInstanceClass": "db.t3.micro" },
      `saas:databaseInstanceClass: "db.t3.micro" is not a supported instance class; expected one of ${Object.keys(INSTANCE_CLASSES).join(", ")}`,
    ],
    [
      "too little storage",
      { "saas:databaseAllocatedStorageGiB": "10" },
      "saas:databaseAllocatedStorageGiB: expected an integer from 20 to 65536, got 10",
    ],
    [
      "an autoscaling ceiling below the allocation",
      { "saas:databaseAllocatedStorageGiB": "200", "saas:databaseMaxAllocatedStorageGiB": "100" },
      "saas:databaseMaxAllocatedStorageGiB: expected at least saas:databaseAllocatedStorageGiB (200): the autoscaling ceiling cannot be below the allocation, got 100",
    ],
    [
      "backups turned off",
      { "saas:databaseBackupRetentionDays": "0" },
      "saas:databaseBackupRetentionDays: expected an integer from 1 to 35 (0 would turn automated backups off), got 0",
    ],
    [
      "a malformed backup window",
      { "saas:databaseBackupWindow": "3-4" },
      'saas:databaseBackupWindow: expected a daily UTC window hh:mm-hh:mm such as 03:00-03:30, got "3-4"',
    ],
    [
      "a short maintenance window",
      { "saas:databaseMaintenanceWindow": "sun:04:00-sun:04:15" },
      'saas:databaseMaintenanceWindow: expected a window of at least 30 minutes, got "sun:04:00-sun:04:15"',
    ],
    [
      "overlapping windows",
      { "saas:databaseBackupWindow": "04:10-04:40" },
      'saas:databaseBackupWindow: expected a window apart from saas:databaseMaintenanceWindow (sun:04:00-sun:04:30); RDS refuses overlapping windows, got "04:10-04:40"',
    ],
    [
      "never-expiring logs",
      { "saas:databaseLogRetentionDays": "0" },
      `saas:databaseLogRetentionDays: expected a CloudWatch Logs retention period in days, one of ${LOG_RETENTION_DAYS.join(", ")} (never-expiring logs are not allowed), got 0`,
    ],
    [
      "a Performance Insights retention RDS does not offer",
      { "saas:databasePerformanceInsightsRetentionDays": "30" },
      "saas:databasePerformanceInsightsRetentionDays: expected 7, a multiple of 31 up to 713, or 731, got 30",
    ],
    [
      "an unknown replica region",
      { "saas:databaseBackupReplicaRegion": "us-west-9" },
      'saas:databaseBackupReplicaRegion: "us-west-9" is not a known AWS region (e.g. us-west-2); leave it empty for no replication',
    ],
    [
      "the replica in the database's own region",
      { "saas:databaseBackupReplicaRegion": "us-east-1" },
      'saas:databaseBackupReplicaRegion: expected a region other than aws:region: a copy in the same region does not survive its loss, got "us-east-1"',
    ],
    [
      "a replica retention over 35 days",
      { "saas:databaseBackupReplicaRetentionDays": "60" },
      "saas:databaseBackupReplicaRetentionDays: expected an integer from 1 to 35, got 60",
    ],
    [
      "an unpinned migration image",
      { "saas:databaseMigrationImage": "flyway/flyway:latest" },
      'saas:databaseMigrationImage: expected an image pinned by a release tag or a digest (e.g. flyway/flyway:10.22.0), or empty to build it here, got "flyway/flyway:latest"',
    ],
    [
      "an uppercase database name",
      { "saas:databaseName": "App" },
      `saas:databaseName: expected 1-63 lowercase letters, digits or '_', starting with a letter, got "App"`,
    ],
    [
      "a zero pool",
      { "saas:databasePoolSize": "0" },
      "saas:databasePoolSize: expected an integer from 1 to 1000, got 0",
    ],
  ])("rejects %s", (_what, change, message) => {
    expect(problems(change)).toEqual([message]);
  });

  it("reads every key into the typed section", () => {
    const config = parseConfig(
      {
        ...DEV,
        "saas:databaseName": "tenants",
        "saas:databaseInstanceClass": "db.t4g.small",
        "saas:databasePoolSize": "15",
        "saas:databaseMigratorConnections": "4",
        "saas:databaseBackupReplicaRegion": "eu-west-1",
        "saas:databaseBackupReplicaRetentionDays": "3",
      },
      { stack: "dev" },
    );
    expect(config.database).toMatchObject({
      name: "tenants",
      instanceClass: "db.t4g.small",
      migratorConnections: 4,
      backupReplica: { region: "eu-west-1", retentionDays: 3 },
      pool: { maxSize: 15, minIdle: 15, connectionTimeoutMs: 10000, idleTimeoutMs: 600000, maxLifetimeMs: 1800000 },
    });
  });
});

describe("the migration image", () => {
  it("is built here by default, in every stack", () => {
    expect(parseConfig(DEV, { stack: "dev" }).database.migrationImage).toBeUndefined();
    expect(parseConfig(PROD, { stack: "prod" }).database.migrationImage).toBeUndefined();
  });

  it("may be a prebuilt image outside ECR where the tasks reach the internet (no interface endpoints, a NAT)", () => {
    expect(problems({ "saas:databaseMigrationImage": "flyway/flyway:10.22.0" })).toEqual([]);
    expect(
      parseConfig({ ...DEV, "saas:databaseMigrationImage": "flyway/flyway:10.22.0" }, { stack: "dev" }).database
        .migrationImage,
    ).toBe("flyway/flyway:10.22.0");
  });

  it.each([
    ["the interface endpoints on", { "saas:interfaceEndpoints": "true" }],
    ["no NAT gateway", { "saas:natGateways": "none" }],
  ])("must be in ECR with %s", (_what, network) => {
    expect(problems({ "saas:databaseMigrationImage": "flyway/flyway:10.22.0", ...network })).toEqual([
      "saas:databaseMigrationImage: \"flyway/flyway:10.22.0\" is not in ECR, and this stack's tasks reach no other registry (saas:interfaceEndpoints limits their HTTPS to the VPC endpoints, or saas:natGateways is none), so the task would fail with CannotPullContainerError; leave it empty to build the migration image here, or push it to this account's ECR",
    ]);
  });

  it("may be an ECR image of the account in prod", () => {
    const image = "123456789012.dkr.ecr.us-east-1.amazonaws.com/saas-prod/migrations:1.4.0";
    expect(problems({ "saas:databaseMigrationImage": image }, PROD, "prod")).toEqual([]);
  });
});

describe("production safeguards", () => {
  it("needs 14 days of backups, Multi-AZ and a non-burstable class", () => {
    expect(
      problems(
        {
          "saas:databaseBackupRetentionDays": "7",
          "saas:databaseMultiAz": "false",
          "saas:databaseInstanceClass": "db.t4g.large",
        },
        PROD,
        "prod",
      ),
    ).toEqual([
      "saas:databaseBackupRetentionDays: expected at least 14 in prod: point-in-time recovery must reach back past two weekly cycles, got 7",
      "saas:databaseMultiAz: expected true in prod: a single-zone instance is down for the whole of a zone outage or a host failure, got false",
      'saas:databaseInstanceClass: "db.t4g.large" is burstable: CPU credits run out under sustained production load; use a db.m7g, db.m6g, db.r7g or db.r6g class in prod',
    ]);
  });

  it("accepts 14 days and db.r6g.large", () => {
    expect(
      problems(
        { "saas:databaseBackupRetentionDays": "14", "saas:databaseInstanceClass": "db.r6g.large" },
        PROD,
        "prod",
      ),
    ).toEqual([]);
  });

  it("lets dev keep a single day of backups", () => {
    expect(problems({ "saas:databaseBackupRetentionDays": "1" })).toEqual([]);
  });
});

describe("connection budget", () => {
  it("fails the plan with the arithmetic when the pools outgrow max_connections", () => {
    expect(
      problems({
        "saas:databasePoolSize": "20",
        "saas:serviceMinCount": "1",
        "saas:serviceDesiredCount": "1",
        "saas:serviceMaxCount": "10",
      }),
    ).toEqual([
      "saas:databasePoolSize: 20 is too large: the connection budget is exceeded: 20 per task × 10 tasks (saas:serviceMaxCount) + 6 migrator + 5 reserved = 211 > 112, the max_connections of db.t4g.micro; lower the pool or the task count, or choose a larger saas:databaseInstanceClass",
    ]);
  });

  it("accepts a budget that fits exactly", () => {
    // 51 × 2 + 5 + 5 = 112 = max_connections of db.t4g.micro.
    const fit = { "saas:serviceMaxCount": "2", "saas:databaseMigratorConnections": "5" };
    expect(problems({ ...fit, "saas:databasePoolSize": "51" })).toEqual([]);
    expect(problems({ ...fit, "saas:databasePoolSize": "52" })).toHaveLength(1);
  });

  it("keeps 6 connections for migrations by default: two Flyway runs at once", () => {
    expect(parseConfig(DEV, { stack: "dev" }).database.migratorConnections).toBe(6);
    // 50 × 2 + 6 + 5 = 111 ≤ 112; 51 × 2 + 6 + 5 = 113 does not fit.
    expect(problems({ "saas:databasePoolSize": "50", "saas:serviceMaxCount": "2" })).toEqual([]);
    expect(problems({ "saas:databasePoolSize": "51", "saas:serviceMaxCount": "2" })).toHaveLength(1);
  });

  it("prod keeps 60 for migrations (20 Flyway runs at once), within its budget at full scale", () => {
    const prod = parseConfig(PROD, { stack: "prod" });
    expect(prod.database.migratorConnections).toBe(60);
    // db.m7g.large: max_connections 901 ≥ 10 × 10 + 60 + 5 = 165.
    expect(problems({}, PROD, "prod")).toEqual([]);
  });

  it("counts the migrator's connections", () => {
    expect(
      problems({ "saas:databasePoolSize": "51", "saas:serviceMaxCount": "2", "saas:databaseMigratorConnections": "6" }),
    ).toEqual([
      "saas:databasePoolSize: 51 is too large: the connection budget is exceeded: 51 per task × 2 tasks (saas:serviceMaxCount) + 6 migrator + 5 reserved = 113 > 112, the max_connections of db.t4g.micro; lower the pool or the task count, or choose a larger saas:databaseInstanceClass",
    ]);
  });

  it("falls back to serviceDesiredCount when the service area has no serviceMaxCount", () => {
    const values = {
      aws: { region: "us-east-1" },
      saas: {
        environment: "dev",
        databasePoolSize: 60,
        databaseMigratorConnections: 5,
        databaseInstanceClass: "db.t4g.micro",
        serviceDesiredCount: 2,
      },
    };
    expect(maxServiceTasks(values.saas)).toEqual({ count: 2, key: "saas:serviceDesiredCount" });
    expect(databaseProblems(values)).toEqual([
      {
        path: ["saas", "databasePoolSize"],
        message:
          "is too large: the connection budget is exceeded: 60 per task × 2 tasks (saas:serviceDesiredCount) + 5 migrator + 5 reserved = 130 > 112, the max_connections of db.t4g.micro; lower the pool or the task count, or choose a larger saas:databaseInstanceClass",
      },
    ]);
  });

  it("skips the budget while an input it needs is invalid (that key reports its own problem)", () => {
    expect(maxServiceTasks({ serviceMaxCount: "ten", serviceDesiredCount: 2 })).toBeUndefined();
    expect(problems({ "saas:databasePoolSize": "many" })).toEqual([
      'saas:databasePoolSize: expected an integer from 1 to 1000, got "many"',
    ]);
  });
});

describe("tenant plane keys", () => {
  const tenantProblems = (change: Record<string, string>) =>
    configProblems({ ...DEV, ...change }, "dev").filter((p) => /^saas:(tenant|databaseManageTenants)/.test(p));

  it.each<[string, Record<string, string>, string[]]>([
    ["the default", {}, []],
    ["provider mode", { "saas:tenantProvisioning": "provider" }, []],
    [
      "an unknown provisioning mode",
      { "saas:tenantProvisioning": "sql" },
      ['saas:tenantProvisioning: expected one of lambda, provider, got "sql"'],
    ],
    [
      "the retired databaseManageTenants",
      { "saas:databaseManageTenants": "true" },
      [
        'saas:databaseManageTenants: is no longer a configuration key: replaced by saas:tenantProvisioning ("lambda" or "provider"); read runbooks/tenant-provisioning.md before switching a live stack',
      ],
    ],
    [
      "export retention of 0 days",
      { "saas:tenantExportRetentionDays": "0" },
      ["saas:tenantExportRetentionDays: expected an integer from 1 to 3650, got 0"],
    ],
    [
      "export retention past ten years",
      { "saas:tenantExportRetentionDays": "3651" },
      ["saas:tenantExportRetentionDays: expected an integer from 1 to 3650, got 3651"],
    ],
    ["export retention of ten years", { "saas:tenantExportRetentionDays": "3650" }, []],
    [
      "a tenant status that does not exist",
      { "saas:tenants": JSON.stringify([{ id: "acme", status: "paused" }]) },
      ['saas:tenants[0].status: "paused" must be "active" or "suspended" (omit it for "active")'],
    ],
    ["a suspended tenant", { "saas:tenants": JSON.stringify([{ id: "acme", status: "suspended" }]) }, []],
    [
      "a dedicated tenant's limits at their bounds",
      {
        "saas:tenants": JSON.stringify([
          { id: "acme", tier: "dedicated", statementTimeoutMs: 86_400_000, connectionLimit: 1000 },
        ]),
      },
      [],
    ],
    [
      "a statement timeout on a shared tenant",
      { "saas:tenants": JSON.stringify([{ id: "acme", statementTimeoutMs: 5000 }]) },
      [
        `saas:tenants[0].statementTimeoutMs: applies only to tier "dedicated" (a role setting takes effect when the tenant logs in as its role, never through the service's SET ROLE); set tier: "dedicated" or remove statementTimeoutMs`,
      ],
    ],
    [
      "a connection limit of 0",
      { "saas:tenants": JSON.stringify([{ id: "acme", tier: "dedicated", connectionLimit: 0 }]) },
      ["saas:tenants[0].connectionLimit: 0 must be a whole number of connections from 1 to 1000"],
    ],
  ])("%s", (_label, change, expected) => {
    expect(tenantProblems(change)).toEqual(expected);
  });

  it("carries the tenants' status into the parsed config", () => {
    const config = parseConfig(
      { ...DEV, "saas:tenants": JSON.stringify([{ id: "acme", status: "suspended" }]) },
      { stack: "dev" },
    );
    expect(config.database.tenants).toEqual([{ id: "acme", status: "suspended" }]);
    expect(config.database.tenantProvisioning).toBe("lambda");
  });
});

describe("saas:tenantMigrationCanary", () => {
  const canary = (change: Record<string, string>) =>
    configProblems({ ...DEV, ...change }, "dev").filter((p) => p.startsWith("saas:tenantMigrationCanary"));

  it("is empty by default: the fleet runner's canary is then the first tenant", () => {
    expect(parseConfig(DEV, { stack: "dev" }).database.migrationCanary).toEqual([]);
  });

  it("reads tenant ids of saas:tenants, in the order given", () => {
    const config = parseConfig({ ...DEV, "saas:tenantMigrationCanary": '["initech","acme"]' }, { stack: "dev" });
    expect(config.database.migrationCanary).toEqual(["initech", "acme"]);
  });

  it.each<[string, string, string[]]>([
    [
      "an id that is not a tenant",
      '["acme","nope"]',
      [
        'saas:tenantMigrationCanary[1]: "nope" is not a tenant in saas:tenants; expected one of its ids: acme, globex, initech',
      ],
    ],
    [
      "a tenant listed twice",
      '["globex","acme","globex"]',
      ['saas:tenantMigrationCanary[2]: "globex" is listed twice; expected each canary tenant once'],
    ],
    [
      "a string, not a list",
      '"acme"',
      ['saas:tenantMigrationCanary: expected a list of tenant ids from saas:tenants, e.g. [acme], got "acme"'],
    ],
    ["a number in the list", "[1]", ["saas:tenantMigrationCanary[0]: expected a tenant id, got 1"]],
  ])("refuses %s", (_what, value, expected) => {
    expect(canary({ "saas:tenantMigrationCanary": value })).toEqual(expected);
  });

  it("names the configured ids when there are none", () => {
    expect(canary({ "saas:tenants": "[]", "saas:tenantMigrationCanary": '["acme"]' })).toEqual([
      'saas:tenantMigrationCanary[0]: "acme" is not a tenant in saas:tenants; expected one of its ids: (none configured)',
    ]);
  });
});
