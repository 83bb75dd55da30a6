/**
 * Where IAM policy documents live, per resource type. Policies ask this module instead of hard-coding property
 * names, so adding a resource type here extends every IAM check at once.
 */
import { parsePolicyDocument, PolicyDocument } from "./iamDocument";
import { asArray, asObject, Props } from "./props";

/**
 * `identity`: attached to a principal (what the principal may do).
 * `trust`: a role's assume-role policy (who may become the role).
 * `resource`: attached to a resource (who may use the resource).
 */
export type DocumentKind = "identity" | "trust" | "resource";

export interface LocatedDocument {
  readonly kind: DocumentKind;
  /** Property path, used in violation messages so the reader knows which document to fix. */
  readonly path: string;
  readonly document: PolicyDocument;
}

/** Identity policies: type → property holding the document. */
const IDENTITY_DOCUMENTS: Readonly<Record<string, string>> = {
  "aws:iam/policy:Policy": "policy",
  "aws:iam/rolePolicy:RolePolicy": "policy",
  "aws:iam/userPolicy:UserPolicy": "policy",
  "aws:iam/groupPolicy:GroupPolicy": "policy",
  "aws:ssoadmin/permissionSetInlinePolicy:PermissionSetInlinePolicy": "inlinePolicy",
};

/** Resource-based policies: type → property holding the document. */
const RESOURCE_DOCUMENTS: Readonly<Record<string, string>> = {
  "aws:s3/bucket:Bucket": "policy",
  "aws:s3/bucketV2:BucketV2": "policy",
  "aws:s3/bucketPolicy:BucketPolicy": "policy",
  "aws:s3/accessPoint:AccessPoint": "policy",
  "aws:kms/key:Key": "policy",
  "aws:kms/keyPolicy:KeyPolicy": "policy",
  "aws:sns/topic:Topic": "policy",
  "aws:sns/topicPolicy:TopicPolicy": "policy",
  "aws:sqs/queue:Queue": "policy",
  "aws:sqs/queuePolicy:QueuePolicy": "policy",
  "aws:ecr/repositoryPolicy:RepositoryPolicy": "policy",
  "aws:secretsmanager/secret:Secret": "policy",
  "aws:secretsmanager/secretPolicy:SecretPolicy": "policy",
  "aws:efs/fileSystemPolicy:FileSystemPolicy": "policy",
  "aws:opensearch/domainPolicy:DomainPolicy": "accessPolicies",
  "aws:backup/vaultPolicy:VaultPolicy": "policy",
  "aws:cloudwatch/logResourcePolicy:LogResourcePolicy": "policyDocument",
  "aws:apigateway/restApiPolicy:RestApiPolicy": "policy",
};

/** Every resource type this module knows documents for. */
export const DOCUMENT_TYPES: readonly string[] = [
  ...Object.keys(IDENTITY_DOCUMENTS),
  ...Object.keys(RESOURCE_DOCUMENTS),
  "aws:iam/role:Role",
];

/** Returns every parseable policy document a resource carries. */
export function policyDocumentsOf(type: string, props: Props): LocatedDocument[] {
  const out: LocatedDocument[] = [];
  const add = (kind: DocumentKind, path: string, value: unknown): void => {
    const document = parsePolicyDocument(value);
    if (document) out.push({ kind, path, document });
  };
  const identity = IDENTITY_DOCUMENTS[type];
  if (identity) add("identity", identity, props[identity]);
  const resource = RESOURCE_DOCUMENTS[type];
  if (resource) add("resource", resource, props[resource]);
  if (type === "aws:iam/role:Role") {
    add("trust", "assumeRolePolicy", props.assumeRolePolicy);
    asArray(props.inlinePolicies).forEach((p, i) =>
      add("identity", `inlinePolicies[${i}].policy`, asObject(p)?.policy),
    );
  }
  return out;
}
