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
import { shellCommands } from "../../tools/docs/references";
import { listStacks } from "../../tools/engine/project";
import { REPO_ROOT, runStack } from "../../tools/engine/run";

/**
 * Runbooks and READMEs are kept true: every stack output, config key, npm script, repository file and program
 * resource (`<type>::<name>` in a URN, `pulumi import <type> <name>`) they name exists. Outputs are checked against the real program of each stack, run offline.
 */
const STACKS = ["dev", "prod"].filter((s) => listStacks(REPO_ROOT).includes(s));

describe("runbooks and READMEs", () => {
  let ctx: ReferenceContext;

  beforeAll(async () => {
    const outputsByStack: Record<string, Set<string>> = {};
    const resourcesByStack: Record<string, Set<string>> = {};
    for (const stack of STACKS) {
      const run = await runStack({ stack });
      outputsByStack[stack] = new Set(Object.keys(run.outputs));
      resourcesByStack[stack] = new Set(run.resources.map((r) => `${r.type}::${r.name}`));
    }
    ctx = {
      outputsByStack,
      resourcesByStack,
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

/**
 * Commands that the AWS APIs reject or that do more than the runbook says, checked in every runbook. Each rule
 * cites the API behaviour it encodes.
 */
describe("runbook commands", () => {
  const runbooks = documentsToCheck(REPO_ROOT).filter((f) => f.startsWith("runbooks/"));
  const commands = runbooks.flatMap((file) =>
    shellCommands(fs.readFileSync(path.join(REPO_ROOT, file), "utf8")).map((c) => ({ ...c, file })),
  );

  it("finds the restore commands", () => {
    expect(commands.filter((c) => /aws rds restore-db-instance/.test(c.text)).length).toBeGreaterThanOrEqual(3);
  });

  it("never asks a restore for a managed master password (the RDS API takes it on restore for Oracle only)", () => {
    const bad = commands
      .filter((c) => /aws rds restore-db-instance/.test(c.text))
      .filter((c) => /--manage-master-user-password|--master-user-secret-kms-key-id/.test(c.text))
      .map((c) => `${c.file}:${c.line}`);
    expect(bad).toEqual([]);
  });

  it("turns the managed master secret on after each restore, with modify-db-instance", () => {
    for (const file of runbooks) {
      const own = commands.filter((c) => c.file === file);
      own.forEach((c, i) => {
        if (/aws rds restore-db-instance/.test(c.text)) {
          const after = own
            .slice(i + 1)
            .find((n) => /aws rds modify-db-instance .*--manage-master-user-password/.test(n.text));
          expect({ restore: `${file}:${c.line}`, modified: after !== undefined }).toEqual({
            restore: `${file}:${c.line}`,
            modified: true,
          });
        }
      });
    }
  });

  it("says whether rotate-secret with new rotation rules also rotates now (by default it does)", () => {
    const bad = commands
      .filter((c) => /aws secretsmanager rotate-secret/.test(c.text) && /--rotation-rules/.test(c.text))
      .filter((c) => !/--(no-)?rotate-immediately/.test(c.text))
      .map((c) => `${c.file}:${c.line}`);
    expect(bad).toEqual([]);
  });
});
