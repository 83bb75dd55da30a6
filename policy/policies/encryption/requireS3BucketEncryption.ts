import type { PolicyResource } from "@pulumi/policy";
import { stackPolicy } from "../../lib/definePolicy";
import { asArray, asObject, asString } from "../../lib/props";
import { BUCKET_TYPES, isLoadBalancerLogBucket, pointsAt, readKnown } from "../../lib/s3";

const SSE_TYPES: readonly string[] = [
  "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
  "aws:s3/bucketServerSideEncryptionConfigurationV2:BucketServerSideEncryptionConfigurationV2",
];

interface Config {
  readonly allowSseS3?: boolean;
}

/** The SSE algorithms a bucket is configured with, from the inline block or a separate resource. */
function sseAlgorithms(bucket: PolicyResource, resources: readonly PolicyResource[]): string[] {
  const algorithmsOf = (rules: unknown): string[] =>
    asArray(rules).flatMap((rule) => {
      const by = asObject(asObject(rule)?.applyServerSideEncryptionByDefault);
      const algorithm = asString(by?.sseAlgorithm);
      return algorithm ? [algorithm] : [];
    });
  const inline = readKnown(() => algorithmsOf(asObject(bucket.props.serverSideEncryptionConfiguration)?.rule)) ?? [];
  const separate = resources
    .filter((r) => SSE_TYPES.includes(r.type) && pointsAt(r, bucket, (p) => p.bucket))
    .flatMap((r) => readKnown(() => algorithmsOf(r.props.rules)) ?? []);
  return [...inline, ...separate];
}

/**
 * Protects: object data at rest with a key we control. Every bucket needs default encryption with SSE-KMS, set
 * inline or through a BucketServerSideEncryptionConfiguration(V2) resource, which is why this is a stack policy.
 * Exception by design: a bucket that receives ALB/NLB access or connection logs must use SSE-S3 (AES256),
 * because log delivery does not support SSE-KMS; for such a bucket AES256 is required and SSE-KMS is flagged.
 * Severity: high.
 */
export const requireS3BucketEncryption = stackPolicy<Config>({
  name: "encryption-s3-buckets",
  description: "S3 buckets must have default encryption with SSE-KMS (SSE-S3 for load balancer log buckets).",
  severity: "high",
  config: {
    allowSseS3: { type: "boolean", default: false, description: "Accept SSE-S3 (AES256) on every bucket." },
  },
  validate: (resources, _args, report, config) => {
    for (const bucket of resources.filter((r) => BUCKET_TYPES.includes(r.type))) {
      const algorithms = sseAlgorithms(bucket, resources);
      if (isLoadBalancerLogBucket(bucket, resources)) {
        if (!algorithms.includes("AES256")) {
          report(
            'This bucket receives load balancer logs but does not use SSE-S3; set sseAlgorithm "AES256" (log delivery does not support SSE-KMS).',
            bucket.urn,
          );
        }
        continue;
      }
      if (algorithms.length === 0) {
        report(
          'Bucket has no default encryption; add a BucketServerSideEncryptionConfiguration with sseAlgorithm "aws:kms".',
          bucket.urn,
        );
      } else if (!config.allowSseS3 && !algorithms.some((a) => a.startsWith("aws:kms"))) {
        report(
          `Bucket default encryption is ${algorithms.join(", ")}; use sseAlgorithm "aws:kms" with the data key.`,
          bucket.urn,
        );
      }
    }
  },
});
