/**
 * Tenant naming, as the tenant model (components/tenant-schemas/model.ts) defines it: tenant `<id>` has the
 * role and the schema `tenant_<id>`. app/ is built on its own (its Docker build context is this folder), so the
 * rule is restated here; tests/app/tenant.test.ts fails if it ever differs from the model's.
 */

/** The model's TENANT_ID_PATTERN: a lowercase letter, then 1–30 lowercase letters, digits or `_`. */
export const TENANT_ID_PATTERN = /^[a-z][a-z0-9_]{1,30}$/;
export const TENANT_PREFIX = "tenant_";

/** True when `id` is a syntactically valid tenant id (whether the tenant exists is the database's answer). */
export function isTenantId(id: unknown): id is string {
  return typeof id === "string" && TENANT_ID_PATTERN.test(id);
}

/**
 * The tenant's role (and schema) as a quoted SQL identifier. Only a validated id reaches this function, and the
 * quoting would still neutralise anything else: the pattern admits no `"`, so `"tenant_<id>"` is exact.
 */
export function tenantIdentifier(id: string): string {
  if (!isTenantId(id)) throw new Error(`not a tenant id: ${JSON.stringify(id)}`);
  return `"${TENANT_PREFIX}${id}"`;
}
