/**
 * Cross-resource helpers for S3 stack policies: which buckets exist, and which satellite resources (encryption
 * configuration, public access block, load balancer logs) point at which bucket.
 */
import { PolicyResource, UnknownValueError } from "@pulumi/policy";
import { asObject, asString } from "./props";

/** The four settings of a public access block; each one closes a different path to public data. */
export const PUBLIC_ACCESS_BLOCK_FLAGS = [
  "blockPublicAcls",
  "blockPublicPolicy",
  "ignorePublicAcls",
  "restrictPublicBuckets",
] as const;

export const BUCKET_TYPES: readonly string[] = ["aws:s3/bucket:Bucket", "aws:s3/bucketV2:BucketV2"];

/** Reads a value, treating a value unknown during preview as absent so one unknown does not void a stack check. */
export function readKnown<T>(read: () => T): T | undefined {
  try {
    return read();
  } catch (e) {
    if (e instanceof UnknownValueError) return undefined;
    throw e;
  }
}

/** Names by which other resources refer to a bucket: its `bucket` input, its id and its ARN. */
function bucketRefs(bucket: PolicyResource): Set<string> {
  const refs = new Set<string>();
  for (const key of ["bucket", "id", "arn"]) {
    const v = readKnown(() => asString(bucket.props[key]));
    if (v) refs.add(v);
  }
  return refs;
}

/**
 * True when `other` targets `bucket`: it depends on the bucket (how `bucket: b.id` is recorded) or its
 * `refKey` property (e.g. `bucket`) equals one of the bucket's names.
 */
export function pointsAt(
  other: PolicyResource,
  bucket: PolicyResource,
  read: (p: Record<string, unknown>) => unknown,
): boolean {
  if (other.dependencies.some((d) => d.urn === bucket.urn)) return true;
  const ref = readKnown(() => asString(read(other.props)));
  return ref !== undefined && bucketRefs(bucket).has(ref);
}

/** True when a load balancer in the stack writes access or connection logs to `bucket`. */
export function isLoadBalancerLogBucket(bucket: PolicyResource, resources: readonly PolicyResource[]): boolean {
  const refs = bucketRefs(bucket);
  return resources.some((r) => {
    if (r.type !== "aws:lb/loadBalancer:LoadBalancer" && r.type !== "aws:alb/loadBalancer:LoadBalancer") return false;
    return ["accessLogs", "connectionLogs"].some((key) => {
      const target = readKnown(() => asString(asObject(r.props[key])?.bucket));
      return target !== undefined && refs.has(target);
    });
  });
}
