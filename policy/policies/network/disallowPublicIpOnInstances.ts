import { resourcePolicy } from "../../lib/definePolicy";
import { asArray, asObject, isTrue } from "../../lib/props";

/**
 * Protects: EC2 hosts from direct internet reach, whether launched directly, as spot requests, from launch
 * templates (network interfaces) or legacy launch configurations. Severity: high.
 */
export const disallowPublicIpOnInstances = resourcePolicy({
  name: "network-no-public-ip-ec2",
  description: "EC2 instances and launch templates must not associate public IP addresses.",
  severity: "high",
  types: [
    "aws:ec2/instance:Instance",
    "aws:ec2/spotInstanceRequest:SpotInstanceRequest",
    "aws:ec2/launchConfiguration:LaunchConfiguration",
    "aws:ec2/launchTemplate:LaunchTemplate",
  ],
  validate: (props, args, report) => {
    if (args.type !== "aws:ec2/launchTemplate:LaunchTemplate") {
      if (isTrue(props.associatePublicIpAddress))
        report("associatePublicIpAddress is true; set it to false and use a private subnet.");
      return;
    }
    asArray(props.networkInterfaces).forEach((ni, i) => {
      if (isTrue(asObject(ni)?.associatePublicIpAddress)) {
        report(`networkInterfaces[${i}].associatePublicIpAddress is true; set it to "false" and use a private subnet.`);
      }
    });
  },
});
