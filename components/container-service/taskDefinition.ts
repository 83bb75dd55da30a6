import * as pulumi from "@pulumi/pulumi";
import { Repository } from "@pulumi/aws/ecr/repository";
import { Role } from "@pulumi/aws/iam/role";
import { RolePolicy } from "@pulumi/aws/iam/rolePolicy";
import { imageRepository, pushedImage } from "../shared/ecrImage";
import { PLATFORMS, ecrRepositoryArnOf, fargateContainer } from "../shared/fargate";
import { ecsTasksAssumeRolePolicy, executionRole, fargateTaskDefinition, taskLogGroup } from "../shared/fargateTask";
import { CONTAINER_NAME, ContainerImageSource, ResolvedArgs } from "./args";
import { taskRolePolicy } from "./policies";

/**
 * The service's task: its ECR repository and image, its log group, its execution and task roles and its task
 * definition, built on the shared Fargate task block.
 */

/**
 * Repositories the execution role may pull from: the stack's own for a built image; for a prebuilt one, the ECR
 * repository its URI names (none for an image outside ECR, which ECS pulls without IAM).
 */
export function pullRepositoryArns(ownRepositoryArn: string, image: ContainerImageSource, partition: string): string[] {
  if ("build" in image) {
    return [ownRepositoryArn];
  }
  const arn = ecrRepositoryArnOf(image.uri, partition);
  return arn ? [arn] : [];
}

export interface ContainerDefinitionArgs {
  readonly image: string;
  readonly port: number;
  readonly environment: Readonly<Record<string, string>>;
  readonly secrets: Readonly<Record<string, string>>;
  readonly logGroupName: string;
  readonly region: string;
  readonly stopTimeoutSeconds: number;
  readonly enableExecuteCommand: boolean;
}

/**
 * ECS Exec does not support a read-only root filesystem (the SSM agent ECS injects writes under /var/lib/amazon,
 * /var/log/amazon and /managed-agents, as the container's user). So a task with exec on — dev, where a shell is
 * how problems are looked at — keeps a writable root; everywhere else the root is read-only.
 */
export function readonlyRoot(enableExecuteCommand: boolean): boolean {
  return !enableExecuteCommand;
}

/** The one container of the task. Pure, so tests read exactly what ECS receives. */
export function containerDefinitions(a: ContainerDefinitionArgs): Record<string, unknown>[] {
  const byName = (entries: Readonly<Record<string, string>>) =>
    Object.keys(entries)
      .sort()
      .map((name) => [name, entries[name]]);
  return [
    fargateContainer({
      name: CONTAINER_NAME,
      image: a.image,
      // Numeric, as in the Dockerfile.
      user: "10001:10001",
      readonlyRootFilesystem: readonlyRoot(a.enableExecuteCommand),
      linuxParameters: { initProcessEnabled: true, capabilities: { drop: ["ALL"] } },
      portMappings: [{ name: "http", containerPort: a.port, hostPort: a.port, protocol: "tcp", appProtocol: "http" }],
      environment: byName(a.environment).map(([name, value]) => ({ name, value })),
      secrets: byName(a.secrets).map(([name, valueFrom]) => ({ name, valueFrom })),
      // Liveness (/health), not readiness: a draining task is alive and must not be replaced (app/README.md).
      healthCheck: {
        command: ["CMD", "node", "dist/healthcheck.js"],
        interval: 15,
        timeout: 5,
        retries: 3,
        startPeriod: 10,
      },
      stopTimeout: a.stopTimeoutSeconds,
      logGroupName: a.logGroupName,
      region: a.region,
      // A slow CloudWatch must not block the app's stdout; 25 MiB of lines are buffered before any is lost.
      logOptions: { mode: "non-blocking", "max-buffer-size": "25m" },
    }),
  ];
}

/** What the service and the load balancer need from the task. */
export interface ServiceTask {
  readonly repository: Repository;
  /** The image the task definition runs, pinned by digest when built here. */
  readonly imageRef: pulumi.Output<string>;
  readonly logGroup: ReturnType<typeof taskLogGroup>;
  readonly executionRole: Role;
  readonly taskRole: Role;
  readonly taskDefinition: ReturnType<typeof fargateTaskDefinition>;
}

/** Creates the task's children, parented to the component. */
export function serviceTask(parent: pulumi.Resource, name: string, args: ResolvedArgs): ServiceTask {
  const { partition, region } = args.context;
  const prefix = args.context.namePrefix;
  const tags = args.childTags;
  const {
    deletionProtection,
    enableExecuteCommand,
    secrets,
    extraEnvironment,
    shutdownTimeoutMs,
    logLevel,
    stopTimeoutSeconds,
    architecture,
  } = args;
  const platform = PLATFORMS[architecture];

  // --- image ---
  const repository = imageRepository(parent, name, {
    repositoryName: `${prefix}/app`,
    kmsKeyArn: args.context.kmsKeyArn,
    // A disposable stack must be destroyable with its images in it; a protected one keeps them.
    forceDelete: !deletionProtection,
    tags: tags("app"),
  });
  const imageRef =
    "build" in args.image
      ? pushedImage(parent, name, repository, args.image.build, platform.docker)
      : pulumi.output(args.image.uri);
  const pullFrom = pulumi
    .all([repository.arn, partition])
    .apply(([arn, partitionName]) => pullRepositoryArns(arn, args.image, partitionName));

  // --- logs ---
  const logGroup = taskLogGroup(
    parent,
    name,
    { context: args.context, logGroupName: `/ecs/${prefix}/app`, retentionDays: args.logRetentionDays },
    tags("app-logs"),
  );

  // --- roles ---
  const secretValues = pulumi.all(Object.values(secrets).map((v) => pulumi.output(v)));
  const execution = executionRole(parent, name, {
    context: args.context,
    description: `${prefix}: ECS agent pulls the image, writes logs and reads the task's secrets`,
    repositoryArns: pullFrom,
    logGroupArn: logGroup.arn,
    secretValueFroms: secretValues,
    tags: tags("execution"),
  });
  const taskRole = new Role(
    `${name}-task`,
    {
      description: `${prefix}: the app's own AWS permissions`,
      assumeRolePolicy: ecsTasksAssumeRolePolicy(args.context),
      tags: tags("task"),
    },
    { parent },
  );
  if (enableExecuteCommand) {
    new RolePolicy(
      `${name}-task`,
      {
        role: taskRole.id,
        policy: pulumi
          .all([logGroup.arn, args.context.kmsKeyArn])
          .apply(([logGroupArn, kmsKeyArn]) => JSON.stringify(taskRolePolicy({ logGroupArn, kmsKeyArn }))),
      },
      { parent },
    );
  }

  // --- task definition ---
  const environment: Record<string, string> = {
    ...extraEnvironment,
    PORT: String(args.port),
    SHUTDOWN_TIMEOUT_MS: String(shutdownTimeoutMs),
    LOG_LEVEL: logLevel,
  };
  const secretNames = Object.keys(secrets);
  const taskDefinition = fargateTaskDefinition(
    parent,
    name,
    {
      family: `${prefix}-app`,
      cpu: args.cpu,
      memory: args.memory,
      architecture,
      executionRoleArn: execution.role.arn,
      taskRoleArn: taskRole.arn,
      // The circuit breaker's rollback target (and runbooks/service-rollback.md's) must stay ACTIVE.
      keepPreviousRevisions: true,
      containers: pulumi.all([imageRef, logGroup.name, secretValues]).apply(([image, logGroupName, secretArns]) =>
        containerDefinitions({
          image,
          port: args.port,
          environment,
          secrets: Object.fromEntries(secretNames.map((n, i) => [n, secretArns[i]])),
          logGroupName,
          region,
          stopTimeoutSeconds,
          enableExecuteCommand,
        }),
      ),
      tags: tags("app"),
    },
    execution.policy,
  );

  return { repository, imageRef, logGroup, executionRole: execution.role, taskRole, taskDefinition };
}
