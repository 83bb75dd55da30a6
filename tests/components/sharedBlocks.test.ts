import * as pulumi from "@pulumi/pulumi";
import {
  executionRolePolicy,
  fargateContainer,
  fargateSizeArgumentProblem,
  imageReferenceProblem,
  imageTagProblem,
} from "../../components/shared/fargate";
import { executionRole, fargateTaskDefinition, taskLogGroup } from "../../components/shared/fargateTask";
import { PrivateBucket } from "../../components/shared/privateBucket";
import { LOG_RETENTION_DAYS } from "../../components/shared/logs";
import { Planned } from "../support/plan";
import { testContext } from "../support/context";

const KEY = "arn:aws:kms:us-east-1:123456789012:key/11111111-2222-4333-a444-555555555555";
const GROUP = "arn:aws:logs:us-east-1:123456789012:log-group:/ecs/saas-dev/task";
const SECRET = "arn:aws:secretsmanager:us-east-1:123456789012:secret:saas-dev/db-AbCdEf";
const json = (value: unknown) => JSON.parse(value as string);

/** A component that holds whatever the shared blocks create, as a service or the migration task would. */
class Holder extends pulumi.ComponentResource {
  constructor(name: string, build: (self: Holder) => void) {
    super("test:index:Holder", name, {}, {});
    build(this);
    this.registerOutputs({});
  }
}

describe("the execution role policy every Fargate task gets", () => {
  it("pulls from the named repositories, writes its log group's streams, reads its secrets through Secrets Manager", () => {
    expect(
      executionRolePolicy({
        repositoryArns: ["arn:aws:ecr:us-east-1:123456789012:repository/saas-dev/app"],
        logGroupArn: GROUP,
        secretArns: [SECRET],
        kmsKeyArn: KEY,
        region: "us-east-1",
      }),
    ).toEqual({
      Version: "2012-10-17",
      Statement: [
        {
          Sid: "PullImage",
          Effect: "Allow",
          Action: ["ecr:BatchCheckLayerAvailability", "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"],
          Resource: ["arn:aws:ecr:us-east-1:123456789012:repository/saas-dev/app"],
        },
        { Sid: "RegistryLogin", Effect: "Allow", Action: "ecr:GetAuthorizationToken", Resource: "*" },
        // CloudWatch Logs documents the log-group ARN with the trailing :* for IAM policies of these actions;
        // the form without it is for the tagging APIs only.
        {
          Sid: "WriteLogs",
          Effect: "Allow",
          Action: ["logs:CreateLogStream", "logs:PutLogEvents"],
          Resource: `${GROUP}:*`,
        },
        { Sid: "ReadSecrets", Effect: "Allow", Action: "secretsmanager:GetSecretValue", Resource: [SECRET] },
        // kms:ViaService names one regional endpoint (KMS developer guide): StringEquals, not a wildcard.
        {
          Sid: "DecryptSecrets",
          Effect: "Allow",
          Action: "kms:Decrypt",
          Resource: KEY,
          Condition: { StringEquals: { "kms:ViaService": "secretsmanager.us-east-1.amazonaws.com" } },
        },
      ],
    });
  });

  it("has no ECR statements for an image outside ECR and no secret statements without secrets", () => {
    const policy = executionRolePolicy({
      repositoryArns: [],
      logGroupArn: GROUP,
      secretArns: [],
      kmsKeyArn: KEY,
      region: "eu-west-1",
    });
    expect(policy.Statement.map((s) => s.Sid)).toEqual(["WriteLogs"]);
  });
});

describe("the container scaffolding every Fargate task gets", () => {
  const minimal = {
    name: "job",
    image: "example/job:1.0.0",
    user: "1000:1000",
    environment: [{ name: "A", value: "1" }],
    secrets: [],
    logGroupName: "/ecs/saas-dev-job",
    region: "eu-west-1",
  };

  it("is essential, unprivileged, runs as the numeric user on a read-only root with /tmp, and logs by awslogs", () => {
    expect(fargateContainer(minimal)).toEqual({
      name: "job",
      image: "example/job:1.0.0",
      essential: true,
      user: "1000:1000",
      readonlyRootFilesystem: true,
      privileged: false,
      environment: [{ name: "A", value: "1" }],
      secrets: [],
      mountPoints: [{ sourceVolume: "tmp", containerPath: "/tmp", readOnly: false }],
      logConfiguration: {
        logDriver: "awslogs",
        options: {
          "awslogs-group": "/ecs/saas-dev-job",
          "awslogs-region": "eu-west-1",
          "awslogs-stream-prefix": "job",
        },
      },
    });
  });

  it("keeps one field order, so the JSON ECS receives is the same whichever task builds it", () => {
    const keys = Object.keys(
      fargateContainer({
        ...minimal,
        linuxParameters: {},
        entryPoint: ["sh"],
        command: ["run"],
        portMappings: [],
        healthCheck: {},
        stopTimeout: 30,
        logOptions: { mode: "non-blocking" },
      }),
    );
    expect(keys).toEqual([
      "name",
      "image",
      "essential",
      "user",
      "readonlyRootFilesystem",
      "privileged",
      "linuxParameters",
      "entryPoint",
      "command",
      "portMappings",
      "environment",
      "secrets",
      "mountPoints",
      "healthCheck",
      "stopTimeout",
      "logConfiguration",
    ]);
  });
});

describe("CloudWatch Logs' retention periods", () => {
  it("are the values PutRetentionPolicy accepts, never 0 (never expire)", () => {
    // CloudWatch Logs API reference, PutRetentionPolicy: retentionInDays.
    expect(LOG_RETENTION_DAYS).toEqual([
      1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653,
    ]);
  });
});

describe("the Fargate rules every task shares", () => {
  it.each<[string, boolean]>([
    ["app:1.2.3", true],
    [`app@sha256:${"c".repeat(64)}`, true],
    ["app:latest", false],
    ["app", false],
    // Docker's tag grammar: a tag starts with a letter, digit or '_' and is at most 128 characters.
    ["app:.1", false],
    [`app:${"a".repeat(128)}`, true],
    [`app:${"a".repeat(129)}`, false],
  ])("imageReferenceProblem(%s) accepts: %s", (image, ok) => {
    expect(imageReferenceProblem(image) === undefined).toBe(ok);
  });

  it("refuses latest as a build tag", () => {
    expect(imageTagProblem("latest")).toBe("expected a docker tag other than latest (a version or content hash)");
    expect(imageTagProblem("1.0.0-abcdef012345")).toBeUndefined();
  });

  it("names the argument, the bad value and Fargate's sizes", () => {
    expect(fargateSizeArgumentProblem(512, 512)).toBe(
      "memory: expected a memory size Fargate offers with 512 CPU units: 1024, 2048, 3072, 4096, got 512",
    );
    expect(fargateSizeArgumentProblem(512, 1024)).toBeUndefined();
    expect(fargateSizeArgumentProblem(2048, 16384)).toBeUndefined();
    expect(fargateSizeArgumentProblem(2048, 17408)).toBe(
      "memory: expected a memory size Fargate offers with 2048 CPU units: 4096 to 16384 in steps of 1024, got 17408",
    );
    expect(fargateSizeArgumentProblem(300, 512)).toBe(
      "cpu: expected one of Fargate's CPU values 256, 512, 1024, 2048, 4096, 8192, 16384, got 300",
    );
  });
});

describe("the Fargate task resources", () => {
  let p: Planned;
  beforeAll(async () => {
    p = await Planned.of({
      stack: "dev",
      program: () =>
        new Holder("job", (self) => {
          const context = testContext({ kmsKeyArn: KEY });
          const logs = taskLogGroup(
            self,
            "job",
            { context, logGroupName: "/ecs/job", retentionDays: 30 },
            { Name: "l" },
          );
          const execution = executionRole(self, "job", {
            context,
            description: "runs the job",
            repositoryArns: [],
            logGroupArn: logs.arn,
            secretValueFroms: [`${SECRET}:password::`, `${SECRET}:username::`],
            tags: { Name: "e" },
          });
          fargateTaskDefinition(
            self,
            "job",
            {
              family: "saas-dev-job",
              cpu: 256,
              memory: 512,
              architecture: "arm64",
              executionRoleArn: execution.role.arn,
              containers: [{ name: "job" }],
              tags: { Name: "t" },
            },
            execution.policy,
          );
        }),
    });
  });

  it("names every child after the caller and parents it to the caller", () => {
    const holder = p.one("test:index:Holder", "job");
    expect(
      p
        .childrenOf(holder)
        .map((r) => `${r.type}::${r.name}`)
        .sort(),
    ).toEqual([
      "aws:cloudwatch/logGroup:LogGroup::job-logs",
      "aws:ecs/taskDefinition:TaskDefinition::job-task",
      "aws:iam/role:Role::job-execution",
      "aws:iam/rolePolicy:RolePolicy::job-execution",
    ]);
  });

  it("encrypts the log group with the stack key and keeps it for the given days", () => {
    expect(p.one("aws:cloudwatch/logGroup:LogGroup", "job-logs").inputs).toEqual({
      name: "/ecs/job",
      retentionInDays: 30,
      kmsKeyId: KEY,
      tags: { Name: "l" },
    });
  });

  it("reads each secret once, whatever key of it the container selects", () => {
    const policy = json(p.one("aws:iam/rolePolicy:RolePolicy", "job-execution").inputs.policy);
    expect(policy.Statement.find((s: { Sid: string }) => s.Sid === "ReadSecrets").Resource).toEqual([SECRET]);
  });

  it("defines an awsvpc Fargate task on the architecture's platform, with /tmp, after the execution policy", () => {
    const task = p.one("aws:ecs/taskDefinition:TaskDefinition", "job-task");
    expect(task.inputs).toEqual({
      family: "saas-dev-job",
      requiresCompatibilities: ["FARGATE"],
      networkMode: "awsvpc",
      cpu: "256",
      memory: "512",
      runtimePlatform: { operatingSystemFamily: "LINUX", cpuArchitecture: "ARM64" },
      executionRoleArn: p.one("aws:iam/role:Role", "job-execution").outputs.arn,
      volumes: [{ name: "tmp" }],
      containerDefinitions: '[{"name":"job"}]',
      tags: { Name: "t" },
    });
    // ECS uses the role as soon as a task starts: the policy must be attached before the first run.
    expect(task.dependencies).toContain(p.one("aws:iam/rolePolicy:RolePolicy", "job-execution").urn);
  });
});

describe("the private bucket block", () => {
  let p: Planned;
  beforeAll(async () => {
    p = await Planned.of({
      stack: "dev",
      program: () =>
        new Holder("b", (self) => {
          const kms = new PrivateBucket(self, "b-kms", {
            objectOwnership: "BucketOwnerEnforced",
            encryption: { kmsKeyArn: KEY },
            lifecycle: { ruleId: "expire", noncurrentDays: 30 },
            forceDestroy: false,
            tags: { Name: "kms" },
          });
          kms.attachPolicy("{}");
          new PrivateBucket(self, "b-s3", {
            objectOwnership: "BucketOwnerPreferred",
            encryption: "s3-managed",
            lifecycle: { ruleId: "expire-logs", expirationDays: 90, noncurrentDays: 1 },
            forceDestroy: true,
            tags: { Name: "s3" },
          });
        }),
    });
  });
  const input = (type: string, name: string) => p.one(`aws:s3/${type}`, name).inputs;

  it("keeps what a destroy may delete as the caller says", () => {
    expect(input("bucket:Bucket", "b-kms")).toEqual({ forceDestroy: false, tags: { Name: "kms" } });
    expect(input("bucket:Bucket", "b-s3")).toEqual({ forceDestroy: true, tags: { Name: "s3" } });
  });

  it("turns on every public access block flag", () => {
    for (const name of ["b-kms", "b-s3"]) {
      expect(input("bucketPublicAccessBlock:BucketPublicAccessBlock", name)).toMatchObject({
        blockPublicAcls: true,
        blockPublicPolicy: true,
        ignorePublicAcls: true,
        restrictPublicBuckets: true,
      });
    }
  });

  it("encrypts with the stack key and a bucket key, or with SSE-S3 where the writer needs it", () => {
    expect(
      input("bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration", "b-kms").rules,
    ).toEqual([
      { applyServerSideEncryptionByDefault: { sseAlgorithm: "aws:kms", kmsMasterKeyId: KEY }, bucketKeyEnabled: true },
    ]);
    expect(
      input("bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration", "b-s3").rules,
    ).toEqual([{ applyServerSideEncryptionByDefault: { sseAlgorithm: "AES256" } }]);
  });

  it("versions objects and expires them by one rule", () => {
    expect(input("bucketVersioning:BucketVersioning", "b-kms").versioningConfiguration).toEqual({ status: "Enabled" });
    expect(input("bucketLifecycleConfiguration:BucketLifecycleConfiguration", "b-kms").rules).toEqual([
      {
        id: "expire",
        status: "Enabled",
        filter: {},
        noncurrentVersionExpiration: { noncurrentDays: 30 },
        abortIncompleteMultipartUpload: { daysAfterInitiation: 1 },
      },
    ]);
    expect(input("bucketLifecycleConfiguration:BucketLifecycleConfiguration", "b-s3").rules).toEqual([
      {
        id: "expire-logs",
        status: "Enabled",
        filter: {},
        expiration: { days: 90 },
        noncurrentVersionExpiration: { noncurrentDays: 1 },
        abortIncompleteMultipartUpload: { daysAfterInitiation: 1 },
      },
    ]);
  });

  it("puts the bucket policy only after the public access block", () => {
    const policy = p.one("aws:s3/bucketPolicy:BucketPolicy", "b-kms");
    expect(policy.dependencies).toContain(p.one("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock", "b-kms").urn);
    expect(p.ofType("aws:s3/bucketPolicy:BucketPolicy").map((r) => r.name)).toEqual(["b-kms"]);
  });
});
