import { runStack, PlanRun } from "../../tools/engine/run";
import { parseConfig } from "../../stacks/config";
import { DEV, PROD } from "../support/config";
import { policyViolations } from "../../tools/plan/checks";

/**
 * The break-glass route to prod's private database: ECS Exec into a service task, then a Session Manager port
 * forward to the instance (runbooks/database-connect.md). Off in prod by default; `saas:breakGlassAccess` opens
 * it for an incident, and every session is then logged, encrypted, to the service's log group.
 */
const SERVICE = "aws:ecs/service:Service";
const ENDPOINT = "aws:ec2/vpcEndpoint:VpcEndpoint";
const one = (run: PlanRun, type: string, name: string) => {
  const found = run.resources.filter((r) => r.type === type && r.name === name);
  expect(found).toHaveLength(1);
  return found[0];
};

describe("break-glass database access", () => {
  it("is off in prod by default and always on in dev", () => {
    expect(parseConfig(PROD, { stack: "prod" }).shellAccess).toBe(false);
    expect(parseConfig({ ...PROD, "saas:breakGlassAccess": "true" }, { stack: "prod" }).shellAccess).toBe(true);
    expect(parseConfig(DEV, { stack: "dev" }).shellAccess).toBe(true);
  });

  describe("prod, switch off (the default)", () => {
    let run: PlanRun;
    beforeAll(async () => {
      run = await runStack({ stack: "prod" });
    });

    it("allows no shell into the tasks and has no Session Manager endpoint", () => {
      expect(one(run, SERVICE, "service-service").inputs.enableExecuteCommand).toBe(false);
      expect(run.resources.filter((r) => r.type === ENDPOINT).map((r) => r.name)).not.toContain("network-ssmmessages");
      expect(run.outputs.shellAccess).toBe(false);
    });
  });

  describe("prod, switch on", () => {
    let run: PlanRun;
    beforeAll(async () => {
      run = await runStack({ stack: "prod", config: { "saas:breakGlassAccess": "true" } });
    });

    it("turns on ECS Exec and adds the ssmmessages endpoint the private subnets need for it", () => {
      expect(one(run, SERVICE, "service-service").inputs.enableExecuteCommand).toBe(true);
      const endpoint = one(run, ENDPOINT, "network-ssmmessages");
      expect(endpoint.inputs).toMatchObject({
        serviceName: "com.amazonaws.us-east-1.ssmmessages",
        vpcEndpointType: "Interface",
        privateDnsEnabled: true,
      });
      expect(run.outputs.shellAccess).toBe(true);
    });

    it("passes the policy pack (ECS Exec is allowed; it is the audited route)", () => {
      expect(policyViolations(run).filter((v) => v.level === "mandatory")).toEqual([]);
    });

    it("logs every session, encrypted with the stack key, to the service's log group", () => {
      const cluster = one(run, "aws:ecs/cluster:Cluster", "service-cluster");
      expect(cluster.inputs.configuration).toEqual({
        executeCommandConfiguration: {
          kmsKeyId: run.outputs.kmsKeyArn,
          logging: "OVERRIDE",
          logConfiguration: { cloudWatchLogGroupName: run.outputs.logGroupName, cloudWatchEncryptionEnabled: true },
        },
      });
    });
  });
});
