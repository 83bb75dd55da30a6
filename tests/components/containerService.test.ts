import * as pulumi from "@pulumi/pulumi";
import {
  ContainerService,
  ContainerServiceArgs,
  containerDefinitions,
  pullRepositoryArns,
  validateContainerServiceArgs,
} from "../../components/container-service/containerService";
import {
  acmCertificateArnProblem,
  corsOriginProblem,
  fargateMemoryValues,
  fargateSizeProblem,
  imageReferenceProblem,
  shutdownTimelineProblems,
} from "../../components/container-service/fargate";
import { elbLogDeliveryPrincipal } from "../../components/container-service/policies";
import { executionRolePolicy, secretResourceArn } from "../../components/shared/fargate";
import { Planned } from "../support/plan";
import { testContext } from "../support/context";
import { LOG_RETENTION_DAYS } from "../../components/shared/logs";

const KEY = "arn:aws:kms:us-east-1:123456789012:key/11111111-2222-4333-a444-555555555555";
const CERT = "arn:aws:acm:us-east-1:123456789012:certificate/0f1e2d3c-4b5a-4978-8a6b-5c4d3e2f1a0b";
const SECRET = "arn:aws:secretsmanager:us-east-1:123456789012:secret:saas-dev/db-app-AbCdEf";

const ARGS: ContainerServiceArgs = {
  context: testContext({ kmsKeyArn: KEY }),
  vpcId: "vpc-0123456789abcdef0",
  publicSubnetIds: ["subnet-pub1", "subnet-pub2"],
  privateSubnetIds: ["subnet-priv1", "subnet-priv2"],
  loadBalancerSecurityGroupId: "sg-lb",
  appSecurityGroupId: "sg-app",
  image: { build: { context: "app", tag: "0.1.0-abcdef012345" } },
  cpu: 256,
  memory: 512,
  port: 8080,
  desiredCount: 1,
  minCount: 1,
  maxCount: 2,
  logRetentionDays: 14,
  certificateArn: CERT,
};

const T = {
  repo: "aws:ecr/repository:Repository",
  image: "docker:index/image:Image",
  td: "aws:ecs/taskDefinition:TaskDefinition",
  service: "aws:ecs/service:Service",
  role: "aws:iam/role:Role",
  rolePolicy: "aws:iam/rolePolicy:RolePolicy",
  lb: "aws:lb/loadBalancer:LoadBalancer",
  tg: "aws:lb/targetGroup:TargetGroup",
  listener: "aws:lb/listener:Listener",
  rule: "aws:lb/listenerRule:ListenerRule",
  scaling: "aws:appautoscaling/policy:Policy",
};

const plan = (args: Partial<ContainerServiceArgs> = {}) =>
  Planned.of({ stack: "dev", program: () => new ContainerService("svc", { ...ARGS, ...args }) });

const json = (value: unknown) => JSON.parse(value as string);

describe("ContainerService with a built image (dev shape)", () => {
  let p: Planned;
  beforeAll(async () => {
    p = await plan({ enableExecuteCommand: true, secrets: { DATABASE_PASSWORD: `${SECRET}:password::` } });
  });

  it("keeps stable child names", () => {
    const names = p.resources
      .filter((r) => r.custom && !r.type.startsWith("pulumi:providers"))
      .map((r) => `${r.type}::${r.name}`)
      .sort();
    expect(names).toEqual(
      // Renaming a child replaces real infrastructure: this list is the contract, changed only on purpose.
      [
        "aws:appautoscaling/policy:Policy::svc-cpu-scaling",
        "aws:appautoscaling/target:Target::svc-scaling",
        "aws:cloudwatch/logGroup:LogGroup::svc-logs",
        "aws:cloudwatch/logGroup:LogGroup::svc-waf-logs",
        "aws:cloudwatch/logResourcePolicy:LogResourcePolicy::svc-waf-logs",
        "aws:ecr/lifecyclePolicy:LifecyclePolicy::svc-repo-lifecycle",
        "aws:ecr/repository:Repository::svc-repo",
        "aws:ecs/cluster:Cluster::svc-cluster",
        "aws:ecs/service:Service::svc-service",
        "aws:ecs/taskDefinition:TaskDefinition::svc-task",
        "aws:iam/role:Role::svc-execution",
        "aws:iam/role:Role::svc-task",
        "aws:iam/rolePolicy:RolePolicy::svc-execution",
        "aws:iam/rolePolicy:RolePolicy::svc-task",
        "aws:lb/listener:Listener::svc-http",
        "aws:lb/listener:Listener::svc-https",
        "aws:lb/listenerRule:ListenerRule::svc-api",
        "aws:lb/listenerRule:ListenerRule::svc-health",
        "aws:lb/loadBalancer:LoadBalancer::svc-alb",
        "aws:lb/targetGroup:TargetGroup::svc-tg",
        "aws:s3/bucket:Bucket::svc-alb-logs",
        "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration::svc-alb-logs",
        "aws:s3/bucketOwnershipControls:BucketOwnershipControls::svc-alb-logs",
        "aws:s3/bucketPolicy:BucketPolicy::svc-alb-logs",
        "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock::svc-alb-logs",
        "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration::svc-alb-logs",
        "aws:s3/bucketVersioning:BucketVersioning::svc-alb-logs",
        "aws:wafv2/webAcl:WebAcl::svc-waf",
        "aws:wafv2/webAclAssociation:WebAclAssociation::svc-waf",
        "aws:wafv2/webAclLoggingConfiguration:WebAclLoggingConfiguration::svc-waf",
        "docker:index/image:Image::svc-image",
      ],
    );
  });

  it("creates an immutable, scanned, KMS-encrypted repository with a lifecycle policy", () => {
    const repo = p.one(T.repo, "svc-repo");
    expect(repo.inputs).toMatchObject({
      name: "saas-dev/app",
      imageTagMutability: "IMMUTABLE",
      imageScanningConfiguration: { scanOnPush: true },
      encryptionConfigurations: [{ encryptionType: "KMS", kmsKey: KEY }],
    });
    const lifecycle = json(p.one("aws:ecr/lifecyclePolicy:LifecyclePolicy", "svc-repo-lifecycle").inputs.policy);
    expect(lifecycle.rules.map((r: { selection: unknown }) => r.selection)).toEqual([
      { tagStatus: "untagged", countType: "sinceImagePushed", countUnit: "days", countNumber: 7 },
      { tagStatus: "any", countType: "imageCountMoreThan", countNumber: 30 },
    ]);
  });

  it("builds for linux/arm64, pushes a versioned tag with ECR credentials, and runs it by digest", () => {
    const image = p.one(T.image, "svc-image");
    const repoUrl = "123456789012.dkr.ecr.us-east-1.amazonaws.com/saas-dev/app";
    expect(image.inputs).toMatchObject({
      imageName: `${repoUrl}:0.1.0-abcdef012345`,
      build: { context: "app", dockerfile: "app/Dockerfile", platform: "linux/arm64" },
      registry: { server: repoUrl, username: "AWS" },
    });
    expect(p.run.invokes.map((i) => i.token)).toContain("aws:ecr/getAuthorizationToken:getAuthorizationToken");
    const td = p.one(T.td, "svc-task");
    const [container] = json(td.inputs.containerDefinitions);
    expect(container.image).toBe(image.outputs.repoDigest);
    expect(container.image).toMatch(new RegExp(`^${repoUrl}@sha256:[0-9a-f]{64}$`));
    expect(td.inputs.runtimePlatform).toEqual({ operatingSystemFamily: "LINUX", cpuArchitecture: "ARM64" });
  });

  it("keeps the previous task definition revision ACTIVE, so a rollback has a target", () => {
    // A new revision replaces the TaskDefinition resource; skipDestroy (the .d.ts: "retain the old revision when
    // the resource is destroyed or replacement is necessary") stops the provider deregistering the old one.
    expect(p.one(T.td, "svc-task").inputs.skipDestroy).toBe(true);
  });

  it("runs the container non-root, unprivileged, with /tmp, health check, stop timeout and awslogs", () => {
    const td = p.one(T.td, "svc-task");
    expect(td.inputs).toMatchObject({
      family: "saas-dev-app",
      cpu: "256",
      memory: "512",
      networkMode: "awsvpc",
      requiresCompatibilities: ["FARGATE"],
      executionRoleArn: p.one(T.role, "svc-execution").outputs.arn,
      taskRoleArn: p.one(T.role, "svc-task").outputs.arn,
    });
    expect(td.inputs.volumes).toEqual([{ name: "tmp" }]);
    const [c] = json(td.inputs.containerDefinitions);
    expect(c).toMatchObject({
      name: "app",
      user: "10001:10001",
      // ECS Exec is on here, and it does not support a read-only root filesystem.
      readonlyRootFilesystem: false,
      privileged: false,
      stopTimeout: 30,
      portMappings: [{ containerPort: 8080, hostPort: 8080, protocol: "tcp" }],
      healthCheck: { command: ["CMD", "node", "dist/healthcheck.js"] },
      logConfiguration: {
        logDriver: "awslogs",
        options: {
          "awslogs-group": "/ecs/saas-dev/app",
          "awslogs-region": "us-east-1",
          "awslogs-stream-prefix": "app",
        },
      },
    });
    expect(c.mountPoints[0]).toEqual({ sourceVolume: "tmp", containerPath: "/tmp", readOnly: false });
    expect(c.environment).toEqual([
      { name: "LOG_LEVEL", value: "info" },
      { name: "PORT", value: "8080" },
      { name: "SHUTDOWN_TIMEOUT_MS", value: "25000" },
    ]);
    expect(c.secrets).toEqual([{ name: "DATABASE_PASSWORD", valueFrom: `${SECRET}:password::` }]);
  });

  it("encrypts the log group with the stack key and keeps it for the configured days", () => {
    expect(p.one("aws:cloudwatch/logGroup:LogGroup", "svc-logs").inputs).toMatchObject({
      name: "/ecs/saas-dev/app",
      retentionInDays: 14,
      kmsKeyId: KEY,
    });
  });

  it("trusts only ECS tasks of this account and region", () => {
    for (const role of ["svc-execution", "svc-task"]) {
      expect(json(p.one(T.role, role).inputs.assumeRolePolicy).Statement).toEqual([
        {
          Effect: "Allow",
          Principal: { Service: "ecs-tasks.amazonaws.com" },
          Action: "sts:AssumeRole",
          Condition: {
            StringEquals: { "aws:SourceAccount": "123456789012" },
            ArnLike: { "aws:SourceArn": "arn:aws:ecs:us-east-1:123456789012:*" },
          },
        },
      ]);
    }
  });

  it("lets the execution role pull this repository, write this log group and read exactly the given secret", () => {
    const policy = json(p.one(T.rolePolicy, "svc-execution").inputs.policy);
    const group = "arn:aws:logs:us-east-1:123456789012:log-group:/ecs/saas-dev/app";
    expect(policy.Statement).toEqual([
      {
        Sid: "PullImage",
        Effect: "Allow",
        Action: ["ecr:BatchCheckLayerAvailability", "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"],
        Resource: ["arn:aws:ecr:us-east-1:123456789012:repository/saas-dev/app"],
      },
      { Sid: "RegistryLogin", Effect: "Allow", Action: "ecr:GetAuthorizationToken", Resource: "*" },
      {
        Sid: "WriteLogs",
        Effect: "Allow",
        Action: ["logs:CreateLogStream", "logs:PutLogEvents"],
        // IAM authorises both actions on the group ARN with the trailing :* (CloudWatch Logs docs).
        Resource: `${group}:*`,
      },
      { Sid: "ReadSecrets", Effect: "Allow", Action: "secretsmanager:GetSecretValue", Resource: [SECRET] },
      {
        Sid: "DecryptSecrets",
        Effect: "Allow",
        Action: "kms:Decrypt",
        Resource: KEY,
        Condition: { StringEquals: { "kms:ViaService": "secretsmanager.us-east-1.amazonaws.com" } },
      },
    ]);
  });

  it("defines the task only after the execution role's policy is attached (ECS uses the role at once)", () => {
    expect(p.one(T.td, "svc-task").dependencies).toContain(p.one(T.rolePolicy, "svc-execution").urn);
  });

  it("gives the task role only what ECS Exec needs when exec is on: channels, session logs, session key", () => {
    const logGroup = p.one("aws:cloudwatch/logGroup:LogGroup", "svc-logs").outputs.arn;
    expect(json(p.one(T.rolePolicy, "svc-task").inputs.policy).Statement).toEqual([
      {
        Sid: "EcsExecChannels",
        Effect: "Allow",
        Action: [
          "ssmmessages:CreateControlChannel",
          "ssmmessages:CreateDataChannel",
          "ssmmessages:OpenControlChannel",
          "ssmmessages:OpenDataChannel",
        ],
        Resource: "*",
      },
      {
        Sid: "EcsExecSessionLogs",
        Effect: "Allow",
        Action: ["logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"],
        Resource: [logGroup, `${logGroup}:*`],
      },
      { Sid: "EcsExecFindLogGroup", Effect: "Allow", Action: "logs:DescribeLogGroups", Resource: "*" },
      { Sid: "EcsExecSessionEncryption", Effect: "Allow", Action: "kms:Decrypt", Resource: KEY },
    ]);
  });

  it("encrypts and logs every exec session", () => {
    expect(p.one("aws:ecs/cluster:Cluster", "svc-cluster").inputs.configuration).toEqual({
      executeCommandConfiguration: {
        kmsKeyId: KEY,
        logging: "OVERRIDE",
        logConfiguration: { cloudWatchLogGroupName: "/ecs/saas-dev/app", cloudWatchEncryptionEnabled: true },
      },
    });
  });

  it("runs the service privately with a rolling, self-rolling-back deployment", () => {
    const service = p.one(T.service, "svc-service");
    expect(service.inputs).toMatchObject({
      name: "saas-dev-app",
      cluster: p.one("aws:ecs/cluster:Cluster", "svc-cluster").outputs.arn,
      taskDefinition: p.one(T.td, "svc-task").outputs.arn,
      desiredCount: 1,
      launchType: "FARGATE",
      platformVersion: "1.4.0",
      networkConfiguration: {
        subnets: ["subnet-priv1", "subnet-priv2"],
        securityGroups: ["sg-app"],
        assignPublicIp: false,
      },
      loadBalancers: [{ targetGroupArn: p.one(T.tg, "svc-tg").outputs.arn, containerName: "app", containerPort: 8080 }],
      deploymentCircuitBreaker: { enable: true, rollback: true },
      waitForSteadyState: true,
      deploymentMinimumHealthyPercent: 100,
      deploymentMaximumPercent: 200,
      healthCheckGracePeriodSeconds: 60,
      enableExecuteCommand: true,
      propagateTags: "SERVICE",
    });
    expect(p.one("aws:ecs/cluster:Cluster", "svc-cluster").inputs.settings).toEqual([
      { name: "containerInsights", value: "enabled" },
    ]);
  });

  it("puts an ALB in the public subnets with invalid headers dropped, logs on, 60 s idle timeout", () => {
    const lb = p.one(T.lb, "svc-alb");
    const bucket = p.one("aws:s3/bucket:Bucket", "svc-alb-logs");
    expect(lb.inputs).toMatchObject({
      name: "saas-dev-alb",
      internal: false,
      loadBalancerType: "application",
      subnets: ["subnet-pub1", "subnet-pub2"],
      securityGroups: ["sg-lb"],
      dropInvalidHeaderFields: true,
      enableDeletionProtection: false,
      idleTimeout: 60,
      accessLogs: { bucket: bucket.outputs.id, prefix: "alb", enabled: true },
    });
  });

  it("stores access logs in a private SSE-S3 bucket only ELB log delivery may write to, over TLS", () => {
    const bucketId = p.one("aws:s3/bucket:Bucket", "svc-alb-logs").outputs.id;
    const bucketArn = `arn:aws:s3:::${bucketId}`;
    expect(p.one("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock", "svc-alb-logs").inputs).toMatchObject({
      bucket: bucketId,
      blockPublicAcls: true,
      blockPublicPolicy: true,
      ignorePublicAcls: true,
      restrictPublicBuckets: true,
    });
    expect(
      p.one("aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration", "svc-alb-logs")
        .inputs.rules,
    ).toEqual([{ applyServerSideEncryptionByDefault: { sseAlgorithm: "AES256" } }]);
    expect(p.one("aws:s3/bucketOwnershipControls:BucketOwnershipControls", "svc-alb-logs").inputs.rule).toEqual({
      objectOwnership: "BucketOwnerEnforced",
    });
    expect(p.one("aws:s3/bucketVersioning:BucketVersioning", "svc-alb-logs").inputs.versioningConfiguration).toEqual({
      status: "Enabled",
    });
    const lifecycle = p.one("aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration", "svc-alb-logs");
    expect((lifecycle.inputs.rules as Record<string, unknown>[])[0]).toMatchObject({ expiration: { days: 90 } });
    expect(json(p.one("aws:s3/bucketPolicy:BucketPolicy", "svc-alb-logs").inputs.policy).Statement).toEqual([
      {
        Sid: "AllowElbLogDelivery",
        Effect: "Allow",
        Principal: { AWS: "arn:aws:iam::127311923021:root" },
        Action: "s3:PutObject",
        Resource: `${bucketArn}/alb/AWSLogs/123456789012/*`,
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

  it("checks /health (liveness, never /ready) on an ip target group and drains for 20 s", () => {
    expect(p.one(T.tg, "svc-tg").inputs).toMatchObject({
      port: 8080,
      protocol: "HTTP",
      targetType: "ip",
      vpcId: "vpc-0123456789abcdef0",
      deregistrationDelay: 20,
      healthCheck: { path: "/health", matcher: "200" },
    });
  });

  it("serves HTTPS with TLS 1.2+, redirects HTTP, and forwards only /api/* and /health", () => {
    const lbArn = p.one(T.lb, "svc-alb").outputs.arn;
    const https = p.one(T.listener, "svc-https");
    expect(https.inputs).toMatchObject({
      loadBalancerArn: lbArn,
      port: 443,
      protocol: "HTTPS",
      sslPolicy: "ELBSecurityPolicy-TLS13-1-2-2021-06",
      certificateArn: CERT,
      defaultActions: [{ type: "fixed-response", fixedResponse: { statusCode: "404" } }],
    });
    expect(p.one(T.listener, "svc-http").inputs).toMatchObject({
      loadBalancerArn: lbArn,
      port: 80,
      protocol: "HTTP",
      defaultActions: [{ type: "redirect", redirect: { protocol: "HTTPS", port: "443", statusCode: "HTTP_301" } }],
    });
    const tgArn = p.one(T.tg, "svc-tg").outputs.arn;
    const rules = p
      .ofType(T.rule)
      .map((r) => [
        r.inputs.listenerArn === https.outputs.arn,
        r.inputs.priority,
        r.inputs.conditions,
        r.inputs.actions,
      ]);
    expect(rules).toEqual([
      [true, 10, [{ pathPattern: { values: ["/api/*"] } }], [{ type: "forward", targetGroupArn: tgArn }]],
      [true, 20, [{ pathPattern: { values: ["/health", "/ready"] } }], [{ type: "forward", targetGroupArn: tgArn }]],
    ]);
  });

  it("scales on CPU at 70% between min and max, and not on requests by default", () => {
    expect(p.one("aws:appautoscaling/target:Target", "svc-scaling").inputs).toMatchObject({
      serviceNamespace: "ecs",
      scalableDimension: "ecs:service:DesiredCount",
      resourceId: "service/saas-dev/saas-dev-app",
      minCapacity: 1,
      maxCapacity: 2,
    });
    expect(p.ofType(T.scaling).map((s) => s.name)).toEqual(["svc-cpu-scaling"]);
    expect(p.one(T.scaling, "svc-cpu-scaling").inputs).toMatchObject({
      policyType: "TargetTrackingScaling",
      resourceId: "service/saas-dev/saas-dev-app",
      targetTrackingScalingPolicyConfiguration: {
        predefinedMetricSpecification: { predefinedMetricType: "ECSServiceAverageCPUUtilization" },
        targetValue: 70,
        scaleInCooldown: 300,
        scaleOutCooldown: 60,
      },
    });
  });
});

describe("ContainerService, prod shape with a prebuilt image", () => {
  const uri = `123456789012.dkr.ecr.us-east-1.amazonaws.com/shared/app@sha256:${"b".repeat(64)}`;
  let p: Planned;
  beforeAll(async () => {
    p = await plan({
      image: { uri },
      architecture: "x86_64",
      cpu: 512,
      memory: 1024,
      desiredCount: 2,
      minCount: 2,
      maxCount: 10,
      deletionProtection: true,
      requestsPerTarget: 1000,
      extraEnvironment: { DB_POOL_MAX: "10" },
    });
  });

  it("skips the build, runs the given image on X86_64 and pulls from that repository only", () => {
    expect(p.ofType(T.image)).toEqual([]);
    const td = p.one(T.td, "svc-task");
    expect(json(td.inputs.containerDefinitions)[0].image).toBe(uri);
    expect(td.inputs.runtimePlatform).toEqual({ operatingSystemFamily: "LINUX", cpuArchitecture: "X86_64" });
    const policy = json(p.one(T.rolePolicy, "svc-execution").inputs.policy);
    expect(policy.Statement[0].Resource).toEqual(["arn:aws:ecr:us-east-1:123456789012:repository/shared/app"]);
    expect(policy.Statement.map((s: { Sid: string }) => s.Sid)).toEqual(["PullImage", "RegistryLogin", "WriteLogs"]);
  });

  it("has no exec: no task role policy, no exec configuration, a read-only root filesystem, exec off", () => {
    expect(p.one("aws:ecs/cluster:Cluster", "svc-cluster").inputs.configuration).toBeUndefined();
    expect(p.ofType(T.rolePolicy).map((r) => r.name)).toEqual(["svc-execution"]);
    expect(p.one(T.td, "svc-task").inputs.volumes).toEqual([{ name: "tmp" }]);
    expect(json(p.one(T.td, "svc-task").inputs.containerDefinitions)[0].readonlyRootFilesystem).toBe(true);
    expect(p.one(T.service, "svc-service").inputs.enableExecuteCommand).toBe(false);
  });

  it("protects the load balancer and passes extra environment through", () => {
    expect(p.one(T.lb, "svc-alb").inputs.enableDeletionProtection).toBe(true);
    const [c] = json(p.one(T.td, "svc-task").inputs.containerDefinitions);
    expect(c.environment).toContainEqual({ name: "DB_POOL_MAX", value: "10" });
    expect(c.secrets).toEqual([]);
  });

  it("adds request-count scaling on this load balancer and target group", () => {
    const lb = p.one(T.lb, "svc-alb");
    const tg = p.one(T.tg, "svc-tg");
    expect(p.one(T.scaling, "svc-requests-scaling").inputs.targetTrackingScalingPolicyConfiguration).toMatchObject({
      predefinedMetricSpecification: {
        predefinedMetricType: "ALBRequestCountPerTarget",
        resourceLabel: `${lb.outputs.arnSuffix}/${tg.outputs.arnSuffix}`,
      },
      targetValue: 1000,
    });
  });
});

describe("ContainerService in another partition (AWS GovCloud)", () => {
  // The partition comes from the stack context (getPartition in the composition); it used to default to "aws"
  // inside the component, so every ARN it wrote in GovCloud or China would have named the wrong partition.
  const gov = testContext({
    kmsKeyArn: "arn:aws-us-gov:kms:us-gov-west-1:123456789012:key/11111111-2222-4333-a444-555555555555",
    region: "us-gov-west-1",
    partition: "aws-us-gov",
  });
  let p: Planned;
  beforeAll(async () => {
    p = await plan({
      context: gov,
      image: { uri: "123456789012.dkr.ecr.us-gov-west-1.amazonaws.com/shared/app:1.2.3" },
      certificateArn: "arn:aws-us-gov:acm:us-gov-west-1:123456789012:certificate/0f1e2d3c-4b5a-4978-8a6b-5c4d3e2f1a0b",
    });
  });

  it("trusts ECS tasks by an aws-us-gov source ARN", () => {
    expect(json(p.one(T.role, "svc-execution").inputs.assumeRolePolicy).Statement[0].Condition).toEqual({
      StringEquals: { "aws:SourceAccount": "123456789012" },
      ArnLike: { "aws:SourceArn": "arn:aws-us-gov:ecs:us-gov-west-1:123456789012:*" },
    });
  });

  it("grants pulls on the image's repository by its aws-us-gov ARN", () => {
    const policy = json(p.one(T.rolePolicy, "svc-execution").inputs.policy);
    expect(policy.Statement[0]).toMatchObject({
      Sid: "PullImage",
      Resource: ["arn:aws-us-gov:ecr:us-gov-west-1:123456789012:repository/shared/app"],
    });
  });

  it("lets the log delivery service principal write access logs (GovCloud has no ELB account in the table)", () => {
    const policy = json(p.one("aws:s3/bucketPolicy:BucketPolicy", "svc-alb-logs").inputs.policy);
    expect(policy.Statement[0].Principal).toEqual({ Service: "logdelivery.elasticloadbalancing.amazonaws.com" });
    expect(json(p.one(T.td, "svc-task").inputs.containerDefinitions)[0].logConfiguration.options).toMatchObject({
      "awslogs-region": "us-gov-west-1",
    });
  });
});

describe("ContainerService on a shared load balancer listener and an existing cluster", () => {
  // Several dev stacks share one ALB: each adds its target group and host-matched rules to the shared HTTPS
  // listener, and runs in the shared cluster.
  const LISTENER =
    "arn:aws:elasticloadbalancing:us-east-1:123456789012:listener/app/shared-dev/50dc6c495c0c9188/f2f7dc8efc522ab2";
  const CLUSTER = "arn:aws:ecs:us-east-1:123456789012:cluster/shared-dev";
  const shared = {
    arn: LISTENER,
    loadBalancerArnSuffix: "app/shared-dev/50dc6c495c0c9188",
    loadBalancerDnsName: "shared-dev-1234567890.us-east-1.elb.amazonaws.com",
    loadBalancerZoneId: "Z35SXDOTRQ7X7K",
    hostHeader: "alice.dev.example.com",
    priority: 110,
  };
  const sharedArgs: Partial<ContainerServiceArgs> = {
    listener: shared,
    cluster: { arn: CLUSTER, name: "shared-dev" },
    certificateArn: undefined,
    publicSubnetIds: undefined,
    loadBalancerSecurityGroupId: undefined,
    requestsPerTarget: 500,
  };
  let p: Planned;
  let outputs: Record<string, unknown>;
  beforeAll(async () => {
    p = await Planned.of({
      stack: "dev",
      program: () => {
        const svc = new ContainerService("svc", { ...ARGS, ...sharedArgs });
        return {
          albDnsName: svc.albDnsName,
          albArnSuffix: svc.albArnSuffix,
          clusterName: svc.clusterName,
          accessLogBucketName: svc.accessLogBucketName ?? "none",
        };
      },
    });
    outputs = p.run.outputs;
  });

  it("creates no load balancer, listener, access-log bucket or cluster of its own, and keeps the other names", () => {
    expect(
      p.resources
        .filter((r) => r.custom && !r.type.startsWith("pulumi:providers"))
        .map((r) => `${r.type}::${r.name}`)
        .sort(),
    ).toEqual([
      "aws:appautoscaling/policy:Policy::svc-cpu-scaling",
      "aws:appautoscaling/policy:Policy::svc-requests-scaling",
      "aws:appautoscaling/target:Target::svc-scaling",
      "aws:cloudwatch/logGroup:LogGroup::svc-logs",
      "aws:ecr/lifecyclePolicy:LifecyclePolicy::svc-repo-lifecycle",
      "aws:ecr/repository:Repository::svc-repo",
      "aws:ecs/service:Service::svc-service",
      "aws:ecs/taskDefinition:TaskDefinition::svc-task",
      "aws:iam/role:Role::svc-execution",
      "aws:iam/role:Role::svc-task",
      "aws:iam/rolePolicy:RolePolicy::svc-execution",
      "aws:lb/listenerRule:ListenerRule::svc-api",
      "aws:lb/listenerRule:ListenerRule::svc-health",
      "aws:lb/targetGroup:TargetGroup::svc-tg",
      "docker:index/image:Image::svc-image",
    ]);
  });

  it("adds its rules to the shared listener at its own priorities, matching its host and the app's paths", () => {
    const tg = p.one(T.tg, "svc-tg").outputs.arn;
    expect(p.one(T.rule, "svc-api").inputs).toMatchObject({
      listenerArn: LISTENER,
      priority: 110,
      conditions: [{ hostHeader: { values: ["alice.dev.example.com"] } }, { pathPattern: { values: ["/api/*"] } }],
      actions: [{ type: "forward", targetGroupArn: tg }],
    });
    expect(p.one(T.rule, "svc-health").inputs).toMatchObject({
      listenerArn: LISTENER,
      priority: 111,
      conditions: [
        { hostHeader: { values: ["alice.dev.example.com"] } },
        { pathPattern: { values: ["/health", "/ready"] } },
      ],
    });
  });

  it("runs in the given cluster and scales the service there", () => {
    const service = p.one(T.service, "svc-service");
    expect(service.inputs.cluster).toBe(CLUSTER);
    expect(service.dependencies).toEqual(
      expect.arrayContaining([p.one(T.rule, "svc-api").urn, p.one(T.rule, "svc-health").urn]),
    );
    expect(p.one("aws:appautoscaling/target:Target", "svc-scaling").inputs.resourceId).toBe(
      "service/shared-dev/saas-dev-app",
    );
  });

  it("scales on requests through the shared load balancer and reports it as its own", () => {
    const tg = p.one(T.tg, "svc-tg");
    expect(p.one(T.scaling, "svc-requests-scaling").inputs.targetTrackingScalingPolicyConfiguration).toMatchObject({
      predefinedMetricSpecification: { resourceLabel: `app/shared-dev/50dc6c495c0c9188/${tg.outputs.arnSuffix}` },
    });
    expect(outputs).toEqual({
      albDnsName: "shared-dev-1234567890.us-east-1.elb.amazonaws.com",
      albArnSuffix: "app/shared-dev/50dc6c495c0c9188",
      clusterName: "shared-dev",
      accessLogBucketName: "none",
    });
  });

  it.each<[string, Partial<ContainerServiceArgs>, string[]]>([
    [
      "a certificate next to a shared listener",
      { certificateArn: CERT },
      ["certificateArn: belongs to the shared load balancer when listener is given; remove it"],
    ],
    [
      "WAF limits next to a shared listener (its owner attaches the web ACL)",
      { wafRateLimits: { perIp: 2000, perToken: 1000 } },
      ["wafRateLimits: belongs to the shared load balancer when listener is given; remove it"],
    ],
    [
      "a host header that is not a host name",
      { listener: { ...shared, hostHeader: "alice dev" } },
      [
        'listener.hostHeader: expected a host name such as alice.dev.example.com (up to 128 characters), got "alice dev"',
      ],
    ],
    [
      "priority 0, below the first rule priority",
      { listener: { ...shared, priority: 0 } },
      ["listener.priority: expected an integer from 1 to 49999 (the service takes it and the next one), got 0"],
    ],
    [
      "priority 50000, whose second rule would be past the last priority",
      { listener: { ...shared, priority: 50000 } },
      ["listener.priority: expected an integer from 1 to 49999 (the service takes it and the next one), got 50000"],
    ],
  ])("rejects %s", (_what, change, expected) => {
    expect(validateContainerServiceArgs({ ...ARGS, ...sharedArgs, ...change })).toEqual(expected);
  });

  it("accepts the last priority that leaves room for the second rule", () => {
    expect(validateContainerServiceArgs({ ...ARGS, ...sharedArgs, listener: { ...shared, priority: 49999 } })).toEqual(
      [],
    );
  });

  it("without a shared listener, needs the load balancer's certificate, subnets and security group", () => {
    expect(
      validateContainerServiceArgs({
        ...ARGS,
        certificateArn: undefined,
        publicSubnetIds: undefined,
        loadBalancerSecurityGroupId: undefined,
      }),
    ).toEqual([
      "certificateArn: expected the ACM certificate of the HTTPS listener (or a shared listener), got none",
      "publicSubnetIds: expected the load balancer's subnets (or a shared listener), got none",
      "loadBalancerSecurityGroupId: expected the load balancer's security group (or a shared listener), got none",
    ]);
  });
});

describe("variables the component sets itself", () => {
  it.each(["PORT", "SHUTDOWN_TIMEOUT_MS", "LOG_LEVEL"])("refuses %s in extraEnvironment and in secrets", (name) => {
    expect(
      validateContainerServiceArgs({ ...ARGS, extraEnvironment: { [name]: "1" }, secrets: { [name]: SECRET } }),
    ).toEqual([
      `secrets: "${name}" is also a plain environment variable; name each variable once`,
      `extraEnvironment: "${name}" is set by the component; use the matching argument instead`,
    ]);
  });
});

describe("ContainerService argument errors", () => {
  it.each<[string, Partial<ContainerServiceArgs>, string[]]>([
    [
      "a cpu/memory pair Fargate does not offer",
      { cpu: 1024, memory: 1024 },
      [
        "memory: expected a memory size Fargate offers with 1024 CPU units: 2048, 3072, 4096, 5120, 6144, 7168, 8192, got 1024",
      ],
    ],
    [
      "min above max",
      { minCount: 3, maxCount: 2, desiredCount: 2 },
      ["minCount: expected at most maxCount (2), got 3"],
    ],
    [
      "desired outside the range",
      { desiredCount: 5 },
      ["desiredCount: expected a count from minCount (1) to maxCount (2), got 5"],
    ],
    [
      "a certificate of another region",
      { certificateArn: CERT.replace("us-east-1", "eu-west-1") },
      [
        `certificateArn: expected a certificate in us-east-1, where it is used (ACM certificates are regional), not in eu-west-1, got "${CERT.replace("us-east-1", "eu-west-1")}"`,
      ],
    ],
    [
      "a secret in plaintext environment",
      { extraEnvironment: { DB_PASSWORD: "hunter2" } },
      [
        'extraEnvironment: "DB_PASSWORD" looks like a credential; pass it in secrets (a Secrets Manager ARN) so it is never stored in plaintext',
      ],
    ],
    [
      "an override of a variable the component sets",
      { extraEnvironment: { PORT: "9090" } },
      ['extraEnvironment: "PORT" is set by the component; use the matching argument instead'],
    ],
    [
      "a shutdown deadline past stopTimeout",
      { shutdownTimeoutMs: 30000 },
      [
        "shutdownTimeoutMs: expected less than stopTimeoutSeconds (30 s = 30000 ms) so the app finishes draining before ECS sends SIGKILL, got 30000",
      ],
    ],
    [
      "a deregistration delay longer than the shutdown deadline",
      { deregistrationDelaySeconds: 26 },
      [
        "deregistrationDelaySeconds: expected at most the app's shutdown deadline (shutdownTimeoutMs 25000 ms) so the load balancer stops waiting for a request before the app gives up on it, got 26",
      ],
    ],
    [
      "a prebuilt image on latest",
      { image: { uri: "nginx:latest" } },
      [
        'image.uri: expected an image pinned by a release tag other than latest or by an @sha256: digest, got "nginx:latest"',
      ],
    ],
    [
      "a build tagged latest",
      { image: { build: { context: "app", tag: "latest" } } },
      ['image.build.tag: expected a docker tag other than latest (a version or content hash), got "latest"'],
    ],
    [
      "a per-IP rate limit below AWS WAF's minimum",
      { wafRateLimits: { perIp: 9, perToken: 1000 } },
      ["wafRateLimits.perIp: expected an integer from 10 to 2000000000 (AWS WAF's bounds), got 9"],
    ],
    [
      "a per-token rate limit that is neither off nor a WAF limit",
      { wafRateLimits: { perIp: 2000, perToken: 9 } },
      ["wafRateLimits.perToken: expected 0 (off) or an integer from 10 to 2000000000, got 9"],
    ],
    [
      "a log retention CloudWatch does not offer",
      { logRetentionDays: 10 },
      [
        `logRetentionDays: expected one of CloudWatch Logs' retention periods (${LOG_RETENTION_DAYS.join(", ")}), got 10`,
      ],
    ],
  ])("rejects %s and registers nothing", async (_what, change, expected) => {
    expect(validateContainerServiceArgs({ ...ARGS, ...change })).toEqual(expected);
    await expect(plan(change)).rejects.toThrow(
      `ContainerService "svc": invalid arguments:\n${expected.map((e) => `  - ${e}`).join("\n")}`,
    );
  });

  it("registers no resource when the arguments are invalid", async () => {
    const resources: string[] = [];
    await expect(
      Planned.of({
        stack: "dev",
        program: () => new ContainerService("svc", { ...ARGS, cpu: 300 }),
        onRegister: (r) => resources.push(r.type),
      }),
    ).rejects.toThrow("cpu: expected one of Fargate's CPU values 256, 512, 1024, 2048, 4096, 8192, 16384, got 300");
    expect(resources.filter((t) => t !== "pulumi:pulumi:Stack")).toEqual([]);
  });
});

describe("pure rules", () => {
  it.each<[number, number[]]>([
    [256, [512, 1024, 2048]],
    [512, [1024, 2048, 3072, 4096]],
    [1024, [2048, 3072, 4096, 5120, 6144, 7168, 8192]],
  ])("Fargate memory for %i CPU", (cpu, memory) => {
    expect(fargateMemoryValues(cpu)).toEqual(memory);
  });

  it.each<[number, number, boolean]>([
    [2048, 4096, true],
    [2048, 16384, true],
    [2048, 17408, false],
    [4096, 30720, true],
    [4096, 31744, false],
    [8192, 16384, true],
    [8192, 20480, true],
    [8192, 17408, false],
    [16384, 32768, true],
    [16384, 122880, true],
    [16384, 36864, false],
    [256, 1536, false],
  ])("Fargate accepts cpu %i with memory %i: %s", (cpu, memory, ok) => {
    expect(fargateSizeProblem(cpu, memory) === undefined).toBe(ok);
  });

  it("orders deregistration <= shutdown < stopTimeout", () => {
    const ok = { deregistrationDelaySeconds: 20, shutdownTimeoutMs: 25000, stopTimeoutSeconds: 30 };
    expect(shutdownTimelineProblems(ok)).toEqual([]);
    expect(shutdownTimelineProblems({ ...ok, deregistrationDelaySeconds: 25 })).toEqual([]);
    expect(shutdownTimelineProblems({ ...ok, stopTimeoutSeconds: 121 })).toEqual([
      "stopTimeoutSeconds: expected an integer from 2 to 120 (the Fargate maximum), got 121",
    ]);
  });

  it.each<[string, boolean]>([
    [`repo@sha256:${"c".repeat(64)}`, true],
    ["registry.example.com:5000/app:1.2.3", true],
    ["registry.example.com:5000/app", false],
    ["app:latest", false],
    ["app@sha256:short", false],
  ])("image %s pinned: %s", (image, ok) => {
    expect(imageReferenceProblem(image) === undefined).toBe(ok);
  });

  it("validates ACM ARNs and CORS origins", () => {
    expect(acmCertificateArnProblem(CERT, "us-east-1")).toBeUndefined();
    expect(acmCertificateArnProblem(`${CERT}x`, "us-east-1")).toMatch(/^expected an ACM certificate ARN/);
    expect(corsOriginProblem("https://app.example.com:8443")).toBeUndefined();
    expect(corsOriginProblem("https://app.example.com/path")).toMatch(/without path/);
    expect(corsOriginProblem("*")).toMatch(/^expected an https origin/);
  });

  it("reads secret ARNs without the JSON-key selector, and the repositories to pull from", () => {
    expect(secretResourceArn(`${SECRET}:password::`)).toBe(SECRET);
    expect(secretResourceArn(SECRET)).toBe(SECRET);
    const own = "arn:aws:ecr:us-east-1:123456789012:repository/saas-dev/app";
    expect(pullRepositoryArns(own, { build: { context: "app", tag: "1" } }, "aws")).toEqual([own]);
    expect(pullRepositoryArns(own, { uri: "ghcr.io/example/app:1.0.0" }, "aws")).toEqual([]);
  });

  it("uses the ELB account in old regions and the service principal in new ones", () => {
    expect(elbLogDeliveryPrincipal("aws", "eu-west-1")).toEqual({ AWS: "arn:aws:iam::156460612806:root" });
    expect(elbLogDeliveryPrincipal("aws", "ap-southeast-7")).toEqual({
      Service: "logdelivery.elasticloadbalancing.amazonaws.com",
    });
  });

  it("grants no secret or key access without secrets", () => {
    const policy = executionRolePolicy({
      repositoryArns: ["r"],
      logGroupArn: "g",
      secretArns: [],
      kmsKeyArn: KEY,
      region: "us-east-1",
    });
    expect(policy.Statement.map((s) => s.Sid)).toEqual(["PullImage", "RegistryLogin", "WriteLogs"]);
  });

  it("mounts the scratch /tmp with exec on and off, and leaves the root writable only with exec on", () => {
    const base = {
      image: "i@sha256:x",
      port: 8080,
      environment: {},
      secrets: {},
      logGroupName: "g",
      region: "us-east-1",
      stopTimeoutSeconds: 30,
    };
    expect(containerDefinitions({ ...base, enableExecuteCommand: false })[0].mountPoints).toEqual([
      { sourceVolume: "tmp", containerPath: "/tmp", readOnly: false },
    ]);
    expect(containerDefinitions({ ...base, enableExecuteCommand: true })[0].mountPoints).toEqual([
      { sourceVolume: "tmp", containerPath: "/tmp", readOnly: false },
    ]);
    expect(containerDefinitions({ ...base, enableExecuteCommand: false })[0].readonlyRootFilesystem).toBe(true);
    expect(containerDefinitions({ ...base, enableExecuteCommand: true })[0].readonlyRootFilesystem).toBe(false);
  });
});

describe("the WAF web ACL in front of the load balancer (Security Hub ELB.16)", () => {
  let p: Planned;
  beforeAll(async () => {
    p = await plan();
  });
  const visibility = (metricName: string) => ({
    cloudwatchMetricsEnabled: true,
    sampledRequestsEnabled: true,
    metricName,
  });

  it("is a regional web ACL that allows by default, with metrics and sampled requests", () => {
    expect(p.one("aws:wafv2/webAcl:WebAcl", "svc-waf").inputs).toMatchObject({
      name: "saas-dev-alb",
      scope: "REGIONAL",
      defaultAction: { allow: {} },
      visibilityConfig: visibility("saas-dev-alb"),
    });
  });

  it("rate-limits per IP, then per Authorization header, then runs the known-bad-inputs and common rule groups", () => {
    expect(p.one("aws:wafv2/webAcl:WebAcl", "svc-waf").inputs.rules).toEqual([
      {
        name: "rate-per-ip",
        priority: 10,
        action: { block: {} },
        statement: { rateBasedStatement: { limit: 2000, aggregateKeyType: "IP", evaluationWindowSec: 300 } },
        visibilityConfig: visibility("saas-dev-rate-per-ip"),
      },
      {
        name: "rate-per-token",
        priority: 20,
        action: { block: {} },
        statement: {
          rateBasedStatement: {
            limit: 1000,
            aggregateKeyType: "CUSTOM_KEYS",
            evaluationWindowSec: 300,
            customKeys: [{ header: { name: "authorization", textTransformations: [{ priority: 0, type: "NONE" }] } }],
          },
        },
        visibilityConfig: visibility("saas-dev-rate-per-token"),
      },
      {
        name: "AWSManagedRulesKnownBadInputsRuleSet",
        priority: 30,
        overrideAction: { none: {} },
        statement: { managedRuleGroupStatement: { vendorName: "AWS", name: "AWSManagedRulesKnownBadInputsRuleSet" } },
        visibilityConfig: visibility("saas-dev-AWSManagedRulesKnownBadInputsRuleSet"),
      },
      {
        name: "AWSManagedRulesCommonRuleSet",
        priority: 40,
        overrideAction: { none: {} },
        statement: {
          managedRuleGroupStatement: {
            vendorName: "AWS",
            name: "AWSManagedRulesCommonRuleSet",
            // Notes of 10,000 characters are more than the rule's 8 KB: the service enforces its own body limit.
            // Note text such as `<script>`, `../` or a URL is legitimate in a JSON API that never renders HTML:
            // the BODY rules count; the header, URI and query-string rules still block (no override for them).
            ruleActionOverrides: [
              { name: "SizeRestrictions_BODY", actionToUse: { count: {} } },
              { name: "CrossSiteScripting_BODY", actionToUse: { count: {} } },
              { name: "GenericLFI_BODY", actionToUse: { count: {} } },
              { name: "GenericRFI_BODY", actionToUse: { count: {} } },
              { name: "EC2MetaDataSSRF_BODY", actionToUse: { count: {} } },
            ],
          },
        },
        visibilityConfig: visibility("saas-dev-AWSManagedRulesCommonRuleSet"),
      },
    ]);
  });

  it("takes its limits from the arguments and drops the per-token rule at 0", async () => {
    const q = await plan({ wafRateLimits: { perIp: 10, perToken: 0 } });
    const rules = q.one("aws:wafv2/webAcl:WebAcl", "svc-waf").inputs.rules as { name: string; statement: object }[];
    expect(rules.map((r) => r.name)).toEqual([
      "rate-per-ip",
      "AWSManagedRulesKnownBadInputsRuleSet",
      "AWSManagedRulesCommonRuleSet",
    ]);
    expect(rules[0].statement).toEqual({
      rateBasedStatement: { limit: 10, aggregateKeyType: "IP", evaluationWindowSec: 300 },
    });
  });

  it("is associated with this load balancer", () => {
    const association = p.one("aws:wafv2/webAclAssociation:WebAclAssociation", "svc-waf");
    expect(association.inputs).toEqual({
      resourceArn: p.one(T.lb, "svc-alb").outputs.arn,
      webAclArn: p.one("aws:wafv2/webAcl:WebAcl", "svc-waf").outputs.arn,
    });
  });

  it("logs to an aws-waf-logs- group encrypted with the stack key, with the Authorization header redacted", () => {
    const group = p.one("aws:cloudwatch/logGroup:LogGroup", "svc-waf-logs");
    expect(group.inputs).toMatchObject({ name: "aws-waf-logs-saas-dev", kmsKeyId: KEY, retentionInDays: 14 });
    const logging = p.one("aws:wafv2/webAclLoggingConfiguration:WebAclLoggingConfiguration", "svc-waf");
    expect(logging.inputs).toEqual({
      resourceArn: p.one("aws:wafv2/webAcl:WebAcl", "svc-waf").outputs.arn,
      logDestinationConfigs: [group.outputs.arn],
      redactedFields: [{ singleHeader: { name: "authorization" } }],
    });
  });

  it("lets only the log delivery service write the group's streams, for this account, before logging starts", () => {
    const group = p.one("aws:cloudwatch/logGroup:LogGroup", "svc-waf-logs");
    const policy = p.one("aws:cloudwatch/logResourcePolicy:LogResourcePolicy", "svc-waf-logs");
    expect(policy.inputs.policyName).toBe("saas-dev-waf-logs");
    // The resource policy the CloudWatch Logs guide ("Logs sent to CloudWatch Logs") gives for vended logs.
    expect(json(policy.inputs.policyDocument)).toEqual({
      Version: "2012-10-17",
      Statement: [
        {
          Sid: "WafLogDelivery",
          Effect: "Allow",
          Principal: { Service: "delivery.logs.amazonaws.com" },
          Action: ["logs:CreateLogStream", "logs:PutLogEvents"],
          Resource: `${String(group.outputs.arn)}:log-stream:*`,
          Condition: {
            StringEquals: { "aws:SourceAccount": "123456789012" },
            ArnLike: { "aws:SourceArn": "arn:aws:logs:us-east-1:123456789012:*" },
          },
        },
      ],
    });
    const logging = p.one("aws:wafv2/webAclLoggingConfiguration:WebAclLoggingConfiguration", "svc-waf");
    expect(logging.dependencies).toContain(policy.urn);
  });

  it("takes plain environment values from other resources' outputs", async () => {
    const q = await Planned.of({
      stack: "dev",
      program: () =>
        new ContainerService("svc", { ...ARGS, extraEnvironment: { DB_HOST: pulumi.output("db.internal.example") } }),
    });
    const [container] = json(q.one(T.td, "svc-task").inputs.containerDefinitions);
    expect(container.environment).toContainEqual({ name: "DB_HOST", value: "db.internal.example" });
  });
});
