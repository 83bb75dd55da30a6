/**
 * Renders a cost estimate as a plain-text table in the spirit of `infracost breakdown`: one line per priced item,
 * the monthly total, then what was not priced so a reader never mistakes "missing" for "free".
 */
import type { CostEstimate } from "./estimate";

export interface FormatOptions {
  /** Print each item's note (assumption or rule) under it. @default false */
  readonly notes?: boolean;
}

function usd(value: number): string {
  return `$${value.toLocaleString("en-US", { minimumFractionDigits: 2, maximumFractionDigits: 2 })}`;
}

/** Unit prices keep their precision (Fargate is $0.004445 per GB-hour); trailing zeros are noise. */
function unitPrice(value: number): string {
  return `$${Number(value.toPrecision(10))}`;
}

function quantity(value: number): string {
  return Number(value.toFixed(4)).toLocaleString("en-US", { maximumFractionDigits: 4 });
}

export function formatCostTable(estimate: CostEstimate, options: FormatOptions = {}): string {
  const rows = estimate.items.map((item) => ({
    resource: item.resource,
    usage: `${quantity(item.quantity)} ${item.unit} × ${unitPrice(item.unitPriceUsd)}`,
    monthly: usd(item.monthlyUsd),
    note: item.note,
  }));
  const header = { resource: "Resource", usage: "Quantity × unit price", monthly: "Monthly" };
  const total = usd(estimate.monthlyUsd);
  const w = {
    resource: Math.max(header.resource.length, ...rows.map((r) => r.resource.length)),
    usage: Math.max(header.usage.length, ...rows.map((r) => r.usage.length)),
    monthly: Math.max(header.monthly.length, total.length, ...rows.map((r) => r.monthly.length)),
  };
  const line = (a: string, b: string, c: string) =>
    `${a.padEnd(w.resource)}  ${b.padEnd(w.usage)}  ${c.padStart(w.monthly)}`.trimEnd();
  const rule = "─".repeat(w.resource + w.usage + w.monthly + 4);

  const out = [
    `Monthly cost estimate (${estimate.currency}, on-demand list prices, price table ${estimate.priceTableVersion}, ${estimate.region})`,
    "",
    line(header.resource, header.usage, header.monthly),
    rule,
  ];
  for (const row of rows) {
    out.push(line(row.resource, row.usage, row.monthly));
    if (options.notes && row.note) out.push(`  ↳ ${row.note}`);
  }
  out.push(rule, line("Total (monthly)", "", total));

  if (estimate.unpriced.length > 0) {
    out.push("", `not priced: ${estimate.unpriced.map((u) => `${u.type} ×${u.count}`).join(", ")}`);
    if (options.notes) {
      for (const u of estimate.unpriced) out.push(`  ↳ ${u.type}: ${u.reasons.join("; ")}`);
    }
  }
  const freeCount = estimate.free.reduce((sum, f) => sum + f.count, 0);
  if (freeCount > 0) out.push(`free: ${freeCount} resource${freeCount === 1 ? "" : "s"}`);
  return out.join("\n") + "\n";
}
