/** Argument handling shared by the tenant commands. */
import { TenantSpec } from "../../components/tenant-schemas/model";

/** A problem with how a command was called: reported on one line, exit status 2. */
export class UsageError extends Error {}

/**
 * `a,b,c:dedicated` → tenant specs. Validation of the ids themselves is left to the model so the messages
 * are the same as in stack config.
 */
export function parseTenantList(value: string): TenantSpec[] {
  return value
    .split(",")
    .map((item) => item.trim())
    .filter((item) => item !== "")
    .map((item) => {
      const [id, tier, ...rest] = item.split(":");
      if (rest.length > 0) throw new UsageError(`--tenants: "${item}" must be <id> or <id>:<tier>`);
      return tier === undefined ? { id } : { id, tier: tier as TenantSpec["tier"] };
    });
}

/** Minimal `--flag value` parser: unknown flags are usage errors, not silently ignored. */
export function parseFlags(argv: readonly string[], known: readonly string[]): Record<string, string> {
  const flags: Record<string, string> = {};
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === "--help" || arg === "-h") {
      flags.help = "true";
      continue;
    }
    const match = /^--([a-z-]+)(?:=(.*))?$/.exec(arg);
    if (!match || !known.includes(match[1])) {
      throw new UsageError(`unknown argument "${arg}"; expected ${known.map((k) => `--${k}`).join(", ")}`);
    }
    const value = match[2] ?? argv[++i];
    if (value === undefined || (match[2] === undefined && value.startsWith("--"))) {
      throw new UsageError(`--${match[1]} needs a value`);
    }
    flags[match[1]] = value;
  }
  return flags;
}
