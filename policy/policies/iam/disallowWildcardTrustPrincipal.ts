import { resourcePolicy } from "../../lib/definePolicy";
import { hasWildcardPrincipal } from "../../lib/iamDocument";
import { policyDocumentsOf } from "../../lib/policyDocuments";

/**
 * Protects: role assumption. A trust policy that allows principal `*` lets any AWS account try to assume the
 * role; conditions are easy to get wrong, so the pack requires a named principal (use the exceptions list for a
 * reviewed, condition-guarded case). Severity: critical.
 */
export const disallowWildcardTrustPrincipal = resourcePolicy({
  name: "iam-no-wildcard-trust-principal",
  description: "IAM role trust policies must not allow a wildcard principal.",
  severity: "critical",
  types: ["aws:iam/role:Role"],
  validate: (props, args, report) => {
    for (const doc of policyDocumentsOf(args.type, props)) {
      if (doc.kind !== "trust") continue;
      if (doc.document.statements.some((s) => s.effect === "Allow" && hasWildcardPrincipal(s))) {
        report('assumeRolePolicy allows principal "*"; name the account, role or service that may assume the role.');
      }
    }
  },
});
