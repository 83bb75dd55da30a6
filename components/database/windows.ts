/**
 * RDS backup and maintenance windows: parsing and the overlap rule RDS enforces. Pure. Times are UTC.
 */

const DAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"] as const;
const MINUTES_PER_DAY = 24 * 60;
const MINUTES_PER_WEEK = 7 * MINUTES_PER_DAY;
/** RDS rejects windows shorter than 30 minutes. */
export const MIN_WINDOW_MINUTES = 30;

const TIME = "([01]\\d|2[0-3]):([0-5]\\d)";
const DAILY = new RegExp(`^${TIME}-${TIME}$`);
const WEEKLY = new RegExp(`^(${DAYS.join("|")}):${TIME}-(${DAYS.join("|")}):${TIME}$`);

/** A window as [start, end) minutes from Monday 00:00 (weekly) or from 00:00 (daily); end may pass the period. */
interface Span {
  readonly start: number;
  readonly end: number;
}

function span(start: number, end: number, period: number): Span {
  return { start, end: end > start ? end : end + period };
}

function parseDaily(window: string): Span | undefined {
  const m = DAILY.exec(window);
  return m ? span(+m[1] * 60 + +m[2], +m[3] * 60 + +m[4], MINUTES_PER_DAY) : undefined;
}

function parseWeekly(window: string): Span | undefined {
  const m = WEEKLY.exec(window);
  if (!m) {
    return undefined;
  }
  const at = (day: string, h: string, min: string) =>
    DAYS.indexOf(day as (typeof DAYS)[number]) * MINUTES_PER_DAY + +h * 60 + +min;
  return span(at(m[1], m[2], m[3]), at(m[4], m[5], m[6]), MINUTES_PER_WEEK);
}

/** Why a daily backup window such as `03:00-03:30` is not acceptable, or undefined. */
export function backupWindowProblem(window: string): string | undefined {
  const s = parseDaily(window);
  if (!s) {
    return "expected a daily UTC window hh:mm-hh:mm such as 03:00-03:30";
  }
  return s.end - s.start < MIN_WINDOW_MINUTES
    ? `expected a window of at least ${MIN_WINDOW_MINUTES} minutes`
    : undefined;
}

/** Why a weekly maintenance window such as `sun:04:00-sun:04:30` is not acceptable, or undefined. */
export function maintenanceWindowProblem(window: string): string | undefined {
  const s = parseWeekly(window);
  if (!s) {
    return "expected a weekly UTC window ddd:hh:mm-ddd:hh:mm such as sun:04:00-sun:04:30 (days mon-sun)";
  }
  return s.end - s.start < MIN_WINDOW_MINUTES
    ? `expected a window of at least ${MIN_WINDOW_MINUTES} minutes`
    : undefined;
}

/**
 * True when the daily backup window overlaps the weekly maintenance window on any day (RDS refuses that). Both
 * windows must be valid.
 */
export function windowsOverlap(backupWindow: string, maintenanceWindow: string): boolean {
  const backup = parseDaily(backupWindow);
  const maintenance = parseWeekly(maintenanceWindow);
  if (!backup || !maintenance) {
    return false;
  }
  // Compare every daily occurrence, shifted by a week either way so spans that wrap past Sunday are caught.
  for (let day = -7; day < 14; day++) {
    const start = backup.start + day * MINUTES_PER_DAY;
    const end = backup.end + day * MINUTES_PER_DAY;
    if (start < maintenance.end && maintenance.start < end) {
      return true;
    }
  }
  return false;
}
