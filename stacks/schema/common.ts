import { z } from "zod";

/**
 * Pieces every part of the configuration schema shares. Each area of the platform declares its keys in its own
 * file under stacks/schema/ (one `defineKey` per key: type, default, description and validator together; its
 * cross-key rules and the typed section it adds to StackConfig); stacks/schema.ts merges them.
 */

/** Config types Pulumi.yaml can declare. */
export type ConfigType = "string" | "integer" | "boolean" | "array";

export interface ConfigKey {
  /** Key without namespace for project keys (`vpcCidr`); namespaced for provider keys (`aws:region`). */
  readonly key: string;
  readonly type: ConfigType;
  /** Undefined: the key is required. */
  readonly default?: string | number | boolean | unknown[];
  readonly description: string;
  /** Pulumi.yaml's `items` of an array key: the type of its elements. */
  readonly items?: "string";
}

/** A key with the zod validator of its (coerced) value: the one place a key is declared. */
export interface KeyDefinition<K extends string = string, S extends z.ZodType = z.ZodType> extends ConfigKey {
  readonly key: K;
  readonly schema: S;
}

/** Declares a config key; the literal key and the validator's type are kept, so shapes derived from it are typed. */
export function defineKey<const K extends string, S extends z.ZodType>(
  definition: KeyDefinition<K, S>,
): KeyDefinition<K, S> {
  return definition;
}

/** The name of a key in its namespace: `region` for `aws:region`, the key itself for a project key. */
type NameOf<K extends string> = K extends `${string}:${infer N}` ? N : K;

/** The zod shape of a list of keys: name in the namespace → validator. */
export type ShapeOf<T extends readonly KeyDefinition[]> = { [D in T[number] as NameOf<D["key"]>]: D["schema"] };

/** The zod shape of `keys`, in their order (the order problems are reported in). */
export function shapeOf<const T extends readonly KeyDefinition[]>(keys: T): ShapeOf<T> {
  return Object.fromEntries(keys.map((k) => [k.key.slice(k.key.indexOf(":") + 1), k.schema])) as ShapeOf<T>;
}

/** A problem found in the configuration: the config key path and what is wrong. */
export interface ConfigProblem {
  readonly path: (string | number)[];
  readonly message: string;
  /** The message already shows the value (e.g. it comes from a component's own validation): print it as is. */
  readonly verbatim?: boolean;
}

export { LOG_RETENTION_DAYS } from "../../components/shared/logs";
import { LOG_RETENTION_DAYS } from "../../components/shared/logs";

/** What cross-key rules read: the coerced values by namespace, valid or not. */
export interface RawValues {
  readonly aws: Record<string, unknown>;
  readonly saas: Record<string, unknown>;
}

export const integer = (min: number, max: number, what = `an integer from ${min} to ${max}`) =>
  z
    .number({ error: `expected ${what}` })
    .int({ error: `expected ${what}` })
    .min(min, { error: `expected ${what}` })
    .max(max, { error: `expected ${what}` });

export const oneOf = <T extends readonly [string, ...string[]]>(values: T) =>
  z.enum(values, { error: `expected one of ${values.join(", ")}` });

/** True when `value` is an integer within [min, max] (cross-key rules only run on individually valid values). */
export function isIntegerIn(value: unknown, min: number, max: number): value is number {
  return typeof value === "number" && Number.isInteger(value) && value >= min && value <= max;
}

/** A CloudWatch Logs retention period in days: one of the values CloudWatch accepts; never-expiring is refused. */
export const logRetentionDays = () =>
  z
    .number({ error: "expected a number of days" })
    .refine((d) => (LOG_RETENTION_DAYS as readonly number[]).includes(d), {
      error:
        "expected a CloudWatch Logs retention period in days, one of " +
        LOG_RETENTION_DAYS.join(", ") +
        " (never-expiring logs are not allowed)",
    });
