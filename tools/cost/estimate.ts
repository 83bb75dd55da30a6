/**
 * A monthly cost estimate over the offline plan. Infracost does not read Pulumi programs, so this reads the
 * planned resources directly: every input is taken as the program passed it, priced from `prices.json`, and
 * anything that costs money but has no price is listed rather than silently counted as zero.
 */
import type { PlannedResource } from "../engine/types";
import { defaultPriceTable, type PriceTable } from "./priceTable";
import { EstimateContext, regionPricesOrThrow } from "./context";
import { PRICERS, priceRemoteComponent } from "./pricers";

export type { PriceTable } from "./priceTable";
export { roundUsd } from "./context";

/** One priced line: `quantity × unitPriceUsd = monthlyUsd` (rounded to cents). */
export interface CostItem {
  /** URN of the planned resource the cost comes from (for a derived cost, the resource that implies it). */
  readonly urn?: string;
  /** Human label, e.g. `NAT gateway saas-dev-nat-a` or `NAT gateway saas-dev-nat-a: data processed`. */
  readonly resource: string;
  /** Type token of what is billed, e.g. `aws:ec2/natGateway:NatGateway` even when derived from an awsx Vpc. */
  readonly type: string;
  readonly quantity: number;
  readonly unit: string;
  readonly unitPriceUsd: number;
  readonly monthlyUsd: number;
  /** The assumption or rule behind the line, when it is not obvious from the inputs. */
  readonly note?: string;
}

/** Resources of one type that cost money (or may) but could not be priced. */
export interface UnpricedType {
  readonly type: string;
  readonly count: number;
  /** Distinct reasons, e.g. `no price for db.x2g.large in eu-west-1`. */
  readonly reasons: string[];
}

/** Resources of one type that cost nothing themselves. */
export interface FreeType {
  readonly type: string;
  readonly count: number;
}

export interface CostEstimate {
  /** Sum of the items' `monthlyUsd`. */
  readonly monthlyUsd: number;
  readonly currency: "USD";
  readonly priceTableVersion: string;
  readonly region: string;
  readonly items: CostItem[];
  readonly unpriced: UnpricedType[];
  readonly free: FreeType[];
}

export interface EstimateOptions {
  /** The stack's AWS region; a resource's own `region` input or its explicit provider's region wins over it. */
  readonly region: string;
  /** @default - the checked-in `tools/cost/prices.json` */
  readonly prices?: PriceTable;
}

export function estimateCost(resources: PlannedResource[], opts: EstimateOptions): CostEstimate {
  const table = opts.prices ?? defaultPriceTable();
  regionPricesOrThrow(table, opts.region, "the stack");
  const ctx = new EstimateContext(resources, table, opts.region);

  for (const r of resources) {
    if (r.type.startsWith("pulumi:")) continue;
    if (!r.custom) {
      if (r.remote) priceRemoteComponent(r, ctx);
      continue;
    }
    const pricer = PRICERS[r.type];
    if (pricer) pricer(r, ctx);
    else if (ctx.isFree(r.type)) ctx.free(r.type);
    else ctx.unpriced(r.type, "no price in the table");
  }
  return ctx.result();
}
