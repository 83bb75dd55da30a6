/**
 * Bounds of the collector's settings, shared by its component and the config schema. Pure.
 */

/** At least 5 minutes: each run queries the database and Logs Insights; at most an hour, so the alarm notices. */
export const MIN_INTERVAL_MINUTES = 5;
export const MAX_INTERVAL_MINUTES = 60;
/** A record is kept 1 day to 10 years. */
export const MIN_RECORD_RETENTION_DAYS = 1;
export const MAX_RECORD_RETENTION_DAYS = 3650;
