import { z } from "zod";
import { ConfigProblem, RawValues, defineKey, logRetentionDays, integer, isIntegerIn, oneOf, shapeOf } from "./common";
import {
  ARCHITECTURES,
  Architecture,
  FARGATE_CPU_VALUES,
  acmCertificateArnProblem,
  corsOriginProblem,
  fargateSizeProblem,
  imageReferenceProblem,
} from "../../components/container-service/fargate";
import { isKnownRegion } from "../../components/network/regions";
import { branchProblem, environmentProblem, githubRepositoryProblem } from "../../components/cdn/github";
import {
  MAX_WAF_RATE_LIMIT,
  MIN_WAF_RATE_LIMIT,
  WAF_RATE_WINDOW_SECONDS,
} from "../../components/container-service/wafRules";
import { TokenKeySource, jwksProblem, jwksUrlProblem } from "../../components/container-service/appEnvironment";
import { WafRateLimits } from "../../components/container-service/wafRules";

/** Configuration of the container service and the CDN in front of the frontend. */

const refined = (check: (value: string) => string | undefined) => (value: string, ctx: z.RefinementCtx) => {
  const problem = check(value);
  if (problem) {
    ctx.addIssue({ code: "custom", message: problem });
  }
};

const domainName = z
  .string({ error: "expected a domain name" })
  .regex(/^(\*\.)?([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/, {
    error: "expected a lowercase domain name such as static.example.com",
  });

/** A claim value the service compares with a token's: printable, no spaces, at most 512 characters (or empty). */
const tokenString = (what: string) =>
  z.string({ error: `expected ${what}` }).regex(/^[\x21-\x7e]{0,512}$/, { error: `expected ${what}` });

export const SERVICE_KEYS = [
  defineKey({
    key: "servicePort",
    type: "integer",
    default: 8080,
    description: "Port the service container listens on; the load balancer and app security groups allow only it.",
    schema: integer(1024, 65535, "an unprivileged port from 1024 to 65535"),
  }),
  defineKey({
    key: "serviceCpu",
    type: "integer",
    default: 256,
    description: `Fargate task CPU units (1024 = 1 vCPU): one of ${FARGATE_CPU_VALUES.join(", ")}.`,
    schema: integer(256, 16384),
  }),
  defineKey({
    key: "serviceMemory",
    type: "integer",
    default: 512,
    description: "Fargate task memory in MiB; must be a size Fargate offers with serviceCpu.",
    schema: integer(512, 122880),
  }),
  defineKey({
    key: "serviceDesiredCount",
    type: "integer",
    default: 1,
    description: "Tasks the service starts with; between serviceMinCount and serviceMaxCount.",
    schema: integer(0, 100),
  }),
  defineKey({
    key: "serviceMinCount",
    type: "integer",
    default: 1,
    description: "Fewest tasks autoscaling keeps running.",
    schema: integer(0, 100),
  }),
  defineKey({
    key: "serviceMaxCount",
    type: "integer",
    default: 2,
    description: "Most tasks autoscaling may run.",
    schema: integer(1, 100),
  }),
  defineKey({
    key: "serviceImage",
    type: "string",
    default: "",
    description:
      "Prebuilt image to run, pinned by a tag other than latest or by @sha256 digest. Empty builds app/ and pushes it to the stack's ECR repository.",
    schema: z
      .string({ error: "expected an image reference or an empty string" })
      .superRefine((value, ctx) => (value === "" ? undefined : refined(imageReferenceProblem)(value, ctx))),
  }),
  defineKey({
    key: "serviceArchitecture",
    type: "string",
    default: "arm64",
    description: `CPU architecture of the tasks and of the image build: ${ARCHITECTURES.join(", ")}.`,
    schema: oneOf(ARCHITECTURES),
  }),
  defineKey({
    key: "serviceLogRetentionDays",
    type: "integer",
    default: 14,
    description: "Days the service's container logs are kept; one of CloudWatch Logs' retention values.",
    schema: logRetentionDays(),
  }),
  defineKey({
    key: "serviceRequestsPerTarget",
    type: "integer",
    default: 0,
    description: "Load balancer requests per task per minute to scale on, besides CPU; 0 turns request scaling off.",
    schema: integer(0, 1000000, "an integer from 0 (off) to 1000000"),
  }),
  defineKey({
    key: "certificateArn",
    type: "string",
    description: "ACM certificate of the load balancer's HTTPS listener, in the stack's region.",
    schema: z.string({ error: "expected an ACM certificate ARN" }),
  }),
  defineKey({
    key: "corsAllowedOrigins",
    type: "array",
    items: "string",
    default: [],
    description: "Origins (https://host, no path) the CDN allows cross-origin requests from.",
    schema: z.array(z.string({ error: "expected an https origin" }).superRefine(refined(corsOriginProblem)), {
      error: "expected a list of https origins",
    }),
  }),
  defineKey({
    key: "cdnCertificateArn",
    type: "string",
    default: "",
    description:
      "ACM certificate (in us-east-1) for the CDN's aliases. Empty uses the *.cloudfront.net certificate, which cannot enforce TLS 1.2.",
    schema: z.string({ error: "expected an ACM certificate ARN or an empty string" }),
  }),
  defineKey({
    key: "cdnAliases",
    type: "array",
    items: "string",
    default: [],
    description: "Domain names the CDN answers to; they need cdnCertificateArn.",
    schema: z.array(domainName, { error: "expected a list of domain names" }),
  }),
  defineKey({
    key: "frontendRepository",
    type: "string",
    default: "",
    description: "GitHub repository (owner/repo) whose workflow deploys the frontend; empty creates no deploy role.",
    schema: z
      .string({ error: "expected owner/repo or an empty string" })
      .superRefine((value, ctx) => (value === "" ? undefined : refined(githubRepositoryProblem)(value, ctx))),
  }),
  defineKey({
    key: "frontendBranch",
    type: "string",
    default: "main",
    description: "Branch of frontendRepository allowed to deploy; used only when frontendEnvironment is empty.",
    schema: z.string({ error: "expected a branch name" }).superRefine(refined(branchProblem)),
  }),
  defineKey({
    key: "frontendEnvironment",
    type: "string",
    default: "",
    description:
      "GitHub environment of frontendRepository whose jobs may deploy (OIDC subject repo:<repo>:environment:<name>); empty trusts frontendBranch. Required in prod: every stack deploying from the same branch would share a branch subject.",
    schema: z
      .string({ error: "expected a GitHub environment name or an empty string" })
      .superRefine((value, ctx) => (value === "" ? undefined : refined(environmentProblem)(value, ctx))),
  }),
  defineKey({
    key: "githubOidcProviderArn",
    type: "string",
    default: "",
    description:
      "ARN of the account's GitHub Actions OIDC provider, created once per account outside every stack (runbooks/account-bootstrap.md); empty looks it up by its URL.",
    schema: z
      .string({ error: "expected an IAM OIDC provider ARN or an empty string" })
      .regex(/^$|^arn:aws[a-z-]*:iam::\d{12}:oidc-provider\/token\.actions\.githubusercontent\.com$/, {
        error: "expected arn:aws:iam::<12-digit account>:oidc-provider/token.actions.githubusercontent.com, or empty",
      }),
  }),
  defineKey({
    key: "wafRateLimitPerIp",
    type: "integer",
    default: 2000,
    description: `Requests one client IP may send in ${WAF_RATE_WINDOW_SECONDS / 60} minutes before the load balancer's WAF blocks it (rate-based rule, ${MIN_WAF_RATE_LIMIT}-${MAX_WAF_RATE_LIMIT}).`,
    schema: integer(MIN_WAF_RATE_LIMIT, MAX_WAF_RATE_LIMIT),
  }),
  defineKey({
    key: "wafRateLimitPerToken",
    type: "integer",
    default: 1000,
    description: `Requests one Authorization header (one bearer token, so one tenant's client) may send in ${WAF_RATE_WINDOW_SECONDS / 60} minutes before the WAF blocks it; 0 turns the per-token limit off.`,
    schema: integer(
      0,
      MAX_WAF_RATE_LIMIT,
      `0 (off) or an integer from ${MIN_WAF_RATE_LIMIT} to ${MAX_WAF_RATE_LIMIT}`,
    ).refine((n) => n === 0 || n >= MIN_WAF_RATE_LIMIT, {
      error: `expected 0 (off) or an integer from ${MIN_WAF_RATE_LIMIT} to ${MAX_WAF_RATE_LIMIT}`,
    }),
  }),
  defineKey({
    key: "authIssuer",
    type: "string",
    default: "",
    description:
      "Issuer (the `iss` claim) of the tokens the service accepts. Empty means the stack's own issuer `urn:<namePrefix>:auth`, whose tokens are signed with the stack's key in Secrets Manager; required with authJwksUrl or authJwks.",
    schema: tokenString("an issuer such as https://login.example.com/ or an empty string"),
  }),
  defineKey({
    key: "authAudience",
    type: "string",
    default: "",
    description:
      "Audience (the `aud` claim) the service's tokens must name. Empty means `urn:<namePrefix>:api`; required with authJwksUrl or authJwks.",
    schema: tokenString("an audience such as https://api.example.com or an empty string"),
  }),
  defineKey({
    key: "authTenantClaim",
    type: "string",
    default: "tenant_id",
    description:
      "Claim of the verified token that holds the tenant id (e.g. a namespaced claim https://example.com/tenant).",
    schema: z
      .string({ error: "expected a claim name" })
      // The service's own rule for AUTH_TENANT_CLAIM (app/src/config.ts), so a value the config accepts starts.
      .regex(/^[A-Za-z0-9_:./-]{1,100}$/, {
        error: "expected a claim name: 1-100 letters, digits or _ : . / -",
      }),
  }),
  defineKey({
    key: "authJwksUrl",
    type: "string",
    default: "",
    description:
      "JWKS URL of a real identity provider, fetched by the tasks at run time. Needs internet egress: refused where saas:interfaceEndpoints is true (prod); use authJwks there. Empty: no URL.",
    schema: z
      .string({ error: "expected an https URL or an empty string" })
      .superRefine((value, ctx) => (value === "" ? undefined : refined(jwksUrlProblem)(value, ctx))),
  }),
  defineKey({
    key: "authJwks",
    type: "string",
    default: "",
    description:
      "The identity provider's public keys as JWKS JSON text (an object with a keys array of public JWKs), rendered into the task's environment at deploy time: works without egress; redeploy when the provider publishes a new key. Empty: none.",
    // Checked in authProblems, whose messages never echo the value: it could hold a private key by mistake.
    schema: z.string({ error: "expected JWKS JSON text or an empty string" }),
  }),
  defineKey({
    key: "authSigningSecretVersion",
    type: "integer",
    default: 1,
    description:
      "Generation of the stack's own token signing key (used when neither authJwksUrl nor authJwks is set): raise it by one to have the next `pulumi up` write a new random key (runbooks/rate-limits-and-signing-key.md).",
    schema: integer(1, 1000000),
  }),
] as const;

export const serviceShape = shapeOf(SERVICE_KEYS);

export interface ServiceConfig {
  readonly port: number;
  readonly cpu: number;
  readonly memory: number;
  readonly desiredCount: number;
  readonly minCount: number;
  readonly maxCount: number;
  /** Prebuilt image; undefined builds app/. */
  readonly image?: string;
  readonly architecture: Architecture;
  readonly logRetentionDays: number;
  /** Requests per task per minute to scale on; 0 is off. */
  readonly requestsPerTarget: number;
  readonly certificateArn: string;
  /** The WAF web ACL's rate-based rules on the load balancer. */
  readonly waf: WafRateLimits;
  /** How the service verifies its callers' tokens. */
  readonly auth: AuthConfig;
  /** The CDN for the frontend's static assets. */
  readonly cdn: CdnConfig;
}

export interface AuthConfig {
  /** The tokens' issuer; undefined is the stack's own (stackTokenIssuer). */
  readonly issuer?: string;
  /** The tokens' audience; undefined is the stack's own (stackTokenAudience). */
  readonly audience?: string;
  readonly tenantClaim: string;
  /** Where the verification keys come from: an IdP's JWKS URL or inline JWKS, else the stack's own HS256 key. */
  readonly keys: TokenKeySource;
}

export interface CdnConfig {
  readonly corsAllowedOrigins: readonly string[];
  /** ACM certificate in us-east-1; undefined uses the CloudFront default certificate. */
  readonly certificateArn?: string;
  readonly aliases: readonly string[];
  /** `owner/repo`; undefined creates no deploy role. */
  readonly frontendRepository?: string;
  readonly frontendBranch: string;
  /** GitHub environment whose jobs may deploy; undefined trusts `frontendBranch`. */
  readonly frontendEnvironment?: string;
  /** The account's GitHub OIDC provider; undefined looks it up by URL (never created by a stack). */
  readonly githubOidcProviderArn?: string;
}

/** Rules between service keys (and keys of other areas), run on the coerced values. */
export function authProblems(values: RawValues): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  const saas = values.saas ?? {};
  const url = typeof saas.authJwksUrl === "string" ? saas.authJwksUrl : "";
  const jwks = typeof saas.authJwks === "string" ? saas.authJwks : "";
  const jwksText = jwks === "" ? undefined : jwksProblem(jwks);
  if (jwksText) {
    problems.push({ path: ["saas", "authJwks"], message: `${jwksText} (value not shown)`, verbatim: true });
  }
  if (url !== "" && jwks !== "") {
    problems.push({
      path: ["saas", "authJwks"],
      message:
        "expected either saas:authJwksUrl or saas:authJwks, not both: the service verifies tokens against one key source; remove one",
      verbatim: true,
    });
  }
  // Only a valid URL is checked against the network: an invalid one is already reported on its own key.
  if (url !== "" && jwksUrlProblem(url) === undefined && saas.interfaceEndpoints === true) {
    problems.push({
      path: ["saas", "authJwksUrl"],
      message:
        `the service's tasks have no internet egress in this stack (saas:interfaceEndpoints is true: their HTTPS egress reaches only the interface endpoints and S3), ` +
        `so they could never fetch ${JSON.stringify(url)}; set saas:authJwks to the identity provider's JWKS (its public keys, rendered at deploy time) instead`,
      verbatim: true,
    });
  }
  if (url !== "" || jwks !== "") {
    for (const [key, what] of [
      ["authIssuer", "issuer (the iss claim of its tokens, e.g. https://login.example.com/)"],
      ["authAudience", "audience (the aud claim its tokens carry for this API, e.g. https://api.example.com)"],
    ] as const) {
      if (saas[key] === "") {
        problems.push({
          path: ["saas", key],
          message: `expected the identity provider's ${what} when saas:authJwksUrl or saas:authJwks is set: the stack's own default would never match its tokens`,
        });
      }
    }
  }
  return problems;
}

export function serviceProblems(values: RawValues): ConfigProblem[] {
  const problems: ConfigProblem[] = [...authProblems(values)];
  const saas = values.saas ?? {};
  const region = values.aws?.region;
  const { serviceCpu: cpu, serviceMemory: memory } = saas;
  if (isIntegerIn(cpu, 256, 16384) && isIntegerIn(memory, 512, 122880)) {
    const problem = fargateSizeProblem(cpu, memory);
    if (problem) {
      problems.push({
        path: ["saas", problem.key === "cpu" ? "serviceCpu" : "serviceMemory"],
        message: problem.message,
      });
    }
  }
  const { serviceMinCount: min, serviceMaxCount: max, serviceDesiredCount: desired } = saas;
  const validMin = isIntegerIn(min, 0, 100);
  const validMax = isIntegerIn(max, 1, 100);
  if (validMin && validMax && min > max) {
    problems.push({
      path: ["saas", "serviceMinCount"],
      message: `expected at most serviceMaxCount (${max}): autoscaling cannot keep more tasks than it may run`,
    });
  } else if (validMin && validMax && isIntegerIn(desired, 0, 100) && (desired < min || desired > max)) {
    problems.push({
      path: ["saas", "serviceDesiredCount"],
      message: `expected a count from serviceMinCount (${min}) to serviceMaxCount (${max})`,
    });
  }
  // Against a known region only: an unknown one is reported on aws:region, not once more here.
  if (typeof region === "string" && isKnownRegion(region) && typeof saas.certificateArn === "string") {
    const problem = acmCertificateArnProblem(saas.certificateArn, region);
    if (problem) {
      problems.push({ path: ["saas", "certificateArn"], message: problem });
    }
  }
  if (typeof saas.cdnCertificateArn === "string" && saas.cdnCertificateArn !== "") {
    // CloudFront reads viewer certificates from us-east-1 only, whatever the stack's region.
    const problem = acmCertificateArnProblem(saas.cdnCertificateArn, "us-east-1");
    if (problem) {
      problems.push({ path: ["saas", "cdnCertificateArn"], message: `${problem}; CloudFront uses us-east-1 only` });
    }
  }
  const aliases = Array.isArray(saas.cdnAliases) ? saas.cdnAliases : undefined;
  if (aliases && aliases.length > 0 && saas.cdnCertificateArn === "") {
    problems.push({
      path: ["saas", "cdnAliases"],
      message:
        "expected no aliases without cdnCertificateArn: CloudFront serves an alias only with a certificate for it",
    });
  } else if (aliases && aliases.length === 0 && typeof saas.cdnCertificateArn === "string" && saas.cdnCertificateArn) {
    problems.push({
      path: ["saas", "cdnCertificateArn"],
      message: "expected cdnAliases to name the domains the certificate is for; without aliases it is never served",
    });
  }
  if (
    values.saas?.environment === "prod" &&
    typeof saas.frontendRepository === "string" &&
    saas.frontendRepository !== "" &&
    saas.frontendEnvironment === ""
  ) {
    problems.push({
      path: ["saas", "frontendEnvironment"],
      message:
        "expected a GitHub environment in prod when saas:frontendRepository is set: a branch subject is shared by every stack that deploys from that branch, so the dev deploy job could take the prod role",
    });
  }
  return problems;
}

export function toServiceConfig(saas: z.output<z.ZodObject<typeof serviceShape>>): ServiceConfig {
  return {
    port: saas.servicePort,
    cpu: saas.serviceCpu,
    memory: saas.serviceMemory,
    desiredCount: saas.serviceDesiredCount,
    minCount: saas.serviceMinCount,
    maxCount: saas.serviceMaxCount,
    image: saas.serviceImage || undefined,
    architecture: saas.serviceArchitecture,
    logRetentionDays: saas.serviceLogRetentionDays,
    requestsPerTarget: saas.serviceRequestsPerTarget,
    certificateArn: saas.certificateArn,
    waf: { perIp: saas.wafRateLimitPerIp, perToken: saas.wafRateLimitPerToken },
    auth: {
      issuer: saas.authIssuer || undefined,
      audience: saas.authAudience || undefined,
      tenantClaim: saas.authTenantClaim,
      keys: saas.authJwksUrl
        ? { kind: "jwksUrl", url: saas.authJwksUrl }
        : saas.authJwks
          ? { kind: "jwks", jwks: saas.authJwks }
          : { kind: "signingSecret", version: saas.authSigningSecretVersion },
    },
    cdn: {
      corsAllowedOrigins: saas.corsAllowedOrigins,
      certificateArn: saas.cdnCertificateArn || undefined,
      aliases: saas.cdnAliases,
      frontendRepository: saas.frontendRepository || undefined,
      frontendBranch: saas.frontendBranch,
      frontendEnvironment: saas.frontendEnvironment || undefined,
      githubOidcProviderArn: saas.githubOidcProviderArn || undefined,
    },
  };
}
