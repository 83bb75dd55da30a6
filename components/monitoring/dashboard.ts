import { APP_ERRORS_METRIC, AlarmThresholds, GIB, MIB, MonitoredResources, connectionBudget } from "./alarms";
import { TENANT_INSIGHTS, TenantInsightKey } from "./tenantInsights";

/**
 * The stack's CloudWatch dashboard as typed data. The body is built by one pure function from the identifiers of
 * the resources the stack creates, and serialised once by the component: no hand-written JSON, and a test can
 * walk every widget and check that each metric points at one of those resources.
 */

/** Options of a metric row (the trailing object of a row in the dashboard JSON). */
export interface MetricOptions {
  readonly id?: string;
  readonly label?: string;
  readonly stat?: string;
  readonly visible?: boolean;
  readonly yAxis?: "left" | "right";
}

/** A metric: namespace, name, then dimension name/value pairs, then optional options. */
export type MetricRow = readonly [namespace: string, metricName: string, ...rest: (string | MetricOptions)[]];
/** A metric-math expression over the rows of the same widget, referenced by their `id`. */
export type ExpressionRow = readonly [MetricOptions & { readonly expression: string; readonly label: string }];

interface Placement {
  readonly x: number;
  readonly y: number;
  readonly width: number;
  readonly height: number;
}

export interface TextWidget extends Placement {
  readonly type: "text";
  readonly properties: { readonly markdown: string; readonly background?: "solid" | "transparent" };
}

export interface HorizontalAnnotation {
  readonly label: string;
  readonly value: number;
  readonly color?: string;
}

export interface MetricWidget extends Placement {
  readonly type: "metric";
  readonly properties: {
    readonly title: string;
    readonly region: string;
    readonly view: "timeSeries" | "singleValue";
    readonly stacked: boolean;
    readonly period: number;
    readonly stat: string;
    readonly metrics: readonly (MetricRow | ExpressionRow)[];
    readonly yAxis?: { readonly left?: { readonly min?: number; readonly max?: number; readonly label?: string } };
    readonly annotations?: { readonly horizontal: readonly HorizontalAnnotation[] };
  };
}

export interface LogWidget extends Placement {
  readonly type: "log";
  readonly properties: {
    readonly title: string;
    readonly region: string;
    readonly query: string;
    readonly view: "table";
  };
}

/**
 * A Contributor Insights rule's top contributors over time: a metric widget whose `insightRule` replaces the
 * metrics (CloudWatch API reference, "Dashboard body structure and syntax", metric widget `insightRule`).
 */
export interface InsightRuleWidget extends Placement {
  readonly type: "metric";
  readonly properties: {
    readonly title: string;
    readonly region: string;
    readonly view: "timeSeries";
    readonly period: number;
    readonly insightRule: {
      readonly ruleName: string;
      readonly maxContributorCount: number;
      readonly orderBy: "Sum" | "Maximum";
    };
    readonly legend: { readonly position: "bottom" | "right" };
  };
}

export type Widget = TextWidget | MetricWidget | LogWidget | InsightRuleWidget;

/** True for a widget that draws metric rows (not a Contributor Insights ranking). */
export function isMetricWidget(w: Widget): w is MetricWidget {
  return w.type === "metric" && "metrics" in w.properties;
}

/** Tenants each ranking shows: the busiest ten, the rest are one click away in Contributor Insights. */
export const TOP_TENANTS = 10;

export interface DashboardBody {
  readonly start: string;
  readonly periodOverride: "auto" | "inherit";
  readonly widgets: readonly Widget[];
}

/** Everything the dashboard shows, resolved to plain strings. */
export interface DashboardRefs extends MonitoredResources<string> {
  readonly region: string;
  /** Namespace of the application's log metric, `<namePrefix>/app`. */
  readonly appMetricNamespace: string;
  /** Name of the stack's monthly budget, shown in the cost section. */
  readonly budgetName: string;
  readonly monthlyBudgetUsd: number;
  /** Drawn as threshold lines, so a graph shows how close a metric is to its alarm. */
  readonly thresholds: AlarmThresholds;
  readonly minTaskCount: number;
  readonly databaseMaxConnections: number;
  /** Contributor Insights rule names by ranking (tenantInsights.ts). */
  readonly tenantInsightRules: Readonly<Record<TenantInsightKey, string>>;
  /** The tenant usage collector's metrics (components/tenant-metering/): the "Tenants" section. @default - none */
  readonly tenantMetrics?: TenantMetricRefs;
}

/** Where the tenant usage collector publishes, and its alarm's threshold. */
export interface TenantMetricRefs {
  /** `<namePrefix>/tenants` (tenantMetricNamespace). */
  readonly namespace: string;
  /** The collector's interval, in seconds: the metrics' period. */
  readonly periodSeconds: number;
  /** How many tenants are published by name (the rest are `__other__`). */
  readonly topTenants: number;
  readonly noisyTenantSharePercent: number;
}

type Unplaced<W extends Widget> = Omit<W, keyof Placement> & { readonly width: number; readonly height: number };

const GRID_WIDTH = 24;

/** Lays widgets out left to right, wrapping at the grid's 24 columns; a section header spans a whole row. */
function layout(widgets: readonly Unplaced<Widget>[]): Widget[] {
  let x = 0;
  let y = 0;
  let rowHeight = 0;
  return widgets.map((w) => {
    if (x + w.width > GRID_WIDTH) {
      x = 0;
      y += rowHeight;
      rowHeight = 0;
    }
    const placed = { ...w, x, y } as Widget;
    x += w.width;
    rowHeight = Math.max(rowHeight, w.height);
    return placed;
  });
}

function header(title: string, text: string): Unplaced<TextWidget> {
  return { type: "text", width: GRID_WIDTH, height: 2, properties: { markdown: `## ${title}\n${text}` } };
}

/** A metric row with its dimensions as name/value pairs, in the order given. */
function row(
  namespace: string,
  metricName: string,
  dimensions: Readonly<Record<string, string>>,
  options?: MetricOptions,
): MetricRow {
  const pairs = Object.entries(dimensions).flat();
  return options ? [namespace, metricName, ...pairs, options] : [namespace, metricName, ...pairs];
}

function expression(id: string, expr: string, label: string): ExpressionRow {
  return [{ id, expression: expr, label }];
}

/** The whole dashboard: edge, service, database and cost sections, each under a text header. */
export function dashboardBody(refs: DashboardRefs): DashboardBody {
  const t = refs.thresholds;
  const lb = { LoadBalancer: refs.loadBalancerArnSuffix };
  const tg = { TargetGroup: refs.targetGroupArnSuffix, LoadBalancer: refs.loadBalancerArnSuffix };
  const svc = { ClusterName: refs.clusterName, ServiceName: refs.serviceName };
  const db = { DBInstanceIdentifier: refs.databaseInstanceId };
  const ELB = "AWS/ApplicationELB";
  const graph = (
    title: string,
    stat: string,
    metrics: readonly (MetricRow | ExpressionRow)[],
    extra: Partial<MetricWidget["properties"]> = {},
  ): Unplaced<MetricWidget> => ({
    type: "metric",
    width: 8,
    height: 6,
    properties: { title, region: refs.region, view: "timeSeries", stacked: false, period: 60, stat, metrics, ...extra },
  });
  const line = (label: string, value: number): { annotations: { horizontal: HorizontalAnnotation[] } } => ({
    annotations: { horizontal: [{ label, value }] },
  });

  const widgets: Unplaced<Widget>[] = [
    header("Edge", "Application load balancer and the service's target group: traffic, errors, latency, health."),
    graph("Requests and 5xx", "Sum", [
      row(ELB, "RequestCount", lb, { label: "Requests" }),
      row(ELB, "HTTPCode_ELB_5XX_Count", lb, { label: "5xx from the load balancer" }),
      row(ELB, "HTTPCode_Target_5XX_Count", tg, { label: "5xx from the service" }),
    ]),
    graph(
      "5xx rate (%)",
      "Sum",
      [
        row(ELB, "RequestCount", lb, { id: "requests", visible: false }),
        row(ELB, "HTTPCode_ELB_5XX_Count", lb, { id: "elb5xx", visible: false }),
        row(ELB, "HTTPCode_Target_5XX_Count", lb, { id: "target5xx", visible: false }),
        expression(
          "rate",
          "IF(requests > 0, 100 * (FILL(elb5xx, 0) + FILL(target5xx, 0)) / requests, 0)",
          "5xx rate (%)",
        ),
      ],
      { yAxis: { left: { min: 0 } }, ...line("alarm", t.alb5xxRatePercent) },
    ),
    graph(
      "Target response time (s)",
      "p99",
      [
        row(ELB, "TargetResponseTime", tg, { stat: "p50", label: "p50" }),
        row(ELB, "TargetResponseTime", tg, { stat: "p99", label: "p99" }),
      ],
      line("p99 alarm", t.p99LatencyMs / 1000),
    ),
    graph(
      "Targets",
      "Minimum",
      [
        row(ELB, "HealthyHostCount", tg, { label: "Healthy" }),
        row(ELB, "UnHealthyHostCount", tg, { stat: "Maximum", label: "Unhealthy" }),
      ],
      line("minimum tasks", refs.minTaskCount),
    ),

    header("Service", "ECS service: resource use against its reservation, running tasks and application errors."),
    graph(
      "CPU and memory (% of reservation)",
      "Average",
      [
        row("AWS/ECS", "CPUUtilization", svc, { label: "CPU" }),
        row("AWS/ECS", "MemoryUtilization", svc, { label: "Memory" }),
      ],
      { yAxis: { left: { min: 0, max: 100 } }, ...line("CPU alarm", t.serviceCpuPercent) },
    ),
    graph(
      "Tasks",
      "Average",
      [
        row("ECS/ContainerInsights", "RunningTaskCount", svc, { label: "Running" }),
        row("ECS/ContainerInsights", "DesiredTaskCount", svc, { label: "Desired" }),
      ],
      line("minimum", refs.minTaskCount),
    ),
    graph(
      "Application errors (log lines at level error)",
      "Sum",
      [row(refs.appMetricNamespace, APP_ERRORS_METRIC, {}, { label: "Errors" })],
      line("alarm", t.applicationErrors),
    ),
    {
      type: "log",
      width: GRID_WIDTH,
      height: 6,
      properties: {
        title: "Latest errors (one line per failed request, with its correlation id)",
        region: refs.region,
        view: "table",
        query:
          `SOURCE '${refs.serviceLogGroupName}' | fields @timestamp, msg, method, path, status, correlationId` +
          ` | filter level = "error" | sort @timestamp desc | limit 50`,
      },
    },

    header(
      "Tenants",
      `Top ${TOP_TENANTS} tenants of the request log (Contributor Insights; tenantId null is traffic whose token was not verified).`,
    ),
    ...TENANT_INSIGHTS.map((spec): Unplaced<InsightRuleWidget> => ({
      type: "metric",
      width: 8,
      height: 6,
      properties: {
        title: spec.title,
        region: refs.region,
        view: "timeSeries",
        period: 300,
        insightRule: {
          ruleName: refs.tenantInsightRules[spec.key],
          maxContributorCount: TOP_TENANTS,
          orderBy: "Sum",
        },
        legend: { position: "right" },
      },
    })),

    header("Database", "RDS PostgreSQL instance: CPU, connections against the budget, storage, memory, disk latency."),
    graph("CPU (%)", "Average", [row("AWS/RDS", "CPUUtilization", db, { label: "CPU" })], {
      yAxis: { left: { min: 0, max: 100 } },
      ...line("alarm", t.databaseCpuPercent),
    }),
    graph(
      "Connections",
      "Maximum",
      [row("AWS/RDS", "DatabaseConnections", db, { label: "Connections" })],
      line(
        `${t.databaseConnectionsPercent} % of max_connections`,
        connectionBudget(refs.databaseMaxConnections, t.databaseConnectionsPercent),
      ),
    ),
    graph(
      "Free storage (GiB) and freeable memory (MiB)",
      "Minimum",
      [
        row("AWS/RDS", "FreeStorageSpace", db, { id: "storage", visible: false }),
        row("AWS/RDS", "FreeableMemory", db, { id: "memory", visible: false }),
        expression("storageGiB", `storage / ${GIB}`, "Free storage (GiB)"),
        expression("memoryMiB", `memory / ${MIB}`, "Freeable memory (MiB)"),
      ],
      line("free storage alarm (GiB)", t.freeStorageGiB),
    ),
    graph("Disk latency (s)", "Average", [
      row("AWS/RDS", "ReadLatency", db, { label: "Read" }),
      row("AWS/RDS", "WriteLatency", db, { label: "Write" }),
    ]),

    header(
      "Cost",
      `Monthly budget **${refs.budgetName}**: ${refs.monthlyBudgetUsd} USD, alerts at 80 % actual and 100 % forecast. ` +
        "Cost Anomaly Detection watches this stack's Environment tag. Spend itself is in the Billing console " +
        "(a day behind); the graphs below are the usage that drives it.",
    ),
    graph("Load balancer capacity units (LCU)", "Sum", [row(ELB, "ConsumedLCUs", lb, { label: "LCUs" })]),
    graph("Bytes processed by the load balancer", "Sum", [row(ELB, "ProcessedBytes", lb, { label: "Bytes" })]),
    graph("Running tasks (task-hours drive Fargate cost)", "Average", [
      row("ECS/ContainerInsights", "RunningTaskCount", svc, { label: "Running tasks" }),
    ]),
  ];
  if (refs.tenantMetrics) widgets.push(...tenantWidgets(refs.region, refs.tenantMetrics));
  return { start: "-PT6H", periodOverride: "inherit", widgets: layout(widgets) };
}

/**
 * The top tenants by the collector's metrics: one SEARCH per graph finds every `Tenant` series of the namespace
 * (the top N by name and `__other__`, so at most N + 1 lines), and the largest tenant's share against the alarm.
 */
function tenantWidgets(region: string, m: TenantMetricRefs): Unplaced<Widget>[] {
  const search = (id: string, metric: string, stat: string, label: string): ExpressionRow =>
    expression(id, `SEARCH('{${m.namespace},Tenant} MetricName="${metric}"', '${stat}', ${m.periodSeconds})`, label);
  const graph = (
    title: string,
    rows: readonly (MetricRow | ExpressionRow)[],
    extra: Partial<MetricWidget["properties"]> = {},
  ) => ({
    type: "metric" as const,
    width: 8,
    height: 6,
    properties: {
      title,
      region,
      view: "timeSeries" as const,
      stacked: false,
      period: m.periodSeconds,
      stat: "Sum",
      metrics: rows,
      ...extra,
    },
  });
  return [
    header(
      "Tenants",
      `The ${m.topTenants} tenants with the most database time by name, the rest as __other__ (tenant usage collector). ` +
        "Attribution per tenant: the metering records, runbooks/tenant-metering.md.",
    ),
    graph("Database time by tenant (ms)", [search("dbtime", "DatabaseTime", "Sum", "")], { stacked: true }),
    graph("Requests and 5xx by tenant", [
      search("requests", "Requests", "Sum", "requests"),
      search("errors", "Errors", "Sum", "5xx"),
    ]),
    graph(
      "Largest tenant's share of database time (%)",
      [row(m.namespace, "MaxTenantDbTimeShare", {}, { stat: "Maximum", label: "Largest share" })],
      {
        yAxis: { left: { min: 0, max: 100 } },
        annotations: { horizontal: [{ label: "noisy-tenant alarm", value: m.noisyTenantSharePercent }] },
      },
    ),
    graph("Storage by tenant (bytes)", [search("storage", "StorageBytes", "Maximum", "")], { stat: "Maximum" }),
  ];
}
