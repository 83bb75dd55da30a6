import { resourcePolicy } from "../../lib/definePolicy";
import { conditionValues, iamPatternMatches, Statement } from "../../lib/iamDocument";
import { policyDocumentsOf } from "../../lib/policyDocuments";

/** The OIDC host of a federated principal (`arn:aws:iam::1:oidc-provider/token.actions.githubusercontent.com`). */
export function oidcHost(federated: string): string | undefined {
  const fromArn = /:oidc-provider\/(.+)$/.exec(federated)?.[1];
  if (fromArn) return fromArn;
  // A bare host is how some programs (and Cognito) spell the principal; SAML providers are not web identity.
  return federated.includes(":saml-provider/") || federated.startsWith("arn:") ? undefined : federated;
}

function webIdentityHosts(s: Statement): string[] {
  const assumes = s.actions.some((a) => iamPatternMatches(a, "sts:AssumeRoleWithWebIdentity"));
  if (!assumes) return [];
  return (s.principals?.Federated ?? []).flatMap((f) => oidcHost(f) ?? []);
}

/**
 * Protects: CI/CD and workload identity. Without an `aud` condition any OIDC client of the provider can present a
 * token; without a `sub` condition every repository (for GitHub: every repository on github.com) can assume the
 * role. Both keys must be present and `sub` must not be a bare `*`. Severity: critical.
 */
export const requireWebIdentityConditions = resourcePolicy({
  name: "iam-web-identity-conditions",
  description: "Web-identity (OIDC) trust policies must restrict both the audience (aud) and the subject (sub).",
  severity: "critical",
  types: ["aws:iam/role:Role"],
  validate: (props, args, report) => {
    for (const doc of policyDocumentsOf(args.type, props)) {
      if (doc.kind !== "trust") continue;
      for (const s of doc.document.statements) {
        if (s.effect !== "Allow") continue;
        for (const host of webIdentityHosts(s)) {
          if (conditionValues(s, `${host}:aud`).length === 0) {
            report(
              `assumeRolePolicy trusts ${host} without a "${host}:aud" condition; add one (e.g. StringEquals "sts.amazonaws.com").`,
            );
          }
          const subs = conditionValues(s, `${host}:sub`);
          if (subs.length === 0) {
            report(
              `assumeRolePolicy trusts ${host} without a "${host}:sub" condition; add one naming the repository and branch or environment.`,
            );
          } else if (subs.some((v) => v === "*")) {
            report(`assumeRolePolicy's "${host}:sub" condition is "*"; name the repository and branch or environment.`);
          }
        }
      }
    }
  },
});
