/**
 * Recovery objectives per stack: how much data a stack may lose (RPO) and how long it may be down (RTO), and
 * what each data store must have to meet them. The one place these are stated; `npm run dr:check -- <stack>`
 * (tools/dr/check.ts) holds the plan to them and runbooks/disaster-recovery.md explains them.
 *
 * Why these numbers:
 * - dev is disposable: rebuilt from code and seed data, nobody's business data lives there. Losing a day of it
 *   and taking a day to bring it back costs only engineers' time, so daily automated backups are enough and
 *   there is no cross-region copy, deletion protection or final snapshot to pay for or to get in the way.
 * - prod holds every tenant's data. Within the region, RDS point-in-time recovery (automated backups plus
 *   transaction logs shipped every 5 minutes) bounds the loss to 5 minutes; a Multi-AZ standby fails over on
 *   its own in 1-2 minutes when a zone goes, and a restore to a new instance plus cutover fits in an hour.
 *   Losing the whole region is rarer and slower to recover from: the replicated automated backups in a second
 *   region bound the loss to 24 hours (AWS replicates snapshots and logs asynchronously; we promise the
 *   conservative bound) and rebuilding the stack there takes up to 24 hours. Deletion protection and a final
 *   snapshot stop a mistaken `pulumi destroy` or replacement from losing data at all.
 * - S3: prod buckets are versioned, so an overwrite or delete is recoverable within the region. Log buckets
 *   (load balancer and CloudFront access logs) are diagnostics and the CDN origin is redeployed from the
 *   frontend repository, so neither needs a cross-region replica; a bucket holding primary data would.
 */

export interface RecoveryObjectives {
  readonly stack: string;
  /** Most data lost, in minutes, when the region survives (point-in-time recovery). */
  readonly rpoMinutes: number;
  /** Longest outage, in minutes, when the region survives. */
  readonly rtoMinutes: number;
  /** Objectives when the whole region is lost; undefined: no cross-region requirement. */
  readonly crossRegion?: { readonly rpoMinutes: number; readonly rtoMinutes: number };
  /** Fewest days of automated backups (how far back a restore can go); 1 is daily snapshots. */
  readonly minBackupRetentionDays: number;
  /** A standby in a second zone: the in-region RTO cannot absorb a restore when a zone is lost. */
  readonly requireMultiAz: boolean;
  readonly requireDeletionProtection: boolean;
  /** A snapshot taken when the store is deleted (`skipFinalSnapshot: false` and an identifier). */
  readonly requireFinalSnapshot: boolean;
  readonly requireBucketVersioning: boolean;
  /** Bucket roles that need cross-region replication (`data`: primary data; `logs`, `origin` never do). */
  readonly requireBucketReplicationFor: readonly BucketRole[];
  /** Why, in one sentence (printed by the check and quoted in the runbook). */
  readonly why: string;
}

/** What a bucket holds, derived from who uses it (tools/dr/stores.ts). */
/** `replica`: the destination of another bucket's cross-region replication (it is the copy, not the original). */
export type BucketRole = "data" | "logs" | "origin" | "replica";

const HOUR = 60;
const DAY = 24 * HOUR;

export const OBJECTIVES: Readonly<Record<string, RecoveryObjectives>> = {
  dev: {
    stack: "dev",
    rpoMinutes: DAY,
    rtoMinutes: DAY,
    minBackupRetentionDays: 1,
    requireMultiAz: false,
    requireDeletionProtection: false,
    requireFinalSnapshot: false,
    requireBucketVersioning: false,
    requireBucketReplicationFor: [],
    why: "disposable: rebuilt from code, no tenant data; daily backups are enough",
  },
  prod: {
    stack: "prod",
    rpoMinutes: 5,
    rtoMinutes: HOUR,
    crossRegion: { rpoMinutes: DAY, rtoMinutes: DAY },
    // Equal to the prod minimum of saas:databaseBackupRetentionDays (stacks/schema/database.ts).
    minBackupRetentionDays: 14,
    requireMultiAz: true,
    requireDeletionProtection: true,
    requireFinalSnapshot: true,
    requireBucketVersioning: true,
    requireBucketReplicationFor: ["data"],
    why: "tenant data: 5 min loss via PITR in the region, 24 h via the cross-region backup copy",
  },
};

/** The objectives of a stack; undefined for a stack the table does not state (the check reports it, exit 2). */
export function objectivesFor(stack: string): RecoveryObjectives | undefined {
  return Object.prototype.hasOwnProperty.call(OBJECTIVES, stack) ? OBJECTIVES[stack] : undefined;
}

/** `5 min`, `1 h`, `24 h`. */
export function formatMinutes(minutes: number): string {
  return minutes % HOUR === 0 ? `${minutes / HOUR} h` : `${minutes} min`;
}
