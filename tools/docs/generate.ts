import * as fs from "fs";
import * as path from "path";
import { CONFIG_KEYS } from "../../stacks/schema";
import { PlanError, REPO_ROOT, runStack } from "../engine/run";
import { renderArchitectureDoc } from "./architecture";
import { renderConfigurationDoc, renderProjectFile, stackFileValues } from "./configuration";
import { meteringRecordJsonSchema } from "../../components/tenant-metering/record";
import { listStacks } from "../engine/project";
import { costEstimate } from "../plan/checks";
import { costPools } from "../cost/pools";

/**
 * `npm run docs`: regenerates the `config:` block of Pulumi.yaml (from the key declarations in stacks/schema.ts),
 * docs/configuration.md (from the same declarations and the dev and prod stack files) and docs/architecture.md
 * (from the offline plan of prod), stacks/cost-pools.json (from each stack's cost estimate) and docs/metering-record.schema.json (from the record's zod schema,
 * components/tenant-metering/record.ts). tests/docs/generated.test.ts fails when the committed
 * files differ from a fresh generation.
 *
 * Exit status: 0 written, 2 configuration or program error.
 */

/** The stack whose plan the architecture diagrams are drawn from: the one with every production safeguard. */
export const ARCHITECTURE_STACK = "prod";

/** The generated documents, repository-relative path → content. */
export async function generateDocs(projectDir = REPO_ROOT): Promise<Record<string, string>> {
  const configuration = renderConfigurationDoc(
    CONFIG_KEYS,
    stackFileValues(projectDir, "dev"),
    stackFileValues(projectDir, "prod"),
  );
  const run = await runStack({ stack: ARCHITECTURE_STACK, projectDir });
  // The pools tenant attribution divides, from each stack's own estimate (the program reads them back:
  // stacks/costEstimate.ts). The estimate does not depend on them, so one generation is a fixed point.
  const pools: Record<string, ReturnType<typeof costPools>> = {};
  for (const stack of listStacks(projectDir)) {
    pools[stack] = costPools(costEstimate(stack === ARCHITECTURE_STACK ? run : await runStack({ stack, projectDir })));
  }
  return {
    "Pulumi.yaml": renderProjectFile(fs.readFileSync(path.join(projectDir, "Pulumi.yaml"), "utf8"), CONFIG_KEYS),
    "docs/configuration.md": configuration,
    "docs/architecture.md": renderArchitectureDoc(run),
    "docs/metering-record.schema.json": `${JSON.stringify(meteringRecordJsonSchema(), null, 2)}\n`,
    "stacks/cost-pools.json": `${JSON.stringify(pools, null, 2)}\n`,
  };
}

export async function main(): Promise<number> {
  try {
    const docs = await generateDocs();
    for (const [file, content] of Object.entries(docs)) {
      const target = path.join(REPO_ROOT, file);
      fs.mkdirSync(path.dirname(target), { recursive: true });
      const changed = !fs.existsSync(target) || fs.readFileSync(target, "utf8") !== content;
      fs.writeFileSync(target, content);
      process.stdout.write(`${changed ? "wrote" : "unchanged"} ${file}\n`);
    }
    return 0;
  } catch (err) {
    if (err instanceof PlanError) {
      const what = err.kind === "config" ? "configuration error" : "program error";
      process.stderr.write(`error: ${ARCHITECTURE_STACK}: ${what}: ${err.message}\n`);
      return 2;
    }
    process.stderr.write(`error: ${err instanceof Error ? err.message : String(err)}\n`);
    return 2;
  }
}

if (require.main === module) {
  main().then(
    (code) => process.exit(code),
    () => process.exit(2),
  );
}
