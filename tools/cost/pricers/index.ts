import type { PlannedResource } from "../../engine/types";
import { EstimateContext, Pricer } from "../context";
import { NETWORK_PRICERS, priceAwsxVpc } from "./network";
import { CONTAINER_PRICERS } from "./container";
import { DATABASE_PRICERS } from "./database";
import { SECURITY_PRICERS } from "./security";
import { OBSERVABILITY_PRICERS } from "./observability";
import { EDGE_PRICERS } from "./edge";
import { WORKFLOW_PRICERS } from "./workflows";
import { SCHEDULED_PRICERS } from "./scheduled";

/** Every resource type the estimate prices, by type token; anything else is free (prices.json) or unpriced. */
export const PRICERS: Readonly<Record<string, Pricer>> = {
  ...NETWORK_PRICERS,
  ...CONTAINER_PRICERS,
  ...DATABASE_PRICERS,
  ...SECURITY_PRICERS,
  ...OBSERVABILITY_PRICERS,
  ...EDGE_PRICERS,
  ...WORKFLOW_PRICERS,
  ...SCHEDULED_PRICERS,
};

/** Remote components (awsx): their children are not visible offline, so only the ones understood are priced. */
export function priceRemoteComponent(r: PlannedResource, ctx: EstimateContext): void {
  if (r.type === "awsx:ec2:Vpc") priceAwsxVpc(r, ctx);
  else ctx.unpriced(r.type, "remote component: its children are created at deploy time and are not visible offline");
}
