import aslValidator from "asl-validator";
import {
  CAUSE_MAX_CHARS,
  FleetDefinitionArgs,
  fleetDefinition,
  fleetRunTransitions,
} from "../../components/tenant-migrations/definition";
import { FleetRunInput, FleetRunOutput, summariseRun, TenantResult } from "../../components/tenant-migrations/run";
import { MAX_BATCH_SIZE, MAX_OVERRIDE_CHARS } from "../../components/tenant-migrations/waves";
import { runDefinition, TaskError } from "./support/stepFunctions";

const ARGS: FleetDefinitionArgs = {
  clusterArn: "arn:aws:ecs:eu-west-1:123456789012:cluster/saas-dev",
  taskDefinitionArn: "arn:aws:ecs:eu-west-1:123456789012:task-definition/saas-dev-migrations:7",
  containerName: "flyway",
  subnetIds: ["subnet-a", "subnet-b"],
  securityGroupIds: ["sg-migrations"],
  resultsBucket: "saas-dev-migration-results-abc",
  concurrency: 2,
  batchTimeoutSeconds: 3600,
  runTimeoutSeconds: 14400,
};

const ok = (schema: string, before: string | null = "1"): TenantResult => ({
  schema,
  versionBefore: before,
  versionAfter: "2",
  durationMs: 120,
  error: null,
});

type Outcome =
  | { kind: "ok"; exitCode?: number; results?: TenantResult[] }
  | { kind: "task-fails"; results?: TenantResult[] }
  /** RunTask answers with `Failures` (no Fargate capacity) this many times, then the task runs. */
  | { kind: "no-capacity"; times: number; results?: TenantResult[]; exitCode?: number }
  /** The task starts, cannot pull its image and stops: StopCode TaskFailedToStart, nothing ran. */
  | { kind: "pull-fails" };

/** What RunTask's `Failures` turns into ("Run Amazon ECS or Fargate tasks with Step Functions"). */
const NO_CAPACITY = {
  Error: "AmazonECS.Unknown",
  Cause: JSON.stringify({
    Failures: [
      {
        Arn: "arn:aws:ecs:eu-west-1:123456789012:cluster/saas-dev",
        Reason: "Capacity is unavailable at this time. Please try again later or in a different availability zone",
      },
    ],
  }),
};

/**
 * Mocked integrations. RunTask.sync returns the stopped task as DescribeTasks shows it ("Run Amazon ECS or
 * Fargate tasks with Step Functions": the .sync output is the task description); a task that fails raises
 * States.TaskFailed with the task description as Cause. GetObject returns the object's body as a string in
 * `Body` (the AWS SDK integration returns text bodies as strings; "Using AWS SDK service integrations").
 * NoSuchKey is what S3 says for an object that was never written. The same guide says a RunTask response
 * whose `Failures` field is not empty fails the state with `AmazonECS.Unknown` (no task started): that is how a
 * capacity shortage arrives. A task that started but could not pull its image stops with StopCode
 * TaskFailedToStart ("Amazon ECS stopped task error codes", ECS Developer Guide), which .sync reports as
 * States.TaskFailed with the task description as Cause.
 */
function fleet(outcomes: Record<string, Outcome> = {}) {
  const objects = new Map<string, string>();
  const calls: { resource: string; args: Record<string, unknown> }[] = [];
  const refusals = new Map<string, number>();
  const refused = (batchId: string) => {
    refusals.set(batchId, (refusals.get(batchId) ?? 0) + 1);
    return refusals.get(batchId) ?? 0;
  };
  const integration = async (resource: string, args: Record<string, unknown>) => {
    calls.push({ resource, args });
    if (resource === "arn:aws:states:::ecs:runTask.sync") {
      const env = Object.fromEntries(
        (
          (args.Overrides as never as { ContainerOverrides: { Environment: { Name: string; Value: string }[] }[] })
            .ContainerOverrides[0].Environment ?? []
        ).map((e) => [e.Name, e.Value]),
      );
      const batchId = env.MIGRATION_BATCH_ID;
      const schemas = env.MIGRATION_SCHEMAS.split(",");
      const outcome = outcomes[batchId] ?? { kind: "ok" };
      const taskArn = `arn:aws:ecs:eu-west-1:123456789012:task/saas-dev/${batchId}`;
      if (outcome.kind === "no-capacity" && refused(batchId) <= outcome.times) {
        throw new TaskError(NO_CAPACITY.Error, NO_CAPACITY.Cause);
      }
      if (outcome.kind === "pull-fails") {
        throw new TaskError("States.TaskFailed", JSON.stringify(PULL_FAILED(taskArn)));
      }
      const results = outcome.results ?? schemas.map((s) => ok(s));
      objects.set(`${env.MIGRATION_RUN_ID}/${batchId}.json`, JSON.stringify({ batchId, results }));
      if (outcome.kind === "task-fails") {
        throw new TaskError(
          "States.TaskFailed",
          JSON.stringify({ TaskArn: taskArn, StopCode: "EssentialContainerExited", x: "y".repeat(5000) }),
        );
      }
      return { TaskArn: taskArn, Containers: [{ Name: "flyway", ExitCode: outcome.exitCode ?? 0 }] };
    }
    if (resource === "arn:aws:states:::aws-sdk:s3:getObject") {
      expect(args.Bucket).toBe(ARGS.resultsBucket);
      const body = objects.get(args.Key as string);
      if (body === undefined) throw new TaskError("S3.NoSuchKeyException", "The specified key does not exist.");
      return { Body: body, ContentType: "application/json" };
    }
    throw new Error(`unexpected integration ${resource}`);
  };
  return { integration, calls };
}

// canary a; wave 1: [b, c] [d]; wave 2: [e]
const INPUT: FleetRunInput = {
  runId: "run-1",
  canary: [{ batchId: "canary-1", schemas: ["a"] }],
  waves: [
    [
      { batchId: "wave-1-1", schemas: ["b", "c"] },
      { batchId: "wave-1-2", schemas: ["d"] },
    ],
    [{ batchId: "wave-2-1", schemas: ["e"] }],
  ],
};

const PULL_FAILED = (arn: string) => ({
  TaskArn: arn,
  LastStatus: "STOPPED",
  StopCode: "TaskFailedToStart",
  StoppedReason: "CannotPullContainerError: pull image manifest has been retried 5 time(s)",
});

const taskArn = (batchId: string) => `arn:aws:ecs:eu-west-1:123456789012:task/saas-dev/${batchId}`;

describe("the fleet definition", () => {
  it("is valid Amazon States Language (asl-validator, with JSONata expressions parsed)", () => {
    const { isValid, errorsText } = aslValidator(fleetDefinition(ARGS));
    expect(errorsText("\n")).toBe("");
    expect(isValid).toBe(true);
  });

  it("a broken definition fails the validator (a Next to a missing state, a bad JSONata expression)", () => {
    const definition = fleetDefinition(ARGS) as { States: Record<string, Record<string, unknown>> };
    const broken = {
      ...definition,
      States: { ...definition.States, "Wave passed?": { ...definition.States["Wave passed?"], Default: "Nowhere" } },
    };
    expect(aslValidator(broken).isValid).toBe(false);
    expect(aslValidator(broken).errorsText("\n")).toContain("Nowhere");
    const badExpression = {
      ...definition,
      States: {
        ...definition.States,
        "Canary passed?": {
          ...definition.States["Canary passed?"],
          Choices: [{ Condition: "{% $count($canary[ %}", Next: "Canary failed" }],
        },
      },
    };
    expect(aslValidator(badExpression).isValid).toBe(false);
  });

  it("runs each batch as the migration task, in the private subnets, with the batch in the environment", () => {
    const run = (
      fleetDefinition(ARGS) as never as {
        States: {
          Canary: { MaxConcurrency: number; ItemProcessor: { States: Record<string, Record<string, unknown>> } };
        };
      }
    ).States.Canary;
    expect(run.MaxConcurrency).toBe(2);
    const task = run.ItemProcessor.States["Canary: Run migration task"];
    expect(task.Resource).toBe("arn:aws:states:::ecs:runTask.sync");
    expect(task.TimeoutSeconds).toBe(3600);
    expect(task.Arguments).toEqual({
      Cluster: "arn:aws:ecs:eu-west-1:123456789012:cluster/saas-dev",
      TaskDefinition: "arn:aws:ecs:eu-west-1:123456789012:task-definition/saas-dev-migrations:7",
      LaunchType: "FARGATE",
      NetworkConfiguration: {
        AwsvpcConfiguration: {
          Subnets: ["subnet-a", "subnet-b"],
          SecurityGroups: ["sg-migrations"],
          AssignPublicIp: "DISABLED",
        },
      },
      StartedBy: "{% $substring($runId, 0, 36) %}",
      Overrides: {
        ContainerOverrides: [
          {
            Name: "flyway",
            Environment: [
              { Name: "MIGRATION_RUN_ID", Value: "{% $runId %}" },
              { Name: "MIGRATION_BATCH_ID", Value: "{% $batch.batchId %}" },
              { Name: "MIGRATION_SCHEMAS", Value: '{% $join($batch.schemas, ",") %}' },
            ],
          },
        ],
      },
    });
  });

  it("a successful run: every batch in order, canary first, output as C2 with every tenant's result", async () => {
    const { integration, calls } = fleet();
    const result = await runDefinition(fleetDefinition(ARGS), INPUT, integration);
    expect(result.status).toBe("SUCCEEDED");
    const batch = (batchId: string, schemas: string[]) => ({
      batchId,
      schemas,
      results: schemas.map((s) => ok(s)),
      taskArn: taskArn(batchId),
      exitCode: 0,
    });
    expect(result.output).toEqual({
      status: "SUCCEEDED",
      canary: [batch("canary-1", ["a"])],
      waves: [[batch("wave-1-1", ["b", "c"]), batch("wave-1-2", ["d"])], [batch("wave-2-1", ["e"])]],
      stoppedAfterWave: null,
    });
    expect(
      calls.filter((c) => c.resource.includes("runTask")).map((c) => (c.args as { StartedBy: string }).StartedBy),
    ).toEqual(["run-1", "run-1", "run-1", "run-1"]);
    expect(calls.filter((c) => c.resource.includes("getObject")).map((c) => c.args.Key)).toEqual([
      "run-1/canary-1.json",
      "run-1/wave-1-1.json",
      "run-1/wave-1-2.json",
      "run-1/wave-2-1.json",
    ]);
    expect(summariseRun(result.output as FleetRunOutput, INPUT).exitCode).toBe(0);
  });

  it("counts the transitions it bills: fleetRunTransitions agrees with the run", async () => {
    const { integration } = fleet();
    const result = await runDefinition(fleetDefinition(ARGS), INPUT, integration);
    // 5 + 3 × 2 waves + 3 × 4 batches
    expect(fleetRunTransitions(INPUT)).toBe(23);
    expect(result.transitions).toBe(23);
  });

  it("a failed canary: CANARY_FAILED with the canary's results, no wave started", async () => {
    const bad: TenantResult = {
      schema: "a",
      versionBefore: "1",
      versionAfter: "1",
      durationMs: 90,
      error: "V2 failed",
    };
    const { integration, calls } = fleet({ "canary-1": { kind: "ok", exitCode: 1, results: [bad] } });
    const result = await runDefinition(fleetDefinition(ARGS), INPUT, integration);
    expect(result.output).toEqual({
      status: "CANARY_FAILED",
      canary: [{ batchId: "canary-1", schemas: ["a"], results: [bad], taskArn: taskArn("canary-1"), exitCode: 1 }],
      waves: [],
      stoppedAfterWave: null,
    });
    expect(calls.filter((c) => c.resource.includes("runTask"))).toHaveLength(1);
  });

  it("a tenant failing in wave 1: the rest of wave 1 keeps its results, wave 2 is not started", async () => {
    const bad: TenantResult = {
      schema: "c",
      versionBefore: "1",
      versionAfter: "1",
      durationMs: 90,
      error: "lock timeout",
    };
    // The task exits 1 and Step Functions fails the task: its results are still read.
    const { integration, calls } = fleet({ "wave-1-1": { kind: "task-fails", results: [ok("b"), bad] } });
    const result = await runDefinition(fleetDefinition(ARGS), INPUT, integration);
    const output = result.output as FleetRunOutput;
    expect(output.status).toBe("FAILED");
    expect(output.stoppedAfterWave).toBe(1);
    expect(output.waves).toHaveLength(1);
    const [failed, other] = output.waves[0];
    expect(failed).toEqual({
      batchId: "wave-1-1",
      schemas: ["b", "c"],
      results: [ok("b"), bad],
      error: { Error: "States.TaskFailed", Cause: expect.stringMatching(/^\{"TaskArn":/) as string },
    });
    expect(failed.error?.Cause).toHaveLength(CAUSE_MAX_CHARS);
    expect(other.results).toEqual([ok("d")]);
    expect(calls.filter((c) => c.resource.includes("runTask"))).toHaveLength(3);
    expect(summariseRun(output, INPUT)).toMatchObject({ exitCode: 1, notStarted: ["e"] });
  });

  const runTasks = (calls: { resource: string; args: Record<string, unknown> }[], batchId: string) =>
    calls.filter((c) => c.resource.includes("runTask") && JSON.stringify(c.args.Overrides).includes(`"${batchId}"`))
      .length;

  it("RunTask refused for capacity (AmazonECS.Unknown) is asked again and the batch then runs", async () => {
    const { integration, calls } = fleet({ "wave-1-2": { kind: "no-capacity", times: 2 } });
    const output = (await runDefinition(fleetDefinition(ARGS), INPUT, integration)).output as FleetRunOutput;
    expect(output.status).toBe("SUCCEEDED");
    expect(output.waves[0][1]).toMatchObject({ batchId: "wave-1-2", results: [ok("d")] });
    expect(runTasks(calls, "wave-1-2")).toBe(3);
  });

  it("capacity refused past the retries: the batch carries AmazonECS.Unknown and no results; the others go on", async () => {
    const { integration, calls } = fleet({ "wave-1-2": { kind: "no-capacity", times: 99 } });
    const output = (await runDefinition(fleetDefinition(ARGS), INPUT, integration)).output as FleetRunOutput;
    expect(output.status).toBe("FAILED");
    expect(output.waves[0][1]).toEqual({ batchId: "wave-1-2", schemas: ["d"], results: [], error: NO_CAPACITY });
    // The first attempt and MaxAttempts (4) retries.
    expect(runTasks(calls, "wave-1-2")).toBe(5);
    expect(output.waves[0][0].results).toEqual([ok("b"), ok("c")]);
    expect(summariseRun(output, INPUT).unknown.map((u) => u.schema)).toEqual(["d"]);
  });

  it("an image that cannot be pulled: the task started and stopped, not retried, the batch carries why", async () => {
    const { integration, calls } = fleet({ "wave-1-2": { kind: "pull-fails" } });
    const output = (await runDefinition(fleetDefinition(ARGS), INPUT, integration)).output as FleetRunOutput;
    expect(output.status).toBe("FAILED");
    expect(output.waves[0][1]).toMatchObject({ batchId: "wave-1-2", schemas: ["d"], results: [] });
    const error = (output.waves[0][1] as { error: { Error: string; Cause: string } }).error;
    expect(error.Error).toBe("States.TaskFailed");
    expect(JSON.parse(error.Cause)).toMatchObject({ StopCode: "TaskFailedToStart" });
    expect(runTasks(calls, "wave-1-2")).toBe(1);
    expect(summariseRun(output, INPUT).unknown.map((u) => u.schema)).toEqual(["d"]);
  });

  it("a runner that reports fewer tenants than its batch fails the wave", async () => {
    const { integration } = fleet({ "wave-1-1": { kind: "ok", results: [ok("b")] } });
    const output = (await runDefinition(fleetDefinition(ARGS), INPUT, integration)).output as FleetRunOutput;
    expect(output.status).toBe("FAILED");
  });

  it("a run with no canary and no waves succeeds at once", async () => {
    const { integration, calls } = fleet();
    const result = await runDefinition(fleetDefinition(ARGS), { runId: "r", canary: [], waves: [] }, integration);
    expect(result.output).toEqual({ status: "SUCCEEDED", canary: [], waves: [], stoppedAfterWave: null });
    expect(calls).toEqual([]);
  });

  it("refuses an input that is not a run", async () => {
    const { integration } = fleet();
    expect(await runDefinition(fleetDefinition(ARGS), { tenants: ["a"] }, integration)).toMatchObject({
      status: "FAILED",
      error: { Error: "InvalidInput" },
    });
  });

  it("the largest batch's container override fits ECS's 8,192 characters", async () => {
    const schemas = Array.from({ length: MAX_BATCH_SIZE }, (_, i) => `t${String(i).padStart(62, "x")}`);
    const { integration, calls } = fleet();
    await runDefinition(
      fleetDefinition(ARGS),
      { runId: "r".repeat(80), canary: [{ batchId: "canary-1", schemas }], waves: [] },
      integration,
    );
    const overrides = JSON.stringify(calls[0].args.Overrides);
    expect(overrides.length).toBeLessThanOrEqual(MAX_OVERRIDE_CHARS);
    expect(overrides.length).toBe(6665);
  });
});

describe("the test interpreter, where it stands in for Step Functions", () => {
  // "Transforming data with JSONata in Step Functions", error table: a JSONata field that evaluates to
  // undefined is States.QueryEvaluationError. The fleet runs above therefore also prove that no field of the
  // definition evaluates to undefined on those paths (a missing exit code, an unassigned variable).
  it("fails the execution with States.QueryEvaluationError when an Output evaluates to undefined", async () => {
    const machine = {
      QueryLanguage: "JSONata",
      StartAt: "P",
      States: { P: { Type: "Pass", Output: { a: "{% $states.input.missing %}" }, End: true } },
    };
    expect(await runDefinition(machine, { present: 1 }, async () => ({}))).toEqual({
      status: "FAILED",
      error: {
        Error: "States.QueryEvaluationError",
        Cause: "the JSONata expression $states.input.missing evaluated to undefined",
      },
      transitions: 1,
    });
  });

  it("an undefined Argument is the task's error: its Catch sees States.QueryEvaluationError, nothing is called", async () => {
    const called: string[] = [];
    const machine = {
      QueryLanguage: "JSONata",
      StartAt: "T",
      States: {
        T: {
          Type: "Task",
          Resource: "arn:aws:states:::aws-sdk:s3:getObject",
          Arguments: { Key: "{% $states.input.key %}" },
          Catch: [{ ErrorEquals: ["States.ALL"], Output: "{% $states.errorOutput.Error %}", Next: "Done" }],
          End: true,
        },
        Done: { Type: "Succeed" },
      },
    };
    const result = await runDefinition(machine, {}, async (resource) => {
      called.push(resource);
      return {};
    });
    expect(result).toMatchObject({ status: "SUCCEEDED", output: "States.QueryEvaluationError" });
    expect(called).toEqual([]);
  });
});
