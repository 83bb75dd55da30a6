/**
 * Prints the idempotent tenant SQL for a stack's tenants: `npm run tenants:sql -- <stack>`, or for an explicit
 * list: `npm run tenants:sql -- --tenants a,b,c:dedicated [--database app]`.
 */
import { buildTenantModel, TenantModelOptions, TenantSpec } from "../../components/tenant-schemas/model";
import { renderTenantSql } from "../../components/tenant-schemas/sql";
import { parseFlags, parseTenantList, UsageError } from "./cli";
import { splitStackArgument, tenantsOfStack } from "./stack";

export interface TenantSqlOptions extends TenantModelOptions {
  /** @default "app" - the database the stack's RDS instance is created with */
  readonly database?: string;
  /** @default true */
  readonly rdsIam?: boolean;
}

/** The SQL for a stack's tenants; throws the model's validation error listing every problem. */
export function tenantSqlForStack(tenants: readonly TenantSpec[], opts: TenantSqlOptions = {}): string {
  const model = buildTenantModel(tenants, { migratorRole: opts.migratorRole, appRole: opts.appRole });
  return renderTenantSql(model, { database: opts.database ?? "app", rdsIam: opts.rdsIam ?? true });
}

const USAGE =
  "usage: tenants:sql -- <stack> | --tenants a,b,c[:dedicated] [--database app] [--migrator-role migrator] [--app-role app] [--rds-iam true|false]";

export function main(argv: readonly string[]): number {
  try {
    const { stack, rest } = splitStackArgument(argv);
    const flags = parseFlags(rest, ["tenants", "database", "migrator-role", "app-role", "rds-iam"]);
    if (flags.help) {
      process.stdout.write(`${USAGE}\n`);
      return 0;
    }
    if (stack !== undefined && flags.tenants !== undefined) throw new UsageError("give a stack or --tenants, not both");
    if (stack === undefined && flags.tenants === undefined) throw new UsageError("a stack or --tenants is required");
    const fromStack = stack === undefined ? undefined : tenantsOfStack(stack);
    if (flags["rds-iam"] !== undefined && !["true", "false"].includes(flags["rds-iam"])) {
      throw new UsageError(`--rds-iam: "${flags["rds-iam"]}" must be true or false`);
    }
    process.stdout.write(
      tenantSqlForStack(fromStack?.tenants ?? parseTenantList(flags.tenants ?? ""), {
        database: flags.database ?? fromStack?.database,
        migratorRole: flags["migrator-role"],
        appRole: flags["app-role"],
        rdsIam: flags["rds-iam"] !== "false",
      }),
    );
    return 0;
  } catch (e) {
    process.stderr.write(`tenants:sql: ${(e as Error).message}\n${e instanceof UsageError ? `${USAGE}\n` : ""}`);
    return 2;
  }
}

if (require.main === module) {
  process.exitCode = main(process.argv.slice(2));
}
