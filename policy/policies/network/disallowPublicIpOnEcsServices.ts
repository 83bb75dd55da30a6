import { resourcePolicy } from "../../lib/definePolicy";
import { asObject, isTrue } from "../../lib/props";

/** Protects: tasks from direct internet reach; they run in private subnets behind the load balancer. Severity: high. */
export const disallowPublicIpOnEcsServices = resourcePolicy({
  name: "network-no-public-ip-ecs",
  description: "ECS services must not assign public IPs to tasks.",
  severity: "high",
  types: ["aws:ecs/service:Service"],
  validate: (props, _args, report) => {
    if (isTrue(asObject(props.networkConfiguration)?.assignPublicIp)) {
      report("networkConfiguration.assignPublicIp is true; set it to false and run tasks in private subnets.");
    }
  },
});
