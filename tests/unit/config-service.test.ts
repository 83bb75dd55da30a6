import { parseConfig } from "../../stacks/config";
import { DEV, PROD, configProblems } from "../support/config";
import { LOG_RETENTION_DAYS } from "../../components/shared/logs";

/** The problems parseConfig reports for the dev stack's values with `change` applied. */
function problems(change: Record<string, string | undefined>, base = DEV, stack = "dev"): readonly string[] {
  return configProblems({ ...base, ...change }, stack);
}

const CERT = "arn:aws:acm:us-east-1:123456789012:certificate/0f1e2d3c-4b5a-4978-8a6b-5c4d3e2f1a0b";

describe("service configuration of the stack files", () => {
  it("dev: 256/512, one or two tasks, two weeks of logs, a built arm64 image", () => {
    const service = parseConfig(DEV, { stack: "dev" }).service;
    expect(service).toMatchObject({
      cpu: 256,
      memory: 512,
      desiredCount: 1,
      minCount: 1,
      maxCount: 2,
      logRetentionDays: 14,
      image: undefined,
      architecture: "arm64",
      requestsPerTarget: 0,
      certificateArn: CERT,
    });
    expect(service.cdn).toEqual({
      corsAllowedOrigins: ["https://dev.app.example.com"],
      certificateArn: "arn:aws:acm:us-east-1:123456789012:certificate/7c6b5a49-3827-4165-9e4d-3c2b1a0f9e8d",
      aliases: ["static.dev.example.com"],
      frontendRepository: "example-org/saas-frontend",
      frontendBranch: "main",
      frontendEnvironment: "dev",
      githubOidcProviderArn: undefined,
    });
  });

  it("prod: 512/1024, two to ten tasks, a year of logs, request scaling, the account's OIDC provider", () => {
    const service = parseConfig(PROD, { stack: "prod" }).service;
    expect(service).toMatchObject({
      cpu: 512,
      memory: 1024,
      desiredCount: 2,
      minCount: 2,
      maxCount: 10,
      logRetentionDays: 365,
      requestsPerTarget: 1000,
    });
    expect(service.cdn.frontendEnvironment).toBe("production");
    expect(service.cdn.githubOidcProviderArn).toBe(
      "arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com",
    );
  });
});

describe("frontend deploy subjects", () => {
  it("requires a GitHub environment in prod, where a shared branch subject would let dev take the prod role", () => {
    expect(configProblems({ ...PROD, "saas:frontendEnvironment": undefined }, "prod")).toEqual([
      'saas:frontendEnvironment: expected a GitHub environment in prod when saas:frontendRepository is set: a branch subject is shared by every stack that deploys from that branch, so the dev deploy job could take the prod role, got ""',
    ]);
    expect(
      configProblems({ ...PROD, "saas:frontendEnvironment": undefined, "saas:frontendRepository": undefined }, "prod"),
    ).toEqual([]);
  });

  it("gives dev and prod different subjects", () => {
    const dev = parseConfig(DEV, { stack: "dev" }).service.cdn;
    const prod = parseConfig(PROD, { stack: "prod" }).service.cdn;
    expect([dev.frontendEnvironment, prod.frontendEnvironment]).toEqual(["dev", "production"]);
  });
});

describe("service configuration errors", () => {
  it.each<[string, Record<string, string | undefined>, string[]]>([
    [
      "a memory size Fargate does not offer with the cpu",
      { "saas:serviceCpu": "256", "saas:serviceMemory": "4096" },
      ["saas:serviceMemory: expected a memory size Fargate offers with 256 CPU units: 512, 1024, 2048, got 4096"],
    ],
    [
      "a large cpu with too little memory (a range is listed by its step)",
      { "saas:serviceCpu": "4096", "saas:serviceMemory": "4096" },
      [
        "saas:serviceMemory: expected a memory size Fargate offers with 4096 CPU units: 8192 to 30720 in steps of 1024, got 4096",
      ],
    ],
    [
      "a cpu value Fargate does not offer",
      { "saas:serviceCpu": "300" },
      ["saas:serviceCpu: expected one of Fargate's CPU values 256, 512, 1024, 2048, 4096, 8192, 16384, got 300"],
    ],
    [
      "min above max",
      { "saas:serviceMinCount": "3", "saas:serviceMaxCount": "2" },
      [
        "saas:serviceMinCount: expected at most serviceMaxCount (2): autoscaling cannot keep more tasks than it may run, got 3",
      ],
    ],
    [
      "a desired count outside [min, max]",
      { "saas:serviceDesiredCount": "5" },
      ["saas:serviceDesiredCount: expected a count from serviceMinCount (1) to serviceMaxCount (2), got 5"],
    ],
    [
      "a certificate in another region",
      { "saas:certificateArn": CERT.replace("us-east-1", "eu-west-1") },
      [
        `saas:certificateArn: expected a certificate in us-east-1, where it is used (ACM certificates are regional), not in eu-west-1, got "${CERT.replace("us-east-1", "eu-west-1")}"`,
      ],
    ],
    [
      "something that is not an ACM ARN",
      { "saas:certificateArn": "my-cert" },
      [
        'saas:certificateArn: expected an ACM certificate ARN arn:aws:acm:us-east-1:<12-digit account>:certificate/<uuid>, got "my-cert"',
      ],
    ],
    [
      "no certificate at all",
      { "saas:certificateArn": undefined },
      ["saas:certificateArn: expected an ACM certificate ARN, got nothing (the key is not set)"],
    ],
    [
      "an http CORS origin",
      { "saas:corsAllowedOrigins": '["https://ok.example.com", "http://app.example.com"]' },
      [
        'saas:corsAllowedOrigins[1]: expected an https origin such as https://app.example.com (browsers send credentials over TLS only), got "http://app.example.com"',
      ],
    ],
    [
      "a CORS origin with a path",
      { "saas:corsAllowedOrigins": '["https://app.example.com/"]' },
      [
        'saas:corsAllowedOrigins[0]: expected an origin without path, query or trailing slash (did you mean https://app.example.com?), got "https://app.example.com/"',
      ],
    ],
    [
      "an image on latest",
      { "saas:serviceImage": "public.ecr.aws/example/app:latest" },
      [
        'saas:serviceImage: expected an image pinned by a release tag other than latest or by an @sha256: digest, got "public.ecr.aws/example/app:latest"',
      ],
    ],
    [
      "an image without a tag",
      { "saas:serviceImage": "123456789012.dkr.ecr.us-east-1.amazonaws.com/app" },
      [
        'saas:serviceImage: expected an image pinned by a release tag other than latest or by an @sha256: digest, got "123456789012.dkr.ecr.us-east-1.amazonaws.com/app"',
      ],
    ],
    [
      "an unknown architecture",
      { "saas:serviceArchitecture": "arm" },
      ['saas:serviceArchitecture: expected one of arm64, x86_64, got "arm"'],
    ],
    [
      "a log retention CloudWatch does not offer",
      { "saas:serviceLogRetentionDays": "10" },
      [
        `saas:serviceLogRetentionDays: expected a CloudWatch Logs retention period in days, one of ${LOG_RETENTION_DAYS.join(", ")} (never-expiring logs are not allowed), got 10`,
      ],
    ],
    [
      "a frontend repository without owner",
      { "saas:frontendRepository": "frontend" },
      [
        'saas:frontendRepository: expected a GitHub repository as owner/repo, e.g. example-org/frontend, got "frontend"',
      ],
    ],
    [
      "a wildcard branch",
      { "saas:frontendBranch": "*" },
      ['saas:frontendBranch: expected a branch name such as main (no wildcards, without refs/heads/), got "*"'],
    ],
    [
      "a wildcard environment",
      { "saas:frontendEnvironment": "prod*" },
      [
        `saas:frontendEnvironment: expected a GitHub environment name such as production (letters, digits, '.', '_' or '-'), got "prod*"`,
      ],
    ],
    [
      "a CDN certificate outside us-east-1",
      { "saas:cdnCertificateArn": CERT.replace("us-east-1", "eu-west-1") },
      [
        `saas:cdnCertificateArn: expected a certificate in us-east-1, where it is used (ACM certificates are regional), not in eu-west-1; CloudFront uses us-east-1 only, got "${CERT.replace("us-east-1", "eu-west-1")}"`,
      ],
    ],
    [
      "CDN aliases without a certificate",
      { "saas:cdnCertificateArn": "" },
      [
        'saas:cdnAliases: expected no aliases without cdnCertificateArn: CloudFront serves an alias only with a certificate for it, got ["static.dev.example.com"]',
      ],
    ],
  ])("rejects %s", (_what, change, expected) => {
    expect(problems(change)).toEqual(expected);
  });

  it("accepts a prebuilt image pinned by digest or by a release tag", () => {
    const digest = `123456789012.dkr.ecr.us-east-1.amazonaws.com/app@sha256:${"a".repeat(64)}`;
    expect(problems({ "saas:serviceImage": digest })).toEqual([]);
    expect(problems({ "saas:serviceImage": "ghcr.io/example/app:1.4.2" })).toEqual([]);
    expect(parseConfig({ ...DEV, "saas:serviceImage": digest }, { stack: "dev" }).service.image).toBe(digest);
  });

  it("reports min > max and a bad cpu/memory together", () => {
    expect(
      problems({
        "saas:serviceCpu": "512",
        "saas:serviceMemory": "512",
        "saas:serviceMinCount": "4",
        "saas:serviceMaxCount": "3",
      }),
    ).toEqual([
      "saas:serviceMemory: expected a memory size Fargate offers with 512 CPU units: 1024, 2048, 3072, 4096, got 512",
      "saas:serviceMinCount: expected at most serviceMaxCount (3): autoscaling cannot keep more tasks than it may run, got 4",
    ]);
  });
});

describe("token verification and WAF configuration", () => {
  const IDP = { "saas:authIssuer": "https://login.example.com/", "saas:authAudience": "https://api.example.com" };
  const URL = "https://login.example.com/.well-known/jwks.json";
  const JWKS = '{"keys":[{"kty":"RSA","kid":"k1","n":"abc","e":"AQAB"}]}';

  it("defaults to the stack's own key, generation 1, tenant id in tenant_id, and the default rate limits", () => {
    const service = parseConfig(DEV, { stack: "dev" }).service;
    expect(service.auth).toEqual({
      issuer: undefined,
      audience: undefined,
      tenantClaim: "tenant_id",
      keys: { kind: "signingSecret", version: 1 },
    });
    expect(service.waf).toEqual({ perIp: 2000, perToken: 1000 });
  });

  it("reads an identity provider with inline JWKS in prod", () => {
    const service = parseConfig({ ...PROD, ...IDP, "saas:authJwks": JWKS }, { stack: "prod" }).service;
    expect(service.auth).toEqual({
      issuer: "https://login.example.com/",
      audience: "https://api.example.com",
      tenantClaim: "tenant_id",
      keys: { kind: "jwks", jwks: JWKS },
    });
  });

  it.each<[string, Record<string, string>, string, string[]]>([
    [
      "a JWKS URL where the tasks have no internet egress (prod: interface endpoints only)",
      { ...IDP, "saas:authJwksUrl": URL },
      "prod",
      [
        `saas:authJwksUrl: the service's tasks have no internet egress in this stack (saas:interfaceEndpoints is true: their HTTPS egress reaches only the interface endpoints and S3), so they could never fetch "${URL}"; set saas:authJwks to the identity provider's JWKS (its public keys, rendered at deploy time) instead`,
      ],
    ],
    [
      "both a JWKS URL and inline JWKS",
      { ...IDP, "saas:authJwksUrl": URL, "saas:authJwks": JWKS },
      "dev",
      [
        "saas:authJwks: expected either saas:authJwksUrl or saas:authJwks, not both: the service verifies tokens against one key source; remove one",
      ],
    ],
    [
      "an identity provider without issuer and audience",
      { "saas:authJwks": JWKS },
      "dev",
      [
        `saas:authIssuer: expected the identity provider's issuer (the iss claim of its tokens, e.g. https://login.example.com/) when saas:authJwksUrl or saas:authJwks is set: the stack's own default would never match its tokens, got ""`,
        `saas:authAudience: expected the identity provider's audience (the aud claim its tokens carry for this API, e.g. https://api.example.com) when saas:authJwksUrl or saas:authJwks is set: the stack's own default would never match its tokens, got ""`,
      ],
    ],
    [
      "a JWKS URL over plain HTTP",
      { ...IDP, "saas:authJwksUrl": "http://login.example.com/jwks" },
      "dev",
      [
        'saas:authJwksUrl: expected an https URL: keys fetched over plain HTTP could be swapped on the way, got "http://login.example.com/jwks"',
      ],
    ],
    [
      "inline JWKS holding a private key",
      { ...IDP, "saas:authJwks": '{"keys":[{"kty":"RSA","kid":"k1","n":"abc","e":"AQAB","d":"secret"}]}' },
      "dev",
      [
        `saas:authJwks: expected public keys only: keys[0] has the private member "d"; publish the provider's public JWKS, never its private key (value not shown)`,
      ],
    ],
    [
      "an issuer with a space",
      { "saas:authIssuer": "my issuer" },
      "dev",
      ['saas:authIssuer: expected an issuer such as https://login.example.com/ or an empty string, got "my issuer"'],
    ],
    [
      "a tenant claim with a space",
      { "saas:authTenantClaim": "tenant id" },
      "dev",
      ['saas:authTenantClaim: expected a claim name: 1-100 letters, digits or _ : . / -, got "tenant id"'],
    ],
    [
      "signing key generation 0",
      { "saas:authSigningSecretVersion": "0" },
      "dev",
      ["saas:authSigningSecretVersion: expected an integer from 1 to 1000000, got 0"],
    ],
    [
      "a per-IP limit of 9 (AWS WAF's minimum is 10)",
      { "saas:wafRateLimitPerIp": "9" },
      "dev",
      ["saas:wafRateLimitPerIp: expected an integer from 10 to 2000000000, got 9"],
    ],
    [
      "a per-token limit of 9",
      { "saas:wafRateLimitPerToken": "9" },
      "dev",
      ["saas:wafRateLimitPerToken: expected 0 (off) or an integer from 10 to 2000000000, got 9"],
    ],
  ])("rejects %s", (_what, change, stack, expected) => {
    expect(problems(change, stack === "prod" ? PROD : DEV, stack)).toEqual(expected);
  });

  it("accepts the first values inside every bound", () => {
    expect(problems({ "saas:wafRateLimitPerIp": "10", "saas:wafRateLimitPerToken": "0" })).toEqual([]);
    expect(problems({ "saas:wafRateLimitPerToken": "10", "saas:authSigningSecretVersion": "1000000" })).toEqual([]);
    expect(problems({ ...IDP, "saas:authJwksUrl": URL })).toEqual([]);
  });
});
