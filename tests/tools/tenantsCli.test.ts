/**
 * The tenant commands a platform engineer runs: `tenants:purge` against a mocked Lambda API (the shapes of
 * Lambda's Invoke response, including `FunctionError` with `{ errorType, errorMessage }` as the Lambda Developer
 * Guide documents for Node.js errors) and the usage errors of `tenants:apply`.
 */
import { mockClient } from "aws-sdk-client-mock";
import { InvokeCommand, LambdaClient } from "@aws-sdk/client-lambda";
import { run as purge } from "../../tools/tenants/purge";
import { main as apply } from "../../tools/tenants/apply";

const lambda = mockClient(LambdaClient);

async function purgeRun(argv: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await purge(argv, {
    lambda: () => lambda as unknown as LambdaClient,
    out: (t) => out.push(t),
    err: (t) => err.push(t),
    requestedBy: "ops@laptop",
  });
  return { code, out: out.join(""), err: err.join("") };
}

afterEach(() => lambda.reset());

describe("tenants:purge", () => {
  test("refuses a tenant still in the stack's config, sending nothing", async () => {
    const result = await purgeRun(["dev", "acme", "--confirm", "acme"]);
    expect(result.code).toBe(1);
    expect(result.err).toBe(
      "tenants:purge: tenant acme is still in saas:tenants of stack dev (status active); remove it from Pulumi.dev.yaml and run pulumi up first, so the provisioner suspends it (runbooks/tenant-offboarding.md)\n",
    );
    expect(lambda.commandCalls(InvokeCommand)).toHaveLength(0);
  });

  test.each([
    [["dev", "gone"], /--confirm must repeat the tenant id exactly \(got nothing\)/],
    [["dev", "gone", "--confirm", "gon"], /--confirm must repeat the tenant id exactly \(got "gon"\)/],
    [["dev"], /a stack and a tenant id are required, in that order/],
    [["dev", "Gone", "--confirm", "Gone"], /tenant id "Gone" must match/],
    [["dev", "gone", "--confirm", "gone", "--export-dir", "x"], /--export-dir goes with --database-url/],
  ])("%j is a usage error (exit 2) and invokes nothing", async (argv, message) => {
    const result = await purgeRun(argv);
    expect(result.code).toBe(2);
    expect(result.err).toMatch(message);
    expect(result.err).toMatch(/\nusage: tenants:purge -- <stack> <tenant id> --confirm <tenant id>/);
    expect(lambda.commandCalls(InvokeCommand)).toHaveLength(0);
  });

  test("invokes the stack's provisioner with the purge event and prints where the export went", async () => {
    const report = {
      action: "purge",
      tenant: "gone",
      exportLocation: "s3://exports-bucket/tenant-exports/gone/2026-12-01T10-00-00-000Z/",
      tables: [{ name: "notes", rows: 3, parts: 1 }],
      dropped: ["schema tenant_gone", "role tenant_gone"],
      requestedBy: "ops@laptop",
    };
    lambda
      .on(InvokeCommand)
      .resolves({ StatusCode: 200, Payload: new TextEncoder().encode(JSON.stringify(report)) as never });
    const result = await purgeRun(["dev", "gone", "--confirm", "gone"]);
    expect(result.code).toBe(0);
    const call = lambda.commandCalls(InvokeCommand)[0].args[0].input;
    expect(call.FunctionName).toBe("saas-dev-tenant-provisioner");
    expect(call.InvocationType).toBe("RequestResponse");
    expect(JSON.parse(new TextDecoder().decode(call.Payload as Uint8Array))).toEqual({
      kind: "saas.tenant-purge/v1",
      tenant: "gone",
      confirm: "gone",
      requestedBy: "ops@laptop",
    });
    expect(result.out).toBe(
      [
        "purged tenant gone (requested by ops@laptop)",
        "  export:  s3://exports-bucket/tenant-exports/gone/2026-12-01T10-00-00-000Z/",
        "    notes: 3 rows in 1 part(s)",
        "  dropped: schema tenant_gone, role tenant_gone",
        "",
      ].join("\n"),
    );
  });

  test("reports the function's refusal (FunctionError) and exits 1", async () => {
    lambda.on(InvokeCommand).resolves({
      StatusCode: 200,
      FunctionError: "Unhandled",
      Payload: new TextEncoder().encode(
        JSON.stringify({
          errorType: "TenantInputError",
          errorMessage: "purge refused: tenant gone is still reachable",
        }),
      ) as never,
    });
    const result = await purgeRun(["dev", "gone", "--confirm", "gone"]);
    expect(result.code).toBe(1);
    expect(result.err).toContain(
      "tenants:purge: saas-dev-tenant-provisioner refused or failed: purge refused: tenant gone is still reachable\n",
    );
  });
});

describe("tenants:apply", () => {
  async function applyRun(argv: string[]) {
    const err: string[] = [];
    const spy = jest.spyOn(process.stderr, "write").mockImplementation((chunk) => {
      err.push(String(chunk));
      return true;
    });
    try {
      return { code: await apply(argv), err: err.join("") };
    } finally {
      spy.mockRestore();
    }
  }

  test("needs the stack the event is rendered from", async () => {
    expect(await applyRun(["--database-url", "postgresql://x@127.0.0.1:1/app"])).toEqual({
      code: 2,
      err: "tenants:apply: --stack is required: the event is rendered from its config\nusage: tenants:apply -- --database-url <url> --stack <stack> [--dry-run]\n",
    });
  });

  test("says it cannot connect in one line, without the password", async () => {
    const result = await applyRun(["--database-url", "postgresql://master:s3cret@127.0.0.1:1/app", "--stack", "dev"]);
    expect(result.code).toBe(2);
    expect(result.err).toMatch(/^tenants:apply: cannot connect to the database: .+\nusage:/);
    expect(result.err).not.toContain("s3cret");
  });
});
