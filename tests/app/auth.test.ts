/**
 * Token verification in process, for each key source of C3: an HS256 secret, an inline JWKS, and a JWKS URL
 * served over real HTTP on loopback (jose's createRemoteJWKSet fetching it). Tokens are signed with jose, as an
 * identity provider would sign them; the clock is fixed where expiry is the point.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK } from "jose";
import { AuthError, CLOCK_TOLERANCE_S, createTokenVerifier } from "../../app/src/auth";
import type { AuthConfig } from "../../app/src/config";
import { UnavailableError } from "../../app/src/errors";
import { AUDIENCE, ISSUER, SIGNING_SECRET, tokenFor, unsignedToken } from "./support/tokens";

const secretConfig: AuthConfig = {
  issuer: ISSUER,
  audience: AUDIENCE,
  tenantClaim: "tenant_id",
  key: { kind: "secret", secret: new TextEncoder().encode(SIGNING_SECRET) },
};
const bearer = (t: string) => `Bearer ${t}`;
const failure = async (p: Promise<unknown>) => {
  try {
    await p;
  } catch (err) {
    return err instanceof AuthError ? { code: err.code, message: err.message } : err;
  }
  return "verified";
};

describe("HS256 secret (AUTH_SIGNING_SECRET)", () => {
  const verify = createTokenVerifier({ config: secretConfig });

  it("returns the tenant id of a valid token", async () => {
    expect(await verify(bearer(await tokenFor("alpha")))).toEqual({ tenantId: "alpha", subject: "user-of-alpha" });
  });

  it.each(["bearer", "BEARER", "bEaReR"])(
    "accepts the scheme %s: it is case-insensitive (RFC 7235 §2.1)",
    async (s) => {
      expect(await verify(`${s} ${await tokenFor("alpha")}`)).toEqual({ tenantId: "alpha", subject: "user-of-alpha" });
    },
  );

  it("reads the tenant from AUTH_TENANT_CLAIM", async () => {
    const v = createTokenVerifier({ config: { ...secretConfig, tenantClaim: "https://saas.example/tenant" } });
    const t = await tokenFor(undefined, { claims: { "https://saas.example/tenant": "beta", tenant_id: "alpha" } });
    expect((await v(bearer(t))).tenantId).toBe("beta");
  });

  it.each([
    [undefined, { code: "missing_token", message: "an Authorization: Bearer <token> header is required" }],
    ["", { code: "missing_token", message: "an Authorization: Bearer <token> header is required" }],
    ["Basic abc", { code: "invalid_token", message: "the Authorization header must be Bearer <JWT>" }],
    ["Bearer not a jwt", { code: "invalid_token", message: "the Authorization header must be Bearer <JWT>" }],
    ["Bearer abc.def.ghi", { code: "invalid_token", message: "the token is not a valid JWT" }],
  ])("refuses the header %j", async (header, expected) => {
    expect(await failure(verify(header))).toEqual(expected);
  });

  it("refuses alg none, and an RS256 token although its signature is valid for its own key", async () => {
    expect(await failure(verify(bearer(unsignedToken("alpha"))))).toEqual({
      code: "invalid_token",
      message: "the token's algorithm is not accepted",
    });
    const { privateKey } = await generateKeyPair("RS256");
    const rs = await new SignJWT({ tenant_id: "alpha" })
      .setProtectedHeader({ alg: "RS256" })
      .setIssuer(ISSUER)
      .setAudience(AUDIENCE)
      .setExpirationTime("5m")
      .sign(privateKey);
    expect(await failure(verify(bearer(rs)))).toEqual({
      code: "invalid_token",
      message: "the token's algorithm is not accepted",
    });
  });

  it("names the claim that failed: issuer, audience, a missing exp", async () => {
    expect(await failure(verify(bearer(await tokenFor("alpha", { issuer: "https://other/" }))))).toEqual({
      code: "invalid_token",
      message: `the token's iss claim is not accepted (check_failed)`,
    });
    expect(await failure(verify(bearer(await tokenFor("alpha", { audience: "other" }))))).toEqual({
      code: "invalid_token",
      message: `the token's aud claim is not accepted (check_failed)`,
    });
    const noExp = await new SignJWT({ tenant_id: "alpha" })
      .setProtectedHeader({ alg: "HS256" })
      .setIssuer(ISSUER)
      .setAudience(AUDIENCE)
      .sign(new TextEncoder().encode(SIGNING_SECRET));
    expect(await failure(verify(bearer(noExp)))).toEqual({
      code: "invalid_token",
      message: `the token's exp claim is not accepted (missing)`,
    });
  });

  it(`accepts ${CLOCK_TOLERANCE_S} s of clock skew on exp and nbf, and no more (fixed clock)`, async () => {
    const exp = 2_000_000_000;
    const token = await new SignJWT({ tenant_id: "alpha" })
      .setProtectedHeader({ alg: "HS256" })
      .setIssuer(ISSUER)
      .setAudience(AUDIENCE)
      .setNotBefore(exp - 600)
      .setExpirationTime(exp)
      .sign(new TextEncoder().encode(SIGNING_SECRET));
    const at = (s: number) => createTokenVerifier({ config: secretConfig, now: () => new Date(s * 1000) });
    expect((await at(exp + CLOCK_TOLERANCE_S - 1)(bearer(token))).tenantId).toBe("alpha");
    expect(await failure(at(exp + CLOCK_TOLERANCE_S + 1)(bearer(token)))).toEqual({
      code: "token_expired",
      message: "the token has expired",
    });
    expect((await at(exp - 600 - CLOCK_TOLERANCE_S + 1)(bearer(token))).tenantId).toBe("alpha");
    expect(await failure(at(exp - 600 - CLOCK_TOLERANCE_S - 1)(bearer(token)))).toMatchObject({
      code: "invalid_token",
      message: "the token's nbf claim is not accepted (check_failed)",
    });
  });

  it.each([["Alpha"], ['alpha"; DROP'], [42], [["alpha"]], ["tenant_alpha".repeat(4)]])(
    "refuses a tenant claim of %j that is not a tenant id",
    async (claim) => {
      const t = await tokenFor(undefined, { claims: { tenant_id: claim } });
      expect(await failure(verify(bearer(t)))).toEqual({
        code: "no_tenant",
        message: "the token's tenant_id claim is missing or not a tenant id",
      });
    },
  );
});

describe("asymmetric keys (AUTH_JWKS inline, AUTH_JWKS_URL remote)", () => {
  let signingKey: CryptoKey;
  let publicJwk: JWK;
  let otherKey: CryptoKey;
  let server: Server;
  let jwksUrl: URL;
  let jwksRequests = 0;
  let serveJwks = true;

  const sign = (key: CryptoKey, kid: string, tenant = "gamma") =>
    new SignJWT({ tenant_id: tenant })
      .setProtectedHeader({ alg: "ES256", kid })
      .setIssuer(ISSUER)
      .setAudience(AUDIENCE)
      .setExpirationTime("5m")
      .sign(key);

  beforeAll(async () => {
    const pair = await generateKeyPair("ES256");
    signingKey = pair.privateKey;
    publicJwk = { ...(await exportJWK(pair.publicKey)), kid: "k1", alg: "ES256", use: "sig" };
    otherKey = (await generateKeyPair("ES256")).privateKey;
    server = createServer((_req, res) => {
      jwksRequests += 1;
      if (!serveJwks) {
        res.writeHead(500).end();
        return;
      }
      res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ keys: [publicJwk] }));
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    jwksUrl = new URL(`http://127.0.0.1:${(server.address() as AddressInfo).port}/.well-known/jwks.json`);
  });
  afterAll(() => new Promise((r) => server.close(r)));

  it("inline JWKS: verifies the key's tokens, refuses another key's and an HS256 token", async () => {
    const verify = createTokenVerifier({
      config: { ...secretConfig, key: { kind: "jwks", jwks: { keys: [publicJwk as Record<string, unknown>] } } },
    });
    expect((await verify(bearer(await sign(signingKey, "k1")))).tenantId).toBe("gamma");
    expect(await failure(verify(bearer(await sign(otherKey, "k1"))))).toEqual({
      code: "invalid_token",
      message: "the token's signature does not verify",
    });
    expect(await failure(verify(bearer(await sign(otherKey, "k9"))))).toEqual({
      code: "invalid_token",
      message: "no key of the key set matches the token",
    });
    expect(await failure(verify(bearer(await tokenFor("gamma"))))).toEqual({
      code: "invalid_token",
      message: "the token's algorithm is not accepted",
    });
  });

  it("JWKS URL: fetched over HTTP once and cached; an IdP that fails is a 503, not a 401", async () => {
    const verify = createTokenVerifier({ config: { ...secretConfig, key: { kind: "jwks-url", url: jwksUrl } } });
    expect((await verify(bearer(await sign(signingKey, "k1")))).tenantId).toBe("gamma");
    expect((await verify(bearer(await sign(signingKey, "k1", "alpha")))).tenantId).toBe("alpha");
    expect(jwksRequests).toBe(1);

    serveJwks = false;
    const fresh = createTokenVerifier({ config: { ...secretConfig, key: { kind: "jwks-url", url: jwksUrl } } });
    const err = await fresh(bearer(await sign(signingKey, "k1"))).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UnavailableError);
    expect(err).toMatchObject({ status: 503, code: "auth_keys_unavailable", headers: { "Retry-After": "5" } });

    // Nothing listening at all: fetch fails, still a 503.
    const closed = new URL(jwksUrl.toString());
    closed.port = "1";
    const unreachable = createTokenVerifier({ config: { ...secretConfig, key: { kind: "jwks-url", url: closed } } });
    expect(await unreachable(bearer(await sign(signingKey, "k1"))).catch((e: unknown) => e)).toBeInstanceOf(
      UnavailableError,
    );
  });
});
