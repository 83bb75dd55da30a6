import * as fs from "fs";
import * as path from "path";
import { documentsToCheck } from "../../tools/docs/checkReferences";
import { shellCommands } from "../../tools/docs/references";
import { REPO_ROOT } from "../../tools/engine/run";
import { parseArgs } from "../../tools/migrate/migrate";
import { EXIT } from "../../tools/migrate/report";

/**
 * Two kinds of reference the generic checks (runbooks.test.ts) do not cover, for `npm run migrate`: the command
 * lines the documents show must parse (a renamed or removed flag fails here), and the exit statuses the runbook
 * lists must be exactly the command's.
 */
const read = (file: string) => fs.readFileSync(path.join(REPO_ROOT, file), "utf8");

/**
 * Every `npm run migrate -- …` the documents show, in code blocks or inline code, with where it is (the bare
 * name, `npm run migrate`, names the command and is not a command line).
 */
function migrateCommands(): { where: string; argv: string[] }[] {
  const found: { where: string; argv: string[] }[] = [];
  for (const file of documentsToCheck(REPO_ROOT)) {
    const text = read(file);
    const inline = [...text.matchAll(/`([^`\n]*npm run (?:-s )?migrate[^`\n]*)`/g)].map((m) => ({
      line: text.slice(0, m.index).split("\n").length,
      text: m[1],
    }));
    for (const c of [...shellCommands(text), ...inline]) {
      const m = /npm run (?:-s )?migrate --(.*)$/.exec(c.text);
      if (!m) continue;
      const args = m[1]
        .replace(/\s#.*$/, "")
        .trim()
        .replace(/<stack>/g, "dev")
        .replace(/<arn>/g, "arn:aws:states:us-east-1:123456789012:stateMachine:saas-dev-tenant-migrations")
        .replace(/<[^>]+>/g, "x")
        // An optional part written as [--flag value]: check the flag as if given.
        .replace(/[[\]]/g, "");
      found.push({ where: `${file}:${c.line}`, argv: args === "" ? [] : args.split(/\s+/) });
    }
  }
  return found;
}

describe("npm run migrate in the documents", () => {
  const commands = migrateCommands();

  it("finds the commands the runbooks show", () => {
    expect(commands.filter((c) => c.where.startsWith("runbooks/database-migrations.md")).length).toBeGreaterThan(3);
  });

  it("shows only command lines the command accepts", () => {
    const bad = commands.flatMap((c) => {
      try {
        parseArgs(c.argv);
        return [];
      } catch (e) {
        return [`${c.where}: ${(e as Error).message}`];
      }
    });
    expect(bad).toEqual([]);
  });

  it("lists exactly the command's exit statuses in runbooks/database-migrations.md", () => {
    const rows = [...read("runbooks/database-migrations.md").matchAll(/^\|\s*(\d+)\s*\|/gm)].map((m) => Number(m[1]));
    expect(rows).toEqual(Object.values(EXIT).sort((a, b) => a - b));
  });
});
