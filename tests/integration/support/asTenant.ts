import type { Client } from "pg";

/** As the service does per request: BEGIN; SET LOCAL ROLE tenant_<id>; the query; then COMMIT (ROLLBACK on error). */
export async function asTenant<T = Record<string, unknown>>(
  client: Client,
  role: string,
  sql: string,
  params: unknown[] = [],
): Promise<T[]> {
  await client.query("BEGIN");
  try {
    await client.query(`SET LOCAL ROLE ${role}`);
    const rows = (await client.query(sql, params)).rows as T[];
    await client.query("COMMIT");
    return rows;
  } catch (e) {
    await client.query("ROLLBACK");
    throw e;
  }
}
