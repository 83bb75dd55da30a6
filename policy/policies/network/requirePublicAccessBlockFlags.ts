import { resourcePolicy } from "../../lib/definePolicy";
import { isTrue } from "../../lib/props";
import { PUBLIC_ACCESS_BLOCK_FLAGS } from "../../lib/s3";

/**
 * Protects: S3 data from public ACLs and policies. A public access block with any flag unset or false leaves that
 * path open, at bucket or account level. Severity: high.
 */
export const requirePublicAccessBlockFlags = resourcePolicy({
  name: "network-s3-public-access-block-flags",
  description: "S3 public access blocks must set all four flags to true.",
  severity: "high",
  types: [
    "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock",
    "aws:s3/accountPublicAccessBlock:AccountPublicAccessBlock",
  ],
  validate: (props, _args, report) => {
    const off = PUBLIC_ACCESS_BLOCK_FLAGS.filter((f) => !isTrue(props[f]));
    if (off.length > 0)
      report(
        `${off.join(", ")} ${off.length === 1 ? "is" : "are"} not true; set all four public access block flags to true.`,
      );
  },
});
