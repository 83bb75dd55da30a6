import { Planned } from "../support/plan";
import { policyViolations } from "../../tools/plan/checks";
import { PlannedResource } from "../../tools/engine/types";

/** The dev stack with Pulumi managing the tenants, as a deploy from inside the VPC (or through a tunnel) runs it. */
const managed = (tenants: object[], extra: Record<string, string> = {}) =>
  Planned.of({
    stack: "dev",
    config: { "saas:databaseManageTenants": "true", "saas:tenants": JSON.stringify(tenants), ...extra },
  });

const TENANTS = [{ id: "acme" }, { id: "globex" }, { id: "initech", tier: "dedicated" }];

/** What identifies a resource's desired state: its URN and inputs (ids of other resources included). */
const fingerprint = (r: PlannedResource) => JSON.stringify([r.urn, r.inputs]);

describe("the stack with Pulumi-managed tenants", () => {
  let plan: Planned;
  beforeAll(async () => {
    plan = await managed(TENANTS);
  });

  it("connects as the RDS master user from the managed secret, over TLS, without superuser", () => {
    const provider = plan.one("pulumi:providers:postgresql", "postgresql-provider");
    const instance = plan.one("aws:rds/instance:Instance", "database-instance");
    // Provider configuration travels as text, as the engine gives it to the provider.
    expect(provider.inputs).toMatchObject({
      host: instance.outputs.address,
      port: "5432",
      username: "postgres",
      sslmode: "require",
      superuser: "false",
    });
    expect(provider.secretInputs).toEqual(expect.arrayContaining(["username", "password"]));
    const secretRead = plan.run.invokes.find((i) => i.token === "aws:secretsmanager/getSecretVersion:getSecretVersion");
    expect(secretRead?.args.secretId).toBe(
      (instance.outputs.masterUserSecrets as { secretArn: string }[])[0].secretArn,
    );
  });

  it("connects through the tunnel when one is configured", async () => {
    const tunnelled = await managed(TENANTS, {
      "saas:databaseTunnelHost": "localhost",
      "saas:databaseTunnelPort": "15432",
    });
    expect(tunnelled.one("pulumi:providers:postgresql", "postgresql-provider").inputs).toMatchObject({
      host: "localhost",
      port: "15432",
    });
  });

  it("gives each tenant 8 resources (9 when dedicated), retains its schema and role, and passes the pack", () => {
    for (const t of TENANTS) {
      const own = plan.resources.filter((r) => r.name.startsWith(`${t.id}-`));
      expect(own).toHaveLength(t.tier === "dedicated" ? 9 : 8);
      expect(plan.one("postgresql:index/schema:Schema", `${t.id}-schema`).options.retainOnDelete).toBe(true);
      expect(plan.one("postgresql:index/role:Role", `${t.id}-role`).options.retainOnDelete).toBe(true);
    }
    expect(policyViolations(plan.run)).toEqual([]);
    expect(plan.run.outputs.tenantSchemas).toEqual({
      acme: "tenant_acme",
      globex: "tenant_globex",
      initech: "tenant_initech",
    });
  });

  it("adds a tenant without changing any other resource", async () => {
    const more = await managed([...TENANTS, { id: "umbrella" }]);
    const before = new Set(plan.resources.filter((r) => r.custom).map(fingerprint));
    const after = more.resources.filter((r) => r.custom);
    const changed = after.filter((r) => !before.has(fingerprint(r))).map((r) => r.name);
    expect(changed.sort()).toEqual(
      [
        "umbrella-app-member",
        "umbrella-default-sequences",
        "umbrella-default-tables",
        "umbrella-role",
        "umbrella-schema",
        "umbrella-sequences",
        "umbrella-tables",
        "umbrella-usage",
      ].sort(),
    );
    expect(after.length - before.size).toBe(8);
  });

  it("keeps the schema names as an output when a DBA manages the tenants instead", async () => {
    const unmanaged = await Planned.of({ stack: "dev" });
    expect(unmanaged.ofType("saas:database:TenantSchemas")).toEqual([]);
    expect(unmanaged.run.outputs.tenantSchemas).toEqual({
      acme: "tenant_acme",
      globex: "tenant_globex",
      initech: "tenant_initech",
    });
  });
});
