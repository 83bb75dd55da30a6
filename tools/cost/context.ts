/**
 * What every pricer works with: the estimate being built (items, unpriced and free types, the price table and
 * each resource's region) and the readers of planned inputs. The pricers, one file per domain, are in pricers/.
 */
import type { PlannedResource } from "../engine/types";
import type { CostEstimate, CostItem } from "./estimate";
import type { PriceTable, RegionPrices } from "./priceTable";

/** Rounds to cents; `toPrecision` first so that 32.849999999999994 (0.045 × 730) rounds to 32.85. */
export function roundUsd(value: number): number {
  return Math.round(Number((value * 100).toPrecision(12))) / 100;
}

/** Removes binary floating-point noise from quantities such as 0.1 × 3 without hiding real fractions. */
function cleanQuantity(value: number): number {
  return Number(value.toPrecision(12));
}

/** Throws the error every caller sees for a region the table does not cover. */
export function regionPricesOrThrow(table: PriceTable, region: string, what: string): RegionPrices {
  const prices = table.regions[region];
  if (prices) return prices;
  const supported = Object.keys(table.regions).join(", ");
  throw new Error(
    `Unknown region "${region}" for ${what}: price table ${table.version} has prices for ${supported}. ` +
      `Add the region to tools/cost/prices.json or estimate a supported region.`,
  );
}

export type Pricer = (r: PlannedResource, ctx: EstimateContext) => void;

export interface ItemSpec {
  readonly resource: string;
  readonly type?: string;
  readonly quantity: number;
  readonly unit: string;
  readonly unitPriceUsd: number;
  readonly note?: string;
}

export class EstimateContext {
  readonly hours: number;
  private readonly items: CostItem[] = [];
  private readonly unpricedByType = new Map<string, { count: number; reasons: Set<string> }>();
  private readonly freeByType = new Map<string, number>();
  private readonly byUrn = new Map<string, PlannedResource>();
  private readonly actionEnabledBudgets = new Set<string>();

  constructor(
    readonly resources: PlannedResource[],
    readonly table: PriceTable,
    private readonly stackRegion: string,
  ) {
    this.hours = table.hoursPerMonth;
    for (const r of resources) this.byUrn.set(r.urn, r);
  }

  get assumptions(): PriceTable["assumptions"] {
    return this.table.assumptions;
  }

  get global(): PriceTable["global"] {
    return this.table.global;
  }

  /**
   * AWS provider v7 lets each resource pick its region, and a resource may use an explicit provider configured
   * for another region (CloudFront certificates in us-east-1, say); pricing it at the stack's region would be wrong.
   */
  regionOf(r: PlannedResource): string {
    const own = str(r.inputs.region);
    if (own) return own;
    if (r.provider) {
      const providerUrn = r.provider.slice(0, r.provider.lastIndexOf("::"));
      const provider = this.byUrn.get(providerUrn);
      const providerRegion = provider ? str(provider.inputs.region) : undefined;
      if (providerRegion) return providerRegion;
    }
    return this.stackRegion;
  }

  prices(r: PlannedResource): RegionPrices {
    return regionPricesOrThrow(this.table, this.regionOf(r), `${r.type} "${r.name}"`);
  }

  add(r: PlannedResource, spec: ItemSpec): void {
    const quantity = cleanQuantity(spec.quantity);
    this.items.push({
      urn: r.urn,
      resource: spec.resource,
      type: spec.type ?? r.type,
      quantity,
      unit: spec.unit,
      unitPriceUsd: spec.unitPriceUsd,
      monthlyUsd: roundUsd(quantity * spec.unitPriceUsd),
      ...(spec.note ? { note: spec.note } : {}),
    });
  }

  unpriced(type: string, reason: string): void {
    const entry = this.unpricedByType.get(type) ?? { count: 0, reasons: new Set<string>() };
    entry.count += 1;
    entry.reasons.add(reason);
    this.unpricedByType.set(type, entry);
  }

  free(type: string): void {
    this.freeByType.set(type, (this.freeByType.get(type) ?? 0) + 1);
  }

  isFree(type: string): boolean {
    return Object.keys(this.table.freeTypes).some((pattern) =>
      pattern.endsWith("*") ? type.startsWith(pattern.slice(0, -1)) : pattern === type,
    );
  }

  /** Counts a budget with actions and says whether it is still within the free allowance. */
  addActionEnabledBudget(budgetName: string): { first: boolean; withinFree: boolean } {
    const first = !this.actionEnabledBudgets.has(budgetName);
    this.actionEnabledBudgets.add(budgetName);
    return { first, withinFree: this.actionEnabledBudgets.size <= this.global.budgets.freeActionEnabledBudgets };
  }

  result(): CostEstimate {
    const byType = <T>(a: { type: string } & T, b: { type: string } & T) => a.type.localeCompare(b.type);
    return {
      monthlyUsd: roundUsd(this.items.reduce((sum, item) => sum + item.monthlyUsd, 0)),
      currency: "USD",
      priceTableVersion: this.table.version,
      region: this.stackRegion,
      items: this.items,
      unpriced: [...this.unpricedByType]
        .map(([type, { count, reasons }]) => ({ type, count, reasons: [...reasons] }))
        .sort(byType),
      free: [...this.freeByType].map(([type, count]) => ({ type, count })).sort(byType),
    };
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Input readers: the plan holds plain JSON, so each reader tolerates a missing or not-yet-known value.

export function str(value: unknown): string | undefined {
  return typeof value === "string" && value !== "" ? value : undefined;
}

export function num(value: unknown): number | undefined {
  if (typeof value === "number" && Number.isFinite(value)) return value;
  if (typeof value === "string" && value.trim() !== "" && Number.isFinite(Number(value))) return Number(value);
  return undefined;
}

export function bool(value: unknown): boolean {
  return value === true || value === "true";
}

export function arr(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [];
}

export function obj(value: unknown): Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
}

export function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? "" : "s"}`;
}
