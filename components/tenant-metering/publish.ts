/**
 * What the collector publishes to CloudWatch, as plain data: the metric names and units, the datums of one
 * period (top N tenants + the rest, and the largest tenant's share of database time) and their batching within
 * PutMetricData's limits. Pure: no AWS import, so the component (alarms, dashboard, cost) and the handler share
 * one definition.
 */
import { OTHER_TENANT, TenantMeasures, TopTenants } from "./topTenants";

/** Metric namespace of the stack's tenant metrics. */
export function tenantMetricNamespace(namePrefix: string): string {
  return `${namePrefix}/tenants`;
}

/** The dimension every per-tenant metric has: the tenant id, or `__other__` for the rest. */
export const TENANT_DIMENSION = "Tenant";

/** Per-tenant metrics: measure → metric name and unit. */
export const TENANT_METRICS = {
  dbTimeMs: { name: "DatabaseTime", unit: "Milliseconds" },
  calls: { name: "Calls", unit: "Count" },
  rows: { name: "Rows", unit: "Count" },
  storageBytes: { name: "StorageBytes", unit: "Bytes" },
  requests: { name: "Requests", unit: "Count" },
  errors: { name: "Errors", unit: "Count" },
} as const satisfies Record<Exclude<keyof TenantMeasures, "tenantId">, { name: string; unit: string }>;

/**
 * The largest tenant's share of all tenants' database time in the period (percent, no dimension): the one
 * metric the noisy-neighbour alarm watches. One alarm metric instead of a metric-math alarm over N + 1 series
 * (a metric-math alarm may read at most 10 metrics, fewer than N), and it sees every tenant, not only the top N.
 */
export const MAX_SHARE_METRIC = { name: "MaxTenantDbTimeShare", unit: "Percent" } as const;

/** Custom metrics (series) the collector keeps alive: 6 per named tenant and the rest, plus the share. */
export function customMetricCount(topN: number): number {
  return (topN + 1) * Object.keys(TENANT_METRICS).length + 1;
}

/** PutMetricData: at most 1,000 metrics and 1 MB per request (CloudWatch API Reference, PutMetricData). */
export const MAX_DATUMS_PER_REQUEST = 1000;
export const MAX_REQUEST_BYTES = 1_000_000;

/**
 * Below this much database time in a period (1 % of one vCPU-second per second) the share says nothing: a
 * quiet hour where one tenant ran one query would read as 100 %. The share is then not published, and the alarm
 * treats missing data as not breaching.
 */
export const MIN_BUSY_FRACTION = 0.01;

export interface Datum {
  readonly MetricName: string;
  readonly Dimensions?: readonly { readonly Name: string; readonly Value: string }[];
  readonly Timestamp: Date;
  readonly Value: number;
  readonly Unit: string;
}

export interface DbTimeShare {
  readonly tenantId: string;
  readonly percent: number;
}

/**
 * The largest tenant's share of the tenants' database time, or undefined when the share means nothing: fewer
 * than two tenants used the database, or all of them together used less than MIN_BUSY_FRACTION of the period.
 */
export function largestDbTimeShare(tenants: readonly TenantMeasures[], periodMs: number): DbTimeShare | undefined {
  const active = tenants.filter((t) => t.dbTimeMs > 0);
  const total = active.reduce((s, t) => s + t.dbTimeMs, 0);
  if (active.length < 2 || total < periodMs * MIN_BUSY_FRACTION) return undefined;
  const top = active.reduce((a, b) =>
    b.dbTimeMs > a.dbTimeMs || (b.dbTimeMs === a.dbTimeMs && b.tenantId < a.tenantId) ? b : a,
  );
  return { tenantId: top.tenantId, percent: Math.round((top.dbTimeMs / total) * 100 * 100) / 100 };
}

/** The datums of one period: each per-tenant metric for the top N and `__other__`, then the share. */
export function periodDatums(top: TopTenants, share: DbTimeShare | undefined, timestamp: Date): Datum[] {
  const datums: Datum[] = [];
  for (const t of [...top.named, top.other]) {
    for (const [measure, metric] of Object.entries(TENANT_METRICS) as [
      keyof typeof TENANT_METRICS,
      { name: string; unit: string },
    ][]) {
      datums.push({
        MetricName: metric.name,
        Dimensions: [{ Name: TENANT_DIMENSION, Value: t.tenantId === OTHER_TENANT ? OTHER_TENANT : t.tenantId }],
        Timestamp: timestamp,
        Value: t[measure],
        Unit: metric.unit,
      });
    }
  }
  if (share) {
    datums.push({
      MetricName: MAX_SHARE_METRIC.name,
      Timestamp: timestamp,
      Value: share.percent,
      Unit: MAX_SHARE_METRIC.unit,
    });
  }
  return datums;
}

/**
 * The size one datum adds to a request in the most verbose encoding CloudWatch accepts (the query protocol's
 * `MetricData.member.N.…=…` form, URL-encoded), an upper bound for the JSON and CBOR protocols too.
 */
export function encodedSize(datum: Datum, index: number): number {
  const prefix = `MetricData.member.${index + 1}.`;
  const pairs: [string, string][] = [
    ["MetricName", datum.MetricName],
    ["Timestamp", datum.Timestamp.toISOString()],
    ["Value", String(datum.Value)],
    ["Unit", datum.Unit],
  ];
  (datum.Dimensions ?? []).forEach((d, i) => {
    pairs.push([`Dimensions.member.${i + 1}.Name`, d.Name], [`Dimensions.member.${i + 1}.Value`, d.Value]);
  });
  return pairs.reduce((s, [k, v]) => s + 2 + encodeURIComponent(prefix + k).length + encodeURIComponent(v).length, 0);
}

/** Splits the datums into requests of at most `maxDatums` datums and `maxBytes` encoded bytes each, in order. */
export function batchDatums(
  datums: readonly Datum[],
  maxDatums = MAX_DATUMS_PER_REQUEST,
  maxBytes = MAX_REQUEST_BYTES,
  overheadBytes = 200,
): Datum[][] {
  const batches: Datum[][] = [];
  let batch: Datum[] = [];
  let bytes = overheadBytes;
  for (const d of datums) {
    const size = encodedSize(d, batch.length);
    if (batch.length > 0 && (batch.length >= maxDatums || bytes + size > maxBytes)) {
      batches.push(batch);
      batch = [];
      bytes = overheadBytes;
    }
    batch.push(d);
    bytes += encodedSize(d, batch.length - 1);
  }
  if (batch.length > 0) batches.push(batch);
  return batches;
}
