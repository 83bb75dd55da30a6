/**
 * Per-tenant views of the service's request log, as CloudWatch Contributor Insights rules. Pure: the monitoring
 * component creates one rule per entry, the dashboard shows their top contributors, the tests read the JSON.
 *
 * The service writes one JSON line per request (app/README.md): `msg` "request", `tenantId` (null when the token
 * was not verified), `route`, `status`, `durationMs`. Contributor Insights ranks the tenants by those lines without
 * a metric per tenant: a rule is billed per rule and per matched log event, whatever the number of tenants, and
 * reports the top contributors it sees (at most 100 per report). Per-tenant custom metrics (a metric filter with
 * a tenantId dimension) would instead be 3 metrics per tenant: at 1,000 tenants 3,000 metrics, about 900 USD a
 * month at 0.30 USD per metric, growing with every tenant. docs/platform.md#per-tenant-observability.
 */

/** What a rule ranks tenants by. */
export const TENANT_INSIGHTS = [
  {
    key: "requests",
    title: "Top tenants by requests",
    aggregateOn: "Count",
    valueOf: undefined,
    serverErrorsOnly: false,
  },
  {
    key: "errors",
    title: "Top tenants by 5xx responses",
    aggregateOn: "Count",
    valueOf: undefined,
    serverErrorsOnly: true,
  },
  {
    key: "latency",
    title: "Top tenants by time spent in requests (sum of ms)",
    aggregateOn: "Sum",
    valueOf: "$.durationMs",
    serverErrorsOnly: false,
  },
] as const;

export type TenantInsightKey = (typeof TENANT_INSIGHTS)[number]["key"];

/** The rule's name: `<namePrefix>-tenant-<key>`. */
export function tenantInsightRuleName(namePrefix: string, key: TenantInsightKey): string {
  return `${namePrefix}-tenant-${key}`;
}

/**
 * The rule definition (CloudWatch User Guide, "Contributor Insights rule syntax"): the request lines of the
 * service's log group, keyed by tenant; 5xx only for the error rule; the request durations summed for latency.
 */
export function tenantInsightRuleDefinition(logGroupName: string, key: TenantInsightKey): Record<string, unknown> {
  const spec = TENANT_INSIGHTS.find((s) => s.key === key);
  if (!spec) {
    throw new Error(`unknown tenant insight ${JSON.stringify(key)}`);
  }
  const filters: Record<string, unknown>[] = [{ Match: "$.msg", In: ["request"] }];
  if (spec.serverErrorsOnly) {
    filters.push({ Match: "$.status", GreaterThan: 499 });
  }
  return {
    Schema: { Name: "CloudWatchLogRule", Version: 1 },
    LogGroupNames: [logGroupName],
    LogFormat: "JSON",
    Contribution: {
      Keys: ["$.tenantId"],
      ...(spec.valueOf ? { ValueOf: spec.valueOf } : {}),
      Filters: filters,
    },
    AggregateOn: spec.aggregateOn,
  };
}
