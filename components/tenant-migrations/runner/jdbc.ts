/** Where the runner's version reads connect: the host, port and database of the task's FLYWAY_URL. */
export interface JdbcTarget {
  readonly host: string;
  readonly port: number;
  readonly database: string;
}

/** Parses `jdbc:postgresql://host:port/database?…` (the URL the migration task definition sets). */
export function parseJdbcUrl(url: string): JdbcTarget {
  const m = /^jdbc:postgresql:\/\/([^:/?]+)(?::(\d+))?\/([^?]+)(?:\?.*)?$/.exec(url);
  if (!m) {
    throw new Error(`FLYWAY_URL: expected jdbc:postgresql://<host>:<port>/<database>, got ${JSON.stringify(url)}`);
  }
  return { host: m[1], port: m[2] === undefined ? 5432 : Number(m[2]), database: decodeURIComponent(m[3]) };
}
