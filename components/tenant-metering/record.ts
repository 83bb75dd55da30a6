/**
 * The metering record: what one collection period cost and used, per tenant and per dimension, in a shape an
 * external billing system can take. The zod schema is the one definition; docs/metering-record.schema.json is
 * generated from it (`npm run docs`) and a test keeps the two equal. Pure.
 *
 * One JSON object per period, stored at `metering/<stack>/<yyyy>/<mm>/<dd>/<periodEnd>.json` (meteringKey).
 */
import { z } from "zod";
import { ATTRIBUTION_METHOD, Attribution, MICRO_USD, MonthlyCost, POOL_DRIVERS, PPM } from "./attribution";
import { TenantMeasures } from "./topTenants";

export const RECORD_SCHEMA_VERSION = "1";
/** Where the collector writes; the role may put objects under this prefix only. */
export const METERING_PREFIX = "metering/";

const count = (what: string) => z.number().int().nonnegative().describe(what);
const isoInstant = z.iso.datetime({ offset: false }).describe("ISO 8601 instant, UTC (…Z)");

const usage = z
  .strictObject({
    dbTimeMs: z
      .number()
      .nonnegative()
      .describe("Database time of the tenant's statements (pg_stat_statements total_exec_time), milliseconds"),
    calls: count("Statements executed"),
    rows: count("Rows returned or affected"),
    storageBytes: count("Size of the tenant's schema at the end of the period, bytes"),
    requests: count("Requests the service answered for the tenant (its request log lines)"),
    errors: count("Of those, answered with a 5xx"),
  })
  .describe("What the tenant used in the period, per dimension");

const pools = z.strictObject({
  database: z.number().nonnegative(),
  compute: z.number().nonnegative(),
  loadBalancer: z.number().nonnegative(),
});

export const meteringRecordSchema = z
  .strictObject({
    schemaVersion: z.literal(RECORD_SCHEMA_VERSION),
    stack: z.string().min(1).describe("The stack's name prefix, e.g. saas-prod"),
    period: z.strictObject({ start: isoInstant, end: isoInstant }),
    currency: z.literal("USD"),
    method: z
      .strictObject({
        version: z.literal(ATTRIBUTION_METHOD),
        costSource: z.enum(["estimate", "actual"]),
        monthlyCostUsd: pools.describe("The stack's monthly cost by pool the period's cost was taken from"),
        weights: z
          .record(z.string(), z.record(z.string(), z.number()))
          .describe("Each pool's drivers and weights (runbooks/tenant-metering.md)"),
      })
      .describe("How costUsd was computed"),
    costUsd: z
      .number()
      .nonnegative()
      .describe("The period's cost of the three pools; the tenants' costUsd add up to it"),
    tenants: z.array(
      z.strictObject({
        tenantId: z.string().regex(/^[a-z][a-z0-9_]{1,30}$/),
        usage,
        sharePercent: z
          .number()
          .min(0)
          .max(100)
          .describe("Share of the period's cost, 4 decimals; all tenants' add up to 100 exactly"),
        costUsd: z.number().nonnegative().describe("The tenant's part of the period's cost, 6 decimals"),
        costByPoolUsd: pools,
      }),
    ),
    platform: z
      .strictObject({ dbTimeMs: z.number().nonnegative() })
      .describe("Database time of non-tenant roles (provisioner, migrations, the collector): overhead"),
    caveats: z
      .array(z.string())
      .describe(
        "Why some numbers of the period are not exact (a statistics reset, evicted entries); empty when they are",
      ),
  })
  .describe("Per-tenant usage and cost of one metering period");

export type MeteringRecord = z.infer<typeof meteringRecordSchema>;

/** The JSON Schema of the record (draft 2020-12), as committed in docs/metering-record.schema.json. */
export function meteringRecordJsonSchema(): Record<string, unknown> {
  return {
    $id: "https://saas-foundation.example/metering-record.schema.json",
    title: "Metering record",
    ...(z.toJSONSchema(meteringRecordSchema, { target: "draft-2020-12" }) as Record<string, unknown>),
  };
}

export interface BuildRecordInput {
  readonly stack: string;
  readonly periodStart: string;
  readonly periodEnd: string;
  readonly tenants: readonly TenantMeasures[];
  readonly platformDbTimeMs: number;
  /** From the usage sample: why some numbers are not exact deltas. */
  readonly caveats?: readonly string[];
  readonly cost: MonthlyCost;
  readonly attribution: Attribution;
}

const usd = (micro: number) => micro / MICRO_USD;

export function buildRecord(input: BuildRecordInput): MeteringRecord {
  const byId = new Map(input.attribution.tenants.map((a) => [a.tenantId, a]));
  const record: MeteringRecord = {
    schemaVersion: RECORD_SCHEMA_VERSION,
    stack: input.stack,
    period: { start: input.periodStart, end: input.periodEnd },
    currency: "USD",
    method: {
      version: ATTRIBUTION_METHOD,
      costSource: input.cost.source,
      monthlyCostUsd: {
        database: input.cost.databaseUsd,
        compute: input.cost.computeUsd,
        loadBalancer: input.cost.loadBalancerUsd,
      },
      weights: POOL_DRIVERS as Record<string, Record<string, number>>,
    },
    costUsd: usd(input.attribution.totalMicroUsd),
    tenants: input.tenants.map((t) => {
      const a = byId.get(t.tenantId);
      if (!a) throw new Error(`metering record: tenant ${JSON.stringify(t.tenantId)} has no attribution`);
      return {
        tenantId: t.tenantId,
        usage: {
          dbTimeMs: t.dbTimeMs,
          calls: t.calls,
          rows: t.rows,
          storageBytes: t.storageBytes,
          requests: t.requests,
          errors: t.errors,
        },
        sharePercent: (a.sharePpm * 100) / PPM,
        costUsd: usd(a.costMicroUsd),
        costByPoolUsd: {
          database: usd(a.poolsMicroUsd.database),
          compute: usd(a.poolsMicroUsd.compute),
          loadBalancer: usd(a.poolsMicroUsd.loadBalancer),
        },
      };
    }),
    platform: { dbTimeMs: input.platformDbTimeMs },
    caveats: [...(input.caveats ?? [])],
  };
  return meteringRecordSchema.parse(record);
}

/**
 * The record's S3 key: by day of the period's end, so a month is one prefix to list and a lifecycle rule can
 * expire whole days. The end instant names the object: a retried collection of the same period overwrites its
 * own record instead of adding a second one.
 */
export function meteringKey(stack: string, periodEnd: string): string {
  const end = new Date(periodEnd);
  if (Number.isNaN(end.getTime()))
    throw new Error(`meteringKey: period end ${JSON.stringify(periodEnd)} is not a date`);
  const iso = end.toISOString();
  return `${METERING_PREFIX}${stack}/${iso.slice(0, 4)}/${iso.slice(5, 7)}/${iso.slice(8, 10)}/${iso}.json`;
}
