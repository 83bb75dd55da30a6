/**
 * CloudWatch Logs facts every component and the config schema share. Pure.
 */

/** The only retention periods (days) CloudWatch Logs accepts; 0 (never expire) is deliberately not one of ours. */
export const LOG_RETENTION_DAYS = [
  1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653,
] as const;

export function isLogRetention(days: unknown): boolean {
  return (LOG_RETENTION_DAYS as readonly unknown[]).includes(days);
}

/** The argument problem a component reports for a bad retention, in the house format. */
export function logRetentionProblem(argument: string, days: unknown): string | undefined {
  return isLogRetention(days)
    ? undefined
    : `${argument}: expected one of CloudWatch Logs' retention periods (${LOG_RETENTION_DAYS.join(", ")}), got ${JSON.stringify(days)}`;
}
