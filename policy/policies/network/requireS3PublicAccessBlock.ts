import { stackPolicy } from "../../lib/definePolicy";
import { isTrue } from "../../lib/props";
import { BUCKET_TYPES, pointsAt, PUBLIC_ACCESS_BLOCK_FLAGS, readKnown } from "../../lib/s3";

/**
 * Protects: buckets from being made public later by an ACL or policy change. Every bucket needs an
 * aws:s3/bucketPublicAccessBlock pointing at it, unless the stack sets an account-level block with all four
 * flags (cross-resource, hence a stack policy; the flags themselves are checked by
 * network-s3-public-access-block-flags). Severity: high.
 */
export const requireS3PublicAccessBlock = stackPolicy({
  name: "network-s3-public-access-block-present",
  description: "Every S3 bucket must have a public access block.",
  severity: "high",
  validate: (resources, _args, report) => {
    const accountBlocked = resources.some(
      (r) =>
        r.type === "aws:s3/accountPublicAccessBlock:AccountPublicAccessBlock" &&
        PUBLIC_ACCESS_BLOCK_FLAGS.every((f) => readKnown(() => isTrue(r.props[f]))),
    );
    if (accountBlocked) return;
    const blocks = resources.filter((r) => r.type === "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock");
    for (const bucket of resources.filter((r) => BUCKET_TYPES.includes(r.type))) {
      if (!blocks.some((b) => pointsAt(b, bucket, (p) => p.bucket))) {
        report(
          "Bucket has no public access block; add an aws.s3.BucketPublicAccessBlock for it with all four flags true.",
          bucket.urn,
        );
      }
    }
  },
});
