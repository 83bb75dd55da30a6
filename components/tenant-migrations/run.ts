/**
 * The fleet run's execution input and output (what `npm run migrate` passes to StartExecution and reads back),
 * and what an output means. Pure.
 */
import type { MigrationBatch } from "./waves";

/** One tenant schema's migration, as the batch runner reports it. */
export interface TenantResult {
  readonly schema: string;
  /** Flyway's current version before the run; null when the schema had none (no history table or no row). */
  readonly versionBefore: string | null;
  /** Its current version after the run, also after a failure (versions applied before the failure stay). */
  readonly versionAfter: string | null;
  readonly durationMs: number;
  /** Why the run failed (Flyway's message, shortened to TENANT_ERROR_MAX_CHARS); null when it succeeded. */
  readonly error: string | null;
}

/** One batch: its task, and a result per tenant the task got to. */
export interface BatchResult {
  readonly batchId: string;
  readonly schemas: readonly string[];
  readonly taskArn?: string;
  /** The runner container's exit code, when the task ran. */
  readonly exitCode?: number;
  /** One per schema the runner reached; fewer than `schemas` when the task failed part-way. */
  readonly results: readonly TenantResult[];
  /** What Step Functions caught when the task failed to start, failed, or left no results. */
  readonly error?: { readonly Error: string; readonly Cause: string };
}

export type RunStatus = "SUCCEEDED" | "CANARY_FAILED" | "FAILED";

export interface FleetRunInput {
  /** Unique per run; the results bucket prefix. Letters, digits, `-` and `_` only (an S3 key and a task tag). */
  readonly runId: string;
  readonly canary: readonly MigrationBatch[];
  readonly waves: readonly (readonly MigrationBatch[])[];
}

export interface FleetRunOutput {
  readonly status: RunStatus;
  readonly canary: readonly BatchResult[];
  /** The waves that ran, in order; a wave after a failed one is absent. */
  readonly waves: readonly (readonly BatchResult[])[];
  /** 1-based number of the wave after which the run stopped; null when it did not stop early. */
  readonly stoppedAfterWave: number | null;
}

/** Step Functions' payload limit for state input/output and execution output (Step Functions quotas). */
export const MAX_PAYLOAD_BYTES = 262_144;
/** A tenant's error is cut to this many characters, so a fleet of failures still fits the payload limit. */
export const TENANT_ERROR_MAX_CHARS = 300;
/** An S3-key-safe run id. */
export const RUN_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_-]{0,79}$/;

/** `error` cut to TENANT_ERROR_MAX_CHARS, with an ellipsis when cut. */
export function shortenError(error: string): string {
  return error.length <= TENANT_ERROR_MAX_CHARS ? error : `${error.slice(0, TENANT_ERROR_MAX_CHARS - 1)}…`;
}

/**
 * The largest execution output a run of `input` can produce. A wave with a failure stops the run, so at most
 * one stage fails: the canary, or one wave after every earlier one succeeded. The bound takes the largest of
 * those cases, with every tenant of the failing stage failed with an error of the maximum length and each of its
 * batches carrying a caught error (ours come from ECS and S3 and are a few hundred characters; 1 KiB is
 * assumed). A run must stay under MAX_PAYLOAD_BYTES or its execution fails with States.DataLimitExceeded and
 * every result is lost (AWS Step Functions Developer Guide, "Step Functions service quotas": 256 KiB).
 */
export function worstCaseOutputBytes(input: FleetRunInput): number {
  const tenant = (schema: string, failed: boolean): TenantResult => ({
    schema,
    versionBefore: "9999.9999",
    versionAfter: "9999.9999",
    durationMs: 9_999_999,
    error: failed ? "x".repeat(TENANT_ERROR_MAX_CHARS) : null,
  });
  const batch = (b: MigrationBatch, failed: boolean): BatchResult => ({
    batchId: b.batchId,
    schemas: b.schemas,
    taskArn: `arn:aws-us-gov:ecs:us-gov-west-1:123456789012:task/${"c".repeat(255)}/${"0".repeat(32)}`,
    exitCode: 255,
    results: b.schemas.map((s) => tenant(s, failed)),
    ...(failed ? { error: { Error: "States.TaskFailed", Cause: "x".repeat(1024) } } : {}),
  });
  const size = (output: FleetRunOutput) => Buffer.byteLength(JSON.stringify(output), "utf8");
  const cases: FleetRunOutput[] = [
    { status: "CANARY_FAILED", canary: input.canary.map((b) => batch(b, true)), waves: [], stoppedAfterWave: null },
    ...input.waves.map((_, failing): FleetRunOutput => ({
      status: "FAILED",
      canary: input.canary.map((b) => batch(b, false)),
      waves: input.waves.slice(0, failing + 1).map((w, i) => w.map((b) => batch(b, i === failing))),
      stoppedAfterWave: failing + 1,
    })),
  ];
  return Math.max(...cases.map(size));
}

/** Problems with an execution input, one message each; [] when it may be started. */
export function validateRunInput(input: FleetRunInput): string[] {
  const problems: string[] = [];
  if (typeof input.runId !== "string" || !RUN_ID_PATTERN.test(input.runId)) {
    problems.push(
      `runId: expected 1-80 letters, digits, - or _ (starting with a letter or digit), got ${JSON.stringify(input.runId)}`,
    );
  }
  const bytes = worstCaseOutputBytes(input);
  if (bytes > MAX_PAYLOAD_BYTES) {
    const tenants = [...input.canary, ...input.waves.flat()].reduce((n, b) => n + b.schemas.length, 0);
    problems.push(
      `the run's results for ${tenants} tenants could reach ${bytes} bytes, over Step Functions' ${MAX_PAYLOAD_BYTES}-byte ` +
        `execution output limit; migrate the fleet in parts (--tenants)`,
    );
  }
  return problems;
}

export interface FailedTenant {
  readonly schema: string;
  readonly batchId: string;
  readonly error: string;
}

export interface RunSummary {
  readonly status: RunStatus;
  /** 0 when every tenant of the input migrated; 1 otherwise. */
  readonly exitCode: 0 | 1;
  readonly succeeded: readonly TenantResult[];
  /** Tenants whose Flyway run failed (their own error). */
  readonly failed: readonly FailedTenant[];
  /**
   * Tenants of a batch whose task failed before reporting them (did not start, crashed, left no results):
   * their state is unknown; `npm run verify:tenants` or a rerun tells.
   */
  readonly unknown: readonly FailedTenant[];
  /** Tenants of the input the run never reached (waves after a failure, or a canary failure). */
  readonly notStarted: readonly string[];
  /** One line for a person: what happened and what to do. */
  readonly message: string;
}

/** What an execution's output means for the tenants of its input. */
export function summariseRun(output: FleetRunOutput, input: FleetRunInput): RunSummary {
  const succeeded: TenantResult[] = [];
  const failed: FailedTenant[] = [];
  const unknown: FailedTenant[] = [];
  const reached = new Set<string>();
  for (const batch of [...output.canary, ...output.waves.flat()]) {
    const reported = new Set<string>();
    for (const r of batch.results) {
      reported.add(r.schema);
      reached.add(r.schema);
      if (r.error === null) succeeded.push(r);
      else failed.push({ schema: r.schema, batchId: batch.batchId, error: r.error });
    }
    for (const schema of batch.schemas) {
      if (reported.has(schema)) continue;
      reached.add(schema);
      const why = batch.error
        ? `${batch.error.Error}: ${batch.error.Cause}`
        : batch.exitCode !== undefined && batch.exitCode !== 0
          ? `the migration task exited with ${batch.exitCode} before reporting it`
          : "the migration task did not report it";
      unknown.push({ schema, batchId: batch.batchId, error: shortenError(why) });
    }
  }
  const notStarted = [...input.canary, ...input.waves.flat()].flatMap((b) => b.schemas).filter((s) => !reached.has(s));
  // The exit status follows the tenants, not only the status the state machine reported.
  const ok = output.status === "SUCCEEDED" && failed.length === 0 && unknown.length === 0 && notStarted.length === 0;
  const counts = `${succeeded.length} migrated, ${failed.length} failed, ${unknown.length} unknown, ${notStarted.length} not started`;
  const message = ok
    ? `every tenant migrated (${succeeded.length})`
    : output.status === "CANARY_FAILED"
      ? `the canary failed; no other tenant was started (${counts})`
      : output.stoppedAfterWave !== null
        ? `wave ${output.stoppedAfterWave} had failures; later waves were not started (${counts})`
        : `the run did not migrate every tenant (${counts})`;
  return { status: output.status, exitCode: ok ? 0 : 1, succeeded, failed, unknown, notStarted, message };
}
