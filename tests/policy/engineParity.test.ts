/**
 * Parity between the offline runner and the real analyzer: the same fixtures go through @pulumi/policy's own
 * `analyze` RPC handler (what `pulumi preview --policy-pack` calls, minus the gRPC transport) and through
 * `runPolicies`, and must yield the same violations. This keeps run.ts honest about the args it builds.
 */
/* eslint-disable @typescript-eslint/no-require-imports */
import { policies, PACK_ENFORCEMENT_LEVEL, PACK_NAME, resourcePolicies } from "../../policy/policies";
import { PolicyResource, PolicyViolation, runPolicies } from "../../policy/run";
import { resource } from "./helpers";

// Internal modules of @pulumi/policy and @pulumi/pulumi: typed loosely on purpose, this test pins their behaviour.
const server = require("@pulumi/policy/server") as {
  makeAnalyzeRpcFun: (
    pack: string,
    version: string,
    level: string,
    p: typeof policies,
  ) => (call: unknown, cb: (err: unknown, resp: AnalyzeResponse) => void) => Promise<void>;
};
const protoutil = require("@pulumi/policy/protoutil") as { convertEnforcementLevel: (el: number) => string };
const analyzerpb = require("@pulumi/pulumi/proto/analyzer_pb");
const { Struct } = require("google-protobuf/google/protobuf/struct_pb");

interface AnalyzeDiagnostic {
  getPolicyname(): string;
  getMessage(): string;
  getDescription(): string;
  getEnforcementlevel(): number;
}
interface AnalyzeResponse {
  getDiagnosticsList(): AnalyzeDiagnostic[];
}

async function analyzeWithEngine(r: PolicyResource): Promise<PolicyViolation[]> {
  const req = new analyzerpb.AnalyzeRequest();
  req.setType(r.type);
  req.setUrn(r.urn);
  req.setName(r.name);
  req.setProperties(Struct.fromJavaScript(r.props));
  const options = new analyzerpb.AnalyzerResourceOptions();
  options.setProtect(r.options.protect);
  if (r.parent) options.setParent(r.parent);
  req.setOptions(options);
  if (r.provider) {
    const provider = new analyzerpb.AnalyzerProviderResource();
    provider.setType(r.provider.type);
    provider.setUrn(r.provider.urn);
    provider.setName(r.provider.name);
    provider.setProperties(Struct.fromJavaScript(r.provider.props));
    req.setProvider(provider);
  }
  const analyze = server.makeAnalyzeRpcFun(PACK_NAME, "1.0.0", PACK_ENFORCEMENT_LEVEL, resourcePolicies);
  const response = await new Promise<AnalyzeResponse>((resolve, reject) =>
    analyze({ request: req }, (err, resp) => (err ? reject(err) : resolve(resp))),
  );
  return response.getDiagnosticsList().map((d) => ({
    policy: d.getPolicyname(),
    level: protoutil.convertEnforcementLevel(d.getEnforcementlevel()) as PolicyViolation["level"],
    // The engine prefixes the description; the runner reports the message alone.
    message: d.getMessage().slice(d.getDescription().length + 1),
    urn: r.urn,
  }));
}

const fixtures: PolicyResource[] = [
  resource("aws:iam/policy:Policy", {
    policy: JSON.stringify({ Statement: [{ Effect: "Allow", Action: "*", Resource: "*" }] }),
  }),
  resource("aws:iam/role:Role", {
    assumeRolePolicy: { Statement: { Effect: "Allow", Principal: "*", Action: "sts:AssumeRole" } },
    managedPolicyArns: ["arn:aws:iam::aws:policy/AdministratorAccess"],
  }),
  resource(
    "aws:ec2/securityGroup:SecurityGroup",
    { ingress: [{ protocol: "-1", fromPort: 0, toPort: 0, ipv6CidrBlocks: ["::/0"] }], tags: { Name: "sg" } },
    { provider: undefined },
  ),
  resource("aws:rds/instance:Instance", { publiclyAccessible: true, backupRetentionPeriod: 0 }),
  resource("aws:ecs/taskDefinition:TaskDefinition", {
    family: "app",
    containerDefinitions: JSON.stringify([
      { name: "app", image: "nginx", privileged: true, environment: [{ name: "DB_PASSWORD", value: "x" }] },
    ]),
  }),
  resource("aws:secretsmanager/secret:Secret", {}),
  resource("aws:lb/listener:Listener", { protocol: "HTTPS", defaultActions: [] }),
];

describe("runPolicies matches the analyzer", () => {
  it.each(fixtures.map((f) => [f.type, f] as const))("%s", async (_type, fixture) => {
    const engine = await analyzeWithEngine(fixture);
    const offline = runPolicies([fixture], { stack: "dev", policies: resourcePolicies });
    expect(offline.length).toBeGreaterThan(0);
    expect(offline).toEqual(engine);
  });
});
