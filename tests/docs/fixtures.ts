import { PlannedResource } from "../../tools/engine/types";

/** A hand-built PlannedResource for unit tests of the pure docs and DR functions. */
export function resource(
  type: string,
  name: string,
  inputs: Record<string, unknown> = {},
  outputs: Record<string, unknown> = {},
  parent = "urn:pulumi:test::saas::pulumi:pulumi:Stack::saas-test",
): PlannedResource {
  const custom = !type.startsWith("saas:");
  return {
    urn: `urn:pulumi:test::saas::${type}::${name}`,
    type,
    name,
    parent,
    inputs,
    outputs: custom ? { id: `${name}-id`, ...inputs, ...outputs } : { ...inputs, ...outputs },
    dependencies: [],
    custom,
    remote: false,
    options: { protect: false, retainOnDelete: false, deleteBeforeReplace: false },
  };
}

export const INGRESS = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule";
export const EGRESS = "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule";
export const SG = "aws:ec2/securityGroup:SecurityGroup";

/** Three tiers: internet → lb:443, lb → app:8080, app → db:5432, each rule written on both sides where it can be. */
export function threeTierNetwork(): PlannedResource[] {
  const sg = (name: string, id: string) =>
    resource(SG, `network-${name}-sg`, { tags: { Name: `saas-test-${name}` } }, { id });
  return [
    sg("lb", "sg-lb"),
    sg("app", "sg-app"),
    sg("db", "sg-db"),
    resource(INGRESS, "lb-in-443-ipv4", {
      securityGroupId: "sg-lb",
      cidrIpv4: "0.0.0.0/0",
      ipProtocol: "tcp",
      fromPort: 443,
      toPort: 443,
    }),
    resource(INGRESS, "lb-in-443-ipv6", {
      securityGroupId: "sg-lb",
      cidrIpv6: "::/0",
      ipProtocol: "tcp",
      fromPort: 443,
      toPort: 443,
    }),
    resource(EGRESS, "lb-out-app", {
      securityGroupId: "sg-lb",
      referencedSecurityGroupId: "sg-app",
      ipProtocol: "tcp",
      fromPort: 8080,
      toPort: 8080,
    }),
    resource(INGRESS, "app-in-lb", {
      securityGroupId: "sg-app",
      referencedSecurityGroupId: "sg-lb",
      ipProtocol: "tcp",
      fromPort: 8080,
      toPort: 8080,
    }),
    resource(EGRESS, "app-out-db", {
      securityGroupId: "sg-app",
      referencedSecurityGroupId: "sg-db",
      ipProtocol: "tcp",
      fromPort: 5432,
      toPort: 5432,
    }),
    resource(INGRESS, "db-in-app", {
      securityGroupId: "sg-db",
      referencedSecurityGroupId: "sg-app",
      ipProtocol: "tcp",
      fromPort: 5432,
      toPort: 5432,
    }),
  ];
}
