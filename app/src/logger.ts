import type { LogLevel } from "./config";

const SEVERITY: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

export type LogFields = Record<string, unknown>;

export interface Logger {
  debug(msg: string, fields?: LogFields): void;
  info(msg: string, fields?: LogFields): void;
  warn(msg: string, fields?: LogFields): void;
  error(msg: string, fields?: LogFields): void;
}

export interface LoggerArgs {
  /** Lowest level that is written. */
  readonly level: LogLevel;
  /**
   * Receives one complete JSON line, newline included.
   * @default - writes to stdout, which the awslogs driver ships to CloudWatch
   */
  readonly write?: (line: string) => void;
  /**
   * Clock for the `time` field.
   * @default - the system clock
   */
  readonly now?: () => Date;
}

/**
 * A JSON-lines logger: one object per line, `time`, `level` and `msg` first so they read well in a terminal,
 * and `level` spelled exactly "error" for failures because the CloudWatch metric filter alarms on it.
 */
export function createLogger(args: LoggerArgs): Logger {
  const write = args.write ?? ((line: string) => process.stdout.write(line));
  const now = args.now ?? (() => new Date());
  const threshold = SEVERITY[args.level];

  const log = (level: LogLevel, msg: string, fields: LogFields = {}): void => {
    if (SEVERITY[level] < threshold) return;
    const head = { time: now().toISOString(), level, msg };
    // Assigning `head` twice keeps its keys first in the output while stopping a field from overwriting them.
    const entry = Object.assign({}, head, serialiseErrors(fields), head);
    write(`${JSON.stringify(entry)}\n`);
  };

  return {
    debug: (msg, fields) => log("debug", msg, fields),
    info: (msg, fields) => log("info", msg, fields),
    warn: (msg, fields) => log("warn", msg, fields),
    error: (msg, fields) => log("error", msg, fields),
  };
}

/** `JSON.stringify(new Error())` is `{}`; spell out what an on-call engineer needs instead. */
function serialiseErrors(fields: LogFields): LogFields {
  const out: LogFields = {};
  for (const [key, value] of Object.entries(fields)) {
    out[key] = value instanceof Error ? { name: value.name, message: value.message, stack: value.stack } : value;
  }
  return out;
}
