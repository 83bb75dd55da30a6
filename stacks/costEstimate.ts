import pools from "./cost-pools.json";
import type { MonthlyCost } from "../components/tenant-metering/attribution";

/**
 * The stack's monthly cost by pool, as tools/cost estimates it (`npm run plan` prints the lines):
 * stacks/cost-pools.json, written by `npm run docs` from every stack file's offline plan and kept current by
 * tests/docs/generated.test.ts. A stack not in the file (added since the last `npm run docs`) attributes shares
 * with no cost; run `npm run docs` to price it.
 */
export function estimatedMonthlyCost(stack: string): MonthlyCost {
  const entry = (pools as Record<string, Omit<MonthlyCost, "source"> | undefined>)[stack];
  return { ...(entry ?? { databaseUsd: 0, computeUsd: 0, loadBalancerUsd: 0 }), source: "estimate" };
}
