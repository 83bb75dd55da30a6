import {
  commonDashPrefix,
  componentSummaries,
  renderArchitectureDoc,
  requestPath,
  securityGroupTiers,
  trafficFlows,
} from "../../tools/docs/architecture";
import { EGRESS, SG, resource, threeTierNetwork } from "./fixtures";

const arrows = (flows: ReturnType<typeof trafficFlows>) => flows.map((f) => `${f.from}→${f.to}:${f.port}`);

describe("trafficFlows", () => {
  it("gives exactly internet→lb:443, lb→app:8080, app→db:5432 for a three-tier network", () => {
    // GIVEN rules on both sides of each hop and the same internet rule for IPv4 and IPv6
    // WHEN the flows are derived
    const flows = trafficFlows(threeTierNetwork());
    // THEN each hop appears once, named by the groups' Name tags without their shared prefix
    expect(arrows(flows)).toEqual(["app→db:5432", "internet→lb:443", "lb→app:8080"]);
    expect(flows.every((f) => f.protocol === "tcp")).toBe(true);
  });

  it("reads a prefix list as S3, a port range, all traffic, and an unknown group by its id", () => {
    const resources = [
      resource(SG, "app", { tags: { Name: "app" } }, { id: "sg-app" }),
      resource(EGRESS, "s3", {
        securityGroupId: "sg-app",
        prefixListId: "pl-1",
        ipProtocol: "tcp",
        fromPort: 443,
        toPort: 443,
      }),
      resource(EGRESS, "range", {
        securityGroupId: "sg-app",
        cidrIpv4: "10.0.0.0/8",
        ipProtocol: "tcp",
        fromPort: 1024,
        toPort: 2048,
      }),
      resource(EGRESS, "all", { securityGroupId: "sg-app", referencedSecurityGroupId: "sg-else", ipProtocol: "-1" }),
    ];
    expect(arrows(trafficFlows(resources))).toEqual(["app→internet:1024-2048", "app→S3:443", "app→sg-else:all"]);
  });

  it("is empty without rules", () => {
    expect(trafficFlows([resource(SG, "lonely", {}, { id: "sg-1" })])).toEqual([]);
  });
});

describe("commonDashPrefix", () => {
  it.each([
    [["saas-prod-lb", "saas-prod-app", "saas-prod-db"], "saas-prod-"],
    [["saas-prod-lb"], ""],
    [["a-lb", "b-app"], ""],
    [["x-a", "x-ab"], "x-"],
    [["x-", "x-a"], ""],
  ])("%j → %j", (names, prefix) => {
    expect(commonDashPrefix(names)).toBe(prefix);
  });
});

describe("securityGroupTiers", () => {
  it("places each group in the tier of the subnets its users run in, RDS through its subnet group", () => {
    const subnet = (name: string, tier: string) =>
      resource("aws:ec2/subnet:Subnet", name, { tags: { Tier: tier } }, { id: `subnet-${name}` });
    const resources = [
      ...threeTierNetwork(),
      subnet("pub", "public"),
      subnet("priv", "private"),
      subnet("iso", "isolated"),
      resource("aws:lb/loadBalancer:LoadBalancer", "alb", { securityGroups: ["sg-lb"], subnets: ["subnet-pub"] }),
      resource("aws:ecs/service:Service", "svc", {
        networkConfiguration: { securityGroups: ["sg-app"], subnets: ["subnet-priv"] },
      }),
      resource("aws:rds/subnetGroup:SubnetGroup", "dbsubnets", { name: "db-subnets", subnetIds: ["subnet-iso"] }),
      resource("aws:rds/instance:Instance", "db", { dbSubnetGroupName: "db-subnets", vpcSecurityGroupIds: ["sg-db"] }),
    ];
    expect([...securityGroupTiers(resources)]).toEqual([
      ["app", "private"],
      ["db", "isolated"],
      ["lb", "public"],
    ]);
  });
});

describe("componentSummaries", () => {
  it("groups repetitive key resources with counts and ignores detail types", () => {
    const network = resource("saas:network:Network", "network");
    const child = (type: string, name: string, inputs: Record<string, unknown>) =>
      resource(type, name, inputs, {}, network.urn);
    const summaries = componentSummaries([
      network,
      child("aws:ec2/vpc:Vpc", "vpc", { cidrBlock: "10.0.0.0/16" }),
      child("aws:ec2/subnet:Subnet", "a", { tags: { Tier: "public" } }),
      child("aws:ec2/subnet:Subnet", "b", { tags: { Tier: "public" } }),
      child("aws:ec2/route:Route", "r", {}),
    ]);
    expect(summaries).toEqual([
      {
        name: "network",
        type: "saas:network:Network",
        keyResources: [
          { label: "public subnet", count: 2 },
          { label: "VPC 10.0.0.0/16", count: 1 },
        ],
      },
    ]);
  });
});

describe("requestPath", () => {
  it("draws only the parts that exist, in order", () => {
    const resources = [
      ...threeTierNetwork(),
      resource(
        "aws:lb/loadBalancer:LoadBalancer",
        "alb",
        { internal: false, securityGroups: ["sg-lb"] },
        { arn: "arn:lb" },
      ),
      resource(
        "aws:lb/listener:Listener",
        "https",
        {
          loadBalancerArn: "arn:lb",
          port: 443,
          protocol: "HTTPS",
          defaultActions: [{ type: "forward", targetGroupArn: "arn:tg" }],
        },
        { arn: "arn:l" },
      ),
      resource("aws:lb/targetGroup:TargetGroup", "tg", { port: 8080, protocol: "HTTP" }, { arn: "arn:tg" }),
      resource("aws:ecs/service:Service", "svc", {
        loadBalancers: [{ targetGroupArn: "arn:tg", containerName: "app", containerPort: 8080 }],
        networkConfiguration: { securityGroups: ["sg-app"] },
      }),
      resource("aws:rds/instance:Instance", "db", { vpcSecurityGroupIds: ["sg-db"] }),
    ];
    const { edges } = requestPath(resources);
    expect(edges.map((e) => `${e.from} -> ${e.to} ${e.label ?? ""}`.trim())).toEqual([
      "clients -> loadBalancer_alb internet-facing",
      "loadBalancer_alb -> listener_https",
      "listener_https -> targetGroup_tg default",
      "targetGroup_tg -> service_svc app:8080",
      "service_svc -> instance_db tcp 5432",
    ]);
  });

  it("has nothing to draw for a network alone", () => {
    expect(requestPath(threeTierNetwork()).nodes.size).toBe(0);
  });
});

describe("renderArchitectureDoc", () => {
  it("is deterministic: the order of the resources does not matter", () => {
    const resources = threeTierNetwork();
    const a = renderArchitectureDoc({ stack: "test", resources });
    const b = renderArchitectureDoc({ stack: "test", resources: [...resources].reverse() });
    expect(a).toBe(b);
    expect(a).toContain('internet -->|"443"| sg_lb');
  });
});
