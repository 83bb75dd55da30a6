/**
 * Config keys and values as they appear in messages, and the problems a key can have before its value is looked
 * at. Pure: the offline engine reads stack files with it and stacks/config.ts checks the keys Pulumi passes.
 */

/** How much of a value an error message shows. */
export const SHOWN_CHARS = 200;

/** A value for an error message: JSON, cut to a readable length. */
export function shortValue(value: unknown): string {
  let text: string;
  try {
    text = JSON.stringify(value) ?? String(value);
  } catch {
    text = String(value);
  }
  return text.length <= SHOWN_CHARS ? text : `${text.slice(0, SHOWN_CHARS)}… (${text.length} characters)`;
}

/** A key as a message shows it: JSON-quoted, with invisible and control characters as \u escapes. */
export function showKey(key: string): string {
  const escaped = JSON.stringify(key).replace(
    INVISIBLE_GLOBAL,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`,
  );
  return escaped.length <= SHOWN_CHARS + 2 ? escaped : `${escaped.slice(0, SHOWN_CHARS)}…" (${key.length} characters)`;
}

/** Characters a reader cannot see: controls, zero-width and bidirectional marks, no-break and other odd spaces. */
const INVISIBLE =
  /[\u0000-\u001f\u007f-\u00a0\u00ad\u034f\u061c\u115f\u1160\u17b4\u17b5\u180e\u2000-\u200f\u2028-\u202f\u205f-\u206f\u3000\u3164\ufeff\uffa0]/;
const INVISIBLE_GLOBAL = new RegExp(INVISIBLE.source, "g");

/** The first invisible character of a key, described, or undefined. */
export function invisibleCharacter(key: string): string | undefined {
  const match = INVISIBLE.exec(key);
  if (!match) return undefined;
  const code = match[0].charCodeAt(0).toString(16).toUpperCase().padStart(4, "0");
  return `an invisible character (U+${code}) at position ${match.index + 1}`;
}

/** Namespaces this program reads config from, and the providers it uses. */
export const KNOWN_NAMESPACES = ["saas", "aws", "postgresql", "docker", "pulumi"] as const;

/** Edit distance of two short strings (for "did you mean"). */
function distance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let previous = row[0];
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const current = row[j];
      row[j] = Math.min(row[j] + 1, row[j - 1] + 1, previous + (a[i - 1] === b[j - 1] ? 0 : 1));
      previous = current;
    }
  }
  return row[b.length];
}

/** One edit away, or the same letters in another order (`sass`, `saa`, `asw` for `aws`). */
function isMisspelling(written: string, meant: string): boolean {
  const sorted = (t: string) => [...t].sort().join("");
  const lower = written.toLowerCase();
  return written !== meant && (distance(lower, meant) <= 1 || sorted(lower) === sorted(meant));
}

/**
 * What is wrong with a config key as written (`namespace:key`), or undefined: an invisible character, or a
 * namespace that is a misspelling of one the program reads (its settings would be dropped without a word).
 */
export function configKeyProblem(key: string, namespaces: readonly string[] = KNOWN_NAMESPACES): string | undefined {
  const invisible = invisibleCharacter(key);
  if (invisible) {
    return `has ${invisible}; the setting would be ignored, retype the key`;
  }
  const colon = key.indexOf(":");
  const namespace = key.slice(0, colon);
  if (colon > 0 && !namespaces.includes(namespace)) {
    const near = namespaces.find((n) => isMisspelling(namespace, n));
    if (near) {
      return `namespace "${namespace}" is not one this program reads, so the setting would be ignored; did you mean ${near}:${key.slice(colon + 1)}?`;
    }
  }
  return undefined;
}
