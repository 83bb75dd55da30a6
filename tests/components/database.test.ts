import {
  Database,
  DatabaseArgs,
  validateDatabaseArgs,
  databaseParameters,
  monitoringTrustPolicy,
} from "../../components/database/database";
import { Planned } from "../support/plan";
import { testContext } from "../support/context";
import { LOG_RETENTION_DAYS } from "../../components/shared/logs";
import { INSTANCE_CLASSES } from "../../components/database/sizing";

const KEY = "arn:aws:kms:us-east-1:123456789012:key/11111111-2222-3333-4444-555555555555";
const INSTANCE = "aws:rds/instance:Instance";
const LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup";

const args: DatabaseArgs = {
  context: testContext({ kmsKeyArn: KEY }),
  isolatedSubnetIds: ["subnet-0aaaaaaaaaaaaaaaa", "subnet-0bbbbbbbbbbbbbbbb"],
  securityGroupId: "sg-0dddddddddddddddd",
  instanceClass: "db.t4g.micro",
  allocatedStorageGiB: 20,
  maxAllocatedStorageGiB: 100,
  backupRetentionDays: 7,
  logRetentionDays: 14,
};

const plan = (a: DatabaseArgs) => Planned.of({ stack: "dev", program: () => new Database("db", a) });

describe("Database with the defaults", () => {
  let p: Planned;
  let db: Database;
  beforeAll(async () => {
    p = await Planned.of({
      stack: "dev",
      program: () => {
        db = new Database("db", args);
        return {
          endpoint: db.endpoint,
          port: db.port,
          instanceId: db.instanceId,
          arn: db.arn,
          resourceId: db.resourceId,
          masterSecretArn: db.masterSecretArn,
          migratorSecretArn: db.migratorSecretArn,
          databaseName: db.databaseName,
          parameterGroupName: db.parameterGroupName,
        };
      },
    });
  });

  it("creates a private, encrypted PostgreSQL 16 instance in the isolated subnets behind the database group", () => {
    const instance = p.one(INSTANCE, "db-instance");
    const subnets = p.one("aws:rds/subnetGroup:SubnetGroup", "db-subnets");
    expect(subnets.inputs).toMatchObject({ name: "saas-dev-db", subnetIds: args.isolatedSubnetIds });
    expect(instance.inputs).toMatchObject({
      identifier: "saas-dev-postgres",
      engine: "postgres",
      engineVersion: "16",
      autoMinorVersionUpgrade: true,
      allowMajorVersionUpgrade: false,
      instanceClass: "db.t4g.micro",
      storageType: "gp3",
      allocatedStorage: 20,
      maxAllocatedStorage: 100,
      storageEncrypted: true,
      kmsKeyId: KEY,
      dbName: "app",
      username: "dbadmin",
      port: 5432,
      dbSubnetGroupName: "saas-dev-db",
      vpcSecurityGroupIds: ["sg-0dddddddddddddddd"],
      publiclyAccessible: false,
      caCertIdentifier: "rds-ca-rsa2048-g1",
      copyTagsToSnapshot: true,
      iamDatabaseAuthenticationEnabled: true,
    });
    expect(instance.inputs.password).toBeUndefined();
  });

  it("lets RDS manage the master password in Secrets Manager with the stack key", () => {
    const instance = p.one(INSTANCE, "db-instance");
    expect(instance.inputs).toMatchObject({ manageMasterUserPassword: true, masterUserSecretKmsKeyId: KEY });
    expect(p.run.outputs.masterSecretArn).toBe(
      (instance.outputs.masterUserSecrets as { secretArn: string }[])[0].secretArn,
    );
    expect(p.run.outputs.masterSecretArn).toMatch(/^arn:aws:secretsmanager:us-east-1:123456789012:secret:rds!db-/);
  });

  it("defaults to single-AZ, deletion protection, a deterministic final snapshot and kept backups", () => {
    expect(p.one(INSTANCE, "db-instance").inputs).toMatchObject({
      multiAz: false,
      backupRetentionPeriod: 7,
      backupWindow: "03:00-03:30",
      maintenanceWindow: "sun:04:00-sun:04:30",
      deletionProtection: true,
      skipFinalSnapshot: false,
      finalSnapshotIdentifier: "saas-dev-postgres-final",
      deleteAutomatedBackups: false,
    });
  });

  it("turns on Performance Insights (7 days, stack key), enhanced monitoring every 60 s and log exports", () => {
    const instance = p.one(INSTANCE, "db-instance");
    const role = p.one("aws:iam/role:Role", "db-monitoring");
    expect(instance.inputs).toMatchObject({
      performanceInsightsEnabled: true,
      performanceInsightsKmsKeyId: KEY,
      performanceInsightsRetentionPeriod: 7,
      monitoringInterval: 60,
      monitoringRoleArn: role.outputs.arn,
      enabledCloudwatchLogsExports: ["postgresql", "upgrade"],
    });
  });

  it("trusts only RDS monitoring for this instance, with the one AWS managed monitoring policy", () => {
    const role = p.one("aws:iam/role:Role", "db-monitoring");
    expect(JSON.parse(role.inputs.assumeRolePolicy as string)).toEqual({
      Version: "2012-10-17",
      Statement: [
        {
          Effect: "Allow",
          Principal: { Service: "monitoring.rds.amazonaws.com" },
          Action: "sts:AssumeRole",
          Condition: {
            StringEquals: { "aws:SourceAccount": "123456789012" },
            ArnLike: { "aws:SourceArn": "arn:aws:rds:us-east-1:123456789012:db:saas-dev-postgres" },
          },
        },
      ],
    });
    expect(JSON.parse(role.inputs.assumeRolePolicy as string)).toEqual(
      monitoringTrustPolicy("aws", "us-east-1", "123456789012", "saas-dev-postgres"),
    );
    const attachments = p.ofType("aws:iam/rolePolicyAttachment:RolePolicyAttachment");
    expect(attachments.map((a) => [a.inputs.role, a.inputs.policyArn])).toEqual([
      [role.outputs.name, "arn:aws:iam::aws:policy/service-role/AmazonRDSEnhancedMonitoringRole"],
    ]);
  });

  it("creates the export log groups first, encrypted, with retention, under the names RDS uses", () => {
    const groups = p.ofType(LOG_GROUP).map((g) => [g.name, g.inputs.name, g.inputs.retentionInDays, g.inputs.kmsKeyId]);
    expect(groups).toEqual([
      ["db-log-postgresql", "/aws/rds/instance/saas-dev-postgres/postgresql", 14, KEY],
      ["db-log-upgrade", "/aws/rds/instance/saas-dev-postgres/upgrade", 14, KEY],
    ]);
    const instance = p.one(INSTANCE, "db-instance");
    for (const name of ["db-log-postgresql", "db-log-upgrade"]) {
      expect(instance.dependencies).toContain(p.one(LOG_GROUP, name).urn);
    }
  });

  it("uses a postgres16 parameter group that forces TLS and logs slow statements, connections and lock waits", () => {
    const group = p.one("aws:rds/parameterGroup:ParameterGroup", "db-params");
    expect(group.inputs).toMatchObject({ namePrefix: "saas-dev-postgres16-", family: "postgres16" });
    // No fixed name: a replacement (the description is ForceNew) is created before the old group is deleted.
    expect(group.inputs.name).toBeUndefined();
    expect(group.outputs.name).toMatch(/^saas-dev-postgres16-\d{26}$/);
    expect(group.inputs.parameters).toEqual([
      { name: "rds.force_ssl", value: "1", applyMethod: "immediate" },
      { name: "log_min_duration_statement", value: "500", applyMethod: "immediate" },
      { name: "log_connections", value: "1", applyMethod: "immediate" },
      { name: "log_disconnections", value: "1", applyMethod: "immediate" },
      { name: "log_lock_waits", value: "1", applyMethod: "immediate" },
      { name: "idle_in_transaction_session_timeout", value: "60000", applyMethod: "immediate" },
      { name: "shared_preload_libraries", value: "pg_stat_statements", applyMethod: "pending-reboot" },
      { name: "pg_stat_statements.max", value: "25000", applyMethod: "pending-reboot" },
    ]);
    expect(group.inputs.parameters).toEqual(databaseParameters());
    expect(p.one(INSTANCE, "db-instance").inputs.parameterGroupName).toBe(group.outputs.name);
  });

  it("creates an empty migrator secret encrypted with the stack key (no value in code or state)", () => {
    const secret = p.one("aws:secretsmanager/secret:Secret", "db-migrator-secret");
    expect(secret.inputs).toMatchObject({ name: "saas-dev/database/migrator", kmsKeyId: KEY });
    expect(p.ofType("aws:secretsmanager/secretVersion:SecretVersion")).toEqual([]);
  });

  it("replicates no backups and creates no second provider by default", () => {
    expect(p.ofType("aws:rds/instanceAutomatedBackupsReplication:InstanceAutomatedBackupsReplication")).toEqual([]);
    expect(p.ofType("pulumi:providers:aws")).toEqual([]);
    expect(db.backupReplicationArn).toBeUndefined();
  });

  it("exposes typed outputs from the instance", () => {
    const instance = p.one(INSTANCE, "db-instance");
    expect(p.run.outputs).toMatchObject({
      endpoint: instance.outputs.address,
      port: 5432,
      instanceId: "saas-dev-postgres",
      arn: "arn:aws:rds:us-east-1:123456789012:db:saas-dev-postgres",
      resourceId: instance.outputs.resourceId,
      migratorSecretArn: p.one("aws:secretsmanager/secret:Secret", "db-migrator-secret").outputs.arn,
      databaseName: "app",
      parameterGroupName: p.one("aws:rds/parameterGroup:ParameterGroup", "db-params").outputs.name,
    });
    expect(p.run.outputs.resourceId).toMatch(/^db-[A-Z0-9]{26}$/);
  });

  it("parents every child to the component and keeps child names stable", () => {
    const component = p.one("saas:database:Database", "db");
    const children = p.childrenOf(component);
    expect(p.resources.filter((r) => r.custom && r.parent !== component.urn)).toEqual([]);
    expect(children.map((c) => `${c.type} ${c.name}`).sort()).toEqual([
      "aws:cloudwatch/logGroup:LogGroup db-log-postgresql",
      "aws:cloudwatch/logGroup:LogGroup db-log-upgrade",
      "aws:iam/role:Role db-monitoring",
      "aws:iam/rolePolicyAttachment:RolePolicyAttachment db-monitoring",
      "aws:rds/instance:Instance db-instance",
      "aws:rds/parameterGroup:ParameterGroup db-params",
      "aws:rds/subnetGroup:SubnetGroup db-subnets",
      "aws:secretsmanager/secret:Secret db-migrator-secret",
    ]);
  });
});

describe("Database in a production shape", () => {
  let p: Planned;
  beforeAll(async () => {
    p = await Planned.of({
      stack: "prod",
      program: () => {
        const db = new Database("db", {
          ...args,
          context: testContext({ kmsKeyArn: KEY, namePrefix: "saas-prod" }),
          instanceClass: "db.m7g.large",
          multiAz: true,
          backupRetentionDays: 30,
          deletionProtection: true,
          skipFinalSnapshot: false,
          performanceInsightsRetentionDays: 31,
          backupReplica: { region: "us-west-2", retentionDays: 14 },
          providerDefaultTags: { Environment: "prod", Project: "saas" },
        });
        return { backupReplicationArn: db.backupReplicationArn };
      },
    });
  });

  it("runs Multi-AZ with a month of backups and of Performance Insights", () => {
    expect(p.one(INSTANCE, "db-instance").inputs).toMatchObject({
      instanceClass: "db.m7g.large",
      multiAz: true,
      backupRetentionPeriod: 30,
      deletionProtection: true,
      performanceInsightsRetentionPeriod: 31,
    });
  });

  it("replicates automated backups to the DR region through an explicit, tagged provider and a rotating key there", () => {
    const provider = p.one("pulumi:providers:aws", "db-dr");
    expect(provider.inputs.region).toBe("us-west-2");
    expect(JSON.parse(provider.inputs.defaultTags as string)).toEqual({
      tags: { Environment: "prod", Project: "saas" },
    });
    const providerRef = `${provider.urn}::${provider.outputs.id}`;
    const key = p.one("aws:kms/key:Key", "db-dr-key");
    expect(key.provider).toBe(providerRef);
    expect(key.inputs).toMatchObject({ enableKeyRotation: true, deletionWindowInDays: 30 });
    expect(key.outputs.arn).toMatch(/^arn:aws:kms:us-west-2:123456789012:key\//);
    expect(JSON.parse(key.inputs.policy as string)).toEqual({
      Version: "2012-10-17",
      Statement: [
        {
          Sid: "AccountAdministration",
          Effect: "Allow",
          Principal: { AWS: "arn:aws:iam::123456789012:root" },
          Action: "kms:*",
          Resource: "*",
        },
      ],
    });
    expect(p.one("aws:kms/alias:Alias", "db-dr-alias").inputs.name).toBe("alias/saas-prod-db-dr");

    const replication = p.one(
      "aws:rds/instanceAutomatedBackupsReplication:InstanceAutomatedBackupsReplication",
      "db-backup-replication",
    );
    expect(replication.provider).toBe(providerRef);
    expect(replication.inputs).toEqual({
      sourceDbInstanceArn: "arn:aws:rds:us-east-1:123456789012:db:saas-prod-postgres",
      kmsKeyId: key.outputs.arn,
      retentionPeriod: 14,
    });
    expect(p.run.outputs.backupReplicationArn).toBe(replication.outputs.id);
    expect(p.run.outputs.backupReplicationArn).toMatch(/^arn:aws:rds:us-west-2:123456789012:auto-backup:ab-/);
  });

  it("protects the DR copies and their key as it protects the instance", () => {
    expect(p.one(INSTANCE, "db-instance").options.protect).toBe(true);
    expect(p.one("aws:kms/key:Key", "db-dr-key").options.protect).toBe(true);
    expect(
      p.one("aws:rds/instanceAutomatedBackupsReplication:InstanceAutomatedBackupsReplication", "db-backup-replication")
        .options.protect,
    ).toBe(true);
  });

  it("uses a given replica-region key instead of creating one", async () => {
    const drKey = "arn:aws:kms:us-west-2:123456789012:key/99999999-8888-7777-6666-555555555555";
    const q = await plan({ ...args, backupReplica: { region: "us-west-2", retentionDays: 7, kmsKeyArn: drKey } });
    expect(q.ofType("aws:kms/key:Key")).toEqual([]);
    expect(
      q.one("aws:rds/instanceAutomatedBackupsReplication:InstanceAutomatedBackupsReplication", "db-backup-replication")
        .inputs.kmsKeyId,
    ).toBe(drKey);
  });
});

describe("Database for a disposable stack", () => {
  it("skips the final snapshot, drops automated backups and allows deletion when asked", async () => {
    const p = await plan({ ...args, deletionProtection: false, skipFinalSnapshot: true });
    const inputs = p.one(INSTANCE, "db-instance").inputs;
    expect(inputs).toMatchObject({ deletionProtection: false, skipFinalSnapshot: true, deleteAutomatedBackups: true });
    expect(inputs.finalSnapshotIdentifier).toBeUndefined();
  });
});

describe("Database arguments", () => {
  it("rejects every bad argument at once, before registering anything", async () => {
    const registered: string[] = [];
    await expect(
      Planned.of({
        stack: "dev",
        onRegister: (r) => registered.push(r.type),
        program: () =>
          new Database("db", {
            ...args,
            instanceClass: "db.t3.micro",
            allocatedStorageGiB: 10,
            maxAllocatedStorageGiB: 70000,
            backupRetentionDays: 0,
            logRetentionDays: 0,
            backupWindow: "3am",
            maintenanceWindow: "sunday",
            databaseName: "Tenants",
            masterUsername: "rdsadmin",
            performanceInsightsRetentionDays: 30,
            backupReplica: { region: "us-east-1", retentionDays: 36 },
          }),
      }),
    ).rejects.toThrow(
      [
        'Database "db": invalid arguments:',
        `  - instanceClass: expected one of ${Object.keys(INSTANCE_CLASSES).join(", ")}, got "db.t3.micro"`,
        "  - allocatedStorageGiB: expected an integer from 20 to 65536, got 10",
        "  - maxAllocatedStorageGiB: expected an integer from 20 to 65536, got 70000",
        "  - backupRetentionDays: expected an integer from 1 to 35 (0 would turn automated backups off), got 0",
        `  - logRetentionDays: expected one of CloudWatch Logs' retention periods (${LOG_RETENTION_DAYS.join(", ")}), got 0`,
        '  - backupWindow: expected a daily UTC window hh:mm-hh:mm such as 03:00-03:30, got "3am"',
        '  - maintenanceWindow: expected a weekly UTC window ddd:hh:mm-ddd:hh:mm such as sun:04:00-sun:04:30 (days mon-sun), got "sunday"',
        "  - databaseName: expected 1-63 lowercase letters, digits or '_', starting with a letter, got \"Tenants\"",
        '  - masterUsername: "rdsadmin" is reserved by PostgreSQL or RDS; choose another name',
        "  - performanceInsightsRetentionDays: expected 7, a multiple of 31 up to 713, or 731, got 30",
        '  - backupReplica.region: expected a region other than the database\'s own (us-east-1), got "us-east-1"',
        "  - backupReplica.retentionDays: expected an integer from 1 to 35, got 36",
      ].join("\n"),
    );
    expect(registered).toEqual(["pulumi:pulumi:Stack"]);
  });

  it.each<[string, Partial<DatabaseArgs>, string]>([
    [
      "a storage ceiling below the allocation",
      { allocatedStorageGiB: 200, maxAllocatedStorageGiB: 100 },
      "maxAllocatedStorageGiB: expected at least allocatedStorageGiB (200), got 100",
    ],
    [
      "overlapping windows",
      { backupWindow: "04:15-04:45" },
      'backupWindow: "04:15-04:45" overlaps the maintenance window "sun:04:00-sun:04:30"; RDS requires them apart',
    ],
    [
      "a 20-minute backup window",
      { backupWindow: "01:00-01:20" },
      "backupWindow: expected a window of at least 30 minutes",
    ],
    [
      "an unknown replica region",
      { backupReplica: { region: "us-west-9", retentionDays: 7 } },
      "backupReplica.region: expected an AWS region such as us-west-2",
    ],
    [
      "a pg_ role name",
      { migratorUsername: "pg_migrator" },
      'migratorUsername: "pg_migrator" is reserved by PostgreSQL or RDS',
    ],
  ])("rejects %s", async (_what, change, message) => {
    await expect(plan({ ...args, ...change })).rejects.toThrow(message);
  });
});

describe("names PostgreSQL and RDS reserve", () => {
  // PostgreSQL reserves the pg_ prefix for roles and ships postgres, template0 and template1; RDS adds rdsadmin
  // and the rds_ roles (rds_superuser, rds_iam ...); public is the PUBLIC pseudo-role and schema.
  it.each(["postgres", "rdsadmin", "template0", "template1", "public", "pg_monitor", "rds_superuser", "rds_iam"])(
    "refuses %s for the database, master and migrator names",
    (name) => {
      expect(
        validateDatabaseArgs({ ...args, databaseName: name, masterUsername: name, migratorUsername: name }),
      ).toEqual([
        `databaseName: "${name}" is reserved by PostgreSQL or RDS; choose another name`,
        `masterUsername: "${name}" is reserved by PostgreSQL or RDS; choose another name`,
        `migratorUsername: "${name}" is reserved by PostgreSQL or RDS; choose another name`,
      ]);
    },
  );

  it("accepts a name that only starts like a reserved one", () => {
    expect(validateDatabaseArgs({ ...args, databaseName: "postgresapp", masterUsername: "rdsadmin2" })).toEqual([]);
  });
});
