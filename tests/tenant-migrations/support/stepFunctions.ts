/**
 * A small interpreter for the JSONata states the fleet definition uses (Pass, Task, Choice, Map, Succeed,
 * Fail), so tests run the real definition against mocked service integrations. It follows the AWS Step
 * Functions Developer Guide, "Transforming data with JSONata in Step Functions" and "Passing data between
 * states with variables":
 * - `{% … %}` strings are JSONata, their values passed on as JSON, evaluated with `$states.input`, `$states.result`, `$states.errorOutput`,
 *   `$states.context` and the workflow variables bound; Step Functions' `$parse` is JSON.parse.
 * - A state's Assign and Output are both evaluated against the variables as they were when the state was
 *   entered; the assignments take effect for the next state.
 * - Output defaults to the state's input (Pass, Succeed, Choice) or its result (Task, Map); a Catch's Output
 *   defaults to the error output `{Error, Cause}`.
 * - A Map iteration sees the outer variables; what it assigns stays inside the iteration.
 * - A JSONata field that evaluates to undefined (a missing field, an unassigned variable) is the error
 *   `States.QueryEvaluationError`, as the guide's error table says, not a missing value: in a Task's Arguments
 *   it is the task's error (its Retry and Catch apply), elsewhere it fails the execution.
 * - A Task's Retry: the first retrier whose ErrorEquals names the error (or `States.ALL`) runs the task again,
 *   at most MaxAttempts times (default 3; "Handling errors in Step Functions workflows"), then Catch applies.
 *   The intervals are not waited for.
 * What it does not do: timeouts, concurrency (iterations run one after
 * another; MaxConcurrency only bounds what runs at once, not the result), JSONPath states. JSONata itself is
 * the `jsonata` package (2.x, the version asl-validator validates expressions with); Step Functions documents
 * JSONata 2.0 semantics.
 */
import jsonata from "jsonata";

/** What a mocked integration throws: Step Functions' error name and cause. */
export class TaskError extends Error {
  constructor(
    readonly error: string,
    readonly errorCause: string,
  ) {
    super(`${error}: ${errorCause}`);
  }
}

export type Integration = (resource: string, args: Record<string, unknown>) => Promise<unknown>;

interface State {
  Type: string;
  Next?: string;
  End?: boolean;
  Output?: unknown;
  Assign?: Record<string, unknown>;
  Arguments?: unknown;
  Resource?: string;
  Catch?: { ErrorEquals: string[]; Next: string; Assign?: Record<string, unknown>; Output?: unknown }[];
  Retry?: { ErrorEquals: string[]; MaxAttempts?: number }[];
  Choices?: { Condition: string; Next: string }[];
  Default?: string;
  Items?: string;
  ItemSelector?: unknown;
  ItemProcessor?: Machine;
  Error?: string;
  Cause?: string;
}
interface Machine {
  StartAt: string;
  States: Record<string, State>;
}

export interface ExecutionResult {
  readonly status: "SUCCEEDED" | "FAILED";
  readonly output?: unknown;
  readonly error?: { Error: string; Cause: string };
  /** States entered, as Step Functions counts state transitions for billing. */
  readonly transitions: number;
}

class Failed extends Error {
  constructor(readonly failure: { Error: string; Cause: string }) {
    super(failure.Error);
  }
}

async function evaluate(value: unknown, bindings: Record<string, unknown>): Promise<unknown> {
  if (typeof value === "string") {
    const m = /^\{% ([\s\S]+) %\}$/.exec(value);
    if (!m) return value;
    const expression = jsonata(m[1]);
    expression.registerFunction("parse", (s: string) => JSON.parse(s) as unknown, "<s:x>");
    // Step Functions passes JSON between states: a round trip drops what jsonata-js marks on its arrays
    // (sequence flags), which would otherwise change how a later expression flattens them.
    const result: unknown = await expression.evaluate({}, bindings);
    if (result === undefined) {
      throw new TaskError("States.QueryEvaluationError", `the JSONata expression ${m[1]} evaluated to undefined`);
    }
    return JSON.parse(JSON.stringify(result)) as unknown;
  }
  if (Array.isArray(value)) return Promise.all(value.map((v) => evaluate(v, bindings)));
  if (value !== null && typeof value === "object") {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = await evaluate(v, bindings);
    return out;
  }
  return value;
}

async function assign(
  spec: Record<string, unknown> | undefined,
  bindings: Record<string, unknown>,
  vars: Record<string, unknown>,
) {
  if (!spec) return vars;
  const next = { ...vars };
  for (const [k, v] of Object.entries(spec)) next[k] = await evaluate(v, bindings);
  return next;
}

export async function runDefinition(
  definition: Record<string, unknown>,
  input: unknown,
  integration: Integration,
): Promise<ExecutionResult> {
  let transitions = 0;
  const context = { Execution: { Input: input } };

  async function run(machine: Machine, stateInput: unknown, outer: Record<string, unknown>, ctx: object) {
    let vars = { ...outer };
    let name: string | undefined = machine.StartAt;
    let current = stateInput;
    for (;;) {
      const state: State = machine.States[name];
      if (!state) throw new Error(`no state ${name}`);
      transitions++;
      const base = { ...vars, states: { input: current, context: ctx } };
      let output: unknown;
      let next = state.Next;
      // A caught error goes to the Catch's Next, also from a state that would otherwise end.
      let caught = false;
      switch (state.Type) {
        case "Pass":
        case "Succeed": {
          output = state.Output === undefined ? current : await evaluate(state.Output, base);
          vars = await assign(state.Assign, base, vars);
          if (state.Type === "Succeed") return output;
          break;
        }
        case "Fail":
          throw new Failed({ Error: state.Error ?? "", Cause: state.Cause ?? "" });
        case "Choice": {
          next = state.Default;
          for (const c of state.Choices ?? []) {
            if ((await evaluate(c.Condition, base)) === true) {
              next = c.Next;
              break;
            }
          }
          output = current;
          break;
        }
        case "Task":
        case "Map": {
          let result: unknown;
          try {
            if (state.Type === "Task") {
              const attempts = new Map<number, number>();
              for (;;) {
                try {
                  result = await integration(state.Resource ?? "", (await evaluate(state.Arguments, base)) as never);
                  break;
                } catch (e) {
                  if (!(e instanceof TaskError)) throw e;
                  const i = (state.Retry ?? []).findIndex(
                    (r) => r.ErrorEquals.includes("States.ALL") || r.ErrorEquals.includes(e.error),
                  );
                  const used = attempts.get(i) ?? 0;
                  if (i === -1 || used >= ((state.Retry ?? [])[i].MaxAttempts ?? 3)) throw e;
                  attempts.set(i, used + 1);
                }
              }
            } else {
              const items = (await evaluate(state.Items, base)) as unknown[];
              const results: unknown[] = [];
              for (const [Index, Value] of items.entries()) {
                const itemCtx = { ...ctx, Map: { Item: { Index, Value } } };
                const itemInput = await evaluate(state.ItemSelector, {
                  ...vars,
                  states: { input: current, context: itemCtx },
                });
                results.push(await run(state.ItemProcessor as Machine, itemInput, vars, ctx));
              }
              result = results;
            }
          } catch (e) {
            if (!(e instanceof TaskError)) throw e;
            const errorOutput = { Error: e.error, Cause: e.errorCause };
            const handler = state.Catch?.find(
              (c) => c.ErrorEquals.includes("States.ALL") || c.ErrorEquals.includes(e.error),
            );
            if (!handler) throw new Failed(errorOutput);
            const withError = { ...base, states: { ...base.states, errorOutput } };
            output = handler.Output === undefined ? errorOutput : await evaluate(handler.Output, withError);
            vars = await assign(handler.Assign, withError, vars);
            next = handler.Next;
            caught = true;
            break;
          }
          const withResult = { ...base, states: { ...base.states, result } };
          output = state.Output === undefined ? result : await evaluate(state.Output, withResult);
          vars = await assign(state.Assign, withResult, vars);
          break;
        }
        default:
          throw new Error(`state type ${state.Type} is not simulated`);
      }
      if (state.End && !caught) return output;
      if (!next) throw new Error(`state ${name} has no Next`);
      name = next;
      current = output;
    }
  }

  try {
    const output = await run(definition as unknown as Machine, input, {}, context);
    return { status: "SUCCEEDED", output, transitions };
  } catch (e) {
    if (e instanceof Failed) return { status: "FAILED", error: e.failure, transitions };
    if (e instanceof TaskError)
      return { status: "FAILED", error: { Error: e.error, Cause: e.errorCause }, transitions };
    throw e;
  }
}
