import * as pulumi from "@pulumi/pulumi";
import { StateMachine } from "@pulumi/aws/sfn/stateMachine";
import { Role } from "@pulumi/aws/iam/role";
import { RolePolicy } from "@pulumi/aws/iam/rolePolicy";
import { LogGroup } from "@pulumi/aws/cloudwatch/logGroup";
import { StackContext } from "../shared/context";
import { ComponentArgsError, nameTags } from "../shared/naming";
import { logRetentionProblem } from "../shared/logs";
import { PolicyDocument, policyDocument, serviceTrustPolicy } from "../shared/policies";
import { fleetDefinition } from "./definition";
import { FleetRunPlan, MAP_MAX_CONCURRENCY } from "./waves";

export interface FleetMigratorArgs {
  /** The stack's name prefix (the state machine is `<namePrefix>-tenant-migrations`), region, account, key. */
  readonly context: StackContext;
  /** ARN of the ECS cluster the migration tasks run in. */
  readonly clusterArn: pulumi.Input<string>;
  /** The migration task definition (ARN with revision) every batch runs. */
  readonly taskDefinitionArn: pulumi.Input<string>;
  /** Its family: RunTask is allowed on this family's revisions only. */
  readonly taskDefinitionFamily: pulumi.Input<string>;
  /** Name of the runner container (the container override's target). */
  readonly containerName: string;
  /** The task's execution and task roles: the only roles the state machine may pass, and only to ECS tasks. */
  readonly taskRoleArns: readonly pulumi.Input<string>[];
  /** Private subnets the tasks run in. */
  readonly subnetIds: pulumi.Input<pulumi.Input<string>[]>;
  /** Security groups of the tasks (the one the database admits). */
  readonly securityGroupIds: pulumi.Input<pulumi.Input<string>[]>;
  /** The bucket the runner writes `<runId>/<batchId>.json` to. */
  readonly resultsBucketName: pulumi.Input<string>;
  readonly resultsBucketArn: pulumi.Input<string>;
  /** Batches at once: `migrationConcurrency` of the migrator's connection share (1 to 40). */
  readonly concurrency: number;
  /**
   * A batch's task is stopped and the batch failed after this many seconds.
   * @default 3600
   */
  readonly batchTimeoutSeconds?: number;
  /**
   * The whole run is stopped after this many seconds.
   * @default 14400 - four hours
   */
  readonly runTimeoutSeconds?: number;
  /** Days the state machine's execution log is kept; one of CloudWatch Logs' retention values. */
  readonly logRetentionDays: number;
  /**
   * The run `npm run migrate` would start for the stack's tenants today (waves.ts planFleetRun). It changes
   * nothing deployed: the offline plan shows it and the cost estimate prices it.
   * @default - no planned run shown or priced
   */
  readonly plannedRun?: FleetRunPlan;
  /** Extra tags; cost tags come from the provider's defaultTags. */
  readonly tags?: Readonly<Record<string, string>>;
}

/** Problems with the arguments, one message each, in the order of the fields. */
export function validateFleetMigratorArgs(args: FleetMigratorArgs): string[] {
  const problems: string[] = [];
  const c = args.concurrency;
  if (!Number.isInteger(c) || c < 1 || c > MAP_MAX_CONCURRENCY) {
    problems.push(`concurrency: expected a whole number from 1 to ${MAP_MAX_CONCURRENCY}, got ${JSON.stringify(c)}`);
  }
  const batch = args.batchTimeoutSeconds ?? 3600;
  const run = args.runTimeoutSeconds ?? 14_400;
  if (!Number.isInteger(batch) || batch < 60) {
    problems.push(`batchTimeoutSeconds: expected a whole number of seconds ≥ 60, got ${JSON.stringify(batch)}`);
  } else if (!Number.isInteger(run) || run <= batch) {
    problems.push(
      `runTimeoutSeconds: expected a whole number of seconds above batchTimeoutSeconds (${batch}), got ${JSON.stringify(run)}`,
    );
  }
  const retention = logRetentionProblem("logRetentionDays", args.logRetentionDays);
  if (retention) problems.push(retention);
  return problems;
}

export interface FleetPolicyInput {
  readonly partition: string;
  readonly region: string;
  readonly accountId: string;
  readonly clusterArn: string;
  readonly taskDefinitionFamily: string;
  readonly taskRoleArns: readonly string[];
  readonly resultsBucketArn: string;
  readonly kmsKeyArn: string;
}

/**
 * What the state machine's role may do, and nothing more. Pure, so tests read it statement by statement.
 */
export function fleetMigratorPolicy(a: FleetPolicyInput): PolicyDocument {
  const arn = (service: string, resource: string) =>
    `arn:${a.partition}:${service}:${a.region}:${a.accountId}:${resource}`;
  const cluster = { ArnEquals: { "ecs:cluster": a.clusterArn } };
  const clusterName = a.clusterArn.slice(a.clusterArn.lastIndexOf("/") + 1);
  return policyDocument([
    // "IAM policies for calling Amazon ECS/AWS Fargate" (Step Functions Developer Guide): RunTask on the task
    // definition; ecs:cluster condition key: "Actions, resources, and condition keys for Amazon ECS".
    {
      Sid: "RunMigrationTask",
      Effect: "Allow",
      Action: "ecs:RunTask",
      Resource: arn("ecs", `task-definition/${a.taskDefinitionFamily}:*`),
      Condition: cluster,
    },
    // Same page: the .sync pattern describes the task until it stops, and stops it when the state is stopped
    // or times out.
    {
      Sid: "FollowMigrationTasks",
      Effect: "Allow",
      Action: ["ecs:DescribeTasks", "ecs:StopTask"],
      Resource: arn("ecs", `task/${clusterName}/*`),
      Condition: cluster,
    },
    // Same page: .sync listens for the task's state change through this managed EventBridge rule.
    {
      Sid: "TaskStateEvents",
      Effect: "Allow",
      Action: ["events:PutTargets", "events:PutRule", "events:DescribeRule"],
      Resource: arn("events", "rule/StepFunctionsGetEventsForECSTaskRule"),
    },
    // "Grant a user permissions to pass a role to an AWS service" (IAM User Guide): only the task's two roles,
    // and only to ECS tasks.
    {
      Sid: "PassTaskRoles",
      Effect: "Allow",
      Action: "iam:PassRole",
      Resource: [...a.taskRoleArns],
      Condition: { StringEquals: { "iam:PassedToService": "ecs-tasks.amazonaws.com" } },
    },
    // "Using AWS SDK service integrations" (Step Functions): the role needs the API's own permission,
    // s3:GetObject on the results objects; SSE-KMS objects also need kms:Decrypt, through S3 only.
    { Sid: "ReadResults", Effect: "Allow", Action: "s3:GetObject", Resource: `${a.resultsBucketArn}/*` },
    {
      Sid: "DecryptResults",
      Effect: "Allow",
      Action: "kms:Decrypt",
      Resource: a.kmsKeyArn,
      Condition: { StringEquals: { "kms:ViaService": `s3.${a.region}.amazonaws.com` } },
    },
    // "Logging Step Functions using CloudWatch Logs": log delivery is set up through these vended-log actions,
    // which support no resource-level permissions ("*" is what the guide's policy names).
    {
      Sid: "LogDelivery",
      Effect: "Allow",
      Action: [
        "logs:CreateLogDelivery",
        "logs:DeleteLogDelivery",
        "logs:DescribeLogGroups",
        "logs:DescribeResourcePolicies",
        "logs:GetLogDelivery",
        "logs:ListLogDeliveries",
        "logs:PutResourcePolicy",
        "logs:UpdateLogDelivery",
      ],
      Resource: "*",
    },
  ]);
}

/**
 * The fleet runner: a Step Functions state machine (`<namePrefix>-tenant-migrations`) that migrates every tenant
 * schema through the migration task, canary first, then in waves within the connection budget
 * (definition.ts), logging every execution event to its KMS-encrypted log group. `npm run migrate` starts it
 * with a plan from waves.ts.
 */
export class FleetMigrator extends pulumi.ComponentResource {
  public readonly stateMachineArn: pulumi.Output<string>;
  public readonly stateMachineName: pulumi.Output<string>;
  public readonly logGroupName: pulumi.Output<string>;
  public readonly roleArn: pulumi.Output<string>;

  constructor(name: string, args: FleetMigratorArgs, opts?: pulumi.ComponentResourceOptions) {
    const problems = validateFleetMigratorArgs(args);
    if (problems.length > 0) {
      throw new ComponentArgsError(`FleetMigrator "${name}"`, problems);
    }
    // The planned run is the component's one input: the plan prints it and the cost estimate reads it.
    super("saas:tenants:FleetMigrator", name, args.plannedRun ? { plannedRun: args.plannedRun } : {}, opts);
    const batchTimeoutSeconds = args.batchTimeoutSeconds ?? 3600;
    const runTimeoutSeconds = args.runTimeoutSeconds ?? 14_400;
    const { context } = args;
    const prefix = context.namePrefix;
    const machineName = `${prefix}-tenant-migrations`;
    const tags = nameTags(machineName, args.tags);

    const logGroup = new LogGroup(
      `${name}-logs`,
      {
        // The /aws/vendedlogs/ prefix keeps the resource policy Step Functions' delivery adds under its size
        // limit ("Logging Step Functions using CloudWatch Logs").
        name: `/aws/vendedlogs/states/${machineName}`,
        retentionInDays: args.logRetentionDays,
        kmsKeyId: context.kmsKeyArn,
        tags,
      },
      { parent: this },
    );

    const role = new Role(
      `${name}-role`,
      {
        description: `${prefix}: the tenant migration state machine runs the migration task`,
        assumeRolePolicy: pulumi
          .all([context.partition, context.accountId])
          .apply(([partition, account]) =>
            JSON.stringify(
              serviceTrustPolicy(
                "states.amazonaws.com",
                account,
                `arn:${partition}:states:${context.region}:${account}:stateMachine:${machineName}`,
              ),
            ),
          ),
        tags,
      },
      { parent: this },
    );
    const policy = new RolePolicy(
      `${name}-role`,
      {
        role: role.id,
        policy: pulumi
          .all([
            context.partition,
            context.accountId,
            args.clusterArn,
            args.taskDefinitionFamily,
            pulumi.all([...args.taskRoleArns]),
            args.resultsBucketArn,
            context.kmsKeyArn,
          ])
          .apply(([partition, accountId, clusterArn, family, roleArns, resultsBucketArn, kmsKeyArn]) =>
            JSON.stringify(
              fleetMigratorPolicy({
                partition,
                region: context.region,
                accountId,
                clusterArn,
                taskDefinitionFamily: family,
                taskRoleArns: roleArns,
                resultsBucketArn,
                kmsKeyArn,
              }),
            ),
          ),
      },
      { parent: this },
    );

    const machine = new StateMachine(
      `${name}-state-machine`,
      {
        name: machineName,
        type: "STANDARD",
        roleArn: role.arn,
        definition: pulumi
          .all([
            args.clusterArn,
            args.taskDefinitionArn,
            pulumi.output(args.subnetIds),
            pulumi.output(args.securityGroupIds),
            args.resultsBucketName,
          ])
          .apply(([clusterArn, taskDefinitionArn, subnetIds, securityGroupIds, resultsBucket]) =>
            JSON.stringify(
              fleetDefinition({
                clusterArn,
                taskDefinitionArn,
                containerName: args.containerName,
                subnetIds,
                securityGroupIds,
                resultsBucket,
                concurrency: args.concurrency,
                batchTimeoutSeconds,
                runTimeoutSeconds,
              }),
            ),
          ),
        loggingConfiguration: {
          // Every state's input and output: each tenant's result is in the log as it lands. No secret passes
          // through the state machine (the task reads its credentials itself).
          level: "ALL",
          includeExecutionData: true,
          logDestination: pulumi.interpolate`${logGroup.arn}:*`,
        },
        // X-Ray off: one execution per deploy, whose every step is already in the log; traces add cost, not
        // insight.
        tracingConfiguration: { enabled: false },
        // Execution data is encrypted with an AWS-owned key: it holds schema names, versions and errors, no
        // secret, and a customer key would make every reader of a run (npm run migrate) need kms:Decrypt on it.
        tags,
      },
      // The role must hold its policy before Step Functions checks it can deliver logs and run tasks.
      { parent: this, dependsOn: [policy] },
    );

    this.stateMachineArn = machine.arn;
    this.stateMachineName = machine.name;
    this.logGroupName = logGroup.name;
    this.roleArn = role.arn;
    this.registerOutputs({
      stateMachineArn: this.stateMachineArn,
      stateMachineName: this.stateMachineName,
      logGroupName: this.logGroupName,
      roleArn: this.roleArn,
    });
  }
}
