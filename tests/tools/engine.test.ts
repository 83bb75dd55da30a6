import { spawnSync } from "child_process";
import * as path from "path";
import { Vpc } from "@pulumi/aws/ec2/vpc";
import { Role } from "@pulumi/aws/iam/role";
import { getPolicyDocumentOutput } from "@pulumi/aws/iam/getPolicyDocument";
import { getAvailabilityZonesOutput } from "@pulumi/aws/getAvailabilityZones";
import * as fs from "fs";
import * as os from "os";
import { Planned } from "../support/plan";
import { loadStackSettings } from "../../tools/engine/project";
import { OfflineEngine } from "../../tools/engine/engine";

// awsx's typings import all of @pulumi/aws (3,000+ declaration files); requiring the class keeps this one test
// from tripling the type-check of the whole program.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { Vpc: AwsxVpc } = require("@pulumi/awsx/ec2/vpc") as {
  Vpc: new (name: string, args: Record<string, unknown>) => { vpcId: unknown };
};

describe("the offline engine", () => {
  it("answers resources with ids and ARNs in AWS's formats for the stack's region and example account", async () => {
    const plan = await Planned.of({
      stack: "dev",
      program: () => {
        new Vpc("v", { cidrBlock: "10.0.0.0/16" });
        new Role("r", { assumeRolePolicy: "{}" });
      },
    });
    const vpc = plan.one("aws:ec2/vpc:Vpc", "v");
    expect(vpc.outputs.id).toMatch(/^vpc-[0-9a-f]{17}$/);
    expect(vpc.outputs.arn).toBe(`arn:aws:ec2:us-east-1:123456789012:vpc/${vpc.outputs.id}`);
    const role = plan.one("aws:iam/role:Role", "r");
    // The provider autonames: `<logical name>-<7 hex>`.
    expect(role.outputs.name).toMatch(/^r-[0-9a-f]{7}$/);
    expect(role.outputs.arn).toBe(`arn:aws:iam::123456789012:role/${role.outputs.name}`);
    expect(vpc.provider).toMatch(/^urn:pulumi:dev::saas::pulumi:providers:aws::default_\d+_\d+_\d+::[0-9a-f-]{36}$/);
  });

  it("answers the data sources the program uses", async () => {
    let zones: string[] = [];
    let document = "";
    await Planned.of({
      stack: "prod",
      program: () => {
        getAvailabilityZonesOutput({ state: "available" }).names.apply((n) => (zones = n));
        getPolicyDocumentOutput({
          statements: [
            {
              actions: ["s3:GetObject"],
              resources: ["arn:aws:s3:::b/*"],
              principals: [{ type: "Service", identifiers: ["x.amazonaws.com"] }],
            },
          ],
        }).json.apply((j) => (document = j));
      },
    });
    expect(zones).toEqual(["us-east-1a", "us-east-1b", "us-east-1c", "us-east-1d", "us-east-1e", "us-east-1f"]);
    expect(JSON.parse(document)).toEqual({
      Version: "2012-10-17",
      Statement: [
        {
          Effect: "Allow",
          Action: "s3:GetObject",
          Resource: "arn:aws:s3:::b/*",
          Principal: { Service: "x.amazonaws.com" },
        },
      ],
    });
  });

  it("fails loudly, naming the token, on a data source it does not know", () => {
    const engine = new OfflineEngine(
      { account: "123456789012", region: "us-east-1", partition: "aws", defaultTags: {} },
      {},
    );
    expect(() => engine.call({ token: "aws:ec2/getAmi:getAmi", inputs: {} })).toThrow(
      'the offline engine has no answer for the data source "aws:ec2/getAmi:getAmi"; add one to tools/engine/invokes.ts',
    );
    // Through a whole run (in its own process: the SDK leaves the failed invoke's promises rejected, which jest
    // would count against this test): the run fails as a program error naming the token.
    const script = [
      'const { runStack } = require("./tools/engine/run");',
      'const { getAmiOutput } = require("@pulumi/aws/ec2/getAmi");',
      'runStack({ stack: "dev", program: () => ({ ami: getAmiOutput({ owners: ["amazon"] }).id }) })',
      '  .then(() => console.log("no error"), (e) => console.log(e.kind + ": " + e.message));',
    ].join("\n");
    const result = spawnSync(
      process.execPath,
      ["-r", path.resolve(__dirname, "..", "..", "tools", "register.js"), "-e", script],
      {
        cwd: path.resolve(__dirname, "..", ".."),
        encoding: "utf8",
      },
    );
    expect(result.stdout).toBe(
      'program: the offline engine has no answer for the data source "aws:ec2/getAmi:getAmi"; add one to tools/engine/invokes.ts (answers must look like AWS\'s)\n',
    );
  });

  it("records a remote awsx component as one node, with no children", async () => {
    const plan = await Planned.of({
      stack: "dev",
      program: () => {
        const vpc = new AwsxVpc("x", { numberOfAvailabilityZones: 2, natGateways: { strategy: "Single" } });
        return { vpcId: vpc.vpcId };
      },
    });
    const vpc = plan.one("awsx:ec2:Vpc", "x");
    expect(vpc.remote).toBe(true);
    expect(vpc.custom).toBe(false);
    expect(plan.childrenOf(vpc)).toEqual([]);
    expect(plan.run.outputs.vpcId).toMatch(/^vpc-[0-9a-f]{17}$/);
  });

  it("gives each stack its own ids and repeats them run after run", async () => {
    const program = () => {
      new Vpc("v", { cidrBlock: "10.0.0.0/16" });
    };
    const dev1 = await Planned.of({ stack: "dev", program });
    const dev2 = await Planned.of({ stack: "dev", program });
    const prod = await Planned.of({ stack: "prod", program });
    const id = (p: Planned) => p.one("aws:ec2/vpc:Vpc", "v").outputs.id;
    expect(id(dev1)).toBe(id(dev2));
    expect(id(dev1)).not.toBe(id(prod));
  });
});

describe("stack settings offline", () => {
  it("leaves a secure: value out of the program's config and marks its key secret", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "settings-"));
    fs.writeFileSync(path.join(dir, "Pulumi.yaml"), "name: demo\nruntime: nodejs\n");
    fs.writeFileSync(
      path.join(dir, "Pulumi.s.yaml"),
      "config:\n  demo:plain: one\n  demo:token:\n    secure: AAABAKl0Zm9vYmFy\n",
    );
    const settings = loadStackSettings(dir, "s");
    expect(settings.config).toEqual({ "demo:plain": "one" });
    expect(settings.secretKeys).toEqual(["demo:token"]);
  });
});
