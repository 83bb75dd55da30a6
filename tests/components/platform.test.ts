import { Planned } from "../support/plan";
import { policyViolations } from "../../tools/plan/checks";
import { PlannedResource } from "../../tools/engine/types";

/** The dev stack with @pulumi/postgresql managing the tenants, as a deploy from inside the VPC (or a tunnel) runs it. */
const managed = (tenants: object[], extra: Record<string, string> = {}) =>
  Planned.of({
    stack: "dev",
    config: { "saas:tenantProvisioning": "provider", "saas:tenants": JSON.stringify(tenants), ...extra },
  });
/** The dev stack as it ships: the provisioner function applies the tenants. */
const lambda = (tenants: object[]) => Planned.of({ stack: "dev", config: { "saas:tenants": JSON.stringify(tenants) } });

const TENANTS = [{ id: "acme" }, { id: "globex" }, { id: "initech", tier: "dedicated" }];

/** What identifies a resource's desired state: its URN and inputs (ids of other resources included). */
const fingerprint = (r: PlannedResource) => JSON.stringify([r.urn, r.inputs]);

describe("the stack with provider-managed tenants (saas:tenantProvisioning provider)", () => {
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

  it("gives each tenant 8 resources (9 when dedicated), retains every one on delete, and passes the pack", () => {
    for (const t of TENANTS) {
      const own = plan.resources.filter((r) => r.name.startsWith(`${t.id}-`));
      expect(own).toHaveLength(t.tier === "dedicated" ? 9 : 8);
      expect(own.filter((r) => r.options.retainOnDelete !== true)).toEqual([]);
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
        "tenant-provisioner-apply",
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

  it("still runs the provisioner after the provider's resources, to suspend removed tenants and verify", () => {
    const invocation = plan.one("aws:lambda/invocation:Invocation", "tenant-provisioner-apply");
    const component = plan.one("saas:tenants:TenantProvisioner", "tenant-provisioner");
    const schemas = plan.one("saas:database:TenantSchemas", "tenants");
    // A dependency on a component waits for all of its children (Pulumi expands it to them).
    expect(component.dependencies).toEqual(expect.arrayContaining(plan.childrenOf(schemas).map((r) => r.urn)));
    expect(JSON.parse(String(invocation.inputs.input)).mode).toBe("apply");
  });
});

describe("the stack as it ships (saas:tenantProvisioning lambda)", () => {
  let plan: Planned;
  beforeAll(async () => {
    plan = await lambda(TENANTS);
  });

  it("has no PostgreSQL provider or resource: no deploy has to reach the database", () => {
    expect(
      plan.resources.filter((r) => r.type.startsWith("postgresql:") || r.type === "pulumi:providers:postgresql"),
    ).toEqual([]);
    expect(plan.run.outputs.tenantSchemas).toEqual({
      acme: "tenant_acme",
      globex: "tenant_globex",
      initech: "tenant_initech",
    });
    expect(policyViolations(plan.run)).toEqual([]);
  });

  it("adding a tenant changes only the Invocation's input", async () => {
    const more = await lambda([...TENANTS, { id: "umbrella" }]);
    const before = new Set(plan.resources.filter((r) => r.custom).map(fingerprint));
    const changed = more.resources.filter((r) => r.custom && !before.has(fingerprint(r)));
    expect(changed.map((r) => r.name)).toEqual(["tenant-provisioner-apply"]);
    expect(more.resources).toHaveLength(plan.resources.length);
    const input = JSON.parse(String(changed[0].inputs.input)) as { tenants: object[] };
    expect(input.tenants.at(-1)).toEqual({ id: "umbrella", tier: "shared", status: "active" });
  });

  it("gives the service's task role rds-db:connect on exactly the app database user", () => {
    const policy = plan.one("aws:iam/rolePolicy:RolePolicy", "service-database-connect");
    const instance = plan.one("aws:rds/instance:Instance", "database-instance");
    const taskRole = plan.one("aws:iam/role:Role", "service-task");
    expect(policy.inputs.role).toBe(taskRole.outputs.name);
    expect(JSON.parse(String(policy.inputs.policy))).toEqual({
      Version: "2012-10-17",
      Statement: [
        {
          Sid: "ConnectAsApp",
          Effect: "Allow",
          Action: "rds-db:connect",
          Resource: `arn:aws:rds-db:us-east-1:123456789012:dbuser:${String(instance.outputs.resourceId)}/app`,
        },
      ],
    });
  });
});
