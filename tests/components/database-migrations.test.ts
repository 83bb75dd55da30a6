import * as fs from "fs";
import * as path from "path";
import {
  FLYWAY_IMAGE,
  MigrationTask,
  MigrationTaskArgs,
  isPinnedImage,
  runnerTaskPolicy,
} from "../../components/database/migrationTask";
import { FARGATE_CPU_VALUES, ecrRepositoryArnOf, executionRolePolicy } from "../../components/shared/fargate";
import { Planned } from "../support/plan";
import { testContext } from "../support/context";
import { LOG_RETENTION_DAYS } from "../../components/shared/logs";

const KEY = "arn:aws:kms:us-east-1:123456789012:key/11111111-2222-3333-4444-555555555555";
const SECRET = "arn:aws:secretsmanager:us-east-1:123456789012:secret:saas-dev/database/migrator-AbCdEf";
const TASK = "aws:ecs/taskDefinition:TaskDefinition";

const args: MigrationTaskArgs = {
  context: testContext({ kmsKeyArn: KEY }),
  databaseEndpoint: "saas-dev-postgres.abc123.us-east-1.rds.amazonaws.com",
  databasePort: 5432,
  databaseName: "app",
  migratorSecretArn: SECRET,
  logRetentionDays: 30,
};

const plan = (a: MigrationTaskArgs) =>
  Planned.of({
    stack: "dev",
    program: () => {
      const task = new MigrationTask("migrations", a);
      return {
        family: task.family,
        logGroupName: task.logGroupName,
        imageRef: task.imageRef,
        resultsBucketName: task.resultsBucketName,
      };
    },
  });

type Container = Record<string, unknown> & {
  environment: { name: string; value: string }[];
  secrets: { name: string; valueFrom: string }[];
};
const containersOf = (p: Planned): Container[] =>
  JSON.parse(p.one(TASK, "migrations-task").inputs.containerDefinitions as string);

describe("MigrationTask with the defaults", () => {
  let p: Planned;
  beforeAll(async () => {
    p = await plan(args);
  });

  it("defines a Fargate task family with a /tmp volume, an execution role and the runner's task role", () => {
    const task = p.one(TASK, "migrations-task");
    expect(task.inputs).toMatchObject({
      family: "saas-dev-migrations",
      requiresCompatibilities: ["FARGATE"],
      networkMode: "awsvpc",
      cpu: "512",
      memory: "1024",
      runtimePlatform: { operatingSystemFamily: "LINUX", cpuArchitecture: "X86_64" },
      executionRoleArn: p.one("aws:iam/role:Role", "migrations-execution").outputs.arn,
      volumes: [{ name: "tmp" }],
    });
    expect(task.inputs.taskRoleArn).toBe(p.one("aws:iam/role:Role", "migrations-runner").outputs.arn);
    expect(p.run.outputs.family).toBe("saas-dev-migrations");
  });

  it("builds the migration image from migrations/ and pushes it to the stack's own repository", () => {
    const repo = p.one("aws:ecr/repository:Repository", "migrations-repo");
    expect(repo.inputs).toMatchObject({
      name: "saas-dev/migrations",
      imageTagMutability: "IMMUTABLE",
      imageScanningConfiguration: { scanOnPush: true },
      encryptionConfigurations: [{ encryptionType: "KMS", kmsKey: KEY }],
      forceDelete: true,
    });
    const image = p.one("docker:index/image:Image", "migrations-image");
    const build = image.inputs.build as { context: string; dockerfile: string; platform: string };
    expect(build.platform).toBe("linux/amd64");
    expect(build.context).toMatch(/^node_modules\/\.cache\/migration-image\/[0-9a-f]{16}$/);
    expect(build.dockerfile).toBe(`${build.context}/Dockerfile`);
    expect(image.inputs.imageName).toMatch(
      new RegExp(`^${repo.outputs.repositoryUrl as string}:0\\.0\\.0-[0-9a-f]{12}$`),
    );
    // The staged context: the Dockerfile, every migration and the callback, and the bundled runner.
    const dir = path.join(__dirname, "..", "..", build.context);
    expect(fs.readFileSync(path.join(dir, "Dockerfile"), "utf8")).toBe(
      fs.readFileSync(path.join(__dirname, "..", "..", "migrations", "Dockerfile"), "utf8"),
    );
    expect(fs.readdirSync(path.join(dir, "tenant")).sort()).toEqual([
      "V1__baseline.sql",
      "V2__add_note_title.sql",
      "afterMigrate.sql",
    ]);
    expect(fs.readFileSync(path.join(dir, "runner", "runner.js"), "utf8")).toContain("MIGRATION_SCHEMAS");
  });

  it("runs the built image by digest, unprivileged on a read-only root filesystem, starting the batch runner", () => {
    const [flyway] = containersOf(p);
    const digest = p.one("docker:index/image:Image", "migrations-image").outputs.repoDigest as string;
    expect(digest).toMatch(/@sha256:[0-9a-f]{64}$/);
    expect(containersOf(p)).toHaveLength(1);
    expect(flyway).toMatchObject({
      name: "flyway",
      image: digest,
      essential: true,
      user: "1000:1000",
      readonlyRootFilesystem: true,
      privileged: false,
      command: ["node", "/opt/runner/runner.js"],
      mountPoints: [{ sourceVolume: "tmp", containerPath: "/tmp", readOnly: false }],
    });
    expect(flyway.entryPoint).toBeUndefined();
    expect(p.run.outputs.imageRef).toBe(digest);
    expect(FLYWAY_IMAGE).toMatch(/^flyway\/flyway:10\.\d+\.\d+$/);
  });

  it("keeps the run results in a private, encrypted bucket the runner may only write to", () => {
    const bucket = p.one("aws:s3/bucket:Bucket", "migrations-results");
    expect(bucket.inputs).toMatchObject({ bucketPrefix: "saas-dev-migration-results-", forceDestroy: true });
    expect(p.run.outputs.resultsBucketName).toBe(bucket.outputs.bucket);
    const policy = p.one("aws:iam/rolePolicy:RolePolicy", "migrations-runner");
    expect(policy.inputs.role).toBe(p.one("aws:iam/role:Role", "migrations-runner").outputs.id);
    expect(JSON.parse(policy.inputs.policy as string)).toEqual(
      runnerTaskPolicy({ bucketArn: bucket.outputs.arn as string, kmsKeyArn: KEY, region: "us-east-1" }),
    );
    expect(runnerTaskPolicy({ bucketArn: "arn:aws:s3:::b", kmsKeyArn: KEY, region: "us-east-1" }).Statement).toEqual([
      { Sid: "WriteResults", Effect: "Allow", Action: "s3:PutObject", Resource: "arn:aws:s3:::b/*" },
      {
        Sid: "EncryptResults",
        Effect: "Allow",
        Action: "kms:GenerateDataKey",
        Resource: KEY,
        Condition: { StringEquals: { "kms:ViaService": "s3.us-east-1.amazonaws.com" } },
      },
    ]);
  });

  it("connects with TLS, creates no schema, and takes the credentials from the migrator secret only", () => {
    const [flyway] = containersOf(p);
    expect(flyway.environment).toEqual([
      { name: "MIGRATION_RESULTS_BUCKET", value: p.one("aws:s3/bucket:Bucket", "migrations-results").outputs.bucket },
      {
        name: "FLYWAY_URL",
        value: "jdbc:postgresql://saas-dev-postgres.abc123.us-east-1.rds.amazonaws.com:5432/app?sslmode=require",
      },
      { name: "FLYWAY_LOCATIONS", value: "filesystem:/flyway/sql" },
      { name: "FLYWAY_CREATE_SCHEMAS", value: "false" },
      { name: "FLYWAY_CONNECT_RETRIES", value: "10" },
      { name: "FLYWAY_VALIDATE_MIGRATION_NAMING", value: "true" },
      { name: "REDGATE_DISABLE_TELEMETRY", value: "true" },
      { name: "HOME", value: "/tmp" },
    ]);
    // The schema is chosen per run (container override); the task definition must not pick one.
    expect(flyway.environment.map((e) => e.name)).not.toContain("FLYWAY_SCHEMAS");
    expect(flyway.secrets).toEqual([
      { name: "FLYWAY_USER", valueFrom: `${SECRET}:username::` },
      { name: "FLYWAY_PASSWORD", valueFrom: `${SECRET}:password::` },
    ]);
  });

  it("logs to its own KMS-encrypted log group with retention", () => {
    const group = p.one("aws:cloudwatch/logGroup:LogGroup", "migrations-logs");
    expect(group.inputs).toMatchObject({ name: "/ecs/saas-dev-migrations", retentionInDays: 30, kmsKeyId: KEY });
    expect(containersOf(p)[0].logConfiguration).toEqual({
      logDriver: "awslogs",
      options: {
        "awslogs-group": "/ecs/saas-dev-migrations",
        "awslogs-region": "us-east-1",
        "awslogs-stream-prefix": "flyway",
      },
    });
  });

  it("lets only this account's ECS tasks assume the execution role", () => {
    const role = p.one("aws:iam/role:Role", "migrations-execution");
    expect(JSON.parse(role.inputs.assumeRolePolicy as string).Statement).toEqual([
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
  });

  it("scopes the execution role to its own repository, the migrator secret, the key through Secrets Manager, and its log group", () => {
    const policy = p.one("aws:iam/rolePolicy:RolePolicy", "migrations-execution");
    const logGroupArn = p.one("aws:cloudwatch/logGroup:LogGroup", "migrations-logs").outputs.arn;
    expect(policy.inputs.role).toBe(p.one("aws:iam/role:Role", "migrations-execution").outputs.id);
    expect(JSON.parse(policy.inputs.policy as string)).toEqual({
      Version: "2012-10-17",
      Statement: [
        {
          Sid: "PullImage",
          Effect: "Allow",
          Action: ["ecr:BatchCheckLayerAvailability", "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"],
          Resource: ["arn:aws:ecr:us-east-1:123456789012:repository/saas-dev/migrations"],
        },
        { Sid: "RegistryLogin", Effect: "Allow", Action: "ecr:GetAuthorizationToken", Resource: "*" },
        {
          Sid: "WriteLogs",
          Effect: "Allow",
          Action: ["logs:CreateLogStream", "logs:PutLogEvents"],
          Resource: `${logGroupArn}:*`,
        },
        { Sid: "ReadSecrets", Effect: "Allow", Action: "secretsmanager:GetSecretValue", Resource: [SECRET] },
        {
          Sid: "DecryptSecrets",
          Effect: "Allow",
          Action: "kms:Decrypt",
          Resource: KEY,
          Condition: { StringEquals: { "kms:ViaService": "secretsmanager.us-east-1.amazonaws.com" } },
        },
      ],
    });
    expect(p.one(TASK, "migrations-task").dependencies).toContain(policy.urn);
  });

  it("parents every child to the component and keeps child names stable", () => {
    const component = p.one("saas:database:MigrationTask", "migrations");
    expect(p.resources.filter((r) => r.custom && r.parent !== component.urn)).toEqual([]);
    expect(
      p
        .childrenOf(component)
        .map((c) => `${c.type} ${c.name}`)
        .sort(),
    ).toEqual([
      "aws:cloudwatch/logGroup:LogGroup migrations-logs",
      "aws:ecr/lifecyclePolicy:LifecyclePolicy migrations-repo-lifecycle",
      "aws:ecr/repository:Repository migrations-repo",
      "aws:ecs/taskDefinition:TaskDefinition migrations-task",
      "aws:iam/role:Role migrations-execution",
      "aws:iam/role:Role migrations-runner",
      "aws:iam/rolePolicy:RolePolicy migrations-execution",
      "aws:iam/rolePolicy:RolePolicy migrations-runner",
      "aws:s3/bucket:Bucket migrations-results",
      "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration migrations-results",
      "aws:s3/bucketOwnershipControls:BucketOwnershipControls migrations-results",
      "aws:s3/bucketPolicy:BucketPolicy migrations-results",
      "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock migrations-results",
      "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration migrations-results",
      "aws:s3/bucketVersioning:BucketVersioning migrations-results",
      "docker:index/image:Image migrations-image",
    ]);
  });
});

describe("MigrationTask with deletion protection", () => {
  it("keeps the repository and the results through a destroy", async () => {
    const p = await plan({ ...args, deletionProtection: true });
    expect(p.one("aws:ecr/repository:Repository", "migrations-repo").inputs.forceDelete).toBe(false);
    expect(p.one("aws:s3/bucket:Bucket", "migrations-results").inputs.forceDestroy).toBe(false);
  });
});

describe("MigrationTask with an image outside ECR", () => {
  it("is refused where the tasks have no route to another registry", async () => {
    await expect(plan({ ...args, image: "flyway/flyway:10.22.0", noInternetEgress: true })).rejects.toThrow(
      'MigrationTask "migrations": invalid arguments:\n' +
        '  - image: "flyway/flyway:10.22.0" is not in ECR and the tasks have no route to another registry (CannotPullContainerError); leave image unset to build it here, or push it to this account\'s ECR',
    );
  });

  it("runs where the tasks reach the internet, with no pull rights and nothing built", async () => {
    const p = await plan({ ...args, image: "registry.example.com/migrations:1.0.0" });
    expect(containersOf(p)[0].image).toBe("registry.example.com/migrations:1.0.0");
    expect(
      p.resources.filter((r) => r.type === "docker:index/image:Image" || r.type === "aws:ecr/repository:Repository"),
    ).toEqual([]);
    const sids = (
      JSON.parse(p.one("aws:iam/rolePolicy:RolePolicy", "migrations-execution").inputs.policy as string).Statement as {
        Sid: string;
      }[]
    ).map((st) => st.Sid);
    expect(sids).toEqual(["WriteLogs", "ReadSecrets", "DecryptSecrets"]);
  });
});

describe("MigrationTask with an ECR image", () => {
  it("pulls from that one repository", async () => {
    const image = "123456789012.dkr.ecr.us-east-1.amazonaws.com/saas-migrations:2026.11.1";
    const p = await plan({ ...args, image, cpu: 1024, memory: 2048 });
    expect(containersOf(p)[0].image).toBe(image);
    expect(p.one(TASK, "migrations-task").inputs).toMatchObject({ cpu: "1024", memory: "2048" });
    const statements = JSON.parse(
      p.one("aws:iam/rolePolicy:RolePolicy", "migrations-execution").inputs.policy as string,
    ).Statement as { Sid: string; Action: unknown; Resource: unknown }[];
    expect(statements.slice(0, 2)).toEqual([
      {
        Sid: "PullImage",
        Effect: "Allow",
        Action: ["ecr:BatchCheckLayerAvailability", "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"],
        Resource: ["arn:aws:ecr:us-east-1:123456789012:repository/saas-migrations"],
      },
      { Sid: "RegistryLogin", Effect: "Allow", Action: "ecr:GetAuthorizationToken", Resource: "*" },
    ]);
    expect(statements.map((s) => s.Sid)).toEqual([
      "PullImage",
      "RegistryLogin",
      "WriteLogs",
      "ReadSecrets",
      "DecryptSecrets",
    ]);
  });
});

describe("migration task helpers", () => {
  it.each<[string, boolean]>([
    ["flyway/flyway:10.22.0", true],
    ["flyway/flyway:10.22.0-alpine", true],
    [`flyway/flyway@sha256:${"a".repeat(64)}`, true],
    ["registry.example.com:5000/flyway:1.2.3", true],
    ["flyway/flyway", false],
    ["flyway/flyway:latest", false],
    ["registry.example.com:5000/flyway", false],
    ["flyway/flyway@sha256:abc", false],
  ])("isPinnedImage(%s) is %s", (image, pinned) => {
    expect(isPinnedImage(image)).toBe(pinned);
  });

  it.each<[string, string | undefined]>([
    [
      "123456789012.dkr.ecr.eu-west-1.amazonaws.com/team/migrations:1.0.0",
      "arn:aws:ecr:eu-west-1:123456789012:repository/team/migrations",
    ],
    [
      `123456789012.dkr.ecr.us-east-1.amazonaws.com/migrations@sha256:${"b".repeat(64)}`,
      "arn:aws:ecr:us-east-1:123456789012:repository/migrations",
    ],
    ["flyway/flyway:10.22.0", undefined],
    ["public.ecr.aws/flyway/flyway:10.22.0", undefined],
  ])("ecrRepositoryArnOf(%s)", (image, arn) => {
    expect(ecrRepositoryArnOf(image, "aws")).toBe(arn);
  });

  it("grants nothing sensitive on *", () => {
    const doc = executionRolePolicy({
      secretArns: [SECRET],
      kmsKeyArn: KEY,
      logGroupArn: "arn:l",
      region: "us-east-1",
      repositoryArns: ["arn:r"],
    });
    const onStar = doc.Statement.filter((s) => s.Resource === "*").map((s) => s.Action);
    expect(onStar).toEqual(["ecr:GetAuthorizationToken"]);
  });

  it("rejects bad arguments at once, before registering anything", async () => {
    const registered: string[] = [];
    await expect(
      Planned.of({
        stack: "dev",
        onRegister: (r) => registered.push(r.type),
        program: () =>
          new MigrationTask("migrations", {
            ...args,
            logRetentionDays: 0,
            image: "flyway/flyway:latest",
            cpu: 512,
            memory: 512,
          }),
      }),
    ).rejects.toThrow(
      [
        'MigrationTask "migrations": invalid arguments:',
        `  - logRetentionDays: expected one of CloudWatch Logs' retention periods (${LOG_RETENTION_DAYS.join(", ")}), got 0`,
        '  - image: expected an image pinned by a release tag other than latest or by an @sha256: digest (e.g. flyway/flyway:10.22.0), got "flyway/flyway:latest"',
        "  - memory: expected a memory size Fargate offers with 512 CPU units: 1024, 2048, 3072, 4096, got 512",
      ].join("\n"),
    );
    expect(registered).toEqual(["pulumi:pulumi:Stack"]);
  });

  it("rejects a CPU size it does not know", async () => {
    await expect(plan({ ...args, cpu: 300 })).rejects.toThrow(
      `cpu: expected one of Fargate's CPU values ${FARGATE_CPU_VALUES.join(", ")}, got 300`,
    );
  });
});
