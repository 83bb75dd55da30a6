import type { PlannedResource } from "../../tools/engine/types";

export const STACK_URN = "urn:pulumi:dev::saas::pulumi:pulumi:Stack::saas-dev";

/**
 * A planned resource as the offline engine records it: a custom resource of the default provider whose outputs
 * echo its inputs plus an id, unless the test gives outputs (an ARN to resolve, say).
 */
export function resource(
  type: string,
  name: string,
  inputs: Record<string, unknown> = {},
  outputs?: Record<string, unknown>,
  extra: Partial<PlannedResource> = {},
): PlannedResource {
  return {
    urn: `urn:pulumi:dev::saas::${type}::${name}`,
    type,
    name,
    parent: STACK_URN,
    inputs,
    outputs: outputs ?? { ...inputs, id: `${name}-id` },
    dependencies: [],
    custom: true,
    remote: false,
    options: { protect: false, retainOnDelete: false, deleteBeforeReplace: false },
    ...extra,
  };
}

/** A remote component such as awsx:ec2:Vpc: not custom, children created by its plugin at deploy time. */
export function remoteComponent(type: string, name: string, inputs: Record<string, unknown> = {}): PlannedResource {
  return resource(type, name, inputs, {}, { custom: false, remote: true });
}

export function component(type: string, name: string): PlannedResource {
  return resource(type, name, {}, {}, { custom: false });
}

export function deepClone<T>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T;
}

/** A copy of `value` with the slash-separated `path` set (or removed, for `undefined`), to build an invalid price table. */
export function withValue(value: unknown, path: string, replacement: unknown): unknown {
  const copy = deepClone(value);
  const keys = path.split("/");
  let node = copy as Record<string, unknown>;
  for (const key of keys.slice(0, -1)) node = node[key] as Record<string, unknown>;
  const last = keys[keys.length - 1];
  if (replacement === undefined) delete node[last];
  else node[last] = replacement;
  return copy;
}
