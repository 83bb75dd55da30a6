/**
 * Purging one tenant's data: the only code in this repository that drops a tenant schema. It runs only for an
 * explicit purge event (`npm run tenants:purge -- <stack> <id> --confirm <id>`), only for a tenant that is
 * already out of reach (removed from config, so the provisioner has suspended it), and only after every row
 * of every table has been exported and the export's manifest written. One transaction: if the export or a
 * drop fails, nothing is dropped.
 */
import { ClientBase } from "pg";
import {
  DEFAULT_APP_ROLE,
  DEFAULT_MIGRATOR_ROLE,
  TENANT_ID_PATTERN,
  tenantRoleName,
  tenantSchemaName,
} from "../tenant-schemas/model";
import { quoteIdent } from "./sql";
import { FLYWAY_HISTORY_TABLE, TenantInputError } from "./verify";
import { PROVISIONER_LOCK_KEY } from "./provision";

export const PURGE_EVENT_KIND = "saas.tenant-purge/v1";
/** Rows per export object: bounds the function's memory whatever the table size. */
export const EXPORT_ROWS_PER_PART = 50_000;

export interface PurgeEvent {
  readonly kind: typeof PURGE_EVENT_KIND;
  readonly tenant: string;
  /** Must repeat `tenant`: a typo in one of the two refuses the purge. */
  readonly confirm: string;
  /** Who asked (the CLI sends the caller's identity); recorded in the manifest and the log. */
  readonly requestedBy: string;
  readonly migratorRole?: string;
  readonly appRole?: string;
}

/** Where an export goes: S3 in the Lambda (s3Export.ts), a folder from a workstation (tools/tenants/purge.ts). */
export interface S3ExportSink {
  /** Human-readable location of the export, e.g. `s3://bucket/tenant-exports/acme/2026-12-01T10-00-00Z/`. */
  readonly location: (prefix: string) => string;
  readonly put: (key: string, body: string, contentType: string) => Promise<void>;
}

export interface PurgeReport {
  readonly action: "purge";
  readonly tenant: string;
  readonly exportLocation: string;
  readonly tables: readonly { readonly name: string; readonly rows: number; readonly parts: number }[];
  readonly dropped: readonly string[];
  readonly requestedBy: string;
}

export function isPurgeEvent(event: unknown): event is Record<string, unknown> {
  return typeof event === "object" && event !== null && (event as { kind?: unknown }).kind === PURGE_EVENT_KIND;
}

export function parsePurgeEvent(raw: unknown): PurgeEvent {
  const e = (typeof raw === "object" && raw !== null ? raw : {}) as Record<string, unknown>;
  const problems: string[] = [];
  if (e.kind !== PURGE_EVENT_KIND) problems.push(`kind: must be "${PURGE_EVENT_KIND}"`);
  if (typeof e.tenant !== "string" || !TENANT_ID_PATTERN.test(e.tenant)) {
    problems.push(`tenant: ${JSON.stringify(e.tenant)} must be a tenant id matching ${TENANT_ID_PATTERN.source}`);
  }
  if (e.confirm !== e.tenant) {
    problems.push(`confirm: ${JSON.stringify(e.confirm)} must repeat the tenant id ${JSON.stringify(e.tenant)}`);
  }
  if (typeof e.requestedBy !== "string" || e.requestedBy.trim() === "") {
    problems.push("requestedBy: must name who asked for the purge");
  }
  if (problems.length > 0)
    throw new TenantInputError(`purge refused; nothing was exported or dropped: ${problems.join("; ")}`);
  return e as unknown as PurgeEvent;
}

export async function purgeTenant(
  client: ClientBase,
  raw: unknown,
  sink: S3ExportSink,
  now: () => Date = () => new Date(),
): Promise<PurgeReport> {
  const event = parsePurgeEvent(raw);
  const app = event.appRole ?? DEFAULT_APP_ROLE;
  const migrator = event.migratorRole ?? DEFAULT_MIGRATOR_ROLE;
  const role = tenantRoleName(event.tenant);
  const schema = tenantSchemaName(event.tenant);
  const q = async <T>(sql: string, params: unknown[] = []) => (await client.query(sql, params)).rows as T[];

  await client.query("BEGIN");
  let committed = false;
  try {
    await client.query("SELECT pg_advisory_xact_lock($1)", [PROVISIONER_LOCK_KEY]);
    // The export uploads while the transaction waits: the parameter group's idle_in_transaction_session_timeout
    // (60 s) would end the session mid-export. The function's own 15 minutes still bound the whole purge.
    await client.query("SET LOCAL idle_in_transaction_session_timeout = 0");
    const [state] = await q<{ role: boolean; schema: boolean; reachable: boolean; login: boolean }>(
      `SELECT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = $1) AS role,
              EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = $2) AS schema,
              EXISTS (SELECT 1 FROM pg_auth_members am JOIN pg_roles r ON r.oid = am.roleid JOIN pg_roles m ON m.oid = am.member
                       WHERE r.rolname = $1 AND m.rolname = $3) AS reachable,
              coalesce((SELECT rolcanlogin FROM pg_roles WHERE rolname = $1), false) AS login`,
      [role, schema, app],
    );
    if (!state.role && !state.schema) {
      throw new TenantInputError(`purge refused: tenant ${event.tenant} has no role or schema in this database`);
    }
    if (state.reachable || state.login) {
      throw new TenantInputError(
        `purge refused: tenant ${event.tenant} is still reachable (${state.reachable ? `${app} can SET ROLE ${role}` : `${role} can log in`}); remove it from config and run pulumi up first, so the provisioner suspends it`,
      );
    }
    const stamp = now().toISOString().replace(/[:.]/g, "-");
    const prefix = `tenant-exports/${event.tenant}/${stamp}/`;
    const tables: { name: string; rows: number; parts: number; columns: { name: string; type: string }[] }[] = [];
    if (state.schema) {
      // Read as the migrator, which owns every table of the schema (a session that could not read a table
      // would fail the export, and with it the purge).
      await client.query(`SET LOCAL ROLE ${quoteIdent(migrator)}`);
      const rels = await q<{ name: string }>(
        `SELECT c.relname AS name FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
          WHERE n.nspname = $1 AND c.relkind IN ('r', 'p') AND NOT c.relispartition ORDER BY 1`,
        [schema],
      );
      for (const rel of rels) {
        const columns = await q<{ name: string; type: string }>(
          `SELECT a.attname AS name, format_type(a.atttypid, a.atttypmod) AS type FROM pg_attribute a
            WHERE a.attrelid = format('%I.%I', $1::text, $2::text)::regclass AND a.attnum > 0 AND NOT a.attisdropped
            ORDER BY a.attnum`,
          [schema, rel.name],
        );
        const cursor = `purge_${tables.length}`;
        await client.query(
          `DECLARE ${cursor} NO SCROLL CURSOR FOR SELECT row_to_json(t)::text AS line FROM ${quoteIdent(schema)}.${quoteIdent(rel.name)} t`,
        );
        let rows = 0;
        let parts = 0;
        for (;;) {
          const batch = await q<{ line: string }>(`FETCH ${EXPORT_ROWS_PER_PART} FROM ${cursor}`);
          if (batch.length === 0 && parts > 0) break;
          parts++;
          rows += batch.length;
          const body = batch.map((r) => r.line).join("\n") + (batch.length > 0 ? "\n" : "");
          await sink.put(`${prefix}${rel.name}.${String(parts).padStart(5, "0")}.jsonl`, body, "application/x-ndjson");
          if (batch.length < EXPORT_ROWS_PER_PART) break;
        }
        await client.query(`CLOSE ${cursor}`);
        tables.push({ name: rel.name, rows, parts, columns });
      }
      await client.query("RESET ROLE");
    }
    const history = tables.some((t) => t.name === FLYWAY_HISTORY_TABLE)
      ? (
          await q<{ version: string | null }>(
            // The last successful versioned migration; versions are text ("10" sorts before "9").
            `SELECT version FROM ${quoteIdent(schema)}.${quoteIdent(FLYWAY_HISTORY_TABLE)}
              WHERE success AND version IS NOT NULL ORDER BY installed_rank DESC LIMIT 1`,
          )
        )[0]?.version
      : null;
    // The manifest goes last: its presence is what says the export is complete.
    await sink.put(
      `${prefix}manifest.json`,
      JSON.stringify(
        {
          kind: "saas.tenant-export/v1",
          tenant: event.tenant,
          schema,
          exportedAt: now().toISOString(),
          requestedBy: event.requestedBy,
          flywayVersion: history ?? null,
          format:
            "one JSON object per line (row_to_json), split every 50,000 rows; a partitioned table once, under its parent",
          tables: tables.map((t) => ({ name: t.name, rows: t.rows, parts: t.parts, columns: t.columns })),
        },
        null,
        2,
      ),
      "application/json",
    );
    const dropped: string[] = [];
    if (state.schema) {
      await client.query(`DROP SCHEMA ${quoteIdent(schema)} CASCADE`);
      dropped.push(`schema ${schema}`);
    }
    if (state.role) {
      await client.query(
        `REVOKE ALL ON DATABASE ${quoteIdent((await q<{ d: string }>("SELECT current_database() AS d"))[0].d)} FROM ${quoteIdent(role)}`,
      );
      await client.query(`DROP ROLE ${quoteIdent(role)}`);
      dropped.push(`role ${role}`);
    }
    await client.query("COMMIT");
    committed = true;
    return {
      action: "purge",
      tenant: event.tenant,
      exportLocation: sink.location(prefix),
      tables: tables.map(({ name, rows, parts }) => ({ name, rows, parts })),
      dropped,
      requestedBy: event.requestedBy,
    };
  } finally {
    if (!committed) await client.query("ROLLBACK");
  }
}
