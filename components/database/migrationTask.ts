import * as pulumi from "@pulumi/pulumi";
import { ComponentArgsError, nameTags } from "../shared/naming";
import { logRetentionProblem } from "../shared/logs";
import { StackContext } from "../shared/context";
import {
  ecrRepositoryArnOf,
  fargateContainer,
  fargateSizeArgumentProblem,
  imageReferenceProblem,
} from "../shared/fargate";
import { executionRole, fargateTaskDefinition, taskLogGroup } from "../shared/fargateTask";

/**
 * The last Flyway 10 release (10.22.0, November 2024), pinned by its exact tag. Flyway 11 changed defaults and
 * configuration; moving to it is a deliberate change with a test run against a restored copy.
 */
export const FLYWAY_IMAGE = "flyway/flyway:10.22.0";
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
   * Flyway image with the migrations, pinned by a release tag or a digest. An ECR image of this account
   * (`<account>.dkr.ecr.<region>.amazonaws.com/<repo>:<tag>`) gets pull rights on that repository only.
   * @default FLYWAY_IMAGE - the bare Flyway image; migrations then come from `locations`
   */
  readonly image?: string;
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
  }
  const size = fargateSizeArgumentProblem(args.cpu ?? 512, args.memory ?? 1024);
  if (size) {
    problems.push(size);
  }
  return problems;
}

export interface FlywayContainerInput {
  readonly image: string;
  readonly jdbcUrl: string;
  readonly locations: string;
  readonly migratorSecretArn: string;
  readonly logGroupName: string;
  readonly region: string;
}

/**
 * Refuses to start unless the run names the schema(s) it migrates, as FLYWAY_SCHEMAS or a `-schemas=` argument
 * (runbooks/database-migrations.md), so a forgotten override cannot migrate the migrator's default schema.
 */
export const SCHEMA_GUARD =
  'case " $* " in *" -schemas="*) ;; *) test -n "$FLYWAY_SCHEMAS" || ' +
  '{ echo "no schema given: set FLYWAY_SCHEMAS or pass -schemas= in the run-task overrides" >&2; exit 2; } ;; esac; ' +
  'exec flyway "$@"';

/**
 * The Flyway container: unprivileged, read-only root filesystem with a scratch /tmp, credentials from Secrets
 * Manager (never in the environment), TLS to the database, and Flyway told not to create schemas: they are
 * created, owned and granted by the tenant-schemas component.
 */
export function flywayContainer(input: FlywayContainerInput) {
  return fargateContainer({
    name: CONTAINER_NAME,
    image: input.image,
    user: CONTAINER_USER,
    entryPoint: ["/bin/sh", "-c", SCHEMA_GUARD, "flyway"],
    command: ["migrate"],
    environment: [
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
 * A Fargate task definition that runs Flyway as the `migrator` role against the stack's database, one run per
 * tenant schema (or a list of them), started by hand or by CI with `aws ecs run-task`. No service: it runs to
 * completion and stops. The task has no task role: Flyway calls no AWS API.
 */
export class MigrationTask extends pulumi.ComponentResource {
  /** Task definition family; `run-task --task-definition <family>` runs its latest revision. */
  public readonly family: pulumi.Output<string>;
  public readonly taskDefinitionArn: pulumi.Output<string>;
  public readonly logGroupName: pulumi.Output<string>;
  public readonly executionRoleArn: pulumi.Output<string>;
  public readonly containerName: string;

  constructor(name: string, args: MigrationTaskArgs, opts?: pulumi.ComponentResourceOptions) {
    const problems = validateMigrationTaskArgs(args);
    if (problems.length > 0) {
      throw new ComponentArgsError(`MigrationTask "${name}"`, problems);
    }
    super("saas:database:MigrationTask", name, {}, opts);
    const image = args.image ?? FLYWAY_IMAGE;
    const locations = args.locations ?? "filesystem:/flyway/sql";
    const cpu = args.cpu ?? 512;
    const memory = args.memory ?? 1024;
    const prefix = args.context.namePrefix;
    const family = `${prefix}-migrations`;
    const tags = (suffix: string) => nameTags(`${prefix}-${suffix}`, args.tags);

    const logGroup = taskLogGroup(
      this,
      name,
      { context: args.context, logGroupName: `/ecs/${family}`, retentionDays: args.logRetentionDays },
      tags("migrations"),
    );
    const execution = executionRole(this, name, {
      context: args.context,
      description: `${prefix}: starts the Flyway migration task (migrator secret, logs)`,
      repositoryArns: pulumi.output(args.context.partition).apply((partition) => {
        const arn = ecrRepositoryArnOf(image, partition);
        return arn ? [arn] : [];
      }),
      logGroupArn: logGroup.arn,
      // The only secret the task reads; both valueFroms select keys of it.
      secretValueFroms: pulumi.output(args.migratorSecretArn).apply((arn) => [arn]),
      tags: tags("migrations-execution"),
    });

    const taskDefinition = fargateTaskDefinition(
      this,
      name,
      {
        family,
        cpu,
        memory,
        architecture: "x86_64",
        executionRoleArn: execution.role.arn,
        containers: pulumi
          .all([args.databaseEndpoint, args.databasePort, args.databaseName, args.migratorSecretArn, logGroup.name])
          .apply(([host, port, database, secretArn, logGroupName]) => [
            flywayContainer({
              image,
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
    this.containerName = CONTAINER_NAME;
    this.registerOutputs({
      family: this.family,
      taskDefinitionArn: this.taskDefinitionArn,
      logGroupName: this.logGroupName,
      executionRoleArn: this.executionRoleArn,
    });
  }
}
