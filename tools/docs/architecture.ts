import { PlannedResource } from "../engine/types";

/**
 * docs/architecture.md: Mermaid diagrams drawn from an offline plan, never by hand, so they show what the
 * program builds. Pure functions over `PlannedResource[]`; every list is sorted so the output is deterministic.
 */

/** What renderArchitectureDoc needs from a PlanRun. */
export interface ArchitectureInput {
  readonly stack: string;
  readonly resources: readonly PlannedResource[];
}

/** One allowed traffic flow between security groups (or the internet, or S3), from one rule. */
export interface TrafficFlow {
  readonly from: string;
  readonly to: string;
  /** `443`, `1024-65535` or `all`. */
  readonly port: string;
  /** `tcp`, `udp`, `icmp` or `all`. */
  readonly protocol: string;
}

export const INTERNET = "internet";
export const S3 = "S3";

const INGRESS = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule";
const EGRESS = "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule";
const SECURITY_GROUP = "aws:ec2/securityGroup:SecurityGroup";
const SUBNET = "aws:ec2/subnet:Subnet";
const RDS_INSTANCE = "aws:rds/instance:Instance";
const RDS_CLUSTER = "aws:rds/cluster:Cluster";
const TIER_ORDER = ["public", "private", "isolated"];

// ---------------------------------------------------------------------------------------------------------
// Small helpers
// ---------------------------------------------------------------------------------------------------------

const str = (v: unknown): string | undefined => (typeof v === "string" && v !== "" ? v : undefined);
const nameTag = (r: PlannedResource): string | undefined =>
  str((r.inputs.tags as Record<string, unknown> | undefined)?.Name);
const idOf = (r: PlannedResource): string | undefined => str(r.outputs.id);
const arnOf = (r: PlannedResource): string | undefined => str(r.outputs.arn) ?? str(r.outputs.id);
const byName = (a: PlannedResource, b: PlannedResource) => a.name.localeCompare(b.name) || a.urn.localeCompare(b.urn);

/** Every string anywhere in a value (how one resource names another: ids and ARNs in its inputs). */
export function stringsIn(value: unknown, into: Set<string> = new Set()): Set<string> {
  if (typeof value === "string") {
    into.add(value);
  } else if (Array.isArray(value)) {
    value.forEach((v) => stringsIn(v, into));
  } else if (value && typeof value === "object") {
    Object.values(value).forEach((v) => stringsIn(v, into));
  }
  return into;
}

/** Mermaid node id: letters, digits and `_` only. */
export function mermaidId(...parts: string[]): string {
  return parts.join("_").replace(/[^A-Za-z0-9_]/g, "_");
}

/** A quoted Mermaid label. */
export function label(text: string): string {
  return `"${text.replace(/"/g, "#quot;")}"`;
}

function numericPortOrder(a: string, b: string): number {
  const n = (p: string) => (p === "all" ? -1 : parseInt(p, 10));
  return n(a) - n(b) || a.localeCompare(b);
}

function plural(count: number, singular: string): string {
  return count === 1 ? singular : `${count} × ${singular}`;
}

// ---------------------------------------------------------------------------------------------------------
// Security groups and traffic flows
// ---------------------------------------------------------------------------------------------------------

/**
 * Display names of the security groups by id: the Name tag (else the logical name) without the prefix every
 * group shares (`saas-prod-lb` → `lb`), so the diagrams read the same for every stack.
 */
export function securityGroupNames(resources: readonly PlannedResource[]): Map<string, string> {
  const groups = resources.filter((r) => r.type === SECURITY_GROUP && idOf(r));
  const full = groups.map((g) => nameTag(g) ?? g.name);
  const prefix = commonDashPrefix(full);
  return new Map(groups.map((g, i) => [idOf(g) as string, full[i].slice(prefix.length)]));
}

/** The longest prefix ending in `-` that every name has and none equals; empty for fewer than two names. */
export function commonDashPrefix(names: readonly string[]): string {
  if (names.length < 2) {
    return "";
  }
  let prefix = names[0];
  for (const n of names) {
    while (!n.startsWith(prefix)) {
      prefix = prefix.slice(0, -1);
    }
  }
  prefix = prefix.slice(0, prefix.lastIndexOf("-") + 1);
  return names.every((n) => n.length > prefix.length) ? prefix : "";
}

function portOf(inputs: Record<string, unknown>): { port: string; protocol: string } {
  const protocol = String(inputs.ipProtocol ?? "all");
  if (protocol === "-1" || protocol === "all") {
    return { port: "all", protocol: "all" };
  }
  const from = inputs.fromPort;
  const to = inputs.toPort;
  if (typeof from !== "number") {
    return { port: "all", protocol };
  }
  return { port: to === undefined || to === from ? String(from) : `${from}-${to}`, protocol };
}

/**
 * The traffic the security-group rules allow, as `from → to : port`. An ingress rule on G from R is R → G; an
 * egress rule on G to R is G → R. A CIDR (IPv4 or IPv6) is the internet, a prefix list is S3 (the gateway
 * endpoint's). The same flow allowed on both sides appears once. Sorted by from, to, then port.
 */
export function trafficFlows(resources: readonly PlannedResource[]): TrafficFlow[] {
  const names = securityGroupNames(resources);
  const nameOf = (id: unknown) => (typeof id === "string" ? (names.get(id) ?? id) : "unknown");
  const flows = new Map<string, TrafficFlow>();
  for (const rule of resources.filter((r) => r.type === INGRESS || r.type === EGRESS)) {
    const i = rule.inputs;
    const self = nameOf(i.securityGroupId);
    const other =
      i.referencedSecurityGroupId !== undefined
        ? nameOf(i.referencedSecurityGroupId)
        : i.cidrIpv4 !== undefined || i.cidrIpv6 !== undefined
          ? INTERNET
          : i.prefixListId !== undefined
            ? S3
            : "unknown";
    const { port, protocol } = portOf(i);
    const [from, to] = rule.type === INGRESS ? [other, self] : [self, other];
    flows.set(`${from}\0${to}\0${protocol}\0${port}`, { from, to, port, protocol });
  }
  return [...flows.values()].sort(
    (a, b) =>
      a.from.localeCompare(b.from) ||
      a.to.localeCompare(b.to) ||
      numericPortOrder(a.port, b.port) ||
      a.protocol.localeCompare(b.protocol),
  );
}

/**
 * The subnet tier of each security group (display name → tier): the Tier tag of the subnets of the resources
 * that use the group (load balancer, ECS service, RDS through its subnet group, endpoints). Groups nothing in a
 * tiered subnet uses are absent.
 */
export function securityGroupTiers(resources: readonly PlannedResource[]): Map<string, string> {
  const names = securityGroupNames(resources);
  const subnetTier = new Map<string, string>();
  for (const s of resources.filter((r) => r.type === SUBNET)) {
    const tier = str((s.inputs.tags as Record<string, unknown> | undefined)?.Tier);
    if (idOf(s) && tier) {
      subnetTier.set(idOf(s) as string, tier);
    }
  }
  // A subnet group stands for its subnets (RDS names the group, not the subnets).
  const groupSubnets = new Map<string, string[]>();
  for (const g of resources.filter((r) => r.type.startsWith("aws:rds/subnetGroup:"))) {
    const ids = Array.isArray(g.inputs.subnetIds) ? (g.inputs.subnetIds as unknown[]).filter(str) : [];
    for (const key of [idOf(g), str(g.inputs.name), str(g.outputs.name)]) {
      if (key) {
        groupSubnets.set(key, ids as string[]);
      }
    }
  }
  const found = new Map<string, Set<string>>();
  for (const r of resources) {
    if (r.type === SECURITY_GROUP || r.type === INGRESS || r.type === EGRESS || !r.custom) {
      continue;
    }
    const strings = stringsIn(r.inputs);
    const groups = [...strings].filter((s) => names.has(s));
    if (groups.length === 0) {
      continue;
    }
    const tiers = new Set<string>();
    for (const s of strings) {
      const direct = subnetTier.get(s);
      if (direct) {
        tiers.add(direct);
      }
      for (const sub of groupSubnets.get(s) ?? []) {
        const t = subnetTier.get(sub);
        if (t) {
          tiers.add(t);
        }
      }
    }
    for (const g of groups) {
      const name = names.get(g) as string;
      found.set(name, new Set([...(found.get(name) ?? []), ...tiers]));
    }
  }
  const out = new Map<string, string>();
  for (const [name, tiers] of [...found].sort(([a], [b]) => a.localeCompare(b))) {
    const sorted = [...tiers].sort(tierOrder);
    if (sorted.length > 0) {
      out.set(name, sorted[0]);
    }
  }
  return out;
}

function tierOrder(a: string, b: string): number {
  const rank = (t: string) => (TIER_ORDER.includes(t) ? TIER_ORDER.indexOf(t) : TIER_ORDER.length);
  return rank(a) - rank(b) || a.localeCompare(b);
}

// ---------------------------------------------------------------------------------------------------------
// (a) Components and their key resources
// ---------------------------------------------------------------------------------------------------------

/**
 * The resource types worth a box in the component diagram, each with the label it is grouped under (same label,
 * one box with a count). Types not listed (policies, associations, routes, log groups) are detail.
 */
const KEY_RESOURCES: Readonly<Record<string, (r: PlannedResource) => string>> = {
  "aws:ec2/vpc:Vpc": (r) => `VPC ${str(r.inputs.cidrBlock) ?? ""}`.trim(),
  "aws:ec2/subnet:Subnet": (r) =>
    `${str((r.inputs.tags as Record<string, unknown> | undefined)?.Tier) ?? "untiered"} subnet`,
  "aws:ec2/internetGateway:InternetGateway": () => "internet gateway",
  "aws:ec2/natGateway:NatGateway": () => "NAT gateway",
  "aws:ec2/vpcEndpoint:VpcEndpoint": (r) => `${str(r.inputs.vpcEndpointType)?.toLowerCase() ?? "gateway"} endpoint`,
  "aws:ec2/securityGroup:SecurityGroup": () => "security group",
  "aws:ec2/flowLog:FlowLog": () => "flow log",
  "aws:kms/key:Key": () => "KMS key",
  "aws:lb/loadBalancer:LoadBalancer": (r) =>
    str(r.inputs.loadBalancerType) === "network" ? "network load balancer" : "application load balancer",
  "aws:lb/listener:Listener": (r) => `listener ${str(r.inputs.protocol) ?? ""} :${String(r.inputs.port ?? "")}`,
  "aws:lb/targetGroup:TargetGroup": () => "target group",
  "aws:ecs/cluster:Cluster": () => "ECS cluster",
  "aws:ecs/service:Service": (r) => `ECS service${str(r.inputs.launchType) ? ` (${r.inputs.launchType})` : ""}`,
  "aws:ecs/taskDefinition:TaskDefinition": () => "task definition",
  "aws:ecr/repository:Repository": () => "ECR repository",
  "aws:sfn/stateMachine:StateMachine": (r) =>
    `Step Functions state machine${str(r.inputs.type) ? ` (${String(r.inputs.type)})` : ""}`,
  "aws:appautoscaling/policy:Policy": () => "autoscaling policy",
  "aws:rds/instance:Instance": (r) =>
    `RDS ${str(r.inputs.engine) ?? ""} ${str(r.inputs.instanceClass) ?? ""}${r.inputs.multiAz === true ? " Multi-AZ" : ""}`
      .replace(/\s+/g, " ")
      .trim(),
  "aws:rds/cluster:Cluster": (r) => `RDS cluster ${str(r.inputs.engine) ?? ""}`.trim(),
  "aws:rds/instanceAutomatedBackupsReplication:InstanceAutomatedBackupsReplication": () => "cross-region backup copy",
  "aws:secretsmanager/secret:Secret": () => "Secrets Manager secret",
  "aws:cloudfront/distribution:Distribution": () => "CloudFront distribution",
  "aws:s3/bucket:Bucket": () => "S3 bucket",
  "aws:s3/bucketV2:BucketV2": () => "S3 bucket",
  "aws:sns/topic:Topic": () => "SNS topic",
  "aws:cloudwatch/metricAlarm:MetricAlarm": () => "CloudWatch alarm",
  "aws:cloudwatch/compositeAlarm:CompositeAlarm": () => "composite alarm",
  "aws:cloudwatch/dashboard:Dashboard": () => "dashboard",
  "aws:budgets/budget:Budget": () => "budget",
  "aws:costexplorer/anomalyMonitor:AnomalyMonitor": () => "cost anomaly monitor",
  "aws:iam/openIdConnectProvider:OpenIdConnectProvider": () => "GitHub OIDC provider",
  "postgresql:index/schema:Schema": () => "tenant schema",
  "postgresql:index/role:Role": () => "PostgreSQL role",
};

export interface ComponentSummary {
  readonly name: string;
  readonly type: string;
  /** `label` → count, sorted by label. */
  readonly keyResources: ReadonlyArray<{ readonly label: string; readonly count: number }>;
}

/** The nearest `saas:` component above each resource (its own URN for a component), by URN. */
function owners(resources: readonly PlannedResource[]): Map<string, PlannedResource> {
  const byUrn = new Map(resources.map((r) => [r.urn, r]));
  const out = new Map<string, PlannedResource>();
  for (const r of resources) {
    let p: PlannedResource | undefined = r;
    while (p && !p.type.startsWith("saas:")) {
      p = p.parent ? byUrn.get(p.parent) : undefined;
    }
    if (p) {
      out.set(r.urn, p);
    }
  }
  return out;
}

/** The components (resources whose type starts with `saas:`) and their key resources, sorted by name. */
export function componentSummaries(resources: readonly PlannedResource[]): ComponentSummary[] {
  const ownerOf = owners(resources);
  const components = resources.filter((r) => r.type.startsWith("saas:")).sort(byName);
  return components.map((c) => {
    const counts = new Map<string, number>();
    for (const r of resources) {
      const describe = KEY_RESOURCES[r.type];
      if (describe && ownerOf.get(r.urn)?.urn === c.urn) {
        const l = describe(r);
        counts.set(l, (counts.get(l) ?? 0) + 1);
      }
    }
    return {
      name: c.name,
      type: c.type,
      keyResources: [...counts].sort(([a], [b]) => a.localeCompare(b)).map(([l, count]) => ({ label: l, count })),
    };
  });
}

/** Which component uses which: a resource of one depends on a resource of the other. Sorted `[from, to]` pairs. */
export function componentDependencies(resources: readonly PlannedResource[]): Array<[string, string]> {
  const ownerOf = owners(resources);
  const pairs = new Set<string>();
  for (const r of resources) {
    const from = ownerOf.get(r.urn);
    for (const d of r.dependencies) {
      const to = ownerOf.get(d);
      if (from && to && from.urn !== to.urn) {
        pairs.add(`${from.name}\0${to.name}`);
      }
    }
  }
  return [...pairs].sort().map((p) => p.split("\0") as [string, string]);
}

export function renderComponentDiagram(resources: readonly PlannedResource[]): string {
  const out = ["```mermaid", "flowchart LR"];
  const summaries = componentSummaries(resources);
  for (const c of summaries) {
    const cid = mermaidId("c", c.name);
    out.push(`  subgraph ${cid}[${label(`${c.name} · ${c.type}`)}]`);
    if (c.keyResources.length === 0) {
      out.push(`    ${cid}_none[${label("(no key resources)")}]`);
    }
    c.keyResources.forEach((k, i) => {
      out.push(`    ${cid}_${i}[${label(plural(k.count, k.label))}]`);
    });
    out.push("  end");
  }
  for (const [from, to] of componentDependencies(resources)) {
    out.push(`  ${mermaidId("c", from)} -->|uses| ${mermaidId("c", to)}`);
  }
  out.push("```");
  return out.join("\n");
}

// ---------------------------------------------------------------------------------------------------------
// (b) Network tiers and allowed flows
// ---------------------------------------------------------------------------------------------------------

export function renderNetworkDiagram(resources: readonly PlannedResource[]): string {
  const flows = trafficFlows(resources);
  if (flows.length === 0) {
    return "_The plan has no security-group rules._";
  }
  const tiers = securityGroupTiers(resources);
  const subnetCounts = new Map<string, number>();
  for (const s of resources.filter((r) => r.type === SUBNET)) {
    const tier = str((s.inputs.tags as Record<string, unknown> | undefined)?.Tier) ?? "untiered";
    subnetCounts.set(tier, (subnetCounts.get(tier) ?? 0) + 1);
  }
  const groups = [...new Set([...securityGroupNames(resources).values()])].sort();
  const nodes = new Set(flows.flatMap((f) => [f.from, f.to]));
  const nodeId = (n: string) => (n === INTERNET ? "internet" : n === S3 ? "s3" : mermaidId("sg", n));
  const out = ["```mermaid", "flowchart LR"];
  if (nodes.has(INTERNET)) {
    out.push(`  internet((${label(INTERNET)}))`);
  }
  if (nodes.has(S3)) {
    out.push(`  s3[(${label("S3 (gateway endpoint)")})]`);
  }
  const vpc = resources.find((r) => r.type === "aws:ec2/vpc:Vpc");
  const indent = vpc ? "    " : "  ";
  if (vpc) {
    out.push(`  subgraph vpc[${label(`VPC ${str(vpc.inputs.cidrBlock) ?? ""}`.trim())}]`);
  }
  const tierNames = [...new Set([...tiers.values(), ...subnetCounts.keys()])].sort(tierOrder);
  for (const tier of tierNames) {
    const members = groups.filter((g) => tiers.get(g) === tier && nodes.has(g));
    const count = subnetCounts.get(tier) ?? 0;
    out.push(`${indent}subgraph ${mermaidId("tier", tier)}[${label(`${tier} subnets (${count})`)}]`);
    if (members.length === 0) {
      out.push(`${indent}  ${mermaidId("tier", tier, "empty")}[${label("no security group")}]`);
    }
    for (const g of members) {
      out.push(`${indent}  ${nodeId(g)}[${label(g)}]`);
    }
    out.push(`${indent}end`);
  }
  for (const g of groups.filter((g) => !tiers.has(g) && nodes.has(g))) {
    out.push(`${indent}${nodeId(g)}[${label(g)}]`);
  }
  if (vpc) {
    out.push("  end");
  }
  // Unknown endpoints (a group outside the plan) still get a node.
  for (const n of [...nodes].filter((n) => n !== INTERNET && n !== S3 && !groups.includes(n)).sort()) {
    out.push(`  ${nodeId(n)}[${label(n)}]`);
  }
  const merged = new Map<string, string[]>();
  for (const f of flows) {
    const key = `${f.from}\0${f.to}`;
    const port = f.protocol === "tcp" || f.protocol === "all" ? f.port : `${f.protocol} ${f.port}`;
    merged.set(key, [...(merged.get(key) ?? []), port]);
  }
  for (const [key, ports] of merged) {
    const [from, to] = key.split("\0");
    out.push(`  ${nodeId(from)} -->|${label(ports.join(", "))}| ${nodeId(to)}`);
  }
  out.push("```");
  return out.join("\n");
}

// ---------------------------------------------------------------------------------------------------------
// (c) Request path
// ---------------------------------------------------------------------------------------------------------

interface Edge {
  readonly from: string;
  readonly to: string;
  readonly label?: string;
}

/** The path of a request: clients → CloudFront / load balancer → listeners → target groups → services → database. */
export function requestPath(resources: readonly PlannedResource[]): { nodes: Map<string, string>; edges: Edge[] } {
  const nodes = new Map<string, string>();
  const edges: Edge[] = [];
  const of = (type: string) => resources.filter((r) => r.type === type).sort(byName);
  const distributions = of("aws:cloudfront/distribution:Distribution");
  const lbs = of("aws:lb/loadBalancer:LoadBalancer");
  const listeners = of("aws:lb/listener:Listener");
  const rules = of("aws:lb/listenerRule:ListenerRule");
  const targetGroups = of("aws:lb/targetGroup:TargetGroup");
  const services = of("aws:ecs/service:Service");
  const databases = [...of(RDS_INSTANCE), ...of(RDS_CLUSTER)];
  const buckets = [...of("aws:s3/bucket:Bucket"), ...of("aws:s3/bucketV2:BucketV2")];
  const id = (r: PlannedResource) => mermaidId(r.type.split(":")[1].split("/")[1] ?? "r", r.name);
  const clients = "clients";

  if (distributions.length > 0 || lbs.some((lb) => lb.inputs.internal !== true)) {
    nodes.set(clients, "clients");
  }
  for (const d of distributions) {
    nodes.set(id(d), `CloudFront ${d.name}`);
    edges.push({ from: clients, to: id(d), label: "HTTPS" });
    const origins = Array.isArray(d.inputs.origins) ? (d.inputs.origins as Array<Record<string, unknown>>) : [];
    for (const o of [...origins].sort((a, b) => String(a.originId).localeCompare(String(b.originId)))) {
      const domain = str(o.domainName) ?? "";
      const lb = lbs.find((l) => str(l.outputs.dnsName) === domain);
      const bucket = buckets.find((b) => {
        const bid = idOf(b) ?? str(b.outputs.bucket);
        return bid !== undefined && domain.startsWith(`${bid}.s3`);
      });
      const target = lb ?? bucket;
      if (target) {
        if (bucket && !lb) {
          nodes.set(id(bucket), `S3 bucket ${bucket.name}`);
        }
        edges.push({ from: id(d), to: id(target), label: `origin ${String(o.originId ?? "")}`.trim() });
      }
    }
  }
  for (const lb of lbs) {
    nodes.set(id(lb), `load balancer ${lb.name}`);
    if (lb.inputs.internal !== true) {
      edges.push({ from: clients, to: id(lb), label: "internet-facing" });
    }
  }
  for (const l of listeners) {
    const lb = lbs.find((x) => arnOf(x) === l.inputs.loadBalancerArn);
    const actions = Array.isArray(l.inputs.defaultActions)
      ? (l.inputs.defaultActions as Array<Record<string, unknown>>)
      : [];
    const redirect = actions.find((a) => a.type === "redirect")?.redirect as Record<string, unknown> | undefined;
    const fixed = actions.find((a) => a.type === "fixed-response")?.fixedResponse as
      Record<string, unknown> | undefined;
    const suffix = redirect
      ? ` (redirects to ${String(redirect.protocol ?? "")} :${String(redirect.port ?? "")})`
      : fixed
        ? ` (default: ${String(fixed.statusCode ?? "")})`
        : "";
    nodes.set(id(l), `listener ${String(l.inputs.protocol ?? "")} :${String(l.inputs.port ?? "")}${suffix}`);
    if (lb) {
      edges.push({ from: id(lb), to: id(l) });
    }
    const defaultForward = stringsIn(actions.filter((a) => a.type === "forward"));
    for (const tg of targetGroups.filter((t) => defaultForward.has(arnOf(t) as string))) {
      edges.push({ from: id(l), to: id(tg), label: "default" });
    }
  }
  // Rules: listener → target group, labelled by the paths and hosts they match.
  const ruleLabels = new Map<string, string[]>();
  for (const rule of rules) {
    const strings = stringsIn(rule.inputs.actions ?? rule.inputs);
    const listener = listeners.find((l) => arnOf(l) === rule.inputs.listenerArn);
    const conditions = Array.isArray(rule.inputs.conditions)
      ? (rule.inputs.conditions as Array<Record<string, unknown>>)
      : [];
    const matches = conditions.flatMap((c) =>
      [c.pathPattern, c.hostHeader].flatMap((m) =>
        Array.isArray((m as { values?: unknown[] } | undefined)?.values)
          ? ((m as { values: unknown[] }).values.filter(str) as string[])
          : [],
      ),
    );
    for (const tg of targetGroups.filter((t) => strings.has(arnOf(t) as string))) {
      if (listener) {
        const key = `${id(listener)}\0${id(tg)}`;
        ruleLabels.set(key, [...(ruleLabels.get(key) ?? []), ...matches]);
      }
    }
  }
  for (const [key, matches] of [...ruleLabels].sort(([a], [b]) => a.localeCompare(b))) {
    const [from, to] = key.split("\0");
    edges.push({ from, to, label: [...new Set(matches)].sort().join(", ") || undefined });
  }
  for (const tg of targetGroups) {
    nodes.set(id(tg), `target group ${tg.name} (${String(tg.inputs.protocol ?? "")} :${String(tg.inputs.port ?? "")})`);
  }
  const flows = trafficFlows(resources);
  const sgNames = securityGroupNames(resources);
  const groupsOf = (r: PlannedResource) =>
    [...stringsIn(r.inputs)].filter((s) => sgNames.has(s)).map((s) => sgNames.get(s) as string);
  for (const s of services) {
    nodes.set(id(s), `ECS service ${s.name}`);
    const lbBlocks = Array.isArray(s.inputs.loadBalancers)
      ? (s.inputs.loadBalancers as Array<Record<string, unknown>>)
      : [];
    for (const b of lbBlocks) {
      const tg = targetGroups.find((t) => arnOf(t) === b.targetGroupArn);
      if (tg) {
        edges.push({
          from: id(tg),
          to: id(s),
          label: `${String(b.containerName ?? "")}:${String(b.containerPort ?? "")}`,
        });
      }
    }
    const serviceGroups = groupsOf(s);
    for (const db of databases) {
      const dbGroups = groupsOf(db);
      const ports = [
        ...new Set(flows.filter((f) => serviceGroups.includes(f.from) && dbGroups.includes(f.to)).map((f) => f.port)),
      ].sort(numericPortOrder);
      if (ports.length > 0) {
        edges.push({ from: id(s), to: id(db), label: `tcp ${ports.join(", ")}` });
      }
    }
  }
  for (const db of databases) {
    const what = db.type === RDS_CLUSTER ? "RDS cluster" : "RDS instance";
    nodes.set(id(db), `${what} ${db.name}${db.inputs.multiAz === true ? " (Multi-AZ)" : ""}`);
  }
  return { nodes, edges };
}

export function renderRequestPath(resources: readonly PlannedResource[]): string {
  const { nodes, edges } = requestPath(resources);
  if (nodes.size === 0) {
    return "_The plan has no CloudFront distribution, load balancer, service or database._";
  }
  const out = ["```mermaid", "flowchart LR"];
  for (const [nodeId, text] of nodes) {
    const shape =
      nodeId === "clients"
        ? `((${label(text)}))`
        : text.startsWith("RDS") || text.startsWith("S3")
          ? `[(${label(text)})]`
          : `[${label(text)}]`;
    out.push(`  ${nodeId}${shape}`);
  }
  for (const e of edges) {
    out.push(`  ${e.from} -->${e.label ? `|${label(e.label)}|` : ""} ${e.to}`);
  }
  out.push("```");
  return out.join("\n");
}

// ---------------------------------------------------------------------------------------------------------
// The document
// ---------------------------------------------------------------------------------------------------------

export function renderArchitectureDoc(run: ArchitectureInput): string {
  const resources = run.resources;
  const flows = trafficFlows(resources);
  const flowTable = flows.map((f) => `| ${f.from} | ${f.to} | ${f.protocol} | ${f.port} |`);
  return [
    "# Architecture",
    "",
    `<!-- Generated by \`npm run docs\` (tools/docs/generate.ts) from the offline plan of the ${run.stack} stack. Do not edit. -->`,
    "",
    `What the program builds for the **${run.stack}** stack, drawn from its offline plan (\`npm run plan -- ${run.stack}\`).`,
    "Other stacks have the same shape with different counts and sizes (docs/configuration.md).",
    "",
    "## Components and their key resources",
    "",
    "Each box is a component (`saas:` type) with its key resources, repetitive ones counted. An arrow means",
    "resources of one component take inputs from the other.",
    "",
    renderComponentDiagram(resources),
    "",
    "## Network tiers and allowed traffic",
    "",
    "Security groups placed in the subnet tier of the resources that use them; every arrow is a security-group",
    "rule in the plan (ingress or egress), labelled with its ports. Nothing else is allowed.",
    "",
    renderNetworkDiagram(resources),
    "",
    ...(flows.length > 0 ? ["| from | to | protocol | port |", "| --- | --- | --- | --- |", ...flowTable, ""] : []),
    "## Request path",
    "",
    "From clients through CloudFront and the load balancer to the service and its database, as far as the plan has",
    "each part.",
    "",
    renderRequestPath(resources),
    "",
  ].join("\n");
}
