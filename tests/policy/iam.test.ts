import { messagesOf, resource } from "./helpers";

const doc = (...Statement: unknown[]) => ({ Version: "2012-10-17", Statement });
const allow = (Action: unknown, Resource: unknown = "arn:aws:s3:::tenant-bucket/*", extra: object = {}) => ({
  Effect: "Allow",
  Action,
  Resource,
  ...extra,
});

describe("iam-no-wildcard-actions", () => {
  const P = "iam-no-wildcard-actions";
  it("passes specific actions in every document form", () => {
    expect(
      messagesOf(P, resource("aws:iam/policy:Policy", { policy: JSON.stringify(doc(allow("s3:GetObject"))) })),
    ).toEqual([]);
    expect(
      messagesOf(P, resource("aws:iam/policy:Policy", { policy: doc(allow(["s3:GetObject", "s3:PutObject"])) })),
    ).toEqual([]);
  });
  it.each([
    ["JSON string, Action string", JSON.stringify(doc(allow("*")))],
    ["object, Action array", doc(allow(["s3:GetObject", "*"]))],
    ["single Statement object", { Version: "2012-10-17", Statement: allow("*") }],
  ])("flags `*` (%s)", (_label, policy) => {
    expect(messagesOf(P, resource("aws:iam/policy:Policy", { policy }))).toEqual([
      'policy allows action "*"; list the specific actions the principal needs instead.',
    ]);
  });
  it("flags service:* on every identity-policy carrier", () => {
    const policy = doc(allow("s3:*"));
    for (const type of [
      "aws:iam/rolePolicy:RolePolicy",
      "aws:iam/userPolicy:UserPolicy",
      "aws:iam/groupPolicy:GroupPolicy",
    ]) {
      expect(messagesOf(P, resource(type, { policy }))).toEqual([
        'policy allows action "s3:*"; list the specific actions the principal needs instead.',
      ]);
    }
    expect(
      messagesOf(
        P,
        resource("aws:ssoadmin/permissionSetInlinePolicy:PermissionSetInlinePolicy", {
          inlinePolicy: JSON.stringify(policy),
        }),
      ),
    ).toEqual(['inlinePolicy allows action "s3:*"; list the specific actions the principal needs instead.']);
    expect(
      messagesOf(
        P,
        resource("aws:iam/role:Role", {
          assumeRolePolicy: "{}",
          inlinePolicies: [{ name: "x", policy: JSON.stringify(policy) }],
        }),
      ),
    ).toEqual([
      'inlinePolicies[0].policy allows action "s3:*"; list the specific actions the principal needs instead.',
    ]);
  });
  it("ignores Deny statements and KMS key policies (resource policies)", () => {
    expect(
      messagesOf(P, resource("aws:iam/policy:Policy", { policy: doc({ Effect: "Deny", Action: "*", Resource: "*" }) })),
    ).toEqual([]);
    expect(
      messagesOf(
        P,
        resource("aws:kms/key:Key", {
          enableKeyRotation: true,
          policy: doc({
            Effect: "Allow",
            Principal: { AWS: "arn:aws:iam::111122223333:root" },
            Action: "kms:*",
            Resource: "*",
          }),
        }),
      ),
    ).toEqual([]);
  });
});

describe("iam-no-sensitive-actions-on-all-resources", () => {
  const P = "iam-no-sensitive-actions-on-all-resources";
  it("passes sensitive actions scoped to ARNs", () => {
    expect(
      messagesOf(
        P,
        resource("aws:iam/rolePolicy:RolePolicy", {
          policy: doc(allow("secretsmanager:GetSecretValue", "arn:aws:secretsmanager:eu-west-1:1:secret:t1-*")),
        }),
      ),
    ).toEqual([]);
  });
  it.each([
    ["secretsmanager:GetSecretValue", "secretsmanager:GetSecretValue"],
    ["kms:Decrypt", "kms:Decrypt"],
    ["sts:AssumeRole", "sts:AssumeRole"],
    ["iam:Pass*", "iam:PassRole"],
  ])("flags %s on *", (action, granted) => {
    expect(
      messagesOf(P, resource("aws:iam/policy:Policy", { policy: JSON.stringify(doc(allow(action, "*"))) })),
    ).toEqual([`policy allows "${action}" (grants ${granted}) on resource "*"; scope it to the ARNs that need it.`]);
  });
  it("flags iam:* with Resource as an array", () => {
    const [message] = messagesOf(P, resource("aws:iam/policy:Policy", { policy: doc(allow(["iam:*"], ["*"])) }));
    expect(message).toMatch(
      /^policy allows "iam:\*" \(grants iam:PassRole, iam:CreateAccessKey, .*\) on resource "\*"; scope it to the ARNs that need it\.$/,
    );
  });
});

describe("iam-no-allow-not-action", () => {
  const P = "iam-no-allow-not-action";
  it("passes Deny with NotAction", () => {
    expect(
      messagesOf(
        P,
        resource("aws:iam/policy:Policy", { policy: doc({ Effect: "Deny", NotAction: "s3:*", Resource: "*" }) }),
      ),
    ).toEqual([]);
  });
  it("flags Allow with NotAction and Allow with NotResource", () => {
    expect(
      messagesOf(
        P,
        resource("aws:iam/policy:Policy", { policy: doc({ Effect: "Allow", NotAction: ["iam:*"], Resource: "*" }) }),
      ),
    ).toEqual(["policy has an Allow statement with NotAction; list the allowed actions in Action instead."]);
    expect(
      messagesOf(
        P,
        resource("aws:s3/bucketPolicy:BucketPolicy", {
          policy: JSON.stringify(
            doc({
              Effect: "Allow",
              Principal: { AWS: "arn:aws:iam::1:root" },
              Action: "s3:GetObject",
              NotResource: "arn:aws:s3:::b/private/*",
            }),
          ),
        }),
      ),
    ).toEqual(["policy has an Allow statement with NotResource; list the allowed resources in Resource instead."]);
  });
});

describe("iam-no-admin-managed-policies", () => {
  const P = "iam-no-admin-managed-policies";
  const admin = "arn:aws:iam::aws:policy/AdministratorAccess";
  const message = (n: string) =>
    `Attaches the AWS-managed policy ${n}; attach a customer-managed policy with only the actions needed instead.`;
  it("passes a customer-managed policy", () => {
    expect(
      messagesOf(
        P,
        resource("aws:iam/rolePolicyAttachment:RolePolicyAttachment", {
          role: "r",
          policyArn: "arn:aws:iam::111122223333:policy/app",
        }),
      ),
    ).toEqual([]);
    expect(
      messagesOf(
        P,
        resource("aws:iam/rolePolicyAttachment:RolePolicyAttachment", {
          role: "r",
          policyArn: "arn:aws:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy",
        }),
      ),
    ).toEqual([]);
  });
  it.each([
    ["aws:iam/rolePolicyAttachment:RolePolicyAttachment", { role: "r", policyArn: admin }],
    ["aws:iam/userPolicyAttachment:UserPolicyAttachment", { user: "u", policyArn: admin }],
    ["aws:iam/groupPolicyAttachment:GroupPolicyAttachment", { group: "g", policyArn: admin }],
    ["aws:iam/policyAttachment:PolicyAttachment", { roles: ["r"], policyArn: admin }],
    ["aws:iam/rolePolicyAttachmentsExclusive:RolePolicyAttachmentsExclusive", { roleName: "r", policyArns: [admin] }],
    ["aws:iam/userPolicyAttachmentsExclusive:UserPolicyAttachmentsExclusive", { userName: "u", policyArns: [admin] }],
    [
      "aws:iam/groupPolicyAttachmentsExclusive:GroupPolicyAttachmentsExclusive",
      { groupName: "g", policyArns: [admin] },
    ],
    ["aws:iam/role:Role", { assumeRolePolicy: "{}", managedPolicyArns: [admin] }],
    ["aws:ssoadmin/managedPolicyAttachment:ManagedPolicyAttachment", { managedPolicyArn: admin }],
  ])("flags AdministratorAccess via %s", (type, props) => {
    expect(messagesOf(P, resource(type, props))).toEqual([message("AdministratorAccess")]);
  });
  it("flags PowerUserAccess, IAMFullAccess and GovCloud ARNs", () => {
    expect(
      messagesOf(
        P,
        resource("aws:iam/role:Role", {
          assumeRolePolicy: "{}",
          managedPolicyArns: [
            "arn:aws:iam::aws:policy/PowerUserAccess",
            "arn:aws-us-gov:iam::aws:policy/IAMFullAccess",
          ],
        }),
      ),
    ).toEqual([message("PowerUserAccess"), message("IAMFullAccess")]);
  });
});

const trust = (statement: object) => ({ assumeRolePolicy: JSON.stringify(doc(statement)) });

describe("iam-no-wildcard-trust-principal", () => {
  const P = "iam-no-wildcard-trust-principal";
  it("passes a service principal", () => {
    expect(
      messagesOf(
        P,
        resource(
          "aws:iam/role:Role",
          trust({ Effect: "Allow", Principal: { Service: "ecs-tasks.amazonaws.com" }, Action: "sts:AssumeRole" }),
        ),
      ),
    ).toEqual([]);
  });
  it.each([
    ["string", "*"],
    ["AWS string", { AWS: "*" }],
    ["AWS array", { AWS: ["arn:aws:iam::1:root", "*"] }],
  ])("flags Principal %s", (_l, Principal) => {
    expect(
      messagesOf(
        P,
        resource("aws:iam/role:Role", {
          assumeRolePolicy: doc({ Effect: "Allow", Principal, Action: "sts:AssumeRole" }),
        }),
      ),
    ).toEqual(['assumeRolePolicy allows principal "*"; name the account, role or service that may assume the role.']);
  });
});

describe("iam-web-identity-conditions", () => {
  const P = "iam-web-identity-conditions";
  const H = "token.actions.githubusercontent.com";
  const federated = { Federated: `arn:aws:iam::111122223333:oidc-provider/${H}` };
  const statement = (Condition?: object) => ({
    Effect: "Allow",
    Principal: federated,
    Action: "sts:AssumeRoleWithWebIdentity",
    ...(Condition ? { Condition } : {}),
  });
  it("passes aud and sub conditions", () => {
    const ok = statement({
      StringEquals: { [`${H}:aud`]: "sts.amazonaws.com" },
      StringLike: { [`${H}:sub`]: "repo:acme/saas:environment:prod" },
    });
    expect(messagesOf(P, resource("aws:iam/role:Role", trust(ok)))).toEqual([]);
  });
  it("flags a missing aud", () => {
    expect(
      messagesOf(
        P,
        resource("aws:iam/role:Role", trust(statement({ StringLike: { [`${H}:sub`]: "repo:acme/saas:*" } }))),
      ),
    ).toEqual([
      `assumeRolePolicy trusts ${H} without a "${H}:aud" condition; add one (e.g. StringEquals "sts.amazonaws.com").`,
    ]);
  });
  it("flags a missing sub", () => {
    expect(
      messagesOf(
        P,
        resource("aws:iam/role:Role", trust(statement({ StringEquals: { [`${H}:aud`]: "sts.amazonaws.com" } }))),
      ),
    ).toEqual([
      `assumeRolePolicy trusts ${H} without a "${H}:sub" condition; add one naming the repository and branch or environment.`,
    ]);
  });
  it("flags a bare * sub and no conditions at all", () => {
    expect(
      messagesOf(
        P,
        resource(
          "aws:iam/role:Role",
          trust(statement({ StringEquals: { [`${H}:aud`]: "sts.amazonaws.com" }, StringLike: { [`${H}:sub`]: "*" } })),
        ),
      ),
    ).toEqual([`assumeRolePolicy's "${H}:sub" condition is "*"; name the repository and branch or environment.`]);
    expect(messagesOf(P, resource("aws:iam/role:Role", trust(statement())))).toHaveLength(2);
  });
});

describe("iam-no-user-access-keys", () => {
  it("flags every access key", () => {
    expect(messagesOf("iam-no-user-access-keys", resource("aws:iam/accessKey:AccessKey", { user: "ci" }))).toEqual([
      "Creates a long-lived IAM access key; use an IAM role (or GitHub OIDC for CI) instead.",
    ]);
    expect(messagesOf("iam-no-user-access-keys", resource("aws:iam/user:User", { name: "ci" }))).toEqual([]);
  });
});

describe("iam-no-public-resource-policies", () => {
  const P = "iam-no-public-resource-policies";
  const pub = (extra: object = {}) =>
    doc({ Sid: "Public", Effect: "Allow", Principal: "*", Action: "sqs:SendMessage", Resource: "*", ...extra });
  const message = (path = "policy") =>
    `${path} statement "Public" allows principal "*" without a restricting condition; name the principals or add an aws:PrincipalOrgID, aws:SourceArn or aws:SourceAccount condition.`;
  it("passes a * principal restricted by aws:SourceArn", () => {
    const restricted = pub({ Condition: { ArnEquals: { "aws:SourceArn": "arn:aws:sns:eu-west-1:1:topic" } } });
    expect(
      messagesOf(P, resource("aws:sqs/queuePolicy:QueuePolicy", { queueUrl: "q", policy: JSON.stringify(restricted) })),
    ).toEqual([]);
  });
  it("does not count aws:SecureTransport as restricting", () => {
    expect(
      messagesOf(
        P,
        resource("aws:s3/bucketPolicy:BucketPolicy", {
          bucket: "b",
          policy: pub({ Condition: { Bool: { "aws:SecureTransport": "true" } } }),
        }),
      ),
    ).toEqual([message()]);
  });
  it.each([
    ["aws:s3/bucketPolicy:BucketPolicy", "policy"],
    ["aws:kms/key:Key", "policy"],
    ["aws:kms/keyPolicy:KeyPolicy", "policy"],
    ["aws:sns/topic:Topic", "policy"],
    ["aws:sns/topicPolicy:TopicPolicy", "policy"],
    ["aws:sqs/queue:Queue", "policy"],
    ["aws:sqs/queuePolicy:QueuePolicy", "policy"],
    ["aws:ecr/repositoryPolicy:RepositoryPolicy", "policy"],
    ["aws:opensearch/domainPolicy:DomainPolicy", "accessPolicies"],
    ["aws:cloudwatch/logResourcePolicy:LogResourcePolicy", "policyDocument"],
  ])("flags an unconditioned * principal on %s", (type, key) => {
    expect(messagesOf(P, resource(type, { [key]: JSON.stringify(pub()) }))).toEqual([message(key)]);
  });
  it("flags Principal {AWS: '*'} as an object document", () => {
    expect(
      messagesOf(
        P,
        resource("aws:s3/bucketPolicy:BucketPolicy", {
          policy: doc({
            Effect: "Allow",
            Principal: { AWS: ["*"] },
            Action: ["s3:GetObject"],
            Resource: "arn:aws:s3:::b/*",
          }),
        }),
      ),
    ).toEqual([
      'policy a statement allows principal "*" without a restricting condition; name the principals or add an aws:PrincipalOrgID, aws:SourceArn or aws:SourceAccount condition.',
    ]);
  });
});

describe("iam-no-public-resource-policies on Lambda permissions", () => {
  const P = "iam-no-public-resource-policies";
  const T = "aws:lambda/permission:Permission";
  it("passes a service principal with sourceArn and flags an open one", () => {
    expect(
      messagesOf(
        P,
        resource(T, {
          action: "lambda:InvokeFunction",
          function: "f",
          principal: "events.amazonaws.com",
          sourceArn: "arn:rule",
        }),
      ),
    ).toEqual([]);
    expect(
      messagesOf(
        P,
        resource(T, { action: "lambda:InvokeFunction", function: "f", principal: "*", sourceAccount: "111122223333" }),
      ),
    ).toEqual([]);
    expect(messagesOf(P, resource(T, { action: "lambda:InvokeFunction", function: "f", principal: "*" }))).toEqual([
      'principal is "*" without sourceArn, sourceAccount or principalOrgId; name the invoking service and set sourceArn.',
    ]);
  });
});

describe("iam-no-allow-not-action with NotPrincipal", () => {
  it("flags Allow with NotPrincipal", () => {
    const policy = doc({
      Effect: "Allow",
      NotPrincipal: { AWS: "arn:aws:iam::1:role/x" },
      Action: "sqs:SendMessage",
      Resource: "*",
    });
    expect(
      messagesOf("iam-no-allow-not-action", resource("aws:sqs/queuePolicy:QueuePolicy", { queueUrl: "q", policy })),
    ).toEqual(["policy has an Allow statement with NotPrincipal; name the allowed principals in Principal instead."]);
  });
});

describe("iam-web-identity-conditions action patterns", () => {
  it("treats sts:AssumeRole* as web-identity assumption", () => {
    const H = "token.actions.githubusercontent.com";
    const statement = {
      Effect: "Allow",
      Principal: { Federated: `arn:aws:iam::1:oidc-provider/${H}` },
      Action: ["sts:AssumeRole*"],
      Condition: { StringEquals: { [`${H}:aud`]: "sts.amazonaws.com" } },
    };
    expect(
      messagesOf("iam-web-identity-conditions", resource("aws:iam/role:Role", { assumeRolePolicy: doc(statement) })),
    ).toEqual([
      `assumeRolePolicy trusts ${H} without a "${H}:sub" condition; add one naming the repository and branch or environment.`,
    ]);
  });
});
