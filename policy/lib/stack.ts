/**
 * The name of the stack being analysed.
 *
 * The engine does not hand the stack name to a policy, so it is read from the resource URN
 * (`urn:pulumi:<stack>::<project>::...`), which is always present, then from `pulumi.getStack()`. The offline
 * runner injects the stack it plans for with `withStackName`, which is also how tests choose a stack.
 */
import * as pulumi from "@pulumi/pulumi";

let injected: string | undefined;

/** Runs `fn` with the stack name fixed to `stack` (synchronous, so the override cannot leak across runs). */
export function withStackName<T>(stack: string, fn: () => T): T {
  const previous = injected;
  injected = stack;
  try {
    return fn();
  } finally {
    injected = previous;
  }
}

/** Returns the stack name for a resource URN. */
export function stackNameFor(urn: string): string {
  if (injected !== undefined) return injected;
  const fromUrn = /^urn:pulumi:([^:]+)::/.exec(urn)?.[1];
  if (fromUrn) return fromUrn;
  return pulumi.getStack() ?? "";
}
