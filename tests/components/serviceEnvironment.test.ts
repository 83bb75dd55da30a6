import { Planned } from "../support/plan";
import { policyViolations } from "../../tools/plan/checks";
import { SigningSecret, validateSigningSecretArgs } from "../../components/container-service/signingSecret";
import { jwksProblem, jwksUrlProblem } from "../../components/container-service/appEnvironment";
import { testContext } from "../support/context";

/**
 * The reference service's environment as the real stacks hand it to ECS (the contract app/src/config.ts reads):
 * every variable by name and value, the signing key through `secrets`, and the identity provider settings.
 */

const json = (value: unknown) => JSON.parse(value as string);
const KEY = "arn:aws:kms:us-east-1:123456789012:key/11111111-2222-4333-a444-555555555555";

/** A public RSA signing key as an identity provider publishes it (n shortened: only its shape is checked). */
const JWK = {
  kty: "RSA",
  kid: "2026-01",
  use: "sig",
  alg: "RS256",
  n: "sXchDaQebHnPiGvyDOAT4saGEUetSyo9MKLOoWFsueri",
  e: "AQAB",
};
const JWKS = JSON.stringify({ keys: [JWK] });

function container(p: Planned) {
  return json(p.one("aws:ecs/taskDefinition:TaskDefinition", "service-task").inputs.containerDefinitions)[0] as {
    environment: { name: string; value: string }[];
    secrets: { name: string; valueFrom: string }[];
  };
}
const env = (p: Planned) => Object.fromEntries(container(p).environment.map((e) => [e.name, e.value]));

describe.each([
  ["dev", "saas-dev", "10", "10"],
  ["prod", "saas-prod", "10", "10"],
])("the %s service's environment", (stack, prefix, poolMax, poolMinIdle) => {
  let p: Planned;
  beforeAll(async () => {
    p = await Planned.of({ stack });
  });

  it("names the database, its port and the app user, with IAM login over verified TLS, and the token settings", () => {
    const instance = p.one("aws:rds/instance:Instance", "database-instance");
    expect(env(p)).toEqual({
      AUTH_AUDIENCE: `urn:${prefix}:api`,
      AUTH_ISSUER: `urn:${prefix}:auth`,
      AUTH_TENANT_CLAIM: "tenant_id",
      AWS_REGION: "us-east-1",
      DB_AUTH: "iam",
      DB_CONNECTION_TIMEOUT_MS: "10000",
      DB_HOST: instance.outputs.address,
      DB_IDLE_TIMEOUT_MS: "600000",
      DB_MAX_LIFETIME_MS: "1800000",
      DB_NAME: "app",
      DB_POOL_MAX_SIZE: poolMax,
      DB_POOL_MIN_IDLE: poolMinIdle,
      DB_PORT: "5432",
      DB_SSL: "verify-full",
      DB_USER: "app",
      LOG_LEVEL: "info",
      PORT: "8080",
      SHUTDOWN_TIMEOUT_MS: "25000",
    });
  });

  it("gets the stack's signing key through secrets, and the execution role may read exactly that secret", () => {
    const secret = p.one("aws:secretsmanager/secret:Secret", "auth-signing-key-secret");
    expect(container(p).secrets).toEqual([{ name: "AUTH_SIGNING_SECRET", valueFrom: secret.outputs.arn }]);
    const policy = json(p.one("aws:iam/rolePolicy:RolePolicy", "service-execution").inputs.policy);
    const read = policy.Statement.find((s: { Sid: string }) => s.Sid === "ReadSecrets");
    expect(read).toEqual({
      Sid: "ReadSecrets",
      Effect: "Allow",
      Action: "secretsmanager:GetSecretValue",
      Resource: [secret.outputs.arn],
    });
  });

  it("starts no task before the key has a value: the task definition depends on the secret's version", () => {
    // ECS reads the secret when a task starts; a secret without a version has no value to read.
    const version = p.one("aws:secretsmanager/secretVersion:SecretVersion", "auth-signing-key-value");
    const task = p.one("aws:ecs/taskDefinition:TaskDefinition", "service-task");
    expect(task.dependencies).toContain(version.urn);
  });

  it("keeps the key in a KMS-encrypted secret, written once per generation by Secrets Manager's generator", () => {
    const secret = p.one("aws:secretsmanager/secret:Secret", "auth-signing-key-secret");
    expect(secret.inputs).toMatchObject({
      name: `${prefix}/auth/signing-key`,
      recoveryWindowInDays: stack === "prod" ? 30 : 0,
    });
    expect(secret.inputs.kmsKeyId).toBe(p.one("aws:kms/key:Key", "stack-key-key").outputs.arn);
    const version = p.one("aws:secretsmanager/secretVersion:SecretVersion", "auth-signing-key-value");
    expect(version.inputs).toMatchObject({ secretId: secret.outputs.id, secretStringWoVersion: 1 });
    // Write-only and secret: never in plaintext state, never in an output (Pulumi docs, "Write-only fields").
    expect(version.secretInputs).toContain("secretStringWo");
    expect(version.inputs.secretString).toBeUndefined();
    const generator = p.run.invokes.filter((i) => i.token === "aws:secretsmanager/getRandomPassword:getRandomPassword");
    expect(generator.map((i) => i.args)).toEqual([
      { passwordLength: 64, excludePunctuation: true, includeSpace: false },
    ]);
  });

  it("lets CloudWatch Logs encrypt the WAF log group with the stack key (the service encrypts, not WAF)", () => {
    // For a KMS-encrypted log group, CloudWatch Logs itself uses the key, for groups of this account and region
    // (CloudWatch Logs user guide, "Encrypt log data in CloudWatch Logs using AWS KMS"); WAF's log delivery only
    // writes to the group, which its resource policy allows.
    const policy = json(p.one("aws:kms/key:Key", "stack-key-key").inputs.policy);
    const logs = policy.Statement.find((s: { Sid: string }) => s.Sid === "CloudWatchLogsForThisAccount");
    expect(logs.Principal).toEqual({ Service: "logs.us-east-1.amazonaws.com" });
    expect(logs.Condition).toEqual({
      ArnLike: { "kms:EncryptionContext:aws:logs:arn": "arn:aws:logs:us-east-1:123456789012:log-group:*" },
    });
    expect(p.one("aws:cloudwatch/logGroup:LogGroup", "service-waf-logs").inputs).toMatchObject({
      name: `aws-waf-logs-${prefix}`,
      kmsKeyId: p.one("aws:kms/key:Key", "stack-key-key").outputs.arn,
      retentionInDays: stack === "prod" ? 365 : 14,
    });
  });

  it("passes the policy pack and exports where the key and the WAF logs are", () => {
    expect(policyViolations(p.run)).toEqual([]);
    expect(p.run.outputs).toMatchObject({
      authSigningSecretName: `${prefix}/auth/signing-key`,
      wafLogGroupName: `aws-waf-logs-${prefix}`,
    });
  });
});

describe("a real identity provider", () => {
  it("with inline JWKS: the keys travel in the environment, and no signing key is created", async () => {
    const p = await Planned.of({
      stack: "prod",
      config: {
        "saas:authIssuer": "https://login.example.com/",
        "saas:authAudience": "https://api.example.com",
        "saas:authTenantClaim": "https://example.com/tenant",
        "saas:authJwks": JSON.stringify({ keys: [JWK] }, null, 2),
      },
    });
    expect(env(p)).toMatchObject({
      AUTH_ISSUER: "https://login.example.com/",
      AUTH_AUDIENCE: "https://api.example.com",
      AUTH_TENANT_CLAIM: "https://example.com/tenant",
      // Re-serialised: reformatting the config value does not make a new task definition revision.
      AUTH_JWKS: JWKS,
    });
    expect(env(p).AUTH_JWKS_URL).toBeUndefined();
    expect(container(p).secrets).toEqual([]);
    expect(p.ofType("aws:secretsmanager/secretVersion:SecretVersion")).toEqual([]);
    expect(p.run.outputs.authSigningSecretName).toBe("");
    // Public keys in plain environment are no plaintext secret to the pack.
    expect(policyViolations(p.run)).toEqual([]);
  });

  it("with a JWKS URL where the tasks have internet egress (dev: NAT, no interface endpoints)", async () => {
    const p = await Planned.of({
      stack: "dev",
      config: {
        "saas:authIssuer": "https://login.example.com/",
        "saas:authAudience": "https://api.example.com",
        "saas:authJwksUrl": "https://login.example.com/.well-known/jwks.json",
      },
    });
    expect(env(p).AUTH_JWKS_URL).toBe("https://login.example.com/.well-known/jwks.json");
    expect(env(p).AUTH_JWKS).toBeUndefined();
    expect(container(p).secrets).toEqual([]);
    // The egress the URL needs: HTTPS anywhere, through NAT.
    const egress = p.one("aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule", "network-app-out-https");
    expect(egress.inputs).toMatchObject({ cidrIpv4: "0.0.0.0/0", fromPort: 443, toPort: 443 });
  });

  it("a new signing key generation is only a new write-only version: nothing else changes", async () => {
    const before = await Planned.of({ stack: "dev" });
    const after = await Planned.of({ stack: "dev", config: { "saas:authSigningSecretVersion": "2" } });
    const fingerprints = new Set(before.resources.map((r) => JSON.stringify([r.urn, r.inputs])));
    const changed = after.resources.filter((r) => !fingerprints.has(JSON.stringify([r.urn, r.inputs])));
    expect(changed.map((r) => [r.name, r.inputs.secretStringWoVersion])).toEqual([["auth-signing-key-value", 2]]);
  });
});

describe("SigningSecret arguments and the identity provider rules", () => {
  it("rejects a generation that is not a positive integer and registers nothing", async () => {
    expect(validateSigningSecretArgs({ context: testContext({ kmsKeyArn: KEY }), version: 0 })).toEqual([
      "version: expected a positive integer (the key's generation), got 0",
    ]);
    await expect(
      Planned.of({
        stack: "dev",
        program: () => new SigningSecret("key", { context: testContext({ kmsKeyArn: KEY }), version: 1.5 }),
      }),
    ).rejects.toThrow(
      'SigningSecret "key": invalid arguments:\n  - version: expected a positive integer (the key\'s generation), got 1.5',
    );
  });

  it.each([
    [
      "http://login.example.com/jwks",
      "expected an https URL: keys fetched over plain HTTP could be swapped on the way",
    ],
    ["https://user:pw@login.example.com/jwks", "expected an https URL without user, password or #fragment"],
    ["login.example.com/jwks", "expected an https URL such as https://login.example.com/.well-known/jwks.json"],
    ["https://login.example.com/.well-known/jwks.json", undefined],
  ])("JWKS URL %s", (url, problem) => {
    expect(jwksUrlProblem(url)).toBe(problem);
  });

  it.each([
    ["not JSON", "{keys", 'expected JWKS JSON text such as {"keys":[{"kty":"RSA","kid":"…","n":"…","e":"AQAB"}]}'],
    ["no keys", '{"keys":[]}', 'expected a JSON object with a non-empty "keys" array (a JWK Set)'],
    [
      "a shared secret",
      JSON.stringify({ keys: [{ kty: "oct", kid: "a", k: "c2VjcmV0" }] }),
      'expected keys[0].kty to be one of RSA, EC, OKP (public signing keys; a shared "oct" secret does not belong in config)',
    ],
    [
      "a private key",
      JSON.stringify({ keys: [{ ...JWK, d: "private" }] }),
      'expected public keys only: keys[0] has the private member "d"; publish the provider\'s public JWKS, never its private key',
    ],
    [
      "a key without kid",
      JSON.stringify({ keys: [{ kty: "EC", crv: "P-256", x: "a", y: "b" }] }),
      "expected keys[0].kid, the key id tokens name in their header",
    ],
    [
      "an encryption key",
      JSON.stringify({ keys: [{ ...JWK, use: "enc" }] }),
      'expected keys[0].use to be "sig" (or absent): the service only verifies signatures',
    ],
    ["a valid set", JWKS, undefined],
  ])("inline JWKS: %s", (_what, text, problem) => {
    expect(jwksProblem(text)).toBe(problem);
  });

  it("refuses JWKS above 16384 characters (the task definition's 64 KiB must hold it)", () => {
    const big = JSON.stringify({ keys: [{ ...JWK, n: "x".repeat(16384) }] });
    expect(jwksProblem(big)).toBe(
      "expected at most 16384 characters of JWKS (it travels in the task definition, limited to 64 KiB)",
    );
  });
});
