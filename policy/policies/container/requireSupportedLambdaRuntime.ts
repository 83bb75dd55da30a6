import { resourcePolicy } from "../../lib/definePolicy";
import { asString } from "../../lib/props";

/** Node.js Lambda runtimes whose Node.js release is still supported (Node.js 20 reached end of life in April 2026). */
export const SUPPORTED_NODE_RUNTIMES = ["nodejs22.x", "nodejs24.x"] as const;

/**
 * Protects: patched runtimes. A function on a Node.js release past its end of life gets no security fixes, and
 * Lambda later blocks creating and updating it, so a fix could not be deployed during an incident. Only Node.js
 * runtimes are checked; container-image functions (no runtime) are out of scope. Severity: high.
 */
export const requireSupportedLambdaRuntime = resourcePolicy({
  name: "container-supported-lambda-runtime",
  description: "Lambda functions on Node.js must use a supported runtime (nodejs22.x or nodejs24.x).",
  severity: "high",
  types: ["aws:lambda/function:Function"],
  validate: (props, _args, report) => {
    const runtime = asString(props.runtime);
    if (runtime === undefined || !runtime.startsWith("nodejs")) return;
    if (!(SUPPORTED_NODE_RUNTIMES as readonly string[]).includes(runtime)) {
      report(`Runtime "${runtime}" is a Node.js release past its end of life; set runtime to "nodejs24.x".`);
    }
  },
});
