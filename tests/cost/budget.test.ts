import { estimateCost } from "../../tools/cost/estimate";
import { runStack } from "../../tools/engine/run";

/**
 * The default monthly budget of each stack sits above what the stack is estimated to cost, with room: the
 * budget alerts at 80 % of actual spend (components/monitoring/monitoring.ts), so a default below the estimate
 * would alert every month and teach on-call to ignore it.
 */
describe.each(["dev", "prod"])("the %s stack's budget", (stack) => {
  it("alerts above the estimated monthly cost, not on the expected bill", async () => {
    const run = await runStack({ stack });
    const budget = run.resources.find((r) => r.type === "aws:budgets/budget:Budget");
    const limit = Number(budget?.inputs.limitAmount);
    const estimate = estimateCost(run.resources, { region: run.region }).monthlyUsd;
    expect(estimate).toBeGreaterThan(0);
    expect(0.8 * limit).toBeGreaterThan(estimate);
  });
});
