import type { ResourceValidationArgs } from "@pulumi/policy";
import { resourcePolicy } from "../../lib/definePolicy";
import { asArray, asObject, asString, parseJsonish, Props } from "../../lib/props";
import { TAGGABLE_TYPES } from "../../lib/taggableTypes";

export const DEFAULT_REQUIRED_TAGS: readonly string[] = ["Environment", "Project", "Owner", "CostCenter", "ManagedBy"];

interface Config {
  readonly requiredTags?: readonly string[];
}

/** Tag map from `{ Key: value }` or the list form some resources use (`[{ key, value }]`, e.g. autoscaling groups). */
function tagMap(value: unknown): Record<string, string> {
  const parsed = parseJsonish(value);
  if (Array.isArray(parsed)) {
    return Object.fromEntries(
      asArray(parsed).flatMap((t) => {
        const o = asObject(t);
        const k = asString(o?.key);
        return k ? [[k, String(o?.value ?? "")]] : [];
      }),
    );
  }
  const obj = asObject(parsed) ?? {};
  return Object.fromEntries(Object.entries(obj).map(([k, v]) => [k, typeof v === "string" ? v : String(v ?? "")]));
}

/**
 * Generated list first; otherwise a provider resource (its type module has a `/`, e.g. `aws:ec2/vpc:Vpc`, unlike
 * component types such as `saas:network:Network`) that carries `tags` or `tagsAll`.
 */
function isTaggable(type: string, props: Props): boolean {
  if (TAGGABLE_TYPES.has(type)) return true;
  const isProviderResource = (type.split(":")[1] ?? "").includes("/");
  return isProviderResource && ("tags" in props || "tagsAll" in props);
}

/**
 * Provider default tags. Provider inputs may arrive JSON-encoded (the engine serialises nested provider
 * config), so both `{ tags }` objects and strings are read.
 */
function providerTags(args: ResourceValidationArgs): Record<string, string> {
  const providerProps = asObject(args.provider?.props) ?? {};
  return tagMap(asObject(parseJsonish(providerProps.defaultTags))?.tags);
}

/**
 * Protects: cost attribution and ownership. Every taggable resource must carry the required tags (non-empty),
 * counting the resource's `tags`, its `tagsAll` where the engine reports it, and the provider's `defaultTags`.
 * Taggable means: the type is in the list generated from @pulumi/aws (every resource whose Args have `tags`,
 * see policy/scripts/generateTaggableTypes.ts), or a provider resource of another package has a `tags`/`tagsAll`
 * property. Components are not tagged themselves: their children are.
 * Severity: medium.
 */
export const requireCostTags = resourcePolicy<Config>({
  name: "tagging-required-cost-tags",
  description: "Taggable resources must carry the required cost tags.",
  severity: "medium",
  types: "*",
  config: {
    requiredTags: {
      type: "array",
      items: { type: "string", minLength: 1 },
      default: [...DEFAULT_REQUIRED_TAGS],
      description: "Tag keys every taggable resource must have (directly or via provider defaultTags).",
    },
  },
  validate: (props: Props, args, report, config) => {
    if (!isTaggable(args.type, props)) return;
    const tags = { ...providerTags(args), ...tagMap(props.tagsAll), ...tagMap(props.tags) };
    const missing = (config.requiredTags ?? DEFAULT_REQUIRED_TAGS).filter((k) => !tags[k]);
    if (missing.length > 0)
      report(`Missing required tags ${missing.join(", ")}; add them to tags or to the provider's defaultTags.`);
  },
});
