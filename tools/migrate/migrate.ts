/**
 * Migrates the stack's tenant schemas with the stack's fleet runner (a Step Functions state machine):
 *
 *   npm run migrate -- <stack> [--tenants a,b] [--dry-run] [--state-machine-arn <arn>]
 *
 * It plans the run from the stack's config (the canary first, then waves of batches within the migrator's
 * connection share: components/tenant-migrations/waves.ts), starts an execution of
 * `<namePrefix>-tenant-migrations` with that plan as its input, shows each tenant's result as it lands, and
 * prints a summary table. `--tenants` migrates only those tenants; `--dry-run` prints the waves and calls no AWS
 * API. Exit status (EXIT in report.ts, listed in runbooks/database-migrations.md): 0 every tenant migrated,
 * 1 a tenant failed, 2 usage or configuration error, 3 the canary failed, 4 the execution failed, 5 it timed
 * out, 6 it was aborted, 7 an AWS call failed.
 */
import { randomBytes } from "crypto";
import { MultiBar, Presets } from "cli-progress";
import { SFNClient } from "@aws-sdk/client-sfn";
import { FleetRunPlan, FLYWAY_CONNECTIONS_PER_RUN, tenantRunPlan } from "../../components/tenant-migrations/waves";
import { FleetRunInput, summariseRun, validateRunInput } from "../../components/tenant-migrations/run";
import { StackConfig } from "../../stacks/config";
import { REPO_ROOT } from "../engine/run";
import { UsageError } from "../tenants/cli";
import { configOfStack } from "../tenants/stack";
import { findStateMachine, followExecution, startExecution, stateMachineName } from "./execution";
import {
  eventFacts,
  EXIT,
  exitStatus,
  FleetRunOutput,
  formatPlan,
  RunTracker,
  summaryTable,
  tenantLine,
  TenantProgress,
  verdict,
} from "./report";

const USAGE = "usage: migrate -- <stack> [--tenants a,b] [--dry-run] [--state-machine-arn <arn>]";

const STATE_MACHINE_ARN = /^arn:aws[a-z-]*:states:[a-z0-9-]+:\d{12}:stateMachine:[A-Za-z0-9_-]{1,80}$/;

export interface MigrateArgs {
  readonly stack: string;
  readonly tenants?: readonly string[];
  readonly dryRun: boolean;
  readonly stateMachineArn?: string;
}

/** The command line, or a UsageError naming the argument, the value and what is expected. */
export function parseArgs(argv: readonly string[]): MigrateArgs | "help" {
  let stack: string | undefined;
  let tenants: string[] | undefined;
  let stateMachineArn: string | undefined;
  let dryRun = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === "--help" || arg === "-h") return "help";
    if (arg === "--dry-run") {
      dryRun = true;
      continue;
    }
    const flag = /^--(tenants|state-machine-arn)(?:=(.*))?$/.exec(arg);
    if (flag) {
      const value = flag[2] ?? argv[++i];
      if (value === undefined || (flag[2] === undefined && value.startsWith("--"))) {
        throw new UsageError(
          `--${flag[1]} needs a value: ${flag[1] === "tenants" ? "a comma-separated list of tenant ids, e.g. --tenants acme,globex" : "a state machine ARN"}`,
        );
      }
      if (flag[1] === "tenants") {
        tenants = [...new Set(value.split(",").map((t) => t.trim()))];
        if (tenants.some((t) => t === "")) {
          throw new UsageError(
            `--tenants ${JSON.stringify(value)}: expected a comma-separated list of tenant ids with no empty entry, e.g. acme,globex`,
          );
        }
      } else {
        if (!STATE_MACHINE_ARN.test(value)) {
          throw new UsageError(
            `--state-machine-arn ${JSON.stringify(value)}: expected a state machine ARN, arn:aws:states:<region>:<account>:stateMachine:<name>`,
          );
        }
        stateMachineArn = value;
      }
      continue;
    }
    if (arg.startsWith("-")) {
      throw new UsageError(
        `unknown argument ${JSON.stringify(arg)}; expected <stack>, --tenants, --dry-run, --state-machine-arn`,
      );
    }
    if (stack !== undefined) {
      throw new UsageError(`unexpected argument ${JSON.stringify(arg)}: the stack is already given (${stack})`);
    }
    stack = arg;
  }
  if (stack === undefined) throw new UsageError("a stack is required, e.g. npm run migrate -- dev");
  return { stack, tenants, dryRun, stateMachineArn };
}

/**
 * The run's plan from the stack's config: `tenantRunPlan` (components/tenant-migrations/waves.ts), the plan the
 * offline plan shows as `tenantMigrationWaves`, narrowed to `--tenants` (whose first named tenant is then the
 * canary instead of saas:tenantMigrationCanary). A `--tenants` id the stack does not have is a usage error.
 */
export function stackRunPlan(config: StackConfig, only?: readonly string[]): FleetRunPlan {
  const ids = config.database.tenants.map((t) => t.id);
  if (only !== undefined) {
    const unknown = only.filter((t) => !ids.includes(t));
    if (unknown.length > 0) {
      throw new UsageError(
        `--tenants: ${unknown.map((t) => JSON.stringify(t)).join(", ")} ${unknown.length === 1 ? "is not a tenant" : "are not tenants"} of stack ${config.stack}; its tenants: ${ids.join(", ") || "none"}`,
      );
    }
  }
  if (ids.length === 0) {
    throw new UsageError(`stack ${config.stack} has no tenants in saas:tenants: nothing to migrate`);
  }
  return tenantRunPlan({
    tenantIds: ids,
    canary: config.database.migrationCanary,
    only,
    migratorConnections: config.database.migratorConnections,
  });
}

/** The plan as both a dry run and a real run print it. */
function describePlan(config: StackConfig, plan: FleetRunPlan): string {
  const total = [...plan.canary, ...plan.waves.flat()].reduce((n, b) => n + b.schemas.length, 0);
  return (
    `${total} tenant${total === 1 ? "" : "s"}, batches of up to ${plan.batchSize} schemas, ` +
    `${plan.concurrency} batch${plan.concurrency === 1 ? "" : "es"} at once ` +
    `(saas:databaseMigratorConnections ${config.database.migratorConnections} ÷ ${FLYWAY_CONNECTIONS_PER_RUN} connections per Flyway run)\n` +
    `${formatPlan(plan)}\n`
  );
}

/** A name Step Functions accepts (1-80 of A-Z a-z 0-9 - _) and that is unique: stack, UTC time, random. */
export function executionName(stack: string, now: Date, random = randomBytes(3).toString("hex")): string {
  const time = now
    .toISOString()
    .replace(/[-:]/g, "")
    .replace(/\.\d+Z$/, "Z");
  return `migrate-${stack.replace(/[^A-Za-z0-9_-]/g, "-").slice(0, 40)}-${time}-${random}`;
}

/** How progress is shown: a bar on a terminal, plain lines otherwise (CI, a pipe). */
export interface ProgressView {
  /** A line above the bar (or on its own). */
  line(text: string): void;
  update(tracker: RunTracker): void;
  stop(): void;
}

export function plainView(write: (t: string) => void): ProgressView {
  return { line: (t) => write(`${t}\n`), update: () => undefined, stop: () => undefined };
}

export function barView(stream: NodeJS.WriteStream, total: number): ProgressView {
  const multi = new MultiBar(
    {
      stream,
      format: "migrating [{bar}] {value}/{total} tenants | {running} running | {failed} failed",
      hideCursor: true,
      clearOnComplete: false,
    },
    Presets.shades_classic,
  );
  const bar = multi.create(total, 0, { running: 0, failed: 0 });
  return {
    line: (t) => multi.log(`${t}\n`),
    update: (tracker) =>
      bar.update(tracker.count("succeeded") + tracker.count("failed"), {
        running: tracker.count("running"),
        failed: tracker.count("failed"),
      }),
    // MultiBar.stop() renders the bars but not the lines still queued by log(): draw once more to flush them,
    // or the last tenants' lines would never reach the terminal.
    stop: () => {
      multi.update();
      multi.stop();
    },
  };
}

/**
 * A bar only for a person at a terminal; plain lines in CI (GitHub Actions and most CI systems set `CI`) and in
 * a pipe or a file, where a bar's carriage returns would be noise in the log.
 */
export function chooseView(stream: NodeJS.WriteStream, env: NodeJS.ProcessEnv, total: number): ProgressView {
  return stream.isTTY === true && (env.CI === undefined || env.CI === "" || env.CI === "false")
    ? barView(stream, total)
    : plainView((t) => stream.write(t));
}

export interface MigrateDependencies {
  readonly sfn: (region: string) => SFNClient;
  readonly out: (text: string) => void;
  readonly err: (text: string) => void;
  /** The progress display for a run of `total` tenants. */
  readonly view: (total: number) => ProgressView;
  readonly sleep?: (ms: number) => Promise<void>;
  readonly now?: () => Date;
  readonly projectDir?: string;
  /** Poll timing (tests make it short). */
  readonly poll?: { initialMs?: number; maxMs?: number };
  /** The random part of the execution name. */
  readonly random?: string;
}

export async function run(argv: readonly string[], deps: MigrateDependencies): Promise<number> {
  let view: ProgressView | undefined;
  let calledAws = false;
  try {
    const args = parseArgs(argv);
    if (args === "help") {
      deps.out(`${USAGE}\n`);
      return EXIT.ok;
    }
    const config = configOfStack(args.stack, deps.projectDir ?? REPO_ROOT);
    const plan = stackRunPlan(config, args.tenants);
    const machineName = stateMachineName(config.namePrefix);
    const runId = executionName(args.stack, (deps.now ?? (() => new Date()))(), deps.random);
    const input: FleetRunInput = { runId, canary: plan.canary, waves: plan.waves };
    const problems = validateRunInput(input);
    if (problems.length > 0) throw new UsageError(problems.join("; "));
    if (args.dryRun) {
      deps.out(
        `migrate ${args.stack}, dry run (no AWS call): ${describePlan(config, plan)}` +
          `Without --dry-run this starts an execution of ${args.stateMachineArn ?? machineName} in ${config.region}.\n`,
      );
      return EXIT.ok;
    }

    calledAws = true;
    // A given ARN names its region (arn:aws:states:<region>:…); otherwise the stack's.
    const region = args.stateMachineArn?.split(":")[3] ?? config.region;
    const sfn = deps.sfn(region);
    const stateMachineArn = args.stateMachineArn ?? (await findStateMachine(sfn, machineName, region));
    deps.err(`migrate ${args.stack}: ${describePlan(config, plan)}`);
    const { executionArn } = await startExecution(sfn, stateMachineArn, runId, input);
    deps.err(`started ${executionArn}\n(interrupting this command stops following the execution, not the execution)\n`);

    const tracker = new RunTracker(plan);
    view = deps.view(tracker.tenants.length);
    const v = view;
    const show = (changed: TenantProgress[]) => {
      for (const t of changed) v.line(tenantLine(t));
      v.update(tracker);
    };
    const final = await followExecution(
      sfn,
      executionArn,
      {
        sleep: deps.sleep ?? ((ms) => new Promise((r) => setTimeout(r, ms))),
        onEvents: (events) => {
          for (const e of events) {
            const facts = eventFacts(e);
            for (const b of facts.started) tracker.batchStarted(b);
            show(facts.finished.flatMap((b) => tracker.batchFinished(b)));
          }
          v.update(tracker);
        },
        onThrottled: (ms, e) => v.line(`(Step Functions throttled the poll: ${e.name}; next in ${ms} ms)`),
      },
      deps.poll,
    );
    const status = final.status ?? "UNKNOWN";
    let output: FleetRunOutput | undefined;
    if (final.output !== undefined) {
      try {
        output = JSON.parse(final.output) as FleetRunOutput;
      } catch {
        v.line(`the execution's output is not JSON: ${final.output.slice(0, 200)}`);
      }
    }
    if (output !== undefined) {
      const before = new Map(tracker.tenants.map((t) => [t.schema, JSON.stringify(t.result)]));
      tracker.applyOutput(output);
      show(tracker.tenants.filter((t) => JSON.stringify(t.result) !== before.get(t.schema)));
    }
    view.stop();
    view = undefined;
    const summary = output === undefined ? undefined : summariseRun(output, input);
    const code = exitStatus(status, tracker, summary);
    const ended = summary !== undefined ? summary.status : status;
    deps.out(`${summaryTable(tracker, ended)}\n`);
    const detail = final.error !== undefined ? ` (${final.error}${final.cause ? `: ${final.cause}` : ""})` : "";
    deps.out(`execution ${status}${detail}: ${summary?.message ?? verdict(code, tracker)}\n${executionArn}\n`);
    return code;
  } catch (e) {
    view?.stop();
    const err = e as Error & { $metadata?: unknown };
    const message = err.message.replace(/\n\s*/g, " ");
    // Everything before the first AWS call is about the command line or the stack's config (an unknown stack,
    // an invalid Pulumi.<stack>.yaml, a plan the planner refuses): exit 2, nothing was started.
    if (e instanceof UsageError || !calledAws) {
      deps.err(`migrate: ${message}\n${e instanceof UsageError ? `${USAGE}\n` : ""}`);
      return EXIT.usage;
    }
    deps.err(`migrate: ${err.$metadata !== undefined ? `AWS ${err.name}: ` : ""}${message}\n`);
    return EXIT.awsError;
  }
}

if (require.main === module) {
  void run(process.argv.slice(2), {
    sfn: (region) => new SFNClient({ region }),
    out: (t) => process.stdout.write(t),
    err: (t) => process.stderr.write(t),
    view: (total) => chooseView(process.stderr, process.env, total),
  }).then((code) => (process.exitCode = code));
}
