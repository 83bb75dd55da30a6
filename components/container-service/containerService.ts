import * as pulumi from "@pulumi/pulumi";
import { Repository } from "@pulumi/aws/ecr/repository";
import { LifecyclePolicy } from "@pulumi/aws/ecr/lifecyclePolicy";
import { getAuthorizationTokenOutput } from "@pulumi/aws/ecr/getAuthorizationToken";
import { Cluster } from "@pulumi/aws/ecs/cluster";
import { TaskDefinition } from "@pulumi/aws/ecs/taskDefinition";
import { Service } from "@pulumi/aws/ecs/service";
import { LogGroup } from "@pulumi/aws/cloudwatch/logGroup";
import { Role } from "@pulumi/aws/iam/role";
import { RolePolicy } from "@pulumi/aws/iam/rolePolicy";
import { LoadBalancer } from "@pulumi/aws/lb/loadBalancer";
import { TargetGroup } from "@pulumi/aws/lb/targetGroup";
import { Listener } from "@pulumi/aws/lb/listener";
import { ListenerRule } from "@pulumi/aws/lb/listenerRule";
import { Bucket } from "@pulumi/aws/s3/bucket";
import { BucketServerSideEncryptionConfiguration } from "@pulumi/aws/s3/bucketServerSideEncryptionConfiguration";
import { BucketPublicAccessBlock } from "@pulumi/aws/s3/bucketPublicAccessBlock";
import { BucketOwnershipControls } from "@pulumi/aws/s3/bucketOwnershipControls";
import { BucketVersioning } from "@pulumi/aws/s3/bucketVersioning";
import { BucketLifecycleConfiguration } from "@pulumi/aws/s3/bucketLifecycleConfiguration";
import { BucketPolicy } from "@pulumi/aws/s3/bucketPolicy";
import { Target } from "@pulumi/aws/appautoscaling/target";
import { Policy as ScalingPolicy } from "@pulumi/aws/appautoscaling/policy";
import { Image } from "@pulumi/docker/image";
import { ComponentArgsError, nameTags } from "../shared/naming";
import {
  ARCHITECTURES,
  Architecture,
  LOG_RETENTION_DAYS,
  PLATFORMS,
  acmCertificateArnProblem,
  ecrRepositoryArnOf,
  fargateSizeProblem,
  imageReferenceProblem,
  isSecretLikeName,
  shutdownTimelineProblems,
} from "./fargate";
import {
  accessLogBucketPolicy,
  ecrLifecyclePolicy,
  ecsTasksTrustPolicy,
  executionRolePolicy,
  taskRolePolicy,
} from "./policies";

/** Where the service's image comes from: built from a folder and pushed to the stack's repository, or prebuilt. */
export type ContainerImageSource =
  | {
      /** Build `context` with docker for the task architecture and push it as `<repository>:<tag>`. */
      readonly build: {
        /** Folder with the Dockerfile, e.g. `app/`. */
        readonly context: string;
        /** @default "<context>/Dockerfile" */
        readonly dockerfile?: string;
        /** Image tag: a release version or a content hash, never `latest` (the repository's tags are immutable). */
        readonly tag: string;
      };
    }
  | {
      /** A pushed image, pinned by a tag other than `latest` or by `@sha256:` digest. */
      readonly uri: string;
    };

/** Name of the app container in the task definition, for load balancer wiring and `aws ecs execute-command`. */
export const CONTAINER_NAME = "app";

/** Variables the component sets itself; `extraEnvironment` may not override them. */
const RESERVED_ENVIRONMENT = ["PORT", "SHUTDOWN_TIMEOUT_MS", "LOG_LEVEL"];

const LOG_LEVELS = ["debug", "info", "warn", "error"];

export interface ContainerServiceArgs {
  /** Prefix of the physical names (cluster, service, family, log group, load balancer), e.g. `saas-dev`. */
  readonly namePrefix: string;
  /** Region of the stack: the awslogs region, the certificate's region and the trust policy's source ARN. */
  readonly region: string;
  /** Account that owns the stack, for the trust policy's confused-deputy conditions. */
  readonly accountId: pulumi.Input<string>;
  /**
   * AWS partition.
   * @default "aws"
   */
  readonly partition?: string;
  readonly vpcId: pulumi.Input<string>;
  /** Subnets of the load balancer (the network's public tier). */
  readonly publicSubnetIds: pulumi.Input<pulumi.Input<string>[]>;
  /** Subnets of the tasks (the network's private tier); tasks never get a public IP. */
  readonly privateSubnetIds: pulumi.Input<pulumi.Input<string>[]>;
  /** Security group of the load balancer, from the network component. */
  readonly loadBalancerSecurityGroupId: pulumi.Input<string>;
  /** Security group of the tasks, from the network component. */
  readonly appSecurityGroupId: pulumi.Input<string>;
  /** The stack's KMS key: ECR repository, log group and (when given) secrets are encrypted with it. */
  readonly kmsKeyArn: pulumi.Input<string>;
  /** Where the image comes from. */
  readonly image: ContainerImageSource;
  /**
   * CPU architecture of the tasks; a built image is built for the same platform.
   * @default "arm64" - Graviton: about 20% cheaper per vCPU-hour than x86_64 on Fargate
   */
  readonly architecture?: Architecture;
  /** Task CPU units, one of Fargate's values (256 ... 16384). */
  readonly cpu: number;
  /** Task memory in MiB, a size Fargate offers with `cpu`. */
  readonly memory: number;
  /** Port the container listens on (the app's PORT). */
  readonly port: number;
  /** Tasks the service starts with; autoscaling moves it between `minCount` and `maxCount`. */
  readonly desiredCount: number;
  /** Fewest tasks autoscaling keeps. */
  readonly minCount: number;
  /** Most tasks autoscaling runs. */
  readonly maxCount: number;
  /** Days container logs are kept; one of CloudWatch Logs' retention values. */
  readonly logRetentionDays: number;
  /** ACM certificate of the HTTPS listener, in `region`. */
  readonly certificateArn: string;
  /**
   * Secrets injected as environment variables by ECS at task start: variable name → Secrets Manager ARN
   * (optionally with a `:<json key>::` suffix). The execution role may read exactly these secrets.
   * @default - none
   */
  readonly secrets?: Readonly<Record<string, pulumi.Input<string>>>;
  /**
   * Plain settings for the app (e.g. the database pool size). Names that look like credentials are refused:
   * those go in `secrets`.
   * @default - none
   */
  readonly extraEnvironment?: Readonly<Record<string, string>>;
  /**
   * The app's LOG_LEVEL.
   * @default "info"
   */
  readonly logLevel?: string;
  /**
   * The app's graceful-shutdown deadline (SHUTDOWN_TIMEOUT_MS).
   * @default 25000 - the app's own default, 5 s inside stopTimeout
   */
  readonly shutdownTimeoutMs?: number;
  /**
   * Seconds ECS waits after SIGTERM before SIGKILL.
   * @default 30 - the value the app's deadline is checked against (ECS_STOP_TIMEOUT_MS in app/src/config.ts)
   */
  readonly stopTimeoutSeconds?: number;
  /**
   * Seconds the load balancer drains a deregistered task.
   * @default 20 - below the shutdown deadline; see shutdownTimelineProblems
   */
  readonly deregistrationDelaySeconds?: number;
  /**
   * Seconds ECS ignores failing load balancer health checks of a new task.
   * @default 60
   */
  readonly healthCheckGracePeriodSeconds?: number;
  /**
   * Allow `aws ecs execute-command` into the tasks (adds the Session Manager channel permissions).
   * @default false - on in dev only: a shell in production bypasses the deployment pipeline
   */
  readonly enableExecuteCommand?: boolean;
  /**
   * Protect the load balancer from deletion.
   * @default false - set in prod
   */
  readonly deletionProtection?: boolean;
  /**
   * Average CPU utilisation (%) autoscaling keeps the service at.
   * @default 70
   */
  readonly cpuTargetPercent?: number;
  /**
   * Requests per task per minute to scale on, as a second target; 0 turns it off.
   * @default 0
   */
  readonly requestsPerTarget?: number;
  /**
   * Days the load balancer's access logs are kept.
   * @default 90
   */
  readonly accessLogExpirationDays?: number;
  /** Extra tags; cost tags come from the provider's defaultTags. */
  readonly tags?: Readonly<Record<string, string>>;
}

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Problems with the arguments, one message each, in the order of the fields. */
export function validateContainerServiceArgs(args: ContainerServiceArgs): string[] {
  const problems: string[] = [];
  const show = JSON.stringify;
  if (!/^[a-z][a-z0-9-]{1,19}$/.test(args.namePrefix)) {
    problems.push(`namePrefix: expected 2-20 lowercase letters, digits or '-', got ${show(args.namePrefix)}`);
  }
  if ("uri" in args.image) {
    const problem = imageReferenceProblem(args.image.uri);
    if (problem) {
      problems.push(`image.uri: ${problem}, got ${show(args.image.uri)}`);
    }
  } else if (!/^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/.test(args.image.build.tag) || args.image.build.tag === "latest") {
    problems.push(
      `image.build.tag: expected a docker tag other than latest (a version or content hash), got ${show(args.image.build.tag)}`,
    );
  }
  if (args.architecture !== undefined && !ARCHITECTURES.includes(args.architecture)) {
    problems.push(`architecture: expected one of ${ARCHITECTURES.join(", ")}, got ${show(args.architecture)}`);
  }
  const size = fargateSizeProblem(args.cpu, args.memory);
  if (size) {
    problems.push(`${size.key}: ${size.message}, got ${show(size.key === "cpu" ? args.cpu : args.memory)}`);
  }
  if (!Number.isInteger(args.port) || args.port < 1024 || args.port > 65535) {
    problems.push(`port: expected an unprivileged port from 1024 to 65535, got ${show(args.port)}`);
  }
  const counts = [args.minCount, args.desiredCount, args.maxCount];
  if (!counts.every((c) => Number.isInteger(c) && c >= 0)) {
    problems.push(
      `minCount/desiredCount/maxCount: expected non-negative integers, got ${counts.map((c) => show(c)).join("/")}`,
    );
  } else if (args.minCount > args.maxCount) {
    problems.push(`minCount: expected at most maxCount (${args.maxCount}), got ${args.minCount}`);
  } else if (args.desiredCount < args.minCount || args.desiredCount > args.maxCount) {
    problems.push(
      `desiredCount: expected a count from minCount (${args.minCount}) to maxCount (${args.maxCount}), got ${args.desiredCount}`,
    );
  } else if (args.maxCount < 1) {
    problems.push(`maxCount: expected at least 1, got ${args.maxCount}`);
  }
  if (!(LOG_RETENTION_DAYS as readonly number[]).includes(args.logRetentionDays)) {
    problems.push(
      `logRetentionDays: expected one of CloudWatch Logs' retention periods (${LOG_RETENTION_DAYS.join(", ")}), got ${show(args.logRetentionDays)}`,
    );
  }
  const certificate = acmCertificateArnProblem(args.certificateArn, args.region);
  if (certificate) {
    problems.push(`certificateArn: ${certificate}, got ${show(args.certificateArn)}`);
  }
  for (const name of Object.keys(args.secrets ?? {})) {
    if (!ENV_NAME.test(name)) {
      problems.push(`secrets: ${show(name)} is not an environment variable name (letters, digits, _)`);
    }
    if (RESERVED_ENVIRONMENT.includes(name) || name in (args.extraEnvironment ?? {})) {
      problems.push(`secrets: ${show(name)} is also a plain environment variable; name each variable once`);
    }
  }
  for (const name of Object.keys(args.extraEnvironment ?? {})) {
    if (!ENV_NAME.test(name)) {
      problems.push(`extraEnvironment: ${show(name)} is not an environment variable name (letters, digits, _)`);
    } else if (RESERVED_ENVIRONMENT.includes(name)) {
      problems.push(`extraEnvironment: ${show(name)} is set by the component; use the matching argument instead`);
    } else if (isSecretLikeName(name)) {
      problems.push(
        `extraEnvironment: ${show(name)} looks like a credential; pass it in secrets (a Secrets Manager ARN) so it is never stored in plaintext`,
      );
    }
  }
  if (args.logLevel !== undefined && !LOG_LEVELS.includes(args.logLevel)) {
    problems.push(`logLevel: expected one of ${LOG_LEVELS.join(", ")}, got ${show(args.logLevel)}`);
  }
  problems.push(
    ...shutdownTimelineProblems({
      deregistrationDelaySeconds: args.deregistrationDelaySeconds ?? 20,
      shutdownTimeoutMs: args.shutdownTimeoutMs ?? 25000,
      stopTimeoutSeconds: args.stopTimeoutSeconds ?? 30,
    }),
  );
  const grace = args.healthCheckGracePeriodSeconds;
  if (grace !== undefined && (!Number.isInteger(grace) || grace < 0 || grace > 2147483647)) {
    problems.push(`healthCheckGracePeriodSeconds: expected a non-negative integer, got ${show(grace)}`);
  }
  const cpuTarget = args.cpuTargetPercent;
  if (cpuTarget !== undefined && !(cpuTarget >= 10 && cpuTarget <= 90)) {
    problems.push(`cpuTargetPercent: expected a percentage from 10 to 90, got ${show(cpuTarget)}`);
  }
  const rpt = args.requestsPerTarget;
  if (rpt !== undefined && (!Number.isInteger(rpt) || rpt < 0)) {
    problems.push(`requestsPerTarget: expected a non-negative integer (0 = off), got ${show(rpt)}`);
  }
  const expiry = args.accessLogExpirationDays;
  if (expiry !== undefined && (!Number.isInteger(expiry) || expiry < 1)) {
    problems.push(`accessLogExpirationDays: expected a positive integer, got ${show(expiry)}`);
  }
  return problems;
}

/**
 * Repositories the execution role may pull from: the stack's own for a built image; for a prebuilt one, the ECR
 * repository its URI names (none for an image outside ECR, which ECS pulls without IAM).
 */
export function pullRepositoryArns(ownRepositoryArn: string, image: ContainerImageSource, partition = "aws"): string[] {
  if ("build" in image) {
    return [ownRepositoryArn];
  }
  const arn = ecrRepositoryArnOf(image.uri, partition);
  return arn ? [arn] : [];
}

/** The Secrets Manager ARN a `valueFrom` reads, without the `:<json key>:<stage>:<version>` selector. */
export function secretResourceArn(valueFrom: string): string {
  return valueFrom.split(":").slice(0, 7).join(":");
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

/** Writable scratch space; the root filesystem is read-only. */
export const TMP_VOLUME = "tmp";

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
  const mounts = [{ sourceVolume: TMP_VOLUME, containerPath: "/tmp", readOnly: false }];
  const byName = (entries: Readonly<Record<string, string>>) =>
    Object.keys(entries)
      .sort()
      .map((name) => [name, entries[name]]);
  return [
    {
      name: CONTAINER_NAME,
      image: a.image,
      essential: true,
      // Numeric, as in the Dockerfile: ECS and the policy pack can see it is not root without the image.
      user: "10001:10001",
      readonlyRootFilesystem: readonlyRoot(a.enableExecuteCommand),
      privileged: false,
      linuxParameters: { initProcessEnabled: true, capabilities: { drop: ["ALL"] } },
      portMappings: [{ name: "http", containerPort: a.port, hostPort: a.port, protocol: "tcp", appProtocol: "http" }],
      environment: byName(a.environment).map(([name, value]) => ({ name, value })),
      secrets: byName(a.secrets).map(([name, valueFrom]) => ({ name, valueFrom })),
      mountPoints: mounts,
      // Liveness (/health), not readiness: a draining task is alive and must not be replaced (app/README.md).
      healthCheck: {
        command: ["CMD", "node", "dist/healthcheck.js"],
        interval: 15,
        timeout: 5,
        retries: 3,
        startPeriod: 10,
      },
      stopTimeout: a.stopTimeoutSeconds,
      logConfiguration: {
        logDriver: "awslogs",
        options: {
          "awslogs-group": a.logGroupName,
          "awslogs-region": a.region,
          "awslogs-stream-prefix": CONTAINER_NAME,
          // A slow CloudWatch must not block the app's stdout; 25 MiB of lines are buffered before any is lost.
          mode: "non-blocking",
          "max-buffer-size": "25m",
        },
      },
    },
  ];
}

/**
 * The stack's web service on ECS Fargate behind an Application Load Balancer:
 *
 *   internet --443--> ALB (public subnets) --/api/*, /health--> tasks (private subnets, no public IP)
 *            --80---> redirect to 443
 *
 * with its ECR repository (immutable, scanned, KMS), the image build, a KMS-encrypted log group, least-privilege
 * execution and task roles, access logs to S3, a deployment circuit breaker with rollback and target-tracking
 * autoscaling.
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
  public readonly accessLogBucketName: pulumi.Output<string>;
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
    const partition = args.partition ?? "aws";
    const architecture = args.architecture ?? "arm64";
    const logLevel = args.logLevel ?? "info";
    const shutdownTimeoutMs = args.shutdownTimeoutMs ?? 25000;
    const stopTimeoutSeconds = args.stopTimeoutSeconds ?? 30;
    const deregistrationDelaySeconds = args.deregistrationDelaySeconds ?? 20;
    const healthCheckGracePeriodSeconds = args.healthCheckGracePeriodSeconds ?? 60;
    const enableExecuteCommand = args.enableExecuteCommand ?? false;
    const deletionProtection = args.deletionProtection ?? false;
    const cpuTargetPercent = args.cpuTargetPercent ?? 70;
    const requestsPerTarget = args.requestsPerTarget ?? 0;
    const accessLogExpirationDays = args.accessLogExpirationDays ?? 90;
    const secrets = args.secrets ?? {};
    const extraEnvironment = args.extraEnvironment ?? {};
    const prefix = args.namePrefix;
    const tags = (suffix: string) => nameTags(`${prefix}-${suffix}`, args.tags);
    const platform = PLATFORMS[architecture];

    // --- image ---
    const repository = new Repository(
      `${name}-repo`,
      {
        name: `${prefix}/app`,
        // A pushed tag can never be moved to other content: what a task definition names is what runs.
        imageTagMutability: "IMMUTABLE",
        imageScanningConfiguration: { scanOnPush: true },
        encryptionConfigurations: [{ encryptionType: "KMS", kmsKey: args.kmsKeyArn }],
        // A disposable stack must be destroyable with its images in it; a protected one keeps them.
        forceDelete: !deletionProtection,
        tags: tags("app"),
      },
      { parent: this },
    );
    new LifecyclePolicy(
      `${name}-repo-lifecycle`,
      { repository: repository.name, policy: JSON.stringify(ecrLifecyclePolicy(30, 7)) },
      { parent: this },
    );

    let imageRef: pulumi.Output<string>;
    if ("build" in args.image) {
      const build = args.image.build;
      const token = getAuthorizationTokenOutput({ registryId: repository.registryId }, { parent: this });
      const image = new Image(
        `${name}-image`,
        {
          imageName: pulumi.interpolate`${repository.repositoryUrl}:${build.tag}`,
          build: {
            context: build.context,
            dockerfile: build.dockerfile ?? `${build.context.replace(/\/$/, "")}/Dockerfile`,
            // Explicit, so a build on an x86 laptop still produces the architecture the tasks run on.
            platform: platform.docker,
          },
          registry: { server: repository.repositoryUrl, username: token.userName, password: token.password },
        },
        { parent: this },
      );
      // The digest, not the tag: a task started in a year runs the same bytes as one started today.
      imageRef = image.repoDigest;
    } else {
      imageRef = pulumi.output(args.image.uri);
    }
    const pullFrom = repository.arn.apply((arn) => pullRepositoryArns(arn, args.image, partition));

    // --- logs ---
    const logGroup = new LogGroup(
      `${name}-logs`,
      {
        name: `/ecs/${prefix}/app`,
        retentionInDays: args.logRetentionDays,
        kmsKeyId: args.kmsKeyArn,
        tags: tags("app-logs"),
      },
      { parent: this },
    );

    // --- roles ---
    const trust = pulumi
      .output(args.accountId)
      .apply((account) => JSON.stringify(ecsTasksTrustPolicy(partition, args.region, account)));
    const executionRole = new Role(
      `${name}-execution`,
      {
        description: `${prefix}: ECS agent pulls the image, writes logs and reads the task's secrets`,
        assumeRolePolicy: trust,
        tags: tags("execution"),
      },
      { parent: this },
    );
    const secretValues = pulumi.all(Object.values(secrets).map((v) => pulumi.output(v)));
    new RolePolicy(
      `${name}-execution`,
      {
        role: executionRole.id,
        policy: pulumi
          .all([pullFrom, logGroup.arn, secretValues, pulumi.output(args.kmsKeyArn)])
          .apply(([repositoryArns, logGroupArn, secretArns, kmsKeyArn]) =>
            JSON.stringify(
              executionRolePolicy({
                repositoryArns,
                logGroupArn,
                secretArns: [...new Set(secretArns.map(secretResourceArn))].sort(),
                kmsKeyArn,
              }),
            ),
          ),
      },
      { parent: this },
    );
    const taskRole = new Role(
      `${name}-task`,
      {
        description: `${prefix}: the app's own AWS permissions`,
        assumeRolePolicy: trust,
        tags: tags("task"),
      },
      { parent: this },
    );
    if (enableExecuteCommand) {
      new RolePolicy(
        `${name}-task`,
        {
          role: taskRole.id,
          policy: pulumi
            .all([logGroup.arn, args.kmsKeyArn])
            .apply(([logGroupArn, kmsKeyArn]) => JSON.stringify(taskRolePolicy({ logGroupArn, kmsKeyArn }))),
        },
        { parent: this },
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
    const family = `${prefix}-app`;
    const taskDefinition = new TaskDefinition(
      `${name}-task`,
      {
        family,
        requiresCompatibilities: ["FARGATE"],
        networkMode: "awsvpc",
        cpu: String(args.cpu),
        memory: String(args.memory),
        runtimePlatform: { operatingSystemFamily: "LINUX", cpuArchitecture: platform.cpuArchitecture },
        executionRoleArn: executionRole.arn,
        taskRoleArn: taskRole.arn,
        volumes: [{ name: TMP_VOLUME }],
        // Every change registers a new revision and replaces this resource; without this the provider deregisters
        // the previous revision at once, and the circuit breaker's rollback target (or the fast rollback in
        // runbooks/service-rollback.md) would be INACTIVE. Kept revisions cost nothing; `pulumi destroy` keeps
        // them too (runbooks/service-rollback.md says how to deregister them).
        skipDestroy: true,
        containerDefinitions: pulumi
          .all([imageRef, logGroup.name, secretValues])
          .apply(([image, logGroupName, secretArns]) =>
            JSON.stringify(
              containerDefinitions({
                image,
                port: args.port,
                environment,
                secrets: Object.fromEntries(secretNames.map((n, i) => [n, secretArns[i]])),
                logGroupName,
                region: args.region,
                stopTimeoutSeconds,
                enableExecuteCommand,
              }),
            ),
          ),
        tags: tags("app"),
      },
      { parent: this },
    );

    // --- load balancer ---
    const logBucket = new Bucket(
      `${name}-alb-logs`,
      { forceDestroy: !deletionProtection, tags: tags("alb-logs") },
      {
        parent: this,
      },
    );
    const accessLogPrefix = "alb";
    new BucketOwnershipControls(
      `${name}-alb-logs`,
      { bucket: logBucket.id, rule: { objectOwnership: "BucketOwnerEnforced" } },
      { parent: this },
    );
    const publicAccess = new BucketPublicAccessBlock(
      `${name}-alb-logs`,
      {
        bucket: logBucket.id,
        blockPublicAcls: true,
        blockPublicPolicy: true,
        ignorePublicAcls: true,
        restrictPublicBuckets: true,
      },
      { parent: this },
    );
    // SSE-S3: ALB log delivery cannot write to a bucket whose default encryption is SSE-KMS.
    new BucketServerSideEncryptionConfiguration(
      `${name}-alb-logs`,
      { bucket: logBucket.id, rules: [{ applyServerSideEncryptionByDefault: { sseAlgorithm: "AES256" } }] },
      { parent: this },
    );
    new BucketVersioning(
      `${name}-alb-logs`,
      { bucket: logBucket.id, versioningConfiguration: { status: "Enabled" } },
      { parent: this },
    );
    new BucketLifecycleConfiguration(
      `${name}-alb-logs`,
      {
        bucket: logBucket.id,
        rules: [
          {
            id: "expire-access-logs",
            status: "Enabled",
            filter: {},
            expiration: { days: accessLogExpirationDays },
            noncurrentVersionExpiration: { noncurrentDays: 1 },
            abortIncompleteMultipartUpload: { daysAfterInitiation: 1 },
          },
        ],
      },
      { parent: this },
    );
    const logBucketPolicy = new BucketPolicy(
      `${name}-alb-logs`,
      {
        bucket: logBucket.id,
        policy: pulumi
          .all([logBucket.arn, pulumi.output(args.accountId)])
          .apply(([bucketArn, account]) =>
            JSON.stringify(
              accessLogBucketPolicy({ partition, region: args.region, account, bucketArn, prefix: accessLogPrefix }),
            ),
          ),
      },
      // The public access block first: with blockPublicPolicy the policy is checked against it when it is put.
      { parent: this, dependsOn: [publicAccess] },
    );

    const alb = new LoadBalancer(
      `${name}-alb`,
      {
        name: `${prefix}-alb`,
        loadBalancerType: "application",
        internal: false,
        securityGroups: [args.loadBalancerSecurityGroupId],
        subnets: args.publicSubnetIds,
        dropInvalidHeaderFields: true,
        enableDeletionProtection: deletionProtection,
        // Below the app's 65 s keep-alive timeout, so the ALB never reuses a connection the app is closing.
        idleTimeout: 60,
        accessLogs: { bucket: logBucket.id, prefix: accessLogPrefix, enabled: true },
        tags: tags("alb"),
      },
      // ELB checks that it may write to the bucket when access logging is turned on.
      { parent: this, dependsOn: [logBucketPolicy] },
    );
    const targetGroup = new TargetGroup(
      `${name}-tg`,
      {
        port: args.port,
        protocol: "HTTP",
        targetType: "ip",
        vpcId: args.vpcId,
        // deregistration delay (20 s) <= the app's shutdown deadline (25 s) < stopTimeout (30 s): the ALB stops
        // waiting for a request before the app gives up on it, and the app exits before SIGKILL (fargate.ts).
        deregistrationDelay: deregistrationDelaySeconds,
        healthCheck: {
          enabled: true,
          // Readiness: a draining task answers 503 here and leaves the rotation before it stops.
          path: "/ready",
          matcher: "200",
          protocol: "HTTP",
          port: "traffic-port",
          interval: 15,
          timeout: 5,
          healthyThreshold: 2,
          unhealthyThreshold: 3,
        },
        tags: tags("tg"),
      },
      { parent: this },
    );
    const https = new Listener(
      `${name}-https`,
      {
        loadBalancerArn: alb.arn,
        port: 443,
        protocol: "HTTPS",
        sslPolicy: "ELBSecurityPolicy-TLS13-1-2-2021-06",
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
      { parent: this },
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
      { parent: this },
    );
    const routes = [
      { role: "api", priority: 10, path: "/api/*" },
      { role: "health", priority: 20, path: "/health" },
    ].map(
      (route) =>
        new ListenerRule(
          `${name}-${route.role}`,
          {
            listenerArn: https.arn,
            priority: route.priority,
            conditions: [{ pathPattern: { values: [route.path] } }],
            actions: [{ type: "forward", targetGroupArn: targetGroup.arn }],
            tags: tags(route.role),
          },
          { parent: this },
        ),
    );

    // --- cluster and service ---
    const cluster = new Cluster(
      `${name}-cluster`,
      {
        name: prefix,
        settings: [{ name: "containerInsights", value: "enabled" }],
        // A shell into a task is an audited event: sessions are encrypted with the stack key and logged.
        ...(enableExecuteCommand
          ? {
              configuration: {
                executeCommandConfiguration: {
                  kmsKeyId: args.kmsKeyArn,
                  logging: "OVERRIDE",
                  logConfiguration: { cloudWatchLogGroupName: logGroup.name, cloudWatchEncryptionEnabled: true },
                },
              },
            }
          : {}),
        tags: tags("cluster"),
      },
      { parent: this },
    );
    const service = new Service(
      `${name}-service`,
      {
        name: `${prefix}-app`,
        cluster: cluster.arn,
        taskDefinition: taskDefinition.arn,
        desiredCount: args.desiredCount,
        launchType: "FARGATE",
        // Pinned rather than LATEST, so a platform change is a reviewed diff, not a surprise at the next deploy.
        platformVersion: "1.4.0",
        networkConfiguration: {
          subnets: args.privateSubnetIds,
          securityGroups: [args.appSecurityGroupId],
          assignPublicIp: false,
        },
        loadBalancers: [{ targetGroupArn: targetGroup.arn, containerName: CONTAINER_NAME, containerPort: args.port }],
        // A deployment whose tasks keep failing is stopped and rolled back to the last working task definition.
        deploymentCircuitBreaker: { enable: true, rollback: true },
        // `pulumi up` succeeds only once the rollout is steady: a rollout the circuit breaker rolls back fails the
        // update instead of leaving state naming a task definition that does not run.
        waitForSteadyState: true,
        // Start the new tasks before stopping old ones: capacity never drops during a deployment.
        deploymentMinimumHealthyPercent: 100,
        deploymentMaximumPercent: 200,
        healthCheckGracePeriodSeconds,
        enableExecuteCommand,
        propagateTags: "SERVICE",
        enableEcsManagedTags: true,
        tags: tags("app"),
      },
      {
        parent: this,
        // ECS refuses a target group that no listener uses yet.
        dependsOn: [https, ...routes],
        // Autoscaling owns the running count after creation; the program would otherwise reset it on every update.
        ignoreChanges: ["desiredCount"],
      },
    );

    // --- autoscaling ---
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
      { parent: this },
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
        { parent: this },
      );
    scaling("cpu-scaling", "ECSServiceAverageCPUUtilization", cpuTargetPercent);
    if (requestsPerTarget > 0) {
      scaling(
        "requests-scaling",
        "ALBRequestCountPerTarget",
        requestsPerTarget,
        pulumi.interpolate`${alb.arnSuffix}/${targetGroup.arnSuffix}`,
      );
    }

    this.clusterName = cluster.name;
    this.clusterArn = cluster.arn;
    this.serviceName = service.name;
    this.albDnsName = alb.dnsName;
    this.albZoneId = alb.zoneId;
    this.albArnSuffix = alb.arnSuffix;
    this.targetGroupArnSuffix = targetGroup.arnSuffix;
    this.repositoryUrl = repository.repositoryUrl;
    this.imageRef = imageRef;
    this.logGroupName = logGroup.name;
    this.taskDefinitionFamily = taskDefinition.family;
    this.taskDefinitionArn = taskDefinition.arn;
    this.executionRoleArn = executionRole.arn;
    this.taskRoleArn = taskRole.arn;
    this.accessLogBucketName = logBucket.bucket;
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
      desiredCount: this.desiredCount,
      minCount: this.minCount,
      maxCount: this.maxCount,
    });
  }
}
