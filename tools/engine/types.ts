/**
 * The records the offline engine keeps. These types are the public shape of `npm run plan -- <stack> --json`
 * (README.md, "The offline plan") and the input of the policy pack runner and the cost estimate.
 */

/** One resource registered by the program, as the Pulumi engine would have seen it. */
export interface PlannedResource {
  /** Full URN, e.g. `urn:pulumi:dev::saas::saas:network:Network$aws:ec2/vpc:Vpc::saas-dev-vpc`. */
  readonly urn: string;
  /** Resource type token, e.g. `aws:ec2/vpc:Vpc`, `saas:network:Network`, `pulumi:providers:aws`. */
  readonly type: string;
  /** Logical name given to the constructor. */
  readonly name: string;
  /** URN of the parent resource (the stack for top-level resources); undefined only for the stack itself. */
  readonly parent?: string;
  /** Inputs exactly as the program passed them (unknowns resolved by the engine's mocks). */
  readonly inputs: Record<string, unknown>;
  /** The state the engine's mocks answered: inputs plus computed properties such as `id`, `arn`, `tagsAll`. */
  readonly outputs: Record<string, unknown>;
  /** URNs this resource depends on (explicit `dependsOn` plus those implied by its inputs). */
  readonly dependencies: string[];
  /** Provider reference `<provider urn>::<provider id>`, or undefined for the default provider. */
  readonly provider?: string;
  /** True for a custom (cloud) resource, false for a component. */
  readonly custom: boolean;
  /** True for a remote component (e.g. awsx): its children are created by its plugin at deploy time, not here. */
  readonly remote: boolean;
  /** Top-level inputs that hold a secret: the plan shows them as "[secret]", as `pulumi preview` does. */
  readonly secretInputs?: readonly string[];
  /** Resource options that policies may look at. */
  readonly options: {
    readonly protect: boolean;
    readonly retainOnDelete: boolean;
    readonly deleteBeforeReplace: boolean;
  };
}

/** A provider the program uses implicitly: the engine's default provider for a package, configured from stack config. */
export interface DefaultProvider {
  readonly urn: string;
  readonly type: string;
  readonly name: string;
  readonly inputs: Record<string, unknown>;
}

/** One policy violation, in the plan's JSON contract. */
export interface Violation {
  readonly policy: string;
  readonly level: "mandatory" | "advisory";
  readonly message: string;
  readonly urn: string;
}
