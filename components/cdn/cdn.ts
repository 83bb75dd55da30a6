import * as pulumi from "@pulumi/pulumi";
import { Distribution } from "@pulumi/aws/cloudfront/distribution";
import { OriginAccessControl } from "@pulumi/aws/cloudfront/originAccessControl";
import { ResponseHeadersPolicy } from "@pulumi/aws/cloudfront/responseHeadersPolicy";
import { getOpenIdConnectProviderOutput } from "@pulumi/aws/iam/getOpenIdConnectProvider";
import { Role } from "@pulumi/aws/iam/role";
import { RolePolicy } from "@pulumi/aws/iam/rolePolicy";
import { ComponentArgsError, nameTags } from "../shared/naming";
import { StackContext } from "../shared/context";
import { PrivateBucket, PrivateBucketArgs } from "../shared/privateBucket";
import { acmCertificateArnProblem, corsOriginProblem } from "../container-service/fargate";
import {
  branchProblem,
  environmentProblem,
  githubBranchSubject,
  githubEnvironmentSubject,
  githubRepositoryProblem,
} from "./github";
import { assetsBucketPolicy, frontendDeployPolicy, githubTrustPolicy, logBucketPolicy } from "./policies";

/** AWS managed cache policy "Managed-CachingOptimized": long TTLs, gzip and brotli, no cookies or query strings. */
export const CACHING_OPTIMIZED_POLICY_ID = "658327ea-f89d-4fab-a63d-7e88639e58f6";
/** AWS managed origin request policy "Managed-CORS-S3Origin": forwards the Origin header CORS needs. */
export const CORS_S3_ORIGIN_REQUEST_POLICY_ID = "88a5eaf4-2fd4-4709-b370-b4c650ea3fcf";

const GITHUB_OIDC_URL = "https://token.actions.githubusercontent.com";

export interface CdnArgs {
  /**
   * The stack's name prefix and key: the assets and log buckets encrypt with the key (its policy must admit
   * CloudFront).
   */
  readonly context: StackContext;
  /**
   * Origins (`https://host[:port]`, no path) browsers may call the assets from.
   * @default [] - no CORS headers
   */
  readonly corsAllowedOrigins?: readonly string[];
  /**
   * ACM certificate in us-east-1 for `aliases`, served with TLS 1.2 (TLSv1.2_2021) or newer.
   * @default - the *.cloudfront.net certificate; CloudFront then fixes the minimum protocol at TLSv1, which
   * cannot be changed, so production should set a certificate
   */
  readonly certificateArn?: string;
  /**
   * Domain names the distribution answers to; they need `certificateArn`.
   * @default []
   */
  readonly aliases?: readonly string[];
  /**
   * GitHub repository (`owner/repo`) whose workflow may deploy the assets.
   * @default - no deploy role
   */
  readonly frontendRepository?: string;
  /**
   * Branch of `frontendRepository` allowed to deploy; used only without `frontendEnvironment`.
   * @default "main"
   */
  readonly frontendBranch?: string;
  /**
   * GitHub environment of `frontendRepository` whose jobs may deploy (`repo:<repo>:environment:<name>`). Use it
   * wherever two stacks deploy from the same branch: a branch subject is the same for both, so each stack's role
   * could be assumed by the other stack's job.
   * @default - the branch subject of `frontendBranch`
   */
  readonly frontendEnvironment?: string;
  /**
   * The account's GitHub Actions OIDC provider. It is never created here: an account holds one provider per URL,
   * CI itself signs in through it, and a stack that owned it would delete it on destroy (see
   * runbooks/account-bootstrap.md for the once-per-account creation).
   * @default - looked up by its URL with getOpenIdConnectProvider; the lookup fails when the account has none
   */
  readonly githubOidcProviderArn?: pulumi.Input<string>;
  /**
   * CloudFront price class.
   * @default "PriceClass_100" - North America and Europe edges, the cheapest
   */
  readonly priceClass?: "PriceClass_100" | "PriceClass_200" | "PriceClass_All";
  /**
   * Days CloudFront access logs are kept.
   * @default 90
   */
  readonly logExpirationDays?: number;
  /**
   * Let `pulumi destroy` empty and delete the buckets.
   * @default true - set false in prod
   */
  readonly forceDestroy?: boolean;
  /** Extra tags; cost tags come from the provider's defaultTags. */
  readonly tags?: Readonly<Record<string, string>>;
}

/** Problems with the arguments, one message each, in the order of the fields. */
export function validateCdnArgs(args: CdnArgs): string[] {
  const problems: string[] = [];
  const show = JSON.stringify;
  if (!/^[a-z][a-z0-9-]{1,19}$/.test(args.context.namePrefix)) {
    problems.push(
      `context.namePrefix: expected 2-20 lowercase letters, digits or '-', got ${show(args.context.namePrefix)}`,
    );
  }
  (args.corsAllowedOrigins ?? []).forEach((origin, i) => {
    const problem = corsOriginProblem(origin);
    if (problem) {
      problems.push(`corsAllowedOrigins[${i}]: ${problem}, got ${show(origin)}`);
    }
  });
  if (args.certificateArn !== undefined) {
    const problem = acmCertificateArnProblem(args.certificateArn, "us-east-1");
    if (problem) {
      problems.push(
        `certificateArn: ${problem} (CloudFront reads certificates from us-east-1), got ${show(args.certificateArn)}`,
      );
    }
  }
  const aliases = args.aliases ?? [];
  if (aliases.length > 0 && args.certificateArn === undefined) {
    problems.push(`aliases: expected none without certificateArn, got ${show(aliases)}`);
  }
  if (args.certificateArn !== undefined && aliases.length === 0) {
    problems.push("aliases: expected the domain names certificateArn is for, got []");
  }
  if (args.frontendRepository !== undefined) {
    const problem = githubRepositoryProblem(args.frontendRepository);
    if (problem) {
      problems.push(`frontendRepository: ${problem}, got ${show(args.frontendRepository)}`);
    }
  }
  if (args.frontendBranch !== undefined) {
    const problem = branchProblem(args.frontendBranch);
    if (problem) {
      problems.push(`frontendBranch: ${problem}, got ${show(args.frontendBranch)}`);
    }
  }
  if (args.frontendEnvironment !== undefined) {
    const problem = environmentProblem(args.frontendEnvironment);
    if (problem) {
      problems.push(`frontendEnvironment: ${problem}, got ${show(args.frontendEnvironment)}`);
    }
  }
  const expiry = args.logExpirationDays;
  if (expiry !== undefined && (!Number.isInteger(expiry) || expiry < 1)) {
    problems.push(`logExpirationDays: expected a positive integer, got ${show(expiry)}`);
  }
  return problems;
}

/**
 * Static assets of the frontend: a private, KMS-encrypted S3 bucket that only this CloudFront distribution can
 * read (Origin Access Control, SigV4 on every request), HTTPS only, CORS and security headers on every response,
 * access logs, and a role GitHub Actions of one repository branch assumes to deploy.
 *
 * Logging: CloudFront standard logs (legacy) to an S3 bucket in the stack's region. It is the simplest option
 * that works from any region (the v2 CloudWatch delivery source must live in us-east-1); it needs ACLs enabled
 * on the log bucket (BucketOwnerPreferred), because CloudFront grants its log-delivery account access by ACL
 * when logging is turned on. The bucket is still private: the public access block blocks public ACLs, and the
 * awslogsdelivery grant is not public. Delivery with SSE-KMS needs `delivery.logs.amazonaws.com` in the key
 * policy, as reading SSE-KMS objects through OAC needs `cloudfront.amazonaws.com`.
 */
export class Cdn extends pulumi.ComponentResource {
  public readonly domainName: pulumi.Output<string>;
  public readonly distributionId: pulumi.Output<string>;
  public readonly distributionArn: pulumi.Output<string>;
  public readonly bucketName: pulumi.Output<string>;
  public readonly logBucketName: pulumi.Output<string>;
  /** Undefined without `frontendRepository`. */
  public readonly deployRoleArn: pulumi.Output<string> | undefined;

  constructor(name: string, args: CdnArgs, opts?: pulumi.ComponentResourceOptions) {
    const problems = validateCdnArgs(args);
    if (problems.length > 0) {
      throw new ComponentArgsError(`Cdn "${name}"`, problems);
    }
    super("saas:cdn:Cdn", name, {}, opts);
    const corsAllowedOrigins = args.corsAllowedOrigins ?? [];
    const aliases = args.aliases ?? [];
    const frontendBranch = args.frontendBranch ?? "main";
    const priceClass = args.priceClass ?? "PriceClass_100";
    const logExpirationDays = args.logExpirationDays ?? 90;
    const forceDestroy = args.forceDestroy ?? true;
    const prefix = args.context.namePrefix;
    const tags = (suffix: string) => nameTags(`${prefix}-${suffix}`, args.tags);

    // Both buckets are private and encrypted with the stack key.
    const privateBucket = (
      role: string,
      objectOwnership: PrivateBucketArgs["objectOwnership"],
      lifecycle: { expirationDays?: number; noncurrentDays: number },
    ) =>
      new PrivateBucket(this, `${name}-${role}`, {
        objectOwnership,
        encryption: { kmsKeyArn: args.context.kmsKeyArn },
        lifecycle: { ruleId: "expire", ...lifecycle },
        forceDestroy,
        tags: tags(role),
      });

    // Old versions of assets are kept a month, so a bad deployment can be restored object by object.
    const assets = privateBucket("assets", "BucketOwnerEnforced", { noncurrentDays: 30 });
    const logs = privateBucket("logs", "BucketOwnerPreferred", {
      expirationDays: logExpirationDays,
      noncurrentDays: 1,
    });
    logs.attachPolicy(logs.bucket.arn.apply((arn) => JSON.stringify(logBucketPolicy(arn))));

    const oac = new OriginAccessControl(
      `${name}-oac`,
      {
        name: `${prefix}-assets`,
        description: `${prefix}: CloudFront reads the assets bucket`,
        originAccessControlOriginType: "s3",
        signingBehavior: "always",
        signingProtocol: "sigv4",
      },
      { parent: this },
    );

    const headers = new ResponseHeadersPolicy(
      `${name}-headers`,
      {
        name: `${prefix}-assets`,
        comment: `${prefix}: CORS and security headers of the frontend assets`,
        corsConfig:
          corsAllowedOrigins.length === 0
            ? undefined
            : {
                accessControlAllowOrigins: { items: [...corsAllowedOrigins] },
                accessControlAllowMethods: { items: ["GET", "HEAD", "OPTIONS"] },
                accessControlAllowHeaders: { items: ["*"] },
                accessControlAllowCredentials: false,
                accessControlMaxAgeSec: 600,
                originOverride: true,
              },
        securityHeadersConfig: {
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
        },
      },
      { parent: this },
    );

    const originId = "assets";
    const distribution = new Distribution(
      `${name}-distribution`,
      {
        enabled: true,
        comment: `${prefix}: frontend assets`,
        isIpv6Enabled: true,
        httpVersion: "http2and3",
        priceClass,
        defaultRootObject: "index.html",
        aliases: aliases.length > 0 ? [...aliases] : undefined,
        origins: [
          {
            originId,
            domainName: assets.bucket.bucketRegionalDomainName,
            originAccessControlId: oac.id,
          },
        ],
        defaultCacheBehavior: {
          targetOriginId: originId,
          viewerProtocolPolicy: "redirect-to-https",
          allowedMethods: ["GET", "HEAD", "OPTIONS"],
          cachedMethods: ["GET", "HEAD"],
          compress: true,
          cachePolicyId: CACHING_OPTIMIZED_POLICY_ID,
          originRequestPolicyId: CORS_S3_ORIGIN_REQUEST_POLICY_ID,
          responseHeadersPolicyId: headers.id,
        },
        restrictions: { geoRestriction: { restrictionType: "none" } },
        viewerCertificate:
          args.certificateArn === undefined
            ? // The default certificate pins the minimum protocol to TLSv1 and does not accept another value.
              { cloudfrontDefaultCertificate: true }
            : {
                acmCertificateArn: args.certificateArn,
                sslSupportMethod: "sni-only",
                minimumProtocolVersion: "TLSv1.2_2021",
              },
        loggingConfig: { bucket: logs.bucket.bucketDomainName, prefix: "cloudfront/", includeCookies: false },
        tags: tags("cdn"),
      },
      // Logging is refused until the log bucket accepts ACLs.
      { parent: this, dependsOn: [logs.ownershipControls] },
    );

    assets.attachPolicy(
      pulumi
        .all([assets.bucket.arn, distribution.arn])
        .apply(([bucketArn, distributionArn]) => JSON.stringify(assetsBucketPolicy(bucketArn, distributionArn))),
    );

    let deployRoleArn: pulumi.Output<string> | undefined;
    if (args.frontendRepository !== undefined) {
      const providerArn =
        args.githubOidcProviderArn !== undefined
          ? pulumi.output(args.githubOidcProviderArn)
          : getOpenIdConnectProviderOutput({ url: GITHUB_OIDC_URL }, { parent: this }).arn;
      const subject =
        args.frontendEnvironment !== undefined
          ? githubEnvironmentSubject(args.frontendRepository, args.frontendEnvironment)
          : githubBranchSubject(args.frontendRepository, frontendBranch);
      const role = new Role(
        `${name}-deploy`,
        {
          description: `${prefix}: GitHub Actions of ${subject} deploys the frontend assets`,
          assumeRolePolicy: providerArn.apply((arn) => JSON.stringify(githubTrustPolicy(arn, subject))),
          // A deployment is minutes long: one hour, the shortest maximum IAM allows, and the job asks for less.
          maxSessionDuration: 3600,
          tags: tags("frontend-deploy"),
        },
        { parent: this },
      );
      new RolePolicy(
        `${name}-deploy`,
        {
          role: role.id,
          policy: pulumi
            .all([assets.bucket.arn, distribution.arn, pulumi.output(args.context.kmsKeyArn)])
            .apply(([bucketArn, distributionArn, keyArn]) =>
              JSON.stringify(frontendDeployPolicy(bucketArn, distributionArn, keyArn)),
            ),
        },
        { parent: this },
      );
      deployRoleArn = role.arn;
    }

    this.domainName = distribution.domainName;
    this.distributionId = distribution.id;
    this.distributionArn = distribution.arn;
    this.bucketName = assets.bucket.bucket;
    this.logBucketName = logs.bucket.bucket;
    this.deployRoleArn = deployRoleArn;
    this.registerOutputs({
      domainName: this.domainName,
      distributionId: this.distributionId,
      distributionArn: this.distributionArn,
      bucketName: this.bucketName,
      logBucketName: this.logBucketName,
      deployRoleArn: this.deployRoleArn,
    });
  }
}
