import { estimateCost, roundUsd, type CostEstimate, type CostItem } from "../../tools/cost/estimate";
import { formatCostTable } from "../../tools/cost/format";
import { defaultPriceTable, parsePriceTable } from "../../tools/cost/priceTable";
import rawPrices from "../../tools/cost/prices.json";
import type { PlannedResource } from "../../tools/engine/types";
import { component, deepClone, remoteComponent, resource, withValue } from "./fixtures";

const NAT_GB = defaultPriceTable().assumptions.natGatewayGbProcessedPerMonth.value;

function estimate(resources: PlannedResource[], region = "us-east-1"): CostEstimate {
  return estimateCost(resources, { region });
}

function itemsOf(result: CostEstimate, r: PlannedResource): CostItem[] {
  return result.items.filter((item) => item.urn === r.urn);
}

function monthlyOf(result: CostEstimate, r: PlannedResource): number {
  return roundUsd(itemsOf(result, r).reduce((sum, item) => sum + item.monthlyUsd, 0));
}

const TASK_DEF_ARN = "arn:aws:ecs:us-east-1:123456789012:task-definition/saas-dev-api:1";

function fargateService(opts: { arch?: "X86_64" | "ARM64"; desiredCount?: number } = {}): PlannedResource[] {
  const taskDef = resource(
    "aws:ecs/taskDefinition:TaskDefinition",
    "saas-dev-api-task",
    {
      family: "saas-dev-api",
      cpu: "256",
      memory: "512",
      networkMode: "awsvpc",
      requiresCompatibilities: ["FARGATE"],
      containerDefinitions: "[]",
      ...(opts.arch ? { runtimePlatform: { operatingSystemFamily: "LINUX", cpuArchitecture: opts.arch } } : {}),
    },
    { arn: TASK_DEF_ARN, family: "saas-dev-api", revision: 1 },
  );
  const service = resource("aws:ecs/service:Service", "saas-dev-api", {
    launchType: "FARGATE",
    taskDefinition: TASK_DEF_ARN,
    desiredCount: opts.desiredCount ?? 2,
  });
  return [taskDef, service];
}

describe("estimateCost", () => {
  describe("NAT gateway", () => {
    it("prices 730 hours plus the assumed GB processed at the us-east-1 rates", () => {
      const nat = resource("aws:ec2/natGateway:NatGateway", "saas-dev-nat-a", { subnetId: "subnet-1" });
      const result = estimate([nat]);
      expect(itemsOf(result, nat)).toEqual([
        expect.objectContaining({
          resource: "NAT gateway saas-dev-nat-a",
          quantity: 730,
          unit: "hours",
          unitPriceUsd: 0.045,
          monthlyUsd: 32.85,
        }),
        expect.objectContaining({
          resource: "NAT gateway saas-dev-nat-a: data processed",
          quantity: NAT_GB,
          unit: "GB",
          unitPriceUsd: 0.045,
        }),
      ]);
      expect(monthlyOf(result, nat)).toBe(roundUsd(0.045 * 730 + NAT_GB * 0.045));
      expect(monthlyOf(result, nat)).toBe(37.35);
    });

    it("prices its Elastic IP as a public IPv4 address", () => {
      const eip = resource("aws:ec2/eip:Eip", "saas-dev-nat-a-eip", { domain: "vpc" });
      expect(itemsOf(estimate([eip]), eip)).toEqual([
        expect.objectContaining({ quantity: 730, unit: "address-hours", unitPriceUsd: 0.005, monthlyUsd: 3.65 }),
      ]);
    });

    it("uses the region's own rates", () => {
      const nat = resource("aws:ec2/natGateway:NatGateway", "saas-prod-nat-a");
      // 730 h × $0.052 + 100 GB × $0.052
      expect(monthlyOf(estimate([nat], "eu-central-1"), nat)).toBe(43.16);
    });
  });

  describe("awsx Vpc (remote component)", () => {
    const natHours = (result: CostEstimate) =>
      result.items.filter((i) => i.type === "aws:ec2/natGateway:NatGateway" && i.unit === "hours");

    it("derives one NAT gateway per AZ from OnePerAz × 3 AZs, each with its public IPv4", () => {
      const vpc = remoteComponent("awsx:ec2:Vpc", "saas-dev", {
        natGateways: { strategy: "OnePerAz" },
        numberOfAvailabilityZones: 3,
      });
      const result = estimate([vpc]);
      const nats = natHours(result);
      expect(nats.map((i) => i.resource)).toEqual([
        "NAT gateway saas-dev (AZ 1 of 3)",
        "NAT gateway saas-dev (AZ 2 of 3)",
        "NAT gateway saas-dev (AZ 3 of 3)",
      ]);
      expect(nats.every((i) => i.urn === vpc.urn && i.monthlyUsd === 32.85)).toBe(true);
      expect(nats[0].note).toContain("natGateways.strategy=OnePerAz over 3 AZs");
      expect(result.items.filter((i) => i.type === "aws:ec2/eip:Eip")).toHaveLength(3);
      // 3 × ($32.85 hours + $4.50 for 100 GB + $3.65 public IPv4)
      expect(result.monthlyUsd).toBe(123);
      expect(result.unpriced).toEqual([]);
    });

    it.each([
      [{ natGateways: { strategy: "Single" }, numberOfAvailabilityZones: 3 }, 1],
      [{ natGateways: { strategy: "None" } }, 0],
      [{ numberOfAvailabilityZones: 2 }, 2],
      [{}, 3],
      [{ availabilityZoneNames: ["us-east-1a", "us-east-1b"], natGateways: { strategy: "OnePerAz" } }, 2],
      [{ subnetSpecs: [{ type: "Private" }, { type: "Isolated" }] }, 0],
    ])("derives the awsx default NAT count for %j → %i", (inputs, expected) => {
      expect(natHours(estimate([remoteComponent("awsx:ec2:Vpc", "v", inputs)]))).toHaveLength(expected);
    });

    it("does not price EIPs twice when the program passes its own allocation IDs", () => {
      const vpc = remoteComponent("awsx:ec2:Vpc", "v", {
        natGateways: { strategy: "Single", elasticIpAllocationIds: ["eipalloc-1"] },
      });
      expect(estimate([vpc]).items.filter((i) => i.type === "aws:ec2/eip:Eip")).toEqual([]);
    });
  });

  describe("Fargate service", () => {
    it("prices 0.25 vCPU / 0.5 GB × 2 tasks on x86 by resolving the task definition ARN", () => {
      const [taskDef, service] = fargateService();
      const result = estimate([taskDef, service]);
      expect(itemsOf(result, service)).toEqual([
        expect.objectContaining({ quantity: 365, unit: "vCPU-hours", unitPriceUsd: 0.04048, monthlyUsd: 14.78 }),
        expect.objectContaining({ quantity: 730, unit: "GB-hours", unitPriceUsd: 0.004445, monthlyUsd: 3.24 }),
      ]);
      expect(itemsOf(result, taskDef)).toEqual([]);
      expect(result.unpriced).toEqual([]);
    });

    it("prices ARM64 at the Graviton rates", () => {
      const [taskDef, service] = fargateService({ arch: "ARM64" });
      expect(itemsOf(estimate([taskDef, service]), service)).toEqual([
        expect.objectContaining({ quantity: 365, unitPriceUsd: 0.03238, monthlyUsd: 11.82 }),
        expect.objectContaining({ quantity: 730, unitPriceUsd: 0.00356, monthlyUsd: 2.6 }),
      ]);
      const [x86TaskDef, x86Service] = fargateService({ arch: "X86_64" });
      expect(monthlyOf(estimate([x86TaskDef, x86Service]), x86Service)).toBe(18.02);
    });

    it("lists a service whose task definition is not in the plan as unpriced", () => {
      const service = resource("aws:ecs/service:Service", "orphan", { launchType: "FARGATE", taskDefinition: "arn:x" });
      expect(estimate([service]).unpriced).toEqual([
        { type: "aws:ecs/service:Service", count: 1, reasons: ["task definition arn:x not found in the plan"] },
      ]);
    });
  });

  describe("RDS instance", () => {
    const rds = (inputs: Record<string, unknown>) =>
      resource("aws:rds/instance:Instance", "saas-dev-db", {
        engine: "postgres",
        instanceClass: "db.t4g.micro",
        allocatedStorage: 20,
        storageType: "gp3",
        ...inputs,
      });

    it("prices a Single-AZ instance and its storage", () => {
      const db = rds({ multiAz: false });
      expect(itemsOf(estimate([db]), db)).toEqual([
        expect.objectContaining({ quantity: 730, unitPriceUsd: 0.016, monthlyUsd: 11.68 }),
        expect.objectContaining({ quantity: 20, unit: "GB-months", unitPriceUsd: 0.115, monthlyUsd: 2.3 }),
      ]);
    });

    it("doubles both the instance and the storage with Multi-AZ", () => {
      const db = rds({ multiAz: true });
      const items = itemsOf(estimate([db]), db);
      expect(items).toEqual([
        expect.objectContaining({ resource: "RDS instance saas-dev-db (db.t4g.micro, Multi-AZ)", monthlyUsd: 23.36 }),
        expect.objectContaining({ quantity: 20, unitPriceUsd: 0.23, monthlyUsd: 4.6 }),
      ]);
      expect(items[0].note).toContain("Multi-AZ");
    });

    it("counts the RDS-managed master password secret", () => {
      const db = rds({ manageMasterUserPassword: true });
      const secret = itemsOf(estimate([db]), db).find((i) => i.type === "aws:secretsmanager/secret:Secret");
      expect(secret).toEqual(expect.objectContaining({ quantity: 1, unitPriceUsd: 0.4, monthlyUsd: 0.4 }));
      expect(secret?.note).toContain("manageMasterUserPassword");
    });

    it("lists an instance class missing from the table as unpriced, naming the class and region", () => {
      const db = rds({ instanceClass: "db.x2g.16xlarge" });
      const result = estimate([db], "eu-west-1");
      expect(result.items).toEqual([]);
      expect(result.unpriced).toEqual([
        { type: "aws:rds/instance:Instance", count: 1, reasons: ["no price for db.x2g.16xlarge in eu-west-1"] },
      ]);
    });
  });

  describe("interface VPC endpoint", () => {
    it("charges each of its 2 subnets (AZs) by the hour plus the assumed GB", () => {
      const endpoint = resource("aws:ec2/vpcEndpoint:VpcEndpoint", "saas-dev-ecr-api", {
        vpcId: "vpc-1",
        serviceName: "com.amazonaws.us-east-1.ecr.api",
        vpcEndpointType: "Interface",
        subnetIds: ["subnet-a", "subnet-b"],
      });
      expect(itemsOf(estimate([endpoint]), endpoint)).toEqual([
        expect.objectContaining({ quantity: 1460, unit: "endpoint-AZ-hours", unitPriceUsd: 0.01, monthlyUsd: 14.6 }),
        expect.objectContaining({ quantity: 10, unit: "GB", unitPriceUsd: 0.01, monthlyUsd: 0.1 }),
      ]);
    });

    it("counts a gateway endpoint as free", () => {
      const endpoint = resource("aws:ec2/vpcEndpoint:VpcEndpoint", "s3", { vpcId: "vpc-1", serviceName: "s3" });
      const result = estimate([endpoint]);
      expect(result.items).toEqual([]);
      expect(result.free).toEqual([{ type: "aws:ec2/vpcEndpoint:VpcEndpoint", count: 1 }]);
    });
  });

  it("prices an internet-facing ALB with its LCUs and one public IPv4 per subnet", () => {
    const alb = resource("aws:lb/loadBalancer:LoadBalancer", "saas-dev-alb", {
      loadBalancerType: "application",
      subnets: ["subnet-a", "subnet-b"],
    });
    expect(itemsOf(estimate([alb]), alb).map((i) => [i.quantity, i.unit, i.monthlyUsd])).toEqual([
      [730, "hours", 16.43],
      [730, "LCU-hours", 5.84],
      [1460, "address-hours", 7.3],
    ]);
  });

  it("prices alarms by resolution, dashboards without the free tier, keys and secrets", () => {
    const standard = resource("aws:cloudwatch/metricAlarm:MetricAlarm", "cpu", { period: 60 });
    const highRes = resource("aws:cloudwatch/metricAlarm:MetricAlarm", "p99", { period: 10 });
    const dashboard = resource("aws:cloudwatch/dashboard:Dashboard", "ops", { dashboardName: "ops" });
    const key = resource("aws:kms/key:Key", "db-key");
    const secret = resource("aws:secretsmanager/secret:Secret", "api-token");
    const result = estimate([standard, highRes, dashboard, key, secret]);
    expect(result.items.map((i) => [i.resource, i.monthlyUsd])).toEqual([
      ["CloudWatch alarm cpu", 0.1],
      ["CloudWatch alarm p99 (high resolution)", 0.3],
      ["CloudWatch dashboard ops", 3],
      ["KMS key db-key", 1],
      ["Secrets Manager secret api-token", 0.4],
    ]);
  });

  it("prices a log group's assumed ingestion and the storage its retention holds", () => {
    const logs = resource("aws:cloudwatch/logGroup:LogGroup", "api", { retentionInDays: 30 });
    const [ingestion, storage] = itemsOf(estimate([logs]), logs);
    expect(ingestion).toEqual(expect.objectContaining({ quantity: 5, unit: "GB", unitPriceUsd: 0.5, monthlyUsd: 2.5 }));
    // 30 days of a 730-hour (30.417-day) month.
    expect(storage).toEqual(expect.objectContaining({ quantity: 4.932, unit: "GB-months", monthlyUsd: 0.15 }));
  });

  it("prices the two hidden alarms of a target tracking scaling policy", () => {
    const policy = resource("aws:appautoscaling/policy:Policy", "cpu", { policyType: "TargetTrackingScaling" });
    expect(itemsOf(estimate([policy]), policy)).toEqual([
      expect.objectContaining({ type: "aws:cloudwatch/metricAlarm:MetricAlarm", quantity: 2, monthlyUsd: 0.2 }),
    ]);
  });

  it("groups unpriced types with a count and never lists free types, components or providers", () => {
    const result = estimate([
      component("pulumi:pulumi:Stack", "saas-dev"),
      resource("pulumi:providers:aws", "default_7_48_0", { region: "us-east-1" }),
      component("saas:network:Network", "saas-dev"),
      resource("aws:rds/cluster:Cluster", "aurora-a"),
      resource("aws:rds/cluster:Cluster", "aurora-b"),
      resource("aws:elasticache/replicationGroup:ReplicationGroup", "cache"),
      remoteComponent("awsx:lb:ApplicationLoadBalancer", "lb"),
      resource("aws:ec2/securityGroup:SecurityGroup", "sg"),
      resource("aws:iam/role:Role", "task-role"),
      resource("aws:ec2/subnet:Subnet", "private-a"),
      resource("aws:cloudwatch/logMetricFilter:LogMetricFilter", "errors"),
      resource("aws:sns/topic:Topic", "alerts"),
      resource("postgresql:index/role:Role", "tenant_a"),
    ]);
    expect(result.unpriced.map(({ type, count }) => ({ type, count }))).toEqual([
      { type: "aws:elasticache/replicationGroup:ReplicationGroup", count: 1 },
      { type: "aws:rds/cluster:Cluster", count: 2 },
      { type: "awsx:lb:ApplicationLoadBalancer", count: 1 },
    ]);
    expect(result.free.reduce((n, f) => n + f.count, 0)).toBe(6);
    expect(result.items).toEqual([]);
    expect(result.monthlyUsd).toBe(0);
  });

  describe("regions", () => {
    it("rejects an unknown stack region, naming it and the supported ones", () => {
      expect(() => estimate([], "ap-south-1")).toThrow(
        'Unknown region "ap-south-1" for the stack: price table 2025.06.3 has prices for us-east-1, us-west-2, eu-west-1, eu-central-1.',
      );
    });

    it("rejects a resource whose own region is unknown, naming the resource", () => {
      const nat = resource("aws:ec2/natGateway:NatGateway", "far", { region: "sa-east-1" });
      expect(() => estimate([nat])).toThrow(/Unknown region "sa-east-1" for aws:ec2\/natGateway:NatGateway "far"/);
    });

    it("prices a resource at its explicit provider's region", () => {
      const provider = resource("pulumi:providers:aws", "frankfurt", { region: "eu-central-1" });
      const key = resource("aws:ec2/natGateway:NatGateway", "nat", {}, undefined, {
        provider: `${provider.urn}::provider-id`,
      });
      expect(itemsOf(estimate([provider, key]), key)[0].unitPriceUsd).toBe(0.052);
    });
  });

  it("totals exactly the sum of the items, each rounded to cents", () => {
    const [taskDef, service] = fargateService({ desiredCount: 3 });
    const result = estimate([
      taskDef,
      service,
      remoteComponent("awsx:ec2:Vpc", "saas-dev", { natGateways: { strategy: "OnePerAz" } }),
      resource("aws:rds/instance:Instance", "db", {
        engine: "postgres",
        instanceClass: "db.t4g.small",
        allocatedStorage: 50,
        multiAz: true,
      }),
      resource("aws:cloudwatch/logGroup:LogGroup", "api", { retentionInDays: 14 }),
      resource("aws:cloudfront/distribution:Distribution", "cdn"),
      resource("aws:ecr/repository:Repository", "api"),
      resource("aws:s3/bucketV2:BucketV2", "assets"),
    ]);
    for (const item of result.items) {
      expect(item.monthlyUsd).toBe(roundUsd(item.quantity * item.unitPriceUsd));
      expect(Math.round(item.monthlyUsd * 100) / 100).toBe(item.monthlyUsd);
    }
    expect(result.monthlyUsd).toBe(roundUsd(result.items.reduce((sum, i) => sum + i.monthlyUsd, 0)));
    expect(result).toEqual(expect.objectContaining({ currency: "USD", priceTableVersion: "2025.06.3" }));
  });
});

describe("price table", () => {
  it("validates the checked-in table and states every assumption with a unit", () => {
    const table = defaultPriceTable();
    expect(table.hoursPerMonth).toBe(730);
    expect(Object.keys(table.regions)).toEqual(["us-east-1", "us-west-2", "eu-west-1", "eu-central-1"]);
    for (const assumption of Object.values(table.assumptions)) expect(assumption.unit).not.toBe("");
  });

  it("names every bad key at once", () => {
    let bad = withValue(rawPrices, "regions/eu-west-1/natGateway/usdPerHour", "0.048");
    bad = withValue(bad, "regions/us-east-1/kms/usdPerKeyMonthh", 1);
    bad = withValue(bad, "version", undefined);
    expect(() => parsePriceTable(bad, "prices.json")).toThrow(/^Invalid price table prices\.json:/);
    expect(() => parsePriceTable(bad)).toThrow(/regions\.eu-west-1\.natGateway\.usdPerHour: .*expected number/);
    expect(() => parsePriceTable(bad)).toThrow(/regions\.us-east-1\.kms: .*usdPerKeyMonthh/);
    expect(() => parsePriceTable(bad)).toThrow(/version: /);
  });

  it("rejects a negative price", () => {
    const bad = withValue(rawPrices, "regions/us-west-2/alb/usdPerLcuHour", -1);
    expect(() => parsePriceTable(bad)).toThrow(/regions\.us-west-2\.alb\.usdPerLcuHour/);
  });

  it("prices from a table passed in options", () => {
    const table = deepClone(defaultPriceTable());
    table.regions["us-east-1"].natGateway.usdPerHour = 0.1;
    const nat = resource("aws:ec2/natGateway:NatGateway", "nat");
    expect(estimateCost([nat], { region: "us-east-1", prices: table }).items[0].monthlyUsd).toBe(73);
  });
});

describe("formatCostTable", () => {
  const nat = resource("aws:ec2/natGateway:NatGateway", "saas-dev-nat-a");
  const result = estimate([
    nat,
    resource("aws:rds/cluster:Cluster", "a"),
    resource("aws:rds/cluster:Cluster", "b"),
    resource("aws:iam/role:Role", "r"),
  ]);
  const text = formatCostTable(result);

  it("prints one line per item with quantity × unit price and the monthly cost", () => {
    expect(text).toMatch(/NAT gateway saas-dev-nat-a\s+730 hours × \$0\.045\s+\$32\.85/);
  });

  it("prints the total and the unpriced types", () => {
    expect(text).toMatch(/Total \(monthly\)\s+\$37\.35/);
    expect(text).toContain("not priced: aws:rds/cluster:Cluster ×2");
    expect(text).toContain("free: 1 resource");
    expect(text.split("\n")[0]).toContain("price table 2025.06.3");
  });

  it("prints notes and unpriced reasons on request", () => {
    const withNotes = formatCostTable(result, { notes: true });
    expect(withNotes).toContain("↳ assumed 100 GB processed per month");
    expect(withNotes).toContain("↳ aws:rds/cluster:Cluster: no price in the table");
  });
});
