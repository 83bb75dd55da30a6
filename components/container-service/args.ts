import * as pulumi from "@pulumi/pulumi";
import { nameTags } from "../shared/naming";
import { StackContext } from "../shared/context";
import { logRetentionProblem } from "../shared/logs";
import {
  ARCHITECTURES,
  Architecture,
  fargateSizeArgumentProblem,
  imageReferenceProblem,
  imageTagProblem,
} from "../shared/fargate";
import { acmCertificateArnProblem, isSecretLikeName, shutdownTimelineProblems } from "./fargate";
import { DEFAULT_WAF_RATE_LIMITS, WafRateLimits, wafRateLimitProblems } from "./wafRules";

/**
 * The container service's arguments: what a caller passes, how each is checked, and the defaults. Pure.
 */

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
  /**
   * The stack's name prefix (cluster, service, family, log group, load balancer), region (awslogs, the
   * certificate's region, the trust policy's source ARN), account and partition (ARNs, confused-deputy
   * conditions) and key: the ECR repository, the log group and exec sessions are encrypted with it.
   */
  readonly context: StackContext;
  readonly vpcId: pulumi.Input<string>;
  /**
   * Subnets of the load balancer (the network's public tier).
   * @default - none; required unless `listener` is given (then the shared load balancer has its own)
   */
  readonly publicSubnetIds?: pulumi.Input<pulumi.Input<string>[]>;
  /** Subnets of the tasks (the network's private tier); tasks never get a public IP. */
  readonly privateSubnetIds: pulumi.Input<pulumi.Input<string>[]>;
  /**
   * Security group of the load balancer, from the network component.
   * @default - none; required unless `listener` is given
   */
  readonly loadBalancerSecurityGroupId?: pulumi.Input<string>;
  /** Security group of the tasks, from the network component. */
  readonly appSecurityGroupId: pulumi.Input<string>;
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
  /**
   * ACM certificate of the HTTPS listener, in the stack's region.
   * @default - none; required unless `listener` is given (the shared listener has its certificate)
   */
  readonly certificateArn?: string;
  /**
   * An existing ECS cluster to run the service in, e.g. one that several dev stacks share. With
   * `enableExecuteCommand`, exec sessions are then logged and encrypted as that cluster's
   * executeCommandConfiguration says: this component does not change the cluster.
   * @default - a cluster `<namePrefix>` of its own, with Container Insights (and ECS Exec session logging)
   */
  readonly cluster?: ExistingCluster;
  /**
   * The HTTPS listener of an existing load balancer to route to, so several dev stacks share one ALB (one
   * ALB's hourly charge and public IPv4 addresses instead of one per stack). The component then creates only its
   * target group and its listener rules, which match the listener's `hostHeader`.
   * @default - a load balancer of its own: access-log bucket, ALB, HTTPS listener, HTTP redirect
   */
  readonly listener?: SharedListener;
  /**
   * Secrets injected as environment variables by ECS at task start: variable name → Secrets Manager ARN
   * (optionally with a `:<json key>::` suffix). The execution role may read exactly these secrets.
   * @default - none
   */
  readonly secrets?: Readonly<Record<string, pulumi.Input<string>>>;
  /**
   * Plain settings for the app (e.g. the database host and pool size; values may be outputs of other
   * resources). Names that look like credentials are refused: those go in `secrets`.
   * @default - none
   */
  readonly extraEnvironment?: Readonly<Record<string, pulumi.Input<string>>>;
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
   * Protect the load balancer from deletion, and keep the repository's images and the access logs through a
   * destroy.
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
  /**
   * Limits of the WAF web ACL's rate-based rules on the load balancer of its own (requests per 5 minutes). On a
   * shared listener the shared load balancer's owner attaches the web ACL.
   * @default { perIp: 2000, perToken: 1000 } - DEFAULT_WAF_RATE_LIMITS
   */
  readonly wafRateLimits?: WafRateLimits;
  /** Extra tags; cost tags come from the provider's defaultTags. */
  readonly tags?: Readonly<Record<string, string>>;
}

/** A cluster created elsewhere. */
export interface ExistingCluster {
  readonly arn: pulumi.Input<string>;
  /** Its name, for the autoscaling resource id and the alarms. */
  readonly name: pulumi.Input<string>;
}

/** The HTTPS listener of a load balancer created elsewhere, and what this service routes on it. */
export interface SharedListener {
  /** ARN of the HTTPS listener. */
  readonly arn: pulumi.Input<string>;
  /** ARN suffix of its load balancer (`app/<name>/<id>`), for request-count scaling and the alarms. */
  readonly loadBalancerArnSuffix: pulumi.Input<string>;
  /** DNS name and hosted zone of its load balancer, for the stack outputs and DNS records. */
  readonly loadBalancerDnsName: pulumi.Input<string>;
  readonly loadBalancerZoneId: pulumi.Input<string>;
  /** Host name this service answers to on the shared listener, e.g. `alice.dev.example.com`. */
  readonly hostHeader: string;
  /**
   * Priority of this service's first listener rule; it takes this and the next one. Priorities are unique per
   * listener, so give each stack that shares it its own pair.
   */
  readonly priority: number;
}

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
/** Host names ALB host-header conditions match: labels of letters, digits and '-', '*' and '?' as wildcards. */
const HOST_HEADER =
  /^(?=.{1,128}$)[A-Za-z0-9*?]([A-Za-z0-9*?-]*[A-Za-z0-9*?])?(\.[A-Za-z0-9*?]([A-Za-z0-9*?-]*[A-Za-z0-9*?])?)*$/;
/** ALB listener rule priorities: 1-50000. */
const MAX_RULE_PRIORITY = 50000;

/** Problems with the arguments, one message each, in the order of the fields. */
export function validateContainerServiceArgs(args: ContainerServiceArgs): string[] {
  const problems: string[] = [];
  const show = JSON.stringify;
  if (!/^[a-z][a-z0-9-]{1,19}$/.test(args.context.namePrefix)) {
    problems.push(
      `context.namePrefix: expected 2-20 lowercase letters, digits or '-', got ${show(args.context.namePrefix)}`,
    );
  }
  if ("uri" in args.image) {
    const problem = imageReferenceProblem(args.image.uri);
    if (problem) {
      problems.push(`image.uri: ${problem}, got ${show(args.image.uri)}`);
    }
  } else {
    const problem = imageTagProblem(args.image.build.tag);
    if (problem) {
      problems.push(`image.build.tag: ${problem}, got ${show(args.image.build.tag)}`);
    }
  }
  if (args.architecture !== undefined && !ARCHITECTURES.includes(args.architecture)) {
    problems.push(`architecture: expected one of ${ARCHITECTURES.join(", ")}, got ${show(args.architecture)}`);
  }
  const size = fargateSizeArgumentProblem(args.cpu, args.memory);
  if (size) {
    problems.push(size);
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
  const retention = logRetentionProblem("logRetentionDays", args.logRetentionDays);
  if (retention) {
    problems.push(retention);
  }
  problems.push(...loadBalancerProblems(args));
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
  if (args.wafRateLimits !== undefined) {
    problems.push(...wafRateLimitProblems(args.wafRateLimits));
  }
  const expiry = args.accessLogExpirationDays;
  if (expiry !== undefined && (!Number.isInteger(expiry) || expiry < 1)) {
    problems.push(`accessLogExpirationDays: expected a positive integer, got ${show(expiry)}`);
  }
  return problems;
}

/** The load balancer arguments: a load balancer of its own (subnets, security group, certificate) or a listener. */
function loadBalancerProblems(args: ContainerServiceArgs): string[] {
  const problems: string[] = [];
  const show = JSON.stringify;
  const listener = args.listener;
  if (listener === undefined) {
    if (args.certificateArn === undefined) {
      problems.push(
        "certificateArn: expected the ACM certificate of the HTTPS listener (or a shared listener), got none",
      );
    } else {
      const certificate = acmCertificateArnProblem(args.certificateArn, args.context.region);
      if (certificate) {
        problems.push(`certificateArn: ${certificate}, got ${show(args.certificateArn)}`);
      }
    }
    if (args.publicSubnetIds === undefined) {
      problems.push("publicSubnetIds: expected the load balancer's subnets (or a shared listener), got none");
    }
    if (args.loadBalancerSecurityGroupId === undefined) {
      problems.push(
        "loadBalancerSecurityGroupId: expected the load balancer's security group (or a shared listener), got none",
      );
    }
    return problems;
  }
  for (const key of [
    "certificateArn",
    "publicSubnetIds",
    "loadBalancerSecurityGroupId",
    "accessLogExpirationDays",
    "wafRateLimits",
  ] as const) {
    if (args[key] !== undefined) {
      problems.push(`${key}: belongs to the shared load balancer when listener is given; remove it`);
    }
  }
  if (!HOST_HEADER.test(listener.hostHeader)) {
    problems.push(
      `listener.hostHeader: expected a host name such as alice.dev.example.com (up to 128 characters), got ${show(listener.hostHeader)}`,
    );
  }
  if (!Number.isInteger(listener.priority) || listener.priority < 1 || listener.priority > MAX_RULE_PRIORITY - 1) {
    problems.push(
      `listener.priority: expected an integer from 1 to ${MAX_RULE_PRIORITY - 1} (the service takes it and the next one), got ${show(listener.priority)}`,
    );
  }
  return problems;
}

/** The arguments with every default applied, once; the builders below read only this. */
export function withDefaults(args: ContainerServiceArgs) {
  return {
    ...args,
    architecture: args.architecture ?? "arm64",
    logLevel: args.logLevel ?? "info",
    shutdownTimeoutMs: args.shutdownTimeoutMs ?? 25000,
    stopTimeoutSeconds: args.stopTimeoutSeconds ?? 30,
    deregistrationDelaySeconds: args.deregistrationDelaySeconds ?? 20,
    healthCheckGracePeriodSeconds: args.healthCheckGracePeriodSeconds ?? 60,
    enableExecuteCommand: args.enableExecuteCommand ?? false,
    deletionProtection: args.deletionProtection ?? false,
    cpuTargetPercent: args.cpuTargetPercent ?? 70,
    requestsPerTarget: args.requestsPerTarget ?? 0,
    accessLogExpirationDays: args.accessLogExpirationDays ?? 90,
    wafRateLimits: args.wafRateLimits ?? DEFAULT_WAF_RATE_LIMITS,
    secrets: args.secrets ?? {},
    extraEnvironment: args.extraEnvironment ?? {},
    /** `(suffix) => tags` of a child named `<namePrefix>-<suffix>`. */
    childTags: (suffix: string) => nameTags(`${args.context.namePrefix}-${suffix}`, args.tags),
  } as const;
}

export type ResolvedArgs = ReturnType<typeof withDefaults>;
