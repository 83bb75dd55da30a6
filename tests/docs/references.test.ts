import { extractReferences, looksLikeRepoPath, stackNamedIn, stacksNamedIn } from "../../tools/docs/references";
import { referenceProblems, ReferenceContext, resolveCandidates } from "../../tools/docs/checkReferences";

const SAMPLE = [
  "# Restore", //                                                                  1
  "Uses `tools/plan.ts` and [the network](../components/network/network.ts).", // 2
  "Set `saas:vpcCidr`; `saas:network:Network` is a type, not a key.", //          3
  "```sh", //                                                                      4
  'REGION="$(pulumi stack output region)"', //                                     5
  "pulumi stack output --show-secrets masterSecretArn", //                         6
  "pulumi stack output databaseEndpoint --stack prod --json", //                  7
  "npm run -s plan -- dev", //                                                     8
  "pulumi config set aws:region us-west-2 && cp /tmp/x.sql tools/none.ts", //     9
  "```", //                                                                        10
  "The condition `aws:SourceAccount` is not config; see `owner/repo` and `runbooks/` and https://x.io/a.md.", // 11
  "`pulumi stack output -s prod albDnsName` and `npm run docs`.", //               12
].join("\n");

describe("extractReferences", () => {
  const refs = extractReferences(SAMPLE);
  const of = (kind: string) => refs.filter((r) => r.kind === kind);

  it("finds stack outputs in code blocks and inline code, with the stack the command names", () => {
    expect(of("output").map((r) => [r.line, (r as { name: string }).name, (r as { stack?: string }).stack])).toEqual([
      [5, "region", undefined],
      [6, "masterSecretArn", undefined],
      [7, "databaseEndpoint", "prod"],
      [12, "albDnsName", "prod"],
    ]);
  });

  it("finds project config keys anywhere, provider keys only where config is set", () => {
    expect(of("config").map((r) => [r.line, (r as { key: string }).key])).toEqual([
      [3, "saas:vpcCidr"],
      [9, "aws:region"],
    ]);
  });

  it("finds npm scripts, skipping npm's own flags", () => {
    expect(of("script").map((r) => [r.line, (r as { name: string }).name])).toEqual([
      [8, "plan"],
      [12, "docs"],
    ]);
  });

  it("finds links and backticked repository paths outside code blocks only", () => {
    expect(of("path").map((r) => [r.line, (r as { path: string }).path, (r as { via: string }).via])).toEqual([
      [2, "../components/network/network.ts", "link"],
      [2, "tools/plan.ts", "code"],
      [11, "runbooks/", "code"],
    ]);
  });
});

describe("resource references", () => {
  const md = [
    "```sh",
    "URN=\"$(pulumi stack --show-urns | grep -o 'urn:pulumi:[^ ]*aws:rds/instance:Instance::database-instance')\"",
    'pulumi import aws:rds/instance:Instance database-instance "$ID" --stack prod',
    "pulumi state delete 'urn:pulumi:dev::saas::saas:cdn:Cdn$aws:iam/role:Role::cdn-deploy'",
    "```",
  ].join("\n");

  it("ignores a URN outside a pulumi command (an example of JSON output)", () => {
    expect(extractReferences('  "urn": "urn:pulumi:prod::saas::aws:iam/accessKey:AccessKey::x",')).toEqual([]);
  });

  it("finds URN fragments and pulumi import commands, not a URN's stack and project head", () => {
    const refs = extractReferences(md).filter((r) => r.kind === "resource");
    expect(
      refs.map((r) => [
        r.line,
        (r as { type: string }).type,
        (r as { name: string }).name,
        (r as { stack?: string }).stack,
      ]),
    ).toEqual([
      [2, "aws:rds/instance:Instance", "database-instance", undefined],
      [3, "aws:rds/instance:Instance", "database-instance", "prod"],
      [4, "aws:iam/role:Role", "cdn-deploy", undefined],
    ]);
  });

  it("reports a resource the stack's program does not have", () => {
    const ctx: ReferenceContext = {
      outputsByStack: { dev: new Set(), prod: new Set() },
      resourcesByStack: {
        dev: new Set(["aws:rds/instance:Instance::database-instance", "aws:iam/role:Role::cdn-deploy"]),
        prod: new Set(["aws:rds/instance:Instance::database-instance"]),
      },
      configKeys: new Set(),
      scriptsFor: () => new Set(),
      exists: () => true,
    };
    expect(referenceProblems("runbooks/x.md", md, ctx)).toEqual([
      {
        where: "runbooks/x.md:4",
        reference: "aws:iam/role:Role::cdn-deploy",
        // The document names prod (--stack prod), so its commands are checked against prod's program.
        problem: "the prod program has no resource cdn-deploy of type aws:iam/role:Role",
      },
    ]);
  });
});

describe("looksLikeRepoPath", () => {
  it.each([
    ["tools/plan.ts", true],
    ["components/network/network.ts", true],
    ["runbooks/x.md", true],
    ["./x.md", true],
    ["owner/repo", false],
    ["flyway/flyway:10.22.0", false],
    ["index.ts", false],
    ["tools/*.ts", false],
    ["$(pulumi stack output x)", false],
  ])("%s → %s", (candidate, expected) => {
    expect(looksLikeRepoPath(candidate)).toBe(expected);
  });
});

describe("stack names", () => {
  it("reads --stack, --stack= and -s, not placeholders", () => {
    expect(stackNamedIn("pulumi up --stack prod")).toBe("prod");
    expect(stackNamedIn("pulumi up --stack=dev")).toBe("dev");
    expect(stackNamedIn("pulumi up -s prod")).toBe("prod");
    expect(stackNamedIn("pulumi up --stack <stack>")).toBeUndefined();
    expect(stacksNamedIn("pulumi stack select prod\npulumi up -s prod\n`--stack <stack>`")).toEqual(["prod"]);
  });
});

describe("referenceProblems", () => {
  const ctx: ReferenceContext = {
    outputsByStack: { dev: new Set(["region"]), prod: new Set(["region", "replicaArn"]) },
    configKeys: new Set(["saas:vpcCidr", "aws:region"]),
    scriptsFor: () => new Set(["plan"]),
    exists: (p) => ["tools/plan.ts", "runbooks"].includes(p.replace(/\/$/, "")),
  };

  it("names file:line, the reference and what is wrong", () => {
    const md = [
      "`pulumi stack output replicaArn`",
      "`pulumi stack output region --stack dev`",
      "`saas:nope` `npm run docs` `tools/plan.ts` `tools/gone.ts`",
    ].join("\n");
    expect(referenceProblems("runbooks/x.md", md, ctx)).toEqual([
      {
        where: "runbooks/x.md:1",
        reference: "pulumi stack output replicaArn",
        problem: 'stack output "replicaArn" does not exist in dev (stacks/platform.ts exports it?)',
      },
      {
        where: "runbooks/x.md:3",
        reference: "saas:nope",
        problem: 'config key "saas:nope" is not in CONFIG_KEYS (stacks/schema.ts) or the provider allow-list',
      },
      { where: "runbooks/x.md:3", reference: "npm run docs", problem: 'npm script "docs" is not in package.json' },
      {
        where: "runbooks/x.md:3",
        reference: "`tools/gone.ts`",
        problem: 'file "tools/gone.ts" does not exist (looked for tools/gone.ts, runbooks/tools/gone.ts)',
      },
    ]);
  });

  it("checks outputs only in prod when the document is about prod", () => {
    const md = "pulumi stack select prod\n`pulumi stack output replicaArn`";
    expect(referenceProblems("runbooks/x.md", md, ctx)).toEqual([]);
  });

  it("resolves links against the document's folder", () => {
    expect(
      resolveCandidates("components/monitoring/README.md", {
        kind: "path",
        line: 1,
        path: "../../runbooks/a.md",
        via: "link",
        text: "",
      }),
    ).toEqual(["runbooks/a.md"]);
  });
});
