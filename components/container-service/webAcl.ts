import * as pulumi from "@pulumi/pulumi";
import { WebAcl } from "@pulumi/aws/wafv2/webAcl";
import { WebAclAssociation } from "@pulumi/aws/wafv2/webAclAssociation";
import { WebAclLoggingConfiguration } from "@pulumi/aws/wafv2/webAclLoggingConfiguration";
import { LogResourcePolicy } from "@pulumi/aws/cloudwatch/logResourcePolicy";
import { LoadBalancer } from "@pulumi/aws/lb/loadBalancer";
import { taskLogGroup } from "../shared/fargateTask";
import { ResolvedArgs } from "./args";
import { REDACTED_HEADER, visibility, wafLogDeliveryPolicy, wafLogGroupName, wafRules } from "./wafRules";

/**
 * The load balancer's AWS WAF web ACL (Security Hub ELB.16): managed common and known-bad-inputs rule groups,
 * rate limits per IP and per token, metrics and sampled requests on every rule, and full request logs in a
 * KMS-encrypted CloudWatch Logs group with the Authorization header redacted. The rules are in wafRules.ts.
 */

export interface ServiceWebAcl {
  readonly webAcl: WebAcl;
  readonly logGroupName: pulumi.Output<string>;
}

/** Creates the web ACL, its association with `alb`, and its logging, parented to the component. */
export function serviceWebAcl(
  parent: pulumi.Resource,
  name: string,
  args: ResolvedArgs,
  alb: LoadBalancer,
): ServiceWebAcl {
  const prefix = args.context.namePrefix;
  const tags = args.childTags;
  const webAcl = new WebAcl(
    `${name}-waf`,
    {
      name: `${prefix}-alb`,
      description: `${prefix}: rate limits and AWS managed rules in front of the service's load balancer`,
      scope: "REGIONAL",
      defaultAction: { allow: {} },
      rules: wafRules(prefix, args.wafRateLimits),
      visibilityConfig: visibility(`${prefix}-alb`),
      tags: tags("waf"),
    },
    { parent },
  );
  new WebAclAssociation(`${name}-waf`, { resourceArn: alb.arn, webAclArn: webAcl.arn }, { parent });

  const logGroup = taskLogGroup(
    parent,
    `${name}-waf`,
    { context: args.context, logGroupName: wafLogGroupName(prefix), retentionDays: args.logRetentionDays },
    tags("waf-logs"),
  );
  const { accountId, partition, region } = args.context;
  const deliveryPolicy = new LogResourcePolicy(
    `${name}-waf-logs`,
    {
      policyName: `${prefix}-waf-logs`,
      policyDocument: pulumi
        .all([logGroup.arn, accountId, partition])
        .apply(([logGroupArn, account, p]) =>
          JSON.stringify(wafLogDeliveryPolicy({ partition: p, region, account, logGroupArn })),
        ),
    },
    { parent },
  );
  new WebAclLoggingConfiguration(
    `${name}-waf`,
    {
      resourceArn: webAcl.arn,
      logDestinationConfigs: [logGroup.arn],
      // The bearer token: whoever reads the WAF logs must not be able to replay a caller's requests.
      redactedFields: [{ singleHeader: { name: REDACTED_HEADER } }],
    },
    // WAF checks at once that it may deliver to the group.
    { parent, dependsOn: [deliveryPolicy] },
  );
  return { webAcl, logGroupName: logGroup.name };
}
