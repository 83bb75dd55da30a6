/**
 * Pricers of CloudWatch alarms (including target-tracking scaling policies' alarms), dashboards, log groups and
 * Contributor Insights rules.
 */
import { Pricer, str, num, arr, obj } from "../context";

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

/** A Contributor Insights rule on CloudWatch Logs: a monthly fee per rule and a fee per matched log event. */
const priceContributorInsightRule: Pricer = (r, ctx) => {
  const cw = ctx.prices(r).cloudwatch;
  const events = ctx.assumptions.contributorInsightsEventsPerMonth.value;
  const label = `Contributor Insights rule ${r.name}`;
  ctx.add(r, {
    resource: label,
    quantity: 1,
    unit: "rule-months",
    unitPriceUsd: cw.contributorInsightsUsdPerRuleMonth,
  });
  ctx.add(r, {
    resource: `${label}: matched log events`,
    quantity: events / 1e6,
    unit: "million events",
    unitPriceUsd: cw.contributorInsightsUsdPerMillionEvents,
    note: `assumed ${events} matched events per month (assumptions.contributorInsightsEventsPerMonth); an upper bound for a rule whose filters match fewer lines (5xx only); the cost does not grow with the number of tenants`,
  });
};

export const OBSERVABILITY_PRICERS: Readonly<Record<string, Pricer>> = {
  "aws:cloudwatch/contributorInsightRule:ContributorInsightRule": priceContributorInsightRule,
  "aws:cloudwatch/metricAlarm:MetricAlarm": priceMetricAlarm,
  "aws:cloudwatch/compositeAlarm:CompositeAlarm": priceCompositeAlarm,
  "aws:cloudwatch/dashboard:Dashboard": priceDashboard,
  "aws:cloudwatch/logGroup:LogGroup": priceLogGroup,
  "aws:appautoscaling/policy:Policy": priceScalingPolicy,
};
