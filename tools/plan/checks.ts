import * as fs from "fs";
import * as path from "path";
import { PackConfig, PolicyResource, runPolicies } from "../../policy/run";
import { CostEstimate, estimateCost } from "../cost/estimate";
import { PlanRun, REPO_ROOT } from "../engine/run";
import { PlannedResource, Violation } from "../engine/types";

/**
 * What the plan runs over a finished program run: the CrossGuard pack (the same policies `pulumi preview
 * --policy-pack policy` runs) and the cost estimate.
 */

/** The pack config the plan and CI both use (`pulumi preview --policy-pack-config policy/config.json`). */
export const PACK_CONFIG_PATH = path.join(REPO_ROOT, "policy", "config.json");

export function loadPackConfig(file = PACK_CONFIG_PATH): PackConfig | undefined {
  if (!fs.existsSync(file)) {
    return undefined;
  }
  return JSON.parse(fs.readFileSync(file, "utf8")) as PackConfig;
}

/** Properties that the provider fills in at `Check` (autonaming): the engine sees them in a real preview. */
const AUTONAMED = ["name", "bucket", "identifier", "namePrefix"];

/** The arguments the Pulumi engine gives a policy for each resource: type, props, urn, name, options, provider. */
export function policyResources(run: PlanRun): PolicyResource[] {
  const providers = new Map<string, { urn: string; type: string; name: string; props: Record<string, unknown> }>();
  for (const p of run.defaultProviders) {
    providers.set(p.urn, { urn: p.urn, type: p.type, name: p.name, props: p.inputs });
  }
  for (const r of run.resources.filter((r) => r.type.startsWith("pulumi:providers:"))) {
    providers.set(r.urn, { urn: r.urn, type: r.type, name: r.name, props: r.inputs });
  }
  const providerOf = (r: PlannedResource) => {
    if (!r.provider) {
      return undefined;
    }
    // A provider reference is `<urn>::<id>`; the URN itself contains `::`.
    return providers.get(r.provider.slice(0, r.provider.lastIndexOf("::")));
  };
  return run.resources.map((r) => {
    const props: Record<string, unknown> = { ...r.inputs };
    for (const key of AUTONAMED) {
      if (props[key] === undefined && r.outputs[key] !== undefined && r.custom) {
        props[key] = r.outputs[key];
      }
    }
    return {
      urn: r.urn,
      type: r.type,
      name: r.name,
      props,
      parent: r.parent,
      dependencies: r.dependencies,
      provider: providerOf(r),
      options: { protect: r.options.protect },
    };
  });
}

export function policyViolations(run: PlanRun, config = loadPackConfig()): Violation[] {
  return runPolicies(policyResources(run), { stack: run.stack, config }).map((v) => ({
    policy: v.policy,
    level: v.level,
    message: v.message,
    urn: v.urn,
  }));
}

export function costEstimate(run: PlanRun): CostEstimate {
  return estimateCost(run.resources, { region: run.region });
}
