import * as pulumi from "@pulumi/pulumi";

/**
 * What every component of one stack shares: where the stack lives (account, partition, region), how its physical
 * names start, and the key that encrypts its data. The composition (stacks/platform.ts) builds it once and hands
 * the same object to every component, so no component takes these piecemeal or looks them up again.
 */
export interface StackContext {
  /** Prefix of the physical names (Name tags, log groups, roles, the load balancer ...), e.g. `saas-dev`. */
  readonly namePrefix: string;
  /**
   * Region of the stack, e.g. `us-east-1`. A plain value: endpoint service names, awslogs options and the
   * certificate check are derived from it when the program runs.
   */
  readonly region: string;
  /** AWS account id that owns the stack: ARNs and the confused-deputy conditions (aws:SourceAccount). */
  readonly accountId: pulumi.Input<string>;
  /** AWS partition (`aws`, `aws-cn`, `aws-us-gov`), for every ARN a component writes. */
  readonly partition: pulumi.Input<string>;
  /** ARN of the stack's KMS key (components/kms/stackKey.ts): logs, database, secrets, buckets and alerts. */
  readonly kmsKeyArn: pulumi.Input<string>;
}

/** The context before the stack key exists: what the key itself is created with. */
export type StackLocation = Omit<StackContext, "kmsKeyArn">;

/** The full context, once the stack key exists. */
export function withStackKey(location: StackLocation, kmsKeyArn: pulumi.Input<string>): StackContext {
  return { ...location, kmsKeyArn };
}
