import * as pulumi from "@pulumi/pulumi";
import { ComponentArgsError } from "../shared/naming";
import { ContainerServiceArgs, validateContainerServiceArgs, withDefaults } from "./args";
import { serviceTask } from "./taskDefinition";
import { serviceLoadBalancer } from "./loadBalancer";
import { runningService } from "./service";

export { CONTAINER_NAME, validateContainerServiceArgs } from "./args";
export type { ContainerImageSource, ContainerServiceArgs, ExistingCluster, SharedListener } from "./args";
export { containerDefinitions, pullRepositoryArns, readonlyRoot } from "./taskDefinition";

/**
 * The stack's web service on ECS Fargate behind an Application Load Balancer:
 *
 *   internet --443--> WAF web ACL --> ALB (public subnets) --/api/*, /health--> tasks (private subnets, no public IP)
 *            --80---> redirect to 443
 *
 * with its ECR repository (immutable, scanned, KMS), the image build, a KMS-encrypted log group, least-privilege
 * execution and task roles, access logs to S3, a deployment circuit breaker with rollback and target-tracking
 * autoscaling. Given an existing `cluster` or a shared `listener`, it runs in that cluster or adds its target
 * group and host-matched rules to that listener instead of creating its own.
 *
 * Each job is its own file: args.ts (arguments, checks, defaults), taskDefinition.ts (repository, image, logs,
 * roles, task definition), loadBalancer.ts, webAcl.ts (the WAF in front of it; its rules in wafRules.ts),
 * service.ts (cluster, service, autoscaling).
 */
export class ContainerService extends pulumi.ComponentResource {
  public readonly clusterName: pulumi.Output<string>;
  public readonly clusterArn: pulumi.Output<string>;
  public readonly serviceName: pulumi.Output<string>;
  public readonly albDnsName: pulumi.Output<string>;
  public readonly albZoneId: pulumi.Output<string>;
  public readonly albArnSuffix: pulumi.Output<string>;
  public readonly targetGroupArnSuffix: pulumi.Output<string>;
  public readonly repositoryUrl: pulumi.Output<string>;
  /** The image the task definition runs, pinned by digest when built here. */
  public readonly imageRef: pulumi.Output<string>;
  public readonly logGroupName: pulumi.Output<string>;
  public readonly taskDefinitionFamily: pulumi.Output<string>;
  public readonly taskDefinitionArn: pulumi.Output<string>;
  public readonly executionRoleArn: pulumi.Output<string>;
  public readonly taskRoleArn: pulumi.Output<string>;
  /** Undefined on a shared listener: the shared load balancer keeps its own access logs. */
  public readonly accessLogBucketName: pulumi.Output<string> | undefined;
  /** The WAF web ACL on the load balancer and its log group; undefined on a shared listener. */
  public readonly webAclArn: pulumi.Output<string> | undefined;
  public readonly wafLogGroupName: pulumi.Output<string> | undefined;
  /** Scaling bounds, for alarms that compare running tasks with them. */
  public readonly desiredCount: number;
  public readonly minCount: number;
  public readonly maxCount: number;

  constructor(name: string, args: ContainerServiceArgs, opts?: pulumi.ComponentResourceOptions) {
    const problems = validateContainerServiceArgs(args);
    if (problems.length > 0) {
      throw new ComponentArgsError(`ContainerService "${name}"`, problems);
    }
    super("saas:container-service:ContainerService", name, {}, opts);
    const resolved = withDefaults(args);

    // In this order: the task (repository, image, logs, roles, task definition), the load balancer (or the rules
    // on a shared listener), then the cluster, the service and its scaling.
    const task = serviceTask(this, name, resolved);
    const lb = serviceLoadBalancer(this, name, resolved);
    const running = runningService(this, name, resolved, task, lb);

    this.clusterName = running.clusterName;
    this.clusterArn = running.clusterArn;
    this.serviceName = running.service.name;
    this.albDnsName = lb.dnsName;
    this.albZoneId = lb.zoneId;
    this.albArnSuffix = lb.arnSuffix;
    this.targetGroupArnSuffix = lb.targetGroup.arnSuffix;
    this.repositoryUrl = task.repository.repositoryUrl;
    this.imageRef = task.imageRef;
    this.logGroupName = task.logGroup.name;
    this.taskDefinitionFamily = task.taskDefinition.family;
    this.taskDefinitionArn = task.taskDefinition.arn;
    this.executionRoleArn = task.executionRole.arn;
    this.taskRoleArn = task.taskRole.arn;
    this.accessLogBucketName = lb.accessLogBucketName;
    this.webAclArn = lb.webAclArn;
    this.wafLogGroupName = lb.wafLogGroupName;
    this.desiredCount = args.desiredCount;
    this.minCount = args.minCount;
    this.maxCount = args.maxCount;
    this.registerOutputs({
      clusterName: this.clusterName,
      clusterArn: this.clusterArn,
      serviceName: this.serviceName,
      albDnsName: this.albDnsName,
      albZoneId: this.albZoneId,
      albArnSuffix: this.albArnSuffix,
      targetGroupArnSuffix: this.targetGroupArnSuffix,
      repositoryUrl: this.repositoryUrl,
      imageRef: this.imageRef,
      logGroupName: this.logGroupName,
      taskDefinitionFamily: this.taskDefinitionFamily,
      taskDefinitionArn: this.taskDefinitionArn,
      executionRoleArn: this.executionRoleArn,
      taskRoleArn: this.taskRoleArn,
      accessLogBucketName: this.accessLogBucketName,
      webAclArn: this.webAclArn,
      wafLogGroupName: this.wafLogGroupName,
      desiredCount: this.desiredCount,
      minCount: this.minCount,
      maxCount: this.maxCount,
    });
  }
}
