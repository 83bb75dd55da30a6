import { Cdn, CdnArgs, validateCdnArgs } from "../../components/cdn/cdn";
import { githubBranchSubject } from "../../components/cdn/github";
import { Planned } from "../support/plan";
import { testContext } from "../support/context";
import { runStack } from "../../tools/engine/run";

const KEY = "arn:aws:kms:us-east-1:123456789012:key/11111111-2222-4333-a444-555555555555";
const CERT = "arn:aws:acm:us-east-1:123456789012:certificate/7c6b5a49-3827-4165-9e4d-3c2b1a0f9e8d";
const ARGS: CdnArgs = {
  context: testContext({ kmsKeyArn: KEY }),
  corsAllowedOrigins: ["https://app.example.com"],
  certificateArn: CERT,
  aliases: ["static.example.com"],
  frontendRepository: "example-org/frontend",
};
const T = {
  bucket: "aws:s3/bucket:Bucket",
  dist: "aws:cloudfront/distribution:Distribution",
  role: "aws:iam/role:Role",
};
const json = (value: unknown) => JSON.parse(value as string);
const plan = (args: Partial<CdnArgs> = {}) =>
  Planned.of({ stack: "dev", program: () => new Cdn("cdn", { ...ARGS, ...args }) });

describe("Cdn", () => {
  let p: Planned;
  beforeAll(async () => {
    p = await plan();
  });

  it("keeps stable child names", () => {
    expect(
      p.resources
        .filter((r) => r.custom)
        .map((r) => `${r.type}::${r.name}`)
        .sort(),
    ).toEqual(
      // Renaming a child replaces real infrastructure: this list is the contract, changed only on purpose.
      [
        "aws:cloudfront/distribution:Distribution::cdn-distribution",
        "aws:cloudfront/originAccessControl:OriginAccessControl::cdn-oac",
        "aws:cloudfront/responseHeadersPolicy:ResponseHeadersPolicy::cdn-headers",
        "aws:iam/role:Role::cdn-deploy",
        "aws:iam/rolePolicy:RolePolicy::cdn-deploy",
        "aws:s3/bucket:Bucket::cdn-assets",
        "aws:s3/bucket:Bucket::cdn-logs",
        "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration::cdn-assets",
        "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration::cdn-logs",
        "aws:s3/bucketOwnershipControls:BucketOwnershipControls::cdn-assets",
        "aws:s3/bucketOwnershipControls:BucketOwnershipControls::cdn-logs",
        "aws:s3/bucketPolicy:BucketPolicy::cdn-assets",
        "aws:s3/bucketPolicy:BucketPolicy::cdn-logs",
        "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock::cdn-assets",
        "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock::cdn-logs",
        "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration::cdn-assets",
        "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration::cdn-logs",
        "aws:s3/bucketVersioning:BucketVersioning::cdn-assets",
        "aws:s3/bucketVersioning:BucketVersioning::cdn-logs",
      ],
    );
  });

  it("keeps both buckets private, versioned and SSE-KMS encrypted with the stack key", () => {
    for (const role of ["cdn-assets", "cdn-logs"]) {
      const id = p.one(T.bucket, role).outputs.id;
      expect(p.one("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock", role).inputs).toEqual({
        bucket: id,
        blockPublicAcls: true,
        blockPublicPolicy: true,
        ignorePublicAcls: true,
        restrictPublicBuckets: true,
      });
      expect(
        p.one("aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration", role).inputs
          .rules,
      ).toEqual([
        {
          applyServerSideEncryptionByDefault: { sseAlgorithm: "aws:kms", kmsMasterKeyId: KEY },
          bucketKeyEnabled: true,
        },
      ]);
      expect(p.one("aws:s3/bucketVersioning:BucketVersioning", role).inputs.versioningConfiguration).toEqual({
        status: "Enabled",
      });
    }
    // Standard logs are delivered by ACL grant, so only the log bucket keeps ACLs enabled.
    expect(p.one("aws:s3/bucketOwnershipControls:BucketOwnershipControls", "cdn-assets").inputs.rule).toEqual({
      objectOwnership: "BucketOwnerEnforced",
    });
    expect(p.one("aws:s3/bucketOwnershipControls:BucketOwnershipControls", "cdn-logs").inputs.rule).toEqual({
      objectOwnership: "BucketOwnerPreferred",
    });
  });

  it("lets only this distribution read the assets, over TLS", () => {
    const bucketArn = `arn:aws:s3:::${p.one(T.bucket, "cdn-assets").outputs.id}`;
    const dist = p.one(T.dist, "cdn-distribution");
    expect(json(p.one("aws:s3/bucketPolicy:BucketPolicy", "cdn-assets").inputs.policy).Statement).toEqual([
      {
        Sid: "AllowCloudFrontRead",
        Effect: "Allow",
        Principal: { Service: "cloudfront.amazonaws.com" },
        Action: "s3:GetObject",
        Resource: `${bucketArn}/*`,
        Condition: { StringEquals: { "AWS:SourceArn": dist.outputs.arn } },
      },
      {
        Sid: "DenyInsecureTransport",
        Effect: "Deny",
        Principal: "*",
        Action: "s3:*",
        Resource: [bucketArn, `${bucketArn}/*`],
        Condition: { Bool: { "aws:SecureTransport": "false" } },
      },
    ]);
  });

  it("signs every origin request with OAC and serves HTTPS only with TLS 1.2_2021", () => {
    const oac = p.one("aws:cloudfront/originAccessControl:OriginAccessControl", "cdn-oac");
    expect(oac.inputs).toMatchObject({
      originAccessControlOriginType: "s3",
      signingBehavior: "always",
      signingProtocol: "sigv4",
    });
    const dist = p.one(T.dist, "cdn-distribution");
    const assets = p.one(T.bucket, "cdn-assets");
    const logs = p.one(T.bucket, "cdn-logs");
    expect(dist.inputs).toMatchObject({
      enabled: true,
      aliases: ["static.example.com"],
      origins: [
        {
          originId: "assets",
          domainName: assets.outputs.bucketRegionalDomainName,
          originAccessControlId: oac.outputs.id,
        },
      ],
      defaultCacheBehavior: {
        targetOriginId: "assets",
        viewerProtocolPolicy: "redirect-to-https",
        responseHeadersPolicyId: p.one("aws:cloudfront/responseHeadersPolicy:ResponseHeadersPolicy", "cdn-headers")
          .outputs.id,
      },
      viewerCertificate: {
        acmCertificateArn: CERT,
        sslSupportMethod: "sni-only",
        minimumProtocolVersion: "TLSv1.2_2021",
      },
      loggingConfig: { bucket: logs.outputs.bucketDomainName, prefix: "cloudfront/", includeCookies: false },
    });
  });

  it("sends CORS for the configured origins and the security headers", () => {
    const headers = p.one("aws:cloudfront/responseHeadersPolicy:ResponseHeadersPolicy", "cdn-headers");
    expect(headers.inputs.corsConfig).toMatchObject({
      accessControlAllowOrigins: { items: ["https://app.example.com"] },
      accessControlAllowMethods: { items: ["GET", "HEAD", "OPTIONS"] },
      accessControlAllowCredentials: false,
    });
    expect(headers.inputs.securityHeadersConfig).toEqual({
      strictTransportSecurity: {
        accessControlMaxAgeSec: 63072000,
        includeSubdomains: true,
        preload: false,
        override: true,
      },
      contentTypeOptions: { override: true },
      frameOptions: { frameOption: "DENY", override: true },
      referrerPolicy: { referrerPolicy: "strict-origin-when-cross-origin", override: true },
      xssProtection: { protection: true, modeBlock: true, override: true },
    });
  });

  it("never creates the account's GitHub OIDC provider: it looks it up by URL", () => {
    // An account holds one provider per URL and CI signs in through it: a stack that created it would fail with
    // EntityAlreadyExists, and destroying that stack would delete what CI and every other stack trust.
    expect(p.ofType("aws:iam/openIdConnectProvider:OpenIdConnectProvider")).toEqual([]);
    expect(
      p.run.invokes.filter((i) => i.token === "aws:iam/getOpenIdConnectProvider:getOpenIdConnectProvider"),
    ).toEqual([
      {
        token: "aws:iam/getOpenIdConnectProvider:getOpenIdConnectProvider",
        args: { url: "https://token.actions.githubusercontent.com" },
      },
    ]);
  });

  it("lets only the repository's main branch deploy, to this bucket and distribution", () => {
    const provider = {
      outputs: { arn: "arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com" },
    };
    const role = p.one(T.role, "cdn-deploy");
    expect(json(role.inputs.assumeRolePolicy).Statement).toEqual([
      {
        Effect: "Allow",
        Principal: { Federated: provider.outputs.arn },
        Action: "sts:AssumeRoleWithWebIdentity",
        Condition: {
          StringEquals: {
            "token.actions.githubusercontent.com:aud": "sts.amazonaws.com",
            "token.actions.githubusercontent.com:sub": "repo:example-org/frontend:ref:refs/heads/main",
          },
        },
      },
    ]);
    const bucketArn = `arn:aws:s3:::${p.one(T.bucket, "cdn-assets").outputs.id}`;
    const distArn = p.one(T.dist, "cdn-distribution").outputs.arn;
    expect(json(p.one("aws:iam/rolePolicy:RolePolicy", "cdn-deploy").inputs.policy).Statement).toEqual([
      { Sid: "ListAssets", Effect: "Allow", Action: "s3:ListBucket", Resource: bucketArn },
      { Sid: "WriteAssets", Effect: "Allow", Action: ["s3:DeleteObject", "s3:PutObject"], Resource: `${bucketArn}/*` },
      { Sid: "Invalidate", Effect: "Allow", Action: "cloudfront:CreateInvalidation", Resource: distArn },
      {
        Sid: "EncryptUploads",
        Effect: "Allow",
        Action: ["kms:Decrypt", "kms:GenerateDataKey"],
        Resource: KEY,
        Condition: {
          StringLike: { "kms:ViaService": "s3.*.amazonaws.com" },
          StringEquals: { "kms:EncryptionContext:aws:s3:arn": bucketArn },
        },
      },
    ]);
  });
});

describe("Cdn variants", () => {
  it("uses the default certificate without one, an existing OIDC provider, and no CORS without origins", async () => {
    const providerArn = "arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com";
    const p = await plan({
      certificateArn: undefined,
      aliases: [],
      corsAllowedOrigins: [],
      githubOidcProviderArn: providerArn,
      frontendBranch: "release",
    });
    expect(p.one(T.dist, "cdn-distribution").inputs.viewerCertificate).toEqual({ cloudfrontDefaultCertificate: true });
    expect(p.ofType("aws:iam/openIdConnectProvider:OpenIdConnectProvider")).toEqual([]);
    expect(p.run.invokes.map((i) => i.token)).not.toContain(
      "aws:iam/getOpenIdConnectProvider:getOpenIdConnectProvider",
    );
    const trust = json(p.one(T.role, "cdn-deploy").inputs.assumeRolePolicy).Statement[0];
    expect(trust.Principal).toEqual({ Federated: providerArn });
    expect(trust.Condition.StringEquals["token.actions.githubusercontent.com:sub"]).toBe(
      githubBranchSubject("example-org/frontend", "release"),
    );
    expect(p.one("aws:cloudfront/responseHeadersPolicy:ResponseHeadersPolicy", "cdn-headers").inputs.corsConfig).toBe(
      undefined,
    );
  });

  it("trusts a GitHub environment's jobs instead of a branch when given one", async () => {
    const q = await plan({ frontendEnvironment: "production" });
    const trust = json(q.one(T.role, "cdn-deploy").inputs.assumeRolePolicy).Statement[0];
    expect(trust.Condition.StringEquals).toEqual({
      "token.actions.githubusercontent.com:aud": "sts.amazonaws.com",
      "token.actions.githubusercontent.com:sub": "repo:example-org/frontend:environment:production",
    });
  });

  it("creates no deploy role without a repository", async () => {
    const p = await plan({ frontendRepository: undefined });
    expect(p.ofType(T.role)).toEqual([]);
  });

  it.each<[string, Partial<CdnArgs>, string[]]>([
    [
      "an http origin",
      { corsAllowedOrigins: ["http://app.example.com"] },
      [
        'corsAllowedOrigins[0]: expected an https origin such as https://app.example.com (browsers send credentials over TLS only), got "http://app.example.com"',
      ],
    ],
    [
      "a certificate outside us-east-1",
      { certificateArn: CERT.replace("us-east-1", "eu-west-1") },
      [
        `certificateArn: expected a certificate in us-east-1, where it is used (ACM certificates are regional), not in eu-west-1 (CloudFront reads certificates from us-east-1), got "${CERT.replace("us-east-1", "eu-west-1")}"`,
      ],
    ],
    [
      "aliases without a certificate",
      { certificateArn: undefined },
      ['aliases: expected none without certificateArn, got ["static.example.com"]'],
    ],
    [
      "a repository that is not owner/repo",
      { frontendRepository: "a/b/c" },
      ['frontendRepository: expected a GitHub repository as owner/repo, e.g. example-org/frontend, got "a/b/c"'],
    ],
    [
      "a wildcard environment",
      { frontendEnvironment: "*" },
      [
        `frontendEnvironment: expected a GitHub environment name such as production (letters, digits, '.', '_' or '-'), got "*"`,
      ],
    ],
    [
      "a wildcard branch",
      { frontendBranch: "release/*" },
      ['frontendBranch: expected a branch name such as main (no wildcards, without refs/heads/), got "release/*"'],
    ],
  ])("rejects %s and registers nothing", async (_what, change, expected) => {
    expect(validateCdnArgs({ ...ARGS, ...change })).toEqual(expected);
    const registered: string[] = [];
    await expect(
      Planned.of({
        stack: "dev",
        program: () => new Cdn("cdn", { ...ARGS, ...change }),
        onRegister: (r) => registered.push(r.type),
      }),
    ).rejects.toThrow(`Cdn "cdn": invalid arguments:\n${expected.map((e) => `  - ${e}`).join("\n")}`);
    expect(registered.filter((t) => t !== "pulumi:pulumi:Stack")).toEqual([]);
  });
});

describe("the stacks' frontend deploy roles", () => {
  it("trust different subjects in dev and prod, so the dev deploy job cannot take the prod role", async () => {
    const subjectOf = async (stack: string) => {
      const run = await runStack({ stack });
      const role = run.resources.find((r) => r.type === T.role && r.name === "cdn-deploy");
      return json(role?.inputs.assumeRolePolicy).Statement[0].Condition.StringEquals[
        "token.actions.githubusercontent.com:sub"
      ];
    };
    expect([await subjectOf("dev"), await subjectOf("prod")]).toEqual([
      "repo:example-org/saas-frontend:environment:dev",
      "repo:example-org/saas-frontend:environment:production",
    ]);
  });
});
