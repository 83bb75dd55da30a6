/**
 * The batch runner's core: what runs inside the migration task for one batch of tenant schemas. Plain
 * TypeScript with no AWS import, so tests run this very code against a real PostgreSQL with the Flyway
 * stand-in as the migrator (tests/integration/batchRunner.test.ts); the task's entry point
 * (runner/main.ts) plugs in the Flyway CLI and the S3 upload.
 */
import type { ClientBase } from "pg";
import { shortenError, TenantResult, RUN_ID_PATTERN } from "./run";

/** How the runner migrates one schema and reads its version. */
export interface SchemaMigrator {
  /** Flyway's current version of the schema (the highest successfully applied version); null when none. */
  currentVersion(schema: string): Promise<string | null>;
  /** Runs `flyway migrate` with the schema as the only and default schema; throws with Flyway's message. */
  migrate(schema: string): Promise<void>;
}

/** What a thrown value says, for a tenant's result. */
function messageOf(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/**
 * Migrates `schemas` one after another (one Flyway run holds the batch's whole connection share) and returns a
 * result per schema, in order. A failure of one schema is recorded and the next one still runs: each schema is
 * its own Flyway run with its own history, lock and transaction, so one tenant's broken data cannot leave
 * another half-migrated, and the run reports every tenant.
 */
export async function migrateBatch(
  schemas: readonly string[],
  migrator: SchemaMigrator,
  now: () => number = () => performance.now(),
): Promise<TenantResult[]> {
  const results: TenantResult[] = [];
  for (const schema of schemas) {
    const started = now();
    const errors: string[] = [];
    let versionBefore: string | null = null;
    let versionAfter: string | null = null;
    try {
      versionBefore = await migrator.currentVersion(schema);
    } catch (e) {
      errors.push(`reading the version before: ${messageOf(e)}`);
    }
    if (errors.length === 0) {
      try {
        await migrator.migrate(schema);
      } catch (e) {
        errors.push(messageOf(e));
      }
    }
    try {
      versionAfter = await migrator.currentVersion(schema);
    } catch (e) {
      errors.push(`reading the version after: ${messageOf(e)}`);
    }
    results.push({
      schema,
      versionBefore,
      versionAfter,
      durationMs: Math.round(now() - started),
      error: errors.length === 0 ? null : shortenError(errors.join("; ")),
    });
  }
  return results;
}

/** Flyway's history table name (the task does not change `table`). */
export const HISTORY_TABLE = "flyway_schema_history";

/** Orders Flyway versions numerically part by part (`2` < `10`, `1.1` between `1` and `2`). */
export function compareFlywayVersions(a: string, b: string): number {
  const pa = a.split(/[._]/).map((p) => BigInt(p));
  const pb = b.split(/[._]/).map((p) => BigInt(p));
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const x = pa[i] ?? 0n;
    const y = pb[i] ?? 0n;
    if (x !== y) return x < y ? -1 : 1;
  }
  return 0;
}

/**
 * Flyway's current version of `schema`, read from its history table the way `flyway info` reports it: the
 * highest version among the successful versioned rows; null without a history table or such a row. One
 * read-only query; the caller opens the connection only while Flyway is not running, so a batch never holds more
 * connections than one Flyway run.
 */
export async function readCurrentVersion(
  client: ClientBase,
  schema: string,
  table: string = HISTORY_TABLE,
): Promise<string | null> {
  const [{ present }] = (
    await client.query<{ present: boolean }>(
      "SELECT to_regclass(format('%I.%I', $1::text, $2::text)) IS NOT NULL AS present",
      [schema, table],
    )
  ).rows;
  if (!present) return null;
  const quoted = (name: string) => `"${name.replace(/"/g, '""')}"`;
  const rows = (
    await client.query<{ version: string }>(
      `SELECT version FROM ${quoted(schema)}.${quoted(table)} WHERE success AND version IS NOT NULL`,
    )
  ).rows;
  return rows
    .map((r) => r.version)
    .reduce<string | null>((max, v) => (max === null || compareFlywayVersions(v, max) > 0 ? v : max), null);
}

/** What the task is told to do, from its environment (the state machine's container overrides). */
export interface BatchEnvironment {
  readonly runId: string;
  readonly batchId: string;
  readonly schemas: readonly string[];
  /** Where the results go: `s3://<resultsBucket>/<runId>/<batchId>.json`. */
  readonly resultsBucket: string;
}

/** The environment variables the state machine sets on the runner container. */
export const BATCH_ENVIRONMENT = {
  runId: "MIGRATION_RUN_ID",
  batchId: "MIGRATION_BATCH_ID",
  schemas: "MIGRATION_SCHEMAS",
  resultsBucket: "MIGRATION_RESULTS_BUCKET",
} as const;

const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;
const BATCH_ID = /^[A-Za-z0-9][A-Za-z0-9_-]{0,62}$/;

/** Reads and checks the batch from the environment; throws one error naming every bad variable. */
export function parseBatchEnvironment(env: Readonly<Record<string, string | undefined>>): BatchEnvironment {
  const problems: string[] = [];
  const read = (name: string, pattern: RegExp, expected: string): string => {
    const value = env[name];
    if (value === undefined || !pattern.test(value)) {
      problems.push(`${name}: expected ${expected}, got ${value === undefined ? "nothing" : JSON.stringify(value)}`);
    }
    return value ?? "";
  };
  const runId = read(BATCH_ENVIRONMENT.runId, RUN_ID_PATTERN, "the run id (letters, digits, - and _)");
  const batchId = read(BATCH_ENVIRONMENT.batchId, BATCH_ID, "the batch id (letters, digits, - and _)");
  const resultsBucket = read(
    BATCH_ENVIRONMENT.resultsBucket,
    /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/,
    "an S3 bucket name",
  );
  const list = env[BATCH_ENVIRONMENT.schemas];
  const schemas = list === undefined || list === "" ? [] : list.split(",");
  if (schemas.length === 0 || schemas.some((s) => !SCHEMA_NAME.test(s)) || new Set(schemas).size !== schemas.length) {
    problems.push(
      `${BATCH_ENVIRONMENT.schemas}: expected the batch's schema names, comma-separated, each once, got ${list === undefined ? "nothing" : JSON.stringify(list)}`,
    );
  }
  if (problems.length > 0) {
    throw new Error(`the migration task was started without its batch:\n${problems.map((p) => `  - ${p}`).join("\n")}`);
  }
  return { runId, batchId, schemas, resultsBucket };
}

/** The results object's key: one per batch and run, so a retried batch overwrites only its own. */
export function resultsKey(runId: string, batchId: string): string {
  return `${runId}/${batchId}.json`;
}

/**
 * Flyway's failure, for a tenant's result, from what the CLI printed: the `ERROR:` block Flyway ends with
 * (its message and the SQL state / statement lines after it), else the last lines. Whitespace collapsed so the
 * cut to TENANT_ERROR_MAX_CHARS keeps as much message as it can.
 */
export function flywayErrorMessage(output: string, exitCode: number | null): string {
  const lines = output.split(/\r?\n/);
  const start = lines.findIndex((l) => /^ERROR:/.test(l));
  const picked = start >= 0 ? lines.slice(start) : lines.filter((l) => l.trim() !== "").slice(-5);
  const text = picked.join(" ").replace(/\s+/g, " ").trim();
  return text === "" ? `flyway exited with ${exitCode ?? "a signal"} and printed nothing` : text;
}
