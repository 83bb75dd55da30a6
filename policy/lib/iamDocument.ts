/**
 * One pure parser for IAM policy documents, shared by every IAM-related policy.
 *
 * AWS accepts several spellings for the same thing: the document as a JSON string or an object, `Statement` as
 * one object or a list, `Action`/`Resource` as a string or a list, `Principal` as `"*"` or a map whose values are
 * strings or lists. Everything is normalised here so that the policies compare lists of strings only.
 */
import { asArray, asObject, asString, isObject, parseJsonish } from "./props";

/** Principal entries keyed by type (`AWS`, `Service`, `Federated`, `CanonicalUser`); `"*"` is stored as `{ AWS: ["*"] }`. */
export type Principals = Readonly<Record<string, readonly string[]>>;

/** Condition block: operator → condition key → values (all stringified). */
export type Conditions = Readonly<Record<string, Readonly<Record<string, readonly string[]>>>>;

export interface Statement {
  readonly sid?: string;
  readonly effect: "Allow" | "Deny";
  readonly actions: readonly string[];
  readonly notActions: readonly string[];
  readonly resources: readonly string[];
  readonly notResources: readonly string[];
  /** Undefined when the statement has no `Principal` (identity policies). */
  readonly principals?: Principals;
  readonly notPrincipals?: Principals;
  readonly conditions: Conditions;
  readonly hasNotAction: boolean;
  readonly hasNotResource: boolean;
}

export interface PolicyDocument {
  readonly statements: readonly Statement[];
}

function strings(value: unknown): string[] {
  return asArray(value).flatMap((v) =>
    typeof v === "string" || typeof v === "number" || typeof v === "boolean" ? [String(v)] : [],
  );
}

function parsePrincipals(value: unknown): Principals | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value === "string") return { AWS: [value] };
  const obj = asObject(value);
  if (!obj) return undefined;
  const out: Record<string, string[]> = {};
  for (const [kind, v] of Object.entries(obj)) out[kind] = strings(v);
  return out;
}

function parseConditions(value: unknown): Conditions {
  const out: Record<string, Record<string, string[]>> = {};
  const obj = asObject(value);
  if (!obj) return out;
  for (const [operator, block] of Object.entries(obj)) {
    const keys = asObject(block);
    if (!keys) continue;
    out[operator] = {};
    for (const [key, v] of Object.entries(keys)) out[operator][key] = strings(v);
  }
  return out;
}

function parseStatement(raw: unknown): Statement | undefined {
  if (!isObject(raw)) return undefined;
  const effect = asString(raw.Effect) === "Deny" ? "Deny" : "Allow";
  return {
    sid: asString(raw.Sid),
    effect,
    actions: strings(raw.Action),
    notActions: strings(raw.NotAction),
    resources: strings(raw.Resource),
    notResources: strings(raw.NotResource),
    principals: parsePrincipals(raw.Principal),
    notPrincipals: parsePrincipals(raw.NotPrincipal),
    conditions: parseConditions(raw.Condition),
    hasNotAction: raw.NotAction !== undefined,
    hasNotResource: raw.NotResource !== undefined,
  };
}

/**
 * Parses a policy document given as a JSON string or an object. Returns undefined when the value is absent or not
 * a document (malformed JSON is rejected by AWS at deploy time, not by this pack).
 */
export function parsePolicyDocument(value: unknown): PolicyDocument | undefined {
  const doc = asObject(parseJsonish(value));
  if (!doc) return undefined;
  const statements = asArray(doc.Statement)
    .map(parseStatement)
    .filter((s): s is Statement => s !== undefined);
  return { statements };
}

/** IAM wildcard match (`*` any run, `?` one character), case-insensitive like IAM action matching. */
export function iamPatternMatches(pattern: string, value: string): boolean {
  const re = new RegExp(
    "^" +
      pattern
        .split("")
        .map((c) => (c === "*" ? ".*" : c === "?" ? "." : c.replace(/[.+^${}()|[\]\\]/g, "\\$&")))
        .join("") +
      "$",
    "i",
  );
  return re.test(value);
}

/** True for `*` and `service:*`, the two forms that grant every action (of every service or of one service). */
export function isWildcardAction(action: string): boolean {
  return action === "*" || /^[a-z0-9-]+:\*$/i.test(action);
}

/** True when the statement names every principal: `"*"`, `{ AWS: "*" }` or `{ AWS: ["*", ...] }`. */
export function hasWildcardPrincipal(statement: Statement): boolean {
  const principals = statement.principals;
  if (!principals) return false;
  return Object.values(principals).some((values) => values.includes("*"));
}

/** All condition keys of a statement, lower-cased (IAM condition keys are case-insensitive). */
export function conditionKeys(statement: Statement): string[] {
  return Object.values(statement.conditions).flatMap((block) => Object.keys(block).map((k) => k.toLowerCase()));
}

/** Values of one condition key across every operator (key compared case-insensitively). */
export function conditionValues(statement: Statement, key: string): string[] {
  const wanted = key.toLowerCase();
  return Object.values(statement.conditions).flatMap((block) =>
    Object.entries(block).flatMap(([k, v]) => (k.toLowerCase() === wanted ? [...v] : [])),
  );
}
