import { containersOf } from "../../lib/containers";
import { resourcePolicy } from "../../lib/definePolicy";
import { isTrue } from "../../lib/props";

/** Protects: the host and neighbouring tasks from container breakout. Severity: critical. */
export const disallowPrivilegedContainers = resourcePolicy({
  name: "container-no-privileged",
  description: "ECS containers must not run privileged.",
  severity: "critical",
  types: ["aws:ecs/taskDefinition:TaskDefinition"],
  validate: (props, _args, report) => {
    for (const c of containersOf(props)) {
      if (isTrue(c.raw.privileged)) report(`Container "${c.label}" is privileged; remove privileged: true.`);
    }
  },
});
