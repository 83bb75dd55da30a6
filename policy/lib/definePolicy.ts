/**
 * Builders every policy in this pack goes through, so that each one honours the `exceptions` list the same way
 * whether it runs inside the Pulumi engine or in the offline runner (`policy/run.ts`).
 */
import type {
  EnforcementLevel,
  PolicyResource,
  ReportViolation,
  ResourceValidationArgs,
  ResourceValidationPolicy,
  Severity,
  StackValidationArgs,
  StackValidationPolicy,
} from "@pulumi/policy";
import type { PolicyConfigJSONSchema } from "@pulumi/policy/schema";
import type { Props } from "./props";

/** One accepted risk: the resource URN it applies to and why it is accepted. */
export interface PolicyException {
  readonly urn: string;
  readonly justification: string;
}

/** Shortest justification accepted, so an exception cannot be waved through with "ok" or "temp". */
export const MIN_JUSTIFICATION_LENGTH = 20;

/** The `exceptions` config property every policy in the pack accepts. */
export const EXCEPTIONS_SCHEMA: PolicyConfigJSONSchema = {
  type: "array",
  description: "Resources this policy does not apply to, each with the reason the risk is accepted.",
  default: [],
  items: {
    type: "object",
    required: ["urn", "justification"],
    additionalProperties: false,
    properties: {
      urn: { type: "string", minLength: 1, description: "Full URN of the excepted resource." },
      justification: {
        type: "string",
        minLength: MIN_JUSTIFICATION_LENGTH,
        description: "Why the risk is accepted, who accepted it and until when.",
      },
    },
  },
};

interface CommonSpec {
  /** Kebab-case, prefixed by area (`iam-`, `encryption-`, `tagging-`, `network-`, `data-`, `container-`). */
  readonly name: string;
  readonly description: string;
  readonly severity: Severity;
  /** @default - the pack's level ("mandatory") */
  readonly enforcementLevel?: EnforcementLevel;
  /** Extra config properties; `exceptions` is added to every policy. */
  readonly config?: Readonly<Record<string, PolicyConfigJSONSchema>>;
}

export interface ResourceSpec<C extends object> extends CommonSpec {
  /** Resource types the policy inspects; `"*"` for every type. */
  readonly types: readonly string[] | "*";
  readonly validate: (props: Props, args: ResourceValidationArgs, report: ReportViolation, config: C) => void;
}

export interface StackSpec<C extends object> extends CommonSpec {
  readonly validate: (
    resources: PolicyResource[],
    args: StackValidationArgs,
    report: ReportViolation,
    config: C,
  ) => void;
}

function exceptedUrns(config: { exceptions?: readonly PolicyException[] }): Set<string> {
  return new Set((config.exceptions ?? []).map((e) => e.urn));
}

function configSchema(spec: CommonSpec): ResourceValidationPolicy["configSchema"] {
  return { properties: { ...spec.config, exceptions: EXCEPTIONS_SCHEMA } };
}

/** Builds a ResourceValidationPolicy that skips other types and excepted URNs. */
export function resourcePolicy<C extends object = object>(spec: ResourceSpec<C>): ResourceValidationPolicy {
  const types = spec.types === "*" ? undefined : new Set(spec.types);
  return {
    name: spec.name,
    description: spec.description,
    severity: spec.severity,
    ...(spec.enforcementLevel ? { enforcementLevel: spec.enforcementLevel } : {}),
    configSchema: configSchema(spec),
    validateResource: (args, report) => {
      // notApplicable (like validateResourceOfType) lets Pulumi Cloud show why a policy did not run on a resource.
      if (types && !types.has(args.type)) args.notApplicable(`Policy only applies to ${[...types].join(", ")}`);
      const config = args.getConfig<C & { exceptions?: PolicyException[] }>();
      const exception = (config.exceptions ?? []).find((e) => e.urn === args.urn);
      if (exception) args.notApplicable(`Excepted: ${exception.justification}`);
      spec.validate(args.props, args, report, config);
    },
  };
}

/** Builds a StackValidationPolicy whose violations on excepted URNs are dropped. */
export function stackPolicy<C extends object = object>(spec: StackSpec<C>): StackValidationPolicy {
  return {
    name: spec.name,
    description: spec.description,
    severity: spec.severity,
    ...(spec.enforcementLevel ? { enforcementLevel: spec.enforcementLevel } : {}),
    configSchema: configSchema(spec),
    validateStack: (args, report) => {
      const config = args.getConfig<C & { exceptions?: PolicyException[] }>();
      const excepted = exceptedUrns(config);
      const filtered: ReportViolation = (message, urn) => {
        if (urn === undefined || !excepted.has(urn)) report(message, urn);
      };
      spec.validate(args.resources, args, filtered, config);
    },
  };
}
