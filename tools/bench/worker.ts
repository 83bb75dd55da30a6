import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import * as ts from "typescript";
import { runStack } from "../engine/run";
import { costEstimate, policyViolations } from "../plan/checks";
import { INVOKES } from "../engine/invokes";
import { createResource } from "../engine/resources";

/**
 * One measurement, in a fresh process so memory figures are its own: prints `{ ms, peakRssMb, ... }` as JSON.
 *   plan <stack> <runs>       the offline plan (program + policies + cost), best of <runs> after a warm-up
 *   floor <count> <runs> same|default  <count> bare resources registered under the SDK's own mocks
 *   program-floor <stack> <runs>       the same program under the barest mocks that let it run
 *   tenants <count> <runs>             the dev plan with <count> tenants
 *   policies <stack> <count> <runs>    the policy pack over a stack's plan, or a synthetic plan of <count>
 *   typecheck <tsconfig|file> tsc --noEmit of a project or of one file
 */

const REPO = path.resolve(__dirname, "..", "..");

async function timeBest(runs: number, fn: () => Promise<unknown>): Promise<number> {
  await fn(); // warm-up: module loading and JIT are not what is measured
  let best = Infinity;
  for (let i = 0; i < runs; i++) {
    const start = process.hrtime.bigint();
    await fn();
    best = Math.min(best, Number(process.hrtime.bigint() - start) / 1e6);
  }
  return best;
}

async function plan(stack: string, runs: number) {
  let resources = 0;
  const ms = await timeBest(runs, async () => {
    const run = await runStack({ stack });
    policyViolations(run);
    costEstimate(run);
    resources = run.resources.length;
  });
  return { ms, resources };
}

/** A resource with nothing but a type, a name and one input: the least the SDK can register. */
class Bare extends pulumi.CustomResource {
  constructor(name: string, props: pulumi.Inputs) {
    super("bench:index:Bare", name, props);
  }
}

/**
 * The SDK's floor: bare resources under its own mocks. `sameSettings` applies the engine's process settings (no
 * stack-trace capture), so the ratio measures the engine's own overhead rather than that setting.
 */
async function floor(count: number, runs: number, sameSettings: boolean) {
  if (sameSettings) {
    Error.stackTraceLimit = 0;
  }
  const ms = await timeBest(runs, async () => {
    await pulumi.runtime.setMocks(
      { newResource: (a) => ({ id: `${a.name}-id`, state: a.inputs }), call: (a) => a.inputs },
      "bench",
      "floor",
      false,
    );
    const resources: pulumi.CustomResource[] = [];
    for (let i = 0; i < count; i++) {
      resources.push(new Bare(`r${i}`, { value: i }));
    }
    await Promise.all(resources.map((r) => new Promise((resolve) => r.urn.apply(resolve))));
  });
  return { ms, resources: count, sameSettings };
}

/**
 * The same program under the SDK's mocks, answered as the engine answers but with nothing recorded and no
 * policies or cost: what the program's registrations cost the SDK itself.
 */
async function programFloor(stack: string, runs: number) {
  return sameProgramUnderSdkMocks(stack, {}, runs);
}

/**
 * A stack's program under the SDK's mocks answered like the engine, with nothing recorded and no policies or
 * cost: the floor the engine's own overhead is measured against.
 */
async function sameProgramUnderSdkMocks(stack: string, config: Record<string, string>, runs: number) {
  Error.stackTraceLimit = 0;
  const cloud = { account: "123456789012", region: "us-east-1", partition: "aws", defaultTags: {} };
  let resources = 0;
  const ms = await timeBest(runs, async () => {
    resources = 0;
    await runStack({
      stack,
      config,
      bareMocks: {
        newResource: (a) => {
          resources++;
          // The same answers as the engine (the program reads ARNs, secrets, endpoints), nothing recorded.
          return a.custom ? createResource(cloud, a.type, a.name, a.inputs) : { id: undefined, state: {} };
        },
        call: (a) => INVOKES[a.token](a.inputs, cloud),
      },
    });
  });
  return { ms, resources };
}

/**
 * The dev plan with `count` tenants as it ships (the provisioner applies them: they are only the Invocation's
 * input, no resources), through a config override of saas:tenants.
 */
async function tenants(count: number, runs: number, sameProgramFloor: boolean) {
  const list = Array.from({ length: count }, (_, i) => ({ id: `t${String(i).padStart(4, "0")}` }));
  const config = { "saas:tenants": JSON.stringify(list) };
  let resources = 0;
  let tenantResources = 0;
  if (sameProgramFloor) {
    // The same program and tenants under the SDK's mocks, nothing recorded or checked.
    return sameProgramUnderSdkMocks("dev", config, runs);
  }
  const ms = await timeBest(runs, async () => {
    const run = await runStack({ stack: "dev", config });
    policyViolations(run);
    costEstimate(run);
    resources = run.resources.length;
    tenantResources = run.resources.filter((r) => /^t\d{4}-/.test(r.name)).length;
  });
  return { ms, resources, perTenant: tenantResources / Math.max(1, count) };
}

/** Policy evaluation alone: over a stack's plan, or over a synthetic plan of `count` resources built from it. */
async function policies(stack: string, count: number, runs: number) {
  const run = await runStack({ stack });
  const base = run.resources;
  const target = count > 0 ? count : base.length;
  const resources = [];
  for (let i = 0; resources.length < target; i++) {
    for (const r of base) {
      if (resources.length >= target) break;
      resources.push(i === 0 ? r : { ...r, urn: `${r.urn}-${i}`, name: `${r.name}-${i}` });
    }
  }
  const synthetic = { ...run, resources };
  let violations = 0;
  const ms = await timeBest(runs, async () => {
    violations = policyViolations(synthetic).length;
  });
  return { ms, resources: resources.length, violations };
}

function typecheck(target: string) {
  const start = process.hrtime.bigint();
  let program: ts.Program;
  if (target.endsWith(".json")) {
    const file = path.resolve(REPO, target);
    const parsed = ts.getParsedCommandLineOfConfigFile(
      file,
      {},
      { ...ts.sys, onUnRecoverableConfigFileDiagnostic: () => undefined },
    );
    if (!parsed) throw new Error(`cannot read ${target}`);
    program = ts.createProgram({ rootNames: parsed.fileNames, options: { ...parsed.options, noEmit: true } });
  } else {
    program = ts.createProgram({
      rootNames: [path.resolve(target)],
      options: {
        strict: true,
        noEmit: true,
        target: ts.ScriptTarget.ES2022,
        module: ts.ModuleKind.CommonJS,
        esModuleInterop: true,
        skipLibCheck: true,
      },
    });
  }
  const errors = ts.getPreEmitDiagnostics(program).filter((d) => d.category === ts.DiagnosticCategory.Error).length;
  return { ms: Number(process.hrtime.bigint() - start) / 1e6, files: program.getSourceFiles().length, errors };
}

async function main() {
  const [task, a, b] = process.argv.slice(2);
  let result: Record<string, unknown>;
  if (task === "plan") result = await plan(a, Number(b ?? 5));
  else if (task === "floor") result = await floor(Number(a), Number(b ?? 5), process.argv[5] === "same");
  else if (task === "program-floor") result = await programFloor(a, Number(b ?? 5));
  else if (task === "tenants") result = await tenants(Number(a), Number(b ?? 3), process.argv[5] === "floor");
  else if (task === "policies") result = await policies(a, Number(b), Number(process.argv[5] ?? 3));
  else if (task === "typecheck") result = typecheck(a);
  else throw new Error(`unknown task ${task}`);
  result.peakRssMb = Math.round(process.resourceUsage().maxRSS / 1024);
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

main().catch((err) => {
  process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
