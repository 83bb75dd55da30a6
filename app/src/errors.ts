/**
 * Errors a handler throws to choose its response; anything else is a 500. `expose` says the message is written
 * for the caller (it never contains a token, SQL or another tenant's data).
 */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly headers: Readonly<Record<string, string>> = {},
  ) {
    super(message);
    this.name = "HttpError";
  }
}

/** A dependency (the database, the IdP's key set) cannot serve now; the client should retry after a pause. */
export class UnavailableError extends HttpError {
  constructor(code: string, message: string, retryAfterS: number) {
    super(503, code, message, { "Retry-After": String(retryAfterS) });
    this.name = "UnavailableError";
  }
}
