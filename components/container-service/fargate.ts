/**
 * Pure rules of the container platform: Fargate sizes, the shutdown timeline, image references, certificate and
 * origin formats. No Pulumi here: the config schema, the components and the tests all use these functions.
 */

export { LOG_RETENTION_DAYS } from "../shared/logs";
// The Fargate rules every task shares live in components/shared/fargate.ts; re-exported for the config schema.
export type { Architecture } from "../shared/fargate";
export {
  ARCHITECTURES,
  FARGATE_CPU_VALUES,
  PLATFORMS,
  fargateMemoryValues,
  fargateSizeProblem,
  imageReferenceProblem,
} from "../shared/fargate";

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
