/**
 * What the provisioner tests share: the Invocation input exactly as the offline plan records it, and a
 * snapshot of every catalog row the tenant model touches (to prove a re-run changes nothing).
 */
import { Client } from "pg";
import { Planned } from "../../support/plan";
import { TenantSpec } from "../../../components/tenant-schemas/model";
import { ProvisionerEvent } from "../../../components/tenant-plane/event";

/** The dev stack's program with these tenants and database, through the offline engine; returns the input. */
export async function plannedEvent(
  tenants: readonly TenantSpec[],
  database: string,
  extra: Record<string, string> = {},
): Promise<ProvisionerEvent> {
  const plan = await Planned.of({
    stack: "dev",
    config: { "saas:tenants": JSON.stringify(tenants), "saas:databaseName": database, ...extra },
  });
  const invocation = plan.one("aws:lambda/invocation:Invocation", "tenant-provisioner-apply");
  return JSON.parse(String(invocation.inputs.input)) as ProvisionerEvent;
}

export async function connect(url: string): Promise<Client> {
  const c = new Client({ connectionString: url });
  c.on("error", () => undefined);
  await c.connect();
  return c;
}

/** Every ACL, membership and role attribute of the roles and schemas the model manages, in a stable order. */
export async function catalogSnapshot(client: Client): Promise<Record<string, unknown[]>> {
  const q = async (sql: string) => (await client.query(sql)).rows as unknown[];
  const roles = `'^(tenant_|app$|migrator$|rds_iam$)'`;
  return {
    roles: await q(
      `SELECT rolname, rolcanlogin, rolinherit, rolconnlimit FROM pg_roles WHERE rolname ~ ${roles} ORDER BY 1`,
    ),
    schemas: await q(
      `SELECT nspname, nspowner::regrole::text, nspacl::text FROM pg_namespace
        WHERE nspname ~ '^(tenant_|public$|admin$)' ORDER BY 1`,
    ),
    defaults: await q(`SELECT defaclrole::regrole::text, defaclnamespace::regnamespace::text, defaclobjtype,
                              defaclacl::text FROM pg_default_acl ORDER BY 1, 2, 3`),
    members: await q(`SELECT roleid::regrole::text, member::regrole::text, grantor::regrole::text, inherit_option,
                             set_option, admin_option FROM pg_auth_members ORDER BY 1, 2, 3`),
    databases: await q(`SELECT datname, datacl::text FROM pg_database ORDER BY 1`),
    relations: await q(`SELECT relnamespace::regnamespace::text, relname, relacl::text FROM pg_class
                         WHERE relnamespace::regnamespace::text LIKE 'tenant\\_%' ORDER BY 1, 2`),
  };
}
