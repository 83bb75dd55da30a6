import { parseConfig } from "../../stacks/config";
import { DEV, PROD, configProblems } from "../support/config";

describe("metering configuration", () => {
  it("defaults to the top 10 tenants every 5 minutes, a 50 % alarm and 400 days of records (prod)", () => {
    expect(parseConfig(PROD, { stack: "prod" }).metering).toEqual({
      topTenants: 10,
      intervalMinutes: 5,
      noisyTenantSharePercent: 50,
      recordRetentionDays: 400,
    });
  });

  it("names dev's three tenants (Pulumi.dev.yaml), so dev pays for 25 custom metrics, not 67", () => {
    expect(parseConfig(DEV, { stack: "dev" }).metering.topTenants).toBe(3);
  });

  it("attributes the bill's pools when given (source actual), the estimate otherwise", () => {
    expect(parseConfig(PROD, { stack: "prod" }).metering.actualMonthlyCost).toBeUndefined();
    const config = parseConfig(
      { ...PROD, "saas:meteringActualMonthlyCostUsd": '{"database":250.5,"compute":30,"loadBalancer":35}' },
      { stack: "prod" },
    );
    expect(config.metering.actualMonthlyCost).toEqual({
      databaseUsd: 250.5,
      computeUsd: 30,
      loadBalancerUsd: 35,
      source: "actual",
    });
  });

  it.each([
    ["not JSON", "250"],
    ["a missing pool", '{"database":250,"compute":30}'],
    ["a negative amount", '{"database":-1,"compute":30,"loadBalancer":35}'],
    ["an extra field", '{"database":1,"compute":1,"loadBalancer":1,"nat":1}'],
  ])("refuses an actual cost with %s", (_what, value) => {
    expect(configProblems({ ...DEV, "saas:meteringActualMonthlyCostUsd": value })).toEqual([
      `saas:meteringActualMonthlyCostUsd: expected "" (use the cost estimate) or a JSON object {"database": USD, "compute": USD, "loadBalancer": USD} of numbers 0 or more, got ${JSON.stringify(value)}`,
    ]);
  });

  it("takes each setting", () => {
    const config = parseConfig(
      {
        ...DEV,
        "saas:meteringTopTenants": "100",
        "saas:meteringIntervalMinutes": "60",
        "saas:meteringNoisyTenantSharePercent": "1",
        "saas:meteringRecordRetentionDays": "3650",
      },
      { stack: "dev" },
    );
    expect(config.metering).toEqual({
      topTenants: 100,
      intervalMinutes: 60,
      noisyTenantSharePercent: 1,
      recordRetentionDays: 3650,
    });
  });

  it.each([
    ["saas:meteringTopTenants", "0", "saas:meteringTopTenants: expected an integer from 1 to 100, got 0"],
    ["saas:meteringTopTenants", "101", "saas:meteringTopTenants: expected an integer from 1 to 100, got 101"],
    ["saas:meteringIntervalMinutes", "4", "saas:meteringIntervalMinutes: expected an integer from 5 to 60, got 4"],
    ["saas:meteringIntervalMinutes", "61", "saas:meteringIntervalMinutes: expected an integer from 5 to 60, got 61"],
    [
      "saas:meteringNoisyTenantSharePercent",
      "101",
      "saas:meteringNoisyTenantSharePercent: expected a percentage from 1 to 100, got 101",
    ],
    [
      "saas:meteringNoisyTenantSharePercent",
      "0",
      "saas:meteringNoisyTenantSharePercent: expected a percentage from 1 to 100, got 0",
    ],
    [
      "saas:meteringRecordRetentionDays",
      "3651",
      "saas:meteringRecordRetentionDays: expected an integer from 1 to 3650, got 3651",
    ],
    ["saas:meteringTopTenants", "ten", 'saas:meteringTopTenants: expected an integer from 1 to 100, got "ten"'],
  ])("refuses %s = %s", (key, value, message) => {
    expect(configProblems({ ...DEV, [key]: value })).toEqual([message]);
  });
});
