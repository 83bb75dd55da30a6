import {
  FleetRunInput,
  FleetRunOutput,
  MAX_PAYLOAD_BYTES,
  TENANT_ERROR_MAX_CHARS,
  TenantResult,
  shortenError,
  summariseRun,
  validateRunInput,
  worstCaseOutputBytes,
} from "../../components/tenant-migrations/run";
import { planFleetRun } from "../../components/tenant-migrations/waves";

const ok = (schema: string): TenantResult => ({
  schema,
  versionBefore: "1",
  versionAfter: "2",
  durationMs: 40,
  error: null,
});
const bad = (schema: string, error: string): TenantResult => ({
  schema,
  versionBefore: "1",
  versionAfter: "1",
  durationMs: 40,
  error,
});

// A valid fixture: canary a, wave 1 [b,c] [d], wave 2 [e].
const input: FleetRunInput = {
  runId: "run-1",
  canary: [{ batchId: "canary-1", schemas: ["a"] }],
  waves: [
    [
      { batchId: "wave-1-1", schemas: ["b", "c"] },
      { batchId: "wave-1-2", schemas: ["d"] },
    ],
    [{ batchId: "wave-2-1", schemas: ["e"] }],
  ],
};
const success: FleetRunOutput = {
  status: "SUCCEEDED",
  canary: [{ batchId: "canary-1", schemas: ["a"], exitCode: 0, results: [ok("a")] }],
  waves: [
    [
      { batchId: "wave-1-1", schemas: ["b", "c"], exitCode: 0, results: [ok("b"), ok("c")] },
      { batchId: "wave-1-2", schemas: ["d"], exitCode: 0, results: [ok("d")] },
    ],
    [{ batchId: "wave-2-1", schemas: ["e"], exitCode: 0, results: [ok("e")] }],
  ],
  stoppedAfterWave: null,
};

describe("summariseRun", () => {
  it("a clean run: every tenant migrated, exit 0", () => {
    const s = summariseRun(success, input);
    expect(s).toMatchObject({ status: "SUCCEEDED", exitCode: 0, failed: [], unknown: [], notStarted: [] });
    expect(s.succeeded.map((r) => r.schema)).toEqual(["a", "b", "c", "d", "e"]);
    expect(s.message).toBe("every tenant migrated (5)");
  });

  it("a failed canary: the canary failed, every other tenant not started", () => {
    const s = summariseRun(
      {
        status: "CANARY_FAILED",
        canary: [{ batchId: "canary-1", schemas: ["a"], exitCode: 1, results: [bad("a", "V2 failed")] }],
        waves: [],
        stoppedAfterWave: null,
      },
      input,
    );
    expect(s.exitCode).toBe(1);
    expect(s.failed).toEqual([{ schema: "a", batchId: "canary-1", error: "V2 failed" }]);
    expect(s.notStarted).toEqual(["b", "c", "d", "e"]);
    expect(s.message).toBe(
      "the canary failed; no other tenant was started (0 migrated, 1 failed, 0 unknown, 4 not started)",
    );
  });

  it("a tenant failing mid-fleet: the others of its wave keep their results, later waves not started", () => {
    const s = summariseRun(
      {
        status: "FAILED",
        canary: success.canary,
        waves: [
          [
            { batchId: "wave-1-1", schemas: ["b", "c"], exitCode: 1, results: [bad("b", "lock timeout"), ok("c")] },
            { batchId: "wave-1-2", schemas: ["d"], exitCode: 0, results: [ok("d")] },
          ],
        ],
        stoppedAfterWave: 1,
      },
      input,
    );
    expect(s.succeeded.map((r) => r.schema)).toEqual(["a", "c", "d"]);
    expect(s.failed).toEqual([{ schema: "b", batchId: "wave-1-1", error: "lock timeout" }]);
    expect(s.notStarted).toEqual(["e"]);
    expect(s.message).toBe(
      "wave 1 had failures; later waves were not started (3 migrated, 1 failed, 0 unknown, 1 not started)",
    );
  });

  it("a task that failed without results: its tenants are unknown, with the caught error", () => {
    const s = summariseRun(
      {
        status: "FAILED",
        canary: success.canary,
        waves: [
          [
            {
              batchId: "wave-1-1",
              schemas: ["b", "c"],
              results: [],
              error: { Error: "States.TaskFailed", Cause: "CannotPullContainerError" },
            },
            { batchId: "wave-1-2", schemas: ["d"], exitCode: 0, results: [ok("d")] },
          ],
        ],
        stoppedAfterWave: 1,
      },
      input,
    );
    expect(s.unknown).toEqual([
      { schema: "b", batchId: "wave-1-1", error: "States.TaskFailed: CannotPullContainerError" },
      { schema: "c", batchId: "wave-1-1", error: "States.TaskFailed: CannotPullContainerError" },
    ]);
    expect(s.exitCode).toBe(1);
  });

  it("a task that crashed part-way: the tenants it reported keep their result, the rest are unknown", () => {
    const s = summariseRun(
      {
        ...success,
        status: "FAILED",
        waves: [[{ batchId: "wave-1-1", schemas: ["b", "c"], exitCode: 137, results: [ok("b")] }]],
        stoppedAfterWave: 1,
      },
      input,
    );
    expect(s.unknown).toEqual([
      { schema: "c", batchId: "wave-1-1", error: "the migration task exited with 137 before reporting it" },
    ]);
    expect(s.notStarted).toEqual(["d", "e"]);
  });

  it("exits 1 when the status says SUCCEEDED but a tenant failed", () => {
    const output: FleetRunOutput = {
      ...success,
      waves: [success.waves[0], [{ batchId: "wave-2-1", schemas: ["e"], exitCode: 1, results: [bad("e", "x")] }]],
    };
    expect(summariseRun(output, input)).toMatchObject({
      exitCode: 1,
      message: "the run did not migrate every tenant (4 migrated, 1 failed, 0 unknown, 0 not started)",
    });
  });
});

describe("shortenError", () => {
  it.each([
    ["x".repeat(TENANT_ERROR_MAX_CHARS), "x".repeat(300)],
    ["x".repeat(TENANT_ERROR_MAX_CHARS + 1), `${"x".repeat(299)}…`],
  ])("cuts at 300 characters", (error, expected) => {
    expect(shortenError(error)).toBe(expected);
  });
});

describe("validateRunInput", () => {
  const schemas = (n: number) => Array.from({ length: n }, (_, i) => `tenant_${String(i).padStart(8, "0")}`);

  it("accepts 1,000 tenants in batches of 25, 5 at once (the worst case: canary ok, one wave all failed)", () => {
    const plan = planFleetRun({ schemas: schemas(1000), batchSize: 25, concurrency: 5 });
    const bytes = worstCaseOutputBytes({ runId: "r", ...plan });
    expect(bytes).toBeLessThan(MAX_PAYLOAD_BYTES);
    expect(validateRunInput({ runId: "r", ...plan })).toEqual([]);
  });

  it("refuses a run whose results could exceed Step Functions' 256 KiB output", () => {
    const plan = planFleetRun({ schemas: schemas(4000), batchSize: 100, concurrency: 40 });
    const problems = validateRunInput({ runId: "r", ...plan });
    expect(problems).toEqual([
      "the run's results for 4000 tenants could reach 1795690 bytes, over Step Functions' 262144-byte execution output limit; migrate the fleet in parts (--tenants)",
    ]);
  });

  it.each(["", "a/b", "-x", "x".repeat(81)])("refuses the run id %j", (runId) => {
    expect(validateRunInput({ ...input, runId })).toEqual([
      `runId: expected 1-80 letters, digits, - or _ (starting with a letter or digit), got ${JSON.stringify(runId)}`,
    ]);
  });

  it("accepts an 80-character run id", () => {
    expect(validateRunInput({ ...input, runId: "x".repeat(80) })).toEqual([]);
  });
});
