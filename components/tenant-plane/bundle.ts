/**
 * Bundles the provisioner handler with esbuild when the program runs (plan, preview, up): one CommonJS file
 * with `pg` and the AWS SDK clients inside, so the function does not depend on the SDK version the Lambda
 * runtime happens to ship. The same sources give the same bytes, and their SHA-256 goes into the Invocation's
 * input, so a code change makes `pulumi up` apply again.
 */
import { createHash } from "crypto";
import * as path from "path";
import { build } from "esbuild";
import { ProvisionerEvent, RenderEventArgs, renderProvisionerEvent } from "./event";

const REPO_ROOT = path.resolve(__dirname, "..", "..");
export const HANDLER_ENTRY = path.join(__dirname, "handler.ts");
/** Lambda's Node.js 24 runtime (nodejs24.x). */
export const HANDLER_TARGET = "node24";

export interface HandlerBundle {
  /** The bundled JavaScript of `index.js`; Lambda's handler setting is `index.handler`. */
  readonly code: string;
  readonly sha256: string;
}

let cached: Promise<HandlerBundle> | undefined;

/**
 * Asynchronous on purpose: esbuild works in its own process while the program goes on registering resources,
 * so the bundle costs a plan almost nothing. One bundle per process.
 */
export function bundleHandler(): Promise<HandlerBundle> {
  cached ??= bundle();
  return cached;
}

async function bundle(): Promise<HandlerBundle> {
  const result = await build({
    entryPoints: [HANDLER_ENTRY],
    absWorkingDir: REPO_ROOT,
    bundle: true,
    platform: "node",
    target: HANDLER_TARGET,
    format: "cjs",
    write: false,
    // Smaller code starts faster; names stay, so a stack trace in the function's log still reads.
    minifyWhitespace: true,
    minifySyntax: true,
    // pg's optional native binding: never installed, never wanted.
    external: ["pg-native"],
    legalComments: "none",
    logLevel: "silent",
  });
  const code = result.outputFiles[0].text;
  return { code, sha256: createHash("sha256").update(code).digest("hex") };
}

/**
 * The provisioner's event with the bundle's hash: what the stack's Invocation is given and what
 * `npm run tenants:apply` runs, from the one renderer.
 */
export async function provisionerEvent(args: Omit<RenderEventArgs, "handlerSha256">): Promise<ProvisionerEvent> {
  return renderProvisionerEvent({ ...args, handlerSha256: (await bundleHandler()).sha256 });
}
