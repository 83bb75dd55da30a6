/**
 * The three cost pools tenant attribution divides (components/tenant-metering/attribution.ts), taken from the
 * cost estimate of a stack: every priced line of the RDS instance (instance hours, storage, IOPS, Performance
 * Insights), of the ECS service (Fargate vCPU, memory, storage) and of the load balancer (hours, capacity units,
 * public IPv4). A line belongs to the resource its URN names, whatever type is billed.
 */
import type { CostEstimate } from "./estimate";
import { roundUsd } from "./context";

export interface CostPools {
  readonly databaseUsd: number;
  readonly computeUsd: number;
  readonly loadBalancerUsd: number;
}

const POOL_OF_TYPE: Readonly<Record<string, keyof CostPools>> = {
  "aws:rds/instance:Instance": "databaseUsd",
  "aws:ecs/service:Service": "computeUsd",
  "aws:lb/loadBalancer:LoadBalancer": "loadBalancerUsd",
  "aws:alb/loadBalancer:LoadBalancer": "loadBalancerUsd",
};

/** The type of the resource a URN names (`urn:pulumi:<stack>::<project>::<parent$…$type>::<name>`). */
function typeOfUrn(urn: string): string {
  return urn.split("::")[2]?.split("$").pop() ?? "";
}

export function costPools(estimate: CostEstimate): CostPools {
  const pools = { databaseUsd: 0, computeUsd: 0, loadBalancerUsd: 0 };
  for (const item of estimate.items) {
    const pool = POOL_OF_TYPE[item.urn ? typeOfUrn(item.urn) : item.type];
    if (pool) pools[pool] += item.monthlyUsd;
  }
  return {
    databaseUsd: roundUsd(pools.databaseUsd),
    computeUsd: roundUsd(pools.computeUsd),
    loadBalancerUsd: roundUsd(pools.loadBalancerUsd),
  };
}
