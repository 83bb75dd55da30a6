/**
 * What `npm run migrate` makes of a fleet run: per-tenant progress from the execution's history events, the
 * summary table and the exit status. Pure (no AWS import), so every decision is table-tested.
 */
import type { HistoryEvent } from "@aws-sdk/client-sfn";
import type { BatchResult, FleetRunOutput, RunSummary, TenantResult } from "../../components/tenant-migrations/run";
import type { FleetRunPlan } from "../../components/tenant-migrations/waves";
import { TENANT_PREFIX } from "../../components/tenant-schemas/model";

/**
 * Exit statuses of `npm run migrate`, most specific cause first (runbooks/database-migrations.md lists them).
 * A failed canary wins over the execution's own status: it is why the run stopped.
 */
export const EXIT = {
  /** Every tenant of the run is at the latest version. */
  ok: 0,
  /** One or more tenants failed (or reported nothing) after the canary passed. */
  tenantFailed: 1,
  /** Bad arguments or stack configuration: nothing was started. */
  usage: 2,
  /** The canary failed: no other tenant was touched. */
  canaryFailed: 3,
  /** The execution failed (a state machine error, not a tenant's). */
  executionFailed: 4,
  /** The execution hit its timeout. */
  executionTimedOut: 5,
  /** The execution was stopped (StopExecution, or the console). */
  executionAborted: 6,
  /** An AWS call failed: the state machine was not found, access was denied, the execution could not start. */
  awsError: 7,
} as const;

export type TenantState = "pending" | "running" | "succeeded" | "failed";

export interface TenantProgress {
  readonly schema: string;
  readonly batchId: string;
  readonly canary: boolean;
  state: TenantState;
  result?: TenantResult;
  /** Its batch failed before reporting it (the task did not start or stopped): why, and its state is unknown. */
  unknown?: string;
}

/** Every schema of the plan, in plan order, with what is known of it so far. */
export class RunTracker {
  readonly tenants: TenantProgress[];
  private readonly bySchema = new Map<string, TenantProgress>();

  constructor(readonly plan: FleetRunPlan) {
    const rows = [
      ...plan.canary.map((b) => ({ b, canary: true })),
      ...plan.waves.flat().map((b) => ({ b, canary: false })),
    ];
    this.tenants = rows.flatMap(({ b, canary }) =>
      b.schemas.map((schema) => ({ schema, batchId: b.batchId, canary, state: "pending" as TenantState })),
    );
    for (const t of this.tenants) this.bySchema.set(t.schema, t);
  }

  /** Marks a batch's pending schemas as running. Returns the schemas that changed. */
  batchStarted(batch: { schemas: readonly string[] }): string[] {
    const changed: string[] = [];
    for (const s of batch.schemas) {
      const t = this.bySchema.get(s);
      if (t !== undefined && t.state === "pending") {
        t.state = "running";
        changed.push(s);
      }
    }
    return changed;
  }

  /**
   * Records a batch's results. A schema of the batch with no result of its own fails with the batch's error
   * when the batch has one (the task never reached it). Returns the tenants whose result is new.
   */
  batchFinished(batch: BatchResult): TenantProgress[] {
    const changed: TenantProgress[] = [];
    const reported = new Set<string>();
    for (const r of batch.results) {
      reported.add(r.schema);
      const t = this.bySchema.get(r.schema);
      if (t === undefined) continue;
      const state: TenantState = r.error === null ? "succeeded" : "failed";
      if (t.state !== state || !sameResult(t.result, r)) {
        t.state = state;
        t.result = r;
        changed.push(t);
      }
    }
    if (batch.error !== undefined) {
      const message = `batch ${batch.batchId}: ${batch.error.Error}${batch.error.Cause ? `: ${batch.error.Cause}` : ""}`;
      for (const s of batch.schemas) {
        const t = this.bySchema.get(s);
        if (reported.has(s) || t === undefined || t.unknown === message) continue;
        // The task failed before reporting this schema: whether its Flyway run happened is not known.
        t.state = "failed";
        t.unknown = message;
        changed.push(t);
      }
    }
    return changed;
  }

  /** Applies the execution's output, the authoritative record. */
  applyOutput(output: FleetRunOutput): void {
    for (const b of [...output.canary, ...output.waves.flat()]) this.batchFinished(b);
  }

  count(state: TenantState): number {
    return this.tenants.filter((t) => t.state === state).length;
  }

  canaryFailed(): boolean {
    return this.tenants.some((t) => t.canary && t.state === "failed");
  }
}

function sameResult(a: TenantResult | undefined, b: TenantResult): boolean {
  return a !== undefined && JSON.stringify(a) === JSON.stringify(b);
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null;
}

function isBatch(v: unknown): v is { batchId: string; schemas: string[] } {
  return isObject(v) && typeof v.batchId === "string" && Array.isArray(v.schemas);
}

function isBatchResult(v: unknown): v is BatchResult {
  return isBatch(v) && Array.isArray((v as { results?: unknown }).results);
}

/** Every object in `value` (depth-first, bounded) that `test` accepts; found objects are not searched further. */
function findAll<T>(value: unknown, test: (v: unknown) => v is T, depth = 0): T[] {
  if (depth > 8 || !isObject(value)) return [];
  if (test(value)) return [value];
  const children = Array.isArray(value) ? value : Object.values(value);
  return children.flatMap((c) => findAll(c, test, depth + 1));
}

function parseJson(text: string | undefined): unknown {
  if (text === undefined) return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

/**
 * The batch a state's input starts: the input itself, or one of its own fields (a Map iteration's item as the
 * fleet runner selects it, `{ runId, batch }`). Never a batch inside a list: the execution's own input, which
 * the first states see, lists every batch of the run.
 */
function startedBatch(input: unknown): { batchId: string; schemas: string[] }[] {
  if (!isObject(input) || Array.isArray(input)) return [];
  const candidates = [input, ...Object.values(input)];
  return candidates.filter((c): c is { batchId: string; schemas: string[] } => isBatch(c) && !isBatchResult(c));
}

/** What one history event says about the run's batches. */
export interface EventFacts {
  readonly started: { batchId: string; schemas: string[] }[];
  readonly finished: BatchResult[];
}

/**
 * Reads batches out of a history event without depending on the state names: a state entered with a batch
 * (`{ batchId, schemas }`) as its input, or as a field of it, started it; a state exited (or a task succeeded) with batch results
 * (`{ batchId, schemas, results }`) in its output finished it. Event shapes as the Step Functions API Reference
 * documents `HistoryEvent`: `stateEnteredEventDetails.input` and `stateExitedEventDetails.output` are JSON
 * strings, as is `taskSucceededEventDetails.output`.
 */
export function eventFacts(event: HistoryEvent): EventFacts {
  const entered = parseJson(event.stateEnteredEventDetails?.input);
  const exited = parseJson(event.stateExitedEventDetails?.output ?? event.taskSucceededEventDetails?.output);
  return {
    started: startedBatch(entered),
    finished: findAll(exited, isBatchResult),
  };
}

/** The tenant id of a tenant schema (`tenant_acme` → `acme`); another schema name as it is. */
export function tenantOf(schema: string): string {
  return schema.startsWith(TENANT_PREFIX) ? schema.slice(TENANT_PREFIX.length) : schema;
}

export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  const s = Math.round(ms / 1000);
  return `${Math.floor(s / 60)} min ${String(s % 60).padStart(2, "0")} s`;
}

/** `1 → 2`, `none → 2`, `2 (up to date)`. */
export function versionChange(r: TenantResult): string {
  const before = r.versionBefore ?? "none";
  const after = r.versionAfter ?? "none";
  return r.error === null && before === after ? `${after} (up to date)` : `${before} → ${after}`;
}

/** One line per finished tenant, as printed while the run goes on (plain output, and above the bar on a TTY). */
export function tenantLine(t: TenantProgress): string {
  const r = t.result;
  const who = `${tenantOf(t.schema)}${t.canary ? " (canary)" : ""}`;
  if (r === undefined) return t.unknown !== undefined ? `${who}: UNKNOWN: ${t.unknown}` : `${who}: ${t.state}`;
  return r.error === null
    ? `${who}: ${versionChange(r)} in ${formatDuration(r.durationMs)}`
    : `${who}: FAILED after ${formatDuration(r.durationMs)}: ${r.error}`;
}

/** Why a tenant has no result, from how the run ended. */
function notRunReason(t: TenantProgress, tracker: RunTracker, ended: string): string {
  if (t.state === "running") return `no result: the run ended (${ended}) while its batch ${t.batchId} ran`;
  if (!t.canary && tracker.canaryFailed()) return "not run: the canary failed";
  return `not run: the run ended (${ended}) before batch ${t.batchId}`;
}

/**
 * The summary table: every tenant of the run, in plan order. `ended` is how the execution ended, e.g.
 * `SUCCEEDED` or `TIMED_OUT`.
 */
export function summaryTable(tracker: RunTracker, ended: string): string {
  const header = ["tenant", "version", "duration", "error"];
  const rows = tracker.tenants.map((t) => {
    const r = t.result;
    return [
      `${tenantOf(t.schema)}${t.canary ? " (canary)" : ""}`,
      r === undefined ? (t.unknown !== undefined ? "?" : "-") : versionChange(r),
      r === undefined ? "-" : formatDuration(r.durationMs),
      r === undefined
        ? t.unknown !== undefined
          ? `unknown (${t.unknown}); npm run verify:tenants or a re-run tells`
          : notRunReason(t, tracker, ended)
        : (r.error ?? ""),
    ];
  });
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i])))
      .join("  ")
      .trimEnd();
  return [line(header), line(widths.map((w) => "-".repeat(w))), ...rows.map(line)].join("\n");
}

export type { BatchResult, FleetRunOutput, TenantResult };

/**
 * The run's exit status from the execution's status, what the tracker holds and, when the execution succeeded,
 * what its output means (summariseRun, components/tenant-migrations/run.ts).
 */
export function exitStatus(executionStatus: string, tracker: RunTracker, summary?: RunSummary): number {
  if (tracker.canaryFailed() || summary?.status === "CANARY_FAILED") return EXIT.canaryFailed;
  switch (executionStatus) {
    case "SUCCEEDED":
      // Every run the fleet runner finishes ends in a Succeed state with its output; without one, nothing says
      // the tenants migrated.
      return summary?.exitCode === 0 ? EXIT.ok : EXIT.tenantFailed;
    case "TIMED_OUT":
      return EXIT.executionTimedOut;
    case "ABORTED":
      return EXIT.executionAborted;
    default:
      return EXIT.executionFailed;
  }
}

/** One closing line for a run whose execution left no output (it failed, timed out or was aborted). */
export function verdict(code: number, tracker: RunTracker): string {
  const counts = `${tracker.count("succeeded")} of ${tracker.tenants.length} tenants migrated, ${tracker.count("failed")} failed`;
  switch (code) {
    case EXIT.canaryFailed:
      return "the canary failed: no other tenant was migrated";
    case EXIT.executionTimedOut:
      return `the execution timed out: ${counts}`;
    case EXIT.executionAborted:
      return `the execution was aborted: ${counts}`;
    case EXIT.executionFailed:
      return `the execution failed: ${counts}`;
    default:
      return `the execution left no output: ${counts}`;
  }
}

/** The waves `--dry-run` prints (and the plan a run starts with). */
export function formatPlan(plan: FleetRunPlan): string {
  const batch = (b: { batchId: string; schemas: readonly string[] }) =>
    `  ${b.batchId}: ${b.schemas.map(tenantOf).join(", ")}`;
  return [
    `canary (${plan.canary.length} batch${plan.canary.length === 1 ? "" : "es"}, first; a failure stops the run):`,
    ...(plan.canary.length === 0 ? ["  none"] : plan.canary.map(batch)),
    ...plan.waves.flatMap((w, i) => [
      `wave ${i + 1} of ${plan.waves.length} (${w.length} batch${w.length === 1 ? "" : "es"} at once):`,
      ...w.map(batch),
    ]),
  ].join("\n");
}
