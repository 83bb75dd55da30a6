import {
  compareFlywayVersions,
  flywayErrorMessage,
  migrateBatch,
  parseBatchEnvironment,
  resultsKey,
  SchemaMigrator,
} from "../../components/tenant-migrations/batchRunner";
import { parseJdbcUrl } from "../../components/tenant-migrations/runner/jdbc";

/** A migrator over an in-memory version table; `fail` makes migrate (or a version read) throw for a schema. */
function fake(versions: Record<string, string | null>, fail: Record<string, "migrate" | "read"> = {}) {
  const calls: string[] = [];
  const migrator: SchemaMigrator = {
    currentVersion: async (schema) => {
      calls.push(`version ${schema}`);
      if (fail[schema] === "read") throw new Error("connection refused");
      return versions[schema] ?? null;
    },
    migrate: async (schema) => {
      calls.push(`migrate ${schema}`);
      if (fail[schema] === "migrate") throw new Error("Migration V2__x.sql failed");
      versions[schema] = "2";
    },
  };
  return { migrator, calls };
}

/** A clock that advances 5 ms per reading. */
const clock = () => {
  let t = 0;
  return () => (t += 5);
};

describe("migrateBatch", () => {
  it("migrates the schemas in order, one at a time: version, migrate, version", async () => {
    const { migrator, calls } = fake({ a: "1", b: null });
    const results = await migrateBatch(["a", "b"], migrator, clock());
    expect(calls).toEqual(["version a", "migrate a", "version a", "version b", "migrate b", "version b"]);
    expect(results).toEqual([
      { schema: "a", versionBefore: "1", versionAfter: "2", durationMs: 5, error: null },
      { schema: "b", versionBefore: null, versionAfter: "2", durationMs: 5, error: null },
    ]);
  });

  it("records a failed migrate and goes on with the next schema", async () => {
    const { migrator } = fake({ a: "1", b: "1", c: "1" }, { b: "migrate" });
    const results = await migrateBatch(["a", "b", "c"], migrator, clock());
    expect(results.map((r) => [r.schema, r.versionBefore, r.versionAfter, r.error])).toEqual([
      ["a", "1", "2", null],
      ["b", "1", "1", "Migration V2__x.sql failed"],
      ["c", "1", "2", null],
    ]);
  });

  it("does not migrate a schema whose version it cannot read, and says which read failed", async () => {
    const { migrator, calls } = fake({ a: "1" }, { a: "read" });
    const [result] = await migrateBatch(["a"], migrator, clock());
    expect(calls).toEqual(["version a", "version a"]);
    expect(result.error).toBe(
      "reading the version before: connection refused; reading the version after: connection refused",
    );
  });

  it("cuts a long error to 300 characters", async () => {
    const migrator: SchemaMigrator = {
      currentVersion: async () => "1",
      migrate: async () => {
        throw new Error("e".repeat(1000));
      },
    };
    const [result] = await migrateBatch(["a"], migrator, clock());
    expect(result.error).toBe(`${"e".repeat(299)}…`);
  });
});

describe("compareFlywayVersions", () => {
  it.each([
    ["2", "10", -1],
    ["1.1", "1", 1],
    ["1_1", "1.1", 0],
    ["1.0", "1", 0],
    ["3", "2.9", 1],
  ])("%s vs %s → %i", (a, b, expected) => {
    expect(compareFlywayVersions(a, b)).toBe(expected);
  });
});

describe("parseBatchEnvironment", () => {
  const valid = {
    MIGRATION_RUN_ID: "run-20261201",
    MIGRATION_BATCH_ID: "wave-1-2",
    MIGRATION_SCHEMAS: "tenant_a,tenant_b",
    MIGRATION_RESULTS_BUCKET: "saas-dev-migration-results-123",
  };

  it("reads the batch the state machine set", () => {
    expect(parseBatchEnvironment(valid)).toEqual({
      runId: "run-20261201",
      batchId: "wave-1-2",
      schemas: ["tenant_a", "tenant_b"],
      resultsBucket: "saas-dev-migration-results-123",
    });
  });

  it.each([
    [
      { MIGRATION_SCHEMAS: undefined },
      "MIGRATION_SCHEMAS: expected the batch's schema names, comma-separated, each once, got nothing",
    ],
    [
      { MIGRATION_SCHEMAS: "" },
      `MIGRATION_SCHEMAS: expected the batch's schema names, comma-separated, each once, got ""`,
    ],
    [
      { MIGRATION_SCHEMAS: "tenant_a,tenant_a" },
      `MIGRATION_SCHEMAS: expected the batch's schema names, comma-separated, each once, got "tenant_a,tenant_a"`,
    ],
    [
      { MIGRATION_SCHEMAS: "tenant_a; DROP" },
      `MIGRATION_SCHEMAS: expected the batch's schema names, comma-separated, each once, got "tenant_a; DROP"`,
    ],
    [{ MIGRATION_RUN_ID: "a/b" }, `MIGRATION_RUN_ID: expected the run id (letters, digits, - and _), got "a/b"`],
    [
      { MIGRATION_BATCH_ID: undefined },
      "MIGRATION_BATCH_ID: expected the batch id (letters, digits, - and _), got nothing",
    ],
    [
      { MIGRATION_RESULTS_BUCKET: "Bad_Bucket" },
      `MIGRATION_RESULTS_BUCKET: expected an S3 bucket name, got "Bad_Bucket"`,
    ],
  ])("refuses %j", (change, problem) => {
    expect(() => parseBatchEnvironment({ ...valid, ...change })).toThrow(
      `the migration task was started without its batch:\n  - ${problem}`,
    );
  });
});

describe("resultsKey", () => {
  it("is <runId>/<batchId>.json", () => {
    expect(resultsKey("run-1", "canary-1")).toBe("run-1/canary-1.json");
  });
});

describe("flywayErrorMessage", () => {
  it("keeps Flyway's ERROR block, whitespace collapsed", () => {
    const output = [
      "Flyway OSS Edition 10.22.0 by Redgate",
      "Successfully validated 3 migrations (execution time 00:00.021s)",
      'Migrating schema "tenant_b" to version "3 - forbid poison"',
      "ERROR: Migration V3__forbid_poison.sql failed",
      "-----------------------------------------",
      "SQL State  : 23514",
      'Message    : ERROR: check constraint "notes_no_poison" of relation "notes" is violated by some row',
      "",
    ].join("\n");
    expect(flywayErrorMessage(output, 1)).toBe(
      'ERROR: Migration V3__forbid_poison.sql failed ----------------------------------------- SQL State : 23514 Message : ERROR: check constraint "notes_no_poison" of relation "notes" is violated by some row',
    );
  });

  it("without an ERROR line, the last five lines", () => {
    expect(flywayErrorMessage("1\n2\n3\n4\n5\n6\n7\n", 137)).toBe("3 4 5 6 7");
  });

  it("says so when Flyway printed nothing", () => {
    expect(flywayErrorMessage("", null)).toBe("flyway exited with a signal and printed nothing");
  });
});

describe("parseJdbcUrl", () => {
  it("reads host, port and database of the task's URL", () => {
    expect(parseJdbcUrl("jdbc:postgresql://db.abc.eu-west-1.rds.amazonaws.com:5432/saas?sslmode=require")).toEqual({
      host: "db.abc.eu-west-1.rds.amazonaws.com",
      port: 5432,
      database: "saas",
    });
  });

  it("defaults the port to 5432", () => {
    expect(parseJdbcUrl("jdbc:postgresql://h/d")).toEqual({ host: "h", port: 5432, database: "d" });
  });

  it("refuses anything else, naming the variable", () => {
    expect(() => parseJdbcUrl("postgres://h/d")).toThrow(
      'FLYWAY_URL: expected jdbc:postgresql://<host>:<port>/<database>, got "postgres://h/d"',
    );
  });
});
