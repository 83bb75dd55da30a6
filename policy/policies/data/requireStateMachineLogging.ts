import { resourcePolicy } from "../../lib/definePolicy";
import { asObject, asString } from "../../lib/props";

/**
 * Protects: auditability and incident response. A state machine that does not log its executions (or logs only
 * errors) leaves no record of what each step did once the execution history is gone; for the tenant fleet
 * migration that is which tenant was migrated when, and why one failed. Severity: medium.
 */
export const requireStateMachineLogging = resourcePolicy({
  name: "data-state-machine-logging",
  description: "Step Functions state machines must log every execution event to CloudWatch Logs.",
  severity: "medium",
  types: ["aws:sfn/stateMachine:StateMachine"],
  validate: (props, _args, report) => {
    const logging = asObject(props.loggingConfiguration);
    const level = asString(logging?.level);
    if (!logging || !asString(logging.logDestination)) {
      report("loggingConfiguration has no logDestination; log to a CloudWatch log group (`<log group ARN>:*`).");
    } else if (level !== "ALL") {
      report(`loggingConfiguration.level is ${JSON.stringify(level ?? "OFF")}; set level "ALL".`);
    }
  },
});
