import * as pulumi from "@pulumi/pulumi";
import { Vpc } from "@pulumi/aws/ec2/vpc";
import { Subnet } from "@pulumi/aws/ec2/subnet";
import { InternetGateway } from "@pulumi/aws/ec2/internetGateway";
import { Eip } from "@pulumi/aws/ec2/eip";
import { NatGateway } from "@pulumi/aws/ec2/natGateway";
import { RouteTable } from "@pulumi/aws/ec2/routeTable";
import { Route } from "@pulumi/aws/ec2/route";
import { RouteTableAssociation } from "@pulumi/aws/ec2/routeTableAssociation";
import { DefaultSecurityGroup } from "@pulumi/aws/ec2/defaultSecurityGroup";
import { SecurityGroup } from "@pulumi/aws/ec2/securityGroup";
import { VpcEndpoint } from "@pulumi/aws/ec2/vpcEndpoint";
import { FlowLog } from "@pulumi/aws/ec2/flowLog";
import { SecurityGroupIngressRule } from "@pulumi/aws/vpc/securityGroupIngressRule";
import { SecurityGroupEgressRule } from "@pulumi/aws/vpc/securityGroupEgressRule";
import { LogGroup } from "@pulumi/aws/cloudwatch/logGroup";
import { Role } from "@pulumi/aws/iam/role";
import { RolePolicy } from "@pulumi/aws/iam/rolePolicy";
import { getAvailabilityZonesOutput } from "@pulumi/aws/getAvailabilityZones";
import { ComponentArgsError, nameTags } from "../shared/naming";
import { serviceTrustPolicy } from "../shared/policies";
import { logRetentionProblem } from "../shared/logs";
import { StackContext } from "../shared/context";
import { MAX_AZ_COUNT, SUBNET_TIERS, SubnetTier, planSubnets, vpcCidrProblem } from "./subnets";

export type NatGatewayStrategy = "none" | "single" | "onePerAz";

/** Interface endpoints the private subnets get when `interfaceEndpoints` is on: what a Fargate task calls. */
export const INTERFACE_ENDPOINT_SERVICES = ["ecr.api", "ecr.dkr", "logs", "monitoring", "secretsmanager"] as const;

export interface NetworkArgs {
  /**
   * The stack's name prefix (Name tags, log group), region (endpoint service names) and key (it encrypts the flow
   * log group).
   */
  readonly context: StackContext;
  /**
   * IPv4 block of the VPC: an RFC 1918 network from /16 to /22. A plain value, because the subnet layout is
   * computed from it when the program runs.
   */
  readonly vpcCidr: string;
  /** Availability zones to spread the three subnet tiers over, 1-6. */
  readonly azCount: number;
  /**
   * NAT gateways for the private subnets' egress.
   * @default "single" - one gateway in the first zone; "onePerAz" keeps egress when a zone fails
   */
  readonly natGateways?: NatGatewayStrategy;
  /** Port the service listens on: the only port the load balancer may reach the app on. */
  readonly appPort: number;
  /** Days the VPC flow logs are kept; one of CloudWatch Logs' retention values. */
  readonly flowLogRetentionDays: number;
  /**
   * Create interface endpoints for ECR, CloudWatch Logs and Secrets Manager in the private subnets, and limit
   * the app's HTTPS egress to them and S3.
   * @default false - tasks reach AWS APIs through NAT, so the app may send HTTPS anywhere
   */
  readonly interfaceEndpoints?: boolean;
  /**
   * Add the Session Manager channel endpoint (`ssmmessages`) to the interface endpoints, for ECS Exec sessions
   * and port forwards into the tasks when there is no NAT route to it. Only with `interfaceEndpoints`.
   * @default false
   */
  readonly sessionManagerEndpoint?: boolean;
  /**
   * Names of the zones to use, in order, exactly `azCount` of them. Pinned zones never move: the region's list
   * is only read to warn when a pinned zone is not reported available.
   * @default - the first `azCount` zones `getAvailabilityZones` reports as available in the provider's region,
   * read at every run: a zone changing state shifts that list and replaces subnets, so stacks should pin them
   */
  readonly availabilityZones?: readonly string[];
  /**
   * Buckets (ARNs) of the stack that workloads in the private subnets may read and write through the S3 gateway
   * endpoint, besides ECR's layer bucket.
   * @default [] - nothing inside the VPC reads or writes a bucket of the stack today (the load balancer writes
   * its access logs and CloudFront reads the assets from outside the VPC)
   */
  readonly s3BucketArns?: readonly pulumi.Input<string>[];
  /** Extra tags; cost tags come from the provider's defaultTags. */
  readonly tags?: Readonly<Record<string, string>>;
}

/** Problems with the arguments, one message each, in the order of the fields. */
export function validateNetworkArgs(args: NetworkArgs): string[] {
  const problems: string[] = [];
  const cidrProblem = vpcCidrProblem(args.vpcCidr);
  if (cidrProblem) {
    problems.push(`vpcCidr: ${JSON.stringify(args.vpcCidr)} ${cidrProblem}`);
  }
  if (!Number.isInteger(args.azCount) || args.azCount < 1 || args.azCount > MAX_AZ_COUNT) {
    problems.push(`azCount: expected an integer from 1 to ${MAX_AZ_COUNT}, got ${JSON.stringify(args.azCount)}`);
  }
  if (args.natGateways !== undefined && !["none", "single", "onePerAz"].includes(args.natGateways)) {
    problems.push(`natGateways: expected one of none, single, onePerAz, got ${JSON.stringify(args.natGateways)}`);
  }
  if (!Number.isInteger(args.appPort) || args.appPort < 1 || args.appPort > 65535) {
    problems.push(`appPort: expected a port from 1 to 65535, got ${JSON.stringify(args.appPort)}`);
  }
  const validAzCount = Number.isInteger(args.azCount) && args.azCount >= 1 && args.azCount <= MAX_AZ_COUNT;
  if (args.availabilityZones !== undefined && validAzCount) {
    const zones = args.availabilityZones;
    const show = JSON.stringify(zones);
    if (zones.length !== args.azCount) {
      problems.push(`availabilityZones: expected ${args.azCount} zones (azCount), got ${show}`);
    } else if (new Set(zones).size !== zones.length) {
      problems.push(`availabilityZones: expected distinct zones, got ${show}`);
    } else if (zones.some((z) => !new RegExp(`^${args.context.region}[a-z]$`).test(z))) {
      problems.push(
        `availabilityZones: expected zones of ${args.context.region} such as ${args.context.region}a, got ${show}`,
      );
    }
  }
  const retention = logRetentionProblem("flowLogRetentionDays", args.flowLogRetentionDays);
  if (retention) {
    problems.push(retention);
  }
  return problems;
}

/**
 * The stack's VPC: public, private (app) and isolated (database) subnets in each zone, NAT egress for the
 * private tier only, flow logs of all traffic, a locked default security group, an S3 gateway endpoint and the
 * three tier security groups with least access between them:
 *
 *   internet --443/80--> load balancer --appPort--> app --5432--> database (no egress)
 *
 * Every part is a plain @pulumi/aws resource so the offline plan and the policy pack see all of it.
 */
export class Network extends pulumi.ComponentResource {
  public readonly vpcId: pulumi.Output<string>;
  public readonly vpcCidr: string;
  public readonly availabilityZones: pulumi.Output<string[]>;
  public readonly publicSubnetIds: pulumi.Output<string[]>;
  public readonly privateSubnetIds: pulumi.Output<string[]>;
  public readonly isolatedSubnetIds: pulumi.Output<string[]>;
  public readonly loadBalancerSecurityGroupId: pulumi.Output<string>;
  public readonly appSecurityGroupId: pulumi.Output<string>;
  public readonly databaseSecurityGroupId: pulumi.Output<string>;
  public readonly natGatewayIds: pulumi.Output<string[]>;
  /** Security group of the interface endpoints; undefined without them (HTTPS to AWS APIs goes through NAT). */
  public readonly endpointSecurityGroupId?: pulumi.Output<string>;
  /** Prefix list of the S3 gateway endpoint, for HTTPS egress rules to S3 that stay off the NAT gateways. */
  public readonly s3PrefixListId: pulumi.Output<string>;
  public readonly flowLogGroupName: pulumi.Output<string>;

  constructor(name: string, args: NetworkArgs, opts?: pulumi.ComponentResourceOptions) {
    const problems = validateNetworkArgs(args);
    if (problems.length > 0) {
      // Thrown before super(): not even the component is registered.
      throw new ComponentArgsError(`Network "${name}"`, problems);
    }
    super("saas:network:Network", name, {}, opts);
    const natStrategy = args.natGateways ?? "single";
    const interfaceEndpoints = args.interfaceEndpoints ?? false;
    const prefix = args.context.namePrefix;
    const tags = (suffix: string) => nameTags(`${prefix}-${suffix}`, args.tags);
    const layout = planSubnets(args.vpcCidr, args.azCount);
    const zones = Array.from({ length: args.azCount }, (_, i) => i);
    const azNames = defaultZones(args.availabilityZones, args.azCount, this);

    const vpc = new Vpc(
      `${name}-vpc`,
      { cidrBlock: args.vpcCidr, enableDnsHostnames: true, enableDnsSupport: true, tags: tags("vpc") },
      { parent: this },
    );

    // The default security group cannot be deleted; owning it with no rules makes anything launched into it
    // unreachable and unable to reach out, instead of open to the whole VPC.
    new DefaultSecurityGroup(
      `${name}-default-sg`,
      { vpcId: vpc.id, ingress: [], egress: [], tags: tags("default-locked") },
      { parent: this },
    );

    const subnets: Record<SubnetTier, Subnet[]> = { public: [], private: [], isolated: [] };
    for (const tier of SUBNET_TIERS) {
      for (const az of zones) {
        subnets[tier].push(
          new Subnet(
            `${name}-${tier}-${az + 1}`,
            {
              vpcId: vpc.id,
              cidrBlock: layout[tier][az],
              availabilityZone: azNames.apply((names) => names[az]),
              // Nothing gets a public IP by being launched here; the load balancer and NAT gateways bring their own.
              mapPublicIpOnLaunch: false,
              tags: { ...tags(`${tier}-${az + 1}`), Tier: tier },
            },
            { parent: this },
          ),
        );
      }
    }

    const igw = new InternetGateway(`${name}-igw`, { vpcId: vpc.id, tags: tags("igw") }, { parent: this });
    const publicRoutes = new RouteTable(`${name}-public-rt`, { vpcId: vpc.id, tags: tags("public") }, { parent: this });
    new Route(
      `${name}-public-default`,
      { routeTableId: publicRoutes.id, destinationCidrBlock: "0.0.0.0/0", gatewayId: igw.id },
      { parent: this },
    );
    subnets.public.forEach((subnet, az) => {
      new RouteTableAssociation(
        `${name}-public-${az + 1}`,
        { subnetId: subnet.id, routeTableId: publicRoutes.id },
        { parent: this },
      );
    });

    const natZones = natStrategy === "none" ? [] : natStrategy === "single" ? [0] : zones;
    const natGateways = natZones.map((az) => {
      const eip = new Eip(`${name}-nat-${az + 1}`, { domain: "vpc", tags: tags(`nat-${az + 1}`) }, { parent: this });
      return new NatGateway(
        `${name}-nat-${az + 1}`,
        { allocationId: eip.id, subnetId: subnets.public[az].id, tags: tags(`nat-${az + 1}`) },
        { parent: this, dependsOn: [igw] },
      );
    });

    // One route table per zone, so a zone's egress uses its own NAT gateway when there is one per zone.
    const privateRoutes = zones.map((az) => {
      const table = new RouteTable(
        `${name}-private-rt-${az + 1}`,
        { vpcId: vpc.id, tags: tags(`private-${az + 1}`) },
        { parent: this },
      );
      const nat = natGateways.length === 0 ? undefined : natGateways[natStrategy === "onePerAz" ? az : 0];
      if (nat) {
        new Route(
          `${name}-private-default-${az + 1}`,
          { routeTableId: table.id, destinationCidrBlock: "0.0.0.0/0", natGatewayId: nat.id },
          { parent: this },
        );
      }
      new RouteTableAssociation(
        `${name}-private-${az + 1}`,
        { subnetId: subnets.private[az].id, routeTableId: table.id },
        { parent: this },
      );
      return table;
    });

    // The database tier has no route out of the VPC at all.
    const isolatedRoutes = new RouteTable(
      `${name}-isolated-rt`,
      { vpcId: vpc.id, tags: tags("isolated") },
      { parent: this },
    );
    subnets.isolated.forEach((subnet, az) => {
      new RouteTableAssociation(
        `${name}-isolated-${az + 1}`,
        { subnetId: subnet.id, routeTableId: isolatedRoutes.id },
        { parent: this },
      );
    });

    // Image layers live in S3: the gateway endpoint keeps those pulls off the NAT gateways, and it is free. Its
    // policy limits what goes through it to ECR's layer bucket and the stack's own buckets: without one, a
    // compromised task could write to any bucket in the region over the route the app security group opens.
    const s3Endpoint = new VpcEndpoint(
      `${name}-s3`,
      {
        vpcId: vpc.id,
        serviceName: `com.amazonaws.${args.context.region}.s3`,
        vpcEndpointType: "Gateway",
        routeTableIds: privateRoutes.map((t) => t.id),
        policy: pulumi
          .all([...(args.s3BucketArns ?? [])])
          .apply((buckets) => JSON.stringify(s3EndpointPolicy(args.context.region, buckets))),
        tags: tags("s3"),
      },
      { parent: this },
    );

    const lbSg = new SecurityGroup(
      `${name}-lb-sg`,
      { vpcId: vpc.id, description: "Load balancer: HTTPS and HTTP from the internet", tags: tags("lb") },
      { parent: this },
    );
    const appSg = new SecurityGroup(
      `${name}-app-sg`,
      { vpcId: vpc.id, description: "Service tasks: the app port from the load balancer only", tags: tags("app") },
      { parent: this },
    );
    const dbSg = new SecurityGroup(
      `${name}-db-sg`,
      { vpcId: vpc.id, description: "Database: PostgreSQL from the service tasks only", tags: tags("db") },
      { parent: this },
    );

    // Rules are separate resources: the groups refer to each other, and inline rules would make that a cycle.
    const ingress = (rule: string, group: SecurityGroup, spec: Omit<RuleSpec, "securityGroupId">) =>
      new SecurityGroupIngressRule(
        `${name}-${rule}`,
        { securityGroupId: group.id, ...spec, tags: tags(rule) },
        { parent: this },
      );
    const egress = (rule: string, group: SecurityGroup, spec: Omit<RuleSpec, "securityGroupId">) =>
      new SecurityGroupEgressRule(
        `${name}-${rule}`,
        { securityGroupId: group.id, ...spec, tags: tags(rule) },
        { parent: this },
      );
    const tcp = (port: number) => ({ ipProtocol: "tcp", fromPort: port, toPort: port });

    for (const port of [443, 80]) {
      ingress(`lb-in-${port}-ipv4`, lbSg, {
        ...tcp(port),
        cidrIpv4: "0.0.0.0/0",
        description: `HTTP${port === 443 ? "S" : ""} from the internet`,
      });
      ingress(`lb-in-${port}-ipv6`, lbSg, {
        ...tcp(port),
        cidrIpv6: "::/0",
        description: `HTTP${port === 443 ? "S" : ""} from the internet (IPv6)`,
      });
    }
    egress("lb-out-app", lbSg, {
      ...tcp(args.appPort),
      referencedSecurityGroupId: appSg.id,
      description: "To the service tasks",
    });
    ingress("app-in-lb", appSg, {
      ...tcp(args.appPort),
      referencedSecurityGroupId: lbSg.id,
      description: "From the load balancer",
    });
    egress("app-out-db", appSg, { ...tcp(5432), referencedSecurityGroupId: dbSg.id, description: "To the database" });
    ingress("db-in-app", dbSg, {
      ...tcp(5432),
      referencedSecurityGroupId: appSg.id,
      description: "From the service tasks",
    });

    let endpointSecurityGroupId: pulumi.Output<string> | undefined;
    if (interfaceEndpoints) {
      const endpointSg = new SecurityGroup(
        `${name}-endpoints-sg`,
        { vpcId: vpc.id, description: "Interface endpoints: HTTPS from the service tasks", tags: tags("endpoints") },
        { parent: this },
      );
      endpointSecurityGroupId = endpointSg.id;
      ingress("endpoints-in-app", endpointSg, {
        ...tcp(443),
        referencedSecurityGroupId: appSg.id,
        description: "From the service tasks",
      });
      const services = [...INTERFACE_ENDPOINT_SERVICES, ...(args.sessionManagerEndpoint ? ["ssmmessages"] : [])];
      for (const service of services) {
        new VpcEndpoint(
          `${name}-${service.replace(".", "-")}`,
          {
            vpcId: vpc.id,
            serviceName: `com.amazonaws.${args.context.region}.${service}`,
            vpcEndpointType: "Interface",
            privateDnsEnabled: true,
            subnetIds: subnets.private.map((s) => s.id),
            securityGroupIds: [endpointSg.id],
            tags: tags(service.replace(".", "-")),
          },
          { parent: this },
        );
      }
      // With endpoints for everything a task calls, its HTTPS egress narrows to them and to S3 (image layers).
      egress("app-out-endpoints", appSg, {
        ...tcp(443),
        referencedSecurityGroupId: endpointSg.id,
        description: "To the interface endpoints",
      });
      egress("app-out-s3", appSg, {
        ...tcp(443),
        prefixListId: s3Endpoint.prefixListId,
        description: "To S3 through the gateway endpoint",
      });
    } else {
      // Without endpoints, ECR, CloudWatch Logs and Secrets Manager are reached through NAT on public addresses.
      egress("app-out-https", appSg, {
        ...tcp(443),
        cidrIpv4: "0.0.0.0/0",
        description: "HTTPS to AWS APIs through NAT",
      });
    }

    const flowLogGroup = new LogGroup(
      `${name}-flow-logs`,
      {
        name: `/aws/vpc/flow-logs/${prefix}`,
        retentionInDays: args.flowLogRetentionDays,
        kmsKeyId: args.context.kmsKeyArn,
        tags: tags("flow-logs"),
      },
      { parent: this },
    );
    const flowLogRole = new Role(
      `${name}-flow-logs`,
      {
        description: `${prefix}: VPC flow logs delivery to CloudWatch Logs`,
        assumeRolePolicy: pulumi.all([vpc.arn]).apply(([vpcArn]) => JSON.stringify(flowLogTrustPolicy(vpcArn))),
        tags: tags("flow-logs"),
      },
      { parent: this },
    );
    const flowLogPolicy = new RolePolicy(
      `${name}-flow-logs`,
      {
        role: flowLogRole.id,
        policy: flowLogGroup.arn.apply((arn) => JSON.stringify(flowLogDeliveryPolicy(arn))),
      },
      { parent: this },
    );
    new FlowLog(
      `${name}-flow-log`,
      {
        vpcId: vpc.id,
        trafficType: "ALL",
        logDestinationType: "cloud-watch-logs",
        logDestination: flowLogGroup.arn,
        iamRoleArn: flowLogRole.arn,
        // One-minute aggregation: incidents are investigated by the minute, not by the ten minutes.
        maxAggregationInterval: 60,
        tags: tags("flow-log"),
      },
      // A flow log created before its role may write stays in "Access error" and delivers nothing.
      { parent: this, dependsOn: [flowLogPolicy] },
    );

    this.vpcId = vpc.id;
    this.vpcCidr = args.vpcCidr;
    this.availabilityZones = azNames;
    this.publicSubnetIds = pulumi.all(subnets.public.map((s) => s.id));
    this.privateSubnetIds = pulumi.all(subnets.private.map((s) => s.id));
    this.isolatedSubnetIds = pulumi.all(subnets.isolated.map((s) => s.id));
    this.loadBalancerSecurityGroupId = lbSg.id;
    this.appSecurityGroupId = appSg.id;
    this.databaseSecurityGroupId = dbSg.id;
    this.natGatewayIds = pulumi.all(natGateways.map((n) => n.id));
    this.endpointSecurityGroupId = endpointSecurityGroupId;
    this.s3PrefixListId = s3Endpoint.prefixListId;
    this.flowLogGroupName = flowLogGroup.name;
    this.registerOutputs({
      vpcId: this.vpcId,
      availabilityZones: this.availabilityZones,
      publicSubnetIds: this.publicSubnetIds,
      privateSubnetIds: this.privateSubnetIds,
      isolatedSubnetIds: this.isolatedSubnetIds,
      loadBalancerSecurityGroupId: this.loadBalancerSecurityGroupId,
      appSecurityGroupId: this.appSecurityGroupId,
      databaseSecurityGroupId: this.databaseSecurityGroupId,
      natGatewayIds: this.natGatewayIds,
      flowLogGroupName: this.flowLogGroupName,
    });
  }
}

interface RuleSpec {
  readonly securityGroupId: pulumi.Input<string>;
  readonly ipProtocol: string;
  readonly fromPort: number;
  readonly toPort: number;
  readonly description: string;
  readonly cidrIpv4?: string;
  readonly cidrIpv6?: string;
  readonly referencedSecurityGroupId?: pulumi.Input<string>;
  readonly prefixListId?: pulumi.Input<string>;
}

/**
 * The zones to use: the pinned ones as given (the region's list only checks them: a warning, never a different
 * zone, since an impaired zone is exactly when a deploy must not move subnets), else the first `count` the region
 * reports as available.
 */
function defaultZones(
  zones: readonly string[] | undefined,
  count: number,
  parent: pulumi.Resource,
): pulumi.Output<string[]> {
  if (zones !== undefined) {
    getAvailabilityZonesOutput({ state: "available" }, { parent }).names.apply((available) => {
      const missing = zones.filter((z) => !available.includes(z));
      if (missing.length > 0) {
        void pulumi.log.warn(
          `availabilityZones: ${missing.join(", ")} not reported available in the region now (available: ${available.join(", ")}); ` +
            "the subnets stay where they are pinned",
          parent,
        );
      }
    });
    return pulumi.output([...zones]);
  }
  return getAvailabilityZonesOutput({ state: "available" }, { parent }).names.apply((names) => {
    if (names.length < count) {
      throw new Error(`the region has ${names.length} available zones, fewer than azCount ${count}`);
    }
    return names.slice(0, count);
  });
}

/**
 * Only the VPC Flow Logs service may assume the role, and only for flow logs of this VPC's account and region
 * (the confused-deputy guard AWS recommends).
 */
export function flowLogTrustPolicy(vpcArn: string) {
  const [, partition, , region, account] = vpcArn.split(":");
  return serviceTrustPolicy(
    "vpc-flow-logs.amazonaws.com",
    account,
    `arn:${partition}:ec2:${region}:${account}:vpc-flow-log/*`,
  );
}

/**
 * The S3 gateway endpoint's policy. ECR keeps image layers in the AWS-owned bucket
 * `prod-<region>-starport-layer-bucket`, and the ECR user guide's minimum endpoint policy is `s3:GetObject` on its
 * objects; the stack's own buckets get object read and write and listing. Everything else through the endpoint is
 * denied (an endpoint policy is an allow list).
 */
export function s3EndpointPolicy(region: string, bucketArns: readonly string[]) {
  const statements: Record<string, unknown>[] = [
    {
      Sid: "EcrImageLayers",
      Effect: "Allow",
      Principal: "*",
      Action: "s3:GetObject",
      Resource: `arn:aws:s3:::prod-${region}-starport-layer-bucket/*`,
    },
  ];
  if (bucketArns.length > 0) {
    statements.push({
      Sid: "StackBuckets",
      Effect: "Allow",
      Principal: "*",
      Action: ["s3:GetObject", "s3:PutObject", "s3:ListBucket"],
      Resource: bucketArns.flatMap((arn) => [arn, `${arn}/*`]),
    });
  }
  return { Version: "2012-10-17", Statement: statements };
}

/**
 * Write access to this one log group and its streams, plus `logs:DescribeLogGroups`, which the VPC Flow Logs
 * user guide lists in the delivery role's policy (the service checks the destination group with it). That
 * action cannot be scoped to one group (it lists), so it gets the account's log groups in the region.
 */
export function flowLogDeliveryPolicy(logGroupArn: string) {
  const [, partition, , region, account] = logGroupArn.split(":");
  return {
    Version: "2012-10-17",
    Statement: [
      {
        Effect: "Allow",
        Action: ["logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"],
        Resource: [logGroupArn, `${logGroupArn}:*`],
      },
      {
        Effect: "Allow",
        Action: "logs:DescribeLogGroups",
        Resource: `arn:${partition}:logs:${region}:${account}:log-group:*`,
      },
    ],
  };
}
