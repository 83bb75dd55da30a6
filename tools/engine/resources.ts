import { stableHex } from "./ids";
import { ModelContext, State } from "./model";
import { MODELS } from "./models";

export { stableHex, stableUuid } from "./ids";

/**
 * What the cloud would answer when a resource is created: its id and the computed properties the program reads
 * (ARNs, DNS names, autonamed names, `tagsAll`). Formats follow the real AWS ones so that code parsing an ARN or
 * an id works offline exactly as it does against AWS. Everything is derived from the resource's type and name,
 * so two runs of the same program produce the same plan.
 */

export interface CloudContext {
  readonly account: string;
  readonly region: string;
  readonly partition: string;
  /** Provider default tags, merged into `tagsAll` like the AWS provider does. */
  readonly defaultTags: Readonly<Record<string, string>>;
  /** Distinguishes the ids of one stack from another's (e.g. `saas/dev`). */
  readonly seed?: string;
}

/**
 * The generic model: an id derived from the name, and an ARN `arn:<partition>:<service>:<region>:<account>:<name>`
 * where the service is the type's module. Good enough for a resource nobody parses.
 */
function genericState(ctx: ModelContext): { id: string; state: State } {
  const module = ctx.type.split(":")[1]?.split("/")[0] ?? "unknown";
  const id = `${ctx.name}-${ctx.hex(8)}`;
  return { id, state: { arn: ctx.arn(module, `${module}/${id}`) } };
}

/** Answer for a new custom resource: its id and state (inputs plus computed properties). */
export function createResource(
  cloud: CloudContext,
  type: string,
  name: string,
  inputs: State,
): { id: string; state: State } {
  const model = MODELS[type];
  const seed = `${cloud.seed ?? ""}::${type}::${name}`;
  const filled: State = { ...inputs };
  const unnamed =
    model?.autoname && (filled[model.autoname.property] === undefined || filled[model.autoname.property] === "");
  // The provider's own prefix naming (`namePrefix`, or `bucketPrefix` for a bucket): the prefix and a 26-digit
  // unique id (terraform's PrefixedUniqueId).
  const prefixProperty = model?.autoname?.property === "bucket" ? "bucketPrefix" : "namePrefix";
  if (model?.autoname && unnamed && typeof filled[prefixProperty] === "string") {
    filled[model.autoname.property] = `${String(filled[prefixProperty])}${BigInt(`0x${stableHex(seed, 20)}`)
      .toString()
      .padStart(26, "0")
      .slice(0, 26)}`;
  } else if (model?.autoname && unnamed) {
    const suffix = stableHex(seed, 7);
    let base = name;
    if (model.autoname.lowercase) {
      base = base.toLowerCase();
    }
    const max = model.autoname.maxLength ?? 255;
    filled[model.autoname.property] = `${base.slice(0, Math.max(1, max - 8))}-${suffix}`;
  }
  const ctx: ModelContext = {
    ...cloud,
    type,
    name,
    inputs: filled,
    hex: (length) => stableHex(seed, length),
    arn: (service, resource, opts) =>
      `arn:${cloud.partition}:${service}:${opts?.region ?? cloud.region}:${opts?.account ?? cloud.account}:${resource}`,
  };
  const generic = model ? undefined : genericState(ctx);
  const id = model ? model.id(ctx) : generic!.id;
  const computed = model?.state ? model.state(ctx) : (generic?.state ?? {});
  const state: State = { ...filled, ...dropUndefined(computed) };
  if (inputs.tags !== undefined || Object.keys(cloud.defaultTags).length > 0) {
    const tags = (inputs.tags as Record<string, string> | undefined) ?? {};
    if (inputs.tags !== undefined || isLikelyTaggable(type)) {
      state.tagsAll = { ...cloud.defaultTags, ...tags };
    }
  }
  return { id, state };
}

function dropUndefined(state: State): State {
  return Object.fromEntries(Object.entries(state).filter(([, v]) => v !== undefined));
}

/** Types whose schema has `tags`; only matters for resources created without tags of their own. */
function isLikelyTaggable(type: string): boolean {
  const kind = type.split(":").pop() ?? "";
  return (
    type in MODELS && !["Route", "RouteTableAssociation", "RolePolicy", "RolePolicyAttachment", "Alias"].includes(kind)
  );
}
