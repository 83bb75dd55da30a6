import { resourcePolicy } from "../../lib/definePolicy";
import { isTrue } from "../../lib/props";

/** Protects: databases from internet reach; they are reached from the app subnets only. Severity: critical. */
export const disallowPublicRds = resourcePolicy({
  name: "network-no-public-rds",
  description: "RDS instances must not be publicly accessible.",
  severity: "critical",
  types: ["aws:rds/instance:Instance", "aws:rds/clusterInstance:ClusterInstance"],
  validate: (props, _args, report) => {
    if (isTrue(props.publiclyAccessible)) report("publiclyAccessible is true; set publiclyAccessible: false.");
  },
});
