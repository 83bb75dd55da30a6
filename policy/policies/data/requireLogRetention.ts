import { resourcePolicy } from "../../lib/definePolicy";
import { asNumber } from "../../lib/props";

/**
 * Protects: cost and data minimisation. A log group without retention (unset or 0) keeps tenant data forever.
 * Severity: low.
 */
export const requireLogRetention = resourcePolicy({
  name: "data-log-retention",
  description: "CloudWatch log groups must set a retention period.",
  severity: "low",
  types: ["aws:cloudwatch/logGroup:LogGroup"],
  validate: (props, _args, report) => {
    const days = asNumber(props.retentionInDays);
    if (days === undefined || days === 0)
      report("retentionInDays is not set, so logs never expire; set retentionInDays (e.g. 30).");
  },
});
