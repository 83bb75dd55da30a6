import { Signer } from "@aws-sdk/rds-signer";
import type { DbConfig } from "./config";

/**
 * RDS IAM authentication tokens are valid for 15 minutes ("IAM database authentication", Amazon RDS User Guide:
 * "An authentication token ... has a lifetime of 15 minutes"); the token is checked only when a connection is
 * opened, so an open connection outlives it. A cached token is replaced once it is 10 minutes old, leaving
 * 5 minutes for clock skew and a slow connect.
 */
export const IAM_TOKEN_LIFETIME_MS = 15 * 60_000;
export const IAM_TOKEN_REFRESH_AFTER_MS = 10 * 60_000;

export interface AuthTokenSigner {
  getAuthToken(): Promise<string>;
}

export interface IamPasswordArgs {
  readonly signer: AuthTokenSigner;
  /** @default Date.now */
  readonly now?: () => number;
  /** @default IAM_TOKEN_REFRESH_AFTER_MS */
  readonly refreshAfterMs?: number;
}

/**
 * The `password` function for pg: pg calls it for every new connection. One token serves every connection
 * opened within `refreshAfterMs`; concurrent connects share one signing call; a failed signing is not cached.
 */
export function createIamPassword(args: IamPasswordArgs): () => Promise<string> {
  const now = args.now ?? Date.now;
  const refreshAfterMs = args.refreshAfterMs ?? IAM_TOKEN_REFRESH_AFTER_MS;
  if (!(refreshAfterMs > 0 && refreshAfterMs < IAM_TOKEN_LIFETIME_MS)) {
    throw new Error(`refreshAfterMs must be between 0 and ${IAM_TOKEN_LIFETIME_MS} ms; got ${refreshAfterMs}`);
  }
  let cached: { token: Promise<string>; signedAt: number } | undefined;
  return () => {
    const at = now();
    if (cached === undefined || at - cached.signedAt >= refreshAfterMs) {
      const entry = { token: args.signer.getAuthToken(), signedAt: at };
      entry.token.catch(() => {
        if (cached === entry) cached = undefined;
      });
      cached = entry;
    }
    return cached.token;
  };
}

/** The real signer for `db`: credentials from the default chain (the ECS task role in AWS). */
export function rdsSigner(db: DbConfig, region: string): AuthTokenSigner {
  return new Signer({ hostname: db.host, port: db.port, username: db.user, region });
}
