import { messagesOf, resource, urnOf, violationsOf } from "./helpers";

describe("encryption-rds-storage", () => {
  const P = "encryption-rds-storage";
  it("passes encrypted instances and clusters, skips Aurora members and replicas", () => {
    expect(
      messagesOf(P, [
        resource("aws:rds/instance:Instance", { storageEncrypted: true }),
        resource("aws:rds/cluster:Cluster", { storageEncrypted: true }, { name: "c" }),
      ]),
    ).toEqual([]);
    expect(messagesOf(P, resource("aws:rds/instance:Instance", { engine: "aurora-postgresql" }))).toEqual([]);
    expect(messagesOf(P, resource("aws:rds/instance:Instance", { replicateSourceDb: "db-1" }))).toEqual([]);
  });
  it.each(["aws:rds/instance:Instance", "aws:rds/cluster:Cluster"])("flags %s without storageEncrypted", (type) => {
    expect(messagesOf(P, resource(type, { storageEncrypted: false }))).toEqual([
      "storageEncrypted is not true; set storageEncrypted: true (and kmsKeyId to the data key).",
    ]);
  });
});

describe("encryption-ebs-volumes", () => {
  const P = "encryption-ebs-volumes";
  it("passes encrypted volumes, instances and launch templates", () => {
    expect(messagesOf(P, resource("aws:ebs/volume:Volume", { availabilityZone: "a", encrypted: true }))).toEqual([]);
    expect(
      messagesOf(
        P,
        resource("aws:ec2/instance:Instance", {
          rootBlockDevice: { encrypted: true },
          ebsBlockDevices: [{ deviceName: "/dev/sdf", encrypted: true }],
        }),
      ),
    ).toEqual([]);
    expect(
      messagesOf(
        P,
        resource("aws:ec2/launchTemplate:LaunchTemplate", {
          blockDeviceMappings: [{ deviceName: "/dev/xvda", ebs: { encrypted: "true" } }],
        }),
      ),
    ).toEqual([]);
  });
  it("flags each unencrypted form", () => {
    expect(messagesOf(P, resource("aws:ebs/volume:Volume", { availabilityZone: "a" }))).toEqual([
      "encrypted is not true; set encrypted: true.",
    ]);
    expect(
      messagesOf(P, resource("aws:ec2/instance:Instance", { ebsBlockDevices: [{ deviceName: "/dev/sdf" }] })),
    ).toEqual([
      "rootBlockDevice.encrypted is not true; set encrypted: true on rootBlockDevice.",
      "ebsBlockDevices[0].encrypted is not true; set encrypted: true on that device.",
    ]);
    expect(
      messagesOf(
        P,
        resource("aws:ec2/launchTemplate:LaunchTemplate", {
          blockDeviceMappings: [{ deviceName: "/dev/xvda", ebs: { encrypted: "false" } }],
        }),
      ),
    ).toEqual(['blockDeviceMappings[0].ebs.encrypted is not true; set encrypted: "true" on that mapping.']);
  });
});

describe.each([
  [
    "encryption-efs",
    "aws:efs/fileSystem:FileSystem",
    { encrypted: true },
    {},
    ["encrypted is not true; set encrypted: true (and kmsKeyId to the data key)."],
  ],
  [
    "encryption-sns-topics",
    "aws:sns/topic:Topic",
    { kmsMasterKeyId: "alias/aws/sns" },
    {},
    ["kmsMasterKeyId is not set; set it to a KMS key (or alias/aws/sns)."],
  ],
  [
    "encryption-log-groups",
    "aws:cloudwatch/logGroup:LogGroup",
    { kmsKeyId: "arn:k", retentionInDays: 30 },
    { retentionInDays: 30 },
    ["kmsKeyId is not set; set it to the logs KMS key."],
  ],
  [
    "encryption-secrets-cmk",
    "aws:secretsmanager/secret:Secret",
    { kmsKeyId: "arn:k" },
    {},
    ["kmsKeyId is not set; set it to a customer-managed KMS key."],
  ],
  [
    "encryption-kms-key-rotation",
    "aws:kms/key:Key",
    { enableKeyRotation: true },
    { enableKeyRotation: false },
    ["enableKeyRotation is not true; set enableKeyRotation: true."],
  ],
])("%s", (policy, type, compliant, mutation, expected) => {
  it("passes the compliant fixture", () => expect(messagesOf(policy, resource(type, compliant))).toEqual([]));
  it("flags the mutation", () => expect(messagesOf(policy, resource(type, mutation))).toEqual(expected));
});

describe("encryption-elasticache", () => {
  const P = "encryption-elasticache";
  const T = "aws:elasticache/replicationGroup:ReplicationGroup";
  it("passes both settings, flags each", () => {
    expect(
      messagesOf(P, resource(T, { description: "d", atRestEncryptionEnabled: true, transitEncryptionEnabled: true })),
    ).toEqual([]);
    expect(messagesOf(P, resource(T, { description: "d", transitEncryptionEnabled: true }))).toEqual([
      "atRestEncryptionEnabled is not true; set atRestEncryptionEnabled: true.",
    ]);
    expect(messagesOf(P, resource(T, { description: "d", atRestEncryptionEnabled: true }))).toEqual([
      "transitEncryptionEnabled is not true; set transitEncryptionEnabled: true.",
    ]);
  });
});

describe("encryption-sqs-queues", () => {
  const P = "encryption-sqs-queues";
  it("passes SSE-KMS and SSE-SQS, flags neither", () => {
    expect(messagesOf(P, resource("aws:sqs/queue:Queue", { kmsMasterKeyId: "alias/k" }))).toEqual([]);
    expect(messagesOf(P, resource("aws:sqs/queue:Queue", { sqsManagedSseEnabled: true }))).toEqual([]);
    expect(messagesOf(P, resource("aws:sqs/queue:Queue", {}))).toEqual([
      "Neither kmsMasterKeyId nor sqsManagedSseEnabled is set; set kmsMasterKeyId or sqsManagedSseEnabled: true.",
    ]);
  });
});

describe("encryption-log-groups config and levels", () => {
  it("honours requireKms: false", () => {
    expect(
      messagesOf("encryption-log-groups", resource("aws:cloudwatch/logGroup:LogGroup", { retentionInDays: 7 }), "dev", {
        "encryption-log-groups": { requireKms: false },
      }),
    ).toEqual([]);
  });
  it("reports secrets CMK as advisory", () => {
    const [v] = violationsOf("encryption-secrets-cmk", [resource("aws:secretsmanager/secret:Secret", {})]);
    expect(v.level).toBe("advisory");
  });
  it("skips asymmetric KMS keys", () => {
    expect(
      messagesOf(
        "encryption-kms-key-rotation",
        resource("aws:kms/key:Key", { customerMasterKeySpec: "RSA_2048", keyUsage: "SIGN_VERIFY" }),
      ),
    ).toEqual([]);
  });
});

describe("encryption-s3-buckets (stack)", () => {
  const P = "encryption-s3-buckets";
  const bucket = resource("aws:s3/bucket:Bucket", { bucket: "tenant-data" }, { name: "data" });
  const sse = (algorithm: string, ref: Partial<{ dependsOnBucket: boolean }> = { dependsOnBucket: true }) =>
    resource(
      "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
      {
        bucket: "tenant-data",
        rules: [{ applyServerSideEncryptionByDefault: { sseAlgorithm: algorithm, kmsMasterKeyId: "arn:k" } }],
      },
      { name: "data-sse", dependencies: ref.dependsOnBucket ? [bucket.urn] : [] },
    );
  it("passes SSE-KMS via a separate resource (linked by dependency or by name) and inline", () => {
    expect(messagesOf(P, [bucket, sse("aws:kms")])).toEqual([]);
    expect(messagesOf(P, [bucket, sse("aws:kms", { dependsOnBucket: false })])).toEqual([]);
    const v2 = resource("aws:s3/bucketServerSideEncryptionConfigurationV2:BucketServerSideEncryptionConfigurationV2", {
      bucket: "tenant-data",
      rules: [{ applyServerSideEncryptionByDefault: { sseAlgorithm: "aws:kms" } }],
    });
    expect(messagesOf(P, [bucket, v2])).toEqual([]);
    const inline = resource("aws:s3/bucketV2:BucketV2", {
      serverSideEncryptionConfiguration: { rule: { applyServerSideEncryptionByDefault: { sseAlgorithm: "aws:kms" } } },
    });
    expect(messagesOf(P, [inline])).toEqual([]);
  });
  it("flags a bucket without encryption and one with SSE-S3", () => {
    expect(violationsFor([bucket])).toEqual([
      [
        bucket.urn,
        'Bucket has no default encryption; add a BucketServerSideEncryptionConfiguration with sseAlgorithm "aws:kms".',
      ],
    ]);
    expect(messagesOf(P, [bucket, sse("AES256")])).toEqual([
      'Bucket default encryption is AES256; use sseAlgorithm "aws:kms" with the data key.',
    ]);
  });
  it("accepts SSE-S3 for an ALB access-log bucket and flags SSE-KMS there", () => {
    const alb = (type: string) =>
      resource(
        type,
        { loadBalancerType: "application", accessLogs: { bucket: "tenant-data", enabled: true } },
        { name: "alb" },
      );
    expect(messagesOf(P, [bucket, sse("AES256"), alb("aws:lb/loadBalancer:LoadBalancer")])).toEqual([]);
    expect(messagesOf(P, [bucket, sse("AES256"), alb("aws:alb/loadBalancer:LoadBalancer")])).toEqual([]);
    expect(messagesOf(P, [bucket, sse("aws:kms"), alb("aws:lb/loadBalancer:LoadBalancer")])).toEqual([
      'This bucket receives load balancer logs but does not use SSE-S3; set sseAlgorithm "AES256" (log delivery does not support SSE-KMS).',
    ]);
  });
  function violationsFor(resources: ReturnType<typeof resource>[]) {
    return violationsOf(P, resources).map((v) => [v.urn, v.message]);
  }
  it("attributes violations to the bucket URN", () => expect(bucket.urn).toBe(urnOf("aws:s3/bucket:Bucket", "data")));
});

describe("encryption-no-plaintext-container-secrets", () => {
  const P = "encryption-no-plaintext-container-secrets";
  const td = (environment: unknown[]) =>
    resource("aws:ecs/taskDefinition:TaskDefinition", {
      family: "app",
      containerDefinitions: JSON.stringify([{ name: "app", environment }]),
    });
  it("passes ordinary variables and references to secrets", () => {
    const env = ["PORT", "LOG_LEVEL", "DB_SECRET_ARN", "TOKEN_URL", "KMS_KEY_ID"].map((name) => ({ name, value: "x" }));
    expect(messagesOf(P, td(env))).toEqual([]);
  });
  it.each(["DB_PASSWORD", "JWT_SECRET", "GITHUB_TOKEN", "STRIPE_API_KEY", "TLS_PRIVATE_KEY"])("flags %s", (name) => {
    expect(messagesOf(P, td([{ name, value: "x" }]))).toEqual([
      `Container "app" sets ${name} in plaintext environment; move it to secrets with valueFrom a Secrets Manager ARN.`,
    ]);
  });
});

describe.each(["aws:lb/listener:Listener", "aws:alb/listener:Listener"])("encryption-lb-listener-tls on %s", (type) => {
  const P = "encryption-lb-listener-tls";
  const forward = [{ type: "forward", targetGroupArn: "arn:tg" }];
  it("passes TLS 1.2+ HTTPS and an HTTP→HTTPS redirect", () => {
    expect(
      messagesOf(
        P,
        resource(type, {
          protocol: "HTTPS",
          port: 443,
          sslPolicy: "ELBSecurityPolicy-TLS13-1-2-2021-06",
          defaultActions: forward,
        }),
      ),
    ).toEqual([]);
    expect(
      messagesOf(
        P,
        resource(type, {
          protocol: "TLS",
          port: 443,
          sslPolicy: "ELBSecurityPolicy-TLS-1-2-2017-01",
          defaultActions: forward,
        }),
      ),
    ).toEqual([]);
    expect(
      messagesOf(
        P,
        resource(type, {
          protocol: "HTTP",
          port: 80,
          defaultActions: [{ type: "redirect", redirect: { protocol: "HTTPS", port: "443", statusCode: "HTTP_301" } }],
        }),
      ),
    ).toEqual([]);
  });
  it("flags a missing and an old ssl policy", () => {
    expect(messagesOf(P, resource(type, { protocol: "HTTPS", defaultActions: forward }))).toEqual([
      'HTTPS listener uses ssl policy (provider default); set sslPolicy to "ELBSecurityPolicy-TLS13-1-2-2021-06".',
    ]);
    expect(
      messagesOf(
        P,
        resource(type, { protocol: "HTTPS", sslPolicy: "ELBSecurityPolicy-2016-08", defaultActions: forward }),
      ),
    ).toEqual([
      'HTTPS listener uses ssl policy ELBSecurityPolicy-2016-08; set sslPolicy to "ELBSecurityPolicy-TLS13-1-2-2021-06".',
    ]);
  });
  // Elastic Load Balancing's security policies (ALB and NLB user guides, "Security policies"): these negotiate
  // TLS 1.0 or 1.1 and must be refused.
  it.each([
    "ELBSecurityPolicy-2016-08",
    "ELBSecurityPolicy-2015-05",
    "ELBSecurityPolicy-TLS-1-0-2015-04",
    "ELBSecurityPolicy-TLS-1-1-2017-01",
    "ELBSecurityPolicy-FS-2018-06",
    "ELBSecurityPolicy-FS-1-1-2019-08",
    "ELBSecurityPolicy-TLS13-1-0-2021-06",
    "ELBSecurityPolicy-TLS13-1-1-2021-06",
    "ELBSecurityPolicy-TLS13-1-0-FIPS-2023-04",
    "ELBSecurityPolicy-TLS13-1-1-FIPS-2023-04",
  ])("flags the weak policy %s", (sslPolicy) => {
    expect(messagesOf(P, resource(type, { protocol: "HTTPS", sslPolicy, defaultActions: forward }))).toEqual([
      `HTTPS listener uses ssl policy ${sslPolicy}; set sslPolicy to "ELBSecurityPolicy-TLS13-1-2-2021-06".`,
    ]);
  });
  // ... and these allow TLS 1.2 or newer only.
  it.each([
    "ELBSecurityPolicy-TLS13-1-2-2021-06",
    "ELBSecurityPolicy-TLS13-1-2-Res-2021-06",
    "ELBSecurityPolicy-TLS13-1-2-Ext1-2021-06",
    "ELBSecurityPolicy-TLS13-1-2-Ext2-2021-06",
    "ELBSecurityPolicy-TLS13-1-3-2021-06",
    "ELBSecurityPolicy-TLS13-1-2-FIPS-2023-04",
    "ELBSecurityPolicy-TLS-1-2-2017-01",
    "ELBSecurityPolicy-TLS-1-2-Ext-2018-06",
    "ELBSecurityPolicy-FS-1-2-2019-08",
    "ELBSecurityPolicy-FS-1-2-Res-2020-10",
  ])("passes the TLS 1.2+ policy %s", (sslPolicy) => {
    expect(messagesOf(P, resource(type, { protocol: "HTTPS", sslPolicy, defaultActions: forward }))).toEqual([]);
  });
  it("flags HTTP that forwards (explicit and default protocol)", () => {
    const message =
      'HTTP listener serves plaintext; make its only default action a redirect with protocol "HTTPS", or use HTTPS.';
    expect(messagesOf(P, resource(type, { protocol: "HTTP", defaultActions: forward }))).toEqual([message]);
    expect(
      messagesOf(P, resource(type, { defaultActions: [{ type: "redirect", redirect: { protocol: "HTTP" } }] })),
    ).toEqual([message]);
  });
});

describe("encryption-cloudfront-tls", () => {
  const P = "encryption-cloudfront-tls";
  const T = "aws:cloudfront/distribution:Distribution";
  const ok = {
    enabled: true,
    defaultCacheBehavior: { viewerProtocolPolicy: "redirect-to-https" },
    orderedCacheBehaviors: [{ pathPattern: "/api/*", viewerProtocolPolicy: "https-only" }],
    viewerCertificate: {
      acmCertificateArn: "arn:cert",
      sslSupportMethod: "sni-only",
      minimumProtocolVersion: "TLSv1.2_2021",
    },
  };
  it("passes HTTPS-only behaviours with TLSv1.2_2019 or newer", () => {
    expect(messagesOf(P, resource(T, ok))).toEqual([]);
    expect(
      messagesOf(
        P,
        resource(T, { ...ok, viewerCertificate: { ...ok.viewerCertificate, minimumProtocolVersion: "TLSv1.2_2019" } }),
      ),
    ).toEqual([]);
  });
  // CloudFront's viewer security policies (Developer Guide, "Supported protocols and ciphers between viewers and
  // CloudFront"): everything older than TLSv1.2_2019 still accepts TLS 1.0/1.1 or weak ciphers.
  it.each(["SSLv3", "TLSv1", "TLSv1_2016", "TLSv1.1_2016", "TLSv1.2_2018"])(
    "flags the weak viewer protocol %s",
    (minimumProtocolVersion) => {
      const weak = { ...ok, viewerCertificate: { ...ok.viewerCertificate, minimumProtocolVersion } };
      expect(messagesOf(P, resource(T, weak))).toEqual([
        `viewerCertificate.minimumProtocolVersion is ${minimumProtocolVersion}; set it to "TLSv1.2_2021".`,
      ]);
    },
  );
  it.each(["TLSv1.2_2019", "TLSv1.2_2021", "TLSv1.2_2025", "TLSv1.3_2025"])(
    "passes the viewer protocol %s",
    (minimumProtocolVersion) => {
      const good = { ...ok, viewerCertificate: { ...ok.viewerCertificate, minimumProtocolVersion } };
      expect(messagesOf(P, resource(T, good))).toEqual([]);
    },
  );
  it("flags allow-all in default and ordered behaviours", () => {
    expect(
      messagesOf(
        P,
        resource(T, {
          ...ok,
          defaultCacheBehavior: { viewerProtocolPolicy: "allow-all" },
          orderedCacheBehaviors: [{ viewerProtocolPolicy: "allow-all" }],
        }),
      ),
    ).toEqual([
      'defaultCacheBehavior.viewerProtocolPolicy is "allow-all"; set it to "redirect-to-https" or "https-only".',
      'orderedCacheBehaviors[0].viewerProtocolPolicy is "allow-all"; set it to "redirect-to-https" or "https-only".',
    ]);
  });
  it("flags an old protocol version and the default certificate unless allowed", () => {
    expect(
      messagesOf(
        P,
        resource(T, {
          ...ok,
          viewerCertificate: { acmCertificateArn: "arn:cert", minimumProtocolVersion: "TLSv1.2_2018" },
        }),
      ),
    ).toEqual(['viewerCertificate.minimumProtocolVersion is TLSv1.2_2018; set it to "TLSv1.2_2021".']);
    const defaultCert = resource(T, { ...ok, viewerCertificate: { cloudfrontDefaultCertificate: true } });
    expect(messagesOf(P, defaultCert)).toEqual([
      'viewerCertificate uses the default CloudFront certificate, which allows TLSv1; use an ACM certificate with minimumProtocolVersion "TLSv1.2_2021".',
    ]);
    expect(messagesOf(P, defaultCert, "dev", { [P]: { allowDefaultCertificate: true } })).toEqual([]);
  });
});

describe("encryption-rds-force-ssl", () => {
  const P = "encryption-rds-force-ssl";
  it.each(["aws:rds/parameterGroup:ParameterGroup", "aws:rds/clusterParameterGroup:ClusterParameterGroup"])(
    "passes force_ssl 1 and flags 0 on %s",
    (type) => {
      expect(
        messagesOf(P, resource(type, { family: "postgres16", parameters: [{ name: "rds.force_ssl", value: "1" }] })),
      ).toEqual([]);
      expect(
        messagesOf(P, resource(type, { family: "postgres16", parameters: [{ name: "rds.force_ssl", value: "0" }] })),
      ).toEqual(['Parameter rds.force_ssl is "0"; set it to "1" so clients must use TLS.']);
    },
  );
  it("flags MySQL require_secure_transport OFF", () => {
    expect(
      messagesOf(
        P,
        resource("aws:rds/parameterGroup:ParameterGroup", {
          family: "mysql8.0",
          parameters: [{ name: "require_secure_transport", value: "OFF" }],
        }),
      ),
    ).toEqual(['Parameter require_secure_transport is "off"; set it to "1" so clients must use TLS.']);
  });
});
