import * as pulumi from "@pulumi/pulumi";

/**
 * Small helpers every component shares.
 */

/** Name tag plus any extra tags. Cost tags come from the provider's `defaultTags`, so components add only these. */
export function nameTags(name: string, extra?: Readonly<Record<string, string>>): Record<string, string> {
  return { ...(extra ?? {}), Name: name };
}

/**
 * The error a component throws when its arguments are invalid: every problem, one per line. A RunError, so
 * `pulumi up` prints the message alone, never a stack trace (the offline plan prints it the same way).
 */
export class ComponentArgsError extends pulumi.RunError {
  constructor(
    readonly component: string,
    readonly problems: readonly string[],
  ) {
    super(`${component}: invalid arguments:\n${problems.map((p) => `  - ${p}`).join("\n")}`);
    this.name = "ComponentArgsError";
  }
}
