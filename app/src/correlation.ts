import { randomUUID } from "node:crypto";
import type { IncomingHttpHeaders } from "node:http";

export type CorrelationSource = "x-request-id" | "x-amzn-trace-id" | "generated";

export interface Correlation {
  readonly id: string;
  readonly source: CorrelationSource;
}

/**
 * Visible ASCII only and bounded: the value is echoed in a response header and written to logs, so anything
 * that could split a header, forge a log line or bloat every entry is replaced by a fresh id.
 * 256 leaves room for an ALB trace header carrying Root, Parent, Sampled and Self.
 */
const ACCEPTABLE_ID = /^[\x21-\x7e]{1,256}$/;

/**
 * Picks the id that ties this request's log line to the caller's: a client-chosen `X-Request-Id` wins because
 * the caller can quote it in a ticket; otherwise the `X-Amzn-Trace-Id` the ALB adds to every request; otherwise
 * a new UUID (direct calls that bypass the ALB, such as the container health check).
 */
export function resolveCorrelation(headers: IncomingHttpHeaders, generate: () => string = randomUUID): Correlation {
  const requestId = acceptable(headers["x-request-id"]);
  if (requestId !== undefined) return { id: requestId, source: "x-request-id" };
  const traceId = acceptable(headers["x-amzn-trace-id"]);
  if (traceId !== undefined) return { id: traceId, source: "x-amzn-trace-id" };
  return { id: generate(), source: "generated" };
}

function acceptable(value: string | string[] | undefined): string | undefined {
  const candidate = Array.isArray(value) ? value[0] : value;
  return candidate !== undefined && ACCEPTABLE_ID.test(candidate) ? candidate : undefined;
}
