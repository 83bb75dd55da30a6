/**
 * A monthly cost estimate over the offline plan. Infracost does not read Pulumi programs, so this reads the
 * planned resources directly: every input is taken as the program passed it, priced from `prices.json`, and
 * anything that costs money but has no price is listed rather than silently counted as zero.
 */
import type { PlannedResource } from "../engine/types";
import { defaultPriceTable, type PriceTable, type RegionPrices } from "./priceTable";

export type { PriceTable } from "./priceTable";

/** One priced line: `quantity × unitPriceUsd = monthlyUsd` (rounded to cents). */
export interface CostItem {
  /** URN of the planned resource the cost comes from (for a derived cost, the resource that implies it). */
  readonly urn?: string;
  /** Human label, e.g. `NAT gateway saas-dev-nat-a` or `NAT gateway saas-dev-nat-a: data processed`. */
  readonly resource: string;
  /** Type token of what is billed, e.g. `aws:ec2/natGateway:NatGateway` even when derived from an awsx Vpc. */
  readonly type: string;
  readonly quantity: number;
  readonly unit: string;
  readonly unitPriceUsd: number;
  readonly monthlyUsd: number;
  /** The assumption or rule behind the line, when it is not obvious from the inputs. */
  readonly note?: string;
}

/** Resources of one type that cost money (or may) but could not be priced. */
export interface UnpricedType {
  readonly type: string;
  readonly count: number;
  /** Distinct reasons, e.g. `no price for db.x2g.large in eu-west-1`. */
  readonly reasons: string[];
}

/** Resources of one type that cost nothing themselves. */
export interface FreeType {
  readonly type: string;
  readonly count: number;
}

export interface CostEstimate {
  /** Sum of the items' `monthlyUsd`. */
  readonly monthlyUsd: number;
  readonly currency: "USD";
  readonly priceTableVersion: string;
  readonly region: string;
  readonly items: CostItem[];
  readonly unpriced: UnpricedType[];
  readonly free: FreeType[];
}

export interface EstimateOptions {
  /** The stack's AWS region; a resource's own `region` input or its explicit provider's region wins over it. */
  readonly region: string;
  /** @default - the checked-in `tools/cost/prices.json` */
  readonly prices?: PriceTable;
}

/** Rounds to cents; `toPrecision` first so that 32.849999999999994 (0.045 × 730) rounds to 32.85. */
export function roundUsd(value: number): number {
  return Math.round(Number((value * 100).toPrecision(12))) / 100;
}

/** Removes binary floating-point noise from quantities such as 0.1 × 3 without hiding real fractions. */
function cleanQuantity(value: number): number {
  return Number(value.toPrecision(12));
}

/** Throws the error every caller sees for a region the table does not cover. */
function regionPricesOrThrow(table: PriceTable, region: string, what: string): RegionPrices {
  const prices = table.regions[region];
  if (prices) return prices;
  const supported = Object.keys(table.regions).join(", ");
  throw new Error(
    `Unknown region "${region}" for ${what}: price table ${table.version} has prices for ${supported}. ` +
      `Add the region to tools/cost/prices.json or estimate a supported region.`,
  );
}

export function estimateCost(resources: PlannedResource[], opts: EstimateOptions): CostEstimate {
  const table = opts.prices ?? defaultPriceTable();
  regionPricesOrThrow(table, opts.region, "the stack");
  const ctx = new EstimateContext(resources, table, opts.region);

  for (const r of resources) {
    if (r.type.startsWith("pulumi:")) continue;
    if (!r.custom) {
      if (r.remote) priceRemoteComponent(r, ctx);
      continue;
    }
    const pricer = PRICERS[r.type];
    if (pricer) pricer(r, ctx);
    else if (ctx.isFree(r.type)) ctx.free(r.type);
    else ctx.unpriced(r.type, "no price in the table");
  }
  return ctx.result();
}

type Pricer = (r: PlannedResource, ctx: EstimateContext) => void;

interface ItemSpec {
  readonly resource: string;
  readonly type?: string;
  readonly quantity: number;
  readonly unit: string;
  readonly unitPriceUsd: number;
  readonly note?: string;
}

class EstimateContext {
  readonly hours: number;
  private readonly items: CostItem[] = [];
  private readonly unpricedByType = new Map<string, { count: number; reasons: Set<string> }>();
  private readonly freeByType = new Map<string, number>();
  private readonly byUrn = new Map<string, PlannedResource>();
  private readonly actionEnabledBudgets = new Set<string>();

  constructor(
    readonly resources: PlannedResource[],
    readonly table: PriceTable,
    private readonly stackRegion: string,
  ) {
    this.hours = table.hoursPerMonth;
    for (const r of resources) this.byUrn.set(r.urn, r);
  }

  get assumptions(): PriceTable["assumptions"] {
    return this.table.assumptions;
  }

  get global(): PriceTable["global"] {
    return this.table.global;
  }

  /**
   * AWS provider v7 lets each resource pick its region, and a resource may use an explicit provider configured
   * for another region (CloudFront certificates in us-east-1, say); pricing it at the stack's region would be wrong.
   */
  regionOf(r: PlannedResource): string {
    const own = str(r.inputs.region);
    if (own) return own;
    if (r.provider) {
      const providerUrn = r.provider.slice(0, r.provider.lastIndexOf("::"));
      const provider = this.byUrn.get(providerUrn);
      const providerRegion = provider ? str(provider.inputs.region) : undefined;
      if (providerRegion) return providerRegion;
    }
    return this.stackRegion;
  }

  prices(r: PlannedResource): RegionPrices {
    return regionPricesOrThrow(this.table, this.regionOf(r), `${r.type} "${r.name}"`);
  }

  add(r: PlannedResource, spec: ItemSpec): void {
    const quantity = cleanQuantity(spec.quantity);
    this.items.push({
      urn: r.urn,
      resource: spec.resource,
      type: spec.type ?? r.type,
      quantity,
      unit: spec.unit,
      unitPriceUsd: spec.unitPriceUsd,
      monthlyUsd: roundUsd(quantity * spec.unitPriceUsd),
      ...(spec.note ? { note: spec.note } : {}),
    });
  }

  unpriced(type: string, reason: string): void {
    const entry = this.unpricedByType.get(type) ?? { count: 0, reasons: new Set<string>() };
    entry.count += 1;
    entry.reasons.add(reason);
    this.unpricedByType.set(type, entry);
  }

  free(type: string): void {
    this.freeByType.set(type, (this.freeByType.get(type) ?? 0) + 1);
  }

  isFree(type: string): boolean {
    return Object.keys(this.table.freeTypes).some((pattern) =>
      pattern.endsWith("*") ? type.startsWith(pattern.slice(0, -1)) : pattern === type,
    );
  }

  /** Counts a budget with actions and says whether it is still within the free allowance. */
  addActionEnabledBudget(budgetName: string): { first: boolean; withinFree: boolean } {
    const first = !this.actionEnabledBudgets.has(budgetName);
    this.actionEnabledBudgets.add(budgetName);
    return { first, withinFree: this.actionEnabledBudgets.size <= this.global.budgets.freeActionEnabledBudgets };
  }

  result(): CostEstimate {
    const byType = <T>(a: { type: string } & T, b: { type: string } & T) => a.type.localeCompare(b.type);
    return {
      monthlyUsd: roundUsd(this.items.reduce((sum, item) => sum + item.monthlyUsd, 0)),
      currency: "USD",
      priceTableVersion: this.table.version,
      region: this.stackRegion,
      items: this.items,
      unpriced: [...this.unpricedByType]
        .map(([type, { count, reasons }]) => ({ type, count, reasons: [...reasons] }))
        .sort(byType),
      free: [...this.freeByType].map(([type, count]) => ({ type, count })).sort(byType),
    };
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Input readers: the plan holds plain JSON, so each reader tolerates a missing or not-yet-known value.

function str(value: unknown): string | undefined {
  return typeof value === "string" && value !== "" ? value : undefined;
}

function num(value: unknown): number | undefined {
  if (typeof value === "number" && Number.isFinite(value)) return value;
  if (typeof value === "string" && value.trim() !== "" && Number.isFinite(Number(value))) return Number(value);
  return undefined;
}

function bool(value: unknown): boolean {
  return value === true || value === "true";
}

function arr(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [];
}

function obj(value: unknown): Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? "" : "s"}`;
}

// ---------------------------------------------------------------------------------------------------------------
// Networking

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

function addPublicIpv4(r: PlannedResource, ctx: EstimateContext, label: string, addresses: number, note?: string) {
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

function priceAwsxVpc(r: PlannedResource, ctx: EstimateContext): void {
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

function priceRemoteComponent(r: PlannedResource, ctx: EstimateContext): void {
  if (r.type === "awsx:ec2:Vpc") priceAwsxVpc(r, ctx);
  else ctx.unpriced(r.type, "remote component: its children are created at deploy time and are not visible offline");
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

// ---------------------------------------------------------------------------------------------------------------
// Containers

/** Task-level cpu is CPU units ("256") or a string such as "0.25 vCPU". */
function parseVcpu(value: unknown): number | undefined {
  const units = num(value);
  if (units !== undefined) return units / 1024;
  const match = /^\s*([\d.]+)\s*vcpu\s*$/i.exec(String(value ?? ""));
  return match ? Number(match[1]) : undefined;
}

/** Task-level memory is MiB ("512") or a string such as "1 GB". */
function parseMemoryGb(value: unknown): number | undefined {
  const mib = num(value);
  if (mib !== undefined) return mib / 1024;
  const match = /^\s*([\d.]+)\s*gb\s*$/i.exec(String(value ?? ""));
  return match ? Number(match[1]) : undefined;
}

/**
 * The service's `taskDefinition` input is the task definition's ARN (or `family[:revision]`); the engine's mocks
 * give every task definition an `arn` output, so the match is exact in the plan. The dependency fallback covers
 * a program that passes the family name of a task definition it also creates.
 */
function findTaskDefinition(service: PlannedResource, ctx: EstimateContext): PlannedResource | undefined {
  const TD = "aws:ecs/taskDefinition:TaskDefinition";
  const taskDefs = ctx.resources.filter((r) => r.type === TD);
  const ref = str(service.inputs.taskDefinition);
  if (ref) {
    const exact = taskDefs.find((td) => td.outputs.arn === ref);
    if (exact) return exact;
    const family = ref.replace(/^.*:task-definition\//, "").replace(/:\d+$/, "");
    const byFamily = taskDefs.find((td) => (str(td.outputs.family) ?? str(td.inputs.family)) === family);
    if (byFamily) return byFamily;
  }
  const deps = taskDefs.filter((td) => service.dependencies.includes(td.urn));
  return deps.length === 1 ? deps[0] : undefined;
}

function fargateLaunch(service: PlannedResource, taskDef: PlannedResource): { fargate: boolean; note?: string } {
  const launchType = str(service.inputs.launchType);
  const providers = arr(service.inputs.capacityProviderStrategies).map((s) => str(obj(s).capacityProvider));
  if (providers.includes("FARGATE_SPOT")) {
    return { fargate: true, note: "FARGATE_SPOT priced at the on-demand rate: the Spot discount varies" };
  }
  if (launchType === "FARGATE" || providers.includes("FARGATE")) return { fargate: true };
  if (launchType || providers.length > 0) return { fargate: false };
  const requires = arr(taskDef.inputs.requiresCompatibilities);
  return requires.includes("FARGATE")
    ? { fargate: true, note: "no launch type set: priced as Fargate because the task definition requires FARGATE" }
    : { fargate: false };
}

const priceEcsService: Pricer = (r, ctx) => {
  const taskDef = findTaskDefinition(r, ctx);
  if (!taskDef) {
    ctx.unpriced(r.type, `task definition ${str(r.inputs.taskDefinition) ?? "(none)"} not found in the plan`);
    return;
  }
  const launch = fargateLaunch(r, taskDef);
  if (!launch.fargate) {
    // EC2 and EXTERNAL capacity is billed on the instances, which are separate resources.
    ctx.free(r.type);
    return;
  }
  const platform = obj(taskDef.inputs.runtimePlatform);
  if ((str(platform.operatingSystemFamily) ?? "LINUX") !== "LINUX") {
    ctx.unpriced(r.type, `Fargate ${str(platform.operatingSystemFamily)} is not in the table`);
    return;
  }
  const vcpu = parseVcpu(taskDef.inputs.cpu);
  const memoryGb = parseMemoryGb(taskDef.inputs.memory);
  if (vcpu === undefined || memoryGb === undefined) {
    ctx.unpriced(r.type, `task definition ${taskDef.name} has no task-level cpu and memory`);
    return;
  }
  const arm = str(platform.cpuArchitecture) === "ARM64";
  const prices = ctx.prices(r).fargate;
  const rates = arm ? prices.arm64 : prices.x86_64;
  const desired = num(r.inputs.desiredCount);
  const tasks = desired ?? 0;
  const notes = [
    desired === undefined ? "desiredCount not set: provider default 0" : `${plural(tasks, "task")}`,
    "autoscaling beyond desiredCount is not priced",
    launch.note,
  ].filter(Boolean);
  const arch = arm ? "Linux/ARM64" : "Linux/x86_64";
  const label = `Fargate service ${r.name}`;
  ctx.add(r, {
    resource: `${label}: ${vcpu} vCPU (${arch})`,
    quantity: vcpu * tasks * ctx.hours,
    unit: "vCPU-hours",
    unitPriceUsd: rates.usdPerVcpuHour,
    note: notes.join("; "),
  });
  ctx.add(r, {
    resource: `${label}: ${memoryGb} GB memory (${arch})`,
    quantity: memoryGb * tasks * ctx.hours,
    unit: "GB-hours",
    unitPriceUsd: rates.usdPerGbHour,
  });
  const ephemeral = num(obj(taskDef.inputs.ephemeralStorage).sizeInGib);
  const extraGb = (ephemeral ?? 0) - ctx.global.fargateFreeEphemeralStorageGb;
  if (extraGb > 0) {
    ctx.add(r, {
      resource: `${label}: ephemeral storage above ${ctx.global.fargateFreeEphemeralStorageGb} GB`,
      quantity: extraGb * tasks * ctx.hours,
      unit: "GB-hours",
      unitPriceUsd: prices.usdPerEphemeralGbHour,
    });
  }
  if (bool(obj(r.inputs.networkConfiguration).assignPublicIp) && tasks > 0) {
    addPublicIpv4(r, ctx, `${label}: public IPv4`, tasks, "assignPublicIp: one public IPv4 per task");
  }
};

const priceEcsCluster: Pricer = (r, ctx) => {
  const insights = arr(r.inputs.settings)
    .map(obj)
    .find((s) => s.name === "containerInsights");
  const mode = str(insights?.value);
  if (mode === "enabled" || mode === "enhanced") {
    ctx.unpriced(r.type, `Container Insights (${mode}) bills CloudWatch metrics and logs by volume`);
  } else {
    ctx.free(r.type);
  }
};

const priceEcrRepository: Pricer = (r, ctx) => {
  const gb = ctx.assumptions.ecrGbStoredPerRepository.value;
  ctx.add(r, {
    resource: `ECR repository ${r.name}`,
    quantity: gb,
    unit: "GB-months",
    unitPriceUsd: ctx.prices(r).ecr.usdPerGbMonth,
    note: `assumed ${gb} GB stored (assumptions.ecrGbStoredPerRepository)`,
  });
};

// ---------------------------------------------------------------------------------------------------------------
// Database

/** The provider leaves the storage type to RDS, which picks io1 when IOPS are given and gp2 otherwise. */
function rdsStorageType(inputs: Record<string, unknown>): string {
  return str(inputs.storageType) ?? (num(inputs.iops) !== undefined ? "io1" : "gp2");
}

const priceRdsInstance: Pricer = (r, ctx) => {
  const engine = str(r.inputs.engine);
  if (engine && !ctx.global.rdsPricedEngines.includes(engine)) {
    ctx.unpriced(r.type, `engine ${engine} is not in the table`);
    return;
  }
  const region = ctx.regionOf(r);
  const prices = ctx.prices(r);
  const instanceClass = str(r.inputs.instanceClass) ?? "(none)";
  const hourly = prices.rds.instanceUsdPerHour[instanceClass];
  if (hourly === undefined) {
    ctx.unpriced(r.type, `no price for ${instanceClass} in ${region}`);
    return;
  }
  const multiAz = bool(r.inputs.multiAz);
  const factor = multiAz ? 2 : 1;
  const deployment = multiAz ? "Multi-AZ" : "Single-AZ";
  const label = `RDS instance ${r.name}`;
  const instanceNotes = [
    multiAz ? "Multi-AZ: the standby doubles the instance price" : undefined,
    engine ? undefined : "engine not set: priced as PostgreSQL",
  ].filter(Boolean);
  ctx.add(r, {
    resource: `${label} (${instanceClass}, ${deployment})`,
    quantity: ctx.hours,
    unit: "hours",
    unitPriceUsd: hourly * factor,
    note: instanceNotes.join("; ") || undefined,
  });

  const storageType = rdsStorageType(r.inputs);
  const storagePrices = prices.rds.storageUsdPerGbMonth as Record<string, number>;
  const gb = num(r.inputs.allocatedStorage) ?? 0;
  if (storagePrices[storageType] === undefined) {
    ctx.unpriced(r.type, `partially priced: storage type ${storageType} is not in the table`);
  } else {
    const storageNotes = [
      multiAz ? "Multi-AZ doubles storage" : undefined,
      "backup storage up to the allocated size is free; beyond that is not priced",
      num(r.inputs.maxAllocatedStorage) ? "storage autoscaling: priced at allocatedStorage" : undefined,
    ].filter(Boolean);
    ctx.add(r, {
      resource: `${label}: storage (${storageType}, ${deployment})`,
      quantity: gb,
      unit: "GB-months",
      unitPriceUsd: storagePrices[storageType] * factor,
      note: storageNotes.join("; "),
    });
  }

  const iops = num(r.inputs.iops) ?? 0;
  const iopsPrices = prices.rds.usdPerProvisionedIopsMonth as Record<string, number>;
  if (storageType === "io1" || storageType === "io2") {
    ctx.add(r, {
      resource: `${label}: provisioned IOPS (${storageType}, ${deployment})`,
      quantity: iops,
      unit: "IOPS-months",
      unitPriceUsd: iopsPrices[storageType] * factor,
    });
  } else if (storageType === "gp3") {
    const baseline = ctx.global.rdsGp3Baseline;
    const included = gb >= baseline.largeVolumeFromGb ? baseline.largeVolume : baseline.smallVolume;
    const extraIops = iops - included.iops;
    const extraThroughput = (num(r.inputs.storageThroughput) ?? 0) - included.throughputMibps;
    const note = `gp3 includes ${included.iops} IOPS and ${included.throughputMibps} MiB/s at ${gb} GB`;
    if (extraIops > 0) {
      ctx.add(r, {
        resource: `${label}: gp3 IOPS above baseline (${deployment})`,
        quantity: extraIops,
        unit: "IOPS-months",
        unitPriceUsd: iopsPrices.gp3 * factor,
        note,
      });
    }
    if (extraThroughput > 0) {
      ctx.add(r, {
        resource: `${label}: gp3 throughput above baseline (${deployment})`,
        quantity: extraThroughput,
        unit: "MiBps-months",
        unitPriceUsd: prices.rds.gp3UsdPerMibpsMonth * factor,
        note,
      });
    }
  }

  if (bool(r.inputs.manageMasterUserPassword)) {
    ctx.add(r, {
      resource: `Secrets Manager secret (RDS-managed master password) ${r.name}`,
      type: "aws:secretsmanager/secret:Secret",
      quantity: 1,
      unit: "secret-months",
      unitPriceUsd: prices.secretsManager.usdPerSecretMonth,
      note: "manageMasterUserPassword: RDS creates and bills a Secrets Manager secret not visible in the plan",
    });
  }
  if (bool(r.inputs.publiclyAccessible)) {
    addPublicIpv4(r, ctx, `${label}: public IPv4`, 1, "publiclyAccessible: the endpoint has a public IPv4");
  }
  const piRetention = num(r.inputs.performanceInsightsRetentionPeriod);
  const freeDays = ctx.global.performanceInsightsFreeRetentionDays;
  if (bool(r.inputs.performanceInsightsEnabled) && piRetention !== undefined && piRetention > freeDays) {
    ctx.unpriced(
      r.type,
      `partially priced: Performance Insights retention of ${piRetention} days (beyond the free ${freeDays})`,
    );
  }
};

// ---------------------------------------------------------------------------------------------------------------
// Security

const priceKmsKey: Pricer = (r, ctx) => {
  const replica = r.type === "aws:kms/replicaKey:ReplicaKey";
  ctx.add(r, {
    resource: `KMS ${replica ? "replica key" : "key"} ${r.name}`,
    quantity: 1,
    unit: "key-months",
    unitPriceUsd: ctx.prices(r).kms.usdPerKeyMonth,
    note: "API requests not priced",
  });
};

const priceSecret: Pricer = (r, ctx) => {
  const replicas = arr(r.inputs.replicas).length;
  ctx.add(r, {
    resource: `Secrets Manager secret ${r.name}`,
    quantity: 1 + replicas,
    unit: "secret-months",
    unitPriceUsd: ctx.prices(r).secretsManager.usdPerSecretMonth,
    note: replicas ? `includes ${plural(replicas, "replica")}, each billed as a secret` : undefined,
  });
};

const priceWebAcl: Pricer = (r, ctx) => {
  const waf = ctx.global.wafv2;
  const requests = ctx.assumptions.wafRequestsPerMonth.value;
  const label = `WAF web ACL ${r.name}`;
  const rules = arr(r.inputs.rules).length;
  ctx.add(r, { resource: label, quantity: 1, unit: "web ACL-months", unitPriceUsd: waf.usdPerWebAclMonth });
  if (rules > 0) {
    ctx.add(r, {
      resource: `${label}: rules`,
      quantity: rules,
      unit: "rule-months",
      unitPriceUsd: waf.usdPerRuleMonth,
      note: "managed rule groups count as one rule; their own subscription fees are not priced",
    });
  }
  ctx.add(r, {
    resource: `${label}: requests`,
    quantity: requests / 1e6,
    unit: "million requests",
    unitPriceUsd: waf.usdPerMillionRequests,
    note: `assumed ${requests} requests per month (assumptions.wafRequestsPerMonth)`,
  });
};

// ---------------------------------------------------------------------------------------------------------------
// Observability

/** Alarms are billed per metric they evaluate; anomaly detection evaluates three (the metric and its band). */
function alarmMetrics(inputs: Record<string, unknown>): { metrics: number; highResolution: boolean } {
  const queries = arr(inputs.metricQueries).map(obj);
  const periods = [num(inputs.period), ...queries.map((q) => num(obj(q.metric).period) ?? num(q.period))];
  const highResolution = periods.some((p) => p !== undefined && p < 60);
  if (queries.length === 0) return { metrics: 1, highResolution };
  const metrics = queries.filter((q) => Object.keys(obj(q.metric)).length > 0).length;
  const anomaly = queries.some((q) => /ANOMALY_DETECTION_BAND/i.test(str(q.expression) ?? ""));
  return { metrics: Math.max(1, metrics) * (anomaly ? 3 : 1), highResolution };
}

const priceMetricAlarm: Pricer = (r, ctx) => {
  const cw = ctx.prices(r).cloudwatch;
  const { metrics, highResolution } = alarmMetrics(r.inputs);
  ctx.add(r, {
    resource: `CloudWatch alarm ${r.name}${highResolution ? " (high resolution)" : ""}`,
    quantity: metrics,
    unit: "alarm metric-months",
    unitPriceUsd: highResolution ? cw.usdPerHighResolutionAlarmMetricMonth : cw.usdPerStandardAlarmMetricMonth,
    note: "account free tier (10 alarms) not applied",
  });
};

const priceCompositeAlarm: Pricer = (r, ctx) => {
  ctx.add(r, {
    resource: `CloudWatch composite alarm ${r.name}`,
    quantity: 1,
    unit: "alarm-months",
    unitPriceUsd: ctx.prices(r).cloudwatch.usdPerCompositeAlarmMonth,
  });
};

/** Target tracking creates a high and a low CloudWatch alarm that the plan never sees. */
const priceScalingPolicy: Pricer = (r, ctx) => {
  if ((str(r.inputs.policyType) ?? "StepScaling") !== "TargetTrackingScaling") {
    ctx.free(r.type);
    return;
  }
  ctx.add(r, {
    resource: `CloudWatch alarms of target tracking policy ${r.name}`,
    type: "aws:cloudwatch/metricAlarm:MetricAlarm",
    quantity: 2,
    unit: "alarm metric-months",
    unitPriceUsd: ctx.prices(r).cloudwatch.usdPerStandardAlarmMetricMonth,
    note: "Application Auto Scaling creates two alarms per target tracking policy",
  });
};

const priceDashboard: Pricer = (r, ctx) => {
  ctx.add(r, {
    resource: `CloudWatch dashboard ${r.name}`,
    quantity: 1,
    unit: "dashboard-months",
    unitPriceUsd: ctx.prices(r).cloudwatch.usdPerDashboardMonth,
    note: "account free tier (3 dashboards) not applied: stacks share the account",
  });
};

const priceLogGroup: Pricer = (r, ctx) => {
  const logClass = str(r.inputs.logGroupClass) ?? "STANDARD";
  if (logClass !== "STANDARD" && logClass !== "INFREQUENT_ACCESS") {
    ctx.unpriced(r.type, `log group class ${logClass} is not in the table`);
    return;
  }
  const cw = ctx.prices(r).cloudwatch;
  const a = ctx.assumptions;
  const ingest =
    logClass === "STANDARD" ? a.logGroupGbIngestedPerMonthStandard : a.logGroupGbIngestedPerMonthInfrequentAccess;
  const daysPerMonth = ctx.hours / 24;
  const retention = num(r.inputs.retentionInDays) ?? 0;
  // Steady state: a group keeps `retention` days of logs; one that never expires is shown after a horizon.
  const monthsKept = retention > 0 ? retention / daysPerMonth : a.logGroupNeverExpireMonths.value;
  const label = `Log group ${r.name} (${logClass})`;
  ctx.add(r, {
    resource: `${label}: ingestion`,
    quantity: ingest.value,
    unit: "GB",
    unitPriceUsd: cw.logsUsdPerGbIngested[logClass],
    note: `assumed ${ingest.value} GB ingested per month (assumptions.${logClass === "STANDARD" ? "logGroupGbIngestedPerMonthStandard" : "logGroupGbIngestedPerMonthInfrequentAccess"})`,
  });
  ctx.add(r, {
    resource: `${label}: storage`,
    quantity: Number((ingest.value * monthsKept).toFixed(3)),
    unit: "GB-months",
    unitPriceUsd: cw.logsUsdPerGbMonthStored,
    note:
      retention > 0
        ? `${retention}-day retention holds ${Number(monthsKept.toFixed(3))} months of ingestion (uncompressed, an upper bound)`
        : `no retention: storage after ${a.logGroupNeverExpireMonths.value} months (assumptions.logGroupNeverExpireMonths)`,
  });
};

// ---------------------------------------------------------------------------------------------------------------
// Edge and storage

const priceDistribution: Pricer = (r, ctx) => {
  const cf = ctx.global.cloudfront;
  const gb = ctx.assumptions.cloudfrontGbOutPerMonth.value;
  const requests = ctx.assumptions.cloudfrontHttpsRequestsPerMonth.value;
  const label = `CloudFront distribution ${r.name}`;
  ctx.add(r, {
    resource: `${label}: data transfer out`,
    quantity: gb,
    unit: "GB",
    unitPriceUsd: cf.usdPerGbOut,
    note: `assumed ${gb} GB per month from United States/Europe edges (assumptions.cloudfrontGbOutPerMonth)`,
  });
  ctx.add(r, {
    resource: `${label}: HTTPS requests`,
    quantity: requests / 1e4,
    unit: "10k requests",
    unitPriceUsd: cf.usdPer10kHttpsRequests,
    note: `assumed ${requests} requests per month (assumptions.cloudfrontHttpsRequestsPerMonth)`,
  });
};

const priceBucket: Pricer = (r, ctx) => {
  const gb = ctx.assumptions.s3GbStoredPerBucket.value;
  ctx.add(r, {
    resource: `S3 bucket ${r.name}`,
    quantity: gb,
    unit: "GB-months",
    unitPriceUsd: ctx.prices(r).s3.standardUsdPerGbMonth,
    note: `assumed ${gb} GB in S3 Standard (assumptions.s3GbStoredPerBucket); requests not priced`,
  });
};

const priceHostedZone: Pricer = (r, ctx) => {
  ctx.add(r, {
    resource: `Route 53 hosted zone ${r.name}`,
    quantity: 1,
    unit: "zone-months",
    unitPriceUsd: ctx.global.route53.usdPerHostedZoneMonth,
    note: "queries not priced",
  });
};

/** Budgets themselves are free; only the action-enabled ones beyond the account's free allowance cost money. */
const priceBudgetAction: Pricer = (r, ctx) => {
  const budgetName = str(r.inputs.budgetName) ?? r.name;
  const { first, withinFree } = ctx.addActionEnabledBudget(budgetName);
  if (!first || withinFree) {
    ctx.free(r.type);
    return;
  }
  ctx.add(r, {
    resource: `Action-enabled budget ${budgetName}`,
    quantity: ctx.hours / 24,
    unit: "budget-days",
    unitPriceUsd: ctx.global.budgets.usdPerActionEnabledBudgetDay,
    note: `beyond the first ${ctx.global.budgets.freeActionEnabledBudgets} action-enabled budgets, which are free`,
  });
};

const PRICERS: Record<string, Pricer> = {
  "aws:ec2/natGateway:NatGateway": priceNatGateway,
  "aws:ec2/eip:Eip": priceEip,
  "aws:ec2/vpcEndpoint:VpcEndpoint": priceVpcEndpoint,
  "aws:lb/loadBalancer:LoadBalancer": priceLoadBalancer,
  "aws:alb/loadBalancer:LoadBalancer": priceLoadBalancer,
  "aws:ecs/service:Service": priceEcsService,
  "aws:ecs/cluster:Cluster": priceEcsCluster,
  "aws:ecr/repository:Repository": priceEcrRepository,
  "aws:rds/instance:Instance": priceRdsInstance,
  "aws:kms/key:Key": priceKmsKey,
  "aws:kms/replicaKey:ReplicaKey": priceKmsKey,
  "aws:secretsmanager/secret:Secret": priceSecret,
  "aws:wafv2/webAcl:WebAcl": priceWebAcl,
  "aws:cloudwatch/metricAlarm:MetricAlarm": priceMetricAlarm,
  "aws:cloudwatch/compositeAlarm:CompositeAlarm": priceCompositeAlarm,
  "aws:cloudwatch/dashboard:Dashboard": priceDashboard,
  "aws:cloudwatch/logGroup:LogGroup": priceLogGroup,
  "aws:appautoscaling/policy:Policy": priceScalingPolicy,
  "aws:cloudfront/distribution:Distribution": priceDistribution,
  "aws:s3/bucket:Bucket": priceBucket,
  "aws:s3/bucketV2:BucketV2": priceBucket,
  "aws:route53/zone:Zone": priceHostedZone,
  "aws:budgets/budgetAction:BudgetAction": priceBudgetAction,
};
