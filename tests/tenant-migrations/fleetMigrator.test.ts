import aslValidator from "asl-validator";
import {
  FleetMigrator,
  FleetMigratorArgs,
  fleetMigratorPolicy,
} from "../../components/tenant-migrations/fleetMigrator";
import { planFleetRun } from "../../components/tenant-migrations/waves";
import { LOG_RETENTION_DAYS } from "../../components/shared/logs";
import { Planned } from "../support/plan";
import { testContext } from "../support/context";

const KEY = "arn:aws:kms:us-east-1:123456789012:key/11111111-2222-3333-4444-555555555555";
const CLUSTER = "arn:aws:ecs:us-east-1:123456789012:cluster/saas-dev";
const TASK_DEF = "arn:aws:ecs:us-east-1:123456789012:task-definition/saas-dev-migrations:3";
const EXECUTION = "arn:aws:iam::123456789012:role/migrations-execution-1234567";
const RUNNER = "arn:aws:iam::123456789012:role/migrations-runner-1234567";
const BUCKET_ARN = "arn:aws:s3:::saas-dev-migration-results-20260101";
const SM = "aws:sfn/stateMachine:StateMachine";

const args: FleetMigratorArgs = {
  context: testContext({ kmsKeyArn: KEY }),
  clusterArn: CLUSTER,
  taskDefinitionArn: TASK_DEF,
  taskDefinitionFamily: "saas-dev-migrations",
  containerName: "flyway",
  taskRoleArns: [EXECUTION, RUNNER],
  subnetIds: ["subnet-a", "subnet-b"],
  securityGroupIds: ["sg-app"],
  resultsBucketName: "saas-dev-migration-results-20260101",
  resultsBucketArn: BUCKET_ARN,
  concurrency: 3,
  logRetentionDays: 30,
};

const plan = (a: FleetMigratorArgs, onRegister?: (r: { type: string }) => void) =>
  Planned.of({
    stack: "dev",
    ...(onRegister ? { onRegister } : {}),
    program: () => {
      const f = new FleetMigrator("tenant-migrations", a);
      return { arn: f.stateMachineArn, name: f.stateMachineName };
    },
  });

describe("FleetMigrator", () => {
  let p: Planned;
  beforeAll(async () => {
    p = await plan(args);
  });

  it("is a standard state machine named <namePrefix>-tenant-migrations, run by its own role", () => {
    const machine = p.one(SM, "tenant-migrations-state-machine");
    expect(machine.inputs).toMatchObject({
      name: "saas-dev-tenant-migrations",
      type: "STANDARD",
      roleArn: p.one("aws:iam/role:Role", "tenant-migrations-role").outputs.arn,
      tracingConfiguration: { enabled: false },
    });
    expect(p.run.outputs.name).toBe("saas-dev-tenant-migrations");
    expect(p.run.outputs.arn).toBe("arn:aws:states:us-east-1:123456789012:stateMachine:saas-dev-tenant-migrations");
    // Step Functions checks the role's permissions (log delivery) when the state machine is created.
    expect(machine.dependencies).toContain(p.one("aws:iam/rolePolicy:RolePolicy", "tenant-migrations-role").urn);
  });

  it("logs every event with its data to a KMS-encrypted log group with retention", () => {
    const group = p.one("aws:cloudwatch/logGroup:LogGroup", "tenant-migrations-logs");
    expect(group.inputs).toMatchObject({
      name: "/aws/vendedlogs/states/saas-dev-tenant-migrations",
      retentionInDays: 30,
      kmsKeyId: KEY,
    });
    expect(p.one(SM, "tenant-migrations-state-machine").inputs.loggingConfiguration).toEqual({
      level: "ALL",
      includeExecutionData: true,
      logDestination: `${group.outputs.arn as string}:*`,
    });
  });

  it("deploys a valid definition that runs the migration task with the budget's concurrency", () => {
    const definition = JSON.parse(p.one(SM, "tenant-migrations-state-machine").inputs.definition as string);
    expect(aslValidator(definition).isValid).toBe(true);
    expect(definition.States.Canary.MaxConcurrency).toBe(3);
    expect(definition.States.Wave.MaxConcurrency).toBe(3);
    expect(definition.TimeoutSeconds).toBe(14400);
    const task = definition.States.Wave.ItemProcessor.States["Wave: Run migration task"];
    expect(task.TimeoutSeconds).toBe(3600);
    expect(task.Arguments).toMatchObject({
      Cluster: CLUSTER,
      TaskDefinition: TASK_DEF,
      NetworkConfiguration: {
        AwsvpcConfiguration: {
          Subnets: ["subnet-a", "subnet-b"],
          SecurityGroups: ["sg-app"],
          AssignPublicIp: "DISABLED",
        },
      },
    });
    expect(definition.States.Wave.ItemProcessor.States["Wave: Read results"].Arguments.Bucket).toBe(
      "saas-dev-migration-results-20260101",
    );
  });

  it("lets only Step Functions, for this one state machine, assume its role", () => {
    const role = p.one("aws:iam/role:Role", "tenant-migrations-role");
    expect(JSON.parse(role.inputs.assumeRolePolicy as string).Statement).toEqual([
      {
        Effect: "Allow",
        Principal: { Service: "states.amazonaws.com" },
        Action: "sts:AssumeRole",
        Condition: {
          StringEquals: { "aws:SourceAccount": "123456789012" },
          ArnLike: { "aws:SourceArn": "arn:aws:states:us-east-1:123456789012:stateMachine:saas-dev-tenant-migrations" },
        },
      },
    ]);
  });

  it("grants least privilege: the task family, the cluster, the two roles to ECS only, the results, log delivery", () => {
    const policy = p.one("aws:iam/rolePolicy:RolePolicy", "tenant-migrations-role");
    expect(policy.inputs.role).toBe(p.one("aws:iam/role:Role", "tenant-migrations-role").outputs.id);
    expect(JSON.parse(policy.inputs.policy as string)).toEqual({
      Version: "2012-10-17",
      Statement: [
        {
          Sid: "RunMigrationTask",
          Effect: "Allow",
          Action: "ecs:RunTask",
          Resource: "arn:aws:ecs:us-east-1:123456789012:task-definition/saas-dev-migrations:*",
          Condition: { ArnEquals: { "ecs:cluster": CLUSTER } },
        },
        {
          Sid: "FollowMigrationTasks",
          Effect: "Allow",
          Action: ["ecs:DescribeTasks", "ecs:StopTask"],
          Resource: "arn:aws:ecs:us-east-1:123456789012:task/saas-dev/*",
          Condition: { ArnEquals: { "ecs:cluster": CLUSTER } },
        },
        {
          Sid: "TaskStateEvents",
          Effect: "Allow",
          Action: ["events:PutTargets", "events:PutRule", "events:DescribeRule"],
          Resource: "arn:aws:events:us-east-1:123456789012:rule/StepFunctionsGetEventsForECSTaskRule",
        },
        {
          Sid: "PassTaskRoles",
          Effect: "Allow",
          Action: "iam:PassRole",
          Resource: [EXECUTION, RUNNER],
          Condition: { StringEquals: { "iam:PassedToService": "ecs-tasks.amazonaws.com" } },
        },
        { Sid: "ReadResults", Effect: "Allow", Action: "s3:GetObject", Resource: `${BUCKET_ARN}/*` },
        {
          Sid: "DecryptResults",
          Effect: "Allow",
          Action: "kms:Decrypt",
          Resource: KEY,
          Condition: { StringEquals: { "kms:ViaService": "s3.us-east-1.amazonaws.com" } },
        },
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
      ],
    });
  });

  it("grants nothing on * but the log-delivery actions, which have no resource-level permissions", () => {
    const doc = fleetMigratorPolicy({
      partition: "aws",
      region: "us-east-1",
      accountId: "123456789012",
      clusterArn: CLUSTER,
      taskDefinitionFamily: "f",
      taskRoleArns: [EXECUTION],
      resultsBucketArn: BUCKET_ARN,
      kmsKeyArn: KEY,
    });
    expect(doc.Statement.filter((s) => s.Resource === "*").map((s) => s.Sid)).toEqual(["LogDelivery"]);
  });

  it("parents every child to the component and keeps child names stable", () => {
    const component = p.one("saas:tenants:FleetMigrator", "tenant-migrations");
    expect(
      p
        .childrenOf(component)
        .map((c) => `${c.type} ${c.name}`)
        .sort(),
    ).toEqual([
      "aws:cloudwatch/logGroup:LogGroup tenant-migrations-logs",
      "aws:iam/role:Role tenant-migrations-role",
      "aws:iam/rolePolicy:RolePolicy tenant-migrations-role",
      "aws:sfn/stateMachine:StateMachine tenant-migrations-state-machine",
    ]);
  });

  it("carries the planned run as its input, for the plan and the cost estimate", async () => {
    const plannedRun = planFleetRun({ schemas: ["tenant_a", "tenant_b"], batchSize: 25, concurrency: 3 });
    const q = await plan({ ...args, plannedRun });
    expect(q.one("saas:tenants:FleetMigrator", "tenant-migrations").inputs.plannedRun).toEqual({
      canary: [{ batchId: "canary-1", schemas: ["tenant_a"] }],
      waves: [[{ batchId: "wave-1-1", schemas: ["tenant_b"] }]],
      concurrency: 3,
      batchSize: 25,
    });
  });

  it("rejects bad arguments at once, before registering anything", async () => {
    const registered: string[] = [];
    await expect(
      plan({ ...args, concurrency: 41, batchTimeoutSeconds: 59, logRetentionDays: 0 }, (r) => registered.push(r.type)),
    ).rejects.toThrow(
      [
        'FleetMigrator "tenant-migrations": invalid arguments:',
        "  - concurrency: expected a whole number from 1 to 40, got 41",
        "  - batchTimeoutSeconds: expected a whole number of seconds ≥ 60, got 59",
        `  - logRetentionDays: expected one of CloudWatch Logs' retention periods (${LOG_RETENTION_DAYS.join(", ")}), got 0`,
      ].join("\n"),
    );
    expect(registered).toEqual(["pulumi:pulumi:Stack"]);
  });

  it("rejects a run timeout not above the batch timeout", async () => {
    await expect(plan({ ...args, runTimeoutSeconds: 3600 })).rejects.toThrow(
      "  - runTimeoutSeconds: expected a whole number of seconds above batchTimeoutSeconds (3600), got 3600",
    );
  });
});
