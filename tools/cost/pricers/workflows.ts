/**
 * Pricer of the tenant fleet migration: the Step Functions state machine's state transitions and the Fargate
 * time of its migration tasks, for `fleetMigrationRunsPerMonth` full runs of the run the plan shows (the
 * FleetMigrator component's `plannedRun`, every configured tenant).
 */
import type { PlannedResource } from "../../engine/types";
import { Pricer, str, obj, arr } from "../context";
import { parseMemoryGb, parseVcpu } from "./container";
import { fleetRunTransitions } from "../../../components/tenant-migrations/definition";

interface PlannedRun {
  readonly canary: readonly { readonly schemas: readonly string[] }[];
  readonly waves: readonly (readonly { readonly schemas: readonly string[] }[])[];
}

/** The TaskDefinition every batch runs, read from the definition's RunTask state. */
function taskDefinitionOf(definition: unknown): string | undefined {
  if (Array.isArray(definition)) {
    for (const d of definition) {
      const found = taskDefinitionOf(d);
      if (found) return found;
    }
    return undefined;
  }
  if (definition === null || typeof definition !== "object") return undefined;
  const record = definition as Record<string, unknown>;
  if (record.Resource === "arn:aws:states:::ecs:runTask.sync") return str(obj(record.Arguments).TaskDefinition);
  for (const v of Object.values(record)) {
    const found = taskDefinitionOf(v);
    if (found) return found;
  }
  return undefined;
}

const priceStateMachine: Pricer = (r, ctx) => {
  const parent = ctx.resources.find((p) => p.urn === r.parent);
  const planned = parent?.inputs.plannedRun as PlannedRun | undefined;
  if (!planned || !Array.isArray(planned.canary) || !Array.isArray(planned.waves)) {
    ctx.unpriced(r.type, "no planned run: the state machine's component does not say what a run migrates");
    return;
  }
  const runs = ctx.assumptions.fleetMigrationRunsPerMonth.value;
  const transitions = fleetRunTransitions(planned);
  const type = str(r.inputs.type) ?? "STANDARD";
  if (type !== "STANDARD") {
    ctx.unpriced(r.type, `${type} workflows are billed by request and duration, not in the table`);
    return;
  }
  ctx.add(r, {
    resource: `Step Functions state machine ${r.name}: state transitions`,
    quantity: (transitions * runs) / 1000,
    unit: "1k transitions",
    unitPriceUsd: ctx.prices(r).stepFunctions.usdPer1kStandardTransitions,
    note: `${transitions} transitions per run × ${runs} runs (assumptions.fleetMigrationRunsPerMonth); the 4,000 free transitions are not subtracted`,
  });

  let definition: unknown;
  try {
    definition = JSON.parse(str(r.inputs.definition) ?? "");
  } catch {
    definition = undefined;
  }
  const ref = taskDefinitionOf(definition);
  const taskDef = ctx.resources.find(
    (t: PlannedResource) => t.type === "aws:ecs/taskDefinition:TaskDefinition" && t.outputs.arn === ref,
  );
  if (!taskDef) {
    ctx.unpriced(r.type, `the migration task definition ${ref ?? "(none)"} is not in the plan`);
    return;
  }
  const vcpu = parseVcpu(taskDef.inputs.cpu);
  const memoryGb = parseMemoryGb(taskDef.inputs.memory);
  if (vcpu === undefined || memoryGb === undefined) {
    ctx.unpriced(r.type, `task definition ${taskDef.name} has no task-level cpu and memory`);
    return;
  }
  const start = ctx.assumptions.migrationTaskStartSeconds.value;
  const perSchema = ctx.assumptions.flywayRunSecondsPerSchema.value;
  const batches = [...planned.canary, ...planned.waves.flat()];
  // Fargate bills per second with a one-minute minimum per task.
  const taskSeconds = batches.reduce((sum, b) => sum + Math.max(60, start + arr(b.schemas).length * perSchema), 0);
  const hours = (taskSeconds * runs) / 3600;
  const arm = str(obj(taskDef.inputs.runtimePlatform).cpuArchitecture) === "ARM64";
  const rates = arm ? ctx.prices(r).fargate.arm64 : ctx.prices(r).fargate.x86_64;
  const arch = arm ? "Linux/ARM64" : "Linux/x86_64";
  const label = `Fargate migration tasks of ${r.name}`;
  const note =
    `${batches.length} task${batches.length === 1 ? "" : "s"} per run of ${start} s start ` +
    `(assumptions.migrationTaskStartSeconds) + ${perSchema} s per schema (assumptions.flywayRunSecondsPerSchema) × ${runs} runs`;
  ctx.add(r, {
    resource: `${label}: ${vcpu} vCPU (${arch})`,
    quantity: vcpu * hours,
    unit: "vCPU-hours",
    unitPriceUsd: rates.usdPerVcpuHour,
    note,
  });
  ctx.add(r, {
    resource: `${label}: ${memoryGb} GB memory (${arch})`,
    quantity: memoryGb * hours,
    unit: "GB-hours",
    unitPriceUsd: rates.usdPerGbHour,
  });
};

export const WORKFLOW_PRICERS: Readonly<Record<string, Pricer>> = {
  "aws:sfn/stateMachine:StateMachine": priceStateMachine,
};
