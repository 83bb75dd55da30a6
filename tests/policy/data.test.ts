import { messagesOf, resource, urnOf } from "./helpers";

describe("data-rds-backups", () => {
  const P = "data-rds-backups";
  it("passes retention and default, skips replicas", () => {
    expect(messagesOf(P, resource("aws:rds/instance:Instance", { backupRetentionPeriod: 7 }))).toEqual([]);
    expect(messagesOf(P, resource("aws:rds/instance:Instance", {}))).toEqual([]);
    expect(
      messagesOf(P, resource("aws:rds/instance:Instance", { replicateSourceDb: "db", backupRetentionPeriod: 0 })),
    ).toEqual([]);
  });
  it.each(["aws:rds/instance:Instance", "aws:rds/cluster:Cluster"])("flags retention 0 on %s", (type) => {
    expect(messagesOf(P, resource(type, { backupRetentionPeriod: 0 }))).toEqual([
      "backupRetentionPeriod is 0; set it to at least 7 days.",
    ]);
  });
});

describe("data-rds-deletion-protection", () => {
  const P = "data-rds-deletion-protection";
  const prodDb = (props: Record<string, unknown>, type = "aws:rds/instance:Instance") =>
    resource(type, props, { urn: urnOf(type, "db", "prod") });
  it("passes protected prod databases and ignores dev", () => {
    expect(messagesOf(P, prodDb({ deletionProtection: true, skipFinalSnapshot: false }), "prod")).toEqual([]);
    expect(messagesOf(P, resource("aws:rds/instance:Instance", { skipFinalSnapshot: true }), "dev")).toEqual([]);
  });
  it.each(["aws:rds/instance:Instance", "aws:rds/cluster:Cluster"])("flags unprotected %s in prod", (type) => {
    expect(messagesOf(P, prodDb({ deletionProtection: false, skipFinalSnapshot: true }, type), "prod")).toEqual([
      'deletionProtection is not true in stack "prod"; set deletionProtection: true.',
      'skipFinalSnapshot is true in stack "prod"; set skipFinalSnapshot: false and a finalSnapshotIdentifier.',
    ]);
  });
  it("uses the injected stack name and the configured prod stacks", () => {
    const db = resource("aws:rds/instance:Instance", { deletionProtection: true, skipFinalSnapshot: true });
    expect(messagesOf(P, db, "production", { [P]: { prodStacks: ["production"] } })).toEqual([
      'skipFinalSnapshot is true in stack "production"; set skipFinalSnapshot: false and a finalSnapshotIdentifier.',
    ]);
  });
});

describe("data-ecr-immutable-scanned", () => {
  const P = "data-ecr-immutable-scanned";
  const T = "aws:ecr/repository:Repository";
  it("passes immutable, scanned repositories", () => {
    expect(
      messagesOf(P, resource(T, { imageTagMutability: "IMMUTABLE", imageScanningConfiguration: { scanOnPush: true } })),
    ).toEqual([]);
  });
  it("flags mutable tags and no scan on push", () => {
    expect(messagesOf(P, resource(T, { imageScanningConfiguration: { scanOnPush: true } }))).toEqual([
      'imageTagMutability is MUTABLE; set imageTagMutability: "IMMUTABLE".',
    ]);
    expect(messagesOf(P, resource(T, { imageTagMutability: "IMMUTABLE" }))).toEqual([
      "imageScanningConfiguration.scanOnPush is not true; set scanOnPush: true.",
    ]);
  });
});

describe("data-log-retention", () => {
  const P = "data-log-retention";
  it("passes a retention period and flags 0 or unset", () => {
    const lg = (props: object) => resource("aws:cloudwatch/logGroup:LogGroup", { kmsKeyId: "k", ...props });
    expect(messagesOf(P, lg({ retentionInDays: 30 }))).toEqual([]);
    const message = "retentionInDays is not set, so logs never expire; set retentionInDays (e.g. 30).";
    expect(messagesOf(P, lg({ retentionInDays: 0 }))).toEqual([message]);
    expect(messagesOf(P, lg({}))).toEqual([message]);
  });
});

describe("data-state-machine-logging", () => {
  const P = "data-state-machine-logging";
  const T = "aws:sfn/stateMachine:StateMachine";
  const logged = {
    loggingConfiguration: {
      level: "ALL",
      includeExecutionData: true,
      logDestination: "arn:aws:logs:us-east-1:123456789012:log-group:/aws/vendedlogs/states/x:*",
    },
  };
  it("passes a state machine logging every event", () => {
    expect(messagesOf(P, resource(T, logged))).toEqual([]);
  });
  it("flags one without logging", () => {
    expect(messagesOf(P, resource(T, {}))).toEqual([
      "loggingConfiguration has no logDestination; log to a CloudWatch log group (`<log group ARN>:*`).",
    ]);
  });
  it.each([
    ["ERROR", 'loggingConfiguration.level is "ERROR"; set level "ALL".'],
    [undefined, 'loggingConfiguration.level is "OFF"; set level "ALL".'],
  ])("flags level %s", (level, message) => {
    expect(messagesOf(P, resource(T, { loggingConfiguration: { ...logged.loggingConfiguration, level } }))).toEqual([
      message,
    ]);
  });
});
