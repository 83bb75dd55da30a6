import { resourcePolicy } from "../../lib/definePolicy";
import { asArray, asObject, asString } from "../../lib/props";

/** Parameters that, set to one of these values, let clients connect without TLS (PostgreSQL and MySQL spellings). */
const INSECURE_VALUES: Readonly<Record<string, readonly string[]>> = {
  "rds.force_ssl": ["0"],
  require_secure_transport: ["0", "off"],
};

/**
 * Protects: database traffic in transit. A parameter group that sets rds.force_ssl (PostgreSQL) or
 * require_secure_transport (MySQL) off lets clients send credentials and tenant data in plaintext.
 * Severity: high.
 */
export const disallowRdsSslOff = resourcePolicy({
  name: "encryption-rds-force-ssl",
  description: "RDS parameter groups must not turn off forced TLS.",
  severity: "high",
  types: ["aws:rds/parameterGroup:ParameterGroup", "aws:rds/clusterParameterGroup:ClusterParameterGroup"],
  validate: (props, _args, report) => {
    for (const p of asArray(props.parameters)) {
      const name = (asString(asObject(p)?.name) ?? "").toLowerCase();
      const value = String(asObject(p)?.value ?? "").toLowerCase();
      if (INSECURE_VALUES[name]?.includes(value))
        report(`Parameter ${name} is "${value}"; set it to "1" so clients must use TLS.`);
    }
  },
});
