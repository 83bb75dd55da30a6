/**
 * Sizing of the PostgreSQL instance and of the connections that may be opened to it. Pure: the config schema,
 * the component and the tests share it.
 */

/** Size of one RDS instance class. */
export interface InstanceClassSize {
  readonly vcpu: number;
  readonly memoryGiB: number;
  /** True for classes that run on CPU credits (db.t*): fine for dev, throttled under sustained production load. */
  readonly burstable: boolean;
}

const sizes = (
  family: string,
  burstable: boolean,
  table: readonly (readonly [size: string, vcpu: number, memoryGiB: number])[],
): [string, InstanceClassSize][] =>
  table.map(([size, vcpu, memoryGiB]) => [`db.${family}.${size}`, { vcpu, memoryGiB, burstable }]);

const GENERAL_PURPOSE = [
  ["large", 2, 8],
  ["xlarge", 4, 16],
  ["2xlarge", 8, 32],
  ["4xlarge", 16, 64],
  ["8xlarge", 32, 128],
  ["12xlarge", 48, 192],
  ["16xlarge", 64, 256],
] as const;

const MEMORY_OPTIMISED = [
  ["large", 2, 16],
  ["xlarge", 4, 32],
  ["2xlarge", 8, 64],
  ["4xlarge", 16, 128],
  ["8xlarge", 32, 256],
  ["12xlarge", 48, 384],
  ["16xlarge", 64, 512],
] as const;

/**
 * The Graviton instance classes RDS for PostgreSQL 16 offers that this platform supports (AWS "DB instance class
 * hardware specifications"). Graviton only: cheaper per vCPU than the Intel classes, and the table stays short.
 */
export const INSTANCE_CLASSES: Readonly<Record<string, InstanceClassSize>> = Object.fromEntries([
  ...sizes("t4g", true, [
    ["micro", 2, 1],
    ["small", 2, 2],
    ["medium", 2, 4],
    ["large", 2, 8],
    ["xlarge", 4, 16],
    ["2xlarge", 8, 32],
  ]),
  ...sizes("m6g", false, GENERAL_PURPOSE),
  ...sizes("m7g", false, GENERAL_PURPOSE),
  ...sizes("r6g", false, MEMORY_OPTIMISED),
  ...sizes("r7g", false, MEMORY_OPTIMISED),
]);

export function isKnownInstanceClass(instanceClass: unknown): instanceClass is string {
  return typeof instanceClass === "string" && Object.hasOwn(INSTANCE_CLASSES, instanceClass);
}

/** Bytes per connection in the RDS default `max_connections` formula. */
export const BYTES_PER_CONNECTION = 9531392;
/** The cap of the RDS default `max_connections` formula. */
export const MAX_CONNECTIONS_CAP = 5000;

/**
 * RDS for PostgreSQL's default `max_connections`: `LEAST({DBInstanceClassMemory/9531392}, 5000)`, computed from
 * the class's nominal memory. RDS's DBInstanceClassMemory is the nominal memory less what the OS and the RDS
 * processes reserve, so the real value is somewhat lower on the small classes (check it with
 * `SHOW max_connections;`, runbooks/database-connect.md); the reserved connections below absorb part of that.
 */
export function maxConnections(instanceClass: string): number {
  const size = INSTANCE_CLASSES[instanceClass];
  if (!size) {
    throw new Error(`unknown instance class ${JSON.stringify(instanceClass)}`);
  }
  return Math.min(Math.floor((size.memoryGiB * 1024 ** 3) / BYTES_PER_CONNECTION), MAX_CONNECTIONS_CAP);
}

/**
 * Connections no application may use: PostgreSQL's `superuser_reserved_connections` (3, the default RDS keeps)
 * plus RDS's `rds.rds_superuser_reserved_connections` (2) for the master user and RDS's own monitoring.
 */
export const RESERVED_CONNECTIONS = { superuser: 3, rdsSuperuser: 2 } as const;
export const TOTAL_RESERVED_CONNECTIONS = RESERVED_CONNECTIONS.superuser + RESERVED_CONNECTIONS.rdsSuperuser;

export interface ConnectionBudgetInput {
  /** Connections one service task's pool may open. */
  readonly poolSize: number;
  /** Tasks the service may scale out to. */
  readonly maxTasks: number;
  /** Connections the migrator (Flyway) may hold while a migration runs beside the service. */
  readonly migratorConnections: number;
  readonly instanceClass: string;
  /** Where `maxTasks` comes from, shown after it in the arithmetic, e.g. `saas:serviceMaxCount`. @default - none */
  readonly maxTasksSource?: string;
  /** @default TOTAL_RESERVED_CONNECTIONS */
  readonly reservedConnections?: number;
}

export interface ConnectionBudget {
  /** Connections the service, the migrator and the reserved slots need at full scale. */
  readonly required: number;
  /** What the instance class allows (`max_connections`). */
  readonly available: number;
  readonly reserved: number;
  readonly fits: boolean;
  /** `20 per task × 10 tasks (saas:serviceMaxCount) + 5 migrator + 5 reserved = 210`. */
  readonly arithmetic: string;
}

/** Whether every task at full scale, the migrator and the reserved slots fit in the instance's `max_connections`. */
export function connectionBudget(input: ConnectionBudgetInput): ConnectionBudget {
  const reserved = input.reservedConnections ?? TOTAL_RESERVED_CONNECTIONS;
  const required = input.poolSize * input.maxTasks + input.migratorConnections + reserved;
  const available = maxConnections(input.instanceClass);
  return {
    required,
    available,
    reserved,
    fits: required <= available,
    arithmetic:
      `${input.poolSize} per task × ${input.maxTasks} task${input.maxTasks === 1 ? "" : "s"}` +
      `${input.maxTasksSource ? ` (${input.maxTasksSource})` : ""} + ` +
      `${input.migratorConnections} migrator + ${reserved} reserved = ${required}`,
  };
}

/**
 * HikariCP-style pool settings of one service task, handed to the container as environment variables (no secret
 * among them). Times are in milliseconds, as HikariCP takes them.
 */
export interface DatabasePoolSettings {
  readonly maxSize: number;
  readonly minIdle: number;
  readonly connectionTimeoutMs: number;
  readonly idleTimeoutMs: number;
  readonly maxLifetimeMs: number;
}

/**
 * The pool of a task of `poolSize` connections. A fixed-size pool (min idle = max), as HikariCP recommends: the
 * connection budget reserves every task's full pool anyway, and a fixed pool does not open connections in a burst.
 * A 10 s connection timeout fails a request well inside the load balancer's 60 s idle timeout; connections are
 * recycled every 30 minutes so credential rotations and failovers are picked up without a restart.
 */
export function poolSettings(poolSize: number): DatabasePoolSettings {
  return {
    maxSize: poolSize,
    minIdle: poolSize,
    connectionTimeoutMs: 10_000,
    idleTimeoutMs: 600_000,
    maxLifetimeMs: 1_800_000,
  };
}

/** The pool settings as the task environment the service reads. */
export function poolEnvironment(pool: DatabasePoolSettings): { name: string; value: string }[] {
  return [
    { name: "DB_POOL_MAX_SIZE", value: String(pool.maxSize) },
    { name: "DB_POOL_MIN_IDLE", value: String(pool.minIdle) },
    { name: "DB_CONNECTION_TIMEOUT_MS", value: String(pool.connectionTimeoutMs) },
    { name: "DB_IDLE_TIMEOUT_MS", value: String(pool.idleTimeoutMs) },
    { name: "DB_MAX_LIFETIME_MS", value: String(pool.maxLifetimeMs) },
  ];
}

/**
 * Performance Insights retention periods RDS accepts: 7 days (free), a whole number of months (31 days each) up
 * to 23, or 731 days.
 */
export const PERFORMANCE_INSIGHTS_RETENTION_DAYS: readonly number[] = [
  7,
  ...Array.from({ length: 23 }, (_, i) => (i + 1) * 31),
  731,
];

/** Storage RDS for PostgreSQL accepts on gp3, GiB. */
export const STORAGE_GIB = { min: 20, max: 65536 } as const;
