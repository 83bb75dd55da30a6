/**
 * The provisioner's bundle (components/shared/bundle.ts) and the event rendered with its hash.
 */
import * as path from "path";
import { HandlerBundle, bundleHandler } from "../shared/bundle";
import { ProvisionerEvent, RenderEventArgs, renderProvisionerEvent } from "./event";

export const HANDLER_ENTRY = path.join(__dirname, "handler.ts");

export function provisionerBundle(): Promise<HandlerBundle> {
  return bundleHandler("tenant-provisioner", HANDLER_ENTRY);
}

/**
 * The provisioner's event with the bundle's hash: what the stack's Invocation is given and what
 * `npm run tenants:apply` runs, from the one renderer.
 */
export async function provisionerEvent(args: Omit<RenderEventArgs, "handlerSha256">): Promise<ProvisionerEvent> {
  return renderProvisionerEvent({ ...args, handlerSha256: (await provisionerBundle()).sha256 });
}
