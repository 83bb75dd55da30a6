import { spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { policies, resourcePolicies, stackPolicies } from "../../policy/policies";

const ROOT = path.join(__dirname, "..", "..");
/** What `npm run plan` loads TypeScript with (tools/run.js), for a child process. */
const REGISTER = path.join(ROOT, "tools", "register.js");
const POLICY_DIR = path.join(ROOT, "policy", "policies");

interface PolicyFile {
  readonly area: string;
  readonly file: string;
  readonly source: string;
  readonly exports: Record<string, unknown>;
}

function policyFiles(): PolicyFile[] {
  return fs.readdirSync(POLICY_DIR).flatMap((area) =>
    fs
      .readdirSync(path.join(POLICY_DIR, area))
      .filter((f) => f.endsWith(".ts"))
      .map((file) => {
        const full = path.join(POLICY_DIR, area, file);
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        return { area, file, source: fs.readFileSync(full, "utf8"), exports: require(full) as Record<string, unknown> };
      }),
  );
}

const isPolicy = (v: unknown): v is { name: string; severity?: string } =>
  typeof v === "object" &&
  v !== null &&
  typeof (v as { name?: unknown }).name === "string" &&
  ("validateResource" in v || "validateStack" in v);

describe("policy/policies.ts", () => {
  const files = policyFiles();

  it("includes the one policy of every file under policy/policies/", () => {
    for (const f of files) {
      const exported = Object.values(f.exports).filter(isPolicy);
      expect({ file: `${f.area}/${f.file}`, count: exported.length }).toEqual({
        file: `${f.area}/${f.file}`,
        count: 1,
      });
      expect(policies).toContain(exported[0]);
    }
    expect(policies).toHaveLength(files.length);
    expect(policies).toEqual([...resourcePolicies, ...stackPolicies]);
  });

  it("follows the house style: verb-first file, kebab-case name prefixed by area, doc comment with severity", () => {
    for (const f of files) {
      const policy = Object.values(f.exports).find(isPolicy)!;
      expect(f.file).toMatch(/^(require|disallow)[A-Z][A-Za-z0-9]*\.ts$/);
      expect(policy.name).toMatch(new RegExp(`^${f.area}-[a-z0-9]+(-[a-z0-9]+)*$`));
      expect(f.source).toMatch(new RegExp(`Severity: ${policy.severity}\\b`));
    }
    expect(new Set(policies.map((p) => p.name)).size).toBe(policies.length);
  });

  it("gives every policy an exceptions list and defaults to mandatory unless documented as advisory", () => {
    for (const p of policies) {
      expect(p.configSchema?.properties.exceptions).toBeDefined();
      expect([undefined, "advisory"]).toContain(p.enforcementLevel);
    }
    expect(policies.filter((p) => p.enforcementLevel === "advisory").map((p) => p.name)).toEqual([
      "encryption-secrets-cmk",
    ]);
  });

  it("does not start a server when imported (only index.ts constructs PolicyPack)", () => {
    const script = 'require("./policy/policies"); require("./policy/run"); console.log("loaded");';
    const result = spawnSync(process.execPath, ["-r", REGISTER, "-e", script], {
      cwd: ROOT,
      encoding: "utf8",
      timeout: 30000,
    });
    // A PolicyPack would print its gRPC port and keep the process alive until the timeout.
    expect({ status: result.status, stdout: result.stdout.trim() }).toEqual({ status: 0, stdout: "loaded" });
  });

  it("is the only place PolicyPack is constructed, and nothing imports index.ts", () => {
    const sources: string[] = [];
    const walk = (dir: string): void => {
      for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
        if (["node_modules", ".git", "bin"].includes(e.name)) continue;
        const full = path.join(dir, e.name);
        if (e.isDirectory()) walk(full);
        else if (e.name.endsWith(".ts") && !e.name.endsWith(".d.ts")) sources.push(full);
      }
    };
    walk(ROOT);
    const constructing = sources
      .filter((s) => /new PolicyPack\(/.test(fs.readFileSync(s, "utf8")))
      .map((s) => path.relative(ROOT, s));
    expect(constructing).toEqual(["policy/index.ts"]);
    const importers = sources.filter((s) =>
      /from ["'](\.\.?\/)*(policy\/)?index["']|require\(["'][./]*policy(\/index)?["']\)/.test(
        fs.readFileSync(s, "utf8"),
      ),
    );
    expect(
      importers
        .map((s) => path.relative(ROOT, s))
        .filter((s) => s.startsWith("policy/") || s.startsWith("tests/policy/")),
    ).toEqual([]);
  });
});

describe("policy/README.md", () => {
  it("lists every policy with its severity and level", () => {
    const readme = fs.readFileSync(path.join(ROOT, "policy", "README.md"), "utf8");
    // Prettier pads table cells, so rows are compared cell by cell.
    const rows = readme
      .split("\n")
      .filter((l) => l.startsWith("| `"))
      .map((l) =>
        l
          .split("|")
          .slice(1, -1)
          .map((c) => c.trim()),
      );
    expect(rows).toEqual(
      policies.map((p) => [`\`${p.name}\``, p.severity, p.enforcementLevel ?? "mandatory", p.description]),
    );
  });
});
