import { Planned } from "../support/plan";
import { costEstimate } from "../../tools/plan/checks";
import { costPools } from "../../tools/cost/pools";
import { rateMinutes } from "../../tools/cost/pricers/scheduled";

describe("the cost of tenant metering and the pools it attributes", () => {
  it.each([
    ["rate(5 minutes)", 5],
    ["rate(1 minute)", 1],
    ["rate(2 hours)", 120],
    ["rate(1 day)", 1440],
    ["cron(0 * * * ? *)", undefined],
    [undefined, undefined],
  ])("reads %p as every %p minutes", (expression, minutes) => {
    expect(rateMinutes(expression)).toBe(minutes);
  });

  it("takes the pools from the RDS instance, the ECS service and the load balancer lines of dev's estimate", async () => {
    const estimate = costEstimate((await Planned.of({ stack: "dev" })).run);
    // tests/cost/golden.test.ts: instance 11.68 + storage 2.30 + its RDS-managed master secret 0.40; Fargate
    // 5.91 + 1.30; ALB 16.43 + 5.84 + IPv4 7.30
    expect(costPools(estimate)).toEqual({ databaseUsd: 14.38, computeUsd: 7.21, loadBalancerUsd: 29.57 });
  });
});
