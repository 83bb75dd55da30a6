import * as pulumi from "@pulumi/pulumi";
import { Bucket } from "@pulumi/aws/s3/bucket";
import { BucketServerSideEncryptionConfiguration } from "@pulumi/aws/s3/bucketServerSideEncryptionConfiguration";
import { BucketPublicAccessBlock } from "@pulumi/aws/s3/bucketPublicAccessBlock";
import { BucketOwnershipControls } from "@pulumi/aws/s3/bucketOwnershipControls";
import { BucketVersioning } from "@pulumi/aws/s3/bucketVersioning";
import { BucketLifecycleConfiguration } from "@pulumi/aws/s3/bucketLifecycleConfiguration";
import { BucketPolicy } from "@pulumi/aws/s3/bucketPolicy";

/**
 * The tag a bucket carries to tell `npm run dr:check` what it holds when no other resource's setting says it:
 * "logs" or "replica" (a copy of what lives elsewhere, so no cross-region replication is required of it).
 */
export const DR_ROLE_TAG = "dr:role";

export interface PrivateBucketArgs {
  /**
   * Who owns the objects. `BucketOwnerEnforced` turns ACLs off; `BucketOwnerPreferred` keeps them for a log
   * delivery that grants itself access by ACL (CloudFront standard logs).
   */
  readonly objectOwnership: "BucketOwnerEnforced" | "BucketOwnerPreferred";
  /**
   * Default encryption: SSE-KMS with this key and an S3 Bucket Key, or SSE-S3 (`"s3-managed"`) for writers that
   * cannot use a customer key (ALB access-log delivery).
   */
  readonly encryption: { readonly kmsKeyArn: pulumi.Input<string> } | "s3-managed";
  /** The one lifecycle rule: current objects expire after `expirationDays` (never when unset). */
  readonly lifecycle: {
    readonly ruleId: string;
    readonly expirationDays?: number;
    /** Days an overwritten or deleted version is kept. */
    readonly noncurrentDays: number;
  };
  /** Let `pulumi destroy` empty and delete the bucket. */
  readonly forceDestroy: boolean;
  /**
   * Pulumi refuses to delete the bucket (`protect`), for a bucket that may hold the only copy of some data.
   * @default false
   */
  readonly protect?: boolean;
  /**
   * Name the bucket `<bucketPrefix><unique id>` (AWS's prefix naming) instead of after its logical name, where
   * a policy must match the stack's buckets by name before they exist (the S3 gateway endpoint's).
   * @default - the logical name and a random suffix
   */
  readonly bucketPrefix?: string;
  /** The provider of another region (a disaster-recovery replica). @default - the stack's provider */
  readonly provider?: pulumi.ProviderResource;
  readonly tags: Record<string, string>;
}

/**
 * A private S3 bucket: every public access block flag on, versioned, encrypted by default, one lifecycle rule
 * (with incomplete multipart uploads aborted after a day). Each child is named `name`, parented to `parent`.
 * The bucket's policy is added with `attachPolicy`, after the public access block, because with
 * blockPublicPolicy S3 checks a policy against it when the policy is put.
 */
export class PrivateBucket {
  readonly bucket: Bucket;
  readonly ownershipControls: BucketOwnershipControls;
  readonly publicAccessBlock: BucketPublicAccessBlock;
  readonly versioning: BucketVersioning;
  private readonly provider?: pulumi.ProviderResource;

  constructor(
    private readonly parent: pulumi.Resource,
    private readonly name: string,
    args: PrivateBucketArgs,
  ) {
    this.provider = args.provider;
    const opts = { parent, ...(args.provider ? { provider: args.provider } : {}) };
    this.bucket = new Bucket(
      name,
      {
        forceDestroy: args.forceDestroy,
        ...(args.bucketPrefix !== undefined ? { bucketPrefix: args.bucketPrefix } : {}),
        tags: args.tags,
      },
      { ...opts, protect: args.protect ?? false },
    );
    const bucket = this.bucket.id;
    this.ownershipControls = new BucketOwnershipControls(
      name,
      { bucket, rule: { objectOwnership: args.objectOwnership } },
      opts,
    );
    this.publicAccessBlock = new BucketPublicAccessBlock(
      name,
      { bucket, blockPublicAcls: true, blockPublicPolicy: true, ignorePublicAcls: true, restrictPublicBuckets: true },
      opts,
    );
    new BucketServerSideEncryptionConfiguration(
      name,
      {
        bucket,
        rules: [
          args.encryption === "s3-managed"
            ? { applyServerSideEncryptionByDefault: { sseAlgorithm: "AES256" } }
            : {
                applyServerSideEncryptionByDefault: {
                  sseAlgorithm: "aws:kms",
                  kmsMasterKeyId: args.encryption.kmsKeyArn,
                },
                // One data key per bucket instead of per object: far fewer KMS calls (and KMS charges).
                bucketKeyEnabled: true,
              },
        ],
      },
      opts,
    );
    this.versioning = new BucketVersioning(name, { bucket, versioningConfiguration: { status: "Enabled" } }, opts);
    const { ruleId, expirationDays, noncurrentDays } = args.lifecycle;
    new BucketLifecycleConfiguration(
      name,
      {
        bucket,
        rules: [
          {
            id: ruleId,
            status: "Enabled",
            filter: {},
            ...(expirationDays ? { expiration: { days: expirationDays } } : {}),
            noncurrentVersionExpiration: { noncurrentDays },
            abortIncompleteMultipartUpload: { daysAfterInitiation: 1 },
          },
        ],
      },
      opts,
    );
  }

  /** The bucket policy (named like the bucket), put once the public access block is in place. */
  attachPolicy(policy: pulumi.Input<string>): BucketPolicy {
    return new BucketPolicy(
      this.name,
      { bucket: this.bucket.id, policy },
      {
        parent: this.parent,
        ...(this.provider ? { provider: this.provider } : {}),
        dependsOn: [this.publicAccessBlock],
      },
    );
  }
}
