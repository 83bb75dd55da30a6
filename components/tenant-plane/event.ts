/**
 * The provisioner's event: the desired tenant state, rendered once from stack config by the program (the
 * `aws.lambda.Invocation` input) and by `npm run tenants:apply` (the same function, so the two cannot differ).
 * It carries no secret and no endpoint: the function reads those from its own configuration.
 */
import {
  ADMIN_SCHEMA,
  DEFAULT_APP_ROLE,
  DEFAULT_MIGRATOR_ROLE,
  TenantSpec,
  TenantStatus,
  TenantTier,
  validateModelOptions,
  validateTenants,
} from "../tenant-schemas/model";
import { TenantInputError } from "./verify";

export const PROVISIONER_EVENT_KIND = "saas.tenant-provisioner/v1";

/** `apply` makes the database match, then verifies; `verify` only verifies (tenants managed by the provider). */
export type ProvisionerMode = "apply" | "verify";

export interface ProvisionerTenant {
  readonly id: string;
  readonly displayName?: string;
  readonly tier: TenantTier;
  readonly status: TenantStatus;
  /** Dedicated tier only: the tenant login's statement_timeout, in ms. */
  readonly statementTimeoutMs?: number;
  /** Dedicated tier only: the tenant login's connection limit. */
  readonly connectionLimit?: number;
}

/** What `lifecycleScope: "CRUD"` adds under `tf` (terraform-provider-aws, resource aws_lambda_invocation). */
export interface LifecycleInfo {
  readonly action: "create" | "update" | "delete";
  readonly prev_input?: unknown;
}

export interface ProvisionerEvent {
  readonly kind: typeof PROVISIONER_EVENT_KIND;
  readonly mode: ProvisionerMode;
  /** Database holding the tenant schemas. */
  readonly database: string;
  readonly migratorRole: string;
  readonly appRole: string;
  /** The server is Amazon RDS: `app` and dedicated tenants become members of `rds_iam`. */
  readonly rdsIam: boolean;
  readonly adminSchema: string;
  /** Every tenant of the stack, in config order, with its defaults filled in. */
  readonly tenants: readonly ProvisionerTenant[];
  /** SHA-256 of the bundled handler: a code change changes the input, so `pulumi up` applies again. */
  readonly handlerSha256: string;
  readonly tf?: LifecycleInfo;
}

export interface RenderEventArgs {
  readonly tenants: readonly TenantSpec[];
  readonly database: string;
  readonly mode: ProvisionerMode;
  readonly handlerSha256: string;
  /** @default "migrator" */
  readonly migratorRole?: string;
  /** @default "app" */
  readonly appRole?: string;
  /** @default true */
  readonly rdsIam?: boolean;
}

export function renderProvisionerEvent(args: RenderEventArgs): ProvisionerEvent {
  return {
    kind: PROVISIONER_EVENT_KIND,
    mode: args.mode,
    database: args.database,
    migratorRole: args.migratorRole ?? DEFAULT_MIGRATOR_ROLE,
    appRole: args.appRole ?? DEFAULT_APP_ROLE,
    rdsIam: args.rdsIam ?? true,
    adminSchema: ADMIN_SCHEMA,
    tenants: args.tenants.map((t) => ({
      id: t.id,
      ...(t.displayName !== undefined ? { displayName: t.displayName } : {}),
      tier: t.tier ?? "shared",
      status: t.status ?? "active",
      ...(t.statementTimeoutMs !== undefined ? { statementTimeoutMs: t.statementTimeoutMs } : {}),
      ...(t.connectionLimit !== undefined ? { connectionLimit: t.connectionLimit } : {}),
    })),
    handlerSha256: args.handlerSha256,
  };
}

const EVENT_FIELDS = [
  "kind",
  "mode",
  "database",
  "migratorRole",
  "appRole",
  "rdsIam",
  "adminSchema",
  "tenants",
  "handlerSha256",
  "tf",
] as const;
const IDENTIFIER = /^[a-z_][a-z0-9_]{0,62}$/;
const SHOW_MAX = 80;

function show(value: unknown): string {
  const text = value === undefined ? "undefined" : (JSON.stringify(value) ?? String(value));
  return text.length > SHOW_MAX ? `${text.slice(0, SHOW_MAX)}… (${text.length} characters)` : text;
}

/**
 * The event as the handler receives it, checked field by field. Throws one TenantInputError listing every
 * problem (`event.tenants[1].id: "Bad" must match …`) before anything touches the database.
 */
export function parseProvisionerEvent(raw: unknown): ProvisionerEvent {
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) {
    throw new TenantInputError(`invalid provisioner event: expected a JSON object, got ${show(raw)}`);
  }
  const e = raw as Record<string, unknown>;
  const problems: string[] = [];
  for (const key of Object.keys(e)) {
    if (!(EVENT_FIELDS as readonly string[]).includes(key)) {
      problems.push(`event.${key}: unknown field; expected only ${EVENT_FIELDS.join(", ")}`);
    }
  }
  if (e.kind !== PROVISIONER_EVENT_KIND) {
    problems.push(`event.kind: ${show(e.kind)} must be "${PROVISIONER_EVENT_KIND}"`);
  }
  if (e.mode !== "apply" && e.mode !== "verify") {
    problems.push(`event.mode: ${show(e.mode)} must be "apply" or "verify"`);
  }
  for (const field of ["database", "adminSchema"] as const) {
    if (typeof e[field] !== "string" || !IDENTIFIER.test(e[field])) {
      problems.push(
        `event.${field}: ${show(e[field])} must be a lowercase PostgreSQL identifier (${IDENTIFIER.source})`,
      );
    }
  }
  if (typeof e.rdsIam !== "boolean") problems.push(`event.rdsIam: ${show(e.rdsIam)} must be true or false`);
  if (typeof e.handlerSha256 !== "string" || !/^[0-9a-f]{64}$/.test(e.handlerSha256)) {
    problems.push(`event.handlerSha256: ${show(e.handlerSha256)} must be 64 lowercase hex digits`);
  }
  for (const field of ["migratorRole", "appRole"] as const) {
    if (e[field] === undefined) problems.push(`event.${field}: is missing; expected a role name`);
  }
  problems.push(
    ...validateModelOptions({
      migratorRole: e.migratorRole as string,
      appRole: e.appRole as string,
    }).map((p) => `event.${p}`),
  );
  if (!Array.isArray(e.tenants)) {
    problems.push(`event.tenants: ${show(e.tenants)} must be an array of { id, displayName?, tier, status }`);
  } else {
    problems.push(
      ...validateTenants(e.tenants as TenantSpec[], {
        migratorRole: typeof e.migratorRole === "string" ? e.migratorRole : undefined,
        appRole: typeof e.appRole === "string" ? e.appRole : undefined,
      }).map((p) => `event.${p}`),
    );
  }
  if (e.tf !== undefined) {
    const tf = e.tf as Record<string, unknown> | null;
    if (typeof tf !== "object" || tf === null || !["create", "update", "delete"].includes(tf.action as string)) {
      problems.push(`event.tf: ${show(e.tf)} must be { action: "create" | "update" | "delete", prev_input }`);
    }
  }
  if (problems.length > 0) {
    throw new TenantInputError(`invalid provisioner event; nothing was applied:\n  - ${problems.join("\n  - ")}`);
  }
  return e as unknown as ProvisionerEvent;
}
