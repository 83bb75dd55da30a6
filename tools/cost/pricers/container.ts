/** Pricers of ECS services on Fargate, clusters and ECR repositories. */
import type { PlannedResource } from "../../engine/types";
import { Pricer, EstimateContext, str, num, bool, arr, obj, plural } from "../context";
import { addPublicIpv4 } from "./network";

/** Task-level cpu is CPU units ("256") or a string such as "0.25 vCPU". */
export function parseVcpu(value: unknown): number | undefined {
  const units = num(value);
  if (units !== undefined) return units / 1024;
  const match = /^\s*([\d.]+)\s*vcpu\s*$/i.exec(String(value ?? ""));
  return match ? Number(match[1]) : undefined;
}

/** Task-level memory is MiB ("512") or a string such as "1 GB". */
export function parseMemoryGb(value: unknown): number | undefined {
  const mib = num(value);
  if (mib !== undefined) return mib / 1024;
  const match = /^\s*([\d.]+)\s*gb\s*$/i.exec(String(value ?? ""));
  return match ? Number(match[1]) : undefined;
}

/**
 * The service's `taskDefinition` input is the task definition's ARN (or `family[:revision]`); the engine's mocks
 * give every task definition an `arn` output, so the match is exact in the plan. The dependency fallback covers
 * a program that passes the family name of a task definition it also creates.
 */
function findTaskDefinition(service: PlannedResource, ctx: EstimateContext): PlannedResource | undefined {
  const TD = "aws:ecs/taskDefinition:TaskDefinition";
  const taskDefs = ctx.resources.filter((r) => r.type === TD);
  const ref = str(service.inputs.taskDefinition);
  if (ref) {
    const exact = taskDefs.find((td) => td.outputs.arn === ref);
    if (exact) return exact;
    const family = ref.replace(/^.*:task-definition\//, "").replace(/:\d+$/, "");
    const byFamily = taskDefs.find((td) => (str(td.outputs.family) ?? str(td.inputs.family)) === family);
    if (byFamily) return byFamily;
  }
  const deps = taskDefs.filter((td) => service.dependencies.includes(td.urn));
  return deps.length === 1 ? deps[0] : undefined;
}

function fargateLaunch(service: PlannedResource, taskDef: PlannedResource): { fargate: boolean; note?: string } {
  const launchType = str(service.inputs.launchType);
  const providers = arr(service.inputs.capacityProviderStrategies).map((s) => str(obj(s).capacityProvider));
  if (providers.includes("FARGATE_SPOT")) {
    return { fargate: true, note: "FARGATE_SPOT priced at the on-demand rate: the Spot discount varies" };
  }
  if (launchType === "FARGATE" || providers.includes("FARGATE")) return { fargate: true };
  if (launchType || providers.length > 0) return { fargate: false };
  const requires = arr(taskDef.inputs.requiresCompatibilities);
  return requires.includes("FARGATE")
    ? { fargate: true, note: "no launch type set: priced as Fargate because the task definition requires FARGATE" }
    : { fargate: false };
}

const priceEcsService: Pricer = (r, ctx) => {
  const taskDef = findTaskDefinition(r, ctx);
  if (!taskDef) {
    ctx.unpriced(r.type, `task definition ${str(r.inputs.taskDefinition) ?? "(none)"} not found in the plan`);
    return;
  }
  const launch = fargateLaunch(r, taskDef);
  if (!launch.fargate) {
    // EC2 and EXTERNAL capacity is billed on the instances, which are separate resources.
    ctx.free(r.type);
    return;
  }
  const platform = obj(taskDef.inputs.runtimePlatform);
  if ((str(platform.operatingSystemFamily) ?? "LINUX") !== "LINUX") {
    ctx.unpriced(r.type, `Fargate ${str(platform.operatingSystemFamily)} is not in the table`);
    return;
  }
  const vcpu = parseVcpu(taskDef.inputs.cpu);
  const memoryGb = parseMemoryGb(taskDef.inputs.memory);
  if (vcpu === undefined || memoryGb === undefined) {
    ctx.unpriced(r.type, `task definition ${taskDef.name} has no task-level cpu and memory`);
    return;
  }
  const arm = str(platform.cpuArchitecture) === "ARM64";
  const prices = ctx.prices(r).fargate;
  const rates = arm ? prices.arm64 : prices.x86_64;
  const desired = num(r.inputs.desiredCount);
  const tasks = desired ?? 0;
  const notes = [
    desired === undefined ? "desiredCount not set: provider default 0" : `${plural(tasks, "task")}`,
    "autoscaling beyond desiredCount is not priced",
    launch.note,
  ].filter(Boolean);
  const arch = arm ? "Linux/ARM64" : "Linux/x86_64";
  const label = `Fargate service ${r.name}`;
  ctx.add(r, {
    resource: `${label}: ${vcpu} vCPU (${arch})`,
    quantity: vcpu * tasks * ctx.hours,
    unit: "vCPU-hours",
    unitPriceUsd: rates.usdPerVcpuHour,
    note: notes.join("; "),
  });
  ctx.add(r, {
    resource: `${label}: ${memoryGb} GB memory (${arch})`,
    quantity: memoryGb * tasks * ctx.hours,
    unit: "GB-hours",
    unitPriceUsd: rates.usdPerGbHour,
  });
  const ephemeral = num(obj(taskDef.inputs.ephemeralStorage).sizeInGib);
  const extraGb = (ephemeral ?? 0) - ctx.global.fargateFreeEphemeralStorageGb;
  if (extraGb > 0) {
    ctx.add(r, {
      resource: `${label}: ephemeral storage above ${ctx.global.fargateFreeEphemeralStorageGb} GB`,
      quantity: extraGb * tasks * ctx.hours,
      unit: "GB-hours",
      unitPriceUsd: prices.usdPerEphemeralGbHour,
    });
  }
  if (bool(obj(r.inputs.networkConfiguration).assignPublicIp) && tasks > 0) {
    addPublicIpv4(r, ctx, `${label}: public IPv4`, tasks, "assignPublicIp: one public IPv4 per task");
  }
};

const priceEcsCluster: Pricer = (r, ctx) => {
  const insights = arr(r.inputs.settings)
    .map(obj)
    .find((s) => s.name === "containerInsights");
  const mode = str(insights?.value);
  if (mode === "enabled" || mode === "enhanced") {
    ctx.unpriced(r.type, `Container Insights (${mode}) bills CloudWatch metrics and logs by volume`);
  } else {
    ctx.free(r.type);
  }
};

const priceEcrRepository: Pricer = (r, ctx) => {
  const gb = ctx.assumptions.ecrGbStoredPerRepository.value;
  ctx.add(r, {
    resource: `ECR repository ${r.name}`,
    quantity: gb,
    unit: "GB-months",
    unitPriceUsd: ctx.prices(r).ecr.usdPerGbMonth,
    note: `assumed ${gb} GB stored (assumptions.ecrGbStoredPerRepository)`,
  });
};

export const CONTAINER_PRICERS: Readonly<Record<string, Pricer>> = {
  "aws:ecs/service:Service": priceEcsService,
  "aws:ecs/cluster:Cluster": priceEcsCluster,
  "aws:ecr/repository:Repository": priceEcrRepository,
};
