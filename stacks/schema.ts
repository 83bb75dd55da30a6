import { z } from "zod";
import {
  ConfigKey,
  ConfigProblem,
  RawValues,
  defineKey,
  integer,
  logRetentionDays,
  oneOf,
  shapeOf,
} from "./schema/common";
import { SERVICE_KEYS, serviceProblems } from "./schema/service";
import { DATABASE_KEYS, databaseProblems } from "./schema/database";
import { MONITORING_KEYS, monitoringProblems } from "./schema/monitoring";
import { METERING_KEYS } from "./schema/metering";

export type { ConfigKey, ConfigProblem, ConfigType, RawValues } from "./schema/common";
export { LOG_RETENTION_DAYS } from "./schema/common";
import { MAX_AZ_COUNT, vpcCidrProblem } from "../components/network/subnets";
import { REGION_AZ_COUNT, availabilityZoneNames, isKnownRegion } from "../components/network/regions";

/**
 * The stack configuration schema: every key the program reads, declared once (here and in stacks/schema/<area>.ts)
 * with its Pulumi type, its default, what it means and its validator. The zod schema is built from these
 * declarations; `npm run docs` generates Pulumi.yaml's `config:` block and docs/configuration.md from them.
 * Pure: no Pulumi here, so tests and tools validate config without a program.
 */

/** The Pulumi project name; project config keys live in this namespace (`saas:vpcCidr`). */
export const PROJECT = "saas";

export const ENVIRONMENTS = ["dev", "staging", "prod"] as const;
export type Environment = (typeof ENVIRONMENTS)[number];

export const NAT_STRATEGIES = ["none", "single", "onePerAz"] as const;
export type NatStrategy = (typeof NAT_STRATEGIES)[number];

/** The cost tags every resource carries, through the AWS provider's `defaultTags`. */
export const REQUIRED_TAGS = ["Environment", "Project", "Owner", "CostCenter", "ManagedBy"] as const;

/** An ALB needs subnets in two zones, and so does an RDS DB subnet group: a one-zone stack cannot be deployed. */
export const MIN_AZ_COUNT = 2;

// Values arrive as Pulumi hands them to a program: strings, with arrays and objects as JSON text. stacks/config.ts
// coerces them to each key's type first; what cannot be coerced stays a string, so the key's schema reports it.

const tagValue = z
  .string({ error: "expected a non-empty string" })
  .trim()
  .min(1, { error: "expected a non-empty string" })
  .max(256, { error: "expected at most 256 characters (the AWS tag value limit)" });

/** Provider keys the program reads (namespaced). */
const PROVIDER_KEYS = [
  defineKey({
    key: "aws:region",
    type: "string",
    description: "AWS region the stack deploys to; one of the commercial regions in components/network/regions.ts.",
    schema: z
      .string({ error: "expected an AWS region name such as us-east-1" })
      .refine(isKnownRegion, { error: "is not a known AWS region (e.g. us-east-1, eu-west-1)" }),
  }),
  defineKey({
    key: "aws:defaultTags",
    type: "string",
    description: `Provider default tags, \`{ tags: { ... } }\`; must include ${REQUIRED_TAGS.join(", ")}.`,
    schema: z.object(
      {
        tags: z.object(
          Object.fromEntries(REQUIRED_TAGS.map((t) => [t, tagValue])) as Record<
            (typeof REQUIRED_TAGS)[number],
            typeof tagValue
          >,
          { error: `expected an object with the tags ${REQUIRED_TAGS.join(", ")}` },
        ),
      },
      { error: `expected { tags: { ${REQUIRED_TAGS.join(", ")} } }` },
    ),
  }),
] as const;

const FOUNDATION_KEYS = [
  defineKey({
    key: "environment",
    type: "string",
    description: `Deployment environment: ${ENVIRONMENTS.join(", ")}. \`prod\` turns on the production safeguards.`,
    schema: oneOf(ENVIRONMENTS),
  }),
  defineKey({
    key: "namePrefix",
    type: "string",
    default: "",
    description:
      "Prefix of every physical resource name. Empty means `<project>-<stack>` (e.g. saas-dev); no account id is ever part of a name.",
    schema: z.string({ error: "expected a string" }).regex(/^$|^[a-z][a-z0-9-]{1,19}$/, {
      error: "expected 2-20 lowercase letters, digits or '-', starting with a letter (or empty for <project>-<stack>)",
    }),
  }),
  defineKey({
    key: "vpcCidr",
    type: "string",
    default: "10.0.0.0/16",
    description: "IPv4 block of the VPC: an RFC 1918 network from /16 to /22.",
    schema: z.string({ error: "expected an IPv4 CIDR such as 10.0.0.0/16" }).superRefine((value, ctx) => {
      const problem = vpcCidrProblem(value);
      if (problem) {
        ctx.addIssue({ code: "custom", message: problem });
      }
    }),
  }),
  defineKey({
    key: "azCount",
    type: "integer",
    default: 2,
    description: `Availability zones to spread subnets over: ${MIN_AZ_COUNT}-${MAX_AZ_COUNT}, no more than the region has (the load balancer and the database subnet group each need two).`,
    schema: integer(
      MIN_AZ_COUNT,
      MAX_AZ_COUNT,
      `an integer from ${MIN_AZ_COUNT} to ${MAX_AZ_COUNT} (an application load balancer and an RDS subnet group each need subnets in at least two availability zones)`,
    ),
  }),
  defineKey({
    key: "availabilityZones",
    type: "array",
    default: [],
    description:
      "The zones the subnets use, in order, as many as azCount (e.g. [us-east-1a, us-east-1b]). Pinned, so a zone changing state never moves a subnet; required in prod. Empty reads the region's available zones at every run.",
    schema: z.array(z.string({ error: "expected a zone name such as us-east-1a" }), {
      error: "expected a list of zone names such as [us-east-1a, us-east-1b]",
    }),
  }),
  defineKey({
    key: "natGateways",
    type: "string",
    default: "single",
    description: `NAT gateways for the private subnets: ${NAT_STRATEGIES.join(", ")} (onePerAz survives the loss of a zone; none needs interfaceEndpoints).`,
    schema: oneOf(NAT_STRATEGIES),
  }),
  defineKey({
    key: "flowLogRetentionDays",
    type: "integer",
    default: 14,
    description: "Days VPC flow logs are kept; one of CloudWatch Logs' retention values.",
    schema: logRetentionDays(),
  }),
  defineKey({
    key: "interfaceEndpoints",
    type: "boolean",
    default: false,
    description:
      "Create interface VPC endpoints for ECR, CloudWatch Logs and Secrets Manager so tasks reach them without NAT.",
    schema: z.boolean({ error: "expected true or false" }),
  }),
  defineKey({
    key: "breakGlassAccess",
    type: "boolean",
    default: false,
    description:
      "Break-glass: turn on ECS Exec (and its Session Manager endpoint) in prod, the only route to the private database from outside the VPC; every session is logged. Off by default; on only for an incident (runbooks/database-connect.md). Outside prod ECS Exec is always on.",
    schema: z.boolean({ error: "expected true or false" }),
  }),
] as const;

/** The project's keys (namespace `saas`), foundation first, then each area's. */
const PROJECT_KEYS = [
  ...FOUNDATION_KEYS,
  ...SERVICE_KEYS,
  ...DATABASE_KEYS,
  ...MONITORING_KEYS,
  ...METERING_KEYS,
] as const;

/** Every key the program reads: the provider keys, then the project's. */
export const CONFIG_KEYS: readonly ConfigKey[] = [...PROVIDER_KEYS, ...PROJECT_KEYS];

/** Validates the coerced values, each key with the schema it is declared with, in declaration order. */
export const configSchema = z.object({
  aws: z.object(shapeOf(PROVIDER_KEYS)),
  saas: z.object(shapeOf(PROJECT_KEYS)),
});

/**
 * Rules that relate two keys. They run on the coerced values even when other keys are invalid, so every problem
 * is reported in one go; each rule runs only when the keys it reads are individually valid.
 */
export function crossKeyProblems(values: RawValues): ConfigProblem[] {
  return [
    ...foundationProblems(values),
    ...serviceProblems(values),
    ...databaseProblems(values),
    ...monitoringProblems(values),
  ];
}

function foundationProblems(values: RawValues): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  const region = values.aws?.region;
  const saas = values.saas ?? {};
  const azCount = saas.azCount;
  const environment = saas.environment;
  const zones = typeof region === "string" ? REGION_AZ_COUNT[region] : undefined;
  const validAz =
    typeof azCount === "number" && Number.isInteger(azCount) && azCount >= MIN_AZ_COUNT && azCount <= MAX_AZ_COUNT;
  if (zones !== undefined && validAz && azCount > zones) {
    problems.push({
      path: ["saas", "azCount"],
      message: `expected at most ${zones}: ${region} has ${zones} availability zones`,
    });
  }
  problems.push(...zoneProblems(values));
  if (saas.natGateways === "none" && saas.interfaceEndpoints === false) {
    problems.push({
      path: ["saas", "natGateways"],
      message:
        "expected single or onePerAz while saas:interfaceEndpoints is false: with neither NAT nor interface endpoints the private subnets reach no AWS API, so tasks cannot pull their image from ECR, ship logs to CloudWatch Logs or read their secrets (set saas:interfaceEndpoints to true to run without NAT)",
    });
  }
  if (
    environment === "prod" &&
    (NAT_STRATEGIES as readonly unknown[]).includes(saas.natGateways) &&
    saas.natGateways !== "onePerAz"
  ) {
    problems.push({
      path: ["saas", "natGateways"],
      message: "expected onePerAz in prod: with fewer NAT gateways the loss of one zone cuts every zone's egress",
    });
  }
  const tags = (values.aws?.defaultTags as { tags?: Record<string, unknown> } | undefined)?.tags;
  const tag = tags && typeof tags === "object" ? tags.Environment : undefined;
  if (
    (ENVIRONMENTS as readonly unknown[]).includes(environment) &&
    typeof tag === "string" &&
    tag.trim() !== "" &&
    tag !== environment
  ) {
    problems.push({
      path: ["aws", "defaultTags", "tags", "Environment"],
      message: `expected "${environment}", the value of saas:environment, so costs are reported under the right environment`,
    });
  }
  return problems;
}

/** The pinned zones: in the stack's region, distinct, as many as azCount; required in prod. */
function zoneProblems(values: RawValues): ConfigProblem[] {
  const saas = values.saas ?? {};
  const region = values.aws?.region;
  const zones = saas.availabilityZones;
  const azCount = saas.azCount;
  if (!Array.isArray(zones) || zones.some((z) => typeof z !== "string")) {
    return [];
  }
  const known = typeof region === "string" ? REGION_AZ_COUNT[region] : undefined;
  const problems: ConfigProblem[] = [];
  const path = ["saas", "availabilityZones"];
  if (zones.length === 0) {
    if (saas.environment === "prod" && typeof region === "string" && known !== undefined) {
      const example = availabilityZoneNames(region).slice(0, typeof azCount === "number" ? azCount : 2);
      problems.push({
        path,
        message: `expected the zones pinned in prod, e.g. [${example.join(", ")}]: read from the region at every run, a zone changing state shifts the list and replaces subnets`,
      });
    }
    return problems;
  }
  if (known !== undefined && typeof region === "string") {
    const names = availabilityZoneNames(region);
    zones.forEach((zone, i) => {
      if (!names.includes(zone as string)) {
        problems.push({
          path: [...path, i],
          message: `expected a zone of ${region} (${names[0]} to ${names[names.length - 1]})`,
        });
      }
    });
  }
  if (new Set(zones).size !== zones.length) {
    problems.push({ path, message: "expected each zone once" });
  }
  // Only against a valid azCount: a count out of range is already reported, once, on its own key.
  if (
    typeof azCount === "number" &&
    Number.isInteger(azCount) &&
    azCount >= MIN_AZ_COUNT &&
    azCount <= MAX_AZ_COUNT &&
    zones.length !== azCount
  ) {
    problems.push({ path, message: `expected ${azCount} zones, as many as saas:azCount` });
  }
  return problems;
}

export type RawConfig = z.input<typeof configSchema>;
export type ParsedConfig = z.output<typeof configSchema>;
