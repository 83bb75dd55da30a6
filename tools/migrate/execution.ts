/**
 * The Step Functions side of `npm run migrate`: find the fleet runner, start an execution, follow it to its end.
 * Request and response shapes are those of the AWS Step Functions API Reference (ListStateMachines,
 * StartExecution, DescribeExecution, GetExecutionHistory).
 */
import {
  DescribeExecutionCommand,
  DescribeExecutionCommandOutput,
  GetExecutionHistoryCommand,
  HistoryEvent,
  paginateListStateMachines,
  SFNClient,
  StartExecutionCommand,
} from "@aws-sdk/client-sfn";
import { MAX_PAYLOAD_BYTES } from "../../components/tenant-migrations/run";

/** The state machine's name: `<namePrefix>-tenant-migrations` (the fleet runner component names it so). */
export function stateMachineName(namePrefix: string): string {
  return `${namePrefix}-tenant-migrations`;
}

/** Thrown when an AWS call fails in a way the operator must fix (exit status 7). */
export class AwsCallError extends Error {}

/** The state machine's ARN, by name, through every page of ListStateMachines. */
export async function findStateMachine(sfn: SFNClient, name: string, region: string): Promise<string> {
  for await (const page of paginateListStateMachines({ client: sfn, pageSize: 1000 }, {})) {
    const found = page.stateMachines?.find((m) => m.name === name);
    if (found?.stateMachineArn !== undefined) return found.stateMachineArn;
  }
  throw new AwsCallError(
    `no state machine named ${name} in ${region}; run pulumi up of the stack first, or pass --state-machine-arn`,
  );
}

export async function startExecution(
  sfn: SFNClient,
  stateMachineArn: string,
  name: string,
  input: unknown,
): Promise<{ executionArn: string; startDate?: Date }> {
  const text = JSON.stringify(input);
  const bytes = Buffer.byteLength(text, "utf8");
  if (bytes > MAX_PAYLOAD_BYTES) {
    throw new AwsCallError(
      `the execution input is ${bytes} bytes, over Step Functions' ${MAX_PAYLOAD_BYTES}; migrate the fleet in parts with --tenants`,
    );
  }
  const out = await sfn.send(new StartExecutionCommand({ stateMachineArn, name, input: text }));
  if (out.executionArn === undefined) throw new AwsCallError("StartExecution returned no executionArn");
  return { executionArn: out.executionArn, startDate: out.startDate };
}

/** Throttled by the Step Functions API (its error code, or HTTP 429 from a front end). */
export function isThrottling(e: unknown): boolean {
  const err = e as { name?: string; $metadata?: { httpStatusCode?: number } };
  return (
    err?.name === "ThrottlingException" ||
    err?.name === "TooManyRequestsException" ||
    err?.$metadata?.httpStatusCode === 429
  );
}

export interface PollSettings {
  /** First wait between polls, ms. @default 2000 */
  readonly initialMs?: number;
  /** Longest wait between polls, ms (also the ceiling of the throttling backoff). @default 15000 */
  readonly maxMs?: number;
}

export interface FollowDependencies {
  readonly sleep: (ms: number) => Promise<void>;
  /** Called with each new history event, oldest first. */
  readonly onEvents: (events: HistoryEvent[]) => void;
  /** Called when a poll was throttled and the next waits `delayMs`. */
  readonly onThrottled?: (delayMs: number, error: Error) => void;
}

/**
 * New events since `afterId`, oldest first: GetExecutionHistory in reverse order, page by page, until an event
 * already seen (event ids are sequential from 1, per the API Reference), so a long run is not re-read each poll.
 */
export async function eventsAfter(sfn: SFNClient, executionArn: string, afterId: number): Promise<HistoryEvent[]> {
  const fresh: HistoryEvent[] = [];
  let nextToken: string | undefined;
  do {
    const page = await sfn.send(
      new GetExecutionHistoryCommand({ executionArn, reverseOrder: true, maxResults: 1000, nextToken }),
    );
    nextToken = page.nextToken;
    for (const e of page.events ?? []) {
      if ((e.id ?? 0) <= afterId) return fresh.reverse();
      fresh.push(e);
    }
  } while (nextToken !== undefined);
  return fresh.reverse();
}

/**
 * Polls the execution until it is no longer RUNNING (or PENDING_REDRIVE), reporting its history events as they
 * come. The wait between polls starts at `initialMs` and grows by half up to `maxMs`; a throttled poll doubles
 * it (up to `maxMs`) and is retried, never fatal. The SDK retries throttling itself first (standard retry mode).
 */
export async function followExecution(
  sfn: SFNClient,
  executionArn: string,
  deps: FollowDependencies,
  settings: PollSettings = {},
): Promise<DescribeExecutionCommandOutput> {
  const initialMs = settings.initialMs ?? 2000;
  const maxMs = settings.maxMs ?? 15_000;
  let delay = initialMs;
  let lastId = 0;
  const drain = async () => {
    const events = await eventsAfter(sfn, executionArn, lastId);
    if (events.length > 0) {
      lastId = Math.max(lastId, ...events.map((e) => e.id ?? 0));
      deps.onEvents(events);
    }
  };
  for (;;) {
    try {
      await drain();
      const d = await sfn.send(new DescribeExecutionCommand({ executionArn }));
      if (d.status !== "RUNNING" && d.status !== "PENDING_REDRIVE") {
        await drain(); // the events written between the history read and the describe
        return d;
      }
      delay = Math.min(Math.round(delay * 1.5), maxMs);
    } catch (e) {
      if (!isThrottling(e)) throw e;
      delay = Math.min(delay * 2, maxMs);
      deps.onThrottled?.(delay, e as Error);
    }
    await deps.sleep(delay);
  }
}
