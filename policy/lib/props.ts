/**
 * Narrowing helpers for resource properties. Policies see inputs exactly as the program passed them, so a field
 * may be absent, of the documented type, or (for a few provider quirks) a string such as `"true"`.
 */

/** A plain JSON-like object. */
export type Props = Record<string, unknown>;

export function isObject(value: unknown): value is Props {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Returns `value` as an object, or undefined. */
export function asObject(value: unknown): Props | undefined {
  return isObject(value) ? value : undefined;
}

/** Returns `value` as an array (a single value becomes a one-element array, absent becomes empty). */
export function asArray(value: unknown): unknown[] {
  if (value === undefined || value === null) return [];
  return Array.isArray(value) ? value : [value];
}

/** Returns `value` as a string, or undefined. */
export function asString(value: unknown): string | undefined {
  return typeof value === "string" ? value : undefined;
}

/** Returns `value` as a number; numeric strings count because some inputs (e.g. parameter values) are strings. */
export function asNumber(value: unknown): number | undefined {
  if (typeof value === "number") return value;
  if (typeof value === "string" && value.trim() !== "" && !Number.isNaN(Number(value))) return Number(value);
  return undefined;
}

/** True for `true` and `"true"`: launch templates model booleans as strings. */
export function isTrue(value: unknown): boolean {
  return value === true || (typeof value === "string" && value.toLowerCase() === "true");
}

/**
 * Parses a value that the provider accepts either as a JSON string or as an object (policy documents, container
 * definitions, provider settings). Returns undefined for malformed JSON: that is the provider's error to report.
 */
export function parseJsonish(value: unknown): unknown {
  if (typeof value !== "string") return value;
  try {
    return JSON.parse(value) as unknown;
  } catch (e) {
    if (e instanceof SyntaxError) return undefined;
    throw e;
  }
}
