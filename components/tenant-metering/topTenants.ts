/**
 * Bounded metric cardinality: the collector publishes the top N tenants by database time under their own name
 * and sums the rest into one `__other__` series, so the stack pays for N + 1 series per metric whether it has
 * ten tenants or ten thousand (CloudWatch bills each distinct name/dimension combination as a custom metric).
 * Pure.
 */

/** The dimension value of the rest. Tenant ids start with a letter (TENANT_ID_PATTERN): no tenant can be named this. */
export const OTHER_TENANT = "__other__";
/** How the dashboard labels the rest. */
export const OTHER_LABEL = "Other";

/** The smallest and largest N the config accepts: at 100 the dashboard graph (101 lines) is still readable. */
export const MIN_TOP_TENANTS = 1;
export const MAX_TOP_TENANTS = 100;

/** What the collector measured for one tenant over one period (the metrics it publishes). */
export interface TenantMeasures {
  readonly tenantId: string;
  readonly dbTimeMs: number;
  readonly calls: number;
  readonly rows: number;
  readonly storageBytes: number;
  readonly requests: number;
  readonly errors: number;
}

/** The measures that are summed into the rest (all but the id). */
export const MEASURES = ["dbTimeMs", "calls", "rows", "storageBytes", "requests", "errors"] as const;
export type Measure = (typeof MEASURES)[number];

export interface TopTenants {
  /** The top N by database time, largest first (ties: by tenant id), each under its own name. */
  readonly named: readonly TenantMeasures[];
  /** Everyone else summed, as `__other__`; all zeros when there are N tenants or fewer. Always present. */
  readonly other: TenantMeasures;
  /** How many tenants `other` sums. */
  readonly otherCount: number;
}

/** Largest database time first; equal times by tenant id, so the same usage always names the same tenants. */
export function byDatabaseTime(a: TenantMeasures, b: TenantMeasures): number {
  return b.dbTimeMs - a.dbTimeMs || (a.tenantId < b.tenantId ? -1 : a.tenantId > b.tenantId ? 1 : 0);
}

export function topTenantsProblem(n: unknown): string | undefined {
  return typeof n === "number" && Number.isInteger(n) && n >= MIN_TOP_TENANTS && n <= MAX_TOP_TENANTS
    ? undefined
    : `topTenants: expected an integer from ${MIN_TOP_TENANTS} to ${MAX_TOP_TENANTS}, got ${JSON.stringify(n)}`;
}

/**
 * Splits the tenants into the top `n` by database time and the rest summed. The `other` series is always there
 * (zeros when nobody is left over), so the number of series is exactly min(tenants, n) + 1.
 */
export function topTenants(tenants: readonly TenantMeasures[], n: number): TopTenants {
  const problem = topTenantsProblem(n);
  if (problem) throw new Error(problem);
  const seen = new Set<string>();
  for (const t of tenants) {
    if (t.tenantId === OTHER_TENANT) throw new Error(`tenant id ${JSON.stringify(OTHER_TENANT)} is reserved`);
    if (seen.has(t.tenantId)) throw new Error(`tenant ${JSON.stringify(t.tenantId)} appears twice`);
    seen.add(t.tenantId);
  }
  const ranked = [...tenants].sort(byDatabaseTime);
  const rest = ranked.slice(n);
  const other = { tenantId: OTHER_TENANT } as Record<string, number | string>;
  for (const m of MEASURES) other[m] = rest.reduce((sum, t) => sum + t[m], 0);
  return { named: ranked.slice(0, n), other: other as unknown as TenantMeasures, otherCount: rest.length };
}
