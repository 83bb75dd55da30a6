import { resourcePolicy } from "../../lib/definePolicy";
import { isTrue } from "../../lib/props";

/** Protects: shared file data at rest in EFS (cannot be enabled after creation). Severity: high. */
export const requireEfsEncryption = resourcePolicy({
  name: "encryption-efs",
  description: "EFS file systems must be encrypted at rest.",
  severity: "high",
  types: ["aws:efs/fileSystem:FileSystem"],
  validate: (props, _args, report) => {
    if (!isTrue(props.encrypted)) report("encrypted is not true; set encrypted: true (and kmsKeyId to the data key).");
  },
});
