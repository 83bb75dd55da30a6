/**
 * The fleet runner's Amazon States Language definition, built by a pure function so tests validate it with a
 * real ASL validator and evaluate its JSONata expressions on sample data.
 *
 * Input and output are run.ts's FleetRunInput / FleetRunOutput. The canary batches run first (a Map); any
 * failure ends the run with CANARY_FAILED. Then the waves, one after another (a loop over the input's waves),
 * each wave's batches in a Map that runs them all at once (a wave holds at most `concurrency` batches, the
 * budget's figure, which is also the Map's MaxConcurrency). After each wave a Choice: a failure ends the run
 * with FAILED and `stoppedAfterWave`. Every run ends in a Succeed state with its status in the output, so a
 * failed tenant never loses the others' results (a Fail state has no output).
 *
 * Each batch: ECS RunTask `.sync` of the migration task with the batch in the container's environment, then
 * the batch runner's results file read back with the `aws-sdk:s3:getObject` integration and parsed with
 * Step Functions' `$parse` (JSONata). A task that fails to start or fails is caught, and its results are
 * still read (a runner that exits 1 wrote them); a batch without results carries the caught error.
 *
 * JSONata, not JSONPath: "any batch failed" and "append this wave's results" are one expression each
 * (AWS Step Functions Developer Guide, "Transforming data with JSONata in Step Functions").
 */
import { BATCH_ENVIRONMENT } from "./batchRunner";

export interface FleetDefinitionArgs {
  /** ARN of the ECS cluster the migration tasks run in. */
  readonly clusterArn: string;
  /** ARN (with revision) of the migration task definition: every batch runs exactly this revision. */
  readonly taskDefinitionArn: string;
  /** Name of the runner container in the task definition (the container override's target). */
  readonly containerName: string;
  readonly subnetIds: readonly string[];
  readonly securityGroupIds: readonly string[];
  /** Bucket the batch runner writes `<runId>/<batchId>.json` to. */
  readonly resultsBucket: string;
  /** Batches at once in a Map (the budget's concurrency). */
  readonly concurrency: number;
  /** A batch's task is stopped and the batch failed after this long. */
  readonly batchTimeoutSeconds: number;
  /** The whole run is stopped after this long. */
  readonly runTimeoutSeconds: number;
}

/**
 * A batch failed when Step Functions caught an error, the runner exited other than 0, a tenant has an error, or
 * a tenant of the batch has no result. `$exists` guards the optional fields.
 */
export const BATCH_FAILED =
  "$exists(error) or ($exists(exitCode) and exitCode != 0) or $count(results[error != null]) > 0 or $count(results) != $count(schemas)";

/** How much of a caught Cause a batch keeps (an ECS .sync failure's Cause is the whole task description). */
export const CAUSE_MAX_CHARS = 1000;

const jsonata = (expression: string) => `{% ${expression} %}`;

/** The states one Map iteration runs for one batch; its input is `{ runId, batch }`. */
function batchStates(args: FleetDefinitionArgs, stage: string) {
  // State names are unique across the whole definition, nested ones included (States Language spec).
  const n = (state: string) => `${stage}: ${state}`;
  const batchResult = (results: string) =>
    jsonata(
      `$merge([{"batchId": $batch.batchId, "schemas": $batch.schemas, "results": ${results}}, ` +
        `$taskArn ? {"taskArn": $taskArn} : {}, ` +
        `$type($exitCode) = "number" ? {"exitCode": $exitCode} : {}, ` +
        `$caught ? {"error": {"Error": $caught.Error, "Cause": $substring($caught.Cause, 0, ${CAUSE_MAX_CHARS})}} : {}])`,
    );
  return {
    StartAt: n("Start batch"),
    States: {
      [n("Start batch")]: {
        Type: "Pass",
        Assign: {
          runId: jsonata("$states.input.runId"),
          batch: jsonata("$states.input.batch"),
          taskArn: null,
          exitCode: null,
          caught: null,
        },
        Next: n("Run migration task"),
      },
      [n("Run migration task")]: {
        Type: "Task",
        Resource: "arn:aws:states:::ecs:runTask.sync",
        Arguments: {
          Cluster: args.clusterArn,
          TaskDefinition: args.taskDefinitionArn,
          LaunchType: "FARGATE",
          NetworkConfiguration: {
            AwsvpcConfiguration: {
              Subnets: [...args.subnetIds],
              SecurityGroups: [...args.securityGroupIds],
              AssignPublicIp: "DISABLED",
            },
          },
          // ECS's StartedBy is at most 36 characters; the run id finds the tasks of a run in ListTasks.
          StartedBy: jsonata("$substring($runId, 0, 36)"),
          Overrides: {
            ContainerOverrides: [
              {
                Name: args.containerName,
                Environment: [
                  { Name: BATCH_ENVIRONMENT.runId, Value: jsonata("$runId") },
                  { Name: BATCH_ENVIRONMENT.batchId, Value: jsonata("$batch.batchId") },
                  { Name: BATCH_ENVIRONMENT.schemas, Value: jsonata(`$join($batch.schemas, ",")`) },
                ],
              },
            ],
          },
        },
        TimeoutSeconds: args.batchTimeoutSeconds,
        // RunTask refused for capacity or throttling (no task started): safe to ask again. A RunTask answer with
        // a non-empty `Failures` (e.g. no capacity) fails the state with AmazonECS.Unknown ("Run Amazon ECS or
        // Fargate tasks with Step Functions"). A task that started and stopped (an image that cannot be pulled:
        // StopCode TaskFailedToStart) is States.TaskFailed and is not retried: the runner may have run.
        Retry: [
          {
            ErrorEquals: ["AmazonECS.Unknown", "ECS.AmazonECSException", "ECS.ThrottlingException"],
            IntervalSeconds: 10,
            MaxAttempts: 4,
            BackoffRate: 2,
            JitterStrategy: "FULL",
          },
        ],
        Assign: {
          taskArn: jsonata("$states.result.TaskArn"),
          exitCode: jsonata("$states.result.Containers[0].ExitCode"),
        },
        // A failed task may still have written its results (the runner exits 1 when a tenant failed).
        Catch: [
          { ErrorEquals: ["States.ALL"], Assign: { caught: jsonata("$states.errorOutput") }, Next: n("Read results") },
        ],
        Next: n("Read results"),
      },
      [n("Read results")]: {
        Type: "Task",
        Resource: "arn:aws:states:::aws-sdk:s3:getObject",
        Arguments: {
          Bucket: args.resultsBucket,
          Key: jsonata(`$runId & "/" & $batch.batchId & ".json"`),
        },
        Retry: [
          {
            ErrorEquals: ["S3.SdkClientException", "S3.S3Exception"],
            IntervalSeconds: 2,
            MaxAttempts: 3,
            BackoffRate: 2,
          },
        ],
        Output: batchResult("$parse($states.result.Body).results"),
        Catch: [
          {
            ErrorEquals: ["States.ALL"],
            // Keep the task's error when there was one: it says why no results were written.
            Assign: { caught: jsonata("$caught ? $caught : $states.errorOutput") },
            Next: n("No results"),
          },
        ],
        End: true,
      },
      [n("No results")]: {
        Type: "Pass",
        Output: batchResult("[]"),
        End: true,
      },
    },
  };
}

function batchMap(
  args: FleetDefinitionArgs,
  stage: string,
  items: string,
  assign: Record<string, string>,
  next: string,
) {
  return {
    Type: "Map",
    Items: jsonata(items),
    ItemSelector: {
      runId: jsonata("$states.context.Execution.Input.runId"),
      batch: jsonata("$states.context.Map.Item.Value"),
    },
    MaxConcurrency: args.concurrency,
    ItemProcessor: { ProcessorConfig: { Mode: "INLINE" }, ...batchStates(args, stage) },
    Assign: assign,
    Next: next,
  };
}

/** The state machine definition (an object; JSON.stringify it for `aws.sfn.StateMachine`). */
export function fleetDefinition(args: FleetDefinitionArgs): Record<string, unknown> {
  const output = (status: string, waves: string, stoppedAfterWave: string) =>
    jsonata(`{"status": "${status}", "canary": $canary, "waves": ${waves}, "stoppedAfterWave": ${stoppedAfterWave}}`);
  return {
    Comment: "Tenant schema migrations: the canary batches, then the waves within the connection budget",
    QueryLanguage: "JSONata",
    TimeoutSeconds: args.runTimeoutSeconds,
    StartAt: "Check input",
    States: {
      "Check input": {
        Type: "Choice",
        Choices: [
          {
            Condition: jsonata(
              `$type($states.input.runId) = "string" and $type($states.input.canary) = "array" and $type($states.input.waves) = "array"`,
            ),
            Next: "Canary",
          },
        ],
        Default: "Invalid input",
      },
      "Invalid input": {
        Type: "Fail",
        Error: "InvalidInput",
        Cause: "expected {runId, canary, waves} as npm run migrate passes it (components/tenant-migrations/run.ts)",
      },
      Canary: batchMap(
        args,
        "Canary",
        "$states.input.canary",
        { canary: jsonata("$states.result"), waves: jsonata("[]"), wave: jsonata("0") },
        "Canary passed?",
      ),
      "Canary passed?": {
        Type: "Choice",
        Choices: [{ Condition: jsonata(`$count($canary[${BATCH_FAILED}]) > 0`), Next: "Canary failed" }],
        Default: "More waves?",
      },
      "Canary failed": { Type: "Succeed", Output: output("CANARY_FAILED", "[]", "null") },
      "More waves?": {
        Type: "Choice",
        Choices: [{ Condition: jsonata("$wave < $count($states.context.Execution.Input.waves)"), Next: "Wave" }],
        Default: "Succeeded",
      },
      Wave: batchMap(
        args,
        "Wave",
        "$states.context.Execution.Input.waves[$wave]",
        {
          // [[…]]: JSONata flattens a one-level array constructor; the double one appends the wave as one item.
          waves: jsonata("$append($waves, [[$states.result]])"),
          wave: jsonata("$wave + 1"),
          waveFailed: jsonata(`$count($states.result[${BATCH_FAILED}]) > 0`),
        },
        "Wave passed?",
      ),
      "Wave passed?": {
        Type: "Choice",
        Choices: [{ Condition: jsonata("$waveFailed"), Next: "Wave failed" }],
        Default: "More waves?",
      },
      "Wave failed": { Type: "Succeed", Output: output("FAILED", "$waves", "$wave") },
      Succeeded: { Type: "Succeed", Output: output("SUCCEEDED", "$waves", "null") },
    },
  };
}

/**
 * State transitions of a run of `plan` that succeeds without retries, as Step Functions bills them (one per
 * state entered): the input check, the canary Map and its Choice, three states per batch (start, RunTask,
 * read results), three per wave (the loop's Choice, the Map, the wave's Choice), the loop's last Choice and the
 * final state. tests/tenant-migrations/definition.test.ts counts them on the real definition.
 */
export function fleetRunTransitions(plan: {
  readonly canary: readonly unknown[];
  readonly waves: readonly (readonly unknown[])[];
}): number {
  const batches = plan.canary.length + plan.waves.reduce((n, w) => n + w.length, 0);
  return 5 + 3 * plan.waves.length + 3 * batches;
}
