/**
 * Purges one tenant's data, explicitly: `npm run tenants:purge -- <stack> <id> --confirm <id>`.
 *
 * Refuses while the tenant is in the stack's `saas:tenants` (whatever its status): offboarding is first
 * "remove from config, `pulumi up`" (the provisioner suspends it), then this. It invokes the stack's
 * provisioner function (inside the VPC), which exports every row of every table of the tenant's schema to the
 * stack's export bucket (`s3://<tenantExportBucketName>/tenant-exports/<id>/<time>/`, manifest last), then drops
 * the schema and the role in the same transaction. Break-glass or a local database: `--database-url <url>
 * [--export-dir <dir>]` runs the same code here and writes the export under that folder (default: here), in
 * `<dir>/tenant-exports/<id>/<time>/`.
 *
 * Every purge is logged: the function's log group records the event and the report; this command prints both.
 * Exit status: 0 purged, 1 refused or failed in the function, 2 usage or configuration error.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { InvokeCommand, LambdaClient } from "@aws-sdk/client-lambda";
import { Client } from "pg";
import {
  PURGE_EVENT_KIND,
  PurgeEvent,
  PurgeReport,
  purgeTenant,
  S3ExportSink,
} from "../../components/tenant-plane/purge";
import { provisionerFunctionName } from "../../components/tenant-plane/provisioner";
import { TENANT_ID_PATTERN } from "../../components/tenant-schemas/model";
import { TenantInputError } from "../../components/tenant-plane/verify";
import { REPO_ROOT } from "../engine/run";
import { parseFlags, UsageError } from "./cli";
import { configOfStack } from "./stack";

const USAGE =
  "usage: tenants:purge -- <stack> <tenant id> --confirm <tenant id> [--database-url <url> [--export-dir <dir>]]";

export interface PurgeDependencies {
  readonly lambda: (region: string) => LambdaClient;
  readonly out: (text: string) => void;
  readonly err: (text: string) => void;
  readonly projectDir?: string;
  readonly requestedBy?: string;
}

/** A folder on this machine as the export destination (break-glass and local databases). */
export function directoryExportSink(dir: string): S3ExportSink {
  return {
    location: (prefix) => path.resolve(dir, prefix),
    put: async (key, body) => {
      const file = path.resolve(dir, key);
      await fs.promises.mkdir(path.dirname(file), { recursive: true });
      await fs.promises.writeFile(file, body, { mode: 0o600 });
    },
  };
}

function formatPurge(report: PurgeReport): string {
  return [
    `purged tenant ${report.tenant} (requested by ${report.requestedBy})`,
    `  export:  ${report.exportLocation}`,
    ...report.tables.map((t) => `    ${t.name}: ${t.rows} rows in ${t.parts} part(s)`),
    `  dropped: ${report.dropped.join(", ") || "nothing"}`,
    "",
  ].join("\n");
}

export async function run(argv: readonly string[], deps: PurgeDependencies): Promise<number> {
  try {
    const [stack, tenant, ...rest] = argv;
    if (stack === undefined || stack.startsWith("-") || tenant === undefined || tenant.startsWith("-")) {
      throw new UsageError("a stack and a tenant id are required, in that order");
    }
    const flags = parseFlags(rest, ["confirm", "database-url", "export-dir"]);
    if (!TENANT_ID_PATTERN.test(tenant)) {
      throw new UsageError(`tenant id ${JSON.stringify(tenant)} must match ${TENANT_ID_PATTERN.source}`);
    }
    if (flags.confirm !== tenant) {
      throw new UsageError(
        `--confirm must repeat the tenant id exactly (got ${flags.confirm === undefined ? "nothing" : JSON.stringify(flags.confirm)}): purging drops ${tenant}'s data after exporting it`,
      );
    }
    if (flags["export-dir"] !== undefined && flags["database-url"] === undefined) {
      throw new UsageError(
        "--export-dir goes with --database-url; through the function the export goes to the stack's export bucket",
      );
    }
    const config = configOfStack(stack, deps.projectDir ?? REPO_ROOT);
    const configured = config.database.tenants.find((t) => t.id === tenant);
    if (configured !== undefined) {
      throw new TenantInputError(
        `tenant ${tenant} is still in saas:tenants of stack ${stack} (status ${configured.status ?? "active"}); remove it from Pulumi.${stack}.yaml and run pulumi up first, so the provisioner suspends it (runbooks/tenant-offboarding.md)`,
      );
    }
    const event: PurgeEvent = {
      kind: PURGE_EVENT_KIND,
      tenant,
      confirm: flags.confirm,
      requestedBy: deps.requestedBy ?? `${os.userInfo().username}@${os.hostname()}`,
    };
    deps.err(`tenants:purge: ${JSON.stringify({ stack, ...event })}\n`);

    if (flags["database-url"] !== undefined) {
      const client = new Client({ connectionString: flags["database-url"], application_name: "tenants:purge" });
      try {
        await client.connect();
      } catch (e) {
        throw new UsageError(`cannot connect to the database: ${(e as Error).message}`);
      }
      try {
        deps.out(formatPurge(await purgeTenant(client, event, directoryExportSink(flags["export-dir"] ?? "."))));
        return 0;
      } finally {
        await client.end();
      }
    }

    const functionName = provisionerFunctionName(config.namePrefix);
    const response = await deps.lambda(config.region).send(
      new InvokeCommand({
        FunctionName: functionName,
        InvocationType: "RequestResponse",
        Payload: new TextEncoder().encode(JSON.stringify(event)),
      }),
    );
    const payload = response.Payload ? new TextDecoder().decode(response.Payload) : "";
    if (response.FunctionError !== undefined) {
      // Lambda's error shape: { errorType, errorMessage, trace } (Lambda Developer Guide, "Node.js errors").
      let message = payload;
      try {
        message = (JSON.parse(payload) as { errorMessage?: string }).errorMessage ?? payload;
      } catch {
        // not JSON: print as it came
      }
      deps.err(`tenants:purge: ${functionName} refused or failed: ${message}\n`);
      return 1;
    }
    deps.out(formatPurge(JSON.parse(payload) as PurgeReport));
    return 0;
  } catch (e) {
    if (e instanceof TenantInputError) {
      deps.err(`tenants:purge: ${e.message}\n`);
      return 1;
    }
    const usage = e instanceof UsageError;
    deps.err(`tenants:purge: ${(e as Error).message.replace(/\n\s*/g, " ")}\n${usage ? `${USAGE}\n` : ""}`);
    return 2;
  }
}

if (require.main === module) {
  void run(process.argv.slice(2), {
    // One attempt: a retried synchronous invoke could run a second purge of the same tenant (the first may have
    // finished); the socket stays open past the function's 15 minutes.
    lambda: (region) => new LambdaClient({ region, maxAttempts: 1, requestHandler: { requestTimeout: 16 * 60_000 } }),
    out: (t) => process.stdout.write(t),
    err: (t) => process.stderr.write(t),
  }).then((code) => (process.exitCode = code));
}
