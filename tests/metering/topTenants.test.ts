import { MEASURES, OTHER_TENANT, TenantMeasures, topTenants } from "../../components/tenant-metering/topTenants";

const tenant = (tenantId: string, dbTimeMs: number, extra: Partial<TenantMeasures> = {}): TenantMeasures => ({
  tenantId,
  dbTimeMs,
  calls: 1,
  rows: 2,
  storageBytes: 3,
  requests: 4,
  errors: 0,
  ...extra,
});

describe("topTenants", () => {
  it("names the N largest by database time and sums the rest as __other__", () => {
    const result = topTenants([tenant("aa", 5), tenant("bb", 50), tenant("cc", 20), tenant("dd", 1)], 2);
    expect(result.named.map((t) => t.tenantId)).toEqual(["bb", "cc"]);
    expect(result.other).toEqual({
      tenantId: "__other__",
      dbTimeMs: 6,
      calls: 2,
      rows: 4,
      storageBytes: 6,
      requests: 8,
      errors: 0,
    });
    expect(result.otherCount).toBe(2);
  });

  it("breaks equal database time by tenant id, so the same usage names the same tenants", () => {
    const result = topTenants([tenant("zz", 10), tenant("mm", 10), tenant("aa", 10)], 2);
    expect(result.named.map((t) => t.tenantId)).toEqual(["aa", "mm"]);
  });

  it("keeps an all-zero __other__ series when there are N tenants or fewer", () => {
    const result = topTenants([tenant("aa", 5)], 3);
    expect(result.named.map((t) => t.tenantId)).toEqual(["aa"]);
    expect(result.other).toEqual({
      tenantId: OTHER_TENANT,
      dbTimeMs: 0,
      calls: 0,
      rows: 0,
      storageBytes: 0,
      requests: 0,
      errors: 0,
    });
    expect(result.otherCount).toBe(0);
  });

  it("at 1,000 tenants gives exactly N + 1 series, and the totals are kept", () => {
    const tenants = Array.from({ length: 1000 }, (_, i) =>
      tenant(`t${String(i).padStart(4, "0")}`, (i * 7919) % 1000, { requests: i }),
    );
    for (const n of [1, 10, 100]) {
      const result = topTenants(tenants, n);
      const series = [...result.named, result.other];
      expect(series).toHaveLength(n + 1);
      expect(new Set(series.map((s) => s.tenantId)).size).toBe(n + 1);
      for (const m of MEASURES) {
        expect(series.reduce((s, t) => s + t[m], 0)).toBe(tenants.reduce((s, t) => s + t[m], 0));
      }
      expect(Math.min(...result.named.map((t) => t.dbTimeMs))).toBeGreaterThanOrEqual(
        Math.max(...tenants.filter((t) => !result.named.includes(t)).map((t) => t.dbTimeMs)),
      );
    }
  });

  it.each([
    [0, "topTenants: expected an integer from 1 to 100, got 0"],
    [101, "topTenants: expected an integer from 1 to 100, got 101"],
    [2.5, "topTenants: expected an integer from 1 to 100, got 2.5"],
  ])("refuses N = %p", (n, message) => {
    expect(() => topTenants([], n)).toThrow(message);
  });

  it("refuses a tenant named like the rest, and a tenant twice", () => {
    expect(() => topTenants([tenant(OTHER_TENANT, 1)], 1)).toThrow('tenant id "__other__" is reserved');
    expect(() => topTenants([tenant("aa", 1), tenant("aa", 2)], 1)).toThrow('tenant "aa" appears twice');
  });
});
