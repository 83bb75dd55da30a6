import { PolicyDocument, Statement, policyDocument } from "./policies";

/**
 * The rules of a Fargate task, shared by every component that runs one (the service, the migration task, the
 * tenant plane's tasks) and by the config schema: sizes, pinned images, the platform, the container scaffolding
 * (a scratch /tmp on a read-only root, awslogs, a numeric user) and the execution role's policy. Pure: the
 * resources built from them are in fargateTask.ts.
 */

// --- platform ---

export const ARCHITECTURES = ["arm64", "x86_64"] as const;
export type Architecture = (typeof ARCHITECTURES)[number];

/** The task definition's `cpuArchitecture` and the docker build platform for each architecture: they must agree. */
export const PLATFORMS: Readonly<Record<Architecture, { readonly cpuArchitecture: string; readonly docker: string }>> =
  {
    arm64: { cpuArchitecture: "ARM64", docker: "linux/arm64" },
    x86_64: { cpuArchitecture: "X86_64", docker: "linux/amd64" },
  };

// --- sizes ---

/** Fargate's task sizes: for each CPU value, the memory range (MiB) and its step. */
const FARGATE_SIZES: Readonly<Record<number, { readonly min: number; readonly max: number; readonly step: number }>> = {
  256: { min: 512, max: 2048, step: 512 },
  512: { min: 1024, max: 4096, step: 1024 },
  1024: { min: 2048, max: 8192, step: 1024 },
  2048: { min: 4096, max: 16384, step: 1024 },
  4096: { min: 8192, max: 30720, step: 1024 },
  8192: { min: 16384, max: 61440, step: 4096 },
  16384: { min: 32768, max: 122880, step: 8192 },
};

/** The CPU values Fargate accepts, ascending. */
export const FARGATE_CPU_VALUES: readonly number[] = Object.keys(FARGATE_SIZES)
  .map(Number)
  .sort((a, b) => a - b);

/** Memory values (MiB) Fargate accepts with `cpu`; empty for a CPU value Fargate does not offer. */
export function fargateMemoryValues(cpu: number): number[] {
  const size = FARGATE_SIZES[cpu];
  if (!size) {
    return [];
  }
  if (cpu === 256) {
    // The one irregular row: 0.5, 1 and 2 GB, but not 1.5 GB.
    return [512, 1024, 2048];
  }
  const values: number[] = [];
  for (let m = size.min; m <= size.max; m += size.step) {
    values.push(m);
  }
  return values;
}

/** What is wrong with a cpu/memory pair, or undefined when Fargate accepts it. */
export function fargateSizeProblem(
  cpu: number,
  memory: number,
): { key: "cpu" | "memory"; message: string } | undefined {
  if (!FARGATE_SIZES[cpu]) {
    return { key: "cpu", message: `expected one of Fargate's CPU values ${FARGATE_CPU_VALUES.join(", ")}` };
  }
  const values = fargateMemoryValues(cpu);
  if (!values.includes(memory)) {
    return {
      key: "memory",
      message: `expected a memory size Fargate offers with ${cpu} CPU units: ${describeValues(values)}`,
    };
  }
  return undefined;
}

/** The argument problem a component reports for a bad size, naming `cpu` or `memory` and the bad value. */
export function fargateSizeArgumentProblem(cpu: number, memory: number): string | undefined {
  const size = fargateSizeProblem(cpu, memory);
  return size && `${size.key}: ${size.message}, got ${JSON.stringify(size.key === "cpu" ? cpu : memory)}`;
}

function describeValues(values: readonly number[]): string {
  if (values.length <= 8) {
    return values.join(", ");
  }
  const step = values[1] - values[0];
  return `${values[0]} to ${values[values.length - 1]} in steps of ${step}`;
}

// --- images ---

const DIGEST = /@sha256:[0-9a-f]{64}$/;
/** Docker's tag grammar. */
const TAG = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;

/** What is wrong with an image tag, or undefined for a docker tag other than `latest`. */
export function imageTagProblem(tag: string): string | undefined {
  return TAG.test(tag) && tag !== "latest"
    ? undefined
    : "expected a docker tag other than latest (a version or content hash)";
}

/**
 * What is wrong with a prebuilt image reference, or undefined when it is pinned: by an `@sha256:` digest, or by
 * a tag other than `latest` (a moving tag changes what a running service pulls on its next task start).
 */
export function imageReferenceProblem(image: string): string | undefined {
  if (!/^[a-z0-9][a-z0-9._\-/:@]*$/i.test(image) || image.includes("//")) {
    return "expected an image reference such as 123456789012.dkr.ecr.us-east-1.amazonaws.com/app:1.2.3 or <repository>@sha256:<64 hex digits>";
  }
  if (image.includes("@")) {
    return DIGEST.test(image) ? undefined : "expected a digest of the form @sha256:<64 lowercase hex digits>";
  }
  const lastSegment = image.slice(image.lastIndexOf("/") + 1);
  const colon = lastSegment.indexOf(":");
  const tag = colon >= 0 ? lastSegment.slice(colon + 1) : "";
  if (tag === "" || imageTagProblem(tag)) {
    return "expected an image pinned by a release tag other than latest or by an @sha256: digest";
  }
  return undefined;
}

/** The ARN of the ECR repository an image lives in, or undefined for an image outside ECR (e.g. Docker Hub). */
export function ecrRepositoryArnOf(image: string, partition: string): string | undefined {
  const match = /^(\d{12})\.dkr\.ecr\.([a-z0-9-]+)\.amazonaws\.com(?:\.cn)?\/([^:@]+)/.exec(image);
  if (!match) {
    return undefined;
  }
  const [, account, region, repository] = match;
  return `arn:${partition}:ecr:${region}:${account}:repository/${repository}`;
}

// --- container scaffolding ---

/** The writable scratch volume every task mounts at /tmp; the root filesystem is read-only. */
export const TMP_VOLUME = "tmp";

/** What differs between the containers; the scaffolding around it is the same for every task. */
export interface FargateContainerSpec {
  readonly name: string;
  readonly image: string;
  /** Numeric `uid:gid`, so ECS and the policy pack can see it is not root without reading the image. */
  readonly user: string;
  /** @default true */
  readonly readonlyRootFilesystem?: boolean;
  readonly linuxParameters?: Record<string, unknown>;
  readonly entryPoint?: readonly string[];
  readonly command?: readonly string[];
  readonly portMappings?: readonly Record<string, unknown>[];
  readonly environment: readonly { name: string; value: string }[];
  readonly secrets: readonly { name: string; valueFrom: string }[];
  readonly healthCheck?: Record<string, unknown>;
  readonly stopTimeout?: number;
  /** awslogs destination; the stream prefix is the container name. */
  readonly logGroupName: string;
  readonly region: string;
  /**
   * Extra awslogs options, e.g. `mode: non-blocking` for a service whose stdout must never block.
   * @default - none: awslogs' blocking mode
   */
  readonly logOptions?: Readonly<Record<string, string>>;
}

/**
 * A container definition with the scaffolding every task shares: essential, never privileged, a numeric user,
 * a read-only root with /tmp on the scratch volume, and logs through awslogs to the task's log group.
 * Fields keep one order, so the JSON ECS receives reads the same for every task.
 */
export function fargateContainer(spec: FargateContainerSpec): Record<string, unknown> {
  const optional = (key: string, value: unknown) => (value === undefined ? {} : { [key]: value });
  return {
    name: spec.name,
    image: spec.image,
    essential: true,
    user: spec.user,
    readonlyRootFilesystem: spec.readonlyRootFilesystem ?? true,
    privileged: false,
    ...optional("linuxParameters", spec.linuxParameters),
    ...optional("entryPoint", spec.entryPoint),
    ...optional("command", spec.command),
    ...optional("portMappings", spec.portMappings),
    environment: spec.environment,
    secrets: spec.secrets,
    mountPoints: [{ sourceVolume: TMP_VOLUME, containerPath: "/tmp", readOnly: false }],
    ...optional("healthCheck", spec.healthCheck),
    ...optional("stopTimeout", spec.stopTimeout),
    logConfiguration: {
      logDriver: "awslogs",
      options: {
        "awslogs-group": spec.logGroupName,
        "awslogs-region": spec.region,
        "awslogs-stream-prefix": spec.name,
        ...(spec.logOptions ?? {}),
      },
    },
  };
}

// --- execution role ---

export interface ExecutionPolicyArgs {
  /** Repositories the task's image may be pulled from; none for an image outside ECR. */
  readonly repositoryArns: readonly string[];
  /** The task's log group (its ARN without the `:*` suffix, as the LogGroup resource returns it). */
  readonly logGroupArn: string;
  /** Secrets Manager ARNs injected through the container's `secrets`, without any JSON-key selector. */
  readonly secretArns: readonly string[];
  /** The key that encrypts those secrets. */
  readonly kmsKeyArn: string;
  /** Region of the task and its secrets: Secrets Manager decrypts through its endpoint there. */
  readonly region: string;
}

/**
 * What the ECS agent needs to start a task: pull this image, write to this log group, read these secrets.
 * Nothing for the app itself (that is the task role).
 *
 * - Logs: IAM authorises CreateLogStream and PutLogEvents on the log group ARN with the trailing `:*`, which also
 *   covers its streams (`<group>:log-stream:<name>`); the ARN without it is only for the tagging APIs
 *   (CloudWatch Logs, "CloudWatch Logs resources and operations").
 * - KMS: `kms:ViaService` is `secretsmanager.<region>.amazonaws.com`, matched with StringEquals as the KMS
 *   developer guide's kms:ViaService examples do: only Secrets Manager in the task's region decrypts, on the
 *   agent's behalf, never a direct Decrypt call.
 */
export function executionRolePolicy(a: ExecutionPolicyArgs): PolicyDocument {
  const statements: Statement[] = [];
  if (a.repositoryArns.length > 0) {
    statements.push(
      {
        Sid: "PullImage",
        Effect: "Allow",
        Action: ["ecr:BatchCheckLayerAvailability", "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"],
        Resource: [...a.repositoryArns],
      },
      {
        // GetAuthorizationToken is account-wide by design: it returns a registry login, not access to a
        // repository, and IAM does not accept a resource for it. What the token can pull is limited above.
        Sid: "RegistryLogin",
        Effect: "Allow",
        Action: "ecr:GetAuthorizationToken",
        Resource: "*",
      },
    );
  }
  statements.push({
    Sid: "WriteLogs",
    Effect: "Allow",
    Action: ["logs:CreateLogStream", "logs:PutLogEvents"],
    Resource: `${a.logGroupArn}:*`,
  });
  if (a.secretArns.length > 0) {
    statements.push(
      { Sid: "ReadSecrets", Effect: "Allow", Action: "secretsmanager:GetSecretValue", Resource: [...a.secretArns] },
      {
        Sid: "DecryptSecrets",
        Effect: "Allow",
        Action: "kms:Decrypt",
        Resource: a.kmsKeyArn,
        Condition: { StringEquals: { "kms:ViaService": `secretsmanager.${a.region}.amazonaws.com` } },
      },
    );
  }
  return policyDocument(statements);
}

/** The Secrets Manager ARN a `valueFrom` reads, without the `:<json key>:<stage>:<version>` selector. */
export function secretResourceArn(valueFrom: string): string {
  return valueFrom.split(":").slice(0, 7).join(":");
}
