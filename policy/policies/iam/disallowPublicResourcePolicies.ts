import { resourcePolicy } from "../../lib/definePolicy";
import { conditionKeys, hasWildcardPrincipal } from "../../lib/iamDocument";
import { DOCUMENT_TYPES, policyDocumentsOf } from "../../lib/policyDocuments";
import { asString } from "../../lib/props";

const LAMBDA_PERMISSION = "aws:lambda/permission:Permission";

/**
 * Condition keys that narrow a `*` principal to our organisation, account, network or calling resource.
 * `aws:SecureTransport` and similar keys do not restrict who the caller is, so they do not count.
 */
export const RESTRICTING_CONDITION_KEYS: readonly string[] = [
  "aws:sourcearn",
  "aws:sourceaccount",
  "aws:sourceorgid",
  "aws:sourceorgpaths",
  "aws:sourcevpc",
  "aws:sourcevpce",
  "aws:sourceip",
  "aws:principalorgid",
  "aws:principalorgpaths",
  "aws:principalaccount",
  "aws:principalarn",
  "aws:resourceorgid",
  "kms:calleraccount",
  "kms:viaservice",
];

/**
 * Protects: data and queues from the internet. A resource policy (S3 bucket or access point, KMS key, SNS topic,
 * SQS queue, ECR repository, secret, EFS, OpenSearch, Backup vault, log resource policy, API Gateway) that allows
 * principal `*` without a condition on account, organisation, source or network is public. A Lambda permission
 * is the same statement in another shape: principal `*` without sourceArn, sourceAccount or principalOrgId.
 * Severity: critical.
 */
export const disallowPublicResourcePolicies = resourcePolicy({
  name: "iam-no-public-resource-policies",
  description: "Resource policies must not allow a wildcard principal without a restricting condition.",
  severity: "critical",
  types: [...DOCUMENT_TYPES, LAMBDA_PERMISSION],
  validate: (props, args, report) => {
    if (args.type === LAMBDA_PERMISSION) {
      const restricted = [props.sourceArn, props.sourceAccount, props.principalOrgId].some((v) => asString(v));
      if (asString(props.principal) === "*" && !restricted) {
        report(
          'principal is "*" without sourceArn, sourceAccount or principalOrgId; name the invoking service and set sourceArn.',
        );
      }
      return;
    }
    for (const doc of policyDocumentsOf(args.type, props)) {
      if (doc.kind !== "resource") continue;
      for (const s of doc.document.statements) {
        if (s.effect !== "Allow" || !hasWildcardPrincipal(s)) continue;
        if (conditionKeys(s).some((k) => RESTRICTING_CONDITION_KEYS.includes(k))) continue;
        const label = s.sid ? `statement "${s.sid}"` : "a statement";
        report(
          `${doc.path} ${label} allows principal "*" without a restricting condition; name the principals or add an aws:PrincipalOrgID, aws:SourceArn or aws:SourceAccount condition.`,
        );
      }
    }
  },
});
