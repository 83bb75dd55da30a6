/**
 * Pricers of scheduled work: an EventBridge Scheduler schedule, the Lambda function it runs (requests and
 * duration), and, when that function is the tenant usage collector (it has METRIC_NAMESPACE and TOP_TENANTS in
 * its environment), what it buys from CloudWatch: N + 1 series × 6 custom metrics plus the share metric,
 * its PutMetricData requests and the Logs Insights bytes its request counts scan.
 */
import type { PlannedResource } from "../../engine/types";
import { customMetricCount, MAX_DATUMS_PER_REQUEST } from "../../../components/tenant-metering/publish";
import { EstimateContext, Pricer, num, obj, str, arr } from "../context";

const FUNCTION = "aws:lambda/function:Function";

/** Minutes between runs of `rate(N minute|minutes|hour|hours|day|days)`; undefined for cron and anything else. */
export function rateMinutes(expression: string | undefined): number | undefined {
  const m = /^rate\((\d+) (minute|minutes|hour|hours|day|days)\)$/.exec(expression ?? "");
  if (!m) return undefined;
  const n = Number(m[1]);
  return m[2].startsWith("minute") ? n : m[2].startsWith("hour") ? n * 60 : n * 1440;
}

function scheduledFunctions(ctx: EstimateContext): Map<unknown, PlannedResource> {
  const byArn = new Map<unknown, PlannedResource>();
  for (const r of ctx.resources) if (r.type === FUNCTION) byArn.set(r.outputs.arn, r);
  return byArn;
}

const priceSchedule: Pricer = (r, ctx) => {
  const expression = str(r.inputs.scheduleExpression);
  const minutes = rateMinutes(expression);
  if (minutes === undefined) {
    ctx.unpriced(r.type, `schedule expression ${expression ?? "(none)"} is not a rate(...) expression`);
    return;
  }
  const runs = (ctx.hours * 60) / minutes;
  const prices = ctx.prices(r);
  ctx.add(r, {
    resource: `EventBridge schedule ${r.name}: invocations`,
    quantity: runs / 1_000_000,
    unit: "million invocations",
    unitPriceUsd: prices.scheduler.usdPerMillionInvocations,
    note: `${expression}: ${runs} runs a month; the account's 14 million free invocations are not applied`,
  });
  const fn = scheduledFunctions(ctx).get(obj(r.inputs.target).arn);
  if (!fn) {
    ctx.unpriced(r.type, `partially priced: the schedule's target is not a function in the plan`);
    return;
  }
  const seconds = ctx.assumptions.scheduledFunctionSecondsPerRun.value;
  const gb = (num(fn.inputs.memorySize) ?? 128) / 1024;
  const arm = arr(fn.inputs.architectures).includes("arm64");
  ctx.add(fn, {
    resource: `Lambda function ${fn.name}: requests`,
    quantity: runs / 1_000_000,
    unit: "million requests",
    unitPriceUsd: prices.lambda.usdPerMillionRequests,
    note: `run by ${r.name}`,
  });
  ctx.add(fn, {
    resource: `Lambda function ${fn.name}: duration (${arm ? "arm64" : "x86_64"}, ${gb * 1024} MB)`,
    quantity: runs * seconds * gb,
    unit: "GB-seconds",
    unitPriceUsd: arm ? prices.lambda.arm64UsdPerGbSecond : prices.lambda.x86_64UsdPerGbSecond,
    note: `${seconds} s a run (assumptions.scheduledFunctionSecondsPerRun); the free tier is not applied`,
  });

  const env = obj(obj(fn.inputs.environment).variables);
  const topTenants = num(env.TOP_TENANTS);
  if (str(env.METRIC_NAMESPACE) === undefined || topTenants === undefined) return;
  const cw = prices.cloudwatch;
  const metrics = customMetricCount(topTenants);
  ctx.add(fn, {
    resource: `Tenant metrics of ${fn.name}: custom metrics`,
    type: "aws:cloudwatch:CustomMetric",
    quantity: metrics,
    unit: "metric-months",
    unitPriceUsd: cw.usdPerCustomMetricMonth,
    note: `an upper bound: (${topTenants} named tenants + __other__) × 6 metrics + the largest share, fewer while the stack has fewer tenants; first-10,000 tier; the 10 free metrics are not applied`,
  });
  ctx.add(fn, {
    resource: `Tenant metrics of ${fn.name}: PutMetricData requests`,
    type: "aws:cloudwatch:CustomMetric",
    quantity: (runs * Math.ceil(metrics / MAX_DATUMS_PER_REQUEST)) / 1000,
    unit: "1k requests",
    unitPriceUsd: cw.usdPer1kApiRequests,
    note: `at most ${MAX_DATUMS_PER_REQUEST} metrics a request`,
  });
  const scannedGb = ctx.assumptions.logGroupGbIngestedPerMonthStandard.value;
  ctx.add(fn, {
    resource: `Request counts of ${fn.name}: Logs Insights data scanned`,
    type: "aws:cloudwatch:LogsInsightsQuery",
    quantity: scannedGb,
    unit: "GB",
    unitPriceUsd: cw.logsInsightsUsdPerGbScanned,
    note: "each run scans its period of the service's log group once: a month scans a month of ingestion (assumptions.logGroupGbIngestedPerMonthStandard); StartQuery and GetQueryResults are not charged per request",
  });
};

/** A function is priced by what runs it: a schedule (above); one invoked on demand (deploys, commands) is not. */
const priceFunction: Pricer = (r, ctx) => {
  const scheduled = ctx.resources.some(
    (s) => s.type === "aws:scheduler/schedule:Schedule" && obj(s.inputs.target).arn === r.outputs.arn,
  );
  if (scheduled) ctx.free(r.type);
  else ctx.unpriced(r.type, "invoked on demand (pulumi up, commands): requests and duration are not priced");
};

export const SCHEDULED_PRICERS: Readonly<Record<string, Pricer>> = {
  "aws:scheduler/schedule:Schedule": priceSchedule,
  [FUNCTION]: priceFunction,
};
