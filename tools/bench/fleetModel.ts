/**
 * The modelled wall time of a fleet migration on AWS, from the run's plan (components/tenant-migrations/waves.ts)
 * and a measured per-schema database time. Pure, so the arithmetic is tested (tests/tools/fleetModel.test.ts) and
 * the bench only supplies the measurement.
 *
 * A run is stages one after another (the canary, then each wave); the batches of a stage run at once, so a stage
 * lasts as long as its largest batch. A batch is one Fargate task: it starts, then runs one `flyway migrate`
 * (a fresh JVM) per schema, reading the schema's version before and after on a short connection of its own,
 * then uploads its results; Step Functions notices the task stopped and moves on.
 */
import type { FleetRunPlan } from "../../components/tenant-migrations/waves";

export interface FleetAssumptions {
  /** RunTask to the container running: ENI, image pull, start. */
  readonly taskStartMs: number;
  /** One `flyway migrate` process: JVM start, Flyway's own start, connect, validate; the SQL excluded. */
  readonly flywayStartMs: number;
  /** One short PostgreSQL connection with TLS and a query (the runner's version reads: two per schema). */
  readonly connectionMs: number;
  /** One round trip from the task to RDS in the same VPC. */
  readonly roundTripMs: number;
  /** Per stage: the `.sync` integration noticing the stopped task, the results read, state transitions. */
  readonly stageOverheadMs: number;
}

export interface FleetModelInput {
  readonly plan: FleetRunPlan;
  /** Database time of one schema's migrate, measured (loopback: no network in it). */
  readonly schemaDbMs: number;
  /** Round trips of one schema's migrate (statements, history reads, locks, the callback). */
  readonly schemaRoundTrips: number;
  readonly assumptions: FleetAssumptions;
}

export interface FleetModel {
  /** One schema inside a batch: Flyway's start, two version reads, the database time and the round trips. */
  readonly perSchemaMs: number;
  /** Stages: the canary (when it has batches) and the waves. */
  readonly stages: number;
  /** Fargate tasks the run starts: one per batch. */
  readonly tasks: number;
  readonly wallMs: number;
}

export function modelFleetRun(input: FleetModelInput): FleetModel {
  const a = input.assumptions;
  const perSchemaMs = a.flywayStartMs + 2 * a.connectionMs + input.schemaDbMs + input.schemaRoundTrips * a.roundTripMs;
  const stages = [...(input.plan.canary.length > 0 ? [input.plan.canary] : []), ...input.plan.waves];
  const wallMs = stages.reduce(
    (sum, stage) =>
      sum + a.taskStartMs + a.stageOverheadMs + Math.max(...stage.map((b) => b.schemas.length)) * perSchemaMs,
    0,
  );
  return { perSchemaMs, stages: stages.length, tasks: stages.reduce((n, s) => n + s.length, 0), wallMs };
}
