/** Fixture builders shared by the policy tests. */
import { policies } from "../../policy/policies";
import { PackConfig, PolicyResource, PolicyViolation, runPolicies } from "../../policy/run";

export const PROJECT = "saas";

/** Provider whose defaultTags carry every required tag, so tests of other policies are not tagging noise. */
export const TAGGED_PROVIDER = {
  urn: `urn:pulumi:dev::${PROJECT}::pulumi:providers:aws::default`,
  type: "pulumi:providers:aws",
  name: "default",
  props: {
    region: "eu-west-1",
    defaultTags: {
      tags: { Environment: "dev", Project: "saas", Owner: "platform", CostCenter: "cc-42", ManagedBy: "pulumi" },
    },
  },
};

export function urnOf(type: string, name: string, stack = "dev"): string {
  return `urn:pulumi:${stack}::${PROJECT}::${type}::${name}`;
}

/** A resource as the offline engine records it. */
export function resource(
  type: string,
  props: Record<string, unknown>,
  overrides: Partial<PolicyResource> = {},
): PolicyResource {
  const name = overrides.name ?? "r";
  return {
    urn: urnOf(type, name),
    type,
    name,
    props,
    dependencies: [],
    provider: TAGGED_PROVIDER,
    options: { protect: false },
    ...overrides,
  };
}

/** Runs the whole pack and returns the violations of one policy. */
export function violationsOf(
  policy: string,
  resources: PolicyResource[],
  stack = "dev",
  config?: PackConfig,
): PolicyViolation[] {
  return runPolicies(resources, { stack, config }).filter((v) => v.policy === policy);
}

/** Messages of one policy for one or more resources. */
export function messagesOf(
  policy: string,
  resources: PolicyResource | PolicyResource[],
  stack = "dev",
  config?: PackConfig,
): string[] {
  return violationsOf(policy, [resources].flat(), stack, config).map((v) => v.message);
}

export const ALL_POLICY_NAMES = policies.map((p) => p.name);
