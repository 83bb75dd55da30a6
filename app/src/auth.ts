import {
  createLocalJWKSet,
  createRemoteJWKSet,
  errors as joseErrors,
  jwtVerify,
  type JWTVerifyGetKey,
  type JWTVerifyOptions,
} from "jose";
import type { AuthConfig } from "./config";
import { UnavailableError } from "./errors";
import { isTenantId } from "./tenant";

/**
 * Clock skew accepted on `exp` and `nbf`: 5 seconds. Enough for two NTP-synchronised hosts (ECS tasks and an
 * IdP), small enough that an expired token is not honoured for a meaningful time.
 */
export const CLOCK_TOLERANCE_S = 5;

/**
 * Algorithms a key source may use. An explicit list is what stops `alg: none` and algorithm confusion (an RS256
 * public key used as an HS256 secret): jose rejects any token whose header names another algorithm.
 */
const ASYMMETRIC_ALGORITHMS = ["RS256", "PS256", "ES256", "ES384", "EdDSA"];
const SYMMETRIC_ALGORITHMS = ["HS256"];

/** A request without a usable identity: always answered 401, the message says which check failed. */
export class AuthError extends Error {
  constructor(
    readonly code: "missing_token" | "invalid_token" | "token_expired" | "no_tenant",
    message: string,
  ) {
    super(message);
    this.name = "AuthError";
  }
}

export interface VerifiedIdentity {
  readonly tenantId: string;
  readonly subject: string | undefined;
}

export type TokenVerifier = (authorization: string | undefined) => Promise<VerifiedIdentity>;

export interface VerifierArgs {
  readonly config: AuthConfig;
  /** Clock for `exp`/`nbf` checks, in tests. @default the system clock */
  readonly now?: () => Date;
}

/**
 * Verifies `Authorization: Bearer <JWT>`: signature (key from AUTH_JWKS_URL, AUTH_JWKS or AUTH_SIGNING_SECRET),
 * issuer, audience, expiry (required) and not-before, then reads the tenant id from the configured claim and
 * checks it is a well-formed tenant id. Whether that tenant exists and is active is the database's answer
 * (SET LOCAL ROLE), not the token's.
 */
export function createTokenVerifier(args: VerifierArgs): TokenVerifier {
  const { config } = args;
  let key: JWTVerifyGetKey | Uint8Array;
  let algorithms: string[];
  switch (config.key.kind) {
    case "jwks-url":
      // Cached by jose; refetched on an unknown `kid` at most every 30 s (cooldownDuration), so a key rotation
      // at the IdP is picked up without a restart and a flood of bad kids cannot hammer the IdP.
      key = createRemoteJWKSet(config.key.url, { timeoutDuration: 3_000, cooldownDuration: 30_000 });
      algorithms = ASYMMETRIC_ALGORITHMS;
      break;
    case "jwks":
      key = createLocalJWKSet(config.key.jwks as Parameters<typeof createLocalJWKSet>[0]);
      algorithms = ASYMMETRIC_ALGORITHMS;
      break;
    case "secret":
      key = config.key.secret;
      algorithms = SYMMETRIC_ALGORITHMS;
      break;
  }
  const options = (): JWTVerifyOptions => ({
    issuer: config.issuer,
    audience: config.audience,
    algorithms,
    clockTolerance: CLOCK_TOLERANCE_S,
    requiredClaims: ["exp"],
    ...(args.now ? { currentDate: args.now() } : {}),
  });

  return async (authorization) => {
    // The scheme is case-insensitive: "It uses a case-insensitive token as a means to identify the authentication
    // scheme" (RFC 7235 §2.1), so `bearer` and `BEARER` are Bearer.
    const match = /^Bearer ([A-Za-z0-9_.-]{1,8192})$/i.exec(authorization ?? "");
    if (authorization === undefined || authorization === "") {
      throw new AuthError("missing_token", "an Authorization: Bearer <token> header is required");
    }
    if (match === null) throw new AuthError("invalid_token", "the Authorization header must be Bearer <JWT>");
    let payload: Record<string, unknown>;
    try {
      // Both overloads take the same arguments; the union of key types needs the cast to pick one.
      payload = (await jwtVerify(match[1], key as Uint8Array, options())).payload;
    } catch (err) {
      throw toAuthError(err, config.key.kind === "jwks-url");
    }
    const tenantId = payload[config.tenantClaim];
    if (!isTenantId(tenantId)) {
      throw new AuthError("no_tenant", `the token's ${config.tenantClaim} claim is missing or not a tenant id`);
    }
    return { tenantId, subject: typeof payload.sub === "string" ? payload.sub : undefined };
  };
}

/** jose's error, as a message that says which check failed without echoing the token. */
function toAuthError(err: unknown, remoteKeys: boolean): AuthError {
  const idpFailed =
    err instanceof joseErrors.JWKSTimeout ||
    err instanceof joseErrors.JWKSInvalid ||
    // A non-200 answer from the JWKS URL is jose's base JOSEError; a refused connection is fetch's TypeError.
    (remoteKeys && (!(err instanceof joseErrors.JOSEError) || err.code === "ERR_JOSE_GENERIC"));
  if (idpFailed) {
    // The IdP's key set could not be had: not the caller's fault, and a retry may well succeed.
    throw new UnavailableError("auth_keys_unavailable", "the identity provider's keys cannot be fetched", 5);
  }
  if (err instanceof joseErrors.JWTExpired) return new AuthError("token_expired", "the token has expired");
  if (err instanceof joseErrors.JWTClaimValidationFailed) {
    return new AuthError("invalid_token", `the token's ${err.claim} claim is not accepted (${err.reason})`);
  }
  if (err instanceof joseErrors.JWSSignatureVerificationFailed) {
    return new AuthError("invalid_token", "the token's signature does not verify");
  }
  if (err instanceof joseErrors.JOSEAlgNotAllowed) {
    return new AuthError("invalid_token", "the token's algorithm is not accepted");
  }
  if (err instanceof joseErrors.JWKSNoMatchingKey) {
    return new AuthError("invalid_token", "no key of the key set matches the token");
  }
  if (err instanceof joseErrors.JOSEError) return new AuthError("invalid_token", "the token is not a valid JWT");
  // Anything else is a bug, not the caller's fault: let it become a 500.
  throw err;
}
