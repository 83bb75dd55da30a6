import { z } from "zod";
import { defineKey, integer, shapeOf } from "./common";
import type { MonthlyCost } from "../../components/tenant-metering/attribution";
import { MAX_TOP_TENANTS, MIN_TOP_TENANTS } from "../../components/tenant-metering/topTenants";
import {
  MAX_INTERVAL_MINUTES,
  MAX_RECORD_RETENTION_DAYS,
  MIN_INTERVAL_MINUTES,
  MIN_RECORD_RETENTION_DAYS,
} from "../../components/tenant-metering/settings";

/** Configuration of tenant metering: the usage collector, its metrics, its alarm and its records. */

const ACTUAL_COST_EXPECTED =
  'expected "" (use the cost estimate) or a JSON object {"database": USD, "compute": USD, "loadBalancer": USD} of numbers 0 or more';

/** The actual monthly pools of `text`, or undefined when it is not the documented object. */
function actualCost(text: string): { databaseUsd: number; computeUsd: number; loadBalancerUsd: number } | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) return undefined;
  const v = value as Record<string, unknown>;
  const keys = Object.keys(v).sort().join(",");
  const ok = (n: unknown) => typeof n === "number" && Number.isFinite(n) && n >= 0;
  if (keys !== "compute,database,loadBalancer" || !ok(v.database) || !ok(v.compute) || !ok(v.loadBalancer)) {
    return undefined;
  }
  return {
    databaseUsd: v.database as number,
    computeUsd: v.compute as number,
    loadBalancerUsd: v.loadBalancer as number,
  };
}

export const METERING_KEYS = [
  defineKey({
    key: "meteringTopTenants",
    type: "integer",
    default: 10,
    description: `Tenants published to CloudWatch under their own name, the largest by database time (${MIN_TOP_TENANTS}-${MAX_TOP_TENANTS}); the rest are summed as one __other__ series. Each named tenant is 6 custom metrics.`,
    schema: integer(MIN_TOP_TENANTS, MAX_TOP_TENANTS),
  }),
  defineKey({
    key: "meteringIntervalMinutes",
    type: "integer",
    default: 5,
    description: `Minutes between usage collections (${MIN_INTERVAL_MINUTES}-${MAX_INTERVAL_MINUTES}): the period of the tenant metrics and of each metering record.`,
    schema: integer(MIN_INTERVAL_MINUTES, MAX_INTERVAL_MINUTES),
  }),
  defineKey({
    key: "meteringNoisyTenantSharePercent",
    type: "integer",
    default: 50,
    description:
      "Alarm when one tenant takes more than this percentage of the tenants' database time in three collections running (1-100).",
    schema: integer(1, 100, "a percentage from 1 to 100"),
  }),
  defineKey({
    key: "meteringRecordRetentionDays",
    type: "integer",
    default: 400,
    description:
      "Days a metering record is kept in the stack's metering bucket before S3 expires it (1-3650); the default keeps 13 months.",
    schema: integer(MIN_RECORD_RETENTION_DAYS, MAX_RECORD_RETENTION_DAYS),
  }),
  defineKey({
    key: "meteringActualMonthlyCostUsd",
    type: "string",
    default: "",
    description:
      "The stack's actual monthly cost by pool, from the bill, for attribution: a JSON object of three numbers in USD, database, compute and loadBalancer. Empty: the stack's cost estimate (stacks/cost-pools.json, from npm run plan).",
    schema: z.string({ error: ACTUAL_COST_EXPECTED }).superRefine((text, ctx) => {
      if (text !== "" && actualCost(text) === undefined)
        ctx.addIssue({ code: "custom", message: ACTUAL_COST_EXPECTED });
    }),
  }),
] as const;

export const meteringShape = shapeOf(METERING_KEYS);

export interface MeteringConfig {
  readonly topTenants: number;
  readonly intervalMinutes: number;
  readonly noisyTenantSharePercent: number;
  readonly recordRetentionDays: number;
  /** The bill's monthly pools, when given; undefined: attribute the cost estimate. */
  readonly actualMonthlyCost?: MonthlyCost;
}

export function toMeteringConfig(saas: z.output<z.ZodObject<typeof meteringShape>>): MeteringConfig {
  return {
    topTenants: saas.meteringTopTenants,
    intervalMinutes: saas.meteringIntervalMinutes,
    noisyTenantSharePercent: saas.meteringNoisyTenantSharePercent,
    recordRetentionDays: saas.meteringRecordRetentionDays,
    ...(saas.meteringActualMonthlyCostUsd !== ""
      ? { actualMonthlyCost: { ...actualCost(saas.meteringActualMonthlyCostUsd)!, source: "actual" as const } }
      : {}),
  };
}
