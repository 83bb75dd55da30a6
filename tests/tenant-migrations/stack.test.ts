/**
 * The fleet migration as the prod stack wires it: the state machine runs the migration task that stack defines,
 * in its private subnets with the security group the database admits, may pass exactly that task's two roles,
 * reads the bucket the runner writes, and the plan shows the run for the configured tenants.
 */
import { Planned } from "../support/plan";
import { policyViolations } from "../../tools/plan/checks";

let prod: Planned;
beforeAll(async () => {
  prod = await Planned.of({
    stack: "prod",
    config: {
      "saas:tenants": JSON.stringify([{ id: "acme" }, { id: "globex" }, { id: "initech" }, { id: "umbrella" }]),
    },
  });
});

const machine = () => prod.one("aws:sfn/stateMachine:StateMachine", "tenant-migrations-state-machine");
const definition = () => JSON.parse(machine().inputs.definition as string);
const statement = (sid: string) =>
  (
    JSON.parse(prod.one("aws:iam/rolePolicy:RolePolicy", "tenant-migrations-role").inputs.policy as string)
      .Statement as { Sid: string; Resource: unknown; Condition?: unknown }[]
  ).find((s) => s.Sid === sid);

describe("the prod stack's fleet migration", () => {
  it("runs the stack's migration task in its private subnets with the app security group", () => {
    const task = definition().States.Canary.ItemProcessor.States["Canary: Run migration task"];
    expect(task.Arguments.TaskDefinition).toBe(
      prod.one("aws:ecs/taskDefinition:TaskDefinition", "migrations-task").outputs.arn,
    );
    expect(task.Arguments.Cluster).toBe(prod.one("aws:ecs/cluster:Cluster", "service-cluster").outputs.arn);
    expect(task.Arguments.NetworkConfiguration.AwsvpcConfiguration).toEqual({
      Subnets: prod.run.outputs.privateSubnetIds,
      SecurityGroups: [prod.run.outputs.appSecurityGroupId],
      AssignPublicIp: "DISABLED",
    });
  });

  it("may pass the migration task's execution and runner roles only, and read its results bucket only", () => {
    expect(statement("PassTaskRoles")?.Resource).toEqual([
      prod.one("aws:iam/role:Role", "migrations-execution").outputs.arn,
      prod.one("aws:iam/role:Role", "migrations-runner").outputs.arn,
    ]);
    const bucket = prod.one("aws:s3/bucket:Bucket", "migrations-results");
    expect(statement("ReadResults")?.Resource).toBe(`${bucket.outputs.arn as string}/*`);
    expect(prod.run.outputs.migrationResultsBucketName).toBe(bucket.outputs.bucket);
  });

  it("runs the image built here, by digest from the stack's ECR repository (no Docker Hub at run time)", () => {
    const digest = prod.one("docker:index/image:Image", "migrations-image").outputs.repoDigest as string;
    expect(digest).toMatch(
      /^123456789012\.dkr\.ecr\.us-east-1\.amazonaws\.com\/saas-prod\/migrations@sha256:[0-9a-f]{64}$/,
    );
    const [container] = JSON.parse(
      prod.one("aws:ecs/taskDefinition:TaskDefinition", "migrations-task").inputs.containerDefinitions as string,
    );
    expect(container.image).toBe(digest);
    expect(prod.run.outputs.migrationImageRef).toBe(digest);
  });

  it("plans the configured tenants: the first as the canary, the rest in waves the budget allows", () => {
    // Pulumi.prod.yaml's saas:databaseMigratorConnections 60 → 20 Flyway runs at once (3 connections each).
    expect(prod.run.outputs.tenantMigrationWaves).toEqual({
      concurrency: 20,
      batchSize: 25,
      canary: ["tenant_acme"],
      waves: [["tenant_globex,tenant_initech,tenant_umbrella"]],
    });
    expect(definition().States.Wave.MaxConcurrency).toBe(20);
    expect(prod.run.outputs.tenantMigrationStateMachineArn).toBe(
      "arn:aws:states:us-east-1:123456789012:stateMachine:saas-prod-tenant-migrations",
    );
  });

  it("passes the policy pack", () => {
    expect(
      policyViolations(prod.run).filter((v) => v.urn.includes("tenant-migrations") || v.urn.includes("migrations")),
    ).toEqual([]);
  });
});

describe("a configured canary (saas:tenantMigrationCanary)", () => {
  it("goes first in the planned run, in its order, and out of the waves", async () => {
    const planned = await Planned.of({
      stack: "dev",
      config: {
        "saas:tenants": JSON.stringify([{ id: "acme" }, { id: "globex" }, { id: "initech" }, { id: "umbrella" }]),
        "saas:tenantMigrationCanary": JSON.stringify(["initech", "globex"]),
      },
    });
    expect(planned.run.outputs.tenantMigrationWaves).toEqual({
      // dev keeps the default 6 connections: two Flyway runs at once.
      concurrency: 2,
      batchSize: 25,
      canary: ["tenant_initech,tenant_globex"],
      waves: [["tenant_acme,tenant_umbrella"]],
    });
  });
});
