import * as fs from "fs";
import * as path from "path";
import { generateDocs } from "../../tools/docs/generate";
import { REPO_ROOT } from "../../tools/engine/run";

/**
 * The committed docs/*.md, docs/metering-record.schema.json and the `config:` block of Pulumi.yaml are what `npm run docs` generates from the code
 * and the offline plan of today.
 */
describe("generated docs", () => {
  let generated: Record<string, string>;

  beforeAll(async () => {
    generated = await generateDocs();
  });

  it.each([
    "Pulumi.yaml",
    "docs/configuration.md",
    "docs/architecture.md",
    "docs/metering-record.schema.json",
    "stacks/cost-pools.json",
  ])("%s is up to date", (file) => {
    const target = path.join(REPO_ROOT, file);
    const committed = fs.existsSync(target) ? fs.readFileSync(target, "utf8") : "(missing)";
    if (committed !== generated[file]) {
      const a = committed.split("\n");
      const b = generated[file].split("\n");
      const line = a.findIndex((l, i) => l !== b[i]);
      throw new Error(
        `${file} is out of date: run npm run docs (first difference at line ${line + 1}:\n` +
          `  committed: ${a[line] ?? "(end of file)"}\n  generated: ${b[line] ?? "(end of file)"})`,
      );
    }
  });
});
