/** Tokens for the service's HS256 mode (AUTH_SIGNING_SECRET), signed with jose like an identity provider would. */
import { SignJWT } from "jose";

export const ISSUER = "https://issuer.test.invalid/";
export const AUDIENCE = "reference-service";
export const SIGNING_SECRET = "test-only-signing-secret-0123456789abcdef";

/** The AUTH_* variables of a service that accepts the tokens below. */
export const AUTH_ENV: Record<string, string> = {
  AUTH_ISSUER: ISSUER,
  AUTH_AUDIENCE: AUDIENCE,
  AUTH_SIGNING_SECRET: SIGNING_SECRET,
};

export interface TokenOptions {
  readonly claims?: Record<string, unknown>;
  readonly issuer?: string;
  readonly audience?: string;
  /** Seconds from now; negative for an expired token. @default 300 */
  readonly expiresInS?: number;
  readonly secret?: string;
}

export async function tokenFor(tenantId: string | undefined, opts: TokenOptions = {}): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({ ...(tenantId === undefined ? {} : { tenant_id: tenantId }), ...opts.claims })
    .setProtectedHeader({ alg: "HS256", typ: "JWT" })
    .setIssuer(opts.issuer ?? ISSUER)
    .setAudience(opts.audience ?? AUDIENCE)
    .setSubject(`user-of-${tenantId}`)
    .setIssuedAt(now)
    .setExpirationTime(now + (opts.expiresInS ?? 300))
    .sign(new TextEncoder().encode(opts.secret ?? SIGNING_SECRET));
}

const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString("base64url");

/** The same token with its payload edited and the original signature kept: what a tampering client sends. */
export function withEditedPayload(token: string, edit: (payload: Record<string, unknown>) => void): string {
  const [header, payload, signature] = token.split(".");
  const decoded = JSON.parse(Buffer.from(payload, "base64url").toString("utf8")) as Record<string, unknown>;
  edit(decoded);
  return `${header}.${b64(decoded)}.${signature}`;
}

/** An unsigned token (`alg: none`, empty signature) claiming `tenantId`. */
export function unsignedToken(tenantId: string): string {
  const now = Math.floor(Date.now() / 1000);
  return `${b64({ alg: "none", typ: "JWT" })}.${b64({
    tenant_id: tenantId,
    iss: ISSUER,
    aud: AUDIENCE,
    exp: now + 300,
  })}.`;
}
