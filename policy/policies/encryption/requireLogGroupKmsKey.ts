import { resourcePolicy } from "../../lib/definePolicy";
import { asString } from "../../lib/props";

interface Config {
  readonly requireKms?: boolean;
}

/**
 * Protects: application logs, which carry tenant identifiers and request data, with a customer-managed key so
 * access to logs can be revoked by key policy. Configurable because some stacks accept AWS-owned encryption.
 * Severity: medium.
 */
export const requireLogGroupKmsKey = resourcePolicy<Config>({
  name: "encryption-log-groups",
  description: "CloudWatch log groups must be encrypted with a customer-managed KMS key.",
  severity: "medium",
  types: ["aws:cloudwatch/logGroup:LogGroup"],
  config: {
    requireKms: { type: "boolean", default: true, description: "Whether log groups need kmsKeyId." },
  },
  validate: (props, _args, report, config) => {
    if ((config.requireKms ?? true) && !asString(props.kmsKeyId))
      report("kmsKeyId is not set; set it to the logs KMS key.");
  },
});
