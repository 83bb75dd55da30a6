import { Planned } from "../support/plan";

/**
 * What keeps data through a mistake, asserted on the real dev and prod stacks as `npm run plan` builds them: the
 * protections production relies on, and the disposable settings that let dev be destroyed whole. An incident
 * review asks these first, so each is a literal here.
 */

const T = {
  key: "aws:kms/key:Key",
  instance: "aws:rds/instance:Instance",
  bucket: "aws:s3/bucket:Bucket",
  lifecycle: "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration",
  repo: "aws:ecr/repository:Repository",
  secret: "aws:secretsmanager/secret:Secret",
  logGroup: "aws:cloudwatch/logGroup:LogGroup",
  lb: "aws:lb/loadBalancer:LoadBalancer",
};

const stacks: Record<string, Planned> = {};
beforeAll(async () => {
  stacks.dev = await Planned.of({ stack: "dev" });
  stacks.prod = await Planned.of({ stack: "prod" });
});

describe("production keeps its data", () => {
  const prod = () => stacks.prod;

  it("protects the stack key from a Pulumi delete or replace, and keeps it 30 days after scheduling deletion", () => {
    const key = prod().one(T.key, "stack-key-key");
    expect(key.options.protect).toBe(true);
    expect(key.inputs).toMatchObject({ enableKeyRotation: true, deletionWindowInDays: 30 });
  });

  it("protects the database in Pulumi and in RDS, with a final snapshot and its backups kept", () => {
    const db = prod().one(T.instance, "database-instance");
    expect(db.options.protect).toBe(true);
    expect(db.inputs).toMatchObject({
      deletionProtection: true,
      skipFinalSnapshot: false,
      finalSnapshotIdentifier: "saas-prod-postgres-final",
      deleteAutomatedBackups: false,
      backupRetentionPeriod: 30,
      multiAz: true,
      storageEncrypted: true,
      publiclyAccessible: false,
    });
  });

  it("never lets a destroy empty a bucket or a repository", () => {
    expect(
      prod()
        .ofType(T.bucket)
        .map((b) => [b.name, b.inputs.forceDestroy])
        .sort(([a], [b]) => String(a).localeCompare(String(b))),
    ).toEqual([
      ["cdn-assets", false],
      ["cdn-logs", false],
      ["migrations-results", false],
      ["service-alb-logs", false],
      ["tenant-metering-records", false],
      ["tenant-metering-records-replica", false],
      ["tenant-provisioner-exports", false],
      ["tenant-provisioner-exports-replica", false],
    ]);
    // A purge export may be the only copy of a tenant's data: Pulumi refuses to delete it, and its DR copy.
    expect(prod().one(T.bucket, "tenant-provisioner-exports").options.protect).toBe(true);
    expect(prod().one(T.bucket, "tenant-provisioner-exports-replica").options.protect).toBe(true);
    // The metering records are what billing reads.
    expect(prod().one(T.bucket, "tenant-metering-records").options.protect).toBe(true);
    expect(prod().one(T.bucket, "tenant-metering-records-replica").options.protect).toBe(true);
    expect(prod().one(T.repo, "service-repo").inputs.forceDelete).toBe(false);
    expect(prod().one(T.repo, "migrations-repo").inputs.forceDelete).toBe(false);
    expect(prod().one(T.lb, "service-alb").inputs.enableDeletionProtection).toBe(true);
  });

  it("keeps a deleted secret recoverable for 30 days", () => {
    expect(prod().one(T.secret, "database-migrator-secret").inputs.recoveryWindowInDays).toBe(30);
    expect(prod().one(T.secret, "auth-signing-key-secret").inputs.recoveryWindowInDays).toBe(30);
  });

  it("keeps old versions of the assets 30 days, and the access logs 90 days", () => {
    const rules = (name: string) => prod().one(T.lifecycle, name).inputs.rules;
    expect(rules("cdn-assets")).toEqual([
      {
        id: "expire",
        status: "Enabled",
        filter: {},
        noncurrentVersionExpiration: { noncurrentDays: 30 },
        abortIncompleteMultipartUpload: { daysAfterInitiation: 1 },
      },
    ]);
    for (const [name, id] of [
      ["cdn-logs", "expire"],
      ["service-alb-logs", "expire-access-logs"],
    ]) {
      expect(rules(name)).toEqual([
        {
          id,
          status: "Enabled",
          filter: {},
          expiration: { days: 90 },
          noncurrentVersionExpiration: { noncurrentDays: 1 },
          abortIncompleteMultipartUpload: { daysAfterInitiation: 1 },
        },
      ]);
    }
  });

  it("keeps flow logs and service logs a year, database, migration and fleet-run logs 90 days, all with the stack key", () => {
    const key = prod().one(T.key, "stack-key-key").outputs.arn;
    expect(
      prod()
        .ofType(T.logGroup)
        .map((g) => [g.name, g.inputs.retentionInDays, g.inputs.kmsKeyId])
        .sort(([a], [b]) => String(a).localeCompare(String(b))),
    ).toEqual([
      ["database-log-postgresql", 90, key],
      ["database-log-upgrade", 90, key],
      ["migrations-logs", 90, key],
      ["network-flow-logs", 365, key],
      ["service-logs", 365, key],
      // WAF request logs, kept as long as the service's own.
      ["service-waf-logs", 365, key],
      ["tenant-metering-logs", 90, key],
      ["tenant-migrations-logs", 90, key],
      ["tenant-provisioner-logs", 90, key],
    ]);
  });
});

describe("dev is disposable", () => {
  const dev = () => stacks.dev;

  it("lets Pulumi and RDS delete the key and the database, without a final snapshot", () => {
    expect(dev().one(T.key, "stack-key-key").options.protect).toBe(false);
    const db = dev().one(T.instance, "database-instance");
    expect(db.options.protect).toBe(false);
    expect(db.inputs).toMatchObject({
      deletionProtection: false,
      skipFinalSnapshot: true,
      deleteAutomatedBackups: true,
    });
    expect(db.inputs.finalSnapshotIdentifier).toBeUndefined();
  });

  it("empties buckets and the repository on destroy, and frees the secret's name at once", () => {
    expect(
      dev()
        .ofType(T.bucket)
        .map((b) => b.inputs.forceDestroy),
    ).toEqual([true, true, true, true, true, true]);
    expect(dev().one(T.repo, "service-repo").inputs.forceDelete).toBe(true);
    expect(dev().one(T.repo, "migrations-repo").inputs.forceDelete).toBe(true);
    expect(dev().one(T.lb, "service-alb").inputs.enableDeletionProtection).toBe(false);
    expect(dev().one(T.secret, "database-migrator-secret").inputs.recoveryWindowInDays).toBe(0);
    expect(dev().one(T.secret, "auth-signing-key-secret").inputs.recoveryWindowInDays).toBe(0);
  });

  it("still gives every log group a retention and the stack key", () => {
    expect(
      dev()
        .ofType(T.logGroup)
        .map((g) => g.inputs.retentionInDays),
    ).toEqual([14, 14, 14, 14, 14, 14, 14, 14, 14]);
  });
});
