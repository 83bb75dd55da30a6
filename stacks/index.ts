import { loadConfig } from "./config";
import { platform } from "./platform";

/**
 * Entry point named by Pulumi.yaml. Exported as a function so the program can run once per stack in one
 * process (the offline plan and the tests do); Pulumi calls it and uses the result as the stack outputs.
 */
export = async () => platform(loadConfig());
