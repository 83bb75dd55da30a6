import {
  INSTANCE_CLASSES,
  PERFORMANCE_INSIGHTS_RETENTION_DAYS,
  TOTAL_RESERVED_CONNECTIONS,
  connectionBudget,
  maxConnections,
  poolEnvironment,
  poolSettings,
} from "../../components/database/sizing";
import { backupWindowProblem, maintenanceWindowProblem, windowsOverlap } from "../../components/database/windows";

describe("maxConnections: LEAST(DBInstanceClassMemory/9531392, 5000)", () => {
  it.each<[string, number, number, number]>([
    ["db.t4g.micro", 2, 1, 112],
    ["db.t4g.small", 2, 2, 225],
    ["db.t4g.medium", 2, 4, 450],
    ["db.t4g.large", 2, 8, 901],
    ["db.m6g.large", 2, 8, 901],
    ["db.m7g.large", 2, 8, 901],
    ["db.m7g.xlarge", 4, 16, 1802],
    ["db.r6g.large", 2, 16, 1802],
    ["db.r7g.xlarge", 4, 32, 3604],
    ["db.r6g.2xlarge", 8, 64, 5000],
    ["db.m7g.16xlarge", 64, 256, 5000],
  ])("%s: %i vCPU, %i GiB, max_connections %i", (instanceClass, vcpu, memoryGiB, connections) => {
    expect(INSTANCE_CLASSES[instanceClass]).toMatchObject({ vcpu, memoryGiB });
    expect(maxConnections(instanceClass)).toBe(connections);
  });

  it("knows only Graviton classes and marks the t4g ones burstable", () => {
    for (const [name, size] of Object.entries(INSTANCE_CLASSES)) {
      expect(name).toMatch(/^db\.(t4g|m6g|m7g|r6g|r7g)\.(micro|small|medium|\d*x?large)$/);
      expect(size.burstable).toBe(name.startsWith("db.t4g."));
    }
    expect(() => maxConnections("db.t3.micro")).toThrow('unknown instance class "db.t3.micro"');
  });
});

describe("connectionBudget", () => {
  it("reserves 3 superuser + 2 RDS connections", () => {
    expect(TOTAL_RESERVED_CONNECTIONS).toBe(5);
  });

  it.each<[string, number, number, number, string, boolean, number, string]>([
    ["dev default", 10, 2, 5, "db.t4g.micro", true, 30, "10 per task × 2 tasks + 5 migrator + 5 reserved = 30"],
    ["exactly full", 51, 2, 5, "db.t4g.micro", true, 112, "51 per task × 2 tasks + 5 migrator + 5 reserved = 112"],
    ["one over", 17, 6, 6, "db.t4g.micro", false, 113, "17 per task × 6 tasks + 6 migrator + 5 reserved = 113"],
    [
      "the brief's example",
      20,
      10,
      5,
      "db.t4g.micro",
      false,
      210,
      "20 per task × 10 tasks + 5 migrator + 5 reserved = 210",
    ],
    [
      "prod on m7g.large",
      20,
      40,
      5,
      "db.m7g.large",
      true,
      810,
      "20 per task × 40 tasks + 5 migrator + 5 reserved = 810",
    ],
    ["one task", 10, 1, 1, "db.t4g.micro", true, 16, "10 per task × 1 task + 1 migrator + 5 reserved = 16"],
  ])("%s", (_what, poolSize, maxTasks, migratorConnections, instanceClass, fits, required, arithmetic) => {
    const budget = connectionBudget({ poolSize, maxTasks, migratorConnections, instanceClass });
    expect(budget).toEqual({
      required,
      available: maxConnections(instanceClass),
      reserved: 5,
      fits,
      arithmetic,
    });
  });

  it("names where the task count comes from", () => {
    expect(
      connectionBudget({
        poolSize: 20,
        maxTasks: 10,
        migratorConnections: 5,
        instanceClass: "db.t4g.micro",
        maxTasksSource: "saas:serviceMaxCount",
      }).arithmetic,
    ).toBe("20 per task × 10 tasks (saas:serviceMaxCount) + 5 migrator + 5 reserved = 210");
  });
});

describe("pool settings", () => {
  it("is a fixed-size HikariCP pool with a 10 s timeout and 30 min lifetime", () => {
    expect(poolSettings(20)).toEqual({
      maxSize: 20,
      minIdle: 20,
      connectionTimeoutMs: 10000,
      idleTimeoutMs: 600000,
      maxLifetimeMs: 1800000,
    });
    expect(poolEnvironment(poolSettings(20))).toEqual([
      { name: "DB_POOL_MAX_SIZE", value: "20" },
      { name: "DB_POOL_MIN_IDLE", value: "20" },
      { name: "DB_CONNECTION_TIMEOUT_MS", value: "10000" },
      { name: "DB_IDLE_TIMEOUT_MS", value: "600000" },
      { name: "DB_MAX_LIFETIME_MS", value: "1800000" },
    ]);
  });
});

describe("Performance Insights retention", () => {
  it("is 7, a month multiple up to 713, or 731 days", () => {
    expect(PERFORMANCE_INSIGHTS_RETENTION_DAYS.slice(0, 3)).toEqual([7, 31, 62]);
    expect(PERFORMANCE_INSIGHTS_RETENTION_DAYS.slice(-2)).toEqual([713, 731]);
    expect(PERFORMANCE_INSIGHTS_RETENTION_DAYS).toHaveLength(25);
  });
});

describe("backup and maintenance windows", () => {
  it.each<[string, string | undefined]>([
    ["03:00-03:30", undefined],
    ["23:45-00:15", undefined],
    ["03:00-03:29", "expected a window of at least 30 minutes"],
    ["3:00-3:30", "expected a daily UTC window hh:mm-hh:mm such as 03:00-03:30"],
    ["24:00-00:30", "expected a daily UTC window hh:mm-hh:mm such as 03:00-03:30"],
  ])("backup window %s", (window, problem) => {
    expect(backupWindowProblem(window)).toBe(problem);
  });

  it.each<[string, string | undefined]>([
    ["sun:04:00-sun:04:30", undefined],
    ["sun:23:45-mon:00:15", undefined],
    ["mon:04:00-mon:04:10", "expected a window of at least 30 minutes"],
    [
      "Sun:04:00-Sun:04:30",
      "expected a weekly UTC window ddd:hh:mm-ddd:hh:mm such as sun:04:00-sun:04:30 (days mon-sun)",
    ],
  ])("maintenance window %s", (window, problem) => {
    expect(maintenanceWindowProblem(window)).toBe(problem);
  });

  it.each<[string, string, boolean]>([
    ["03:00-03:30", "sun:04:00-sun:04:30", false],
    ["03:00-04:00", "sun:04:00-sun:04:30", false],
    ["03:00-04:01", "sun:04:00-sun:04:30", true],
    ["04:15-04:45", "wed:04:00-wed:04:30", true],
    ["23:50-00:20", "mon:00:00-mon:00:30", true],
    ["23:50-00:20", "sun:23:30-mon:00:05", true],
    ["12:00-12:30", "sun:23:30-mon:00:05", false],
  ])("backup %s against maintenance %s overlaps: %s", (backup, maintenance, overlaps) => {
    expect(windowsOverlap(backup, maintenance)).toBe(overlaps);
  });
});
