/**
 * Attribution: what share of the stack's cost each tenant drives. Pure.
 *
 * Method `tenant-share/v1` (runbooks/tenant-metering.md, "Reading the attribution"):
 *
 * 1. The stack's monthly cost is taken in three pools, from the cost estimate of this stack (tools/cost, the
 *    figures `npm run plan` prints) or, when given, from the actual bill:
 *      database       the RDS instance and its storage
 *      compute        the service's Fargate tasks
 *      loadBalancer   the application load balancer (hours and capacity units)
 * 2. Each pool is divided by drivers with fixed weights (POOL_DRIVERS): the database by database time (80 %) and
 *    storage (20 %) — the instance is sized for load, the volume for data; compute and the load balancer by
 *    requests (100 %). A tenant's part of a pool is Σ weight × (tenant's driver / all tenants' driver).
 * 3. Zero usage: a driver nobody used in the period gives its weight to the pool's other drivers; a pool whose
 *    drivers nobody used is split equally (it is the platform's fixed cost, held by every tenant alike).
 *    Database time of non-tenant roles (provisioner, migrations, the collector) is overhead: it is not a tenant's
 *    and is spread with the tenants' own shares.
 * 4. A period's cost is the monthly pools × the period's length / the month's hours (730, the estimate's).
 * 5. Rounding: money in micro-dollars and shares in parts per million, each apportioned with the largest-remainder
 *    method (ties: by tenant id), so tenants' costs add up to the period's cost and shares to 100 % exactly.
 *
 * Changing a weight or a rule is a new method version: a billing system must be able to tell records apart.
 */
import { MEASURES, Measure } from "./topTenants";

export const ATTRIBUTION_METHOD = "tenant-share/v1";
/** The month the pools are per: the cost estimate's (tools/cost/prices.json hoursPerMonth). */
export const HOURS_PER_MONTH = 730;
export const PPM = 1_000_000;
export const MICRO_USD = 1_000_000;

export const POOLS = ["database", "compute", "loadBalancer"] as const;
export type Pool = (typeof POOLS)[number];

/** The drivers each pool is divided by, with their weights (each pool's sum to 1). */
export const POOL_DRIVERS: Readonly<Record<Pool, Readonly<Partial<Record<Measure, number>>>>> = {
  database: { dbTimeMs: 0.8, storageBytes: 0.2 },
  compute: { requests: 1 },
  loadBalancer: { requests: 1 },
};

/** The stack's monthly cost by pool, in USD. */
export interface MonthlyCost {
  readonly databaseUsd: number;
  readonly computeUsd: number;
  readonly loadBalancerUsd: number;
  /** `estimate`: tools/cost's estimate of this stack; `actual`: the bill. */
  readonly source: "estimate" | "actual";
}

export interface TenantUsageForAttribution {
  readonly tenantId: string;
  readonly dbTimeMs: number;
  readonly storageBytes: number;
  readonly requests: number;
}

export interface TenantAttribution {
  readonly tenantId: string;
  /** Parts per million of the period's cost; all tenants' add up to exactly 1,000,000. */
  readonly sharePpm: number;
  /** The period's cost in micro-dollars; all tenants' add up to exactly `totalMicroUsd`. */
  readonly costMicroUsd: number;
  /** The same, per pool. */
  readonly poolsMicroUsd: Readonly<Record<Pool, number>>;
}

export interface Attribution {
  readonly method: typeof ATTRIBUTION_METHOD;
  readonly totalMicroUsd: number;
  readonly poolsMicroUsd: Readonly<Record<Pool, number>>;
  /** One per tenant, in the order given. Empty when there are no tenants (the cost is then nobody's). */
  readonly tenants: readonly TenantAttribution[];
}

const poolUsd = (cost: MonthlyCost, pool: Pool) =>
  pool === "database" ? cost.databaseUsd : pool === "compute" ? cost.computeUsd : cost.loadBalancerUsd;

/**
 * Splits `total` integer units in proportion to `weights` with the largest-remainder (Hamilton) method: every
 * part is the floor of its quota, and the units left go one each to the largest remainders (ties: the earlier
 * key in sort order). The parts add up to `total` exactly. All-zero weights split equally.
 */
export function apportion(total: number, weights: readonly { key: string; weight: number }[]): Map<string, number> {
  if (!Number.isSafeInteger(total) || total < 0) throw new Error(`apportion: total ${total} is not a whole number ≥ 0`);
  for (const w of weights) {
    if (!Number.isFinite(w.weight) || w.weight < 0) {
      throw new Error(`apportion: weight of ${JSON.stringify(w.key)} is ${w.weight}, expected a finite number ≥ 0`);
    }
  }
  const result = new Map<string, number>();
  if (weights.length === 0) return result;
  const sum = weights.reduce((s, w) => s + w.weight, 0);
  const effective = sum > 0 ? weights : weights.map((w) => ({ key: w.key, weight: 1 }));
  const effectiveSum = sum > 0 ? sum : weights.length;
  let given = 0;
  const remainders = effective.map((w) => {
    const quota = (total * w.weight) / effectiveSum;
    const floor = Math.floor(quota);
    given += floor;
    result.set(w.key, floor);
    return { key: w.key, remainder: quota - floor };
  });
  remainders.sort((a, b) => b.remainder - a.remainder || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  for (let i = 0; given < total; i = (i + 1) % remainders.length, given++) {
    const key = remainders[i].key;
    result.set(key, (result.get(key) ?? 0) + 1);
  }
  return result;
}

/** Each tenant's fractional share of one pool (they add up to 1), with the zero-usage rules of step 3. */
export function poolShares(pool: Pool, tenants: readonly TenantUsageForAttribution[]): Map<string, number> {
  const shares = new Map<string, number>(tenants.map((t) => [t.tenantId, 0]));
  if (tenants.length === 0) return shares;
  const drivers = Object.entries(POOL_DRIVERS[pool]) as [Measure, number][];
  const totals = drivers.map(([m]) => tenants.reduce((s, t) => s + measure(t, m), 0));
  const usedWeight = drivers.reduce((s, [, w], i) => s + (totals[i] > 0 ? w : 0), 0);
  if (usedWeight === 0) {
    for (const t of tenants) shares.set(t.tenantId, 1 / tenants.length);
    return shares;
  }
  drivers.forEach(([m, w], i) => {
    if (totals[i] === 0) return;
    for (const t of tenants) {
      shares.set(t.tenantId, (shares.get(t.tenantId) ?? 0) + ((w / usedWeight) * measure(t, m)) / totals[i]);
    }
  });
  return shares;
}

function measure(t: TenantUsageForAttribution, m: Measure): number {
  return m === "dbTimeMs" || m === "storageBytes" || m === "requests" ? t[m] : 0;
}

export function attributionProblems(
  tenants: readonly TenantUsageForAttribution[],
  cost: MonthlyCost,
  periodMs: number,
): string[] {
  const problems: string[] = [];
  for (const pool of POOLS) {
    const usd = poolUsd(cost, pool);
    if (!Number.isFinite(usd) || usd < 0) problems.push(`cost.${pool}Usd: expected a number ≥ 0, got ${usd}`);
  }
  if (!Number.isFinite(periodMs) || periodMs <= 0)
    problems.push(`period: expected a positive length, got ${periodMs} ms`);
  const seen = new Set<string>();
  tenants.forEach((t, i) => {
    if (seen.has(t.tenantId)) problems.push(`tenants[${i}]: ${JSON.stringify(t.tenantId)} appears twice`);
    seen.add(t.tenantId);
    for (const m of ["dbTimeMs", "storageBytes", "requests"] as const) {
      if (!Number.isFinite(t[m]) || t[m] < 0) {
        problems.push(`tenants[${i}].${m}: expected a number ≥ 0, got ${t[m]}`);
      }
    }
  });
  return problems;
}

/** The tenants' cost of one period, by the method above. */
export function attribute(
  tenants: readonly TenantUsageForAttribution[],
  cost: MonthlyCost,
  periodMs: number,
): Attribution {
  const problems = attributionProblems(tenants, cost, periodMs);
  if (problems.length > 0) throw new Error(`attribution: ${problems.join("; ")}`);
  const fraction = periodMs / (HOURS_PER_MONTH * 3_600_000);
  const poolsMicroUsd = Object.fromEntries(
    POOLS.map((p) => [p, Math.round(poolUsd(cost, p) * MICRO_USD * fraction)]),
  ) as Record<Pool, number>;
  const totalMicroUsd = POOLS.reduce((s, p) => s + poolsMicroUsd[p], 0);
  const shares = Object.fromEntries(POOLS.map((p) => [p, poolShares(p, tenants)])) as Record<Pool, Map<string, number>>;
  const parts = Object.fromEntries(
    POOLS.map((p) => [
      p,
      apportion(
        poolsMicroUsd[p],
        tenants.map((t) => ({ key: t.tenantId, weight: shares[p].get(t.tenantId) ?? 0 })),
      ),
    ]),
  ) as Record<Pool, Map<string, number>>;
  // The share of the whole: each pool's share weighted by the pool's money; with no money at all (a stack whose
  // cost is not known yet), the pools count alike.
  const poolWeight = (p: Pool) => (totalMicroUsd > 0 ? poolsMicroUsd[p] / totalMicroUsd : 1 / POOLS.length);
  const ppm = apportion(
    PPM,
    tenants.map((t) => ({
      key: t.tenantId,
      weight: POOLS.reduce((s, p) => s + poolWeight(p) * (shares[p].get(t.tenantId) ?? 0), 0),
    })),
  );
  return {
    method: ATTRIBUTION_METHOD,
    totalMicroUsd,
    poolsMicroUsd,
    tenants: tenants.map((t) => {
      const pools = Object.fromEntries(POOLS.map((p) => [p, parts[p].get(t.tenantId) ?? 0])) as Record<Pool, number>;
      return {
        tenantId: t.tenantId,
        sharePpm: ppm.get(t.tenantId) ?? 0,
        costMicroUsd: POOLS.reduce((s, p) => s + pools[p], 0),
        poolsMicroUsd: pools,
      };
    }),
  };
}

/** The measures attribution reads, for documentation and the record's schema. */
export const ATTRIBUTION_MEASURES: readonly Measure[] = MEASURES.filter((m) =>
  POOLS.some((p) => POOL_DRIVERS[p][m] !== undefined),
);
