import * as pulumi from "@pulumi/pulumi";

/**
 * The reference service's environment (app/src/config.ts reads it): where its database is and how it logs in,
 * and how it verifies its callers' tokens. Pure: the composition builds the task's variables with it, the config
 * schema validates the identity provider settings with the same rules, and the tests read exactly what ECS gets.
 */

/** Where the service's token verification keys come from. */
export type TokenKeySource =
  /** A real identity provider's JWKS URL, fetched by the tasks: needs internet egress. */
  | { readonly kind: "jwksUrl"; readonly url: string }
  /** The identity provider's public keys, rendered into the environment at deploy time: works without egress. */
  | { readonly kind: "jwks"; readonly jwks: string }
  /** The stack's own HS256 key in Secrets Manager (components/container-service/signingSecret.ts). */
  | { readonly kind: "signingSecret"; readonly version: number };

/** The variable ECS fills from the signing secret (task definition `secrets`, never `environment`). */
export const SIGNING_SECRET_VARIABLE = "AUTH_SIGNING_SECRET";

/** The claim the tenant id is read from unless configured otherwise. */
export const DEFAULT_TENANT_CLAIM = "tenant_id";

/**
 * The issuer of the stack's own tokens. A URN rather than a URL: nothing is served there, and a token minted for
 * one stack (another prefix) can never be accepted by another, even if both keys leaked.
 */
export function stackTokenIssuer(namePrefix: string): string {
  return `urn:${namePrefix}:auth`;
}

/** The audience of the stack's own tokens (see stackTokenIssuer). */
export function stackTokenAudience(namePrefix: string): string {
  return `urn:${namePrefix}:api`;
}

/** Most characters of inline JWKS: the whole container definition must stay under ECS's 64 KiB limit. */
export const MAX_INLINE_JWKS_CHARS = 16384;

/** JWK members that only a private or symmetric key has: such a key must never sit in config or environment. */
const PRIVATE_MEMBERS = ["d", "p", "q", "dp", "dq", "qi", "oth", "k"];

/** Key types a JWT verifier accepts from an identity provider's JWKS (RFC 7518 section 6, RFC 8037). */
const PUBLIC_KEY_TYPES = ["RSA", "EC", "OKP"];

/** What is wrong with a JWKS URL, or undefined for an https URL without credentials or fragment. */
export function jwksUrlProblem(url: string): string | undefined {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return "expected an https URL such as https://login.example.com/.well-known/jwks.json";
  }
  if (parsed.protocol !== "https:") {
    return "expected an https URL: keys fetched over plain HTTP could be swapped on the way";
  }
  if (parsed.username !== "" || parsed.password !== "" || parsed.hash !== "") {
    return "expected an https URL without user, password or #fragment";
  }
  return undefined;
}

/**
 * What is wrong with inline JWKS JSON text, or undefined when it is a JSON Web Key Set (RFC 7517 section 5) of
 * public signing keys, each with a `kid` so the verifier can pick the key a token names.
 */
export function jwksProblem(text: string): string | undefined {
  if (text.length > MAX_INLINE_JWKS_CHARS) {
    return `expected at most ${MAX_INLINE_JWKS_CHARS} characters of JWKS (it travels in the task definition, limited to 64 KiB)`;
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return 'expected JWKS JSON text such as {"keys":[{"kty":"RSA","kid":"…","n":"…","e":"AQAB"}]}';
  }
  const keys = (parsed as { keys?: unknown } | null)?.keys;
  if (typeof parsed !== "object" || parsed === null || !Array.isArray(keys) || keys.length === 0) {
    return 'expected a JSON object with a non-empty "keys" array (a JWK Set)';
  }
  for (const [i, key] of keys.entries()) {
    if (typeof key !== "object" || key === null || Array.isArray(key)) {
      return `expected keys[${i}] to be a JWK object`;
    }
    const jwk = key as Record<string, unknown>;
    if (!PUBLIC_KEY_TYPES.includes(String(jwk.kty))) {
      return `expected keys[${i}].kty to be one of ${PUBLIC_KEY_TYPES.join(", ")} (public signing keys; a shared "oct" secret does not belong in config)`;
    }
    const secret = PRIVATE_MEMBERS.find((m) => m in jwk);
    if (secret) {
      return `expected public keys only: keys[${i}] has the private member "${secret}"; publish the provider's public JWKS, never its private key`;
    }
    if (typeof jwk.kid !== "string" || jwk.kid === "") {
      return `expected keys[${i}].kid, the key id tokens name in their header`;
    }
    if (jwk.use !== undefined && jwk.use !== "sig") {
      return `expected keys[${i}].use to be "sig" (or absent): the service only verifies signatures`;
    }
  }
  return undefined;
}

/** What the service's environment is built from. */
export interface AppEnvironmentArgs {
  /** The stack's name prefix: the default issuer and audience. */
  readonly namePrefix: string;
  readonly region: string;
  readonly database: {
    readonly host: pulumi.Input<string>;
    readonly port: pulumi.Input<number>;
    readonly name: pulumi.Input<string>;
    /** The login role; it authenticates with an IAM token (rds-db:connect on exactly this user). */
    readonly user: string;
  };
  readonly auth: {
    /** @default - stackTokenIssuer(namePrefix) */
    readonly issuer?: string;
    /** @default - stackTokenAudience(namePrefix) */
    readonly audience?: string;
    /** @default "tenant_id" */
    readonly tenantClaim?: string;
    readonly keys: TokenKeySource;
  };
  /** The pool variables (components/database/sizing.ts poolEnvironment). */
  readonly pool: readonly { readonly name: string; readonly value: string }[];
}

/**
 * The service's plain variables (C3): database host, port, name and user with IAM authentication over
 * certificate-verified TLS, the pool settings, the region the RDS signer signs for, and the token settings.
 * The signing key is not among them: it reaches the task through `secrets` (SIGNING_SECRET_VARIABLE).
 */
export function appEnvironment(a: AppEnvironmentArgs): Record<string, pulumi.Input<string>> {
  const keys = a.auth.keys;
  return {
    ...Object.fromEntries(a.pool.map((v) => [v.name, v.value])),
    DB_HOST: a.database.host,
    DB_PORT: pulumi.output(a.database.port).apply(String),
    DB_NAME: a.database.name,
    DB_USER: a.database.user,
    // No password anywhere: a 15-minute IAM token from @aws-sdk/rds-signer, over TLS that checks the RDS CA.
    DB_AUTH: "iam",
    DB_SSL: "verify-full",
    AWS_REGION: a.region,
    AUTH_ISSUER: a.auth.issuer ?? stackTokenIssuer(a.namePrefix),
    AUTH_AUDIENCE: a.auth.audience ?? stackTokenAudience(a.namePrefix),
    AUTH_TENANT_CLAIM: a.auth.tenantClaim ?? DEFAULT_TENANT_CLAIM,
    ...(keys.kind === "jwksUrl" ? { AUTH_JWKS_URL: keys.url } : {}),
    // Re-serialised, so reformatting the config text does not start a new task definition revision.
    ...(keys.kind === "jwks" ? { AUTH_JWKS: JSON.stringify(JSON.parse(keys.jwks)) } : {}),
  };
}
