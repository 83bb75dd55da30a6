import { messagesOf, resource, TAGGED_PROVIDER } from "./helpers";

const P = "tagging-required-cost-tags";
const ALL = { Environment: "dev", Project: "saas", Owner: "platform", CostCenter: "cc-42", ManagedBy: "pulumi" };
const bare = { ...TAGGED_PROVIDER, props: { region: "eu-west-1" } };

describe("tagging-required-cost-tags", () => {
  it("passes tags set on the resource", () => {
    expect(
      messagesOf(P, resource("aws:ec2/vpc:Vpc", { cidrBlock: "10.0.0.0/16", tags: ALL }, { provider: bare })),
    ).toEqual([]);
  });
  it("passes tags that come from provider defaultTags (object or JSON string)", () => {
    expect(messagesOf(P, resource("aws:ec2/vpc:Vpc", { cidrBlock: "10.0.0.0/16", tags: { Name: "vpc" } }))).toEqual([]);
    const jsonProvider = { ...bare, props: { defaultTags: JSON.stringify({ tags: ALL }) } };
    expect(
      messagesOf(P, resource("aws:ec2/vpc:Vpc", { cidrBlock: "10.0.0.0/16" }, { provider: jsonProvider })),
    ).toEqual([]);
  });
  it("passes tags reported in tagsAll", () => {
    expect(messagesOf(P, resource("aws:ec2/vpc:Vpc", { tagsAll: ALL }, { provider: bare }))).toEqual([]);
  });
  it("flags a resource that only sets Name without provider defaultTags", () => {
    expect(messagesOf(P, resource("aws:ec2/vpc:Vpc", { tags: { Name: "vpc" } }, { provider: bare }))).toEqual([
      "Missing required tags Environment, Project, Owner, CostCenter, ManagedBy; add them to tags or to the provider's defaultTags.",
    ]);
  });
  it("flags a taggable resource with no tags key and no provider at all", () => {
    expect(messagesOf(P, resource("aws:sqs/queue:Queue", {}, { provider: undefined }))).toHaveLength(1);
  });
  it("flags an empty tag value", () => {
    expect(messagesOf(P, resource("aws:ec2/vpc:Vpc", { tags: { ...ALL, Owner: "" } }, { provider: bare }))).toEqual([
      "Missing required tags Owner; add them to tags or to the provider's defaultTags.",
    ]);
  });
  it("skips components, even when their args carry tags", () => {
    expect(messagesOf(P, resource("saas:network:Network", { tags: { Name: "n" } }, { provider: undefined }))).toEqual(
      [],
    );
  });
  it("skips resources that cannot be tagged", () => {
    expect(
      messagesOf(
        P,
        resource(
          "aws:iam/rolePolicyAttachment:RolePolicyAttachment",
          { role: "r", policyArn: "arn" },
          { provider: bare },
        ),
      ),
    ).toEqual([]);
  });
  it("reads the list form used by autoscaling groups", () => {
    const tags = Object.entries(ALL).map(([key, value]) => ({ key, value, propagateAtLaunch: true }));
    expect(
      messagesOf(P, resource("aws:autoscaling/group:Group", { maxSize: 1, minSize: 1, tags }, { provider: bare })),
    ).toEqual([]);
  });
  it("honours a configured list of required tags", () => {
    expect(
      messagesOf(P, resource("aws:ec2/vpc:Vpc", { tags: { Team: "a" } }, { provider: bare }), "dev", {
        [P]: { requiredTags: ["Team"] },
      }),
    ).toEqual([]);
  });
});
