import type {
  ResourceValidationArgs,
  ResourceValidationPolicy,
  StackValidationArgs,
  StackValidationPolicy,
} from "@pulumi/policy";
import { resourcePolicy } from "../../policy/lib/definePolicy";
import { runPolicies } from "../../policy/run";
import { resource, TAGGED_PROVIDER, urnOf } from "./helpers";

const KEY = resource("aws:iam/accessKey:AccessKey", { user: "ci" }, { name: "ci-key" });
const KEY_POLICY = "iam-no-user-access-keys";

describe("runPolicies: exceptions", () => {
  it("drops violations on an excepted URN, for every policy", () => {
    const config = {
      [KEY_POLICY]: {
        exceptions: [
          { urn: KEY.urn, justification: "Legacy partner SFTP sync, removal tracked in SEC-123 by 2026-12-31" },
        ],
      },
    };
    expect(runPolicies([KEY], { stack: "dev", config }).filter((v) => v.policy === KEY_POLICY)).toEqual([]);
    expect(runPolicies([KEY], { stack: "dev" }).filter((v) => v.policy === KEY_POLICY)).toHaveLength(1);
  });
  it("rejects an exception without a long enough justification, reporting every problem", () => {
    const config = { [KEY_POLICY]: { exceptions: [{ urn: KEY.urn, justification: "ok" }, { urn: KEY.urn }] } };
    expect(() => runPolicies([KEY], { stack: "dev", config })).toThrow(
      "Invalid policy pack config:\n  config.iam-no-user-access-keys.exceptions[0].justification must be at least 20 characters, got 2\n  config.iam-no-user-access-keys.exceptions[1].justification is required",
    );
  });
  it("rejects config for a policy that does not exist and unknown properties", () => {
    expect(() =>
      runPolicies([], { stack: "dev", config: { "iam-no-such-thing": "advisory", [KEY_POLICY]: { colour: "red" } } }),
    ).toThrow(
      'Invalid policy pack config:\n  config.iam-no-such-thing: no policy named "iam-no-such-thing" in the pack\n  config.iam-no-user-access-keys.colour is not a known property',
    );
  });
});

describe("runPolicies: enforcement levels", () => {
  const levelOf = (config: Parameters<typeof runPolicies>[1]["config"]) =>
    runPolicies([KEY], { stack: "dev", config })
      .filter((v) => v.policy === KEY_POLICY)
      .map((v) => v.level);
  it("defaults to the pack's mandatory level", () => expect(levelOf(undefined)).toEqual(["mandatory"]));
  it("applies a per-policy override as a string or an object", () => {
    expect(levelOf({ [KEY_POLICY]: "advisory" })).toEqual(["advisory"]);
    expect(levelOf({ [KEY_POLICY]: { enforcementLevel: "advisory" } })).toEqual(["advisory"]);
    expect(levelOf({ [KEY_POLICY]: "disabled" })).toEqual([]);
  });
  it("applies `all`, below a per-policy override", () => {
    expect(levelOf({ all: "disabled" })).toEqual([]);
    expect(levelOf({ all: "disabled", [KEY_POLICY]: "mandatory" })).toEqual(["mandatory"]);
  });
  it("reports remediate as mandatory, as the engine does for a remaining violation", () =>
    expect(levelOf({ [KEY_POLICY]: "remediate" })).toEqual(["mandatory"]));
});

describe("runPolicies: engine-shaped arguments", () => {
  class FakeBucket {
    static __pulumiType = "aws:s3/bucket:Bucket";
  }
  it("builds ResourceValidationArgs like the engine", () => {
    const seen: ResourceValidationArgs[] = [];
    const spy: ResourceValidationPolicy = {
      name: "test-spy",
      description: "spy",
      configSchema: { properties: { limit: { type: "integer", default: 3 } } },
      validateResource: (args) => {
        seen.push(args);
      },
    };
    const parent = urnOf("saas:storage:Storage", "storage");
    const bucket = resource("aws:s3/bucket:Bucket", { bucket: "b" }, { parent, options: { protect: true } });
    runPolicies([bucket], { stack: "dev", policies: [spy], config: { "test-spy": { limit: 5 } } });
    const [args] = seen;
    expect(args.type).toBe("aws:s3/bucket:Bucket");
    expect(args.urn).toBe(bucket.urn);
    expect(args.name).toBe("r");
    expect(args.props.bucket).toBe("b");
    expect(args.opts).toEqual({
      protect: true,
      ignoreChanges: [],
      aliases: [],
      customTimeouts: { createSeconds: 0, updateSeconds: 0, deleteSeconds: 0 },
      additionalSecretOutputs: [],
      parent,
    });
    expect(args.provider?.urn).toBe(TAGGED_PROVIDER.urn);
    expect(args.isType(FakeBucket as never)).toBe(true);
    expect(args.asType(FakeBucket as never)).toEqual({ bucket: "b" });
    expect(args.getConfig()).toEqual({ limit: 5 });
    expect([...args.stackTags.keys()]).toEqual([]);
  });
  it("builds StackValidationArgs with resolved parents and dependencies", () => {
    const seen: StackValidationArgs[] = [];
    const spy: StackValidationPolicy = {
      name: "test-stack-spy",
      description: "spy",
      validateStack: (args) => void seen.push(args),
    };
    const stack = resource("pulumi:pulumi:Stack", {}, { name: "saas-dev" });
    const bucket = resource("aws:s3/bucket:Bucket", {}, { name: "b", parent: stack.urn });
    const pab = resource(
      "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock",
      {},
      { name: "p", parent: stack.urn, dependencies: [bucket.urn] },
    );
    runPolicies([stack, bucket, pab], { stack: "dev", policies: [spy] });
    const [s, b, p] = seen[0].resources;
    expect(b.parent).toBe(s);
    expect(p.dependencies).toEqual([b]);
    expect(p.propertyDependencies).toEqual({});
  });
  it("attributes a stack violation without a URN to the stack resource", () => {
    const stack = resource("pulumi:pulumi:Stack", {}, { name: "saas-dev" });
    const policy: StackValidationPolicy = {
      name: "test-whole-stack",
      description: "d",
      validateStack: (_a, report) => report("whole stack"),
    };
    expect(runPolicies([stack], { stack: "dev", policies: [policy] })).toEqual([
      { policy: "test-whole-stack", level: "mandatory", message: "whole stack", urn: stack.urn },
    ]);
  });
  it("skips a check that reads an unknown value, and notApplicable", () => {
    const unknown = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";
    const rds = resource("aws:rds/instance:Instance", { publiclyAccessible: unknown, storageEncrypted: true });
    expect(runPolicies([rds], { stack: "dev" }).filter((v) => v.policy === "network-no-public-rds")).toEqual([]);
    const na = resourcePolicy({
      name: "test-na",
      description: "d",
      severity: "low",
      types: "*",
      validate: (_p, args) => args.notApplicable("n/a"),
    });
    expect(runPolicies([rds], { stack: "dev", policies: [na] })).toEqual([]);
  });
  it("refuses asynchronous validations, since the runner is synchronous", () => {
    const asyncPolicy: ResourceValidationPolicy = {
      name: "test-async",
      description: "d",
      validateResource: async () => undefined,
    };
    expect(() => runPolicies([KEY], { stack: "dev", policies: [asyncPolicy] })).toThrow(
      'policy "test-async" returned a Promise',
    );
  });
});
