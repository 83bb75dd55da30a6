/** Pricers of NAT gateways, public IPv4 addresses, VPC endpoints, load balancers and the awsx VPC (a remote component). */
import type { PlannedResource } from "../../engine/types";
import { Pricer, EstimateContext, str, num, bool, arr, obj, plural } from "../context";

const NAT_TYPE = "aws:ec2/natGateway:NatGateway";
const EIP_TYPE = "aws:ec2/eip:Eip";
const IPV4_UNIT = "address-hours";

function addNatGateway(r: PlannedResource, ctx: EstimateContext, label: string, note?: string): void {
  const prices = ctx.prices(r).natGateway;
  const gb = ctx.assumptions.natGatewayGbProcessedPerMonth.value;
  ctx.add(r, {
    resource: label,
    type: NAT_TYPE,
    quantity: ctx.hours,
    unit: "hours",
    unitPriceUsd: prices.usdPerHour,
    note,
  });
  ctx.add(r, {
    resource: `${label}: data processed`,
    type: NAT_TYPE,
    quantity: gb,
    unit: "GB",
    unitPriceUsd: prices.usdPerGbProcessed,
    note: `assumed ${gb} GB processed per month (assumptions.natGatewayGbProcessedPerMonth)`,
  });
}

export function addPublicIpv4(
  r: PlannedResource,
  ctx: EstimateContext,
  label: string,
  addresses: number,
  note?: string,
) {
  ctx.add(r, {
    resource: label,
    type: EIP_TYPE,
    quantity: addresses * ctx.hours,
    unit: IPV4_UNIT,
    unitPriceUsd: ctx.prices(r).publicIpv4.usdPerHour,
    note,
  });
}

const priceNatGateway: Pricer = (r, ctx) => {
  const note = r.inputs.connectivityType === "private" ? "private NAT gateway: same hourly and GB rates" : undefined;
  addNatGateway(r, ctx, `NAT gateway ${r.name}`, note);
};

const priceEip: Pricer = (r, ctx) => {
  const pool = str(r.inputs.publicIpv4Pool);
  if (str(r.inputs.customerOwnedIpv4Pool) || (pool && pool !== "amazon")) {
    // Addresses you bring (BYOIP, Outposts) carry no public IPv4 charge.
    ctx.free(r.type);
    return;
  }
  addPublicIpv4(r, ctx, `Public IPv4 ${r.name}`, 1, "charged whether attached (e.g. to a NAT gateway) or idle");
};

/** awsx derives the default from the subnet layout; the comment on `VpcArgs.natGateways` says how. */
function awsxNatStrategy(inputs: Record<string, unknown>): string {
  const explicit = str(obj(inputs.natGateways).strategy);
  if (explicit) return explicit;
  const specs = arr(inputs.subnetSpecs).map((s) => str(obj(s).type));
  if (specs.length === 0) return "OnePerAz";
  return specs.includes("Private") && specs.includes("Public") ? "OnePerAz" : "None";
}

export function priceAwsxVpc(r: PlannedResource, ctx: EstimateContext): void {
  const zoneNames = arr(r.inputs.availabilityZoneNames);
  const azs = zoneNames.length > 0 ? zoneNames.length : (num(r.inputs.numberOfAvailabilityZones) ?? 3);
  const strategy = awsxNatStrategy(r.inputs);
  const count = strategy === "None" ? 0 : strategy === "Single" ? 1 : azs;
  const derived = `derived from awsx:ec2:Vpc natGateways.strategy=${strategy} over ${plural(azs, "AZ")}; children are not visible offline`;
  // With explicit allocation IDs the EIPs are resources of the plan and are priced there.
  const ownsEips = arr(obj(r.inputs.natGateways).elasticIpAllocationIds).length === 0;
  for (let i = 1; i <= count; i++) {
    const label = `NAT gateway ${r.name} (${count === 1 ? "single" : `AZ ${i} of ${count}`})`;
    addNatGateway(r, ctx, label, derived);
    if (ownsEips) addPublicIpv4(r, ctx, `${label}: public IPv4`, 1, "the Elastic IP awsx creates for the NAT gateway");
  }
  for (const spec of arr(r.inputs.vpcEndpointSpecs).map(obj)) {
    if ((str(spec.vpcEndpointType) ?? "Gateway") !== "Interface") continue;
    const subnets = arr(spec.subnetIds).length;
    addInterfaceEndpoint(
      r,
      ctx,
      `VPC endpoint ${r.name} ${str(spec.serviceName) ?? ""}`.trim(),
      subnets || azs,
      subnets
        ? undefined
        : `derived from awsx:ec2:Vpc vpcEndpointSpecs; assumed one ENI in each of ${plural(azs, "AZ")}`,
    );
  }
}

function addInterfaceEndpoint(r: PlannedResource, ctx: EstimateContext, label: string, azs: number, note?: string) {
  const prices = ctx.prices(r).interfaceEndpoint;
  const gb = ctx.assumptions.interfaceEndpointGbProcessedPerMonth.value;
  const type = "aws:ec2/vpcEndpoint:VpcEndpoint";
  ctx.add(r, {
    resource: label,
    type,
    quantity: azs * ctx.hours,
    unit: "endpoint-AZ-hours",
    unitPriceUsd: prices.usdPerAzHour,
    note: note ?? `interface endpoint in ${plural(azs, "subnet")} (one per AZ)`,
  });
  ctx.add(r, {
    resource: `${label}: data processed`,
    type,
    quantity: gb,
    unit: "GB",
    unitPriceUsd: prices.usdPerGbProcessed,
    note: `assumed ${gb} GB per month (assumptions.interfaceEndpointGbProcessedPerMonth)`,
  });
}

const priceVpcEndpoint: Pricer = (r, ctx) => {
  // The provider's default endpoint type is Gateway.
  const kind = str(r.inputs.vpcEndpointType) ?? "Gateway";
  if (kind === "Gateway") {
    ctx.free(r.type);
    return;
  }
  if (kind !== "Interface") {
    ctx.unpriced(r.type, `${kind} endpoints are not in the table`);
    return;
  }
  const subnets = Math.max(arr(r.inputs.subnetIds).length, arr(r.inputs.subnetConfigurations).length);
  const note = subnets ? undefined : "no subnets given: priced as one AZ";
  addInterfaceEndpoint(r, ctx, `VPC endpoint ${r.name}`, subnets || 1, note);
};

const priceLoadBalancer: Pricer = (r, ctx) => {
  const kind = str(r.inputs.loadBalancerType) ?? "application";
  if (kind !== "application" && kind !== "network") {
    ctx.unpriced(r.type, `${kind} load balancers are not in the table`);
    return;
  }
  const prices = ctx.prices(r);
  const isAlb = kind === "application";
  const label = `${isAlb ? "Application" : "Network"} load balancer ${r.name}`;
  const capacity = isAlb ? ctx.assumptions.albAverageLcus : ctx.assumptions.nlbAverageNlcus;
  const capacityUnit = isAlb ? "LCU" : "NLCU";
  ctx.add(r, {
    resource: label,
    quantity: ctx.hours,
    unit: "hours",
    unitPriceUsd: isAlb ? prices.alb.usdPerHour : prices.nlb.usdPerHour,
  });
  ctx.add(r, {
    resource: `${label}: capacity units`,
    quantity: capacity.value * ctx.hours,
    unit: `${capacityUnit}-hours`,
    unitPriceUsd: isAlb ? prices.alb.usdPerLcuHour : prices.nlb.usdPerNlcuHour,
    note: `assumed ${capacity.value} ${capacityUnit} on average (assumptions.${isAlb ? "albAverageLcus" : "nlbAverageNlcus"})`,
  });
  if (!bool(r.inputs.internal)) {
    const subnets = Math.max(arr(r.inputs.subnets).length, arr(r.inputs.subnetMappings).length);
    const perSubnet = ctx.assumptions.loadBalancerPublicIpv4PerSubnet.value;
    const note = subnets
      ? `internet-facing: ${perSubnet} public IPv4 per subnet × ${plural(subnets, "subnet")}`
      : "internet-facing, no subnets given: priced as 2 subnets";
    addPublicIpv4(r, ctx, `${label}: public IPv4`, perSubnet * (subnets || 2), note);
  }
};

export const NETWORK_PRICERS: Readonly<Record<string, Pricer>> = {
  "aws:ec2/natGateway:NatGateway": priceNatGateway,
  "aws:ec2/eip:Eip": priceEip,
  "aws:ec2/vpcEndpoint:VpcEndpoint": priceVpcEndpoint,
  "aws:lb/loadBalancer:LoadBalancer": priceLoadBalancer,
  "aws:alb/loadBalancer:LoadBalancer": priceLoadBalancer,
};
