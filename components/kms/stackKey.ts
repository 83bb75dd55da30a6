import * as pulumi from "@pulumi/pulumi";
import { Key } from "@pulumi/aws/kms/key";
import { Alias } from "@pulumi/aws/kms/alias";
import { nameTags } from "../shared/naming";
import { StackLocation } from "../shared/context";

export interface StackKeyArgs {
  /**
   * The stack's name prefix (the alias is `alias/<namePrefix>`), account (whose IAM policies may delegate use of
   * the key), region (CloudWatch Logs there may use it for the account's log groups) and partition.
   */
  readonly context: StackLocation;
  /**
   * Service principals (e.g. `cloudwatch.amazonaws.com`) that may generate data keys and decrypt with this key,
   * restricted to callers from this account.
   * @default - none besides CloudWatch Logs
   */
  readonly servicePrincipals?: readonly string[];
  /**
   * Days AWS waits before deleting the key after it is scheduled for deletion.
   * @default 30 - the longest window, so a mistaken deletion can be cancelled
   */
  readonly deletionWindowInDays?: number;
  /** Extra tags; cost tags come from the provider's defaultTags. */
  readonly tags?: Readonly<Record<string, string>>;
}

/**
 * The stack's customer-managed KMS key, with yearly automatic rotation. Log groups, the database, secrets and
 * the alert topic encrypt with it, so revoking it stops the whole stack's data at once.
 */
export class StackKey extends pulumi.ComponentResource {
  public readonly keyArn: pulumi.Output<string>;
  public readonly keyId: pulumi.Output<string>;
  public readonly aliasName: pulumi.Output<string>;

  constructor(name: string, args: StackKeyArgs, opts?: pulumi.ComponentResourceOptions) {
    super("saas:kms:StackKey", name, {}, opts);
    const deletionWindowInDays = args.deletionWindowInDays ?? 30;
    const servicePrincipals = args.servicePrincipals ?? [];

    const policy = pulumi
      .all([args.context.accountId, args.context.region, args.context.partition])
      .apply(([account, region, partition]) =>
        JSON.stringify(stackKeyPolicy(account, region, partition, servicePrincipals)),
      );

    const key = new Key(
      `${name}-key`,
      {
        description: `${args.context.namePrefix}: encryption of logs, database, secrets and alerts`,
        enableKeyRotation: true,
        deletionWindowInDays,
        policy,
        tags: nameTags(args.context.namePrefix, args.tags),
      },
      { parent: this },
    );
    const alias = new Alias(
      `${name}-alias`,
      { name: `alias/${args.context.namePrefix}`, targetKeyId: key.keyId },
      { parent: this },
    );

    this.keyArn = key.arn;
    this.keyId = key.keyId;
    this.aliasName = alias.name;
    this.registerOutputs({ keyArn: this.keyArn, keyId: this.keyId, aliasName: this.aliasName });
  }
}

/**
 * The key policy. The account root statement lets IAM policies grant use of the key (the AWS default, without
 * which the key becomes unmanageable); CloudWatch Logs is named explicitly because it encrypts as itself, and
 * only for log groups of this account in this region.
 */
export function stackKeyPolicy(
  account: string,
  region: string,
  partition: string,
  servicePrincipals: readonly string[],
) {
  const statements: Record<string, unknown>[] = [
    {
      Sid: "AccountAdministration",
      Effect: "Allow",
      Principal: { AWS: `arn:${partition}:iam::${account}:root` },
      Action: "kms:*",
      Resource: "*",
    },
    {
      Sid: "CloudWatchLogsForThisAccount",
      Effect: "Allow",
      Principal: { Service: `logs.${region}.amazonaws.com` },
      Action: ["kms:Encrypt*", "kms:Decrypt*", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:Describe*"],
      Resource: "*",
      Condition: {
        ArnLike: { "kms:EncryptionContext:aws:logs:arn": `arn:${partition}:logs:${region}:${account}:log-group:*` },
      },
    },
  ];
  for (const service of servicePrincipals) {
    statements.push(serviceStatement(service, account, region, partition));
  }
  return { Version: "2012-10-17", Statement: statements };
}

/**
 * What each AWS service may do with the key, and for what. Every statement is limited to this account; where the
 * service passes something narrower (the distribution reading, the topic being published to), that too.
 */
export function serviceStatement(service: string, account: string, region: string, partition: string) {
  const sid = `${service.split(".")[0].replace(/(^|-)(\w)/g, (_m, _d, c: string) => c.toUpperCase())}ForThisAccount`;
  const base = { Sid: sid, Effect: "Allow", Principal: { Service: service }, Resource: "*" };
  const fromAccount = { "aws:SourceAccount": account };
  switch (service) {
    case "cloudfront.amazonaws.com":
      // Origin Access Control reads SSE-KMS objects: decrypt only, and only for this account's distributions.
      return {
        ...base,
        Action: ["kms:Decrypt"],
        Condition: {
          StringEquals: fromAccount,
          ArnLike: { "aws:SourceArn": `arn:${partition}:cloudfront::${account}:distribution/*` },
        },
      };
    case "delivery.logs.amazonaws.com":
      // CloudFront standard logging (legacy) writing SSE-KMS log objects: the statement exactly as the CloudFront
      // developer guide ("Standard logging", SSE-KMS) documents it, GenerateDataKey* plus Decrypt because the log
      // bucket uses an S3 Bucket Key. No aws:SourceAccount/SourceArn condition: the guide shows none, and if the
      // log delivery does not send one, a condition on it would deny every write and the logs would drop silently.
      return { ...base, Sid: "CloudFrontLogDelivery", Action: ["kms:GenerateDataKey*", "kms:Decrypt"] };
    case "cloudwatch.amazonaws.com":
    case "budgets.amazonaws.com":
    case "costalerts.amazonaws.com":
      // They publish to the encrypted alert topic: data keys for this account's SNS topics only.
      return {
        ...base,
        Action: ["kms:GenerateDataKey*", "kms:Decrypt"],
        Condition: {
          StringEquals: fromAccount,
          ArnLike: { "kms:EncryptionContext:aws:sns:topicArn": `arn:${partition}:sns:${region}:${account}:*` },
        },
      };
    default:
      return { ...base, Action: ["kms:GenerateDataKey*", "kms:Decrypt"], Condition: { StringEquals: fromAccount } };
  }
}
