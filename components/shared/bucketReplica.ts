import * as pulumi from "@pulumi/pulumi";
import { Role } from "@pulumi/aws/iam/role";
import { RolePolicy } from "@pulumi/aws/iam/rolePolicy";
import { BucketReplicationConfig } from "@pulumi/aws/s3/bucketReplicationConfig";
import { StackContext } from "./context";
import { PrivateBucket } from "./privateBucket";
import { denyInsecureTransport, policyDocument, serviceTrustPolicy } from "./policies";

export interface BucketReplicaArgs {
  readonly context: StackContext;
  /** The disaster-recovery region: its provider and key. */
  readonly replica: {
    readonly region: string;
    readonly provider: pulumi.ProviderResource;
    readonly kmsKeyArn: pulumi.Input<string>;
  };
  readonly source: PrivateBucket;
  readonly protect: boolean;
  readonly retentionDays: number;
  /** The replica's lifecycle rule id. */
  readonly ruleId: string;
  readonly replicationRuleId: string;
  /** Only objects under this prefix are replicated. */
  readonly prefix: string;
  readonly description: string;
  readonly tags: Record<string, string>;
  readonly roleTags: Record<string, string>;
}

/**
 * A replica of `source` in the disaster-recovery region: `<base>-replica` (a PrivateBucket with the replica key,
 * the same retention) and `<base>-replication` (S3's role, its policy and the replication configuration).
 */
export function replicateBucket(parent: pulumi.Resource, base: string, args: BucketReplicaArgs): void {
  const { context, replica, source, protect, retentionDays } = args;
  const target = new PrivateBucket(parent, `${base}-replica`, {
    objectOwnership: "BucketOwnerEnforced",
    encryption: { kmsKeyArn: replica.kmsKeyArn },
    lifecycle: { ruleId: args.ruleId, expirationDays: retentionDays, noncurrentDays: retentionDays },
    forceDestroy: !protect,
    protect,
    provider: replica.provider,
    tags: args.tags,
  });
  target.attachPolicy(target.bucket.arn.apply((arn) => JSON.stringify(policyDocument([denyInsecureTransport(arn)]))));
  const role = new Role(
    `${base}-replication`,
    {
      assumeRolePolicy: pulumi
        .all([pulumi.output(context.accountId), source.bucket.arn])
        .apply(([account, arn]) => JSON.stringify(serviceTrustPolicy("s3.amazonaws.com", account, arn))),
      description: args.description,
      tags: args.roleTags,
    },
    { parent },
  );
  new RolePolicy(
    `${base}-replication`,
    {
      role: role.id,
      policy: pulumi
        .all([source.bucket.arn, target.bucket.arn, pulumi.output(context.kmsKeyArn), pulumi.output(replica.kmsKeyArn)])
        .apply(([sourceBucketArn, replicaBucketArn, sourceKeyArn, replicaKeyArn]) =>
          JSON.stringify(
            bucketReplicationPolicy({
              sourceBucketArn,
              replicaBucketArn,
              sourceKeyArn,
              replicaKeyArn,
              sourceRegion: context.region,
              replicaRegion: replica.region,
            }),
          ),
        ),
    },
    { parent },
  );
  new BucketReplicationConfig(
    `${base}-replication`,
    {
      bucket: source.bucket.id,
      role: role.arn,
      rules: [
        {
          id: args.replicationRuleId,
          status: "Enabled",
          filter: { prefix: args.prefix },
          deleteMarkerReplication: { status: "Disabled" },
          sourceSelectionCriteria: { sseKmsEncryptedObjects: { status: "Enabled" } },
          destination: {
            bucket: target.bucket.arn,
            storageClass: "STANDARD",
            encryptionConfiguration: { replicaKmsKeyId: replica.kmsKeyArn },
          },
        },
      ],
    },
    // S3 accepts a replication configuration only on a versioned bucket, on both sides.
    { parent, dependsOn: [source.versioning, target.versioning] },
  );
}

export interface BucketReplicationPolicyInput {
  readonly sourceBucketArn: string;
  readonly replicaBucketArn: string;
  readonly sourceKeyArn: string;
  readonly replicaKeyArn: string;
  readonly sourceRegion: string;
  readonly replicaRegion: string;
}

/** What S3 replication needs of SSE-KMS objects (S3 User Guide, "Replicating encrypted objects"). */
export function bucketReplicationPolicy(input: BucketReplicationPolicyInput) {
  return policyDocument([
    {
      Sid: "ReadSourceConfiguration",
      Effect: "Allow",
      Action: ["s3:GetReplicationConfiguration", "s3:ListBucket"],
      Resource: input.sourceBucketArn,
    },
    {
      Sid: "ReadSourceVersions",
      Effect: "Allow",
      Action: ["s3:GetObjectVersionForReplication", "s3:GetObjectVersionAcl", "s3:GetObjectVersionTagging"],
      Resource: `${input.sourceBucketArn}/*`,
    },
    {
      Sid: "WriteReplicas",
      Effect: "Allow",
      Action: ["s3:ReplicateObject", "s3:ReplicateDelete", "s3:ReplicateTags"],
      Resource: `${input.replicaBucketArn}/*`,
    },
    {
      Sid: "DecryptSourceThroughS3",
      Effect: "Allow",
      Action: "kms:Decrypt",
      Resource: input.sourceKeyArn,
      Condition: {
        StringEquals: { "kms:ViaService": `s3.${input.sourceRegion}.amazonaws.com` },
        // With an S3 Bucket Key the context is the bucket's ARN, without one the object's (S3 User Guide,
        // "Reducing the cost of SSE-KMS with Amazon S3 Bucket Keys"): both, so either setting replicates.
        StringLike: { "kms:EncryptionContext:aws:s3:arn": [input.sourceBucketArn, `${input.sourceBucketArn}/*`] },
      },
    },
    {
      Sid: "EncryptReplicasThroughS3",
      Effect: "Allow",
      Action: ["kms:Encrypt", "kms:GenerateDataKey"],
      Resource: input.replicaKeyArn,
      Condition: {
        StringEquals: { "kms:ViaService": `s3.${input.replicaRegion}.amazonaws.com` },
        StringLike: { "kms:EncryptionContext:aws:s3:arn": [input.replicaBucketArn, `${input.replicaBucketArn}/*`] },
      },
    },
  ]);
}
