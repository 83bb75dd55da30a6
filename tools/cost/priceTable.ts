/**
 * The price table the cost estimate reads: its schema and its loader. The numbers live in `prices.json` so a
 * price update is a data change reviewed on its own, with a new `version` and `effectiveDate`.
 */
import { z } from "zod";
import rawPrices from "./prices.json";

/** Where the default table comes from, named in validation errors. */
export const DEFAULT_PRICE_TABLE_PATH = "tools/cost/prices.json";

const usd = z.number().nonnegative();

const assumption = z.strictObject({
  value: z.number().nonnegative(),
  unit: z.string().min(1),
  why: z.string().min(1),
});

const regionPrices = z.strictObject({
  /** Dotted keys whose value is an estimate rather than a published list price. */
  estimates: z.array(z.string()),
  natGateway: z.strictObject({ usdPerHour: usd, usdPerGbProcessed: usd }),
  publicIpv4: z.strictObject({ usdPerHour: usd }),
  interfaceEndpoint: z.strictObject({ usdPerAzHour: usd, usdPerGbProcessed: usd }),
  alb: z.strictObject({ usdPerHour: usd, usdPerLcuHour: usd }),
  nlb: z.strictObject({ usdPerHour: usd, usdPerNlcuHour: usd }),
  fargate: z.strictObject({
    x86_64: z.strictObject({ usdPerVcpuHour: usd, usdPerGbHour: usd }),
    arm64: z.strictObject({ usdPerVcpuHour: usd, usdPerGbHour: usd }),
    usdPerEphemeralGbHour: usd,
  }),
  rds: z.strictObject({
    instanceUsdPerHour: z.record(z.string().regex(/^db\.[a-z0-9-]+\.[a-z0-9]+$/), usd),
    storageUsdPerGbMonth: z.strictObject({ gp2: usd, gp3: usd, io1: usd, io2: usd, standard: usd }),
    usdPerProvisionedIopsMonth: z.strictObject({ io1: usd, io2: usd, gp3: usd }),
    gp3UsdPerMibpsMonth: usd,
  }),
  kms: z.strictObject({ usdPerKeyMonth: usd }),
  secretsManager: z.strictObject({ usdPerSecretMonth: usd }),
  cloudwatch: z.strictObject({
    usdPerStandardAlarmMetricMonth: usd,
    usdPerHighResolutionAlarmMetricMonth: usd,
    usdPerCompositeAlarmMonth: usd,
    usdPerDashboardMonth: usd,
    logsUsdPerGbIngested: z.strictObject({ STANDARD: usd, INFREQUENT_ACCESS: usd }),
    logsUsdPerGbMonthStored: usd,
    contributorInsightsUsdPerRuleMonth: usd,
    contributorInsightsUsdPerMillionEvents: usd,
    usdPerCustomMetricMonth: usd,
    /** PutMetricData and the other per-request CloudWatch APIs. */
    usdPer1kApiRequests: usd,
    logsInsightsUsdPerGbScanned: usd,
  }),
  ecr: z.strictObject({ usdPerGbMonth: usd }),
  s3: z.strictObject({ standardUsdPerGbMonth: usd }),
  stepFunctions: z.strictObject({ usdPer1kStandardTransitions: usd }),
  lambda: z.strictObject({ usdPerMillionRequests: usd, arm64UsdPerGbSecond: usd, x86_64UsdPerGbSecond: usd }),
  scheduler: z.strictObject({ usdPerMillionInvocations: usd }),
});

/** Where a group of prices comes from. Patterns are dotted paths into the table; `*` matches any run of characters. */
const provenanceEntry = z.strictObject({
  prices: z.array(z.string().min(1)).min(1),
  source: z.string().min(1),
  asOf: z.iso.date(),
  /** Whether the figures were compared with the source when the entry was last edited. */
  checkedHere: z.boolean(),
  note: z.string().min(1),
});

const volumeBaseline = z.strictObject({ iops: z.number().int().positive(), throughputMibps: z.number().positive() });

export const priceTableSchema = z.strictObject({
  version: z.string().min(1),
  effectiveDate: z.iso.date(),
  currency: z.literal("USD"),
  hoursPerMonth: z.number().positive(),
  source: z.array(z.string().min(1)).min(1),
  policy: z.record(z.string(), z.string()),
  assumptions: z.strictObject({
    natGatewayGbProcessedPerMonth: assumption,
    albAverageLcus: assumption,
    nlbAverageNlcus: assumption,
    loadBalancerPublicIpv4PerSubnet: assumption,
    interfaceEndpointGbProcessedPerMonth: assumption,
    logGroupGbIngestedPerMonthStandard: assumption,
    logGroupGbIngestedPerMonthInfrequentAccess: assumption,
    logGroupNeverExpireMonths: assumption,
    cloudfrontGbOutPerMonth: assumption,
    cloudfrontHttpsRequestsPerMonth: assumption,
    ecrGbStoredPerRepository: assumption,
    s3GbStoredPerBucket: assumption,
    wafRequestsPerMonth: assumption,
    contributorInsightsEventsPerMonth: assumption,
    fleetMigrationRunsPerMonth: assumption,
    migrationTaskStartSeconds: assumption,
    flywayRunSecondsPerSchema: assumption,
    scheduledFunctionSecondsPerRun: assumption,
  }),
  global: z.strictObject({
    cloudfront: z.strictObject({ usdPerGbOut: usd, usdPer10kHttpsRequests: usd }),
    route53: z.strictObject({ usdPerHostedZoneMonth: usd }),
    wafv2: z.strictObject({ usdPerWebAclMonth: usd, usdPerRuleMonth: usd, usdPerMillionRequests: usd }),
    budgets: z.strictObject({
      freeActionEnabledBudgets: z.number().int().nonnegative(),
      usdPerActionEnabledBudgetDay: usd,
    }),
    rdsGp3Baseline: z.strictObject({
      largeVolumeFromGb: z.number().positive(),
      smallVolume: volumeBaseline,
      largeVolume: volumeBaseline,
    }),
    performanceInsightsFreeRetentionDays: z.number().int().nonnegative(),
    fargateFreeEphemeralStorageGb: z.number().nonnegative(),
    rdsPricedEngines: z.array(z.string().min(1)),
  }),
  regions: z
    .record(z.string().regex(/^[a-z]{2}(-[a-z]+)+-\d+$/, "expected an AWS region name such as us-east-1"), regionPrices)
    .refine((regions) => Object.keys(regions).length > 0, "expected at least one region"),
  /** Resource types (or `package:*` patterns) that cost nothing themselves, with the reason. */
  freeTypes: z.record(z.string().min(1), z.string().min(1)),
  /** Source and date of every price: the first entry whose pattern matches a price's dotted path. */
  provenance: z.array(provenanceEntry).min(1),
});

export type PriceTable = z.infer<typeof priceTableSchema>;
export type RegionPrices = PriceTable["regions"][string];

/**
 * Validates a price table and reports every problem at once, each with the dotted key that is wrong, so a bad
 * edit to the data file points at the line to fix.
 */
export function parsePriceTable(raw: unknown, source = "price table"): PriceTable {
  const result = priceTableSchema.safeParse(raw);
  const problems = result.success
    ? unsourcedPrices(result.data).map((key) => `  - ${key}: has no entry in provenance (source and date of the price)`)
    : result.error.issues.map((issue) => {
        const key = issue.path.map(String).join(".") || "(root)";
        return `  - ${key}: ${issue.message}`;
      });
  if (result.success && problems.length === 0) return result.data;
  throw new Error(`Invalid price table ${source}:\n${problems.join("\n")}`);
}

/** Dotted paths of every number under `global` and `regions`: the prices (and allowances) that need a source. */
export function pricePaths(table: Pick<PriceTable, "global" | "regions">): string[] {
  const walk = (node: unknown, path: string): string[] =>
    typeof node === "number"
      ? [path]
      : node !== null && typeof node === "object" && !Array.isArray(node)
        ? Object.entries(node).flatMap(([key, value]) => walk(value, `${path}.${key}`))
        : [];
  return [...walk(table.global, "global"), ...walk(table.regions, "regions")];
}

const patternRegex = (pattern: string) =>
  new RegExp(`^${pattern.replace(/[.+?^${}()|[\]\\]/g, "\\$&").replace(/\*/g, ".*")}$`);

/** The provenance entry of a price: the first whose pattern matches its dotted path. */
export function provenanceOf(table: PriceTable, path: string): PriceTable["provenance"][number] | undefined {
  return table.provenance.find((entry) => entry.prices.some((pattern) => patternRegex(pattern).test(path)));
}

function unsourcedPrices(table: PriceTable): string[] {
  return pricePaths(table).filter((path) => provenanceOf(table, path) === undefined);
}

let defaultTable: PriceTable | undefined;

/** The checked-in table, validated on first use (not at import) so a bad file fails the caller with context. */
export function defaultPriceTable(): PriceTable {
  defaultTable ??= parsePriceTable(rawPrices, DEFAULT_PRICE_TABLE_PATH);
  return defaultTable;
}
