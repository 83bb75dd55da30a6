import * as fs from "fs";
import * as path from "path";
import { TAGGABLE_TYPES } from "../../policy/lib/taggableTypes";
import { findTaggableTypes } from "../../policy/scripts/generateTaggableTypes";

describe("policy/lib/taggableTypes.ts", () => {
  it("matches the installed @pulumi/aws (regenerate with policy/scripts/generateTaggableTypes.ts)", () => {
    const awsDir = path.dirname(require.resolve("@pulumi/aws/package.json"));
    expect([...TAGGABLE_TYPES]).toEqual(findTaggableTypes(awsDir));
    const version = (JSON.parse(fs.readFileSync(path.join(awsDir, "package.json"), "utf8")) as { version: string })
      .version;
    expect(fs.readFileSync(path.join(__dirname, "../../policy/lib/taggableTypes.ts"), "utf8")).toContain(
      `@pulumi/aws ${version}`,
    );
  });
  it("contains common taggable types and no untaggable ones", () => {
    expect(TAGGABLE_TYPES.has("aws:ec2/vpc:Vpc")).toBe(true);
    expect(TAGGABLE_TYPES.has("aws:rds/instance:Instance")).toBe(true);
    expect(TAGGABLE_TYPES.has("aws:iam/rolePolicyAttachment:RolePolicyAttachment")).toBe(false);
  });
});
