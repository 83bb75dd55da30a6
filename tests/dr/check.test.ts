import { spawnSync } from "child_process";
import * as path from "path";
import { REPO_ROOT, runStack } from "../../tools/engine/run";
import { OBJECTIVES } from "../../tools/dr/objectives";
import { assess, dataStores } from "../../tools/dr/stores";

const REGISTER = path.join(REPO_ROOT, "tools", "register.js");

/** `npm run dr:check` over the real stacks. The database may not exist yet: no stores is a valid, clean result. */
const run = (...args: string[]) =>
  spawnSync(process.execPath, ["-r", REGISTER, path.join("tools", "dr", "check.ts"), ...args], {
    cwd: REPO_ROOT,
    encoding: "utf8",
  });

describe("dr:check on the real stacks", () => {
  it.each(["dev", "prod"])("%s meets its recovery objectives", async (stack) => {
    const assessments = assess(dataStores((await runStack({ stack })).resources), OBJECTIVES[stack]);
    const short = assessments.filter((a) => a.shortfalls.length > 0);
    expect(short.map((a) => `${a.store.name}: ${a.shortfalls.join("; ")}`)).toEqual([]);
  });

  it("prints JSON and exits 0 for prod", () => {
    const result = run("prod", "--json");
    expect(result.stderr).toBe("");
    expect(result.status).toBe(0);
    const doc = JSON.parse(result.stdout) as { stack: string; short: number; stores: unknown[] };
    expect(doc.stack).toBe("prod");
    expect(doc.short).toBe(0);
  });

  it("exits 2 for a stack without objectives or a stack file", () => {
    const result = run("nope");
    expect(result.status).toBe(2);
    expect(result.stderr).toContain("no recovery objectives");
  });
});
