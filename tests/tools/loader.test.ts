import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";

const ROOT = path.resolve(__dirname, "..", "..");
const REGISTER = path.join(ROOT, "tools", "register.js");
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { lazy } = require("../../tools/lazySdkParts") as { lazy: <T extends object>(load: () => T) => T };

const node = (args: string[], cwd = ROOT) =>
  spawnSync(process.execPath, args, { cwd, encoding: "utf8", env: { ...process.env, PLAN_DEBUG: "" } });

describe("the TypeScript loader of the tools (tools/run.js, tools/register.js)", () => {
  it("runs a tool as the main module with its own arguments", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "loader-"));
    const tool = path.join(dir, "tool.ts");
    fs.writeFileSync(
      tool,
      "const n: number = 2;\nif (require.main === module) console.log(JSON.stringify([n, process.argv.slice(2)]));\n",
    );
    const result = node([path.join(ROOT, "tools", "run.js"), tool, "a", "--b"]);
    expect(result.stderr).toBe("");
    expect(JSON.parse(result.stdout)).toEqual([2, ["a", "--b"]]);
  });

  it("loads the SDK without TypeScript or Arborist, and gives the real ones to closure serialisation", () => {
    const script = [
      'const loaded = (name) => Object.keys(require.cache).some((k) => k.includes("/node_modules/" + name + "/"));',
      'const pulumi = require("@pulumi/pulumi");',
      'const before = [loaded("typescript"), loaded("@npmcli/arborist")];',
      "pulumi.runtime.serializeFunction(() => 6 * 7).then((f) => {",
      '  console.log(JSON.stringify({ before, after: loaded("typescript"), text: f.text.includes("6 * 7") }));',
      "});",
    ].join("\n");
    // --no-warnings: serialisation looks at every built-in module (`sys`, `wasi` ...), some of which warn.
    const result = node(["--no-warnings", "-r", REGISTER, "-e", script]);
    expect(result.stderr).toBe("");
    expect(JSON.parse(result.stdout)).toEqual({ before: [false, false], after: true, text: true });
  });
});

describe("lazy (the stand-in for a deferred module)", () => {
  it("loads nothing until a property is read, then reads through to the real module", () => {
    let loads = 0;
    const mod = lazy(() => {
      loads++;
      return { answer: 42 };
    });
    // What __importStar asks first: answered without loading, so `import * as` keeps it lazy.
    expect((mod as { __esModule?: boolean }).__esModule).toBe(true);
    expect(loads).toBe(0);
    expect(mod.answer).toBe(42);
    expect(Object.keys(mod)).toEqual(["answer"]);
    expect(loads).toBe(1);
  });
});

describe("the SDK inside jest", () => {
  it("still serialises a closure when asked (TypeScript is mapped to a stand-in that loads it on use)", async () => {
    const f = await pulumi.runtime.serializeFunction(() => 6 * 7);
    expect(f.text).toContain("6 * 7");
  });
});
