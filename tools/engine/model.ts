import { CloudContext } from "./resources";

/**
 * How the offline engine models one resource type: the id AWS would assign, the properties AWS computes, and
 * the input the provider autonames. Models live in tools/engine/models/, one file per domain.
 */

export type State = Record<string, unknown>;

export interface TypeModel {
  /** Id of the resource. */
  readonly id: (ctx: ModelContext) => string;
  /** Extra computed state. */
  readonly state?: (ctx: ModelContext) => State;
  /** Input property the provider fills with `<logical name>-<7 hex>` when the program leaves it out. */
  readonly autoname?: { readonly property: string; readonly maxLength?: number; readonly lowercase?: boolean };
}

export interface ModelContext extends CloudContext {
  readonly type: string;
  readonly name: string;
  /** Inputs, with the autonamed property filled in. */
  readonly inputs: State;
  /** A stable hex string of the given length, unique to this resource. */
  readonly hex: (length: number) => string;
  /** `arn:<partition>:<service>:<region>:<account>:<resource>`; pass `region: ""` for global services. */
  readonly arn: (service: string, resource: string, opts?: { region?: string; account?: string }) => string;
}

/** Helpers for models. */
export const ec2Id = (prefix: string) => (ctx: ModelContext) => `${prefix}-${ctx.hex(17)}`;
export const withEc2Arn = (prefix: string, kind: string): TypeModel => ({
  id: ec2Id(prefix),
  state: (ctx) => ({ arn: ctx.arn("ec2", `${kind}/${ec2Id(prefix)(ctx)}`) }),
});
export const str = (v: unknown, fallback = ""): string => (typeof v === "string" ? v : fallback);
