import * as pulumi from "@pulumi/pulumi";
import { LoadBalancer } from "@pulumi/aws/lb/loadBalancer";
import { TargetGroup } from "@pulumi/aws/lb/targetGroup";
import { Listener } from "@pulumi/aws/lb/listener";
import { ListenerRule } from "@pulumi/aws/lb/listenerRule";
import { PrivateBucket } from "../shared/privateBucket";
import { ResolvedArgs } from "./args";
import { accessLogBucketPolicy } from "./policies";
import { serviceWebAcl } from "./webAcl";

/**
 * How requests reach the service: its target group and listener rules, on a load balancer of its own (with an
 * access-log bucket, an HTTPS listener and an HTTP redirect) or on a shared HTTPS listener.
 */

/** The ALB's TLS policy: TLS 1.3 and 1.2 with forward-secret ciphers only. */
export const SSL_POLICY = "ELBSecurityPolicy-TLS13-1-2-2021-06";

/**
 * Paths that reach the app, in rule order; anything else is answered 404 by the load balancer. `/ready` rides on
 * the health rule (one rule, two path values) so operators can check database readiness through the load
 * balancer (runbooks: after a restore, a rollback, a rotation) while the target group itself checks `/health`.
 */
export const ROUTES = [
  { role: "api", paths: ["/api/*"] },
  { role: "health", paths: ["/health", "/ready"] },
] as const;

/** Rule priorities on a load balancer of its own; a shared listener's come from `listener.priority`. */
const OWN_PRIORITIES = [10, 20];

export interface ServiceLoadBalancer {
  readonly targetGroup: TargetGroup;
  /** The listener rules that forward to the target group; the ECS service waits for them. */
  readonly routes: readonly ListenerRule[];
  /** What the ECS service must wait for besides the rules (a target group needs a listener first). */
  readonly listener?: Listener;
  readonly dnsName: pulumi.Output<string>;
  readonly zoneId: pulumi.Output<string>;
  readonly arnSuffix: pulumi.Output<string>;
  /** Undefined on a shared listener: the shared load balancer keeps its own access logs. */
  readonly accessLogBucketName?: pulumi.Output<string>;
  /** The web ACL in front of the load balancer and its log group; undefined on a shared listener. */
  readonly webAclArn?: pulumi.Output<string>;
  readonly wafLogGroupName?: pulumi.Output<string>;
}

/** Creates the load balancer's children, parented to the component. */
export function serviceLoadBalancer(parent: pulumi.Resource, name: string, args: ResolvedArgs): ServiceLoadBalancer {
  const tags = args.childTags;
  if (args.listener !== undefined) {
    const shared = args.listener;
    const targetGroup = serviceTargetGroup(parent, name, args);
    const routes = listenerRules(
      parent,
      name,
      args,
      shared.arn,
      targetGroup,
      [shared.priority, shared.priority + 1],
      [{ hostHeader: { values: [shared.hostHeader] } }],
    );
    return {
      targetGroup,
      routes,
      dnsName: pulumi.output(shared.loadBalancerDnsName),
      zoneId: pulumi.output(shared.loadBalancerZoneId),
      arnSuffix: pulumi.output(shared.loadBalancerArnSuffix),
    };
  }

  const { accountId, partition, region } = args.context;
  const accessLogPrefix = "alb";
  const logBucket = new PrivateBucket(parent, `${name}-alb-logs`, {
    objectOwnership: "BucketOwnerEnforced",
    // SSE-S3: ALB log delivery cannot write to a bucket whose default encryption is SSE-KMS.
    encryption: "s3-managed",
    lifecycle: { ruleId: "expire-access-logs", expirationDays: args.accessLogExpirationDays, noncurrentDays: 1 },
    forceDestroy: !args.deletionProtection,
    tags: tags("alb-logs"),
  });
  const logBucketPolicy = logBucket.attachPolicy(
    pulumi
      .all([logBucket.bucket.arn, accountId, partition])
      .apply(([bucketArn, account, partitionName]) =>
        JSON.stringify(
          accessLogBucketPolicy({ partition: partitionName, region, account, bucketArn, prefix: accessLogPrefix }),
        ),
      ),
  );

  const alb = new LoadBalancer(
    `${name}-alb`,
    {
      name: `${args.context.namePrefix}-alb`,
      loadBalancerType: "application",
      internal: false,
      // Both are checked present when there is no shared listener (validateContainerServiceArgs).
      securityGroups: args.loadBalancerSecurityGroupId === undefined ? [] : [args.loadBalancerSecurityGroupId],
      subnets: args.publicSubnetIds,
      dropInvalidHeaderFields: true,
      enableDeletionProtection: args.deletionProtection,
      // Below the app's 65 s keep-alive timeout, so the ALB never reuses a connection the app is closing.
      idleTimeout: 60,
      accessLogs: { bucket: logBucket.bucket.id, prefix: accessLogPrefix, enabled: true },
      tags: tags("alb"),
    },
    // ELB checks that it may write to the bucket when access logging is turned on.
    { parent, dependsOn: [logBucketPolicy] },
  );
  const waf = serviceWebAcl(parent, name, args, alb);
  const targetGroup = serviceTargetGroup(parent, name, args);
  const https = new Listener(
    `${name}-https`,
    {
      loadBalancerArn: alb.arn,
      port: 443,
      protocol: "HTTPS",
      sslPolicy: SSL_POLICY,
      certificateArn: args.certificateArn,
      // Only the routes below reach the app; anything else is answered by the load balancer itself.
      defaultActions: [
        {
          type: "fixed-response",
          fixedResponse: { contentType: "application/json", messageBody: '{"error":"not_found"}', statusCode: "404" },
        },
      ],
      tags: tags("https"),
    },
    { parent },
  );
  new Listener(
    `${name}-http`,
    {
      loadBalancerArn: alb.arn,
      port: 80,
      protocol: "HTTP",
      defaultActions: [{ type: "redirect", redirect: { protocol: "HTTPS", port: "443", statusCode: "HTTP_301" } }],
      tags: tags("http"),
    },
    { parent },
  );
  const routes = listenerRules(parent, name, args, https.arn, targetGroup, OWN_PRIORITIES, []);
  return {
    targetGroup,
    routes,
    listener: https,
    dnsName: alb.dnsName,
    zoneId: alb.zoneId,
    arnSuffix: alb.arnSuffix,
    accessLogBucketName: logBucket.bucket.bucket,
    webAclArn: waf.webAcl.arn,
    wafLogGroupName: waf.logGroupName,
  };
}

function serviceTargetGroup(parent: pulumi.Resource, name: string, args: ResolvedArgs): TargetGroup {
  return new TargetGroup(
    `${name}-tg`,
    {
      port: args.port,
      protocol: "HTTP",
      targetType: "ip",
      vpcId: args.vpcId,
      // deregistration delay (20 s) <= the app's shutdown deadline (25 s) < stopTimeout (30 s): the ALB stops
      // waiting for a request before the app gives up on it, and the app exits before SIGKILL (fargate.ts).
      deregistrationDelay: args.deregistrationDelaySeconds,
      healthCheck: {
        enabled: true,
        // Liveness, not readiness: ECS replaces a task whose target group health check fails ("Service
        // load balancing", ECS Developer Guide), so /ready's 503 during a database failover would replace every task.
        // A draining task leaves the rotation by deregistration (deregistrationDelay above), not by this check.
        path: "/health",
        matcher: "200",
        protocol: "HTTP",
        port: "traffic-port",
        interval: 15,
        timeout: 5,
        healthyThreshold: 2,
        unhealthyThreshold: 3,
      },
      tags: args.childTags("tg"),
    },
    { parent },
  );
}

/** One forward rule per route, each also matching `extraConditions` (the host on a shared listener). */
function listenerRules(
  parent: pulumi.Resource,
  name: string,
  args: ResolvedArgs,
  listenerArn: pulumi.Input<string>,
  targetGroup: TargetGroup,
  priorities: readonly number[],
  extraConditions: readonly Record<string, unknown>[],
): ListenerRule[] {
  return ROUTES.map(
    (route, i) =>
      new ListenerRule(
        `${name}-${route.role}`,
        {
          listenerArn,
          priority: priorities[i],
          conditions: [...extraConditions, { pathPattern: { values: [...route.paths] } }],
          actions: [{ type: "forward", targetGroupArn: targetGroup.arn }],
          tags: args.childTags(route.role),
        },
        { parent },
      ),
  );
}
