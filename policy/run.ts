/**
 * The offline policy runner: evaluates the pack (or any list of policies) against recorded resources without
 * constructing `PolicyPack`, which would start a gRPC server. `npm run plan` and the policy tests call it.
 *
 * It builds the same arguments the engine builds in @pulumi/policy's server.js (`ResourceValidationArgs`,
 * `StackValidationArgs`, `PolicyResource` with resolved parent and dependencies), resolves enforcement levels in
 * the engine's order (policy config, `all`, the policy's own level, the pack's level), applies config defaults
 * from each policy's `configSchema` (as the CLI does) and skips a check that reads an unknown value.
 *
 * One deliberate difference: the engine prefixes each message with the policy description; the runner returns
 * the message as reported, which is what the plan's JSON contract (`violations[].message`) carries.
 */
import {
  EnforcementLevel,
  PolicyResource as EnginePolicyResource,
  PolicyResourceOptions,
  ReportViolation,
  ResourceValidationArgs,
  ResourceValidationPolicy,
  StackValidationArgs,
  StackValidationPolicy,
  unknownCheckingProxy,
  UnknownValueError,
} from "@pulumi/policy";
import type { PolicyConfigJSONSchema } from "@pulumi/policy/schema";
import { PolicyException } from "./lib/definePolicy";
import { withStackName } from "./lib/stack";
import { PACK_ENFORCEMENT_LEVEL, policies as packPolicies } from "./policies";

/** A resource as recorded by the offline engine. */
export interface PolicyResource {
  readonly urn: string;
  readonly type: string;
  readonly name: string;
  readonly props: Record<string, unknown>;
  readonly parent?: string;
  readonly dependencies: string[];
  readonly provider?: {
    readonly urn: string;
    readonly type: string;
    readonly name: string;
    readonly props: Record<string, unknown>;
  };
  readonly options: { readonly protect: boolean };
}

/** One violation, in the plan's JSON contract. */
export interface PolicyViolation {
  readonly policy: string;
  readonly level: "mandatory" | "advisory";
  readonly message: string;
  readonly urn: string;
}

/** Per-policy config, as in `pulumi preview --policy-pack-config`: a level, or properties with an optional level. */
export type PolicyConfigValue = EnforcementLevel | ({ enforcementLevel?: EnforcementLevel } & Record<string, unknown>);

/** Pack config keyed by policy name; the key `all` sets the level of every policy. */
export type PackConfig = Readonly<Record<string, PolicyConfigValue>>;

export type AnyPolicy = ResourceValidationPolicy | StackValidationPolicy;

export interface RunOptions {
  /** Stack being planned; policies that depend on the stack (prod-only checks) read it. */
  readonly stack: string;
  readonly config?: PackConfig;
  /** @default - every policy in the pack (`policy/policies.ts`) */
  readonly policies?: readonly AnyPolicy[];
}

function isStackPolicy(p: AnyPolicy): p is StackValidationPolicy {
  return typeof (p as StackValidationPolicy).validateStack === "function";
}

// ---------------------------------------------------------------------------------------------------------------
// Config: defaults from the schema, overrides from the pack config, validated like the CLI validates it.
// ---------------------------------------------------------------------------------------------------------------

function typeOfJson(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "array";
  if (typeof value === "number") return Number.isInteger(value) ? "integer" : "number";
  return typeof value;
}

/** Validates `value` against the JSON-schema subset the pack's schemas use; returns every problem found. */
export function validateAgainstSchema(schema: PolicyConfigJSONSchema, value: unknown, path: string): string[] {
  const errors: string[] = [];
  if (schema.type) {
    const allowed = Array.isArray(schema.type) ? schema.type : [schema.type];
    const actual = typeOfJson(value);
    const ok = allowed.some((t) => t === actual || (t === "number" && actual === "integer"));
    if (!ok) return [`${path} must be ${allowed.join(" or ")}, got ${JSON.stringify(value)}`];
  }
  if (schema.enum && !schema.enum.some((e) => JSON.stringify(e) === JSON.stringify(value))) {
    errors.push(`${path} must be one of ${JSON.stringify(schema.enum)}, got ${JSON.stringify(value)}`);
  }
  if (typeof value === "string" && schema.minLength !== undefined && value.length < schema.minLength) {
    errors.push(`${path} must be at least ${schema.minLength} characters, got ${value.length}`);
  }
  if (typeof value === "number") {
    if (schema.minimum !== undefined && value < schema.minimum)
      errors.push(`${path} must be >= ${schema.minimum}, got ${value}`);
    if (schema.maximum !== undefined && value > schema.maximum)
      errors.push(`${path} must be <= ${schema.maximum}, got ${value}`);
  }
  if (Array.isArray(value) && schema.items && typeof schema.items === "object" && !Array.isArray(schema.items)) {
    const items = schema.items;
    value.forEach((v, i) => errors.push(...validateAgainstSchema(items, v, `${path}[${i}]`)));
  }
  if (typeof value === "object" && value !== null && !Array.isArray(value)) {
    const obj = value as Record<string, unknown>;
    for (const key of schema.required ?? []) if (obj[key] === undefined) errors.push(`${path}.${key} is required`);
    for (const [key, v] of Object.entries(obj)) {
      const sub = schema.properties?.[key];
      if (sub && typeof sub === "object") errors.push(...validateAgainstSchema(sub, v, `${path}.${key}`));
      else if (!sub && schema.additionalProperties === false) errors.push(`${path}.${key} is not a known property`);
    }
  }
  return errors;
}

interface ResolvedPolicy {
  readonly policy: AnyPolicy;
  readonly level: EnforcementLevel;
  readonly config: Record<string, unknown>;
}

function levelOf(value: PolicyConfigValue | undefined): EnforcementLevel | undefined {
  return typeof value === "string" ? value : value?.enforcementLevel;
}

function resolvePolicies(policies: readonly AnyPolicy[], packConfig: PackConfig): ResolvedPolicy[] {
  const errors: string[] = [];
  const names = new Set(policies.map((p) => p.name));
  for (const key of Object.keys(packConfig)) {
    if (key !== "all" && !names.has(key)) errors.push(`config.${key}: no policy named "${key}" in the pack`);
  }
  const resolved = policies.map((policy) => {
    const entry = packConfig[policy.name];
    const overrides: Record<string, unknown> = typeof entry === "object" ? { ...entry } : {};
    delete overrides.enforcementLevel;
    const config: Record<string, unknown> = {};
    const properties = policy.configSchema?.properties ?? {};
    for (const [key, schema] of Object.entries(properties)) {
      if (schema.default !== undefined) config[key] = structuredClone(schema.default);
    }
    Object.assign(config, overrides);
    errors.push(
      ...validateAgainstSchema(
        { type: "object", properties, required: policy.configSchema?.required, additionalProperties: false },
        config,
        `config.${policy.name}`,
      ),
    );
    const level = levelOf(entry) ?? levelOf(packConfig.all) ?? policy.enforcementLevel ?? PACK_ENFORCEMENT_LEVEL;
    return { policy, level, config };
  });
  if (errors.length > 0) throw new Error(`Invalid policy pack config:\n  ${errors.join("\n  ")}`);
  return resolved;
}

// ---------------------------------------------------------------------------------------------------------------
// Engine-shaped arguments.
// ---------------------------------------------------------------------------------------------------------------

type ResourceClass = { new (...rest: never[]): unknown; __pulumiType?: string; isInstance?: (o: unknown) => boolean };

/** Mirrors server.js `isTypeOf`: the class's `__pulumiType`, else its `isInstance`. */
function isTypeOf(type: string, resourceClass: ResourceClass): boolean {
  if (resourceClass.__pulumiType) return resourceClass.__pulumiType === type;
  return typeof resourceClass.isInstance === "function" && resourceClass.isInstance({ __pulumiType: type }) === true;
}

class NotApplicableError extends Error {}

function notApplicable(reason?: string): never {
  throw new NotApplicableError(reason ?? "Policy does not apply");
}

function optionsOf(r: PolicyResource): PolicyResourceOptions {
  return {
    protect: r.options.protect,
    ignoreChanges: [],
    aliases: [],
    customTimeouts: { createSeconds: 0, updateSeconds: 0, deleteSeconds: 0 },
    additionalSecretOutputs: [],
    ...(r.parent ? { parent: r.parent } : {}),
  };
}

function providerOf(r: PolicyResource): ResourceValidationArgs["provider"] {
  if (!r.provider) return undefined;
  return { ...r.provider, props: unknownCheckingProxy({ ...r.provider.props }) };
}

const NO_STACK_TAGS: ReadonlyMap<string, string> = new Map();

/** A deep-frozen copy: every policy sees the same props, and none can change what the next one sees. */
function frozenCopy<T>(value: T): T {
  const copy = structuredClone(value);
  const freeze = (v: unknown) => {
    if (v !== null && typeof v === "object" && !Object.isFrozen(v)) {
      Object.freeze(v);
      Object.values(v).forEach(freeze);
    }
  };
  freeze(copy);
  return copy;
}

function resourceArgs(
  r: PolicyResource,
  config: Record<string, unknown>,
  propsCache: Map<PolicyResource, Record<string, unknown>>,
): ResourceValidationArgs {
  let props = propsCache.get(r);
  if (!props) {
    props = unknownCheckingProxy(frozenCopy(r.props)) as Record<string, unknown>;
    propsCache.set(r, props);
  }
  const args: ResourceValidationArgs = {
    type: r.type,
    props,
    urn: r.urn,
    name: r.name,
    opts: optionsOf(r),
    stackTags: NO_STACK_TAGS,
    isType: (cls) => isTypeOf(r.type, cls as unknown as ResourceClass),
    asType: ((cls: ResourceClass) => (isTypeOf(r.type, cls) ? props : undefined)) as ResourceValidationArgs["asType"],
    getConfig: <T extends object>() => structuredClone(config) as T,
    notApplicable,
  };
  const provider = providerOf(r);
  if (provider) args.provider = provider;
  return args;
}

function stackResources(resources: readonly PolicyResource[]): EnginePolicyResource[] {
  const built = resources.map((r) => {
    const props = unknownCheckingProxy(structuredClone(r.props)) as Record<string, unknown>;
    const resource: EnginePolicyResource = {
      type: r.type,
      props,
      urn: r.urn,
      name: r.name,
      opts: optionsOf(r),
      dependencies: [],
      propertyDependencies: {},
      isType: (cls) => isTypeOf(r.type, cls as unknown as ResourceClass),
      asType: ((cls: ResourceClass) => (isTypeOf(r.type, cls) ? props : undefined)) as EnginePolicyResource["asType"],
    };
    const provider = providerOf(r);
    if (provider) resource.provider = provider;
    return resource;
  });
  const byUrn = new Map(built.map((b) => [b.urn, b]));
  resources.forEach((r, i) => {
    const parent = r.parent ? byUrn.get(r.parent) : undefined;
    if (parent) built[i].parent = parent;
    built[i].dependencies = r.dependencies.flatMap((d) => byUrn.get(d) ?? []);
  });
  return built;
}

/** Runs one validation; unknown values and notApplicable end it quietly, as in the engine. */
function invoke(policyName: string, run: () => unknown): void {
  try {
    const result = run();
    if (result && typeof (result as Promise<unknown>).then === "function") {
      throw new Error(`policy "${policyName}" returned a Promise; runPolicies only runs synchronous validations`);
    }
  } catch (e) {
    if (e instanceof UnknownValueError || e instanceof NotApplicableError) return;
    throw new Error(`Error validating with policy "${policyName}": ${e instanceof Error ? e.message : String(e)}`, {
      cause: e,
    });
  }
}

/**
 * Evaluates `resources` against the pack's policies (or `opts.policies`) and returns every violation of a policy
 * that is not disabled, on a resource that is not excepted in that policy's config.
 */
export function runPolicies(resources: PolicyResource[], opts: RunOptions): PolicyViolation[] {
  const resolved = resolvePolicies(opts.policies ?? packPolicies, opts.config ?? {});
  const violations: PolicyViolation[] = [];
  // notApplicable and unknown values end a validation by throwing; their stack traces are never read, and with
  // source maps installed capturing them costs more than the policies themselves.
  const stackTraceLimit = Error.stackTraceLimit;
  Error.stackTraceLimit = 0;
  try {
    return evaluate(resources, resolved, opts, violations);
  } finally {
    Error.stackTraceLimit = stackTraceLimit;
  }
}

function evaluate(
  resources: PolicyResource[],
  resolved: ResolvedPolicy[],
  opts: RunOptions,
  violations: PolicyViolation[],
): PolicyViolation[] {
  const propsCache = new Map<PolicyResource, Record<string, unknown>>();
  return withStackName(opts.stack, () => {
    for (const { policy, level, config } of resolved) {
      if (level === "disabled") continue;
      // Remediation is not run offline; a remaining violation is reported as mandatory, as the engine does.
      const reportedLevel = level === "advisory" ? "advisory" : "mandatory";
      const excepted = new Set(((config.exceptions ?? []) as PolicyException[]).map((e) => e.urn));
      const reporter =
        (defaultUrn: string): ReportViolation =>
        (message, urn) => {
          const target = urn ?? defaultUrn;
          if (!excepted.has(target))
            violations.push({ policy: policy.name, level: reportedLevel, message, urn: target });
        };
      if (isStackPolicy(policy)) {
        const args: StackValidationArgs = {
          resources: stackResources(resources),
          stackTags: NO_STACK_TAGS,
          getConfig: <T extends object>() => structuredClone(config) as T,
          notApplicable,
        };
        // A stack-level violation without a URN is attributed to the stack itself.
        const stackUrn = resources.find((r) => r.type === "pulumi:pulumi:Stack")?.urn ?? "";
        invoke(policy.name, () => policy.validateStack(args, reporter(stackUrn)));
        continue;
      }
      const validations = policy.validateResource === undefined ? [] : [policy.validateResource].flat();
      for (const r of resources) {
        // The resource URN always wins for resource policies, as in the engine.
        const report = reporter(r.urn);
        const forResource: ReportViolation = (message) => report(message, r.urn);
        for (const validate of validations)
          invoke(policy.name, () => validate(resourceArgs(r, config, propsCache), forResource));
      }
    }
    return violations;
  });
}
