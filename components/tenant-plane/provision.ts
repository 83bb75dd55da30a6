/**
 * The provisioner's core: apply the tenant model to the live database, then verify it, in one transaction.
 * Plain TypeScript with `pg` and no AWS import: the Lambda (handler.ts), `npm run tenants:apply` and the
 * integration tests run this very function.
 *
 * One run: validate the event (nothing is touched when it is invalid) → take an advisory lock (a second run
 * waits) → read the catalog → plan what is missing → execute it → run every isolation check in a savepoint →
 * COMMIT when every check passes, else ROLLBACK and throw naming the failed checks, so `pulumi up` fails.
 */
import { ClientBase } from "pg";
import { buildTenantModel, SEQUENCE_PRIVILEGES, TABLE_PRIVILEGES } from "../tenant-schemas/model";
import { readCatalog } from "./catalog";
import { quoteIdent } from "./sql";
import { parseProvisionerEvent, ProvisionerEvent } from "./event";
import { planProvisioning, PlannedStatement } from "./plan";
import { CheckResult, TenantInputError, verifyTenants } from "./verify";

/** Key of the transaction-scoped advisory lock every provisioning run holds (two deploys never interleave). */
export const PROVISIONER_LOCK_KEY = 7_201_164_451;

export interface ProvisionReport {
  readonly action: "create" | "update" | "delete" | "apply" | "verify" | "dry-run";
  readonly database: string;
  readonly tenants: number;
  /** Statements executed (0 on a re-run with no change). */
  readonly statements: number;
  readonly created: readonly string[];
  readonly changed: readonly string[];
  readonly suspended: readonly string[];
  readonly orphaned: readonly string[];
  readonly notes: readonly string[];
  readonly checks: {
    readonly total: number;
    readonly failed: number;
    readonly failures: readonly CheckResult[];
    /** `all`, or `N of M tenants`: which tenants got the per-tenant checks (see verificationScope). */
    readonly scope?: string;
    /**
     * Every check that ran, by name, with how many times it passed and failed: the whole verification in a few
     * dozen lines whatever the tenant count (a stack output and a Lambda response stay small).
     */
    readonly byCheck?: Readonly<Record<string, { readonly passed: number; readonly failed: number }>>;
  };
  readonly durationMs: number;
  /** Only with `dryRun` or `includeStatements`: the SQL in execution order. */
  readonly sql?: readonly string[];
}

export interface ProvisionOptions {
  /** Plan, execute and verify, then roll back whatever happened. */
  readonly dryRun?: boolean;
  /** Put the executed SQL in the report (the CLI prints it; the Lambda result stays small without it). */
  readonly includeStatements?: boolean;
  /** Milliseconds since some epoch, for the duration; injectable for tests. */
  readonly now?: () => number;
}

/** The checks failed: the transaction was rolled back and nothing of this run remains. */
export class ProvisioningCheckError extends Error {
  constructor(readonly report: ProvisionReport) {
    const list = report.checks.failures
      .slice(0, 20)
      .map((f) => `${f.tenant}: ${f.check}: expected ${f.expected}, got ${f.actual}`);
    const more = report.checks.failures.length > 20 ? [`… and ${report.checks.failures.length - 20} more`] : [];
    super(
      `tenant provisioning rolled back: ${report.checks.failed} of ${report.checks.total} isolation checks failed:\n  - ${[...list, ...more].join("\n  - ")}`,
    );
  }
}

/** Up to this many tenants, every run checks every tenant; beyond it, see verificationScope. */
export const FULL_VERIFICATION_LIMIT = 50;
/**
 * Where the provisioner records the code that last verified every tenant: a run of other code verifies all of
 * them again. In the admin schema, which only the operator can use.
 */
export const STATE_TABLE = "tenant_provisioner_state";

/**
 * Which tenants get the per-tenant checks. Every tenant up to FULL_VERIFICATION_LIMIT, and whenever the
 * handler's code differs from the one that last verified all of them (a first run included); otherwise the
 * tenants this run created, changed or suspended. The fleet-wide checks always cover every tenant, one query
 * each: which roles app can become and which tenant roles can log in, every cross-tenant grant and membership,
 * PUBLIC grants, other schemas a tenant can use, SECURITY DEFINER functions, cross-schema views and writable
 * Flyway histories. `npm run verify:tenants` checks everything.
 */
export function verificationScope(
  event: ProvisionerEvent,
  plan: {
    readonly created: readonly string[];
    readonly changed: readonly string[];
    readonly suspended: readonly string[];
  },
  lastFullyVerifiedBy: string | undefined,
): "all" | ReadonlySet<string> {
  if (event.tenants.length <= FULL_VERIFICATION_LIMIT || lastFullyVerifiedBy !== event.handlerSha256) return "all";
  return new Set([...plan.created, ...plan.changed, ...plan.suspended]);
}

async function lastFullVerification(client: ClientBase, adminSchema: string): Promise<string | undefined> {
  const table = `${quoteIdent(adminSchema)}.${quoteIdent(STATE_TABLE)}`;
  const [exists] = (
    await client.query<{ t: string | null }>("SELECT to_regclass($1)::text AS t", [`${adminSchema}.${STATE_TABLE}`])
  ).rows;
  if (exists?.t === null || exists === undefined) return undefined;
  const [row] = (await client.query<{ handler_sha256: string }>(`SELECT handler_sha256 FROM ${table}`)).rows;
  return row?.handler_sha256;
}

async function recordFullVerification(client: ClientBase, event: ProvisionerEvent): Promise<void> {
  const table = `${quoteIdent(event.adminSchema)}.${quoteIdent(STATE_TABLE)}`;
  await client.query(
    `CREATE TABLE IF NOT EXISTS ${table} (id boolean PRIMARY KEY DEFAULT true CHECK (id), handler_sha256 text NOT NULL,
       tenants integer NOT NULL, verified_at timestamptz NOT NULL DEFAULT now())`,
  );
  await client.query(
    `INSERT INTO ${table} (handler_sha256, tenants) VALUES ($1, $2)
     ON CONFLICT (id) DO UPDATE SET handler_sha256 = EXCLUDED.handler_sha256, tenants = EXCLUDED.tenants, verified_at = now()`,
    [event.handlerSha256, event.tenants.length],
  );
}

/** The `tf.action: "delete"` call of lifecycle CRUD, recognised without validating the rest of the event. */
export function isDeleteEvent(event: unknown): boolean {
  const tf = (event as { tf?: { action?: unknown } } | null)?.tf;
  return typeof tf === "object" && tf !== null && tf.action === "delete";
}

/** What a delete call answers: nothing dropped, nothing revoked, nothing read. */
export function deletionReport(event: unknown): ProvisionReport {
  const e = (event ?? {}) as { database?: unknown; tenants?: unknown };
  return {
    action: "delete",
    database: typeof e.database === "string" ? e.database : "",
    tenants: Array.isArray(e.tenants) ? e.tenants.length : 0,
    statements: 0,
    created: [],
    changed: [],
    suspended: [],
    orphaned: [],
    notes: ["delete: nothing is dropped or revoked; see runbooks/tenant-offboarding.md to remove a tenant"],
    checks: { total: 0, failed: 0, failures: [] },
    durationMs: 0,
  };
}

export function summariseChecks(results: readonly CheckResult[]): Record<string, { passed: number; failed: number }> {
  const out: Record<string, { passed: number; failed: number }> = {};
  for (const r of results) {
    const entry = (out[r.check] ??= { passed: 0, failed: 0 });
    if (r.ok) entry.passed++;
    else entry.failed++;
  }
  return out;
}

export async function provisionTenants(
  client: ClientBase,
  rawEvent: unknown,
  opts: ProvisionOptions = {},
): Promise<ProvisionReport> {
  const now = opts.now ?? (() => performance.now());
  const started = now();
  const event: ProvisionerEvent = parseProvisionerEvent(rawEvent);
  const model = buildTenantModel(event.tenants, { migratorRole: event.migratorRole, appRole: event.appRole });
  const [{ database }] = (await client.query<{ database: string }>("SELECT current_database() AS database")).rows;
  if (database !== event.database) {
    throw new TenantInputError(
      `event.database: "${event.database}" is not the database this connection is in ("${database}"); connect to "${event.database}"`,
    );
  }
  const action = opts.dryRun ? "dry-run" : (event.tf?.action ?? event.mode);
  const empty = { created: [], changed: [], suspended: [], orphaned: [], notes: [] };

  // Removing the Invocation (or the stack) never removes tenants: their data outlives any deploy.
  if (event.tf?.action === "delete") return deletionReport(event);

  await client.query("BEGIN");
  let committed = false;
  try {
    const version = Number((await client.query("SHOW server_version_num")).rows[0].server_version_num);
    if (version < 160000) {
      throw new TenantInputError(
        `the tenant model needs PostgreSQL 16 or later (GRANT ... WITH INHERIT/SET); this server is ${version}`,
      );
    }
    await client.query("SELECT pg_advisory_xact_lock($1)", [PROVISIONER_LOCK_KEY]);
    // A non-superuser creator (the RDS master user) gets SET, not INHERIT, on each role it creates.
    await client.query("SET LOCAL createrole_self_grant = 'set'");
    // Waiting behind a migration's lock, or a query gone wrong, fails the run in time to say why instead of
    // being killed with the function at 15 minutes (and leaving the server session, and its locks, behind).
    await client.query("SET LOCAL lock_timeout = '30s'");
    await client.query("SET LOCAL statement_timeout = '5min'");
    let statements: readonly PlannedStatement[] = [];
    let plan = { ...empty } as Omit<ReturnType<typeof planProvisioning>, "statements">;
    if (event.mode === "apply") {
      const catalog = await readCatalog(client, {
        migratorRole: model.migratorRole,
        appRole: model.appRole,
        adminSchema: event.adminSchema,
        tablePrivileges: TABLE_PRIVILEGES,
        sequencePrivileges: SEQUENCE_PRIVILEGES,
      });
      const planned = planProvisioning(model, catalog, { rdsIam: event.rdsIam, adminSchema: event.adminSchema });
      statements = planned.statements;
      plan = planned;
      for (const s of statements) {
        try {
          await client.query(s.sql);
        } catch (e) {
          throw new Error(
            `statement failed${s.tenant ? ` for tenant ${s.tenant}` : ""}: ${s.sql}: ${(e as Error).message}`,
          );
        }
      }
    }
    const scope = verificationScope(event, plan, await lastFullVerification(client, event.adminSchema));
    const results = await verifyTenants(client, event.tenants, {
      migratorRole: model.migratorRole,
      appRole: model.appRole,
      inTransaction: true,
      ...(scope === "all" ? {} : { scope }),
    });
    const failures = results.filter((r) => !r.ok);
    const report: ProvisionReport = {
      action,
      database,
      tenants: model.tenants.length,
      statements: statements.length,
      created: plan.created,
      changed: plan.changed,
      suspended: plan.suspended,
      orphaned: plan.orphaned,
      notes: plan.notes,
      checks: {
        total: results.length,
        failed: failures.length,
        failures,
        scope: scope === "all" ? "all" : `${scope.size} of ${model.tenants.length} tenants`,
        byCheck: summariseChecks(results),
      },
      durationMs: Math.round(now() - started),
      ...(opts.dryRun || opts.includeStatements ? { sql: statements.map((s) => s.sql) } : {}),
    };
    if (failures.length > 0) throw new ProvisioningCheckError(report);
    if (opts.dryRun) return report;
    if (scope === "all" && event.mode === "apply") await recordFullVerification(client, event);
    await client.query("COMMIT");
    committed = true;
    return report;
  } finally {
    if (!committed) await client.query("ROLLBACK");
  }
}
