import * as pulumi from "@pulumi/pulumi";
import { Cluster } from "@pulumi/aws/ecs/cluster";
import { Service } from "@pulumi/aws/ecs/service";
import { Target } from "@pulumi/aws/appautoscaling/target";
import { Policy as ScalingPolicy } from "@pulumi/aws/appautoscaling/policy";
import { CONTAINER_NAME, ResolvedArgs } from "./args";
import { ServiceTask } from "./taskDefinition";
import { ServiceLoadBalancer } from "./loadBalancer";

/**
 * Where and how many tasks run: the cluster (its own or an existing one), the ECS service with its deployment
 * rules, and target-tracking autoscaling.
 */

/** Fargate platform version, pinned rather than LATEST, so a platform change is a reviewed diff. */
export const PLATFORM_VERSION = "1.4.0";

export interface RunningService {
  readonly clusterName: pulumi.Output<string>;
  readonly clusterArn: pulumi.Output<string>;
  readonly service: Service;
}

/** Creates the cluster (unless one is given), the service and its scaling, parented to the component. */
export function runningService(
  parent: pulumi.Resource,
  name: string,
  args: ResolvedArgs,
  task: ServiceTask,
  lb: ServiceLoadBalancer,
): RunningService {
  const tags = args.childTags;
  const { enableExecuteCommand } = args;
  const cluster = args.cluster
    ? { arn: pulumi.output(args.cluster.arn), name: pulumi.output(args.cluster.name) }
    : new Cluster(
        `${name}-cluster`,
        {
          name: args.context.namePrefix,
          settings: [{ name: "containerInsights", value: "enabled" }],
          // A shell into a task is an audited event: sessions are encrypted with the stack key and logged.
          ...(enableExecuteCommand
            ? {
                configuration: {
                  executeCommandConfiguration: {
                    kmsKeyId: args.context.kmsKeyArn,
                    logging: "OVERRIDE",
                    logConfiguration: {
                      cloudWatchLogGroupName: task.logGroup.name,
                      cloudWatchEncryptionEnabled: true,
                    },
                  },
                },
              }
            : {}),
          tags: tags("cluster"),
        },
        { parent },
      );
  const service = new Service(
    `${name}-service`,
    {
      name: `${args.context.namePrefix}-app`,
      cluster: cluster.arn,
      taskDefinition: task.taskDefinition.arn,
      desiredCount: args.desiredCount,
      launchType: "FARGATE",
      platformVersion: PLATFORM_VERSION,
      networkConfiguration: {
        subnets: args.privateSubnetIds,
        securityGroups: [args.appSecurityGroupId],
        assignPublicIp: false,
      },
      loadBalancers: [{ targetGroupArn: lb.targetGroup.arn, containerName: CONTAINER_NAME, containerPort: args.port }],
      // A deployment whose tasks keep failing is stopped and rolled back to the last working task definition.
      deploymentCircuitBreaker: { enable: true, rollback: true },
      // `pulumi up` succeeds only once the rollout is steady: a rollout the circuit breaker rolls back fails the
      // update instead of leaving state naming a task definition that does not run.
      waitForSteadyState: true,
      // Start the new tasks before stopping old ones: capacity never drops during a deployment.
      deploymentMinimumHealthyPercent: 100,
      deploymentMaximumPercent: 200,
      healthCheckGracePeriodSeconds: args.healthCheckGracePeriodSeconds,
      enableExecuteCommand,
      propagateTags: "SERVICE",
      enableEcsManagedTags: true,
      tags: tags("app"),
    },
    {
      parent,
      // ECS refuses a target group that no listener uses yet.
      dependsOn: [...(lb.listener ? [lb.listener] : []), ...lb.routes],
      // Autoscaling owns the running count after creation; the program would otherwise reset it on every update.
      ignoreChanges: ["desiredCount"],
    },
  );

  const scalingTarget = new Target(
    `${name}-scaling`,
    {
      serviceNamespace: "ecs",
      scalableDimension: "ecs:service:DesiredCount",
      resourceId: pulumi.interpolate`service/${cluster.name}/${service.name}`,
      minCapacity: args.minCount,
      maxCapacity: args.maxCount,
      tags: tags("scaling"),
    },
    { parent },
  );
  const scaling = (role: string, metric: string, target: number, resourceLabel?: pulumi.Input<string>) =>
    new ScalingPolicy(
      `${name}-${role}`,
      {
        policyType: "TargetTrackingScaling",
        serviceNamespace: scalingTarget.serviceNamespace,
        scalableDimension: scalingTarget.scalableDimension,
        resourceId: scalingTarget.resourceId,
        targetTrackingScalingPolicyConfiguration: {
          predefinedMetricSpecification: { predefinedMetricType: metric, resourceLabel },
          targetValue: target,
          // Out fast, in slowly: a burst is served at once, and a short lull does not shed capacity.
          scaleOutCooldown: 60,
          scaleInCooldown: 300,
        },
      },
      { parent },
    );
  scaling("cpu-scaling", "ECSServiceAverageCPUUtilization", args.cpuTargetPercent);
  if (args.requestsPerTarget > 0) {
    scaling(
      "requests-scaling",
      "ALBRequestCountPerTarget",
      args.requestsPerTarget,
      pulumi.interpolate`${lb.arnSuffix}/${lb.targetGroup.arnSuffix}`,
    );
  }
  return { clusterName: cluster.name, clusterArn: cluster.arn, service };
}
