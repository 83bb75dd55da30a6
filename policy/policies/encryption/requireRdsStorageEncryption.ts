import { resourcePolicy } from "../../lib/definePolicy";
import { asString, isTrue } from "../../lib/props";

/**
 * Protects: tenant data at rest in RDS instances and Aurora/Multi-AZ clusters (and their snapshots and replicas,
 * which inherit the setting). Encryption cannot be turned on after creation without a restore. Severity: high.
 * Instances that belong to an Aurora cluster or replicate another database inherit encryption and are skipped.
 */
export const requireRdsStorageEncryption = resourcePolicy({
  name: "encryption-rds-storage",
  description: "RDS instances and clusters must encrypt storage.",
  severity: "high",
  types: ["aws:rds/instance:Instance", "aws:rds/cluster:Cluster"],
  validate: (props, args, report) => {
    if (
      args.type === "aws:rds/instance:Instance" &&
      (props.replicateSourceDb !== undefined || (asString(props.engine) ?? "").startsWith("aurora"))
    )
      return;
    if (!isTrue(props.storageEncrypted))
      report("storageEncrypted is not true; set storageEncrypted: true (and kmsKeyId to the data key).");
  },
});
