import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as yaml from "js-yaml";
import { PlannedResource } from "../../tools/engine/types";
import { renderInvocations } from "../../tools/plan/render";

const ROOT = path.resolve(__dirname, "..", "..");
const PLAN = path.join(ROOT, "tools", "plan.ts");
/** How `npm run plan` loads TypeScript (tools/run.js). */
const REGISTER = path.join(ROOT, "tools", "register.js");

/** Runs the plan command as a user does (a separate process), without npm's banner. */
function plan(args: string[]) {
  const result = spawnSync(process.execPath, ["-r", REGISTER, PLAN, ...args], {
    cwd: ROOT,
    encoding: "utf8",
    env: { ...process.env, PLAN_DEBUG: "" },
    timeout: 120_000,
  });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** A copy of the project whose stack file is `config`, running the real program. */
function projectWith(stack: string, config: Record<string, unknown>): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "plan-"));
  const project = yaml.load(fs.readFileSync(path.join(ROOT, "Pulumi.yaml"), "utf8")) as Record<string, unknown>;
  project.main = path.join(ROOT, "stacks");
  fs.writeFileSync(path.join(dir, "Pulumi.yaml"), yaml.dump(project));
  fs.writeFileSync(path.join(dir, `Pulumi.${stack}.yaml`), yaml.dump({ config }));
  return dir;
}

function stackConfig(stack: string): Record<string, unknown> {
  return (
    yaml.load(fs.readFileSync(path.join(ROOT, `Pulumi.${stack}.yaml`), "utf8")) as { config: Record<string, unknown> }
  ).config;
}

describe("npm run plan", () => {
  it.each(["dev", "prod"])("plans %s as JSON that follows the public contract", (stack) => {
    const { code, stdout, stderr } = plan([stack, "--json"]);
    expect(stderr).toBe("");
    expect(code).toBe(0);
    const doc = JSON.parse(stdout);
    expect(doc.stack).toBe(stack);
    expect(Object.keys(doc)).toEqual(expect.arrayContaining(["stack", "resources", "outputs", "violations"]));
    expect(doc.resources.length).toBeGreaterThan(40);
    for (const r of doc.resources) {
      expect(Object.keys(r)).toEqual(
        expect.arrayContaining(["urn", "type", "name", "parent", "inputs", "dependencies"]),
      );
      expect(r.urn).toEqual(
        r.type === "pulumi:pulumi:Stack"
          ? `urn:pulumi:${stack}::saas::pulumi:pulumi:Stack::saas-${stack}`
          : expect.stringMatching(
              new RegExp(`^urn:pulumi:${stack}::saas::.*${r.type.replace(/[$]/g, "\\$")}::${r.name}$`),
            ),
      );
      expect(Array.isArray(r.dependencies)).toBe(true);
    }
    const urns = new Set(doc.resources.map((r: { urn: string }) => r.urn));
    for (const r of doc.resources) {
      if (r.parent !== null) {
        expect(urns.has(r.parent)).toBe(true);
      }
      for (const dep of r.dependencies) {
        expect(urns.has(dep)).toBe(true);
      }
    }
    expect(doc.outputs.vpcId).toMatch(/^vpc-[0-9a-f]{17}$/);
    expect(Array.isArray(doc.violations)).toBe(true);
  });

  it("records the dependencies Pulumi would see", () => {
    const doc = JSON.parse(plan(["dev", "--json"]).stdout);
    const nat = doc.resources.find((r: { name: string; type: string }) => r.type === "aws:ec2/natGateway:NatGateway");
    const urnOf = (type: string, name: string) =>
      doc.resources.find((r: { name: string; type: string }) => r.type === type && r.name === name).urn;
    expect(nat.dependencies).toEqual(
      expect.arrayContaining([
        urnOf("aws:ec2/eip:Eip", "network-nat-1"),
        urnOf("aws:ec2/subnet:Subnet", "network-public-1"),
        urnOf("aws:ec2/internetGateway:InternetGateway", "network-igw"),
      ]),
    );
  });

  it("prints the resource tree, counts by type and outputs like pulumi preview", () => {
    const { code, stdout } = plan(["dev"]);
    expect(code).toBe(0);
    expect(stdout).toContain("Previewing update (saas/dev) offline: mock engine, account 123456789012, us-east-1");
    expect(stdout).toMatch(/ \+ {3}pulumi:pulumi:Stack\s+saas-dev\n/);
    expect(stdout).toMatch(/ \+ {3}[├└]─ saas:network:Network\s+network\n/);
    expect(stdout).toMatch(/\n {7}6 {2}aws:ec2\/subnet:Subnet\n/);
    expect(stdout).toMatch(/\n {4}vpcId: +"vpc-[0-9a-f]{17}"\n/);
  });

  it("rejects a bad configuration with every problem, exit status 2 and no stack trace", () => {
    const config = { ...stackConfig("dev"), "saas:vpcCidr": "10.0.0.0/25", "saas:azCount": "maybe" };
    const dir = projectWith("dev", config);
    const { code, stdout, stderr } = plan(["dev", "--json", "--project", dir]);
    expect(code).toBe(2);
    expect(stdout).toBe("");
    expect(stderr).toBe(
      [
        "error: dev: configuration error: Invalid configuration (2 problems):",
        '  - saas:vpcCidr: "10.0.0.0/25" is too small for the subnets it must hold: its public and database subnets would be /31, smaller than the /28 AWS allows; use /22 or larger (e.g. 10.0.0.0/16)',
        '  - saas:azCount: expected an integer from 2 to 6 (an application load balancer and an RDS subnet group each need subnets in at least two availability zones), got "maybe"',
        "",
      ].join("\n"),
    );
  });

  it("names an unknown stack and the stacks there are", () => {
    const { code, stderr } = plan(["staging"]);
    expect(code).toBe(2);
    expect(stderr).toBe(
      'error: staging: configuration error: unknown stack "staging": there is no Pulumi.staging.yaml (stacks: dev, prod)\n',
    );
  });

  it("explains its usage", () => {
    const { code, stderr } = plan([]);
    expect(code).toBe(2);
    expect(stderr).toMatch(/^error: missing the stack name\nusage: npm run plan -- <stack> \[--json\]/);
    expect(plan(["dev", "--yaml"]).stderr).toMatch(/^error: unknown option --yaml\n/);
  });
});

describe("renderInvocations", () => {
  test("a dedicated tenant's limits are shown beside it; a tenant without limits shows none", () => {
    const input = JSON.stringify({
      mode: "apply",
      tenants: [
        { id: "acme", tier: "shared", status: "active" },
        { id: "initech", tier: "dedicated", status: "active", statementTimeoutMs: 5000, connectionLimit: 20 },
      ],
    });
    const lines = renderInvocations([
      {
        urn: "urn:pulumi:dev::saas::aws:lambda/invocation:Invocation::tenant-provisioner-apply",
        type: "aws:lambda/invocation:Invocation",
        name: "tenant-provisioner-apply",
        inputs: { input },
        outputs: {},
        dependencies: [],
        custom: true,
        remote: false,
        options: { protect: false, retainOnDelete: false, deleteBeforeReplace: false },
      } satisfies PlannedResource,
    ]);
    expect(lines.slice(-2)).toEqual([
      "      acme  shared  active",
      "      initech  dedicated  active  (statement_timeout 5000 ms, connection limit 20)",
    ]);
  });
});
