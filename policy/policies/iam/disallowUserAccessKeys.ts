import { resourcePolicy } from "../../lib/definePolicy";

/**
 * Protects: credentials. Long-lived IAM user access keys leak through CI logs, laptops and state files; workloads
 * use roles and CI uses OIDC (see .github/workflows). Severity: high.
 */
export const disallowUserAccessKeys = resourcePolicy({
  name: "iam-no-user-access-keys",
  description: "IAM users must not have access keys.",
  severity: "high",
  types: ["aws:iam/accessKey:AccessKey"],
  validate: (_props, _args, report) => {
    report("Creates a long-lived IAM access key; use an IAM role (or GitHub OIDC for CI) instead.");
  },
});
