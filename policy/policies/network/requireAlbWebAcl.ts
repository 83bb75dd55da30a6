import type { PolicyResource } from "@pulumi/policy";
import { stackPolicy } from "../../lib/definePolicy";
import { isTrue, asString } from "../../lib/props";
import { readKnown } from "../../lib/s3";

/** Load balancer types of @pulumi/aws (`aws.alb` is an alias of `aws.lb`). */
const LOAD_BALANCER_TYPES = ["aws:lb/loadBalancer:LoadBalancer", "aws:alb/loadBalancer:LoadBalancer"];
const ASSOCIATION = "aws:wafv2/webAclAssociation:WebAclAssociation";

/** Internet-facing application load balancers: `application` is the default type, `internal` defaults to false. */
function isInternetFacingAlb(r: PolicyResource): boolean {
  if (!LOAD_BALANCER_TYPES.includes(r.type)) return false;
  const type = readKnown(() => asString(r.props.loadBalancerType)) ?? "application";
  return type === "application" && !readKnown(() => isTrue(r.props.internal));
}

/** True when the association targets `alb`: it depends on it (`resourceArn: alb.arn`) or names its ARN. */
function attaches(association: PolicyResource, alb: PolicyResource): boolean {
  if (association.dependencies.some((d) => d.urn === alb.urn)) return true;
  const target = readKnown(() => asString(association.props.resourceArn));
  const arn = readKnown(() => asString(alb.props.arn));
  return target !== undefined && target === arn;
}

/**
 * Protects: internet-facing application load balancers from floods and common web exploits (Security Hub
 * ELB.16, "Application Load Balancers should be associated with an AWS WAF web ACL"). Every internet-facing ALB
 * in the stack needs an aws.wafv2.WebAclAssociation pointing at it (cross-resource, hence a stack policy).
 * Internal load balancers and network load balancers are not checked. Severity: high.
 */
export const requireAlbWebAcl = stackPolicy({
  name: "network-alb-waf",
  description: "Internet-facing application load balancers must be associated with an AWS WAF web ACL.",
  severity: "high",
  validate: (resources, _args, report) => {
    const associations = resources.filter((r) => r.type === ASSOCIATION);
    for (const alb of resources.filter(isInternetFacingAlb)) {
      if (!associations.some((a) => attaches(a, alb))) {
        report(
          "Internet-facing load balancer has no WAF web ACL; add an aws.wafv2.WebAclAssociation of a REGIONAL web ACL with resourceArn set to its ARN.",
          alb.urn,
        );
      }
    }
  },
});
