/**
 * Requests and errors per tenant, from the service's request log lines (one JSON line per request:
 * `{"msg":"request","tenantId",…,"status",…}`), counted by a CloudWatch Logs Insights query over the period.
 * Pure: the query text and the reading of its results.
 */

/**
 * Grouped by tenant and status class (floor(status / 100): 2, 3, 4, 5), so one query gives both counts: Logs
 * Insights discovers the fields of JSON log events by itself. A tenant has at most five rows, so the 10,000 rows
 * a query returns at most hold 2,000 tenants; the reader refuses a result that reached the limit rather than
 * undercount.
 */
export const REQUESTS_QUERY =
  'filter msg = "request" | fields floor(status / 100) as statusClass' +
  " | stats count(*) as requests by tenantId, statusClass | limit 10000";

/** Logs Insights returns at most this many rows (StartQuery `limit`, CloudWatch Logs API Reference). */
export const MAX_QUERY_ROWS = 10_000;

export interface RequestCounts {
  /** Tenant id → requests and 5xx answers. */
  readonly byTenant: ReadonlyMap<string, { readonly requests: number; readonly errors: number }>;
  /** Requests with no verified tenant (`tenantId` null: the token was not verified). */
  readonly unattributed: { readonly requests: number; readonly errors: number };
}

/** One result row, as GetQueryResults returns it: a list of `{ field, value }`. */
export type ResultRow = readonly { readonly field?: string; readonly value?: string }[];

export function parseRequestCounts(rows: readonly ResultRow[]): RequestCounts {
  if (rows.length >= MAX_QUERY_ROWS) {
    throw new Error(
      `request counts: the query returned ${rows.length} rows, Logs Insights' limit; counts would be incomplete`,
    );
  }
  const byTenant = new Map<string, { requests: number; errors: number }>();
  const unattributed = { requests: 0, errors: 0 };
  for (const row of rows) {
    const field = (name: string) => row.find((c) => c.field === name)?.value;
    const tenantId = field("tenantId");
    const requests = Number(field("requests") ?? "0");
    const statusClass = Number(field("statusClass"));
    if (!Number.isFinite(requests))
      throw new Error(`request counts: ${JSON.stringify(field("requests"))} is not a count`);
    const into =
      tenantId === undefined || tenantId === "" || tenantId === "null"
        ? unattributed
        : (byTenant.get(tenantId) ?? byTenant.set(tenantId, { requests: 0, errors: 0 }).get(tenantId)!);
    into.requests += requests;
    if (statusClass === 5) into.errors += requests;
  }
  return { byTenant, unattributed };
}
