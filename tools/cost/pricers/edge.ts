/** Pricers of CloudFront distributions, S3 buckets, Route 53 hosted zones and Budgets actions. */
import { Pricer, str } from "../context";

const priceDistribution: Pricer = (r, ctx) => {
  const cf = ctx.global.cloudfront;
  const gb = ctx.assumptions.cloudfrontGbOutPerMonth.value;
  const requests = ctx.assumptions.cloudfrontHttpsRequestsPerMonth.value;
  const label = `CloudFront distribution ${r.name}`;
  ctx.add(r, {
    resource: `${label}: data transfer out`,
    quantity: gb,
    unit: "GB",
    unitPriceUsd: cf.usdPerGbOut,
    note: `assumed ${gb} GB per month from United States/Europe edges (assumptions.cloudfrontGbOutPerMonth)`,
  });
  ctx.add(r, {
    resource: `${label}: HTTPS requests`,
    quantity: requests / 1e4,
    unit: "10k requests",
    unitPriceUsd: cf.usdPer10kHttpsRequests,
    note: `assumed ${requests} requests per month (assumptions.cloudfrontHttpsRequestsPerMonth)`,
  });
};

const priceBucket: Pricer = (r, ctx) => {
  const gb = ctx.assumptions.s3GbStoredPerBucket.value;
  ctx.add(r, {
    resource: `S3 bucket ${r.name}`,
    quantity: gb,
    unit: "GB-months",
    unitPriceUsd: ctx.prices(r).s3.standardUsdPerGbMonth,
    note: `assumed ${gb} GB in S3 Standard (assumptions.s3GbStoredPerBucket); requests not priced`,
  });
};

const priceHostedZone: Pricer = (r, ctx) => {
  ctx.add(r, {
    resource: `Route 53 hosted zone ${r.name}`,
    quantity: 1,
    unit: "zone-months",
    unitPriceUsd: ctx.global.route53.usdPerHostedZoneMonth,
    note: "queries not priced",
  });
};

/** Budgets themselves are free; only the action-enabled ones beyond the account's free allowance cost money. */
const priceBudgetAction: Pricer = (r, ctx) => {
  const budgetName = str(r.inputs.budgetName) ?? r.name;
  const { first, withinFree } = ctx.addActionEnabledBudget(budgetName);
  if (!first || withinFree) {
    ctx.free(r.type);
    return;
  }
  ctx.add(r, {
    resource: `Action-enabled budget ${budgetName}`,
    quantity: ctx.hours / 24,
    unit: "budget-days",
    unitPriceUsd: ctx.global.budgets.usdPerActionEnabledBudgetDay,
    note: `beyond the first ${ctx.global.budgets.freeActionEnabledBudgets} action-enabled budgets, which are free`,
  });
};

export const EDGE_PRICERS: Readonly<Record<string, Pricer>> = {
  "aws:cloudfront/distribution:Distribution": priceDistribution,
  "aws:s3/bucket:Bucket": priceBucket,
  "aws:s3/bucketV2:BucketV2": priceBucket,
  "aws:route53/zone:Zone": priceHostedZone,
  "aws:budgets/budgetAction:BudgetAction": priceBudgetAction,
};
