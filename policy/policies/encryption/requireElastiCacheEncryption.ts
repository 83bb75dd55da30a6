import { resourcePolicy } from "../../lib/definePolicy";
import { isTrue } from "../../lib/props";

/**
 * Protects: cached tenant data (sessions, tokens) at rest and on the wire inside the VPC. Both settings are fixed
 * at creation for most engines. Severity: high.
 */
export const requireElastiCacheEncryption = resourcePolicy({
  name: "encryption-elasticache",
  description: "ElastiCache replication groups must encrypt data at rest and in transit.",
  severity: "high",
  types: ["aws:elasticache/replicationGroup:ReplicationGroup"],
  validate: (props, _args, report) => {
    if (!isTrue(props.atRestEncryptionEnabled))
      report("atRestEncryptionEnabled is not true; set atRestEncryptionEnabled: true.");
    if (!isTrue(props.transitEncryptionEnabled))
      report("transitEncryptionEnabled is not true; set transitEncryptionEnabled: true.");
  },
});
