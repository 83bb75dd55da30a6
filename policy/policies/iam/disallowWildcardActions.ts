import { resourcePolicy } from "../../lib/definePolicy";
import { isWildcardAction } from "../../lib/iamDocument";
import { DOCUMENT_TYPES, policyDocumentsOf } from "../../lib/policyDocuments";

/**
 * Protects: least privilege of principals. An Allow of `*` or `service:*` in an identity policy grants actions
 * nobody reviewed, including ones AWS adds later.
 * Severity: high. Resource-based policies are out of scope here: KMS key policies legitimately grant `kms:*`
 * to the account root (see iam-no-public-resource-policies for those).
 */
export const disallowWildcardActions = resourcePolicy({
  name: "iam-no-wildcard-actions",
  description: "IAM identity policies must not allow `*` or `service:*` actions.",
  severity: "high",
  types: DOCUMENT_TYPES,
  validate: (props, args, report) => {
    for (const doc of policyDocumentsOf(args.type, props)) {
      if (doc.kind !== "identity") continue;
      for (const s of doc.document.statements) {
        if (s.effect !== "Allow") continue;
        for (const action of s.actions.filter(isWildcardAction)) {
          report(`${doc.path} allows action "${action}"; list the specific actions the principal needs instead.`);
        }
      }
    }
  },
});
