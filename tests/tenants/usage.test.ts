/**
 * The collector's delta rule, case by case (the integration test, tests/integration/tenantMetering.test.ts,
 * proves it on a real pg_stat_statements: load, idle, full reset, one role's reset).
 */
import { counterDelta, usageSnapshotTableSql } from "../../components/tenant-metering/usage";

const c = (calls: number, timeMs: number, rows: number) => ({ calls, timeMs, rows });

describe("counterDelta", () => {
  test.each<[string, ReturnType<typeof c>, ReturnType<typeof c> | undefined, boolean, ReturnType<typeof c>, boolean]>([
    ["growth since the previous collection", c(15, 30.5, 40), c(10, 20, 25), false, c(5, 10.5, 15), false],
    ["no change", c(10, 20, 25), c(10, 20, 25), false, c(0, 0, 0), false],
    [
      "a role with no previous row (new tenant, or first activity)",
      c(3, 1.5, 2),
      undefined,
      false,
      c(3, 1.5, 2),
      false,
    ],
    [
      "calls went down: a reset of its entries, counted from zero",
      c(4, 50, 30),
      c(10, 20, 25),
      false,
      c(4, 50, 30),
      true,
    ],
    ["rows went down", c(12, 25, 5), c(10, 20, 25), false, c(12, 25, 5), true],
    ["time went down beyond rounding", c(10, 19, 25), c(10, 20, 25), false, c(10, 19, 25), true],
    [
      "time went down by rounding only (sums in another order)",
      c(10, 20 - 1e-12, 25),
      c(10, 20, 25),
      false,
      c(0, 0, 0),
      false,
    ],
    ["a full reset (stats_reset changed): the current counters", c(2, 3, 4), c(10, 20, 25), true, c(2, 3, 4), false],
  ])("%s", (_label, current, previous, reset, delta, wentDown) => {
    expect(counterDelta(current, previous, reset)).toEqual({ delta, wentDown });
  });
});

test("the snapshot table: one row per role, the header as userid 0, in the admin schema", () => {
  expect(usageSnapshotTableSql()).toBe(`CREATE TABLE "admin"."tenant_usage_snapshot" (
  userid oid PRIMARY KEY,
  calls bigint NOT NULL,
  time_ms double precision NOT NULL,
  rows bigint NOT NULL,
  collected_at timestamptz NOT NULL,
  stats_reset timestamptz,
  dealloc bigint
)`);
});
