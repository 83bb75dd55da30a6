/**
 * Small helpers every component shares. Pure.
 */

/** Name tag plus any extra tags. Cost tags come from the provider's `defaultTags`, so components add only these. */
export function nameTags(name: string, extra?: Readonly<Record<string, string>>): Record<string, string> {
  return { ...(extra ?? {}), Name: name };
}

/** The error a component throws when its arguments are invalid: every problem, one per line. */
export class ComponentArgsError extends Error {
  constructor(
    readonly component: string,
    readonly problems: readonly string[],
  ) {
    super(`${component}: invalid arguments:\n${problems.map((p) => `  - ${p}`).join("\n")}`);
    this.name = "ComponentArgsError";
  }
}
