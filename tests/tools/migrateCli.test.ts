/**
 * `npm run migrate` against a mocked Step Functions API (aws-sdk-client-mock), on the real dev stack's config
 * (tenants acme, globex, initech; name prefix saas-dev; us-east-1; 6 migrator connections (the default) → 2 batches at once).
 *
 * What the mock assumes of Step Functions, from the AWS Step Functions API Reference (2016-11-23):
 * - ListStateMachines pages with `nextToken`; each item is `{ stateMachineArn, name, type, creationDate }`.
 * - StartExecution returns `{ executionArn, startDate }`; its `input` is a JSON string.
 * - DescribeExecution returns `status` RUNNING | SUCCEEDED | FAILED | TIMED_OUT | ABORTED | PENDING_REDRIVE,
 *   `output` (a JSON string, only when SUCCEEDED), and `error`/`cause` when it failed, timed out or was aborted.
 * - GetExecutionHistory returns `events` (HistoryEvent: `id` sequential from 1, `previousEventId`, `type`,
 *   `timestamp`, one `<type>EventDetails` member), newest first with `reverseOrder: true`, in pages of at most
 *   `maxResults` linked by `nextToken`. Types used: ExecutionStarted, MapStateEntered, MapIterationStarted,
 *   TaskStateEntered, TaskScheduled, TaskSucceeded/TaskFailed, TaskStateExited, MapIterationSucceeded/Failed,
 *   MapStateExited, ExecutionSucceeded/Failed/TimedOut/Aborted. `stateEnteredEventDetails.input` and
 *   `stateExitedEventDetails.output` are JSON strings.
 * - Throttling (Step Functions quotas, "API action throttling": a token bucket per API and account) is the
 *   ThrottlingException error code, HTTP 400.
 * The state names in the history are illustrative: the command reads batches from the states' input and
 * output, never from their names.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { mockClient } from "aws-sdk-client-mock";
import {
  DescribeExecutionCommand,
  GetExecutionHistoryCommand,
  HistoryEvent,
  ListStateMachinesCommand,
  SFNClient,
  SFNServiceException,
  StartExecutionCommand,
} from "@aws-sdk/client-sfn";
import { chooseView, run, stackRunPlan } from "../../tools/migrate/migrate";
import { runStack } from "../../tools/engine/run";
import { configOfStack } from "../../tools/tenants/stack";
import { REPO_ROOT } from "../../tools/engine/run";
import { RunTracker } from "../../tools/migrate/report";
import { BatchResult, FleetRunOutput } from "../../components/tenant-migrations/run";

const sfn = mockClient(SFNClient);
afterEach(() => sfn.reset());

const MACHINE = "arn:aws:states:us-east-1:123456789012:stateMachine:saas-dev-tenant-migrations";
const RUN_ID = "migrate-dev-20261201T100000Z-abc123";
const EXECUTION = `arn:aws:states:us-east-1:123456789012:execution:saas-dev-tenant-migrations:${RUN_ID}`;
const T0 = new Date("2026-12-01T10:00:00Z");

const CANARY = { batchId: "canary-1", schemas: ["tenant_acme"] };
const WAVE = { batchId: "wave-1-1", schemas: ["tenant_globex", "tenant_initech"] };

const ok = (schema: string, durationMs = 1200) => ({
  schema,
  versionBefore: "1",
  versionAfter: "2",
  durationMs,
  error: null,
});
const bad = (schema: string, error: string) => ({
  schema,
  versionBefore: "1",
  versionAfter: "1",
  durationMs: 800,
  error,
});

/** Builds a history the way Step Functions numbers it: ids from 1, each event pointing at the one before. */
class History {
  readonly events: HistoryEvent[] = [];
  add(type: string, details: Record<string, unknown> = {}): this {
    const id = this.events.length + 1;
    this.events.push({
      id,
      previousEventId: id - 1,
      type: type as HistoryEvent["type"],
      timestamp: new Date(T0.getTime() + id * 1000),
      ...details,
    } as HistoryEvent);
    return this;
  }
  /**
   * One Map iteration over a batch, as the fleet runner's definition (components/tenant-migrations/definition.ts)
   * runs it: a Pass state entered with `{ runId, batch }`, ECS RunTask `.sync`, then the results read from S3
   * (`aws-sdk:s3:getObject`), whose state exits with the batch's result.
   */
  batch(map: string, index: number, batch: { batchId: string; schemas: string[] }, result: BatchResult): this {
    const failed = result.error !== undefined;
    const ecs = { resourceType: "ecs", resource: "runTask.sync" };
    this.add("MapIterationStarted", { mapIterationStartedEventDetails: { name: map, index } })
      .add("PassStateEntered", {
        stateEnteredEventDetails: { name: `${map}: Start batch`, input: JSON.stringify({ runId: RUN_ID, batch }) },
      })
      .add("PassStateExited", {
        stateExitedEventDetails: { name: `${map}: Start batch`, output: JSON.stringify({ runId: RUN_ID, batch }) },
      })
      .add("TaskStateEntered", {
        stateEnteredEventDetails: {
          name: `${map}: Run migration task`,
          input: JSON.stringify({ runId: RUN_ID, batch }),
        },
      })
      .add("TaskScheduled", {
        taskScheduledEventDetails: {
          ...ecs,
          region: "us-east-1",
          parameters: JSON.stringify({ Cluster: "saas-dev", TaskDefinition: "saas-dev-migrations:7" }),
        },
      })
      .add("TaskStarted", { taskStartedEventDetails: ecs })
      .add("TaskSubmitted", { taskSubmittedEventDetails: { ...ecs, output: JSON.stringify({ Tasks: [{}] }) } });
    const task = JSON.stringify({ TaskArn: result.taskArn, Containers: [{ ExitCode: result.exitCode }] });
    if (failed) {
      this.add("TaskFailed", {
        taskFailedEventDetails: { ...ecs, error: result.error!.Error, cause: result.error!.Cause },
      });
    } else {
      this.add("TaskSucceeded", { taskSucceededEventDetails: { ...ecs, output: task } });
    }
    const s3 = { resourceType: "aws-sdk:s3", resource: "getObject" };
    return this.add("TaskStateExited", {
      stateExitedEventDetails: { name: `${map}: Run migration task`, output: task },
    })
      .add("TaskStateEntered", {
        stateEnteredEventDetails: { name: `${map}: Read results`, input: JSON.stringify({ runId: RUN_ID, batch }) },
      })
      .add("TaskScheduled", { taskScheduledEventDetails: { ...s3, region: "us-east-1", parameters: "{}" } })
      .add("TaskSucceeded", { taskSucceededEventDetails: { ...s3, output: JSON.stringify({ Body: "…" }) } })
      .add("TaskStateExited", {
        stateExitedEventDetails: { name: `${map}: Read results`, output: JSON.stringify(result) },
      })
      .add(failed ? "MapIterationFailed" : "MapIterationSucceeded", {
        [failed ? "mapIterationFailedEventDetails" : "mapIterationSucceededEventDetails"]: { name: map, index },
      });
  }
  mapEntered(name: string, input: unknown): this {
    return this.add("MapStateEntered", { stateEnteredEventDetails: { name, input: JSON.stringify(input) } }).add(
      "MapStateStarted",
      { mapStateStartedEventDetails: { length: 1 } },
    );
  }
  mapExited(name: string, output: unknown): this {
    return this.add("MapStateSucceeded").add("MapStateExited", {
      stateExitedEventDetails: { name, output: JSON.stringify(output) },
    });
  }
}

const batchResult = (batch: { batchId: string; schemas: string[] }, results: BatchResult["results"]) => ({
  ...batch,
  taskArn: `arn:aws:ecs:us-east-1:123456789012:task/saas-dev/${batch.batchId.replace(/-/g, "")}0000000000000000`,
  exitCode: results.every((r) => r.error === null) ? 0 : 1,
  results,
});

interface Scenario {
  history: History;
  /** How many events each poll sees (one entry per DescribeExecution; the last is the terminal one). */
  visible: number[];
  final: { status: string; output?: FleetRunOutput; error?: string; cause?: string };
  /** DescribeExecution / GetExecutionHistory calls that are throttled before answering (by call number). */
  throttleDescribe?: number[];
  throttleHistory?: number[];
}

const throttling = () =>
  new SFNServiceException({
    name: "ThrottlingException",
    $fault: "client",
    $metadata: { httpStatusCode: 400 },
    message: "Rate exceeded",
  });

/** Serves a scenario: ListStateMachines over two pages, StartExecution, then polls that see more and more. */
function serve(s: Scenario) {
  sfn.on(ListStateMachinesCommand).callsFake((input: { nextToken?: string }) =>
    input.nextToken === undefined
      ? {
          stateMachines: [
            {
              stateMachineArn: "arn:aws:states:us-east-1:123456789012:stateMachine:saas-prod-tenant-migrations",
              name: "saas-prod-tenant-migrations",
              type: "STANDARD",
              creationDate: T0,
            },
          ],
          nextToken: "page-2",
        }
      : {
          stateMachines: [
            { stateMachineArn: MACHINE, name: "saas-dev-tenant-migrations", type: "STANDARD", creationDate: T0 },
          ],
        },
  );
  sfn.on(StartExecutionCommand).resolves({ executionArn: EXECUTION, startDate: T0 });
  let describes = 0;
  let histories = 0;
  let poll = 0;
  sfn
    .on(GetExecutionHistoryCommand)
    .callsFake((input: { reverseOrder?: boolean; maxResults?: number; nextToken?: string }) => {
      histories++;
      if (s.throttleHistory?.includes(histories)) throw throttling();
      const seen = s.history.events.slice(0, s.visible[Math.min(poll, s.visible.length - 1)]);
      const ordered = input.reverseOrder ? [...seen].reverse() : seen;
      // Pages of 4, whatever maxResults asks, so the reader has to follow nextToken ("only an upper limit").
      const start = input.nextToken === undefined ? 0 : Number(input.nextToken);
      const page = ordered.slice(start, start + 4);
      return { events: page, ...(start + 4 < ordered.length ? { nextToken: String(start + 4) } : {}) };
    });
  sfn.on(DescribeExecutionCommand).callsFake(() => {
    describes++;
    if (s.throttleDescribe?.includes(describes)) throw throttling();
    const last = poll >= s.visible.length - 1;
    const answer = {
      executionArn: EXECUTION,
      stateMachineArn: MACHINE,
      name: RUN_ID,
      startDate: T0,
      input: "{}",
      status: last ? s.final.status : "RUNNING",
      ...(last && s.final.output !== undefined ? { output: JSON.stringify(s.final.output), stopDate: T0 } : {}),
      ...(last && s.final.error !== undefined ? { error: s.final.error, cause: s.final.cause, stopDate: T0 } : {}),
    };
    poll++;
    return answer;
  });
}

async function migrate(argv: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const lines: string[] = [];
  const sleeps: number[] = [];
  const regions: string[] = [];
  const code = await run(argv, {
    // mockClient(SFNClient) answers for every instance; a real instance, as the paginator checks the class.
    sfn: (region) => {
      regions.push(region);
      return new SFNClient({ region, credentials: { accessKeyId: "AKIAEXAMPLE", secretAccessKey: "example" } });
    },
    out: (t) => out.push(t),
    err: (t) => err.push(t),
    view: () => ({ line: (t) => lines.push(t), update: () => undefined, stop: () => undefined }),
    sleep: async (ms) => {
      sleeps.push(ms);
    },
    now: () => new Date("2026-12-01T10:00:00.123Z"),
    random: "abc123",
    poll: { initialMs: 1000, maxMs: 8000 },
  });
  return { code, out: out.join(""), err: err.join(""), lines, sleeps, regions };
}

function successHistory(): History {
  return new History()
    .add("ExecutionStarted", {
      executionStartedEventDetails: {
        input: JSON.stringify({ runId: RUN_ID, canary: [CANARY], waves: [[WAVE]] }),
        roleArn: "arn:aws:iam::123456789012:role/saas-dev-tenant-migrations",
      },
    })
    .mapEntered("Canary", { runId: RUN_ID, canary: [CANARY], waves: [[WAVE]] })
    .batch("Canary", 0, CANARY, batchResult(CANARY, [ok("tenant_acme", 1500)]))
    .mapExited("Canary", [batchResult(CANARY, [ok("tenant_acme", 1500)])]);
}

describe("npm run migrate", () => {
  it("starts the execution with the plan, follows it and prints every tenant", async () => {
    const h = successHistory();
    const afterCanary = h.events.length;
    h.mapEntered("Wave", { batches: [WAVE] });
    const waveResult = batchResult(WAVE, [ok("tenant_globex", 900), ok("tenant_initech", 61_000)]);
    h.batch("Wave", 0, WAVE, waveResult).mapExited("Wave", [waveResult]);
    const output: FleetRunOutput = {
      status: "SUCCEEDED",
      canary: [batchResult(CANARY, [ok("tenant_acme", 1500)])],
      waves: [[waveResult]],
      stoppedAfterWave: null,
    };
    h.add("ExecutionSucceeded", { executionSucceededEventDetails: { output: JSON.stringify(output) } });
    serve({ history: h, visible: [3, afterCanary, h.events.length], final: { status: "SUCCEEDED", output } });

    const r = await migrate(["dev"]);

    expect(r.code).toBe(0);
    expect(r.regions).toEqual(["us-east-1"]);
    const start = sfn.commandCalls(StartExecutionCommand)[0].args[0].input;
    expect(start.stateMachineArn).toBe(MACHINE);
    expect(start.name).toBe(RUN_ID);
    expect(JSON.parse(start.input as string)).toEqual({ runId: RUN_ID, canary: [CANARY], waves: [[WAVE]] });
    // Found on the second page of ListStateMachines.
    expect(sfn.commandCalls(ListStateMachinesCommand)).toHaveLength(2);
    // Each tenant once, as its result lands; the canary first.
    expect(r.lines).toEqual([
      "acme (canary): 1 → 2 in 1.5 s",
      "globex: 1 → 2 in 900 ms",
      "initech: 1 → 2 in 1 min 01 s",
    ]);
    expect(r.out).toBe(
      [
        "tenant         version  duration    error",
        "-------------  -------  ----------  -----",
        "acme (canary)  1 → 2    1.5 s",
        "globex         1 → 2    900 ms",
        "initech        1 → 2    1 min 01 s",
        "execution SUCCEEDED: every tenant migrated (3)",
        EXECUTION,
        "",
      ].join("\n"),
    );
    // Polls wait longer and longer while nothing is wrong: 1 s, then × 1.5.
    expect(r.sleeps).toEqual([1500, 2250]);
    // Each history read asked for the newest events first and stopped at the first one already seen.
    const reads = sfn.commandCalls(GetExecutionHistoryCommand).map((c) => c.args[0].input);
    expect(reads.every((i) => i.reverseOrder === true && i.executionArn === EXECUTION)).toBe(true);
  });

  it("exits 3 when the canary fails, and lists the others as not run", async () => {
    const failed = batchResult(CANARY, [bad("tenant_acme", 'ERROR: column "title" already exists')]);
    const output: FleetRunOutput = { status: "CANARY_FAILED", canary: [failed], waves: [], stoppedAfterWave: null };
    const h = new History()
      .add("ExecutionStarted", { executionStartedEventDetails: { input: "{}" } })
      .mapEntered("Canary", {})
      .batch("Canary", 0, CANARY, failed)
      .mapExited("Canary", [failed])
      .add("ExecutionSucceeded", { executionSucceededEventDetails: { output: JSON.stringify(output) } });
    serve({ history: h, visible: [h.events.length], final: { status: "SUCCEEDED", output } });

    const r = await migrate(["dev"]);

    expect(r.code).toBe(3);
    expect(r.lines).toEqual(['acme (canary): FAILED after 800 ms: ERROR: column "title" already exists']);
    expect(r.out).toBe(
      [
        "tenant         version  duration  error",
        "-------------  -------  --------  ------------------------------------",
        'acme (canary)  1 → 1    800 ms    ERROR: column "title" already exists',
        "globex         -        -         not run: the canary failed",
        "initech        -        -         not run: the canary failed",
        "execution SUCCEEDED: the canary failed; no other tenant was started (0 migrated, 1 failed, 0 unknown, 2 not started)",
        EXECUTION,
        "",
      ].join("\n"),
    );
  });

  it("exits 1 when a tenant fails mid-fleet, still showing the others' results", async () => {
    const h = successHistory();
    const wave = batchResult(WAVE, [bad("tenant_globex", "lock timeout"), ok("tenant_initech")]);
    h.mapEntered("Wave", {}).batch("Wave", 0, WAVE, wave).mapExited("Wave", [wave]);
    const output: FleetRunOutput = {
      status: "FAILED",
      canary: [batchResult(CANARY, [ok("tenant_acme", 1500)])],
      waves: [[wave]],
      stoppedAfterWave: 1,
    };
    h.add("ExecutionSucceeded", { executionSucceededEventDetails: { output: JSON.stringify(output) } });
    serve({ history: h, visible: [h.events.length], final: { status: "SUCCEEDED", output } });

    const r = await migrate(["dev"]);

    expect(r.code).toBe(1);
    expect(r.out).toBe(
      [
        "tenant         version  duration  error",
        "-------------  -------  --------  ------------",
        "acme (canary)  1 → 2    1.5 s",
        "globex         1 → 1    800 ms    lock timeout",
        "initech        1 → 2    1.2 s",
        "execution SUCCEEDED: wave 1 had failures; later waves were not started (2 migrated, 1 failed, 0 unknown, 0 not started)",
        EXECUTION,
        "",
      ].join("\n"),
    );
  });

  it("backs off when DescribeExecution and GetExecutionHistory are throttled, and carries on", async () => {
    const h = successHistory();
    const wave = batchResult(WAVE, [ok("tenant_globex"), ok("tenant_initech")]);
    h.mapEntered("Wave", {}).batch("Wave", 0, WAVE, wave).mapExited("Wave", [wave]);
    const output: FleetRunOutput = {
      status: "SUCCEEDED",
      canary: [batchResult(CANARY, [ok("tenant_acme", 1500)])],
      waves: [[wave]],
      stoppedAfterWave: null,
    };
    serve({
      history: h,
      visible: [5, h.events.length],
      final: { status: "SUCCEEDED", output },
      // The 1st describe, then the 3rd and 4th history reads are throttled.
      throttleDescribe: [1],
      throttleHistory: [3, 4],
    });

    const r = await migrate(["dev"]);

    expect(r.code).toBe(0);
    // 1 s doubles on each throttle (2, 4, then 8 s, the ceiling), and grows by half after a good poll.
    expect(r.sleeps).toEqual([2000, 4000, 8000, 8000]);
    expect(r.lines.filter((l) => l.startsWith("(Step Functions throttled"))).toEqual([
      "(Step Functions throttled the poll: ThrottlingException; next in 2000 ms)",
      "(Step Functions throttled the poll: ThrottlingException; next in 4000 ms)",
      "(Step Functions throttled the poll: ThrottlingException; next in 8000 ms)",
    ]);
    expect(r.out).toContain("execution SUCCEEDED: every tenant migrated (3)\n");
  });

  it("exits 5 when the execution times out, with the results it had", async () => {
    const h = successHistory();
    h.mapEntered("Wave", {})
      .add("MapIterationStarted", { mapIterationStartedEventDetails: { name: "Wave", index: 0 } })
      .add("PassStateEntered", {
        stateEnteredEventDetails: { name: "Wave: Start batch", input: JSON.stringify({ runId: RUN_ID, batch: WAVE }) },
      })
      .add("ExecutionTimedOut", { executionTimedOutEventDetails: { error: "States.Timeout" } });
    serve({
      history: h,
      visible: [h.events.length],
      final: { status: "TIMED_OUT", error: "States.Timeout", cause: "The execution timed out" },
    });

    const r = await migrate(["dev"]);

    expect(r.code).toBe(5);
    expect(r.out).toBe(
      [
        "tenant         version  duration  error",
        "-------------  -------  --------  -----------------------------------------------------------------",
        "acme (canary)  1 → 2    1.5 s",
        "globex         -        -         no result: the run ended (TIMED_OUT) while its batch wave-1-1 ran",
        "initech        -        -         no result: the run ended (TIMED_OUT) while its batch wave-1-1 ran",
        "execution TIMED_OUT (States.Timeout: The execution timed out): the execution timed out: 1 of 3 tenants migrated, 0 failed",
        EXECUTION,
        "",
      ].join("\n"),
    );
  });

  it("exits 6 when the execution is aborted", async () => {
    const h = successHistory().add("ExecutionAborted", { executionAbortedEventDetails: { error: "Stopped" } });
    serve({ history: h, visible: [h.events.length], final: { status: "ABORTED", error: "Stopped", cause: "by ops" } });

    const r = await migrate(["dev"]);

    expect(r.code).toBe(6);
    expect(r.out).toContain(
      "globex         -        -         not run: the run ended (ABORTED) before batch wave-1-1\n",
    );
    expect(r.out).toContain("execution ABORTED (Stopped: by ops): the execution was aborted: 1 of 3 tenants migrated");
  });

  it("exits 4 when the execution itself fails, with the batch's error for its tenants", async () => {
    const h = successHistory();
    const lost = {
      ...WAVE,
      results: [],
      error: { Error: "ECS.AmazonECSException", Cause: "CannotPullContainerError: pull access denied" },
    };
    h.mapEntered("Wave", {}).batch("Wave", 0, WAVE, lost);
    h.add("ExecutionFailed", { executionFailedEventDetails: { error: "States.TaskFailed", cause: "boom" } });
    serve({
      history: h,
      visible: [h.events.length],
      final: { status: "FAILED", error: "States.TaskFailed", cause: "boom" },
    });

    const r = await migrate(["dev"]);

    expect(r.code).toBe(4);
    const why =
      "unknown (batch wave-1-1: ECS.AmazonECSException: CannotPullContainerError: pull access denied); npm run verify:tenants or a re-run tells";
    expect(r.out).toContain(`globex         ?        -         ${why}\n`);
    expect(r.out).toContain(`initech        ?        -         ${why}\n`);
    expect(r.out).toContain(
      "execution FAILED (States.TaskFailed: boom): the execution failed: 1 of 3 tenants migrated, 2 failed\n",
    );
    expect(r.lines).toContain(
      "globex: UNKNOWN: batch wave-1-1: ECS.AmazonECSException: CannotPullContainerError: pull access denied",
    );
  });

  it("--tenants limits the run, the first named tenant as the canary", async () => {
    const only = { batchId: "canary-1", schemas: ["tenant_initech"] };
    const res = batchResult(only, [ok("tenant_initech")]);
    const output: FleetRunOutput = { status: "SUCCEEDED", canary: [res], waves: [], stoppedAfterWave: null };
    serve({ history: new History(), visible: [0], final: { status: "SUCCEEDED", output } });

    const elsewhere = MACHINE.replace("us-east-1", "eu-west-1");
    const r = await migrate(["dev", "--tenants", "initech", "--state-machine-arn", elsewhere]);

    expect(r.code).toBe(0);
    // The client goes to the ARN's region, and starts that state machine.
    expect(r.regions).toEqual(["eu-west-1"]);
    expect(sfn.commandCalls(StartExecutionCommand)[0].args[0].input.stateMachineArn).toBe(elsewhere);
    expect(JSON.parse(sfn.commandCalls(StartExecutionCommand)[0].args[0].input.input as string)).toEqual({
      runId: RUN_ID,
      canary: [only],
      waves: [],
    });
    // The ARN was given: no lookup.
    expect(sfn.commandCalls(ListStateMachinesCommand)).toHaveLength(0);
  });

  it("says when the stack has no state machine yet (exit 7)", async () => {
    sfn.on(ListStateMachinesCommand).resolves({ stateMachines: [] });
    const r = await migrate(["dev"]);
    expect(r.code).toBe(7);
    expect(r.err).toContain(
      "migrate: no state machine named saas-dev-tenant-migrations in us-east-1; run pulumi up of the stack first, or pass --state-machine-arn\n",
    );
    expect(sfn.commandCalls(StartExecutionCommand)).toHaveLength(0);
  });

  it("reports an AWS refusal in one line with its code (exit 7)", async () => {
    sfn.on(ListStateMachinesCommand).rejects(
      new SFNServiceException({
        name: "AccessDeniedException",
        $fault: "client",
        $metadata: { httpStatusCode: 400 },
        message:
          "User: arn:aws:sts::123456789012:assumed-role/ci/x is not authorized to perform: states:ListStateMachines",
      }),
    );
    const r = await migrate(["dev"]);
    expect(r.code).toBe(7);
    expect(r.err).toBe(
      "migrate: AWS AccessDeniedException: User: arn:aws:sts::123456789012:assumed-role/ci/x is not authorized to perform: states:ListStateMachines\n",
    );
  });

  it("--dry-run prints the waves and calls no AWS API", async () => {
    const r = await migrate(["dev", "--dry-run"]);
    expect(r.code).toBe(0);
    expect(r.out).toBe(
      [
        "migrate dev, dry run (no AWS call): 3 tenants, batches of up to 25 schemas, 2 batches at once (saas:databaseMigratorConnections 6 ÷ 3 connections per Flyway run)",
        "canary (1 batch, first; a failure stops the run):",
        "  canary-1: acme",
        "wave 1 of 1 (1 batch at once):",
        "  wave-1-1: globex, initech",
        "Without --dry-run this starts an execution of saas-dev-tenant-migrations in us-east-1.",
        "",
      ].join("\n"),
    );
    expect(sfn.calls()).toHaveLength(0);
  });

  const USAGE = "usage: migrate -- <stack> [--tenants a,b] [--dry-run] [--state-machine-arn <arn>]\n";
  it.each([
    [[], "migrate: a stack is required, e.g. npm run migrate -- dev\n" + USAGE],
    [
      ["dev", "--tenants", "acme,nope"],
      'migrate: --tenants: "nope" is not a tenant of stack dev; its tenants: acme, globex, initech\n' + USAGE,
    ],
    [
      ["dev", "--tenants", "acme,,globex"],
      'migrate: --tenants "acme,,globex": expected a comma-separated list of tenant ids with no empty entry, e.g. acme,globex\n' +
        USAGE,
    ],
    [
      ["dev", "--tenants"],
      "migrate: --tenants needs a value: a comma-separated list of tenant ids, e.g. --tenants acme,globex\n" + USAGE,
    ],
    [
      ["dev", "--state-machine-arn", "saas-dev-tenant-migrations"],
      'migrate: --state-machine-arn "saas-dev-tenant-migrations": expected a state machine ARN, arn:aws:states:<region>:<account>:stateMachine:<name>\n' +
        USAGE,
    ],
    [
      ["dev", "--canary", "acme"],
      'migrate: unknown argument "--canary"; expected <stack>, --tenants, --dry-run, --state-machine-arn\n' + USAGE,
    ],
    [["dev", "prod"], 'migrate: unexpected argument "prod": the stack is already given (dev)\n' + USAGE],
    [["stag"], 'migrate: unknown stack "stag": there is no Pulumi.stag.yaml (stacks: dev, prod)\n'],
  ])("%j is a usage error: one line, exit 2, no AWS call", async (argv, message) => {
    const r = await migrate(argv);
    expect({ code: r.code, err: r.err, out: r.out }).toEqual({ code: 2, err: message, out: "" });
    expect(sfn.calls()).toHaveLength(0);
  });
});

describe("progress display", () => {
  /** A stream that records what is written; `isTTY` as given (cli-progress draws only on a terminal). */
  function stream(isTTY: boolean) {
    const chunks: string[] = [];
    const s = {
      isTTY,
      columns: 100,
      write: (c: string) => (chunks.push(String(c)), true),
      cursorTo: () => true,
      moveCursor: () => true,
      clearLine: () => true,
      clearScreenDown: () => true,
      on: () => s,
      removeListener: () => s,
    };
    return { s: s as unknown as NodeJS.WriteStream, text: () => chunks.join("") };
  }
  const tracker = () => {
    const plan = { canary: [CANARY], waves: [[WAVE]], concurrency: 1, batchSize: 25 };
    const t = new RunTracker(plan);
    t.batchFinished({ ...CANARY, results: [ok("tenant_acme")] });
    return t;
  };

  it.each([
    ["a pipe", false, {}],
    ["CI", true, { CI: "true" }],
  ])("writes plain lines in %s, no bar", (_, isTTY, env) => {
    const out = stream(isTTY);
    const view = chooseView(out.s, env, 3);
    view.line("acme (canary): 1 → 2 in 1.2 s");
    view.update(tracker());
    view.stop();
    expect(out.text()).toBe("acme (canary): 1 → 2 in 1.2 s\n");
  });

  it("draws a bar of tenants done on a terminal, lines above it", () => {
    const out = stream(true);
    const view = chooseView(out.s, {}, 3);
    view.line("acme (canary): 1 → 2 in 1.2 s");
    view.update(tracker());
    view.stop();
    expect(out.text()).toContain("acme (canary): 1 → 2 in 1.2 s\n");
    expect(out.text()).toMatch(/migrating \[[^\]]+\] 1\/3 tenants \| 0 running \| 0 failed/);
  });
});

describe("a stack with saas:tenantMigrationCanary", () => {
  // A copy of the project with the dev stack's config plus a configured canary.
  let dir: string;
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "migrate-canary-"));
    fs.copyFileSync(path.join(REPO_ROOT, "Pulumi.yaml"), path.join(dir, "Pulumi.yaml"));
    const dev = fs.readFileSync(path.join(REPO_ROOT, "Pulumi.dev.yaml"), "utf8");
    fs.writeFileSync(path.join(dir, "Pulumi.dev.yaml"), `${dev}  saas:tenantMigrationCanary:\n    - initech\n`);
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  const dryRun = async (argv: string[]) => {
    const out: string[] = [];
    const err: string[] = [];
    const code = await run([...argv, "--dry-run"], {
      sfn: () => {
        throw new Error("a dry run calls no AWS API");
      },
      out: (t) => out.push(t),
      err: (t) => err.push(t),
      view: () => ({ line: () => undefined, update: () => undefined, stop: () => undefined }),
      projectDir: dir,
    });
    return { code, out: out.join(""), err: err.join("") };
  };

  it("runs the configured canary first", async () => {
    const r = await dryRun(["dev"]);
    expect(r.err).toBe("");
    expect(r.code).toBe(0);
    expect(r.out).toContain(
      [
        "canary (1 batch, first; a failure stops the run):",
        "  canary-1: initech",
        "wave 1 of 1 (1 batch at once):",
        "  wave-1-1: acme, globex",
      ].join("\n"),
    );
  });

  it("--tenants replaces it: the first tenant named is the canary", async () => {
    const r = await dryRun(["dev", "--tenants", "globex,initech"]);
    expect(r.code).toBe(0);
    expect(r.out).toContain(["  canary-1: globex", "wave 1 of 1 (1 batch at once):", "  wave-1-1: initech"].join("\n"));
  });
});

describe("the plan npm run migrate starts", () => {
  // Two places compute a stack's waves: this command (narrowed by --tenants) and the offline plan's output.
  it.each(["dev", "prod"])("is the %s plan's tenantMigrationWaves output", async (stack) => {
    const run = await runStack({ stack });
    const plan = stackRunPlan(configOfStack(stack));
    expect(run.outputs.tenantMigrationWaves).toEqual({
      concurrency: plan.concurrency,
      batchSize: plan.batchSize,
      canary: plan.canary.map((b) => b.schemas.join(",")),
      waves: plan.waves.map((w) => w.map((b) => b.schemas.join(","))),
    });
  });
});
