import * as fs from "fs";
import * as path from "path";
import { CONFIG_KEYS } from "../../stacks/schema";
import {
  PROVIDER_CONFIG_KEYS,
  ReferenceContext,
  documentsToCheck,
  formatProblems,
  referenceProblems,
  scriptsReader,
} from "../../tools/docs/checkReferences";
import { qualifiedKey } from "../../tools/docs/configuration";
import { listStacks } from "../../tools/engine/project";
import { REPO_ROOT, runStack } from "../../tools/engine/run";

/**
 * Runbooks and READMEs are kept true: every stack output, config key, npm script and repository file they name
 * exists. Outputs are checked against the real program of each stack, run offline.
 */
const STACKS = ["dev", "prod"].filter((s) => listStacks(REPO_ROOT).includes(s));

describe("runbooks and READMEs", () => {
  let ctx: ReferenceContext;

  beforeAll(async () => {
    const outputsByStack: Record<string, Set<string>> = {};
    for (const stack of STACKS) {
      outputsByStack[stack] = new Set(Object.keys((await runStack({ stack })).outputs));
    }
    ctx = {
      outputsByStack,
      configKeys: new Set([...CONFIG_KEYS.map(qualifiedKey), ...PROVIDER_CONFIG_KEYS]),
      scriptsFor: scriptsReader(REPO_ROOT),
      exists: (p) => fs.existsSync(path.join(REPO_ROOT, p)),
    };
  });

  const documents = documentsToCheck(REPO_ROOT);

  it("finds the documents to check", () => {
    expect(documents).toEqual(expect.arrayContaining(["README.md", "runbooks/README.md"]));
  });

  it.each(documents)("%s names only outputs, config keys, scripts and files that exist", (file) => {
    const problems = referenceProblems(file, fs.readFileSync(path.join(REPO_ROOT, file), "utf8"), ctx);
    if (problems.length > 0) {
      throw new Error(`${problems.length} stale reference(s):\n${formatProblems(problems)}`);
    }
  });

  it("the runbook index links every runbook in the folder", () => {
    const index = fs.readFileSync(path.join(REPO_ROOT, "runbooks", "README.md"), "utf8");
    const linked = new Set([...index.matchAll(/\]\(\.?\/?([^)#\s]+\.md)(?:#[^)]*)?\)/g)].map((m) => m[1]));
    const runbooks = fs
      .readdirSync(path.join(REPO_ROOT, "runbooks"))
      .filter((f) => f.endsWith(".md") && f !== "README.md")
      .sort();
    expect(runbooks.filter((f) => !linked.has(f))).toEqual([]);
  });
});
