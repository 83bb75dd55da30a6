/**
 * IAM database authentication tokens. AWS documents (Amazon RDS User Guide, "Connecting to your DB instance using
 * IAM authentication" / "IAM database authentication"): the token is a SigV4-presigned `connect` request for the
 * `rds-db` service, generated locally (no call to AWS), valid for 15 minutes, and checked only when a connection
 * is opened. The caching is tested with a mocked signer and a fixed clock; the token itself with the real
 * @aws-sdk/rds-signer and static credentials, under jest's fake clock.
 */
import { Signer } from "@aws-sdk/rds-signer";
import { createIamPassword, IAM_TOKEN_LIFETIME_MS, IAM_TOKEN_REFRESH_AFTER_MS } from "../../app/src/iamToken";

describe("createIamPassword (pg's password function)", () => {
  function fixture() {
    let clock = 1_000_000;
    let n = 0;
    const signer = { getAuthToken: jest.fn(async () => `token-${++n}`) };
    const password = createIamPassword({ signer, now: () => clock });
    return { signer, password, advance: (ms: number) => (clock += ms) };
  }

  it("signs once and reuses the token for every connection opened within 10 minutes", async () => {
    const f = fixture();
    expect(await f.password()).toBe("token-1");
    f.advance(IAM_TOKEN_REFRESH_AFTER_MS - 1);
    expect(await f.password()).toBe("token-1");
    expect(f.signer.getAuthToken).toHaveBeenCalledTimes(1);
  });

  it("signs a new token once the cached one is 10 minutes old, 5 minutes before it would expire", async () => {
    const f = fixture();
    await f.password();
    f.advance(IAM_TOKEN_REFRESH_AFTER_MS);
    expect(await f.password()).toBe("token-2");
    expect(IAM_TOKEN_LIFETIME_MS - IAM_TOKEN_REFRESH_AFTER_MS).toBe(5 * 60_000);
  });

  it("lets concurrent connects share one signing call", async () => {
    const f = fixture();
    expect(await Promise.all([f.password(), f.password(), f.password()])).toEqual(["token-1", "token-1", "token-1"]);
    expect(f.signer.getAuthToken).toHaveBeenCalledTimes(1);
  });

  it("does not cache a failed signing (credentials not yet available): the next connect signs again", async () => {
    const signer = {
      getAuthToken: jest.fn().mockRejectedValueOnce(new Error("no credentials")).mockResolvedValue("ok"),
    };
    const password = createIamPassword({ signer, now: () => 0 });
    await expect(password()).rejects.toThrow("no credentials");
    expect(await password()).toBe("ok");
  });

  it("refuses a refresh interval that would hand out expired tokens", () => {
    expect(() =>
      createIamPassword({ signer: { getAuthToken: async () => "" }, refreshAfterMs: IAM_TOKEN_LIFETIME_MS }),
    ).toThrow("refreshAfterMs must be between 0 and 900000 ms; got 900000");
  });
});

describe("the token @aws-sdk/rds-signer makes for the app user (fixed clock, static credentials)", () => {
  beforeEach(() =>
    jest.useFakeTimers({ now: new Date("2030-01-02T03:04:05Z"), doNotFake: ["nextTick", "setImmediate"] }),
  );
  afterEach(() => jest.useRealTimers());

  it("is a presigned rds-db:connect for DBUser=app, signed now, valid 900 s", async () => {
    const signer = new Signer({
      hostname: "db.cluster-abc.eu-west-1.rds.amazonaws.com",
      port: 5432,
      username: "app",
      region: "eu-west-1",
      credentials: { accessKeyId: "AKIDEXAMPLE", secretAccessKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY" },
    });
    const token = await signer.getAuthToken();
    expect(token.startsWith("db.cluster-abc.eu-west-1.rds.amazonaws.com:5432/?")).toBe(true);
    const q = new URL(`https://${token}`).searchParams;
    expect({
      action: q.get("Action"),
      user: q.get("DBUser"),
      algorithm: q.get("X-Amz-Algorithm"),
      credential: q.get("X-Amz-Credential"),
      date: q.get("X-Amz-Date"),
      expires: q.get("X-Amz-Expires"),
    }).toEqual({
      action: "connect",
      user: "app",
      algorithm: "AWS4-HMAC-SHA256",
      credential: "AKIDEXAMPLE/20300102/eu-west-1/rds-db/aws4_request",
      date: "20300102T030405Z",
      expires: String(IAM_TOKEN_LIFETIME_MS / 1000),
    });
    expect(q.get("X-Amz-Signature")).toMatch(/^[0-9a-f]{64}$/);
  });
});
