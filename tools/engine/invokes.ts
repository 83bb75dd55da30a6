import { availabilityZoneNames } from "../../components/network/regions";
import { CloudContext } from "./resources";

/**
 * Answers for the data sources the program calls, as AWS would give them for the stack's region and the example
 * account. An invoke that is not listed here fails the run with its token: a silent default would let a program
 * that depends on real data pass offline and fail against AWS.
 */

type Args = Record<string, unknown>;
type Answer = (args: Args, cloud: CloudContext) => Record<string, unknown>;

/** IAM policy document statements as `getPolicyDocument` takes them, rendered the way the provider renders them. */
function renderPolicyDocument(args: Args): Record<string, unknown> {
  const one = (values: unknown) => {
    const list = Array.isArray(values) ? values : [];
    return list.length === 1 ? list[0] : list;
  };
  const statements = ((args.statements as Args[] | undefined) ?? []).map((s) => {
    const out: Record<string, unknown> = {};
    if (s.sid) out.Sid = s.sid;
    out.Effect = s.effect ?? "Allow";
    if (s.actions) out.Action = one(s.actions);
    if (s.notActions) out.NotAction = one(s.notActions);
    if (s.resources) out.Resource = one(s.resources);
    if (s.notResources) out.NotResource = one(s.notResources);
    const principals = (key: string) => {
      const list = (s[key] as { type: string; identifiers: string[] }[] | undefined) ?? [];
      return list.length === 0
        ? undefined
        : Object.fromEntries(list.map((p) => [p.type, p.identifiers.length === 1 ? p.identifiers[0] : p.identifiers]));
    };
    if (principals("principals")) out.Principal = principals("principals");
    if (principals("notPrincipals")) out.NotPrincipal = principals("notPrincipals");
    const conditions = (s.conditions as { test: string; variable: string; values: string[] }[] | undefined) ?? [];
    if (conditions.length > 0) {
      const block: Record<string, Record<string, unknown>> = {};
      for (const c of conditions) {
        block[c.test] = { ...(block[c.test] ?? {}), [c.variable]: c.values.length === 1 ? c.values[0] : c.values };
      }
      out.Condition = block;
    }
    return out;
  });
  const document = { Version: args.version ?? "2012-10-17", Statement: statements };
  return {
    id: String(Math.abs(hashCode(JSON.stringify(document)))),
    json: JSON.stringify(document, null, 2),
    minifiedJson: JSON.stringify(document),
  };
}

function hashCode(text: string): number {
  let h = 0;
  for (let i = 0; i < text.length; i++) {
    h = (Math.imul(31, h) + text.charCodeAt(i)) | 0;
  }
  return h;
}

export const INVOKES: Readonly<Record<string, Answer>> = {
  "aws:index/getAvailabilityZones:getAvailabilityZones": (_args, cloud) => {
    const names = availabilityZoneNames(cloud.region);
    const short = cloud.region.replace(/^(\w)\w*-(\w)\w*-(\d+)$/, "$1$2$3");
    return {
      id: cloud.region,
      names,
      zoneIds: names.map((_, i) => `${short}-az${i + 1}`),
      groupNames: [cloud.region],
      state: "available",
    };
  },
  "aws:index/getCallerIdentity:getCallerIdentity": (_args, cloud) => ({
    id: cloud.account,
    accountId: cloud.account,
    arn: `arn:${cloud.partition}:iam::${cloud.account}:user/offline-plan`,
    userId: "AIDAOFFLINEPLANEXAMPLE",
  }),
  "aws:index/getRegion:getRegion": (_args, cloud) => ({
    id: cloud.region,
    name: cloud.region,
    region: cloud.region,
    endpoint: `ec2.${cloud.region}.amazonaws.com`,
    description: cloud.region,
  }),
  "aws:index/getPartition:getPartition": (_args, cloud) => ({
    id: cloud.partition,
    partition: cloud.partition,
    dnsSuffix: "amazonaws.com",
    reverseDnsPrefix: "com.amazonaws",
  }),
  "aws:iam/getPolicyDocument:getPolicyDocument": (args) => renderPolicyDocument(args),
  // The account's GitHub OIDC provider, as created once per account (runbooks/account-bootstrap.md): offline it
  // exists; on AWS the lookup fails with "no matching IAM OIDC provider" until it has been created.
  "aws:iam/getOpenIdConnectProvider:getOpenIdConnectProvider": (args, cloud) => {
    const url = typeof args.url === "string" ? args.url : "https://token.actions.githubusercontent.com";
    const arn =
      typeof args.arn === "string"
        ? args.arn
        : `arn:${cloud.partition}:iam::${cloud.account}:oidc-provider/${url.replace(/^https:\/\//, "")}`;
    return {
      id: arn,
      arn,
      url: url.replace(/^https:\/\//, ""),
      clientIdLists: ["sts.amazonaws.com"],
      thumbprintLists: [],
      tags: {},
    };
  },
  // A secret's value: offline there is none, so an obviously fake one in the shape RDS-managed secrets have.
  "aws:secretsmanager/getSecretVersion:getSecretVersion": (args) => ({
    id: `${String(args.secretId)}|AWSCURRENT`,
    arn: String(args.secretId),
    secretId: String(args.secretId),
    versionId: "00000000-0000-4000-a000-000000000000",
    versionStage: "AWSCURRENT",
    versionStages: ["AWSCURRENT"],
    secretString: JSON.stringify({ username: "postgres", password: "offline-plan-not-a-password" }),
    secretBinary: "",
    createdDate: "2026-01-01T00:00:00Z",
  }),
  // Secrets Manager's generator: offline the same letters and digits at every run, so plans are reproducible.
  "aws:secretsmanager/getRandomPassword:getRandomPassword": (args) => {
    const length = typeof args.passwordLength === "number" ? args.passwordLength : 32;
    return { id: "offline-random-password", randomPassword: "offlinePlanNotARandomKey0".repeat(8).slice(0, length) };
  },
  // A registry login as ECR gives it: user AWS, a 12-hour token, base64 of "AWS:<password>".
  "aws:ecr/getAuthorizationToken:getAuthorizationToken": (args, cloud) => {
    const registry = typeof args.registryId === "string" ? args.registryId : cloud.account;
    const password = `offline-ecr-password-${registry}`;
    return {
      id: cloud.region,
      region: cloud.region,
      registryId: registry,
      userName: "AWS",
      password,
      authorizationToken: Buffer.from(`AWS:${password}`).toString("base64"),
      proxyEndpoint: `https://${registry}.dkr.ecr.${cloud.region}.amazonaws.com`,
      expiresAt: "2026-01-01T12:00:00Z",
    };
  },
};

/** Thrown for an invoke the engine has no answer for. */
export class UnknownInvokeError extends Error {
  /** The SDK reports an invoke failure by the gRPC error's `details`, so the message goes there too. */
  readonly details: string;

  constructor(readonly token: string) {
    super(
      `the offline engine has no answer for the data source "${token}"; add one to tools/engine/invokes.ts ` +
        `(answers must look like AWS's)`,
    );
    this.name = "UnknownInvokeError";
    this.details = this.message;
  }
}

export function answerInvoke(token: string, args: Args, cloud: CloudContext): Record<string, unknown> {
  const answer = INVOKES[token];
  if (!answer) {
    throw new UnknownInvokeError(token);
  }
  return answer(args, cloud);
}
