import { resourcePolicy } from "../../lib/definePolicy";
import { DOCUMENT_TYPES, policyDocumentsOf } from "../../lib/policyDocuments";

/**
 * Protects: least privilege. `Allow` + `NotAction` grants every action except a few (including future ones);
 * `Allow` + `NotResource` grants every resource except a few; `Allow` + `NotPrincipal` grants everyone except a few. Both are checked in identity, trust and resource
 * policies. `NotAction`/`NotResource` remain fine in `Deny` statements, where they narrow a guardrail.
 * Severity: high.
 */
export const disallowAllowWithNotElements = resourcePolicy({
  name: "iam-no-allow-not-action",
  description: "IAM Allow statements must not use NotAction, NotResource or NotPrincipal.",
  severity: "high",
  types: DOCUMENT_TYPES,
  validate: (props, args, report) => {
    for (const doc of policyDocumentsOf(args.type, props)) {
      for (const s of doc.document.statements) {
        if (s.effect !== "Allow") continue;
        if (s.hasNotAction)
          report(`${doc.path} has an Allow statement with NotAction; list the allowed actions in Action instead.`);
        if (s.notPrincipals)
          report(
            `${doc.path} has an Allow statement with NotPrincipal; name the allowed principals in Principal instead.`,
          );
        if (s.hasNotResource)
          report(
            `${doc.path} has an Allow statement with NotResource; list the allowed resources in Resource instead.`,
          );
      }
    }
  },
});
