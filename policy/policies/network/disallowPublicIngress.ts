import { resourcePolicy } from "../../lib/definePolicy";
import { asArray, asNumber, asObject, asString, Props } from "../../lib/props";

const OPEN_CIDRS = new Set(["0.0.0.0/0", "::/0"]);

interface Config {
  readonly allowedPublicPorts?: readonly number[];
}

export interface IngressRule {
  readonly where: string;
  readonly protocol: string;
  readonly fromPort?: number;
  readonly toPort?: number;
  readonly cidrs: readonly string[];
}

/** Every ingress rule a resource declares, in the three shapes AWS/Pulumi offer. */
export function ingressRulesOf(type: string, props: Props): IngressRule[] {
  switch (type) {
    case "aws:ec2/securityGroup:SecurityGroup":
    case "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup":
      return asArray(props.ingress).map((raw, i) => {
        const r = asObject(raw) ?? {};
        return {
          where: `ingress[${i}]`,
          protocol: asString(r.protocol) ?? "",
          fromPort: asNumber(r.fromPort),
          toPort: asNumber(r.toPort),
          cidrs: [...asArray(r.cidrBlocks), ...asArray(r.ipv6CidrBlocks)].map(String),
        };
      });
    case "aws:ec2/securityGroupRule:SecurityGroupRule":
      if (asString(props.type) !== "ingress") return [];
      return [
        {
          where: "rule",
          protocol: asString(props.protocol) ?? "",
          fromPort: asNumber(props.fromPort),
          toPort: asNumber(props.toPort),
          cidrs: [...asArray(props.cidrBlocks), ...asArray(props.ipv6CidrBlocks)].map(String),
        },
      ];
    case "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule":
      return [
        {
          where: "rule",
          protocol: asString(props.ipProtocol) ?? "",
          fromPort: asNumber(props.fromPort),
          toPort: asNumber(props.toPort),
          cidrs: [props.cidrIpv4, props.cidrIpv6].flatMap((c) => asString(c) ?? []),
        },
      ];
    default:
      return [];
  }
}

/** The port range a rule opens; "-1"/"all" (and a rule without ports) means every port. */
export function portRange(rule: IngressRule): [number, number] {
  const all = rule.protocol === "-1" || rule.protocol.toLowerCase() === "all";
  if (all || rule.fromPort === undefined || rule.toPort === undefined || rule.fromPort < 0) return [0, 65535];
  return [rule.fromPort, rule.toPort];
}

function describeRange([from, to]: [number, number]): string {
  if (from === 0 && to === 65535) return "all ports";
  return from === to ? `port ${from}` : `ports ${from}-${to}`;
}

/**
 * Protects: every workload from direct internet reach. Ingress from 0.0.0.0/0 or ::/0 is allowed only on the
 * configured public ports (load balancers on 80/443); a range that includes any other port, or protocol -1, fails.
 * Checked on inline ingress of security groups (and the VPC's default security group), aws:ec2/securityGroupRule (type ingress) and
 * aws:vpc/securityGroupIngressRule. Network ACLs are out of scope (public subnets need open NACLs). Severity: critical.
 */
export const disallowPublicIngress = resourcePolicy<Config>({
  name: "network-no-public-ingress",
  description: "Security groups must not allow internet ingress except on the allowed public ports.",
  severity: "critical",
  types: [
    "aws:ec2/securityGroup:SecurityGroup",
    "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup",
    "aws:ec2/securityGroupRule:SecurityGroupRule",
    "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
  ],
  config: {
    allowedPublicPorts: {
      type: "array",
      items: { type: "integer", minimum: 0, maximum: 65535 },
      default: [80, 443],
      description: "Ports that may be open to 0.0.0.0/0 and ::/0.",
    },
  },
  validate: (props, args, report, config) => {
    const allowed = new Set(config.allowedPublicPorts ?? [80, 443]);
    for (const rule of ingressRulesOf(args.type, props)) {
      const open = rule.cidrs.filter((c) => OPEN_CIDRS.has(c));
      if (open.length === 0) continue;
      const [from, to] = portRange(rule);
      // Ranges are at most 65536 ports, so walking them is cheap and exact.
      let allAllowed = true;
      for (let port = from; port <= to && allAllowed; port++) allAllowed = allowed.has(port);
      if (!allAllowed) {
        report(
          `${rule.where} opens ${describeRange([from, to])} to ${open.join(" and ")}; restrict the source to a security group or CIDR, or open only ports ${[...allowed].join(", ")}.`,
        );
      }
    }
  },
});
