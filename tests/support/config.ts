import * as path from "path";
import { ConfigError, parseConfig } from "../../stacks/config";
import { loadStackSettings } from "../../tools/engine/project";

/** The raw config of the repository's stacks, as Pulumi hands it to the program (all text). */
const ROOT = path.resolve(__dirname, "..", "..");
export const DEV = loadStackSettings(ROOT, "dev").config;
export const PROD = loadStackSettings(ROOT, "prod").config;

/** The problems parseConfig reports for `raw` in `stack`, or [] when it accepts it. */
export function configProblems(raw: Readonly<Record<string, string | undefined>>, stack = "dev"): readonly string[] {
  try {
    parseConfig(raw, { stack });
    return [];
  } catch (err) {
    if (err instanceof ConfigError) {
      return err.problems;
    }
    throw err;
  }
}
