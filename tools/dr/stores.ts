import { PlannedResource } from "../engine/types";
import { BucketRole, RecoveryObjectives, formatMinutes } from "./objectives";
import { DR_ROLE_TAG } from "../../components/shared/privateBucket";

/**
 * The data stores of a plan and how they measure up to a stack's recovery objectives. Pure: `dataStores` reads
 * PlannedResource records, `assess` compares them with a RecoveryObjectives row.
 */

export interface DatabaseStore {
  readonly kind: "rds-instance" | "rds-cluster";
  /** Logical name in the program (`database-instance`). */
  readonly name: string;
  /** Physical identifier when the program sets one. */
  readonly identifier?: string;
  /** Days of automated backups; 0 is none (no point-in-time recovery). */
  readonly backupRetentionDays: number;
  readonly multiAz: boolean;
  readonly deletionProtection: boolean;
  /** A final snapshot is taken on delete: skipFinalSnapshot false and a finalSnapshotIdentifier. */
  readonly finalSnapshot: boolean;
  /** The cross-region copy of the automated backups; undefined when there is none. */
  readonly crossRegionCopy?: { readonly region?: string; readonly retentionDays?: number };
}

export interface BucketStore {
  readonly kind: "s3-bucket";
  readonly name: string;
  readonly bucket?: string;
  readonly role: BucketRole;
  readonly versioning: boolean;
  readonly replication: boolean;
}

export type DataStore = DatabaseStore | BucketStore;

export interface Assessment {
  readonly store: DataStore;
  /** What falls short of the objectives, one sentence each; empty when the store meets them. */
  readonly shortfalls: string[];
}

const RDS_INSTANCE = "aws:rds/instance:Instance";
const RDS_CLUSTER = "aws:rds/cluster:Cluster";
const RDS_CLUSTER_INSTANCE = "aws:rds/clusterInstance:ClusterInstance";
const BACKUP_REPLICATION = "aws:rds/instanceAutomatedBackupsReplication:InstanceAutomatedBackupsReplication";
const BUCKET_TYPES = ["aws:s3/bucket:Bucket", "aws:s3/bucketV2:BucketV2"];
const VERSIONING_TYPES = ["aws:s3/bucketVersioning:BucketVersioning", "aws:s3/bucketVersioningV2:BucketVersioningV2"];
const REPLICATION_TYPES = ["aws:s3/bucketReplicationConfig:BucketReplicationConfig"];

const str = (v: unknown): string | undefined => (typeof v === "string" && v !== "" ? v : undefined);
/** RDS and its API default to one day of backups when the program does not say. */
const retention = (v: unknown): number => (typeof v === "number" ? v : 1);
const regionOfArn = (arn: unknown): string | undefined => (typeof arn === "string" ? arn.split(":")[3] : undefined);
const byName = (a: DataStore, b: DataStore) => a.kind.localeCompare(b.kind) || a.name.localeCompare(b.name);

function finalSnapshot(inputs: Record<string, unknown>): boolean {
  return inputs.skipFinalSnapshot !== true && str(inputs.finalSnapshotIdentifier) !== undefined;
}

/** Every data store in the plan: RDS instances and clusters, S3 buckets. Sorted by kind, then name. */
export function dataStores(resources: readonly PlannedResource[]): DataStore[] {
  const stores: DataStore[] = [];
  const replications = resources.filter((r) => r.type === BACKUP_REPLICATION);
  for (const r of resources.filter((r) => r.type === RDS_INSTANCE)) {
    // A read replica is a copy of another store, not a store of its own.
    if (str(r.inputs.replicateSourceDb)) {
      continue;
    }
    const arn = str(r.outputs.arn);
    const copy = replications.find((x) => arn !== undefined && x.inputs.sourceDbInstanceArn === arn);
    stores.push({
      kind: "rds-instance",
      name: r.name,
      identifier: str(r.inputs.identifier) ?? str(r.outputs.identifier),
      backupRetentionDays: retention(r.inputs.backupRetentionPeriod),
      multiAz: r.inputs.multiAz === true,
      deletionProtection: r.inputs.deletionProtection === true,
      finalSnapshot: finalSnapshot(r.inputs),
      crossRegionCopy: copy
        ? {
            region: regionOfArn(copy.outputs.id) ?? regionOfArn(copy.inputs.kmsKeyId),
            retentionDays: typeof copy.inputs.retentionPeriod === "number" ? copy.inputs.retentionPeriod : 7,
          }
        : undefined,
    });
  }
  for (const r of resources.filter((r) => r.type === RDS_CLUSTER)) {
    const ids = new Set([str(r.outputs.id), str(r.inputs.clusterIdentifier)].filter(Boolean));
    const members = resources.filter(
      (m) => m.type === RDS_CLUSTER_INSTANCE && ids.has(str(m.inputs.clusterIdentifier) ?? ""),
    );
    stores.push({
      kind: "rds-cluster",
      name: r.name,
      identifier: str(r.inputs.clusterIdentifier),
      backupRetentionDays: retention(r.inputs.backupRetentionPeriod),
      // Aurora fails over to a second instance; a Multi-AZ DB cluster (dbClusterInstanceClass) has standbys built in.
      multiAz: members.length >= 2 || str(r.inputs.dbClusterInstanceClass) !== undefined,
      deletionProtection: r.inputs.deletionProtection === true,
      finalSnapshot: finalSnapshot(r.inputs),
      crossRegionCopy: str(r.inputs.globalClusterIdentifier) ? {} : undefined,
    });
  }
  for (const b of resources.filter((r) => BUCKET_TYPES.includes(r.type))) {
    const names = [str(b.outputs.id), str(b.outputs.bucket), str(b.inputs.bucket)].filter(
      (n): n is string => n !== undefined,
    );
    const names_ = new Set(names);
    const satellites = (types: string[]) =>
      resources.filter((r) => types.includes(r.type) && names_.has(str(r.inputs.bucket) ?? ""));
    const versioning =
      satellites(VERSIONING_TYPES).some(
        (v) => (v.inputs.versioningConfiguration as { status?: unknown } | undefined)?.status === "Enabled",
      ) ||
      (b.inputs.versioning as { enabled?: unknown } | undefined)?.enabled === true ||
      (Array.isArray(b.inputs.versionings) &&
        (b.inputs.versionings as Array<{ enabled?: unknown }>).some((v) => v.enabled === true));
    const replication =
      satellites(REPLICATION_TYPES).length > 0 ||
      b.inputs.replicationConfiguration !== undefined ||
      (Array.isArray(b.inputs.replicationConfigurations) && b.inputs.replicationConfigurations.length > 0);
    stores.push({
      kind: "s3-bucket",
      name: b.name,
      bucket: names[0],
      role: bucketRole(names, b, resources),
      versioning,
      replication,
    });
  }
  return stores.sort(byName);
}

const DECLARABLE_ROLES: readonly BucketRole[] = ["logs", "replica"];

/**
 * What a bucket holds: the role its `dr:role` tag declares ("logs", "replica": a copy of what lives elsewhere),
 * else from where other resources name it: under a `log` setting (ALB `accessLogs`, CloudFront
 * `loggingConfig`, a flow log's destination) it holds logs; as a CloudFront origin, files deployed from
 * elsewhere; otherwise primary data.
 */
export function bucketRole(
  names: readonly string[],
  bucket: PlannedResource,
  resources: readonly PlannedResource[],
): BucketRole {
  const matches = (s: string) =>
    names.some(
      (n) => s === n || s.startsWith(`${n}.s3`) || s === `arn:aws:s3:::${n}` || s.startsWith(`arn:aws:s3:::${n}/`),
    );
  const declared = (bucket.inputs.tags as Record<string, unknown> | undefined)?.[DR_ROLE_TAG];
  if (typeof declared === "string" && (DECLARABLE_ROLES as readonly string[]).includes(declared)) {
    return declared as BucketRole;
  }
  const roles = new Set<BucketRole>();
  let owner = "";
  const walk = (value: unknown, keyPath: string) => {
    if (typeof value === "string") {
      if (matches(value)) {
        if (/^\.rules\.destination\.bucket$/.test(keyPath) && REPLICATION_TYPES.includes(owner)) {
          roles.add("replica");
        } else if (/log/i.test(keyPath)) {
          roles.add("logs");
        } else if (/origin/i.test(keyPath)) {
          roles.add("origin");
        }
      }
    } else if (Array.isArray(value)) {
      value.forEach((v) => walk(v, keyPath));
    } else if (value && typeof value === "object") {
      for (const [k, v] of Object.entries(value)) {
        walk(v, `${keyPath}.${k}`);
      }
    }
  };
  for (const r of resources) {
    if (r.urn !== bucket.urn) {
      owner = r.type;
      walk(r.inputs, "");
    }
  }
  // Anything else a bucket is used for counts as data: a log bucket that also serves files is not just logs.
  if (roles.size === 1) {
    return [...roles][0];
  }
  return "data";
}

/** How each store measures up to the objectives. */
export function assess(stores: readonly DataStore[], objectives: RecoveryObjectives): Assessment[] {
  return stores.map((store) => ({ store, shortfalls: shortfallsOf(store, objectives) }));
}

function shortfallsOf(store: DataStore, o: RecoveryObjectives): string[] {
  const out: string[] = [];
  if (store.kind === "s3-bucket") {
    if (o.requireBucketVersioning && !store.versioning) {
      out.push("versioning is off: an overwrite or delete cannot be undone");
    }
    if (o.requireBucketReplicationFor.includes(store.role) && !store.replication) {
      out.push(
        `holds ${store.role} but has no cross-region replication (cross-region RPO ${formatMinutes(o.crossRegion?.rpoMinutes ?? o.rpoMinutes)})`,
      );
    }
    return out;
  }
  if (store.backupRetentionDays < 1) {
    out.push(
      `no automated backups (backupRetentionPeriod 0): no point-in-time recovery, RPO ${formatMinutes(o.rpoMinutes)} cannot be met`,
    );
  } else if (store.backupRetentionDays < o.minBackupRetentionDays) {
    out.push(`backups kept ${store.backupRetentionDays} days, fewer than the ${o.minBackupRetentionDays} required`);
  }
  if (o.requireMultiAz && !store.multiAz) {
    out.push(`single-AZ: losing its zone means a restore, which does not fit RTO ${formatMinutes(o.rtoMinutes)}`);
  }
  if (o.requireDeletionProtection && !store.deletionProtection) {
    out.push("deletion protection is off");
  }
  if (o.requireFinalSnapshot && !store.finalSnapshot) {
    out.push("no final snapshot on delete (skipFinalSnapshot or no finalSnapshotIdentifier)");
  }
  if (o.crossRegion && !store.crossRegionCopy) {
    out.push(
      `no cross-region copy of the backups: losing the region loses the data (cross-region RPO ${formatMinutes(o.crossRegion.rpoMinutes)})`,
    );
  }
  return out;
}

const yesNo = (v: boolean) => (v ? "yes" : "no");

/** One row per store for the text table. */
export function tableRows(assessments: readonly Assessment[]): string[][] {
  return assessments.map(({ store, shortfalls }) => {
    const status = shortfalls.length === 0 ? "ok" : "SHORT";
    if (store.kind === "s3-bucket") {
      return [
        store.name,
        `S3 (${store.role})`,
        "-",
        "-",
        "-",
        "-",
        store.replication ? "replicated" : "no",
        yesNo(store.versioning),
        status,
      ];
    }
    const copy = store.crossRegionCopy;
    return [
      store.name,
      store.kind === "rds-instance" ? "RDS instance" : "RDS cluster",
      store.backupRetentionDays > 0 ? `${store.backupRetentionDays} d + PITR` : "none",
      yesNo(store.multiAz),
      yesNo(store.deletionProtection),
      yesNo(store.finalSnapshot),
      copy
        ? [copy.region, copy.retentionDays !== undefined ? `${copy.retentionDays} d` : undefined]
            .filter(Boolean)
            .join(", ") || "yes"
        : "no",
      "-",
      status,
    ];
  });
}

export const TABLE_HEADER = [
  "STORE",
  "TYPE",
  "BACKUPS",
  "MULTI-AZ",
  "DELETE PROT.",
  "FINAL SNAP.",
  "CROSS-REGION",
  "VERSIONING",
  "STATUS",
];

/** The text report: the objectives, the table, then each shortfall. */
export function renderReport(
  stack: string,
  objectives: RecoveryObjectives,
  assessments: readonly Assessment[],
): string {
  const lines: string[] = [];
  const cross = objectives.crossRegion
    ? `; region lost: RPO ${formatMinutes(objectives.crossRegion.rpoMinutes)}, RTO ${formatMinutes(objectives.crossRegion.rtoMinutes)}`
    : "; no cross-region requirement";
  lines.push(
    `Recovery objectives of ${stack}: RPO ${formatMinutes(objectives.rpoMinutes)}, RTO ${formatMinutes(objectives.rtoMinutes)}${cross}`,
    `  (${objectives.why}; tools/dr/objectives.ts)`,
    "",
  );
  if (assessments.length === 0) {
    lines.push("no data stores found");
    return lines.join("\n");
  }
  const rows = [TABLE_HEADER, ...tableRows(assessments)];
  const widths = TABLE_HEADER.map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  for (const row of rows) {
    lines.push(
      row
        .map((c, i) => c.padEnd(widths[i]))
        .join("  ")
        .trimEnd(),
    );
  }
  const short = assessments.filter((a) => a.shortfalls.length > 0);
  lines.push("");
  if (short.length === 0) {
    lines.push(`All ${assessments.length} data stores meet the objectives.`);
  } else {
    lines.push(`${short.length} of ${assessments.length} data stores fall short:`);
    for (const a of short) {
      for (const s of a.shortfalls) {
        lines.push(`  - ${a.store.name}: ${s}`);
      }
    }
  }
  return lines.join("\n");
}
