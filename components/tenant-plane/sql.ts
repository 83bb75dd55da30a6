/** Quoting for the SQL the tenant plane builds; every identifier and literal it interpolates goes through these. */

export function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

export function quoteLiteral(value: string): string {
  return `'${value.replace(/'/g, "''")}'`;
}
