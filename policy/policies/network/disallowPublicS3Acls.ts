import { resourcePolicy } from "../../lib/definePolicy";
import { asArray, asObject, asString } from "../../lib/props";

export const PUBLIC_CANNED_ACLS: readonly string[] = ["public-read", "public-read-write", "authenticated-read"];
const PUBLIC_GROUP_URIS = [
  "http://acs.amazonaws.com/groups/global/AllUsers",
  "http://acs.amazonaws.com/groups/global/AuthenticatedUsers",
];

/**
 * Protects: S3 data from anonymous or any-AWS-account access through ACLs: canned ACLs on buckets, bucket ACL
 * resources (both versions) and objects, and explicit grants to the AllUsers/AuthenticatedUsers groups.
 * Severity: critical.
 */
export const disallowPublicS3Acls = resourcePolicy({
  name: "network-no-public-s3-acls",
  description: "S3 buckets and objects must not have public ACLs.",
  severity: "critical",
  types: [
    "aws:s3/bucket:Bucket",
    "aws:s3/bucketV2:BucketV2",
    "aws:s3/bucketAcl:BucketAcl",
    "aws:s3/bucketAclV2:BucketAclV2",
    "aws:s3/bucketObject:BucketObject",
    "aws:s3/bucketObjectv2:BucketObjectv2",
  ],
  validate: (props, _args, report) => {
    const acl = asString(props.acl);
    if (acl && PUBLIC_CANNED_ACLS.includes(acl))
      report(`acl is "${acl}"; use "private" and grant access through IAM or CloudFront OAC.`);
    const grants = [...asArray(props.grants), ...asArray(asObject(props.accessControlPolicy)?.grants)];
    for (const g of grants) {
      const grant = asObject(g);
      const uris = [grant?.uri, asObject(grant?.grantee)?.uri].flatMap((u) => asString(u) ?? []);
      const publicUri = uris.find((u) => PUBLIC_GROUP_URIS.includes(u));
      if (publicUri) report(`A grant gives access to ${publicUri.split("/").pop()}; remove the grant.`);
    }
  },
});
