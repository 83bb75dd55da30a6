import { resourcePolicy } from "../../lib/definePolicy";
import { asString } from "../../lib/props";

/** Protects: message payloads at rest in SNS, which are unencrypted unless a KMS key is set. Severity: medium. */
export const requireSnsTopicEncryption = resourcePolicy({
  name: "encryption-sns-topics",
  description: "SNS topics must be encrypted with KMS.",
  severity: "medium",
  types: ["aws:sns/topic:Topic"],
  validate: (props, _args, report) => {
    if (!asString(props.kmsMasterKeyId)) report("kmsMasterKeyId is not set; set it to a KMS key (or alias/aws/sns).");
  },
});
