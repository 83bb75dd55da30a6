/**
 * Pure rules of the container platform: Fargate sizes, the shutdown timeline, image references, certificate and
 * origin formats. No Pulumi here: the config schema, the components and the tests all use these functions.
 */

export { LOG_RETENTION_DAYS } from "../shared/logs";

export const ARCHITECTURES = ["arm64", "x86_64"] as const;
export type Architecture = (typeof ARCHITECTURES)[number];

/** The task definition's `cpuArchitecture` and the docker build platform for each architecture: they must agree. */
export const PLATFORMS: Readonly<Record<Architecture, { readonly cpuArchitecture: string; readonly docker: string }>> =
  {
    arm64: { cpuArchitecture: "ARM64", docker: "linux/arm64" },
    x86_64: { cpuArchitecture: "X86_64", docker: "linux/amd64" },
  };

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

function describeValues(values: readonly number[]): string {
  if (values.length <= 8) {
    return values.join(", ");
  }
  const step = values[1] - values[0];
  return `${values[0]} to ${values[values.length - 1]} in steps of ${step}`;
}

/**
 * The order a task is stopped in (see app/README.md): the ALB drains the target for the deregistration delay,
 * ECS sends SIGTERM, the app drains within its shutdown deadline, and ECS sends SIGKILL after stopTimeout.
 * The app's deadline must end before SIGKILL, and the ALB must stop waiting for a request no later than the app
 * does, so a request the ALB still holds is never cut off by the app first:
 *
 *   deregistration delay (s) <= SHUTDOWN_TIMEOUT_MS / 1000 < stopTimeout (s) <= 120 (the Fargate maximum)
 */
export function shutdownTimelineProblems(t: {
  readonly deregistrationDelaySeconds: number;
  readonly shutdownTimeoutMs: number;
  readonly stopTimeoutSeconds: number;
}): string[] {
  const problems: string[] = [];
  if (!Number.isInteger(t.stopTimeoutSeconds) || t.stopTimeoutSeconds < 2 || t.stopTimeoutSeconds > 120) {
    problems.push(
      `stopTimeoutSeconds: expected an integer from 2 to 120 (the Fargate maximum), got ${JSON.stringify(t.stopTimeoutSeconds)}`,
    );
  } else if (!Number.isInteger(t.shutdownTimeoutMs) || t.shutdownTimeoutMs < 1) {
    problems.push(`shutdownTimeoutMs: expected a positive integer, got ${JSON.stringify(t.shutdownTimeoutMs)}`);
  } else if (t.shutdownTimeoutMs >= t.stopTimeoutSeconds * 1000) {
    problems.push(
      `shutdownTimeoutMs: expected less than stopTimeoutSeconds (${t.stopTimeoutSeconds} s = ${t.stopTimeoutSeconds * 1000} ms) ` +
        `so the app finishes draining before ECS sends SIGKILL, got ${t.shutdownTimeoutMs}`,
    );
  }
  if (
    !Number.isInteger(t.deregistrationDelaySeconds) ||
    t.deregistrationDelaySeconds < 0 ||
    t.deregistrationDelaySeconds > 3600
  ) {
    problems.push(
      `deregistrationDelaySeconds: expected an integer from 0 to 3600, got ${JSON.stringify(t.deregistrationDelaySeconds)}`,
    );
  } else if (Number.isInteger(t.shutdownTimeoutMs) && t.deregistrationDelaySeconds * 1000 > t.shutdownTimeoutMs) {
    problems.push(
      `deregistrationDelaySeconds: expected at most the app's shutdown deadline (shutdownTimeoutMs ${t.shutdownTimeoutMs} ms) ` +
        `so the load balancer stops waiting for a request before the app gives up on it, got ${t.deregistrationDelaySeconds}`,
    );
  }
  return problems;
}

const DIGEST = /@sha256:[0-9a-f]{64}$/;

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
  if (tag === "" || tag === "latest") {
    return "expected an image pinned by a release tag other than latest or by an @sha256: digest";
  }
  return undefined;
}

/** The ARN of the ECR repository an image lives in, or undefined for an image outside ECR (e.g. Docker Hub). */
export function ecrRepositoryArnOf(image: string, partition = "aws"): string | undefined {
  const match = /^(\d{12})\.dkr\.ecr\.([a-z0-9-]+)\.amazonaws\.com(?:\.cn)?\/([^:@]+)/.exec(image);
  if (!match) {
    return undefined;
  }
  const [, account, region, repository] = match;
  return `arn:${partition}:ecr:${region}:${account}:repository/${repository}`;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** What is wrong with an ACM certificate ARN for use in `region`, or undefined when it fits. */
export function acmCertificateArnProblem(arn: string, region: string): string | undefined {
  const match = /^arn:aws[a-z-]*:acm:([a-z0-9-]+):(\d{12}):certificate\/(.+)$/.exec(arn);
  if (!match || !UUID.test(match[3])) {
    return `expected an ACM certificate ARN arn:aws:acm:${region}:<12-digit account>:certificate/<uuid>`;
  }
  if (match[1] !== region) {
    return `expected a certificate in ${region}, where it is used (ACM certificates are regional), not in ${match[1]}`;
  }
  return undefined;
}

/** What is wrong with a CORS origin, or undefined for `https://host[:port]` with no path. */
export function corsOriginProblem(origin: string): string | undefined {
  let url: URL;
  try {
    url = new URL(origin);
  } catch {
    return "expected an https origin such as https://app.example.com";
  }
  if (url.protocol !== "https:") {
    return "expected an https origin such as https://app.example.com (browsers send credentials over TLS only)";
  }
  if (url.origin !== origin) {
    return `expected an origin without path, query or trailing slash (did you mean ${url.origin}?)`;
  }
  return undefined;
}

/** Environment variable names that look like they hold credentials; those belong in `secrets`. */
export const SECRET_LIKE_NAME = /(PASSWORD|PASSWD|SECRET|TOKEN|API_?KEY|PRIVATE_?KEY|ACCESS_?KEY|CREDENTIAL)/i;

/** Names that only point at where a secret lives (`DB_SECRET_ARN`), which is fine in plaintext. */
export const SECRET_REFERENCE_NAME = /_(ARN|NAME|ID|URL|URI|ENDPOINT|PATH|FILE|TTL|HEADER|REGION)$/i;

export function isSecretLikeName(name: string): boolean {
  return SECRET_LIKE_NAME.test(name) && !SECRET_REFERENCE_NAME.test(name);
}
