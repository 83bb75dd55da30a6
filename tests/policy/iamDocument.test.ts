import {
  conditionValues,
  hasWildcardPrincipal,
  iamPatternMatches,
  isWildcardAction,
  parsePolicyDocument,
} from "../../policy/lib/iamDocument";

describe("parsePolicyDocument", () => {
  const statement = {
    Sid: "A",
    Effect: "Allow",
    Action: "s3:GetObject",
    Resource: "arn:aws:s3:::b/*",
    Principal: { Service: "ecs.amazonaws.com" },
    Condition: { Bool: { "aws:SecureTransport": true } },
  };
  it.each([
    ["object, single statement", { Version: "2012-10-17", Statement: statement }],
    ["object, statement list", { Version: "2012-10-17", Statement: [statement] }],
    ["JSON string", JSON.stringify({ Version: "2012-10-17", Statement: [statement] })],
  ])("normalises %s", (_label, input) => {
    expect(parsePolicyDocument(input)).toEqual({
      statements: [
        {
          sid: "A",
          effect: "Allow",
          actions: ["s3:GetObject"],
          notActions: [],
          resources: ["arn:aws:s3:::b/*"],
          notResources: [],
          principals: { Service: ["ecs.amazonaws.com"] },
          notPrincipals: undefined,
          conditions: { Bool: { "aws:SecureTransport": ["true"] } },
          hasNotAction: false,
          hasNotResource: false,
        },
      ],
    });
  });
  it("returns undefined for absent or malformed documents", () => {
    expect(parsePolicyDocument(undefined)).toBeUndefined();
    expect(parsePolicyDocument("{not json")).toBeUndefined();
  });
  it("reads Principal '*' as AWS '*'", () => {
    const [s] = parsePolicyDocument({ Statement: { Effect: "Allow", Principal: "*", Action: ["sqs:*"] } })!.statements;
    expect(s.principals).toEqual({ AWS: ["*"] });
    expect(hasWildcardPrincipal(s)).toBe(true);
  });
  it("finds condition values case-insensitively across operators", () => {
    const [s] = parsePolicyDocument({
      Statement: {
        Effect: "Allow",
        Condition: { StringLike: { "Token.actions.githubusercontent.com:SUB": ["repo:a/b:*"] } },
      },
    })!.statements;
    expect(conditionValues(s, "token.actions.githubusercontent.com:sub")).toEqual(["repo:a/b:*"]);
  });
});

describe("action patterns", () => {
  it.each([
    ["*", true],
    ["s3:*", true],
    ["s3:Get*", false],
    ["s3:GetObject", false],
  ])("isWildcardAction(%s) = %s", (action, expected) => expect(isWildcardAction(action)).toBe(expected));
  it.each([
    ["iam:*", "iam:PassRole", true],
    ["secretsmanager:Get*", "secretsmanager:GetSecretValue", true],
    ["kms:?ecrypt", "kms:Decrypt", true],
    ["KMS:DECRYPT", "kms:Decrypt", true],
    ["s3:Get*", "kms:Decrypt", false],
  ])("iamPatternMatches(%s, %s) = %s", (pattern, action, expected) =>
    expect(iamPatternMatches(pattern, action)).toBe(expected),
  );
});
