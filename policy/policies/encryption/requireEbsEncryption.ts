import { resourcePolicy } from "../../lib/definePolicy";
import { asArray, asObject, isTrue } from "../../lib/props";

/**
 * Protects: data at rest on EBS: standalone volumes, instance root and extra block devices, and launch template
 * block device mappings (the form autoscaling groups and ECS capacity providers use). Severity: high.
 * Account-level "EBS encryption by default" is not visible to the pack, so it does not excuse a resource.
 */
export const requireEbsEncryption = resourcePolicy({
  name: "encryption-ebs-volumes",
  description: "EBS volumes and block devices must be encrypted.",
  severity: "high",
  types: ["aws:ebs/volume:Volume", "aws:ec2/instance:Instance", "aws:ec2/launchTemplate:LaunchTemplate"],
  validate: (props, args, report) => {
    const fix = "set encrypted: true";
    if (args.type === "aws:ebs/volume:Volume") {
      if (!isTrue(props.encrypted)) report(`encrypted is not true; ${fix}.`);
      return;
    }
    if (args.type === "aws:ec2/instance:Instance") {
      if (!isTrue(asObject(props.rootBlockDevice)?.encrypted))
        report(`rootBlockDevice.encrypted is not true; ${fix} on rootBlockDevice.`);
      asArray(props.ebsBlockDevices).forEach((d, i) => {
        if (!isTrue(asObject(d)?.encrypted))
          report(`ebsBlockDevices[${i}].encrypted is not true; ${fix} on that device.`);
      });
      return;
    }
    asArray(props.blockDeviceMappings).forEach((m, i) => {
      const ebs = asObject(asObject(m)?.ebs);
      if (ebs && !isTrue(ebs.encrypted))
        report(`blockDeviceMappings[${i}].ebs.encrypted is not true; set encrypted: "true" on that mapping.`);
    });
  },
});
