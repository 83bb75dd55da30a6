/**
 * The fleet run's plan: which tenant schemas go first (the canary), how they are grouped into batches (one
 * Fargate task migrates a batch, one schema after another) and into waves (the batches that run at once), and
 * how many batches may run at once within the migrator's share of the connection budget. Pure: the state
 * machine's execution input, `npm run migrate --dry-run` and the offline plan all come from `planFleetRun`,
 * through `tenantRunPlan` for a stack's tenants.
 */
import { tenantSchemaName } from "../tenant-schemas/model";

export interface MigrationBatch {
  /** Unique within a run, S3-key safe: the batch's results land at `<runId>/<batchId>.json`. */
  readonly batchId: string;
  /** Schemas one migration task migrates, in this order, one Flyway run each. */
  readonly schemas: readonly string[];
}

export interface FleetRunPlan {
  /** Run first; any failure stops the run before the first wave. */
  readonly canary: readonly MigrationBatch[];
  /** One after another; the batches of a wave run at once, and a failure in a wave stops the waves after it. */
  readonly waves: readonly (readonly MigrationBatch[])[];
  /** Batches that run at once: the most batches in a wave. */
  readonly concurrency: number;
  /** Schemas per batch (the last batch of the canary and of the fleet may hold fewer). */
  readonly batchSize: number;
}

/**
 * Connections one Flyway 10.22 `migrate` holds at most: its main connection (schema history table and advisory
 * lock), the migration connection the SQL runs on, and the event connection it opens while SQL callbacks such as
 * `afterMigrate` run (as tests/integration/support/flyway.ts reads Flyway 10.22.0's source; not re-read here).
 * The batch runner runs one Flyway at a time and opens its own version-reading connection only while Flyway is
 * not running, so a batch never holds more than this.
 */
export const FLYWAY_CONNECTIONS_PER_RUN = 3;

/**
 * Most iterations an inline Map state runs at once: "Inline Map ... supports up to 40 concurrent iterations"
 * (AWS Step Functions Developer Guide, "Using Map state in Inline mode"). More batches per wave would queue
 * inside the Map anyway, and the wave would no longer be the unit the budget was computed for.
 */
export const MAP_MAX_CONCURRENCY = 40;

/**
 * Most schemas in one batch. The schemas go to the task in its container overrides, and RunTask refuses
 * overrides over 8192 characters ("A total of 8192 characters are allowed for overrides. This limit includes the
 * JSON formatting characters of the override structure", Amazon ECS API Reference, RunTask `overrides`). 100
 * schemas of the longest tenant name (63 characters) plus separators is 6,400 characters: inside the limit with
 * room for the override's own JSON. It also caps what one task failure can leave unknown.
 */
export const MAX_BATCH_SIZE = 100;
/** The RunTask overrides limit; tests/tenant-migrations/definition.test.ts renders the largest batch's override. */
export const MAX_OVERRIDE_CHARS = 8192;

/**
 * Schemas per batch unless the run says otherwise: 25 Flyway runs of a few seconds each (JVM start, validate,
 * nothing or a small migration) keep a task to a few minutes, so a task start (~1 minute on Fargate) is paid
 * once per 25 tenants, and a batch that fails leaves at most 25 tenants to look at.
 */
export const DEFAULT_BATCH_SIZE = 25;

/** PostgreSQL's identifier limit (NAMEDATALEN - 1) and the characters the tenant model allows. */
const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

function show(value: unknown): string {
  if (value === undefined) return "undefined";
  return JSON.stringify(value) ?? String(value);
}

function isPositiveInteger(value: unknown): value is number {
  return typeof value === "number" && Number.isInteger(value) && value >= 1;
}

/** Throws one error listing every problem, so a caller fixes them all at once. */
function fail(what: string, problems: readonly string[]): never {
  throw new Error(`${what}: invalid input:\n${problems.map((p) => `  - ${p}`).join("\n")}`);
}

/**
 * How many batches may run at once within the migrator's connection share: one Flyway run per batch at a time,
 * each holding `connectionsPerRun`, capped at what an inline Map runs at once. Pure.
 */
export function migrationConcurrency(input: { migratorConnections: number; connectionsPerRun?: number }): number {
  const perRun = input.connectionsPerRun ?? FLYWAY_CONNECTIONS_PER_RUN;
  const problems: string[] = [];
  if (!isPositiveInteger(input.migratorConnections)) {
    problems.push(
      `migratorConnections: expected a whole number of connections ≥ 1, got ${show(input.migratorConnections)}`,
    );
  }
  if (!isPositiveInteger(perRun)) {
    problems.push(
      `connectionsPerRun: expected a whole number of connections ≥ 1, got ${show(input.connectionsPerRun)}`,
    );
  }
  if (problems.length === 0 && input.migratorConnections < perRun) {
    problems.push(
      `migratorConnections: ${input.migratorConnections} cannot hold one Flyway run (${perRun} connections); ` +
        `raise the migrator's share of the connection budget to at least ${perRun}`,
    );
  }
  if (problems.length > 0) fail("migrationConcurrency", problems);
  return Math.min(Math.floor(input.migratorConnections / perRun), MAP_MAX_CONCURRENCY);
}

function chunk<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

export interface PlanFleetRunInput {
  /** Every schema to migrate, in the order to migrate them (the stack's tenants, or those `--tenants` names). */
  readonly schemas: readonly string[];
  /**
   * Schemas migrated first, alone; each must be among `schemas`. An empty list runs no canary.
   * @default - the first schema
   */
  readonly canary?: readonly string[];
  /** Schemas per batch (per migration task), 1 to MAX_BATCH_SIZE. */
  readonly batchSize: number;
  /** Batches at once (from `migrationConcurrency`), 1 to MAP_MAX_CONCURRENCY. */
  readonly concurrency: number;
}

/**
 * The run: the canary schemas in batches of `batchSize`, then the rest, in their order, in batches of
 * `batchSize`, `concurrency` batches per wave. Batch ids are `canary-<n>` and `wave-<w>-<n>`, counted from 1.
 * An empty `schemas` is a run with nothing to do.
 */
export function planFleetRun(input: PlanFleetRunInput): FleetRunPlan {
  const problems: string[] = [];
  if (!isPositiveInteger(input.batchSize) || input.batchSize > MAX_BATCH_SIZE) {
    problems.push(`batchSize: expected a whole number from 1 to ${MAX_BATCH_SIZE}, got ${show(input.batchSize)}`);
  }
  if (!isPositiveInteger(input.concurrency) || input.concurrency > MAP_MAX_CONCURRENCY) {
    problems.push(
      `concurrency: expected a whole number from 1 to ${MAP_MAX_CONCURRENCY}, got ${show(input.concurrency)}`,
    );
  }
  const schemas = Array.isArray(input.schemas) ? input.schemas : [];
  if (!Array.isArray(input.schemas)) {
    problems.push(`schemas: expected a list of schema names, got ${show(input.schemas)}`);
  }
  const seen = new Set<string>();
  for (const [i, s] of schemas.entries()) {
    if (typeof s !== "string" || !SCHEMA_NAME.test(s)) {
      problems.push(
        `schemas[${i}]: expected a schema name (lower-case letters, digits and _, at most 63), got ${show(s)}`,
      );
    } else if (seen.has(s)) {
      problems.push(`schemas[${i}]: ${show(s)} is listed twice; each schema is migrated once per run`);
    }
    seen.add(s);
  }
  const canary = input.canary ?? schemas.slice(0, 1);
  if (!Array.isArray(canary)) {
    problems.push(`canary: expected a list of schema names, got ${show(input.canary)}`);
  } else {
    const inCanary = new Set<string>();
    for (const [i, s] of canary.entries()) {
      if (!seen.has(s)) {
        problems.push(`canary[${i}]: ${show(s)} is not among the schemas to migrate`);
      } else if (inCanary.has(s)) {
        problems.push(`canary[${i}]: ${show(s)} is listed twice`);
      }
      inCanary.add(s);
    }
  }
  if (problems.length > 0) fail("planFleetRun", problems);

  const canarySet = new Set(canary);
  const rest = schemas.filter((s) => !canarySet.has(s));
  const canaryBatches = chunk(canary, input.batchSize).map((b, i) => ({ batchId: `canary-${i + 1}`, schemas: b }));
  const waves = chunk(chunk(rest, input.batchSize), input.concurrency).map((wave, w) =>
    wave.map((b, i) => ({ batchId: `wave-${w + 1}-${i + 1}`, schemas: b })),
  );
  return { canary: canaryBatches, waves, concurrency: input.concurrency, batchSize: input.batchSize };
}

export interface TenantRunPlanInput {
  /** The stack's tenant ids, in config order (suspended ones too: their schemas stay and are migrated). */
  readonly tenantIds: readonly string[];
  /** Tenant ids migrated first, alone (saas:tenantMigrationCanary); empty: the first tenant. */
  readonly canary: readonly string[];
  /**
   * Only these tenants (`npm run migrate --tenants`); each must be among `tenantIds`. The run keeps config order,
   * and its canary is the first one named here: `canary` is not used.
   * @default - every tenant, `canary` first
   */
  readonly only?: readonly string[];
  /** The migrator's share of the connection budget (saas:databaseMigratorConnections). */
  readonly migratorConnections: number;
  /** @default DEFAULT_BATCH_SIZE */
  readonly batchSize?: number;
}

/**
 * A stack's run from its tenants: the one rule `npm run migrate` (tools/migrate/migrate.ts) and the offline plan
 * (the `tenantMigrationWaves` output, stacks/platform.ts) both apply. The canary is `canary` (the first tenant
 * when it is empty), or under `only` the first tenant named there; the rest go in waves as `planFleetRun` makes
 * them, `migrationConcurrency` batches at once. Pure; throws naming the bad input.
 */
export function tenantRunPlan(input: TenantRunPlanInput): FleetRunPlan {
  const problems: string[] = [];
  const known = new Set(input.tenantIds);
  for (const [what, ids] of [
    ["canary", input.canary],
    ["only", input.only ?? []],
  ] as const) {
    for (const [i, id] of ids.entries()) {
      if (!known.has(id))
        problems.push(`${what}[${i}]: ${show(id)} is not among the tenants (${show(input.tenantIds)})`);
    }
  }
  if (input.only !== undefined && input.only.length === 0) {
    problems.push("only: expected at least one tenant id, or no `only` to migrate every tenant");
  }
  if (problems.length > 0) fail("tenantRunPlan", problems);
  const only = input.only;
  const selected = only === undefined ? input.tenantIds : input.tenantIds.filter((id) => only.includes(id));
  const canary = only !== undefined ? [only[0]] : input.canary.length > 0 ? input.canary : selected.slice(0, 1);
  return planFleetRun({
    schemas: selected.map(tenantSchemaName),
    canary: canary.map(tenantSchemaName),
    batchSize: input.batchSize ?? DEFAULT_BATCH_SIZE,
    concurrency: migrationConcurrency({ migratorConnections: input.migratorConnections }),
  });
}
