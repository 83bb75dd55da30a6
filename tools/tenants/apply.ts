/**
 * Runs the tenant provisioner from a workstation: exactly the handler core and the event the stack's
 * `aws.lambda.Invocation` gets, against any database you can reach (a local development database, a restored
 * copy, break-glass through runbooks/database-connect.md):
 *
 *   npm run tenants:apply -- --database-url <url> --stack <stack> [--dry-run]
 *
 * Connect as the RDS master user (or a superuser). `--dry-run` applies, verifies and rolls back, printing the
 * SQL it would run. Exit status: 0 applied and verified, 1 a check failed (rolled back), 2 usage or connection
 * error, or an invalid tenant list.
 */
import { Client } from "pg";
import { provisionerEvent } from "../../components/tenant-plane/bundle";
import { ProvisionerEvent } from "../../components/tenant-plane/event";
import { ProvisioningCheckError, ProvisionReport, provisionTenants } from "../../components/tenant-plane/provision";
import { TenantInputError } from "../../components/tenant-plane/verify";
import { REPO_ROOT } from "../engine/run";
import { parseFlags, UsageError } from "./cli";
import { configOfStack } from "./stack";

const USAGE = "usage: tenants:apply -- --database-url <url> --stack <stack> [--dry-run]";

/** The event the stack's Invocation is given, rendered from its validated config. */
export async function stackProvisionerEvent(stack: string, projectDir = REPO_ROOT): Promise<ProvisionerEvent> {
  const config = configOfStack(stack, projectDir);
  return provisionerEvent({
    tenants: config.database.tenants,
    database: config.database.name,
    mode: "apply",
  });
}

export function formatReport(report: ProvisionReport): string {
  const list = (ids: readonly string[]) => (ids.length === 0 ? "none" : ids.join(", "));
  const lines = [
    `${report.action}: ${report.tenants} tenants in database ${report.database}, ${report.statements} statements, ${report.durationMs} ms`,
    `  created:   ${list(report.created)}`,
    `  changed:   ${list(report.changed)}`,
    `  suspended: ${list(report.suspended)}`,
    `  orphaned:  ${list(report.orphaned)}${report.orphaned.length > 0 ? " (in the database, not in config: suspended, never dropped)" : ""}`,
    ...report.notes.map((n) => `  note: ${n}`),
    `  checks:    ${report.checks.total - report.checks.failed} of ${report.checks.total} passed`,
    ...report.checks.failures.map((f) => `    FAIL ${f.tenant}: ${f.check}: expected ${f.expected}, got ${f.actual}`),
  ];
  if (report.sql !== undefined) {
    lines.push(report.sql.length === 0 ? "  SQL: none" : "  SQL:", ...report.sql.map((s) => `    ${s};`));
  }
  return `${lines.join("\n")}\n`;
}

export async function main(argv: readonly string[]): Promise<number> {
  let client: Client | undefined;
  try {
    const flags = parseFlags(
      argv.filter((a) => a !== "--dry-run"),
      ["database-url", "stack"],
    );
    if (flags.help) {
      process.stdout.write(`${USAGE}\n`);
      return 0;
    }
    const url = flags["database-url"] ?? process.env.DATABASE_URL;
    if (url === undefined) throw new UsageError("--database-url is required (or set DATABASE_URL)");
    if (flags.stack === undefined) throw new UsageError("--stack is required: the event is rendered from its config");
    const dryRun = argv.includes("--dry-run");
    const event = await stackProvisionerEvent(flags.stack);
    client = new Client({ connectionString: url, application_name: "tenants:apply" });
    try {
      await client.connect();
    } catch (e) {
      throw new UsageError(`cannot connect to the database: ${(e as Error).message}`);
    }
    const report = await provisionTenants(client, event, { dryRun, includeStatements: true });
    process.stdout.write(formatReport(report));
    return 0;
  } catch (e) {
    if (e instanceof ProvisioningCheckError) {
      process.stdout.write(formatReport(e.report));
      process.stderr.write(
        `tenants:apply: ${e.report.checks.failed} checks failed; nothing was applied (rolled back)\n`,
      );
      return 1;
    }
    const usage = e instanceof UsageError || e instanceof TenantInputError;
    process.stderr.write(`tenants:apply: ${(e as Error).message.replace(/\n\s*/g, " ")}\n${usage ? `${USAGE}\n` : ""}`);
    return 2;
  } finally {
    await client?.end().catch(() => undefined);
  }
}

if (require.main === module) {
  void main(process.argv.slice(2)).then((code) => (process.exitCode = code));
}
