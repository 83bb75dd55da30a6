import { Network, NetworkArgs } from "../../components/network/network";
import { ComponentArgsError } from "../../components/shared/naming";
import { Planned } from "../support/plan";
import { testContext } from "../support/context";
import { PlannedResource } from "../../tools/engine/types";
import { LOG_RETENTION_DAYS } from "../../components/shared/logs";

const SUBNET = "aws:ec2/subnet:Subnet";
const INGRESS = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule";
const EGRESS = "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule";
const SG = "aws:ec2/securityGroup:SecurityGroup";

/** A rule as a readable tuple: protocol, ports, and where it points (cidr or the Name tag of the peer group). */
function describeRule(plan: Planned, rule: PlannedResource): string {
  const i = rule.inputs;
  const peer = i.referencedSecurityGroupId
    ? `sg:${(plan.byId(i.referencedSecurityGroupId).inputs.tags as Record<string, string>).Name}`
    : i.prefixListId
      ? "prefix-list:s3"
      : String(i.cidrIpv4 ?? i.cidrIpv6);
  return `${i.ipProtocol} ${i.fromPort}-${i.toPort} ${peer}`;
}

function rulesOf(plan: Planned, type: string, groupName: string): string[] {
  const group = plan.one(SG, groupName);
  return plan
    .ofType(type)
    .filter((r) => r.inputs.securityGroupId === group.outputs.id)
    .map((r) => describeRule(plan, r))
    .sort();
}

describe("Network in the dev stack", () => {
  let plan: Planned;
  beforeAll(async () => {
    plan = await Planned.of({ stack: "dev" });
  });

  it("creates public, private and isolated subnets in each of the two zones", () => {
    const subnets = plan
      .ofType(SUBNET)
      .map((s) => [
        s.name,
        s.inputs.cidrBlock,
        s.inputs.availabilityZone,
        (s.inputs.tags as Record<string, string>).Tier,
      ]);
    expect(subnets.sort()).toEqual([
      ["network-isolated-1", "10.0.224.0/22", "us-east-1a", "isolated"],
      ["network-isolated-2", "10.0.228.0/22", "us-east-1b", "isolated"],
      ["network-private-1", "10.0.0.0/19", "us-east-1a", "private"],
      ["network-private-2", "10.0.32.0/19", "us-east-1b", "private"],
      ["network-public-1", "10.0.192.0/22", "us-east-1a", "public"],
      ["network-public-2", "10.0.196.0/22", "us-east-1b", "public"],
    ]);
    for (const subnet of plan.ofType(SUBNET)) {
      expect(subnet.inputs.mapPublicIpOnLaunch).toBe(false);
      expect(subnet.inputs.vpcId).toBe(plan.one("aws:ec2/vpc:Vpc", "network-vpc").outputs.id);
    }
  });

  it("has one NAT gateway, in the first public subnet, shared by both private route tables", () => {
    const nats = plan.ofType("aws:ec2/natGateway:NatGateway");
    expect(nats.map((n) => n.name)).toEqual(["network-nat-1"]);
    expect(nats[0].inputs.subnetId).toBe(plan.one(SUBNET, "network-public-1").outputs.id);
    expect(nats[0].inputs.allocationId).toBe(plan.one("aws:ec2/eip:Eip", "network-nat-1").outputs.id);
    for (const az of [1, 2]) {
      const route = plan.one("aws:ec2/route:Route", `network-private-default-${az}`);
      expect(route.inputs).toMatchObject({ destinationCidrBlock: "0.0.0.0/0", natGatewayId: nats[0].outputs.id });
      expect(route.inputs.routeTableId).toBe(
        plan.one("aws:ec2/routeTable:RouteTable", `network-private-rt-${az}`).outputs.id,
      );
    }
  });

  it("routes the public tier to the internet gateway and gives the isolated tier no route out", () => {
    const routes = plan.ofType("aws:ec2/route:Route");
    const publicRoute = plan.one("aws:ec2/route:Route", "network-public-default");
    expect(publicRoute.inputs).toMatchObject({
      destinationCidrBlock: "0.0.0.0/0",
      gatewayId: plan.one("aws:ec2/internetGateway:InternetGateway", "network-igw").outputs.id,
      routeTableId: plan.one("aws:ec2/routeTable:RouteTable", "network-public-rt").outputs.id,
    });
    const isolatedTable = plan.one("aws:ec2/routeTable:RouteTable", "network-isolated-rt");
    expect(routes.filter((r) => r.inputs.routeTableId === isolatedTable.outputs.id)).toEqual([]);
    const associations = plan
      .ofType("aws:ec2/routeTableAssociation:RouteTableAssociation")
      .filter((a) => a.inputs.routeTableId === isolatedTable.outputs.id)
      .map((a) => plan.byId(a.inputs.subnetId).name);
    expect(associations.sort()).toEqual(["network-isolated-1", "network-isolated-2"]);
  });

  it("allows the load balancer 443 and 80 from the internet and only the app port out, to the app", () => {
    expect(rulesOf(plan, INGRESS, "network-lb-sg")).toEqual([
      "tcp 443-443 0.0.0.0/0",
      "tcp 443-443 ::/0",
      "tcp 80-80 0.0.0.0/0",
      "tcp 80-80 ::/0",
    ]);
    expect(rulesOf(plan, EGRESS, "network-lb-sg")).toEqual(["tcp 8080-8080 sg:saas-dev-app"]);
  });

  it("allows the app only the app port from the load balancer, and out only HTTPS and PostgreSQL", () => {
    expect(rulesOf(plan, INGRESS, "network-app-sg")).toEqual(["tcp 8080-8080 sg:saas-dev-lb"]);
    expect(rulesOf(plan, EGRESS, "network-app-sg")).toEqual(["tcp 443-443 0.0.0.0/0", "tcp 5432-5432 sg:saas-dev-db"]);
  });

  it("allows the database only 5432 from the app, the tenant provisioner and the usage collector, and nothing out", () => {
    expect(rulesOf(plan, INGRESS, "network-db-sg")).toEqual([
      "tcp 5432-5432 sg:saas-dev-app",
      "tcp 5432-5432 sg:saas-dev-tenant-metering-sg",
      "tcp 5432-5432 sg:saas-dev-tenant-provisioner-sg",
    ]);
    expect(rulesOf(plan, EGRESS, "network-db-sg")).toEqual([]);
    // Inline rules would be merged with the separate rule resources by the provider; none are declared.
    for (const sg of plan.ofType(SG)) {
      expect(sg.inputs.ingress).toBeUndefined();
      expect(sg.inputs.egress).toBeUndefined();
    }
  });

  it("locks the default security group: no ingress, no egress", () => {
    const locked = plan.one("aws:ec2/defaultSecurityGroup:DefaultSecurityGroup", "network-default-sg");
    expect(locked.inputs).toMatchObject({ ingress: [], egress: [] });
    expect(locked.inputs.vpcId).toBe(plan.one("aws:ec2/vpc:Vpc", "network-vpc").outputs.id);
  });

  it("logs ALL traffic to a KMS-encrypted log group with the stack's retention, through a scoped role", () => {
    const group = plan.one("aws:cloudwatch/logGroup:LogGroup", "network-flow-logs");
    const key = plan.one("aws:kms/key:Key", "stack-key-key");
    expect(group.inputs).toMatchObject({
      name: "/aws/vpc/flow-logs/saas-dev",
      retentionInDays: 14,
      kmsKeyId: key.outputs.arn,
    });
    const flowLog = plan.one("aws:ec2/flowLog:FlowLog", "network-flow-log");
    const role = plan.one("aws:iam/role:Role", "network-flow-logs");
    expect(flowLog.inputs).toMatchObject({
      trafficType: "ALL",
      logDestinationType: "cloud-watch-logs",
      logDestination: group.outputs.arn,
      iamRoleArn: role.outputs.arn,
      vpcId: plan.one("aws:ec2/vpc:Vpc", "network-vpc").outputs.id,
    });
    const trust = JSON.parse(role.inputs.assumeRolePolicy as string);
    expect(trust.Statement).toEqual([
      {
        Effect: "Allow",
        Principal: { Service: "vpc-flow-logs.amazonaws.com" },
        Action: "sts:AssumeRole",
        Condition: {
          StringEquals: { "aws:SourceAccount": "123456789012" },
          ArnLike: { "aws:SourceArn": "arn:aws:ec2:us-east-1:123456789012:vpc-flow-log/*" },
        },
      },
    ]);
    const policy = plan.one("aws:iam/rolePolicy:RolePolicy", "network-flow-logs");
    expect(group.outputs.arn).toBe("arn:aws:logs:us-east-1:123456789012:log-group:/aws/vpc/flow-logs/saas-dev");
    expect(JSON.parse(policy.inputs.policy as string).Statement).toEqual([
      {
        Effect: "Allow",
        Action: ["logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"],
        Resource: [
          "arn:aws:logs:us-east-1:123456789012:log-group:/aws/vpc/flow-logs/saas-dev",
          "arn:aws:logs:us-east-1:123456789012:log-group:/aws/vpc/flow-logs/saas-dev:*",
        ],
      },
      // The VPC Flow Logs user guide's delivery-role policy includes it; it lists, so it takes no single group.
      {
        Effect: "Allow",
        Action: "logs:DescribeLogGroups",
        Resource: "arn:aws:logs:us-east-1:123456789012:log-group:*",
      },
    ]);
    expect(policy.inputs.role).toBe(role.outputs.id);
    // Created only once its role may write: a flow log created first sticks in "Access error".
    expect(flowLog.dependencies).toContain(policy.urn);
  });

  it("adds a free S3 gateway endpoint to the private route tables and no interface endpoints", () => {
    const endpoints = plan.ofType("aws:ec2/vpcEndpoint:VpcEndpoint");
    expect(endpoints.map((e) => [e.name, e.inputs.serviceName, e.inputs.vpcEndpointType])).toEqual([
      ["network-s3", "com.amazonaws.us-east-1.s3", "Gateway"],
    ]);
    expect(endpoints[0].inputs.routeTableIds).toEqual([
      plan.one("aws:ec2/routeTable:RouteTable", "network-private-rt-1").outputs.id,
      plan.one("aws:ec2/routeTable:RouteTable", "network-private-rt-2").outputs.id,
    ]);
  });

  it("lets only ECR's image layers, the stack's tenant exports, migration results and metering records through the S3 gateway endpoint", () => {
    // The ECR user guide's minimum endpoint policy for image pulls: GetObject on the regional layer bucket. The
    // buckets of the stack used from inside the VPC are the tenant provisioner's export bucket and the migration
    // runner's results bucket (named by their prefixes, before they exist); nothing else passes (an endpoint policy allows only what it lists); without a
    // policy the endpoint allows every action on every bucket in the region.
    expect(JSON.parse(plan.one("aws:ec2/vpcEndpoint:VpcEndpoint", "network-s3").inputs.policy as string)).toEqual({
      Version: "2012-10-17",
      Statement: [
        {
          Sid: "EcrImageLayers",
          Effect: "Allow",
          Principal: "*",
          Action: "s3:GetObject",
          Resource: "arn:aws:s3:::prod-us-east-1-starport-layer-bucket/*",
        },
        {
          Sid: "StackBuckets",
          Effect: "Allow",
          Principal: "*",
          Action: ["s3:GetObject", "s3:PutObject", "s3:ListBucket"],
          Resource: [
            "arn:aws:s3:::saas-dev-tenant-exports-*",
            "arn:aws:s3:::saas-dev-tenant-exports-*/*",
            "arn:aws:s3:::saas-dev-migration-results-*",
            "arn:aws:s3:::saas-dev-migration-results-*/*",
            "arn:aws:s3:::saas-dev-metering-*",
            "arn:aws:s3:::saas-dev-metering-*/*",
          ],
        },
      ],
    });
    expect(plan.run.outputs.tenantExportBucketName).toMatch(/^saas-dev-tenant-exports-\d{26}$/);
  });

  it("uses a rotating stack KMS key with a policy scoped to this account's log groups", () => {
    const key = plan.one("aws:kms/key:Key", "stack-key-key");
    expect(key.inputs).toMatchObject({ enableKeyRotation: true, deletionWindowInDays: 30 });
    const policy = JSON.parse(key.inputs.policy as string);
    const account = { "aws:SourceAccount": "123456789012" };
    // One statement per service, each limited to this account and, where the service passes it, to what it acts
    // for: the CDN reads SSE-KMS assets through CloudFront and writes SSE-KMS access logs; alarms, budgets and cost
    // anomaly alerts publish to the encrypted alert topic (stacks/platform.ts).
    expect(policy.Statement.slice(2)).toEqual([
      {
        Sid: "CloudfrontForThisAccount",
        Effect: "Allow",
        Principal: { Service: "cloudfront.amazonaws.com" },
        Resource: "*",
        Action: ["kms:Decrypt"],
        Condition: {
          StringEquals: account,
          ArnLike: { "aws:SourceArn": "arn:aws:cloudfront::123456789012:distribution/*" },
        },
      },
      // As the CloudFront developer guide documents it for SSE-KMS standard logs (Decrypt: the bucket uses an S3
      // Bucket Key); a condition the log delivery might not send would drop the logs silently.
      {
        Sid: "CloudFrontLogDelivery",
        Effect: "Allow",
        Principal: { Service: "delivery.logs.amazonaws.com" },
        Resource: "*",
        Action: ["kms:GenerateDataKey*", "kms:Decrypt"],
      },
      ...["cloudwatch", "budgets", "costalerts"].map((svc) => ({
        Sid: `${svc[0].toUpperCase()}${svc.slice(1)}ForThisAccount`,
        Effect: "Allow",
        Principal: { Service: `${svc}.amazonaws.com` },
        Resource: "*",
        Action: ["kms:GenerateDataKey*", "kms:Decrypt"],
        Condition: {
          StringEquals: account,
          ArnLike: { "kms:EncryptionContext:aws:sns:topicArn": "arn:aws:sns:us-east-1:123456789012:*" },
        },
      })),
    ]);
    expect(policy.Statement.slice(0, 2).map((s: { Sid: string }) => s.Sid)).toEqual([
      "AccountAdministration",
      "CloudWatchLogsForThisAccount",
    ]);
    expect(policy.Statement[1].Condition).toEqual({
      ArnLike: { "kms:EncryptionContext:aws:logs:arn": "arn:aws:logs:us-east-1:123456789012:log-group:*" },
    });
    expect(plan.one("aws:kms/alias:Alias", "stack-key-alias").inputs.name).toBe("alias/saas-dev");
  });

  it("names every resource and tags it through the provider's default tags", () => {
    for (const resource of plan.resources.filter((r) => r.custom && r.inputs.tags !== undefined)) {
      expect((resource.inputs.tags as Record<string, string>).Name).toMatch(/^saas-dev/);
      expect(resource.outputs.tagsAll).toMatchObject({
        Environment: "dev",
        Project: "saas",
        Owner: "platform-team",
        CostCenter: "cc-1001",
        ManagedBy: "pulumi",
      });
    }
    expect(plan.run.defaultProviders.find((p) => p.type === "pulumi:providers:aws")?.inputs.defaultTags).toEqual({
      tags: { Environment: "dev", Project: "saas", Owner: "platform-team", CostCenter: "cc-1001", ManagedBy: "pulumi" },
    });
  });

  it("parents every child to the component and keeps child names stable", () => {
    const network = plan.one("saas:network:Network", "network");
    const children = plan.childrenOf(network);
    expect(children.length).toBe(41);
    expect(
      plan.resources.filter(
        (r) => r.type.startsWith("aws:") && r.name.startsWith("network-") && r.parent !== network.urn,
      ),
    ).toEqual([]);
    // Renaming any of these replaces real infrastructure: the list is the contract, changed only on purpose.
    expect(children.map((c) => `${c.type.split(":").pop()} ${c.name}`).sort()).toEqual([
      "DefaultSecurityGroup network-default-sg",
      "Eip network-nat-1",
      "FlowLog network-flow-log",
      "InternetGateway network-igw",
      "LogGroup network-flow-logs",
      "NatGateway network-nat-1",
      "Role network-flow-logs",
      "RolePolicy network-flow-logs",
      "Route network-private-default-1",
      "Route network-private-default-2",
      "Route network-public-default",
      "RouteTable network-isolated-rt",
      "RouteTable network-private-rt-1",
      "RouteTable network-private-rt-2",
      "RouteTable network-public-rt",
      "RouteTableAssociation network-isolated-1",
      "RouteTableAssociation network-isolated-2",
      "RouteTableAssociation network-private-1",
      "RouteTableAssociation network-private-2",
      "RouteTableAssociation network-public-1",
      "RouteTableAssociation network-public-2",
      "SecurityGroup network-app-sg",
      "SecurityGroup network-db-sg",
      "SecurityGroup network-lb-sg",
      "SecurityGroupEgressRule network-app-out-db",
      "SecurityGroupEgressRule network-app-out-https",
      "SecurityGroupEgressRule network-lb-out-app",
      "SecurityGroupIngressRule network-app-in-lb",
      "SecurityGroupIngressRule network-db-in-app",
      "SecurityGroupIngressRule network-lb-in-443-ipv4",
      "SecurityGroupIngressRule network-lb-in-443-ipv6",
      "SecurityGroupIngressRule network-lb-in-80-ipv4",
      "SecurityGroupIngressRule network-lb-in-80-ipv6",
      "Subnet network-isolated-1",
      "Subnet network-isolated-2",
      "Subnet network-private-1",
      "Subnet network-private-2",
      "Subnet network-public-1",
      "Subnet network-public-2",
      "Vpc network-vpc",
      "VpcEndpoint network-s3",
    ]);
  });

  it("exports the ids of what it built", () => {
    const o = plan.run.outputs;
    expect(o.vpcId).toBe(plan.one("aws:ec2/vpc:Vpc", "network-vpc").outputs.id);
    expect(o.privateSubnetIds).toEqual([1, 2].map((az) => plan.one(SUBNET, `network-private-${az}`).outputs.id));
    expect(o.isolatedSubnetIds).toEqual([1, 2].map((az) => plan.one(SUBNET, `network-isolated-${az}`).outputs.id));
    expect(o.publicSubnetIds).toEqual([1, 2].map((az) => plan.one(SUBNET, `network-public-${az}`).outputs.id));
    expect(o.appSecurityGroupId).toBe(plan.one(SG, "network-app-sg").outputs.id);
    expect(o.databaseSecurityGroupId).toBe(plan.one(SG, "network-db-sg").outputs.id);
    expect(o.loadBalancerSecurityGroupId).toBe(plan.one(SG, "network-lb-sg").outputs.id);
    expect(o.kmsKeyArn).toBe(plan.one("aws:kms/key:Key", "stack-key-key").outputs.arn);
    expect(o.kmsKeyArn).toMatch(/^arn:aws:kms:us-east-1:123456789012:key\/[0-9a-f-]{36}$/);
  });
});

describe("Network in the prod stack", () => {
  let plan: Planned;
  beforeAll(async () => {
    plan = await Planned.of({ stack: "prod" });
  });

  it("spreads three tiers over three zones with a NAT gateway in each zone", () => {
    expect(plan.ofType(SUBNET)).toHaveLength(9);
    const nats = plan.ofType("aws:ec2/natGateway:NatGateway");
    expect(nats.map((n) => plan.byId(n.inputs.subnetId).name)).toEqual([
      "network-public-1",
      "network-public-2",
      "network-public-3",
    ]);
    for (const az of [1, 2, 3]) {
      const route = plan.one("aws:ec2/route:Route", `network-private-default-${az}`);
      expect(route.inputs.natGatewayId).toBe(plan.one("aws:ec2/natGateway:NatGateway", `network-nat-${az}`).outputs.id);
    }
  });

  it("keeps flow logs for a year", () => {
    expect(plan.one("aws:cloudwatch/logGroup:LogGroup", "network-flow-logs").inputs.retentionInDays).toBe(365);
  });

  it("creates interface endpoints and narrows the app's HTTPS egress to them and S3", () => {
    const endpoints = plan
      .ofType("aws:ec2/vpcEndpoint:VpcEndpoint")
      .filter((e) => e.inputs.vpcEndpointType === "Interface");
    expect(endpoints.map((e) => e.inputs.serviceName).sort()).toEqual([
      "com.amazonaws.us-east-1.ecr.api",
      "com.amazonaws.us-east-1.ecr.dkr",
      "com.amazonaws.us-east-1.logs",
      // CloudWatch (PutMetricData): the tenant usage collector's metrics
      "com.amazonaws.us-east-1.monitoring",
      "com.amazonaws.us-east-1.secretsmanager",
    ]);
    const endpointSg = plan.one(SG, "network-endpoints-sg");
    for (const endpoint of endpoints) {
      expect(endpoint.inputs.privateDnsEnabled).toBe(true);
      expect(endpoint.inputs.securityGroupIds).toEqual([endpointSg.outputs.id]);
      expect(endpoint.inputs.subnetIds).toEqual(plan.run.outputs.privateSubnetIds);
    }
    expect(rulesOf(plan, INGRESS, "network-endpoints-sg")).toEqual([
      "tcp 443-443 sg:saas-prod-app",
      "tcp 443-443 sg:saas-prod-tenant-metering-sg",
      "tcp 443-443 sg:saas-prod-tenant-provisioner-sg",
    ]);
    expect(rulesOf(plan, EGRESS, "network-app-sg")).toEqual([
      "tcp 443-443 prefix-list:s3",
      "tcp 443-443 sg:saas-prod-endpoints",
      "tcp 5432-5432 sg:saas-prod-db",
    ]);
  });
});

describe("Network arguments", () => {
  const args: NetworkArgs = {
    context: testContext({ namePrefix: "t", kmsKeyArn: "arn:aws:kms:us-east-1:123456789012:key/x" }),
    vpcCidr: "10.0.0.0/16",
    azCount: 2,
    appPort: 8080,
    flowLogRetentionDays: 14,
    availabilityZones: ["us-east-1a", "us-east-1b"],
  };

  it("puts the subnets in the pinned zones, never in what the region lists first", async () => {
    const plan = await Planned.of({
      stack: "dev",
      program: () => new Network("n", { ...args, availabilityZones: ["us-east-1d", "us-east-1b"] }),
    });
    expect(plan.ofType(SUBNET).map((s) => [s.name, s.inputs.availabilityZone])).toEqual([
      ["n-public-1", "us-east-1d"],
      ["n-public-2", "us-east-1b"],
      ["n-private-1", "us-east-1d"],
      ["n-private-2", "us-east-1b"],
      ["n-isolated-1", "us-east-1d"],
      ["n-isolated-2", "us-east-1b"],
    ]);
    // The region's list is still read, as a check only.
    expect(plan.run.invokes.map((i) => i.token)).toContain("aws:index/getAvailabilityZones:getAvailabilityZones");
  });

  it("warns, and keeps the subnets, when a pinned zone is not reported available", async () => {
    const warn = jest.spyOn(console, "warn").mockImplementation(() => undefined);
    try {
      const plan = await Planned.of({
        stack: "dev",
        program: () => new Network("n", { ...args, availabilityZones: ["us-east-1a", "us-east-1g"] }),
      });
      expect(plan.one(SUBNET, "n-private-2").inputs.availabilityZone).toBe("us-east-1g");
      expect(warn.mock.calls.map((c) => String(c[0])).join("\n")).toContain(
        "availabilityZones: us-east-1g not reported available in the region now (available: us-east-1a, us-east-1b, us-east-1c, us-east-1d, us-east-1e, us-east-1f); the subnets stay where they are pinned",
      );
    } finally {
      warn.mockRestore();
    }
  });

  it("rejects pinned zones that do not match azCount or the region", () => {
    expect(() => new Network("n", { ...args, availabilityZones: ["us-east-1a"] })).toThrow(
      'availabilityZones: expected 2 zones (azCount), got ["us-east-1a"]',
    );
    expect(() => new Network("n", { ...args, availabilityZones: ["us-east-1a", "eu-west-1a"] })).toThrow(
      'availabilityZones: expected zones of us-east-1 such as us-east-1a, got ["us-east-1a","eu-west-1a"]',
    );
  });

  it("lets the stack buckets it is given through the S3 endpoint, objects and listing only", async () => {
    const bucket = "arn:aws:s3:::t-exports-1234567";
    const plan = await Planned.of({
      stack: "dev",
      program: () => new Network("n", { ...args, s3BucketArns: [bucket] }),
    });
    expect(
      JSON.parse(plan.one("aws:ec2/vpcEndpoint:VpcEndpoint", "n-s3").inputs.policy as string).Statement[1],
    ).toEqual({
      Sid: "StackBuckets",
      Effect: "Allow",
      Principal: "*",
      Action: ["s3:GetObject", "s3:PutObject", "s3:ListBucket"],
      Resource: [bucket, `${bucket}/*`],
    });
  });

  it("defaults to a single NAT gateway and no interface endpoints", async () => {
    const plan = await Planned.of({ stack: "dev", program: () => new Network("n", args) });
    expect(plan.ofType("aws:ec2/natGateway:NatGateway")).toHaveLength(1);
    expect(plan.ofType("aws:ec2/vpcEndpoint:VpcEndpoint").map((e) => e.inputs.vpcEndpointType)).toEqual(["Gateway"]);
  });

  it("creates no NAT gateway and no default route with natGateways none", async () => {
    const plan = await Planned.of({ stack: "dev", program: () => new Network("n", { ...args, natGateways: "none" }) });
    expect(plan.ofType("aws:ec2/natGateway:NatGateway")).toEqual([]);
    expect(plan.ofType("aws:ec2/eip:Eip")).toEqual([]);
    expect(plan.ofType("aws:ec2/route:Route").map((r) => r.name)).toEqual(["n-public-default"]);
  });

  it("rejects every bad argument at once, before registering anything", async () => {
    const registered: string[] = [];
    await expect(
      Planned.of({
        stack: "dev",
        onRegister: (r) => registered.push(r.type),
        program: () =>
          new Network("n", {
            ...args,
            vpcCidr: "10.0.0.0/25",
            azCount: 0,
            appPort: 70000,
            flowLogRetentionDays: 0,
            natGateways: "many" as never,
          }),
      }),
    ).rejects.toThrow(
      [
        'Network "n": invalid arguments:',
        '  - vpcCidr: "10.0.0.0/25" is too small for the subnets it must hold: its public and database subnets would be /31, smaller than the /28 AWS allows; use /22 or larger (e.g. 10.0.0.0/16)',
        "  - azCount: expected an integer from 1 to 6, got 0",
        '  - natGateways: expected one of none, single, onePerAz, got "many"',
        "  - appPort: expected a port from 1 to 65535, got 70000",
        `  - flowLogRetentionDays: expected one of CloudWatch Logs' retention periods (${LOG_RETENTION_DAYS.join(", ")}), got 0`,
      ].join("\n"),
    );
    expect(registered).toEqual(["pulumi:pulumi:Stack"]);
    // pulumi prints a RunError's message alone, with no stack trace.
    expect(new ComponentArgsError('Network "n"', ["x"])).toHaveProperty("__pulumiRunError", true);
  });
});
