import { execFileSync, spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { meteringBenchOnly, meteringSection } from "./metering";
import { benchOnly, tenantProvisionerSection } from "./tenants";

/**
 * `npm run bench`: the performance figures, all measured in one run on this machine so their ratios compare like
 * with like (the machine is shared and noisy; absolute times are indicative only). Each measurement runs in a
 * fresh process. Results go to docs/benchmarks.md.
 *
 * `BENCH_ONLY=tenants npm run bench` measures only the tenant provisioner (tools/bench/tenants.ts, a real
 * PostgreSQL) and replaces just its section of docs/benchmarks.md, for a quick check; `BENCH_ONLY=metering` the
 * usage collector (tools/bench/metering.ts).
 */

const REPO = path.resolve(__dirname, "..", "..");
const WORKER = path.join(__dirname, "worker.ts");
const REGISTER = path.join(__dirname, "..", "register.js");

interface Measure {
  ms: number;
  peakRssMb: number;
  resources?: number;
  files?: number;
  errors?: number;
  violations?: number;
  perTenant?: number;
}

function measure(...args: string[]): Measure {
  const out = execFileSync(process.execPath, ["-r", REGISTER, WORKER, ...args], {
    cwd: REPO,
    encoding: "utf8",
    maxBuffer: 16 * 1024 * 1024,
  });
  return JSON.parse(out.trim().split("\n").pop() ?? "{}") as Measure;
}

const versionOf = (pkg: string) =>
  (JSON.parse(fs.readFileSync(path.join(REPO, "node_modules", pkg, "package.json"), "utf8")) as { version: string })
    .version;

/** Wall time and peak RSS of one whole process, from /usr/bin/time (GNU time). */
function timeProcess(command: string[]): { ms: number; peakRssMb: number } {
  const result = spawnSync("/usr/bin/time", ["-f", "%e %M", ...command], { cwd: REPO, encoding: "utf8" });
  if (result.status !== 0) {
    throw new Error(`${command.join(" ")} failed (${result.status}): ${result.stderr}`);
  }
  const [seconds, kb] = result.stderr.trim().split("\n").pop()!.split(" ").map(Number);
  return { ms: seconds * 1000, peakRssMb: Math.round(kb / 1024) };
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

/**
 * Start-up: the whole plan command against the floor process, interleaved run by run so both see the same load;
 * the median of `runs` each.
 */
function startup(stack: string, resources: number, runs: number) {
  const commands = {
    npm: ["npm", "run", "-s", "plan", "--", stack],
    tool: [process.execPath, "tools/run.js", "tools/plan.ts", stack],
    floor: [process.execPath, "tools/bench/floorProcess.js", String(resources)],
  };
  const samples: Record<keyof typeof commands, { ms: number; peakRssMb: number }[]> = { npm: [], tool: [], floor: [] };
  timeProcess(commands.tool); // warm the transpile cache, as any second run finds it
  for (let i = 0; i < runs; i++) {
    for (const key of Object.keys(commands) as (keyof typeof commands)[]) {
      samples[key].push(timeProcess(commands[key]));
    }
  }
  const summary = (key: keyof typeof commands) => ({
    ms: median(samples[key].map((s) => s.ms)),
    peakRssMb: median(samples[key].map((s) => s.peakRssMb)),
  });
  return { npm: summary("npm"), tool: summary("tool"), floor: summary("floor") };
}

const fmtMs = (ms: number) => (ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${ms.toFixed(0)} ms`);

function main() {
  const file = path.join(REPO, "docs", "benchmarks.md");
  if (process.env.BENCH_ONLY === "metering") return meteringBenchOnly(file);
  if (process.env.BENCH_ONLY !== undefined) return benchOnly(process.env.BENCH_ONLY, file);
  const started = new Date();
  const rows: string[] = [];
  const log = (line: string) => {
    process.stderr.write(`${line}\n`);
  };

  log("plan: dev, prod and the SDK floor at the same resource counts …");
  const planRows: string[] = [];
  for (const stack of ["dev", "prod"]) {
    const plan = measure("plan", stack, "10");
    const program = measure("program-floor", stack, "10");
    const floorSame = measure("floor", String(plan.resources), "10", "same");
    const floorDefault = measure("floor", String(plan.resources), "10", "default");
    const ratio = (floor: Measure) => `${(plan.ms / floor.ms).toFixed(2)}×`;
    planRows.push(
      `| ${stack} | ${plan.resources} | ${fmtMs(plan.ms)} | ${fmtMs(program.ms)} (${ratio(program)}) | ` +
        `${fmtMs(floorSame.ms)} (${ratio(floorSame)}) | ${fmtMs(floorDefault.ms)} (${ratio(floorDefault)}) | ${plan.peakRssMb} MB |`,
    );
  }

  log("start-up: the plan command against a process that loads the SDK and registers as many bare resources …");
  const startupRows: string[] = [];
  for (const stack of ["dev", "prod"]) {
    const resources = measure("plan", stack, "1").resources ?? 0;
    const s = startup(stack, resources, 7);
    const ratio = (m: { ms: number }) => `${(m.ms / s.floor.ms).toFixed(2)}×`;
    startupRows.push(
      `| ${stack} | ${resources} | ${fmtMs(s.floor.ms)} | ${fmtMs(s.tool.ms)} (${ratio(s.tool)}) | ` +
        `${fmtMs(s.npm.ms)} (${ratio(s.npm)}) | ${s.floor.peakRssMb} MB | ${s.tool.peakRssMb} MB | ${s.npm.peakRssMb} MB |`,
    );
  }

  log("tenants: the dev plan at 10, 100 and 1,000 tenants …");
  const tenantRows: string[] = [];
  for (const count of [10, 100, 1000]) {
    const runs = count >= 1000 ? "1" : "3";
    const plan = measure("tenants", String(count), runs);
    const program = measure("tenants", String(count), runs, "floor");
    const floorSame = measure("floor", String(plan.resources), runs, "same");
    const ratio = (floor: Measure) => `${(plan.ms / floor.ms).toFixed(2)}×`;
    tenantRows.push(
      `| ${count} | ${plan.resources} | ${plan.perTenant} | ${fmtMs(plan.ms)} | ${fmtMs(plan.ms / count)} | ` +
        `${fmtMs(program.ms)} (${ratio(program)}) | ${fmtMs(floorSame.ms)} (${ratio(floorSame)}) | ` +
        `${plan.peakRssMb} MB | ${program.peakRssMb} MB |`,
    );
  }

  log("type-check: the whole program and tests, and one bucket with `import * as aws` …");
  const naiveDir = fs.mkdtempSync(path.join(REPO, ".bench-"));
  const naive = path.join(naiveDir, "naive.ts");
  fs.writeFileSync(naive, 'import * as aws from "@pulumi/aws";\nexport const bucket = new aws.s3.Bucket("b");\n');
  let whole: Measure;
  let oneBucket: Measure;
  try {
    whole = measure("typecheck", "tsconfig.json");
    oneBucket = measure("typecheck", naive);
  } finally {
    fs.rmSync(naiveDir, { recursive: true, force: true });
  }

  log("policy evaluation: the prod plan and a synthetic plan of 5,000 resources …");
  const prodPolicies = measure("policies", "prod", "0", "5");
  const synthetic = measure("policies", "prod", "5000", "3");

  rows.push(
    "# Benchmarks",
    "",
    "Generated by `npm run bench` (tools/bench/); do not edit by hand. Every figure below comes from one run, so the",
    "ratios compare like with like; absolute times on this shared machine are indicative only. Times are the best of",
    "several runs after a warm-up, each measurement in a fresh process; memory is that process's peak RSS.",
    "",
    `- Date: ${started.toISOString().slice(0, 10)}`,
    `- Machine: ${os.cpus()[0]?.model ?? "unknown CPU"}, ${os.cpus().length} cores, ${Math.round(os.totalmem() / 2 ** 30)} GiB, ${os.type()} ${os.release()}`,
    `- Node ${process.versions.node}, TypeScript ${versionOf("typescript")}, @pulumi/pulumi ${versionOf("@pulumi/pulumi")}, @pulumi/aws ${versionOf("@pulumi/aws")}`,
    "",
    "## Start-up: the plan command against the SDK floor process",
    "",
    "Whole processes, wall time and peak RSS from `/usr/bin/time`, median of 7 runs interleaved run by run. The floor",
    "process (tools/bench/floorProcess.js) loads @pulumi/pulumi as it is and registers as many bare resources as the",
    "stack has, under the SDK's mocks. The plan command is `node tools/run.js tools/plan.ts <stack>` (what",
    "`npm run plan` runs; the last column adds npm's own start-up). It transpiles with esbuild into a cache and loads",
    "the SDK's closure serialisation (TypeScript, Arborist) only on use (tools/lazySdkParts.js). Goal: ≤ 1.5× the floor.",
    "",
    "| stack | resources | floor process | plan command | `npm run plan` | floor peak RSS | plan peak RSS | npm peak RSS |",
    "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ...startupRows,
    "",
    "## Offline plan against the SDK floor",
    "",
    "The plan runs the real program under the offline engine, then the policy pack and the cost estimate; its ratio to",
    "each floor is in brackets. Floors: (a) the same program under the SDK's mocks answered as the engine answers, with",
    "nothing recorded and no policies or cost, i.e. what the program's registrations cost the SDK itself; (b) the same number of bare",
    "resources (no inputs, no components, no data sources) under the SDK's mocks, with the engine's process setting;",
    "(c) the same with the SDK's defaults. The engine turns off the stack traces the SDK captures for every promise and",
    "resource (nothing offline reads them; with source maps they were ~90% of a run), which is why (b) and not (c) is",
    "the fair comparison. Goal: plan ≤ 1.5× the floor.",
    "",
    "| stack | resources | plan | (a) same program, SDK mocks | (b) bare resources, same settings | (c) bare resources, SDK defaults | plan peak RSS |",
    "| --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ...planRows,
    "",
    "## Tenants",
    "",
    "The dev plan (program, policies, cost) with N tenants set through `saas:tenants` (applied by the provisioner: no resources per tenant); floors",
    "(a) the same program and tenants under the SDK's mocks, nothing recorded or checked, (b) the same number of bare",
    "resources. Goals: linear, ≤ 1.5× the floor, under 1 GB at 1,000.",
    "",
    "| tenants | resources | per tenant | plan | per tenant | (a) same program | (b) bare resources | plan peak RSS | (a) peak RSS |",
    "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ...tenantRows,
    "",
    "## Type-check",
    "",
    "`tsc --noEmit` over the whole program and its tests, against one S3 bucket written with a naive",
    '`import * as aws from "@pulumi/aws"` (pulumi/pulumi#10442 reports 13 s / 1.1 GB for that). The program imports',
    "each resource from its own module (`@pulumi/aws/ec2/vpc`), so the compiler loads only what it uses.",
    "",
    "| what | files | time | peak RSS |",
    "| --- | ---: | ---: | ---: |",
    `| whole program and tests | ${whole.files} | ${fmtMs(whole.ms)} | ${whole.peakRssMb} MB |`,
    `| one bucket, \`import * as aws\` | ${oneBucket.files} | ${fmtMs(oneBucket.ms)} | ${oneBucket.peakRssMb} MB |`,
    "",
    "## Policy evaluation",
    "",
    "| plan | resources | time | violations |",
    "| --- | ---: | ---: | ---: |",
    `| prod | ${prodPolicies.resources} | ${fmtMs(prodPolicies.ms)} | ${prodPolicies.violations} |`,
    `| synthetic (prod resources repeated) | ${synthetic.resources} | ${fmtMs(synthetic.ms)} | ${synthetic.violations} |`,
    "",
  );
  log("tenant provisioner: a real PostgreSQL at 10, 100 and 1,000 tenants …");
  rows.push(...tenantProvisionerSection());
  log("usage collector: a real PostgreSQL with pg_stat_statements at 10, 100 and 1,000 tenants …");
  rows.push(...meteringSection());
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, rows.join("\n"));
  log(`wrote ${path.relative(REPO, file)}`);
  process.stdout.write(rows.join("\n"));
}

main();
