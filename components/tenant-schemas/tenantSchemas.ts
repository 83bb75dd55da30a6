import * as postgresql from "@pulumi/postgresql";
import * as pulumi from "@pulumi/pulumi";
import { ComponentArgsError } from "../shared/naming";
import {
  buildTenantModel,
  DEFAULT_APP_ROLE,
  DEFAULT_MIGRATOR_ROLE,
  GrantSpec,
  RDS_IAM_ROLE,
  TenantModel,
  TenantSpec,
  validateModelOptions,
  validateTenants,
} from "./model";

/** How to reach the database; credentials come from the RDS managed master secret. */
export interface TenantDatabaseConnectionArgs {
  /** Endpoint address of the RDS instance or cluster. */
  readonly host: pulumi.Input<string>;
  /** @default 5432 */
  readonly port?: pulumi.Input<number>;
  /** The RDS master user name (not a superuser; has CREATEROLE and owns the database). */
  readonly username: pulumi.Input<string>;
  readonly password: pulumi.Input<string>;
  /** Database the provider connects to. @default - the `database` of TenantSchemasArgs */
  readonly database?: pulumi.Input<string>;
}

/**
 * Provider arguments for the RDS master user: never a superuser (so the provider grants itself the owner role
 * when it must act for `migrator`) and TLS required (credentials cross the VPC).
 */
export function tenantDatabaseProviderArgs(conn: TenantDatabaseConnectionArgs): postgresql.ProviderArgs {
  return {
    host: conn.host,
    port: conn.port ?? 5432,
    username: conn.username,
    password: conn.password,
    ...(conn.database !== undefined ? { database: conn.database } : {}),
    superuser: false,
    sslmode: "require",
  };
}

export function createTenantDatabaseProvider(
  name: string,
  conn: TenantDatabaseConnectionArgs,
  opts?: pulumi.CustomResourceOptions,
): postgresql.Provider {
  return new postgresql.Provider(name, tenantDatabaseProviderArgs(conn), opts);
}

export interface TenantSchemasArgs {
  /**
   * The tenants. Each gets the role and schema `tenant_<id>`. Adding one registers only its own children;
   * removing one forgets its children (all are retained on delete) and the tenant provisioner suspends it;
   * purging its data is explicit, see runbooks/tenant-offboarding.md.
   */
  readonly tenants: readonly TenantSpec[];
  /** Name of the database holding the tenant schemas. */
  readonly database: pulumi.Input<string>;
  /** An existing PostgreSQL provider. Give exactly one of `provider` and `connection`. */
  readonly provider?: postgresql.Provider;
  /** Connection for a provider the component creates (see `tenantDatabaseProviderArgs`). */
  readonly connection?: TenantDatabaseConnectionArgs;
  /** Role that owns every tenant schema; Flyway runs as it. @default "migrator" */
  readonly migratorRole?: string;
  /** The service's login role; must be NOINHERIT (see `createServiceRoles`). @default "app" */
  readonly appRole?: string;
  /**
   * Create the migrator and app roles (LOGIN, no password; app NOINHERIT) here, retained on delete.
   * @default false - they exist already (the tenant provisioner creates them)
   */
  readonly createServiceRoles?: boolean;
  /**
   * The server is Amazon RDS: dedicated tenants become members of `rds_iam` for IAM authentication.
   * @default true
   */
  readonly rdsIam?: boolean;
}

/** Children of one tenant, by purpose. */
export interface TenantChildren {
  readonly role: postgresql.Role;
  readonly schema: postgresql.Schema;
}

/**
 * Schema-per-tenant isolation in one PostgreSQL database, as described by model.ts. Child names are
 * `<tenant id>-<purpose>` and platform names `lockdown-*`, `connect-*`, `service-role-*`: a public contract,
 * because renaming a schema child would replace (and with it lose) a tenant's data. One instance per stack.
 *
 * Per tenant: role, schema, USAGE, tables, sequences, two default privileges, app membership (8), plus
 * CONNECT for a dedicated tenant. @pulumi/postgresql has one resource per privilege target, so the goal of
 * four is not reachable without dropping part of the privilege model.
 */
export class TenantSchemas extends pulumi.ComponentResource {
  /** The privilege model the children were rendered from. */
  public readonly model: TenantModel;
  public readonly provider: postgresql.Provider;
  /** Children per tenant id. */
  public readonly tenants: Readonly<Record<string, TenantChildren>>;
  /** Tenant schema names by tenant id. */
  public readonly schemaNames: pulumi.Output<Record<string, string>>;
  /** Tenant role names by tenant id (what the service passes to SET ROLE). */
  public readonly roleNames: pulumi.Output<Record<string, string>>;

  constructor(name: string, args: TenantSchemasArgs, opts?: pulumi.ComponentResourceOptions) {
    const migratorRole = args.migratorRole ?? DEFAULT_MIGRATOR_ROLE;
    const appRole = args.appRole ?? DEFAULT_APP_ROLE;
    const createServiceRoles = args.createServiceRoles ?? false;
    const rdsIam = args.rdsIam ?? true;

    // Validation precedes super() so an invalid configuration registers nothing, not even the component.
    const problems = [
      ...validateModelOptions({ migratorRole, appRole }),
      ...validateTenants(args.tenants, { migratorRole, appRole }),
    ];
    if ((args.provider === undefined) === (args.connection === undefined)) {
      problems.push(
        `provider/connection: give exactly one of them (got ${args.provider === undefined ? "neither" : "both"})`,
      );
    }
    if (typeof args.database === "string" && args.database.trim() === "") {
      problems.push(`database: "" must be the name of the database holding the tenant schemas`);
    }
    if (problems.length > 0) {
      throw new ComponentArgsError(`TenantSchemas "${name}"`, problems);
    }

    super("saas:database:TenantSchemas", name, {}, opts);
    const model = buildTenantModel(args.tenants, { migratorRole, appRole });
    this.model = model;
    const database = args.database;

    this.provider =
      args.provider ??
      createTenantDatabaseProvider(
        "postgresql-provider",
        { ...(args.connection as TenantDatabaseConnectionArgs), database: args.connection?.database ?? database },
        { parent: this },
      );
    // Every child is retained on delete: removing a tenant, or switching saas:tenantProvisioning to "lambda",
    // must never revoke a grant or a membership as a side effect. The provisioner function (which runs in both
    // modes, after this component) suspends removed tenants and converges what the provider left.
    const child = { parent: this, provider: this.provider, retainOnDelete: true };

    // Names flow as outputs where a child is created here, so the engine orders grants after their targets.
    let migrator: pulumi.Input<string> = migratorRole;
    let app: pulumi.Input<string> = appRole;
    const serviceRole: Record<string, pulumi.Input<string>> = {
      [migratorRole]: migratorRole,
      [appRole]: appRole,
      [model.meteringRole]: model.meteringRole,
    };
    if (createServiceRoles) {
      for (const r of model.roles.filter((x) => x.purpose !== "tenant")) {
        // Memberships are GrantRole resources; a Role's own `roles` list would revoke them on every refresh, so
        // the role never manages it.
        const role = new postgresql.Role(
          r.key,
          { name: r.name, login: r.login, inherit: r.inherit },
          { ...child, ignoreChanges: ["roles"] },
        );
        serviceRole[r.name] = role.name;
        if (r.purpose === "migrator") migrator = role.name;
        else if (r.purpose === "app") app = role.name;
      }
    }

    for (const a of model.publicAccess) {
      new postgresql.Grant(
        a.key,
        {
          database: a.database ?? database,
          role: "public",
          objectType: a.objectType,
          ...(a.schema !== undefined ? { schema: a.schema } : {}),
          // The provider sets the role's privileges to exactly this list, which revokes the rest.
          privileges: [...a.keep],
        },
        child,
      );
    }
    // The usage collector's login is the provisioner's in both modes (it always applies, after this component):
    // it creates the admin schema and the snapshot table (no @pulumi/postgresql resource can create a table),
    // and on a stack upgraded to this model the role does not exist yet when this component runs. Only when
    // this component creates the service roles does it grant the collector's CONNECT and rds_iam too.
    const rendered = (role: string) => role !== model.meteringRole || createServiceRoles;
    const serviceGrants = model.grants.filter(
      (g) => g.tenantId === undefined && g.objectType === "database" && rendered(g.role),
    );
    for (const g of serviceGrants) {
      new postgresql.Grant(
        g.key,
        { database, role: serviceRole[g.role], objectType: "database", privileges: [...g.privileges] },
        child,
      );
    }

    if (rdsIam) {
      for (const m of model.memberships.filter((x) => x.tenantId === undefined && x.rdsOnly && rendered(x.member))) {
        // The service's and the usage collector's IAM logins; RDS accepts a token only from a member of rds_iam.
        new postgresql.GrantRole(m.key, { role: serviceRole[m.member] ?? m.member, grantRole: m.role }, child);
      }
    }

    const tenants: Record<string, TenantChildren> = {};
    for (const t of model.tenants) {
      const spec = model.roles.find((r) => r.tenantId === t.id);
      const rdsMember = model.memberships.some((m) => m.tenantId === t.id && m.rdsOnly);
      const role = new postgresql.Role(
        `${t.id}-role`,
        {
          name: t.roleName,
          login: spec?.login ?? false,
          inherit: spec?.inherit ?? true,
          // Folded into the role to save a resource; unlike the SQL path the provider cannot say SET FALSE,
          // so a dedicated session could SET ROLE rds_iam, a role without privileges.
          ...(rdsMember && rdsIam ? { roles: [RDS_IAM_ROLE] } : {}),
          // The noisy-neighbour controls; the provider's defaults (no limit, no timeout) otherwise.
          ...(spec?.connectionLimit !== undefined ? { connectionLimit: spec.connectionLimit } : {}),
          ...(spec?.statementTimeoutMs !== undefined ? { statementTimeout: spec.statementTimeoutMs } : {}),
        },
        child,
      );
      const schema = new postgresql.Schema(
        `${t.id}-schema`,
        {
          name: t.schemaName,
          database,
          owner: migrator,
          ifNotExists: true,
          // Belt and braces with retainOnDelete: even a forced delete must not cascade into tenant data.
          dropCascade: false,
        },
        child,
      );
      tenants[t.id] = { role, schema };

      const grantee = role.name;
      const inSchema = schema.name;
      for (const g of model.grants.filter((x: GrantSpec) => x.tenantId === t.id)) {
        new postgresql.Grant(
          g.key,
          {
            database,
            role: grantee,
            objectType: g.objectType,
            ...(g.objectType === "database" ? {} : { schema: inSchema }),
            // An empty object list means ALL objects of the type in the schema, existing ones included.
            ...(g.objectType === "table" || g.objectType === "sequence" ? { objects: [] } : {}),
            privileges: [...g.privileges],
          },
          // The Flyway callback revokes the tenant's rights on its history table; a refresh reads that as drift
          // of this ALL TABLES grant, and the next update would grant them back. Tables created after the schema
          // get their privileges from the default privileges below, so only the first grant matters.
          g.objectType === "table" || g.objectType === "sequence" ? { ...child, ignoreChanges: ["privileges"] } : child,
        );
      }
      for (const d of model.defaultPrivileges.filter((x) => x.tenantId === t.id)) {
        new postgresql.DefaultPrivileges(
          d.key,
          {
            database,
            owner: migrator,
            schema: inSchema,
            objectType: d.objectType,
            role: grantee,
            privileges: [...d.privileges],
          },
          child,
        );
      }
      for (const m of model.memberships.filter((x) => x.tenantId === t.id && !x.rdsOnly)) {
        // GrantRole cannot say INHERIT FALSE; it gets it because app is NOINHERIT (PostgreSQL 16 default).
        new postgresql.GrantRole(m.key, { role: app, grantRole: grantee }, child);
      }
    }
    this.tenants = tenants;

    this.schemaNames = pulumi
      .all(Object.entries(tenants).map(([id, c]) => c.schema.name.apply((n) => [id, n] as const)))
      .apply((pairs) => Object.fromEntries(pairs));
    this.roleNames = pulumi
      .all(Object.entries(tenants).map(([id, c]) => c.role.name.apply((n) => [id, n] as const)))
      .apply((pairs) => Object.fromEntries(pairs));

    this.registerOutputs({ schemaNames: this.schemaNames, roleNames: this.roleNames });
  }
}
