import * as fs from "fs";
import * as path from "path";
import Ajv2020 from "ajv/dist/2020";
import { attribute, MonthlyCost } from "../../components/tenant-metering/attribution";
import { buildRecord, meteringKey, MeteringRecord } from "../../components/tenant-metering/record";
import { TenantMeasures } from "../../components/tenant-metering/topTenants";

/**
 * The record an external billing system takes, checked against the committed JSON Schema with ajv (an independent
 * validator), not only with the zod schema it is generated from. Formats are not validated by ajv without
 * ajv-formats; the date-time fields carry zod's pattern, which ajv does check.
 */
const schema = JSON.parse(
  fs.readFileSync(path.join(__dirname, "..", "..", "docs", "metering-record.schema.json"), "utf8"),
) as object;
const validate = new Ajv2020({ strict: true, validateFormats: false, allErrors: true }).compile(schema);

const COST: MonthlyCost = { databaseUsd: 100, computeUsd: 50, loadBalancerUsd: 25, source: "estimate" };
const tenants: TenantMeasures[] = [
  { tenantId: "acme", dbTimeMs: 1200.5, calls: 300, rows: 900, storageBytes: 8_192_000, requests: 250, errors: 2 },
  { tenantId: "globex", dbTimeMs: 300, calls: 100, rows: 150, storageBytes: 1_024_000, requests: 50, errors: 0 },
  { tenantId: "initech", dbTimeMs: 0, calls: 0, rows: 0, storageBytes: 512_000, requests: 0, errors: 0 },
];

function record(): MeteringRecord {
  const periodStart = "2026-12-01T10:00:00.000Z";
  const periodEnd = "2026-12-01T10:05:00.000Z";
  return buildRecord({
    stack: "saas-dev",
    periodStart,
    periodEnd,
    tenants,
    platformDbTimeMs: 42,
    caveats: ["first collection: usage since the last reset of pg_stat_statements"],
    cost: COST,
    attribution: attribute(tenants, COST, 300_000),
  });
}

describe("metering record", () => {
  it("is built per tenant, per period, per dimension, with its currency and method", () => {
    const r = record();
    expect(r.period).toEqual({ start: "2026-12-01T10:00:00.000Z", end: "2026-12-01T10:05:00.000Z" });
    expect(r.currency).toBe("USD");
    expect(r.method.version).toBe("tenant-share/v1");
    expect(r.method.monthlyCostUsd).toEqual({ database: 100, compute: 50, loadBalancer: 25 });
    expect(r.tenants[0]).toEqual({
      tenantId: "acme",
      usage: { dbTimeMs: 1200.5, calls: 300, rows: 900, storageBytes: 8_192_000, requests: 250, errors: 2 },
      sharePercent: expect.any(Number),
      costUsd: expect.any(Number),
      costByPoolUsd: expect.any(Object),
    });
    expect(r.platform).toEqual({ dbTimeMs: 42 });
    expect(r.caveats).toEqual(["first collection: usage since the last reset of pg_stat_statements"]);
    // Five minutes of each pool, each rounded to a micro-dollar: 100 × 5 / 43,800 = $0.011416, 50 → $0.005708,
    // 25 → $0.002854.
    expect(r.costUsd).toBe(0.019978);
    expect(r.tenants.reduce((s, t) => s + Math.round(t.sharePercent * 10_000), 0)).toBe(1_000_000);
    expect(r.tenants.reduce((s, t) => s + Math.round(t.costUsd * 1e6), 0)).toBe(19_978);
  });

  it("validates against the committed JSON Schema", () => {
    const ok = validate(record());
    expect(validate.errors ?? []).toEqual([]);
    expect(ok).toBe(true);
  });

  it.each<[string, (r: Record<string, unknown>) => void, string]>([
    ["an unknown top-level field", (r) => (r.extra = 1), "must NOT have additional properties"],
    ["a negative cost", (r) => ((r.tenants as { costUsd: number }[])[0].costUsd = -1), "must be >= 0"],
    ["a share over 100 %", (r) => ((r.tenants as { sharePercent: number }[])[0].sharePercent = 101), "must be <= 100"],
    ["another currency", (r) => (r.currency = "EUR"), "must be equal to constant"],
    [
      "a fractional call count",
      (r) => ((r.tenants as { usage: { calls: number } }[])[0].usage.calls = 1.5),
      "must be integer",
    ],
    [
      "a missing dimension",
      (r) => delete (r.tenants as { usage: Record<string, unknown> }[])[0].usage.errors,
      "must have required property 'errors'",
    ],
    ["a period that is not an instant", (r) => ((r.period as { end: string }).end = "yesterday"), "must match pattern"],
    [
      "a tenant id that is not one",
      (r) => ((r.tenants as { tenantId: string }[])[0].tenantId = "__other__"),
      "must match pattern",
    ],
    ["another method version", (r) => ((r.method as { version: string }).version = "v0"), "must be equal to constant"],
  ])("refuses %s", (_what, mutate, message) => {
    const bad = JSON.parse(JSON.stringify(record())) as Record<string, unknown>;
    mutate(bad);
    expect(validate(bad)).toBe(false);
    expect(validate.errors?.map((e) => e.message?.replace(/ ".*"$/, ""))).toContain(message);
  });

  it("is stored under metering/<stack>/<yyyy>/<mm>/<dd>/<period end>.json", () => {
    expect(meteringKey("saas-dev", "2026-12-01T10:05:00.000Z")).toBe(
      "metering/saas-dev/2026/12/01/2026-12-01T10:05:00.000Z.json",
    );
    expect(() => meteringKey("saas-dev", "soon")).toThrow('meteringKey: period end "soon" is not a date');
  });
});
