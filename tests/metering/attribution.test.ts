import {
  apportion,
  HOURS_PER_MONTH,
  attribute,
  MonthlyCost,
  POOL_DRIVERS,
  TenantUsageForAttribution,
} from "../../components/tenant-metering/attribution";

/** A 730-hour month: one hour is 1/730 of each pool. $730 a month in each pool is $1 an hour. */
const HOUR = 3_600_000;
const COST: MonthlyCost = { databaseUsd: 730, computeUsd: 365, loadBalancerUsd: 73, source: "estimate" };
const usage = (tenantId: string, dbTimeMs: number, storageBytes: number, requests: number) =>
  ({ tenantId, dbTimeMs, storageBytes, requests }) satisfies TenantUsageForAttribution;

describe("apportion (largest remainder)", () => {
  it.each([
    // total, weights, expected parts
    [100, [1, 1, 1], [34, 33, 33]],
    [10, [1, 2, 3, 4], [1, 2, 3, 4]],
    [1, [1, 1], [1, 0]],
    [7, [0, 0, 0], [3, 2, 2]],
    [1_000_000, [1, 1, 1], [333334, 333333, 333333]],
    [5, [0.5, 0.5, 0], [3, 2, 0]],
    [0, [1, 2], [0, 0]],
  ])("%p over %p gives %p", (total, weights, expected) => {
    const parts = apportion(
      total,
      weights.map((weight, i) => ({ key: `k${i}`, weight })),
    );
    expect([...parts.values()]).toEqual(expected);
  });

  it("gives a remainder to the larger fraction first (2/3 before 1/3)", () => {
    expect(
      Object.fromEntries(
        apportion(1, [
          { key: "a", weight: 1 },
          { key: "b", weight: 2 },
        ]),
      ),
    ).toEqual({ a: 0, b: 1 });
  });

  it("refuses negative weights and fractional totals", () => {
    expect(() => apportion(10, [{ key: "a", weight: -1 }])).toThrow(
      'apportion: weight of "a" is -1, expected a finite number ≥ 0',
    );
    expect(() => apportion(1.5, [{ key: "a", weight: 1 }])).toThrow("apportion: total 1.5 is not a whole number ≥ 0");
  });
});

describe("attribute (method tenant-share/v1)", () => {
  it("states the weights it uses", () => {
    expect(POOL_DRIVERS).toEqual({
      database: { dbTimeMs: 0.8, storageBytes: 0.2 },
      compute: { requests: 1 },
      loadBalancer: { requests: 1 },
    });
  });

  it("divides each pool by its drivers: database by time (80 %) and storage (20 %), the rest by requests", () => {
    // One hour: database $1, compute $0.5, load balancer $0.1.
    const result = attribute([usage("alpha", 750, 100, 10), usage("beta", 250, 300, 30)], COST, HOUR);
    expect(result.poolsMicroUsd).toEqual({ database: 1_000_000, compute: 500_000, loadBalancer: 100_000 });
    expect(result.totalMicroUsd).toBe(1_600_000);
    // alpha: database 0.8 × 0.75 + 0.2 × 0.25 = 0.65 → $0.65; compute 10/40 → $0.125; LB → $0.025.
    expect(result.tenants).toEqual([
      {
        tenantId: "alpha",
        sharePpm: 500_000,
        costMicroUsd: 800_000,
        poolsMicroUsd: { database: 650_000, compute: 125_000, loadBalancer: 25_000 },
      },
      {
        tenantId: "beta",
        sharePpm: 500_000,
        costMicroUsd: 800_000,
        poolsMicroUsd: { database: 350_000, compute: 375_000, loadBalancer: 75_000 },
      },
    ]);
  });

  it("adds up to 100 % and to the period's cost exactly, however the fractions fall", () => {
    const tenants = Array.from({ length: 7 }, (_, i) => usage(`t${i}`, i + 1, 3 * i + 1, 11 - i));
    const result = attribute(tenants, COST, 300_000); // five minutes
    expect(result.tenants.reduce((s, t) => s + t.sharePpm, 0)).toBe(1_000_000);
    expect(result.tenants.reduce((s, t) => s + t.costMicroUsd, 0)).toBe(result.totalMicroUsd);
    expect(result.totalMicroUsd).toBe(83_333 + 41_667 + 8_333);
  });

  it("gives a single tenant everything", () => {
    const result = attribute([usage("solo", 1, 1, 1)], COST, HOUR);
    expect(result.tenants).toEqual([
      {
        tenantId: "solo",
        sharePpm: 1_000_000,
        costMicroUsd: 1_600_000,
        poolsMicroUsd: { database: 1_000_000, compute: 500_000, loadBalancer: 100_000 },
      },
    ]);
  });

  it("splits a period nobody used equally: the platform's fixed cost is everyone's", () => {
    const result = attribute([usage("aa", 0, 0, 0), usage("bb", 0, 0, 0), usage("cc", 0, 0, 0)], COST, HOUR);
    expect(result.tenants.map((t) => t.sharePpm)).toEqual([333_334, 333_333, 333_333]);
    // Each pool is apportioned on its own (a third of $1, of $0.5 and of $0.1), the ties of each to the earlier
    // tenant id: the costs differ by micro-dollars and still add up to the period's $1.6.
    expect(result.tenants.map((t) => t.costMicroUsd)).toEqual([533_335, 533_333, 533_332]);
  });

  it("moves an unused driver's weight to the pool's other driver (no requests: compute split equally)", () => {
    const result = attribute([usage("aa", 0, 100, 0), usage("bb", 0, 300, 0)], COST, HOUR);
    // Database by storage alone (no database time), compute and load balancer equally (no requests).
    expect(result.tenants.map((t) => t.poolsMicroUsd)).toEqual([
      { database: 250_000, compute: 250_000, loadBalancer: 50_000 },
      { database: 750_000, compute: 250_000, loadBalancer: 50_000 },
    ]);
  });

  it("with no tenants attributes nothing", () => {
    expect(attribute([], COST, HOUR).tenants).toEqual([]);
  });

  it("with no cost known still gives shares (the pools count alike)", () => {
    const zero = { databaseUsd: 0, computeUsd: 0, loadBalancerUsd: 0, source: "estimate" as const };
    const result = attribute([usage("aa", 1, 0, 1), usage("bb", 0, 0, 3)], zero, HOUR);
    expect(result.totalMicroUsd).toBe(0);
    // aa: database (0.8 × 1 + storage's 0.2 moved to time) 1, compute 0.25, LB 0.25 → (1 + 0.25 + 0.25) / 3 = 0.5
    expect(result.tenants.map((t) => t.sharePpm)).toEqual([500_000, 500_000]);
  });

  it("reports every bad input at once", () => {
    expect(() =>
      attribute([usage("aa", -1, 0, 0), usage("aa", 0, Number.NaN, 0)], { ...COST, computeUsd: -5 }, 0),
    ).toThrow(
      "attribution: cost.computeUsd: expected a number ≥ 0, got -5; period: expected a positive length, got 0 ms; " +
        'tenants[0].dbTimeMs: expected a number ≥ 0, got -1; tenants[1]: "aa" appears twice; ' +
        "tenants[1].storageBytes: expected a number ≥ 0, got NaN",
    );
  });
});

describe("the month attribution divides by", () => {
  it("is the cost estimate's month (tools/cost/prices.json hoursPerMonth), so a period's cost adds up to the estimate", () => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const prices = require("../../tools/cost/prices.json") as { hoursPerMonth: number };
    expect(HOURS_PER_MONTH).toBe(prices.hoursPerMonth);
  });
});
