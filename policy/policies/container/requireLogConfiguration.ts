import { containersOf } from "../../lib/containers";
import { resourcePolicy } from "../../lib/definePolicy";
import { asObject, asString } from "../../lib/props";

/** Protects: auditability and incident response; a container without logConfiguration loses its output. Severity: medium. */
export const requireLogConfiguration = resourcePolicy({
  name: "container-log-configuration",
  description: "ECS containers must configure a log driver.",
  severity: "medium",
  types: ["aws:ecs/taskDefinition:TaskDefinition"],
  validate: (props, _args, report) => {
    for (const c of containersOf(props)) {
      if (!asString(asObject(c.raw.logConfiguration)?.logDriver)) {
        report(`Container "${c.label}" has no logConfiguration; set logConfiguration with logDriver "awslogs".`);
      }
    }
  },
});
