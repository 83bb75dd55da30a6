import * as pulumi from "@pulumi/pulumi";
import {
  CONFIG_KEYS,
  ConfigKey,
  ConfigProblem,
  Environment,
  NatStrategy,
  PROJECT,
  configSchema,
  crossKeyProblems,
} from "./schema";
import { ServiceConfig, toServiceConfig } from "./schema/service";
import { configKeyProblem, invisibleCharacter, shortValue, showKey } from "./schema/keys";
import { DatabaseConfig, RETIRED_DATABASE_KEYS, toDatabaseConfig } from "./schema/database";
import { MonitoringConfig, toMonitoringConfig } from "./schema/monitoring";
import { MeteringConfig, toMeteringConfig } from "./schema/metering";

/**
 * The one reader of `pulumi.Config`. It turns the stack's configuration into one typed, validated object, or
 * fails with every problem at once before any resource is registered.
 */

/** The validated configuration of one stack: everything the composition needs, nothing else. */
export interface StackConfig {
  readonly project: string;
  readonly stack: string;
  readonly environment: Environment;
  /** True for the production environment: deletion protection, Multi-AZ, longer retention. */
  readonly isProduction: boolean;
  /** Prefix of physical names, e.g. `saas-dev`. */
  readonly namePrefix: string;
  readonly region: string;
  /** The provider default tags (cost tags) every taggable resource carries. */
  readonly tags: Readonly<Record<string, string>>;
  readonly network: {
    readonly vpcCidr: string;
    readonly azCount: number;
    /** The pinned zones; undefined reads the region's available zones. */
    readonly availabilityZones?: readonly string[];
    readonly natGateways: NatStrategy;
    readonly flowLogRetentionDays: number;
    readonly interfaceEndpoints: boolean;
  };
  /**
   * ECS Exec into the service's tasks (the route to the private database): always outside prod; in prod only
   * while `saas:breakGlassAccess` is on.
   */
  readonly shellAccess: boolean;
  readonly service: ServiceConfig;
  readonly database: DatabaseConfig;
  readonly monitoring: MonitoringConfig;
  readonly metering: MeteringConfig;
}

/**
 * A configuration that cannot be deployed. A `RunError`, so `pulumi up` prints the message without a stack trace;
 * the offline plan prints it and exits 2.
 */
export class ConfigError extends pulumi.RunError {
  constructor(readonly problems: readonly string[]) {
    super(
      `Invalid configuration (${problems.length} problem${problems.length === 1 ? "" : "s"}):\n` +
        problems.map((p) => `  - ${p}`).join("\n"),
    );
    this.name = "ConfigError";
  }
}

/** Full key as a user writes it: `saas:vpcCidr`, `aws:region`. */
export function qualifiedKey(def: ConfigKey): string {
  return def.key.includes(":") ? def.key : `${PROJECT}:${def.key}`;
}

/**
 * Turns a raw config value (a string, as Pulumi hands it to a program) into the declared type. A value that
 * does not convert is returned unchanged, so the schema reports it with the value the user wrote.
 */
export function coerce(type: ConfigKey["type"] | "object", raw: string): unknown {
  switch (type) {
    case "integer":
      return /^\s*[-+]?\d+(\.\d+)?\s*$/.test(raw) ? Number(raw) : raw;
    case "boolean":
      return raw === "true" ? true : raw === "false" ? false : raw;
    case "array":
    case "object":
      try {
        return JSON.parse(raw);
      } catch {
        return raw;
      }
    default:
      return raw;
  }
}

/** How a bad value is shown in a message: cut to a readable length, so a huge value is not echoed whole. */
export function showValue(value: unknown): string {
  if (value === undefined) {
    return "nothing (the key is not set)";
  }
  return shortValue(value);
}

function pathToKey(path: readonly PropertyKey[]): string {
  const [namespace, key, ...rest] = path.map(String);
  const tail = rest.map((p) => (/^\d+$/.test(p) ? `[${p}]` : `.${p}`)).join("");
  return `${namespace}:${key ?? ""}${tail}`;
}

function valueAt(root: unknown, path: readonly PropertyKey[]): unknown {
  return path.reduce<unknown>(
    (node, key) =>
      node !== null && typeof node === "object" ? (node as Record<PropertyKey, unknown>)[key] : undefined,
    root,
  );
}

/**
 * Validates raw configuration values (strings keyed by `namespace:key`, as Pulumi passes them) for a stack.
 * Pure: the plan, the tests and the docs generator call it without a Pulumi program.
 */
export function parseConfig(
  raw: Readonly<Record<string, string | undefined>>,
  context: {
    project?: string;
    stack: string;
    /** Keys set with `pulumi config set --secret`: their values are never shown in a message. */
    secretKeys?: ReadonlySet<string>;
  },
): StackConfig {
  const secretKeys = context.secretKeys ?? new Set<string>();
  const project = context.project ?? PROJECT;
  const problems: string[] = [];
  const known = new Set(CONFIG_KEYS.map(qualifiedKey));
  for (const key of Object.keys(raw)) {
    const keyProblem = configKeyProblem(key);
    const shown = invisibleCharacter(key) ? showKey(key) : key;
    const retired = key.startsWith(`${PROJECT}:`) ? RETIRED_DATABASE_KEYS[key.slice(PROJECT.length + 1)] : undefined;
    if (keyProblem) {
      problems.push(`${shown}: ${keyProblem}`);
    } else if (retired !== undefined) {
      problems.push(`${shown}: is no longer a configuration key: ${retired}`);
    } else if (key.startsWith(`${PROJECT}:`) && !known.has(key)) {
      problems.push(`${shown}: is not a configuration key of this project; remove it or check the spelling`);
    }
  }

  const values: { aws: Record<string, unknown>; saas: Record<string, unknown> } = { aws: {}, saas: {} };
  for (const def of CONFIG_KEYS) {
    const full = qualifiedKey(def);
    const text = raw[full];
    const type = full === "aws:defaultTags" ? "object" : def.type;
    const value = text === undefined ? def.default : coerce(type, text);
    const [namespace, key] = full.split(":");
    (values as Record<string, Record<string, unknown>>)[namespace][key] = value;
  }

  const result = configSchema.safeParse(values);
  const issues: ConfigProblem[] = result.success
    ? []
    : result.error.issues.map((issue): ConfigProblem => ({
        path: issue.path as (string | number)[],
        message: issue.message,
      }));
  issues.push(...crossKeyProblems(values));
  for (const issue of issues) {
    const where = pathToKey(issue.path);
    const secret = secretKeys.has(pathToKey(issue.path.slice(0, 2)));
    const shown = secret ? "[secret]" : showValue(valueAt(values, issue.path));
    const message = issue.verbatim
      ? issue.message
      : issue.message.startsWith("is ")
        ? `${shown} ${issue.message}`
        : `${issue.message}, got ${shown}`;
    problems.push(`${where}: ${message}`);
  }
  // The derived prefix (`<project>-<stack>`) must follow the same rule as a configured one: every component
  // names its resources with it, and a stack named `Feature_X` would otherwise fail halfway through the program.
  const derivedPrefix = `${project}-${context.stack}`;
  if (values.saas.namePrefix === "" && !/^[a-z][a-z0-9-]{1,19}$/.test(derivedPrefix)) {
    problems.push(
      `saas:namePrefix: the default "${derivedPrefix}" (<project>-<stack>) is not 2-20 lowercase letters, digits or '-'; ` +
        `set saas:namePrefix for this stack, e.g. "${derivedPrefix
          .toLowerCase()
          .replace(/[^a-z0-9-]/g, "-")
          .slice(0, 20)}"`,
    );
  }
  if (problems.length > 0 || !result.success) {
    throw new ConfigError(problems);
  }

  const { aws, saas } = result.data;
  return {
    project,
    stack: context.stack,
    environment: saas.environment,
    isProduction: saas.environment === "prod",
    namePrefix: saas.namePrefix || `${project}-${context.stack}`,
    region: aws.region,
    tags: { ...aws.defaultTags.tags },
    network: {
      vpcCidr: saas.vpcCidr,
      azCount: saas.azCount,
      availabilityZones: saas.availabilityZones.length > 0 ? saas.availabilityZones : undefined,
      natGateways: saas.natGateways,
      flowLogRetentionDays: saas.flowLogRetentionDays,
      interfaceEndpoints: saas.interfaceEndpoints,
    },
    shellAccess: saas.environment !== "prod" || saas.breakGlassAccess,
    service: toServiceConfig(saas),
    database: toDatabaseConfig(saas),
    monitoring: toMonitoringConfig(saas),
    metering: toMeteringConfig(saas),
  };
}

/** Reads the running stack's configuration through `pulumi.Config` and validates it. */
export function loadConfig(): StackConfig {
  const raw: Record<string, string | undefined> = {};
  for (const def of CONFIG_KEYS) {
    const [namespace, key] = qualifiedKey(def).split(":");
    raw[`${namespace}:${key}`] = new pulumi.Config(namespace).get(key);
  }
  // Keys nobody reads are usually typos of keys that are read (a misspelled key or namespace, an invisible
  // character): hand every key over, so parseConfig reports them rather than silently use defaults.
  const all = pulumi.runtime.allConfig();
  for (const key of Object.keys(all)) {
    if (!(key in raw)) {
      raw[key] = all[key];
    }
  }
  // Pulumi tells a program which keys are secret through this variable (the SDK's own reader is internal).
  const secretKeys = new Set<string>(JSON.parse(process.env.PULUMI_CONFIG_SECRET_KEYS ?? "[]") as string[]);
  return parseConfig(raw, { project: pulumi.getProject(), stack: pulumi.getStack(), secretKeys });
}
