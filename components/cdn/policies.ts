/** Policy documents of the CDN, as pure functions of ARNs. */

import { PolicyDocument as Document, denyInsecureTransport, policyDocument as doc } from "../shared/policies";

/** Only this distribution, signing through its Origin Access Control, may read objects; nobody may use plain HTTP. */
export function assetsBucketPolicy(bucketArn: string, distributionArn: string): Document {
  return doc([
    {
      Sid: "AllowCloudFrontRead",
      Effect: "Allow",
      Principal: { Service: "cloudfront.amazonaws.com" },
      Action: "s3:GetObject",
      Resource: `${bucketArn}/*`,
      Condition: { StringEquals: { "AWS:SourceArn": distributionArn } },
    },
    denyInsecureTransport(bucketArn),
  ]);
}

/** The log bucket takes writes from CloudFront's log delivery through its ACL; its policy only enforces TLS. */
export function logBucketPolicy(bucketArn: string): Document {
  return doc([denyInsecureTransport(bucketArn)]);
}

/**
 * Only GitHub Actions runs of one repository's one branch, with the audience AWS's credential action requests,
 * may assume the deploy role.
 */
export function githubTrustPolicy(providerArn: string, subject: string): Document {
  return doc([
    {
      Effect: "Allow",
      Principal: { Federated: providerArn },
      Action: "sts:AssumeRoleWithWebIdentity",
      Condition: {
        StringEquals: {
          "token.actions.githubusercontent.com:aud": "sts.amazonaws.com",
          "token.actions.githubusercontent.com:sub": subject,
        },
      },
    },
  ]);
}

/**
 * What a frontend deployment does: list, upload and delete objects in this bucket, and invalidate this
 * distribution. The bucket encrypts with SSE-KMS, so an upload also needs a data key from the stack key, through
 * S3 and for this bucket only (with S3 Bucket Keys the encryption context is the bucket ARN).
 */
export function frontendDeployPolicy(bucketArn: string, distributionArn: string, kmsKeyArn: string): Document {
  return doc([
    { Sid: "ListAssets", Effect: "Allow", Action: "s3:ListBucket", Resource: bucketArn },
    { Sid: "WriteAssets", Effect: "Allow", Action: ["s3:DeleteObject", "s3:PutObject"], Resource: `${bucketArn}/*` },
    { Sid: "Invalidate", Effect: "Allow", Action: "cloudfront:CreateInvalidation", Resource: distributionArn },
    {
      Sid: "EncryptUploads",
      Effect: "Allow",
      // Decrypt as well: multipart uploads (aws s3 sync of large files) read back the data key.
      Action: ["kms:Decrypt", "kms:GenerateDataKey"],
      Resource: kmsKeyArn,
      Condition: {
        StringLike: { "kms:ViaService": "s3.*.amazonaws.com" },
        StringEquals: { "kms:EncryptionContext:aws:s3:arn": bucketArn },
      },
    },
  ]);
}
