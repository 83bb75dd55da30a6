/** Where the runner's version reads connect: the host, port and database of the task's FLYWAY_URL. */
export interface JdbcTarget {
  readonly host: string;
  readonly port: number;
  readonly database: string;
  /** The URL's `sslmode` (PostgreSQL JDBC's default is prefer). */
  readonly sslMode: string;
}

/** Parses `jdbc:postgresql://host:port/database?…` (the URL the migration task definition sets). */
export function parseJdbcUrl(url: string): JdbcTarget {
  const m = /^jdbc:postgresql:\/\/([^:/?]+)(?::(\d+))?\/([^?]+)(?:\?.*)?$/.exec(url);
  if (!m) {
    throw new Error(`FLYWAY_URL: expected jdbc:postgresql://<host>:<port>/<database>, got ${JSON.stringify(url)}`);
  }
  const sslMode = /[?&]sslmode=([a-z-]+)/.exec(url)?.[1] ?? "prefer";
  return {
    host: m[1],
    port: m[2] === undefined ? 5432 : Number(m[2]),
    database: decodeURIComponent(m[3]),
    sslMode,
  };
}

/**
 * node-postgres TLS settings matching the URL's sslmode, so the version reads connect as Flyway does:
 * `disable` plain; `require` (what the task sets) encrypted without verifying the certificate; `verify-ca` and
 * `verify-full` verified against the system's trust store.
 */
export function sslOptions(sslMode: string): false | { rejectUnauthorized: boolean } {
  if (sslMode === "disable") return false;
  return { rejectUnauthorized: sslMode === "verify-ca" || sslMode === "verify-full" };
}
