import { resourcePolicy } from "../../lib/definePolicy";
import { asNumber } from "../../lib/props";

/**
 * Protects: tenant data against loss and operator error; backupRetentionPeriod 0 disables automated backups and
 * point-in-time recovery. Unset keeps the AWS default (non-zero). Read replicas are skipped: they are backed up
 * through their source. Severity: high.
 */
export const requireRdsBackups = resourcePolicy({
  name: "data-rds-backups",
  description: "RDS instances and clusters must keep automated backups.",
  severity: "high",
  types: ["aws:rds/instance:Instance", "aws:rds/cluster:Cluster"],
  validate: (props, _args, report) => {
    if (props.replicateSourceDb !== undefined) return;
    if (asNumber(props.backupRetentionPeriod) === 0) report("backupRetentionPeriod is 0; set it to at least 7 days.");
  },
});
