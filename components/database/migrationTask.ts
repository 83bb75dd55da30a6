import * as pulumi from "@pulumi/pulumi";
import { Role } from "@pulumi/aws/iam/role";
import { RolePolicy } from "@pulumi/aws/iam/rolePolicy";
import { ComponentArgsError, nameTags } from "../shared/naming";
import { logRetentionProblem } from "../shared/logs";
import { StackContext } from "../shared/context";
import {
  ecrRepositoryArnOf,
  fargateContainer,
  fargateSizeArgumentProblem,
  imageReferenceProblem,
} from "../shared/fargate";
import { ecsTasksAssumeRolePolicy, executionRole, fargateTaskDefinition, taskLogGroup } from "../shared/fargateTask";
import { imageRepository, pushedImage } from "../shared/ecrImage";
import { DR_ROLE_TAG, PrivateBucket } from "../shared/privateBucket";
import { denyInsecureTransport, policyDocument, PolicyDocument } from "../shared/policies";
import { BATCH_ENVIRONMENT } from "../tenant-migrations/batchRunner";
import { stageMigrationImage } from "./migrationImage";

/**
 * The last Flyway 10 release (10.22.0, November 2024), pinned by its exact tag: the base of the migration image
 * (migrations/Dockerfile names the same tag). Flyway 11 changed defaults and configuration; moving to it is a
 * deliberate change with a test run against a restored copy.
 */
export const FLYWAY_IMAGE = "flyway/flyway:10.22.0";
/** What the migration container starts: the batch runner (one Flyway run per schema of its batch). */
export const RUNNER_COMMAND = ["node", "/opt/runner/runner.js"];
/** The migration image's platform: the task runs on x86_64 (linux/amd64). */
export const MIGRATION_PLATFORM = "linux/amd64";
/** Bucket name prefix of the run results, so the S3 gateway endpoint's policy can name it before it exists. */
export function resultsBucketPrefix(namePrefix: string): string {
  return `${namePrefix}-migration-results-`;
}
export const CONTAINER_NAME = "flyway";
/** The image's users are root only; any unprivileged UID can read /flyway, and HOME and temp files go to /tmp. */
export const CONTAINER_USER = "1000:1000";

export interface MigrationTaskArgs {
  /**
   * The stack's name prefix (the task family is `<namePrefix>-migrations`), region, account and partition (the
   * execution role's confused-deputy conditions) and key: it encrypts the migrator secret and the log group.
   */
  readonly context: StackContext;
  /** Host name of the database. */
  readonly databaseEndpoint: pulumi.Input<string>;
  /** Port of the database. */
  readonly databasePort: pulumi.Input<number>;
  /** Database the tenant schemas live in. */
  readonly databaseName: pulumi.Input<string>;
  /** Secrets Manager secret `{"username","password"}` of the migrator role; the only secret the task can read. */
  readonly migratorSecretArn: pulumi.Input<string>;
  /** Days the migration logs are kept; one of CloudWatch Logs' retention values. */
  readonly logRetentionDays: number;
  /**
   * A prebuilt migration image (Flyway, the migrations in /flyway/sql and the runner, as migrations/Dockerfile
   * builds it), pinned by a release tag or a digest. An ECR image (`<account>.dkr.ecr.<region>.amazonaws.com/
   * <repo>:<tag>`) gets pull rights on that repository only.
   * @default - the migration image is built here from migrations/ and pushed to the stack's `<namePrefix>/migrations`
   *   repository; the task definition names it by digest
   */
  readonly image?: string;
  /**
   * The tasks reach no registry outside AWS (their HTTPS egress goes to the VPC endpoints only): an image
   * outside ECR could not be pulled.
   * @default false
   */
  readonly noInternetEgress?: boolean;
  /**
   * Keep the repository and the run results through a destroy (production).
   * @default false
   */
  readonly deletionProtection?: boolean;
  /**
   * Where Flyway finds the migrations (FLYWAY_LOCATIONS).
   * @default "filesystem:/flyway/sql" - where an image built `FROM flyway/flyway` copies them
   */
  readonly locations?: string;
  /**
   * Fargate CPU units of the task.
   * @default 512
   */
  readonly cpu?: number;
  /**
   * Fargate memory of the task, MiB; a size Fargate allows for `cpu`.
   * @default 1024
   */
  readonly memory?: number;
  /** Extra tags; cost tags come from the provider's defaultTags. */
  readonly tags?: Readonly<Record<string, string>>;
}

/** An image reference that names a release: a digest, or a tag other than `latest` (the one shared check). */
export function isPinnedImage(image: string): boolean {
  return imageReferenceProblem(image) === undefined;
}

/** Problems with the arguments, one message each, in the order of the fields. */
export function validateMigrationTaskArgs(args: MigrationTaskArgs): string[] {
  const problems: string[] = [];
  const retention = logRetentionProblem("logRetentionDays", args.logRetentionDays);
  if (retention) {
    problems.push(retention);
  }

  const image = args.image === undefined ? undefined : imageReferenceProblem(args.image);
  if (image) {
    problems.push(`image: ${image} (e.g. ${FLYWAY_IMAGE}), got ${JSON.stringify(args.image)}`);
  } else if (args.image !== undefined && args.noInternetEgress && ecrRepositoryArnOf(args.image, "aws") === undefined) {
    problems.push(
      `image: ${JSON.stringify(args.image)} is not in ECR and the tasks have no route to another registry ` +
        "(CannotPullContainerError); leave image unset to build it here, or push it to this account's ECR",
    );
  }
  const size = fargateSizeArgumentProblem(args.cpu ?? 512, args.memory ?? 1024);
  if (size) {
    problems.push(size);
  }
  return problems;
}

export interface FlywayContainerInput {
  readonly image: string;
  /** Bucket the runner writes each batch's results to. */
  readonly resultsBucket: string;
  readonly jdbcUrl: string;
  readonly locations: string;
  readonly migratorSecretArn: string;
  readonly logGroupName: string;
  readonly region: string;
}

/**
 * The migration container: the batch runner, which runs Flyway once per schema of the batch the state machine
 * puts in its environment (MIGRATION_RUN_ID, MIGRATION_BATCH_ID, MIGRATION_SCHEMAS) and refuses to start
 * without one. Unprivileged, read-only root filesystem with a scratch /tmp, credentials from Secrets Manager
 * (never in the environment), TLS to the database, and Flyway told not to create schemas: they are created,
 * owned and granted by the tenant plane.
 */
export function flywayContainer(input: FlywayContainerInput) {
  return fargateContainer({
    name: CONTAINER_NAME,
    image: input.image,
    user: CONTAINER_USER,
    command: RUNNER_COMMAND,
    environment: [
      { name: BATCH_ENVIRONMENT.resultsBucket, value: input.resultsBucket },
      { name: "FLYWAY_URL", value: input.jdbcUrl },
      { name: "FLYWAY_LOCATIONS", value: input.locations },
      { name: "FLYWAY_CREATE_SCHEMAS", value: "false" },
      { name: "FLYWAY_CONNECT_RETRIES", value: "10" },
      { name: "FLYWAY_VALIDATE_MIGRATION_NAMING", value: "true" },
      { name: "REDGATE_DISABLE_TELEMETRY", value: "true" },
      { name: "HOME", value: "/tmp" },
    ],
    secrets: [
      { name: "FLYWAY_USER", valueFrom: `${input.migratorSecretArn}:username::` },
      { name: "FLYWAY_PASSWORD", valueFrom: `${input.migratorSecretArn}:password::` },
    ],
    logGroupName: input.logGroupName,
    region: input.region,
  });
}

/**
 * The runner's own AWS permissions: write its batch's results (SSE-KMS with the stack key, so S3 asks KMS for a
 * data key on its behalf). Nothing else: Flyway and the version reads use the database credentials only.
 * Actions: "Actions, resources, and condition keys for Amazon S3" (PutObject on an object ARN) and the S3 user
 * guide's "Using server-side encryption with AWS KMS keys" (kms:GenerateDataKey for uploads).
 */
export function runnerTaskPolicy(a: { bucketArn: string; kmsKeyArn: string; region: string }): PolicyDocument {
  return policyDocument([
    { Sid: "WriteResults", Effect: "Allow", Action: "s3:PutObject", Resource: `${a.bucketArn}/*` },
    {
      Sid: "EncryptResults",
      Effect: "Allow",
      Action: "kms:GenerateDataKey",
      Resource: a.kmsKeyArn,
      Condition: { StringEquals: { "kms:ViaService": `s3.${a.region}.amazonaws.com` } },
    },
  ]);
}

/**
 * The migration task: a Fargate task definition whose container is the batch runner in the migration image
 * (built here from migrations/ and pinned by digest, or a prebuilt one), run by the fleet state machine
 * (components/tenant-migrations/fleetMigrator.ts) once per batch of tenant schemas, as the `migrator` role,
 * against the stack's database. No service: it runs to completion and stops. Its task role may only write the
 * run results to the results bucket, which the state machine reads back.
 */
export class MigrationTask extends pulumi.ComponentResource {
  /** Task definition family; `run-task --task-definition <family>` runs its latest revision. */
  public readonly family: pulumi.Output<string>;
  public readonly taskDefinitionArn: pulumi.Output<string>;
  public readonly logGroupName: pulumi.Output<string>;
  public readonly executionRoleArn: pulumi.Output<string>;
  /** The runner's role: writes the results. */
  public readonly taskRoleArn: pulumi.Output<string>;
  public readonly containerName: string;
  /** The image the task definition runs: `<repository>@sha256:<digest>` when built here. */
  public readonly imageRef: pulumi.Output<string>;
  /** The stack's migration image repository; undefined with a prebuilt image. */
  public readonly repositoryUrl?: pulumi.Output<string>;
  /** Where the runner writes `<runId>/<batchId>.json`. */
  public readonly resultsBucketName: pulumi.Output<string>;
  public readonly resultsBucketArn: pulumi.Output<string>;

  constructor(name: string, args: MigrationTaskArgs, opts?: pulumi.ComponentResourceOptions) {
    const problems = validateMigrationTaskArgs(args);
    if (problems.length > 0) {
      throw new ComponentArgsError(`MigrationTask "${name}"`, problems);
    }
    super("saas:database:MigrationTask", name, {}, opts);
    const locations = args.locations ?? "filesystem:/flyway/sql";
    const cpu = args.cpu ?? 512;
    const memory = args.memory ?? 1024;
    const deletionProtection = args.deletionProtection ?? false;
    const prefix = args.context.namePrefix;
    const family = `${prefix}-migrations`;
    const tags = (suffix: string) => nameTags(`${prefix}-${suffix}`, args.tags);

    // --- image: built from migrations/ and pinned by digest, unless a prebuilt one is named ---
    let image: pulumi.Output<string>;
    let pullFrom: pulumi.Output<string[]>;
    if (args.image === undefined) {
      const repository = imageRepository(this, name, {
        repositoryName: `${prefix}/migrations`,
        kmsKeyArn: args.context.kmsKeyArn,
        forceDelete: !deletionProtection,
        tags: tags("migrations"),
      });
      const staged = pulumi.output(stageMigrationImage(MIGRATION_PLATFORM));
      image = pushedImage(this, name, repository, { context: staged.context, tag: staged.tag }, MIGRATION_PLATFORM);
      pullFrom = repository.arn.apply((arn) => [arn]);
      this.repositoryUrl = repository.repositoryUrl;
    } else {
      const prebuilt = args.image;
      image = pulumi.output(prebuilt);
      pullFrom = pulumi.output(args.context.partition).apply((partition) => {
        const arn = ecrRepositoryArnOf(prebuilt, partition);
        return arn ? [arn] : [];
      });
    }

    // --- run results ---
    const results = new PrivateBucket(this, `${name}-results`, {
      bucketPrefix: resultsBucketPrefix(prefix),
      objectOwnership: "BucketOwnerEnforced",
      encryption: { kmsKeyArn: args.context.kmsKeyArn },
      // The execution history keeps every result for 90 days; the objects need not outlive it.
      lifecycle: { ruleId: "expire-results", expirationDays: 90, noncurrentDays: 7 },
      forceDestroy: !deletionProtection,
      // A copy of what each execution's output and the state machine's log hold: no cross-region copy needed.
      tags: { ...tags("migration-results"), [DR_ROLE_TAG]: "logs" },
    });
    results.attachPolicy(
      results.bucket.arn.apply((arn) => JSON.stringify(policyDocument([denyInsecureTransport(arn)]))),
    );

    const logGroup = taskLogGroup(
      this,
      name,
      { context: args.context, logGroupName: `/ecs/${family}`, retentionDays: args.logRetentionDays },
      tags("migrations"),
    );
    const execution = executionRole(this, name, {
      context: args.context,
      description: `${prefix}: starts the migration task (image, migrator secret, logs)`,
      repositoryArns: pullFrom,
      logGroupArn: logGroup.arn,
      // The only secret the task reads; both valueFroms select keys of it.
      secretValueFroms: pulumi.output(args.migratorSecretArn).apply((arn) => [arn]),
      tags: tags("migrations-execution"),
    });
    const taskRole = new Role(
      `${name}-runner`,
      {
        description: `${prefix}: the migration runner writes its batch results`,
        assumeRolePolicy: ecsTasksAssumeRolePolicy(args.context),
        tags: tags("migrations-runner"),
      },
      { parent: this },
    );
    new RolePolicy(
      `${name}-runner`,
      {
        role: taskRole.id,
        policy: pulumi
          .all([results.bucket.arn, args.context.kmsKeyArn])
          .apply(([bucketArn, kmsKeyArn]) =>
            JSON.stringify(runnerTaskPolicy({ bucketArn, kmsKeyArn, region: args.context.region })),
          ),
      },
      { parent: this },
    );

    const taskDefinition = fargateTaskDefinition(
      this,
      name,
      {
        family,
        cpu,
        memory,
        architecture: "x86_64",
        executionRoleArn: execution.role.arn,
        taskRoleArn: taskRole.arn,
        containers: pulumi
          .all([
            args.databaseEndpoint,
            args.databasePort,
            args.databaseName,
            args.migratorSecretArn,
            logGroup.name,
            image,
            results.bucket.bucket,
          ])
          .apply(([host, port, database, secretArn, logGroupName, imageRef, bucket]) => [
            flywayContainer({
              image: imageRef,
              resultsBucket: bucket,
              jdbcUrl: `jdbc:postgresql://${host}:${port}/${database}?sslmode=require`,
              locations,
              migratorSecretArn: secretArn,
              logGroupName,
              region: args.context.region,
            }),
          ]),
        tags: tags("migrations"),
      },
      execution.policy,
    );

    this.family = taskDefinition.family;
    this.taskDefinitionArn = taskDefinition.arn;
    this.logGroupName = logGroup.name;
    this.executionRoleArn = execution.role.arn;
    this.taskRoleArn = taskRole.arn;
    this.containerName = CONTAINER_NAME;
    this.imageRef = image;
    this.resultsBucketName = results.bucket.bucket;
    this.resultsBucketArn = results.bucket.arn;
    this.registerOutputs({
      family: this.family,
      taskDefinitionArn: this.taskDefinitionArn,
      logGroupName: this.logGroupName,
      executionRoleArn: this.executionRoleArn,
      taskRoleArn: this.taskRoleArn,
      imageRef: this.imageRef,
      resultsBucketName: this.resultsBucketName,
    });
  }
}
