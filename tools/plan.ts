import { PlanError, runStack } from "./engine/run";
import { planDocument, renderText } from "./plan/render";
import { costEstimate, policyViolations } from "./plan/checks";
import { formatCostTable } from "./cost/format";

/**
 * `npm run plan -- <stack> [--json]`: runs the real program for a stack under the offline engine, then the policy
 * pack and the cost estimate over what it registered. No credentials, no Pulumi CLI, no network.
 *
 * Exit status: 0 clean, 1 mandatory policy violations, 2 configuration or program error.
 */

const USAGE =
  "usage: npm run plan -- <stack> [--json] [--project <dir>]\n" +
  "  <stack>          a stack with a Pulumi.<stack>.yaml file, e.g. dev or prod\n" +
  "  --json           print the plan as JSON only (use `npm run -s plan` to keep npm's banner off stdout)\n" +
  "  --project <dir>  the folder with Pulumi.yaml (default: this repository)";

export interface PlanArgs {
  readonly stack: string;
  readonly json: boolean;
  readonly projectDir?: string;
}

export function parseArgs(argv: readonly string[]): PlanArgs | { error: string } {
  const positional: string[] = [];
  let json = false;
  let projectDir: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === "--json") {
      json = true;
    } else if (arg === "--project") {
      projectDir = argv[++i];
      if (projectDir === undefined) {
        return { error: "--project needs a folder" };
      }
    } else if (arg.startsWith("-")) {
      return { error: `unknown option ${arg}` };
    } else {
      positional.push(arg);
    }
  }
  if (positional.length !== 1) {
    return {
      error: positional.length === 0 ? "missing the stack name" : `expected one stack, got ${positional.join(" ")}`,
    };
  }
  return { stack: positional[0], json, projectDir };
}

/** Shows how many resources are registered so far, on a terminal only, for runs that take more than a moment. */
function progress(enabled: boolean) {
  const started = Date.now();
  let shown = false;
  return {
    update(count: number) {
      if (enabled && Date.now() - started > 300) {
        process.stderr.write(`\r  registering resources… ${count}`);
        shown = true;
      }
    },
    done() {
      if (shown) {
        process.stderr.write("\r\x1b[K");
      }
    },
  };
}

export async function main(argv: readonly string[]): Promise<number> {
  const args = parseArgs(argv);
  if ("error" in args) {
    process.stderr.write(`error: ${args.error}\n${USAGE}\n`);
    return 2;
  }
  const bar = progress(process.stderr.isTTY === true);
  try {
    const run = await runStack({
      stack: args.stack,
      projectDir: args.projectDir,
      onRegister: (_r, count) => bar.update(count),
    });
    bar.done();
    const violations = policyViolations(run);
    const cost = costEstimate(run);
    const doc = planDocument(run, violations, cost);
    if (args.json) {
      process.stdout.write(`${JSON.stringify(doc, null, 2)}\n`);
    } else {
      process.stdout.write(`${renderText(doc, run, { costTable: formatCostTable(cost) })}\n`);
    }
    return violations.some((v) => v.level === "mandatory") ? 1 : 0;
  } catch (err) {
    bar.done();
    if (err instanceof PlanError) {
      const what = err.kind === "config" ? "configuration error" : "program error";
      process.stderr.write(`error: ${args.stack}: ${what}: ${err.message}\n`);
      if (process.env.PLAN_DEBUG && err.cause instanceof Error) {
        process.stderr.write(`${err.cause.stack}\n`);
      } else if (err.kind === "program") {
        process.stderr.write("(set PLAN_DEBUG=1 to see the stack trace)\n");
      }
      return 2;
    }
    throw err;
  }
}

if (require.main === module) {
  // exitCode, not exit(): a piped stdout is written asynchronously, and exit() would cut a large plan short.
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (err: unknown) => {
      process.stderr.write(`error: ${err instanceof Error ? err.message : String(err)}\n`);
      process.exitCode = 2;
    },
  );
}
