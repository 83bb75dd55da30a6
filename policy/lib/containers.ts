/**
 * ECS container definitions. `containerDefinitions` is a JSON string in the provider schema (awsx and most
 * programs build it with JSON.stringify); an already-parsed array is accepted too.
 */
import { asArray, asString, isObject, parseJsonish, Props } from "./props";

export interface ContainerDefinition {
  /** Container name, or `#<index>` when the definition has none, for messages. */
  readonly label: string;
  readonly raw: Props;
}

export function containersOf(props: Props): ContainerDefinition[] {
  return asArray(parseJsonish(props.containerDefinitions))
    .filter(isObject)
    .map((raw, i) => ({ label: asString(raw.name) ?? `#${i}`, raw }));
}
