/**
 * Checks a live database against the stack's tenant model, in the catalog and by behaviour:
 * `npm run verify:tenants -- --database-url <url> [--stack <stack> | --tenants a,b,c:dedicated]`.
 * The provisioner runs the same checks after every apply; this runs them alone (a restored copy, a local
 * database, break-glass). Nothing it does is committed.
 *
 * Exit status: 0 all checks pass, 1 a check failed (a leak or a missing grant), 2 usage or connection error.
 */
import { DEFAULT_APP_ROLE, DEFAULT_MIGRATOR_ROLE } from "../../components/tenant-schemas/model";
import { formatChecks, TenantInputError, verifyTenants } from "../../components/tenant-plane/verify";
import { tenantsOfStack } from "./stack";
import { parseFlags, parseTenantList, UsageError } from "./cli";

const USAGE =
  "usage: verify:tenants -- --database-url <url> [--stack <stack> | --tenants a,b,c[:dedicated]] [--migrator-role migrator] [--app-role app]";

export async function main(argv: readonly string[]): Promise<number> {
  try {
    const flags = parseFlags(argv, ["database-url", "stack", "tenants", "migrator-role", "app-role"]);
    if (flags.help) {
      process.stdout.write(`${USAGE}\n`);
      return 0;
    }
    const url = flags["database-url"] ?? process.env.DATABASE_URL;
    if (url === undefined) throw new UsageError("--database-url is required (or set DATABASE_URL)");
    if (flags.stack !== undefined && flags.tenants !== undefined)
      throw new UsageError("give --stack or --tenants, not both");
    // The stack's tenants are what must be isolated; without either, every tenant_* schema found is checked.
    const tenants = flags.stack
      ? tenantsOfStack(flags.stack).tenants
      : flags.tenants
        ? parseTenantList(flags.tenants)
        : undefined;
    const results = await verifyTenants(url, tenants, {
      migratorRole: flags["migrator-role"] ?? DEFAULT_MIGRATOR_ROLE,
      appRole: flags["app-role"] ?? DEFAULT_APP_ROLE,
    });
    process.stdout.write(formatChecks(results));
    return results.every((r) => r.ok) ? 0 : 1;
  } catch (e) {
    const message = (e as Error).message.replace(/\n\s*/g, " ");
    const usage = e instanceof UsageError || e instanceof TenantInputError;
    process.stderr.write(`verify:tenants: ${message}\n${usage ? `${USAGE}\n` : ""}`);
    return 2;
  }
}

if (require.main === module) {
  void main(process.argv.slice(2)).then((code) => (process.exitCode = code));
}
