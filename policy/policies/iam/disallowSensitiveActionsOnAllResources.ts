import { resourcePolicy } from "../../lib/definePolicy";
import { iamPatternMatches } from "../../lib/iamDocument";
import { DOCUMENT_TYPES, policyDocumentsOf } from "../../lib/policyDocuments";

/**
 * Actions that read secrets, decrypt data, change IAM or switch identity. Allowed on `"*"` they reach every
 * tenant's secrets and keys, so they must name the resources they apply to.
 */
export const SENSITIVE_ACTIONS: readonly string[] = [
  "secretsmanager:GetSecretValue",
  "secretsmanager:PutSecretValue",
  "ssm:GetParameter",
  "ssm:GetParameters",
  "ssm:GetParametersByPath",
  "kms:Decrypt",
  "kms:GenerateDataKey",
  "kms:ReEncryptFrom",
  "kms:CreateGrant",
  "sts:AssumeRole",
  "iam:PassRole",
  "iam:CreateAccessKey",
  "iam:CreateUser",
  "iam:CreatePolicyVersion",
  "iam:AttachRolePolicy",
  "iam:AttachUserPolicy",
  "iam:PutRolePolicy",
  "iam:PutUserPolicy",
  "iam:UpdateAssumeRolePolicy",
];

/** The sensitive actions an action pattern (which may contain `*`/`?`) grants. */
export function sensitiveActionsGrantedBy(pattern: string): string[] {
  return SENSITIVE_ACTIONS.filter((a) => iamPatternMatches(pattern, a));
}

/**
 * Protects: tenant isolation of secrets, keys and identities. Flags an identity-policy Allow whose `Resource`
 * includes `"*"` and whose actions (including wildcard patterns such as `iam:*`) grant a sensitive action.
 * Severity: critical.
 */
export const disallowSensitiveActionsOnAllResources = resourcePolicy({
  name: "iam-no-sensitive-actions-on-all-resources",
  description:
    "Sensitive IAM actions (secrets, KMS decrypt, IAM, sts:AssumeRole) must be scoped to specific resources.",
  severity: "critical",
  types: DOCUMENT_TYPES,
  validate: (props, args, report) => {
    for (const doc of policyDocumentsOf(args.type, props)) {
      if (doc.kind !== "identity") continue;
      for (const s of doc.document.statements) {
        if (s.effect !== "Allow" || !s.resources.includes("*")) continue;
        for (const action of s.actions) {
          const granted = sensitiveActionsGrantedBy(action);
          if (granted.length > 0) {
            report(
              `${doc.path} allows "${action}" (grants ${granted.join(", ")}) on resource "*"; scope it to the ARNs that need it.`,
            );
          }
        }
      }
    }
  },
});
