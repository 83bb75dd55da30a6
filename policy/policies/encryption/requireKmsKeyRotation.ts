import { resourcePolicy } from "../../lib/definePolicy";
import { asString, isTrue } from "../../lib/props";

/**
 * Protects: key hygiene. Symmetric encryption keys must rotate yearly; asymmetric and HMAC keys cannot rotate
 * automatically and are skipped. Severity: medium.
 */
export const requireKmsKeyRotation = resourcePolicy({
  name: "encryption-kms-key-rotation",
  description: "Symmetric KMS keys must have automatic rotation enabled.",
  severity: "medium",
  types: ["aws:kms/key:Key"],
  validate: (props, _args, report) => {
    const spec = asString(props.customerMasterKeySpec) ?? "SYMMETRIC_DEFAULT";
    if (spec !== "SYMMETRIC_DEFAULT") return;
    if (!isTrue(props.enableKeyRotation)) report("enableKeyRotation is not true; set enableKeyRotation: true.");
  },
});
