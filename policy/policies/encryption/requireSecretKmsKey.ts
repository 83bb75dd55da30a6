import { resourcePolicy } from "../../lib/definePolicy";
import { asString } from "../../lib/props";

/**
 * Protects: secrets with a customer-managed key, so that reading a secret also needs kms:Decrypt on a key we
 * control and audit. Secrets are always encrypted (with aws/secretsmanager by default), hence advisory.
 * Severity: low.
 */
export const requireSecretKmsKey = resourcePolicy({
  name: "encryption-secrets-cmk",
  description: "Secrets Manager secrets should use a customer-managed KMS key.",
  severity: "low",
  enforcementLevel: "advisory",
  types: ["aws:secretsmanager/secret:Secret"],
  validate: (props, _args, report) => {
    if (!asString(props.kmsKeyId)) report("kmsKeyId is not set; set it to a customer-managed KMS key.");
  },
});
