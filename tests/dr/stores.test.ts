import { OBJECTIVES } from "../../tools/dr/objectives";
import { assess, dataStores, renderReport } from "../../tools/dr/stores";
import { PROD_MIN_BACKUP_RETENTION_DAYS } from "../../stacks/schema/database";
import { resource } from "../docs/fixtures";

const ARN = "arn:aws:rds:us-east-1:123456789012:db:saas-prod-postgres";
const goodInstance = (overrides: Record<string, unknown> = {}) =>
  resource(
    "aws:rds/instance:Instance",
    "database-instance",
    {
      identifier: "saas-prod-postgres",
      backupRetentionPeriod: 30,
      multiAz: true,
      deletionProtection: true,
      skipFinalSnapshot: false,
      finalSnapshotIdentifier: "saas-prod-postgres-final",
      ...overrides,
    },
    { arn: ARN },
  );
const replication = resource(
  "aws:rds/instanceAutomatedBackupsReplication:InstanceAutomatedBackupsReplication",
  "database-backup-replication",
  { sourceDbInstanceArn: ARN, retentionPeriod: 14 },
  { id: "arn:aws:rds:us-west-2:123456789012:auto-backup:ab-1" },
);

describe("dataStores", () => {
  it("reads an RDS instance and its cross-region backup copy", () => {
    expect(dataStores([goodInstance(), replication])).toEqual([
      {
        kind: "rds-instance",
        name: "database-instance",
        identifier: "saas-prod-postgres",
        backupRetentionDays: 30,
        multiAz: true,
        deletionProtection: true,
        finalSnapshot: true,
        crossRegionCopy: { region: "us-west-2", retentionDays: 14 },
      },
    ]);
  });

  it("takes a bucket's role from its dr:role tag when it declares logs or a replica, never data", () => {
    const stores = dataStores([
      resource("aws:s3/bucket:Bucket", "results", { tags: { "dr:role": "logs" } }, { id: "results-1" }),
      resource("aws:s3/bucket:Bucket", "odd", { tags: { "dr:role": "origin" } }, { id: "odd-1" }),
    ]);
    expect(stores.map((s) => s.kind === "s3-bucket" && [s.name, s.role])).toEqual([
      ["odd", "data"],
      ["results", "logs"],
    ]);
  });

  it("reads bucket versioning from a BucketVersioning resource and the role from who uses the bucket", () => {
    const stores = dataStores([
      resource("aws:s3/bucket:Bucket", "logs", {}, { id: "logs-1" }),
      resource("aws:s3/bucket:Bucket", "assets", {}, { id: "assets-1" }),
      resource("aws:s3/bucket:Bucket", "uploads", {}, { id: "uploads-1" }),
      resource("aws:s3/bucketVersioning:BucketVersioning", "uploads", {
        bucket: "uploads-1",
        versioningConfiguration: { status: "Enabled" },
      }),
      resource("aws:s3/bucketReplicationConfig:BucketReplicationConfig", "uploads", { bucket: "uploads-1" }),
      resource("aws:lb/loadBalancer:LoadBalancer", "alb", { accessLogs: { bucket: "logs-1", enabled: true } }),
      resource("aws:cloudfront/distribution:Distribution", "cdn", {
        origins: [{ domainName: "assets-1.s3.us-east-1.amazonaws.com" }],
      }),
    ]);
    expect(stores.map((s) => s.kind === "s3-bucket" && [s.name, s.role, s.versioning, s.replication])).toEqual([
      ["assets", "origin", false, false],
      ["logs", "logs", false, false],
      ["uploads", "data", true, true],
    ]);
  });

  it("finds nothing in a plan without data stores", () => {
    expect(dataStores([resource("aws:ec2/vpc:Vpc", "vpc")])).toEqual([]);
  });
});

describe("assess", () => {
  it("passes a prod instance with PITR, Multi-AZ, deletion protection, a final snapshot and a cross-region copy", () => {
    expect(assess(dataStores([goodInstance(), replication]), OBJECTIVES.prod)[0].shortfalls).toEqual([]);
  });

  it("flags every prod shortfall of an instance, one sentence each", () => {
    const stores = dataStores([
      goodInstance({ backupRetentionPeriod: 7, multiAz: false, deletionProtection: false, skipFinalSnapshot: true }),
    ]);
    expect(assess(stores, OBJECTIVES.prod)[0].shortfalls).toEqual([
      "backups kept 7 days, fewer than the 14 required",
      "single-AZ: losing its zone means a restore, which does not fit RTO 1 h",
      "deletion protection is off",
      "no final snapshot on delete (skipFinalSnapshot or no finalSnapshotIdentifier)",
      "no cross-region copy of the backups: losing the region loses the data (cross-region RPO 24 h)",
    ]);
  });

  it("accepts the same single-AZ disposable instance in dev, but not one without backups", () => {
    const dev = goodInstance({ multiAz: false, deletionProtection: false, skipFinalSnapshot: true });
    expect(assess(dataStores([dev]), OBJECTIVES.dev)[0].shortfalls).toEqual([]);
    const none = goodInstance({ backupRetentionPeriod: 0 });
    expect(assess(dataStores([none]), OBJECTIVES.dev)[0].shortfalls).toEqual([
      "no automated backups (backupRetentionPeriod 0): no point-in-time recovery, RPO 24 h cannot be met",
    ]);
  });

  it("requires versioning on every prod bucket and replication only on a data bucket", () => {
    const stores = dataStores([
      resource("aws:s3/bucket:Bucket", "uploads", {}, { id: "uploads-1" }),
      resource("aws:s3/bucket:Bucket", "logs", {}, { id: "logs-1" }),
      resource("aws:lb/loadBalancer:LoadBalancer", "alb", { accessLogs: { bucket: "logs-1" } }),
    ]);
    expect(assess(stores, OBJECTIVES.prod).map((a) => [a.store.name, a.shortfalls])).toEqual([
      ["logs", ["versioning is off: an overwrite or delete cannot be undone"]],
      [
        "uploads",
        [
          "versioning is off: an overwrite or delete cannot be undone",
          "holds data but has no cross-region replication (cross-region RPO 24 h)",
        ],
      ],
    ]);
  });
});

describe("objectives", () => {
  it("prod's backup retention matches the config schema's prod minimum", () => {
    expect(OBJECTIVES.prod.minBackupRetentionDays).toBe(PROD_MIN_BACKUP_RETENTION_DAYS);
  });

  it("reports no data stores as such", () => {
    expect(renderReport("dev", OBJECTIVES.dev, [])).toContain("no data stores found");
  });
});
