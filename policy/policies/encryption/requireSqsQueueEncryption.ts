import { resourcePolicy } from "../../lib/definePolicy";
import { asString } from "../../lib/props";

/**
 * Protects: message payloads at rest in SQS. Either SSE-KMS (`kmsMasterKeyId`) or SSE-SQS
 * (`sqsManagedSseEnabled`) satisfies it. The provider's default for `sqsManagedSseEnabled` is not relied on: the
 * program states it. Severity: medium.
 */
export const requireSqsQueueEncryption = resourcePolicy({
  name: "encryption-sqs-queues",
  description: "SQS queues must be encrypted (SSE-KMS or SSE-SQS).",
  severity: "medium",
  types: ["aws:sqs/queue:Queue"],
  validate: (props, _args, report) => {
    if (!asString(props.kmsMasterKeyId) && props.sqsManagedSseEnabled !== true) {
      report(
        "Neither kmsMasterKeyId nor sqsManagedSseEnabled is set; set kmsMasterKeyId or sqsManagedSseEnabled: true.",
      );
    }
  },
});
