import * as pulumi from "@pulumi/pulumi";
import { TaskDefinition } from "@pulumi/aws/ecs/taskDefinition";
import { LogGroup } from "@pulumi/aws/cloudwatch/logGroup";
import { Role } from "@pulumi/aws/iam/role";
import { RolePolicy } from "@pulumi/aws/iam/rolePolicy";
import { StackContext } from "./context";
import { ecsTasksTrustPolicy } from "./policies";
import { Architecture, PLATFORMS, TMP_VOLUME, executionRolePolicy, secretResourceArn } from "./fargate";

/**
 * The resources of one Fargate task, created the same way by every component that runs one: its log group, its
 * execution role and policy, and its task definition (the rules they follow are in fargate.ts). Plain functions
 * that parent what they create to the calling component, so child names and URNs are the component's own.
 */

/** The task's log group `${name}-logs`, encrypted with the stack key and with a retention. */
export function taskLogGroup(
  parent: pulumi.Resource,
  name: string,
  a: { readonly context: StackContext; readonly logGroupName: string; readonly retentionDays: number },
  tags: Record<string, string>,
): LogGroup {
  return new LogGroup(
    `${name}-logs`,
    { name: a.logGroupName, retentionInDays: a.retentionDays, kmsKeyId: a.context.kmsKeyArn, tags },
    { parent },
  );
}

/** The trust policy of a task's roles: only ECS tasks of the context's account and region (ecsTasksTrustPolicy). */
export function ecsTasksAssumeRolePolicy(context: StackContext): pulumi.Output<string> {
  return pulumi
    .all([context.partition, context.accountId])
    .apply(([partition, account]) => JSON.stringify(ecsTasksTrustPolicy(partition, context.region, account)));
}

export interface ExecutionRoleArgs {
  readonly context: StackContext;
  /** What the role is for, in the role's description. */
  readonly description: string;
  readonly repositoryArns: pulumi.Input<string[]>;
  readonly logGroupArn: pulumi.Input<string>;
  /** `valueFrom` of every secret the container reads. */
  readonly secretValueFroms: pulumi.Input<string[]>;
  readonly tags: Record<string, string>;
}

/**
 * The task's execution role `${name}-execution`, which only ECS tasks of this account and region may assume,
 * and its inline policy (executionRolePolicy) of the same name.
 */
export function executionRole(
  parent: pulumi.Resource,
  name: string,
  a: ExecutionRoleArgs,
): { role: Role; policy: RolePolicy } {
  const { region, kmsKeyArn } = a.context;
  const role = new Role(
    `${name}-execution`,
    { description: a.description, assumeRolePolicy: ecsTasksAssumeRolePolicy(a.context), tags: a.tags },
    { parent },
  );
  const policy = new RolePolicy(
    `${name}-execution`,
    {
      role: role.id,
      policy: pulumi
        .all([a.repositoryArns, a.logGroupArn, a.secretValueFroms, kmsKeyArn])
        .apply(([repositoryArns, logGroupArn, valueFroms, keyArn]) =>
          JSON.stringify(
            executionRolePolicy({
              repositoryArns,
              logGroupArn,
              secretArns: [...new Set(valueFroms.map(secretResourceArn))].sort(),
              kmsKeyArn: keyArn,
              region,
            }),
          ),
        ),
    },
    { parent },
  );
  return { role, policy };
}

export interface FargateTaskDefinitionArgs {
  readonly family: string;
  readonly cpu: number;
  readonly memory: number;
  readonly architecture: Architecture;
  readonly executionRoleArn: pulumi.Input<string>;
  /** @default - no task role: the container calls no AWS API */
  readonly taskRoleArn?: pulumi.Input<string>;
  /** The task's containers (fargateContainer), serialised when their inputs are known. */
  readonly containers: pulumi.Input<Record<string, unknown>[]>;
  readonly tags: Record<string, string>;
  /**
   * Leave a replaced revision registered (`skipDestroy`): a service's circuit breaker rolls back to it, so it
   * must not be INACTIVE. Kept revisions cost nothing; runbooks/service-rollback.md says how to deregister them.
   * @default false
   */
  readonly keepPreviousRevisions?: boolean;
}

/**
 * The Fargate task definition `${name}-task`: awsvpc networking, Linux on the architecture's platform, /tmp.
 * It waits for the execution role's policy: ECS uses the role as soon as a task starts, and a role without its
 * policy cannot pull the image or read the secrets.
 */
export function fargateTaskDefinition(
  parent: pulumi.Resource,
  name: string,
  a: FargateTaskDefinitionArgs,
  executionPolicy: RolePolicy,
): TaskDefinition {
  return new TaskDefinition(
    `${name}-task`,
    {
      family: a.family,
      requiresCompatibilities: ["FARGATE"],
      networkMode: "awsvpc",
      cpu: String(a.cpu),
      memory: String(a.memory),
      runtimePlatform: { operatingSystemFamily: "LINUX", cpuArchitecture: PLATFORMS[a.architecture].cpuArchitecture },
      executionRoleArn: a.executionRoleArn,
      ...(a.taskRoleArn === undefined ? {} : { taskRoleArn: a.taskRoleArn }),
      volumes: [{ name: TMP_VOLUME }],
      ...(a.keepPreviousRevisions ? { skipDestroy: true } : {}),
      containerDefinitions: pulumi.output(a.containers).apply((containers) => JSON.stringify(containers)),
      tags: a.tags,
    },
    { parent, dependsOn: [executionPolicy] },
  );
}
