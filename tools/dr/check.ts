import { PlanError, runStack } from "../engine/run";
import { objectivesFor, OBJECTIVES } from "./objectives";
import { assess, dataStores, renderReport } from "./stores";

/**
 * `npm run dr:check -- <stack> [--json]`: lists the stack's data stores from the offline plan (no credentials)
 * and flags any that fall short of the stack's recovery objectives (tools/dr/objectives.ts).
 *
 * Exit status: 0 every store meets them (or there is none), 1 a store falls short, 2 configuration or program
 * error, or a stack without objectives.
 */

const USAGE =
  "usage: npm run dr:check -- <stack> [--json]\n" +
  `  <stack>  a stack with a Pulumi.<stack>.yaml and objectives in tools/dr/objectives.ts (${Object.keys(OBJECTIVES).join(", ")})\n` +
  "  --json   print { stack, objectives, stores: [{ store, shortfalls }], short } only";

export function parseArgs(argv: readonly string[]): { stack: string; json: boolean } | { error: string } {
  const positional = argv.filter((a) => !a.startsWith("-"));
  const unknown = argv.filter((a) => a.startsWith("-") && a !== "--json");
  if (unknown.length > 0) {
    return { error: `unknown option ${unknown[0]}` };
  }
  if (positional.length !== 1) {
    return {
      error: positional.length === 0 ? "missing the stack name" : `expected one stack, got ${positional.join(" ")}`,
    };
  }
  return { stack: positional[0], json: argv.includes("--json") };
}

export async function main(argv: readonly string[]): Promise<number> {
  const args = parseArgs(argv);
  if ("error" in args) {
    process.stderr.write(`error: ${args.error}\n${USAGE}\n`);
    return 2;
  }
  const objectives = objectivesFor(args.stack);
  if (!objectives) {
    process.stderr.write(
      `error: ${args.stack}: no recovery objectives: add the stack to OBJECTIVES in tools/dr/objectives.ts\n`,
    );
    return 2;
  }
  try {
    const run = await runStack({ stack: args.stack });
    const assessments = assess(dataStores(run.resources), objectives);
    const short = assessments.filter((a) => a.shortfalls.length > 0).length;
    if (args.json) {
      process.stdout.write(
        `${JSON.stringify({ stack: args.stack, objectives, stores: assessments, short }, null, 2)}\n`,
      );
    } else {
      process.stdout.write(`${renderReport(args.stack, objectives, assessments)}\n`);
    }
    return short > 0 ? 1 : 0;
  } catch (err) {
    if (err instanceof PlanError) {
      const what = err.kind === "config" ? "configuration error" : "program error";
      process.stderr.write(`error: ${args.stack}: ${what}: ${err.message}\n`);
      return 2;
    }
    throw err;
  }
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (err: unknown) => {
      process.stderr.write(`error: ${err instanceof Error ? err.message : String(err)}\n`);
      process.exit(2);
    },
  );
}
