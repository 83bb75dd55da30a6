import { renderConfigurationDoc } from "../../tools/docs/configuration";
import { ConfigKey } from "../../stacks/schema";

const KEYS: ConfigKey[] = [
  { key: "aws:region", type: "string", description: "Region." },
  { key: "vpcCidr", type: "string", default: "10.0.0.0/16", description: "VPC | block." },
  { key: "tenants", type: "array", default: [], description: "Tenants." },
];
const area = (k: ConfigKey) => (k.key === "tenants" ? "Database" : "Foundation");

describe("renderConfigurationDoc", () => {
  const doc = renderConfigurationDoc(
    KEYS,
    { "aws:region": "us-east-1" },
    { "aws:region": "eu-west-1", "saas:vpcCidr": "10.20.0.0/16", "saas:tenants": '["a"]' },
    area,
  );

  it("lists every key with type, default, dev and prod values, (default) when a stack does not set it", () => {
    expect(doc).toContain("| `aws:region` | string | (required) | `us-east-1` | `eu-west-1` | Region. |");
    expect(doc).toContain("| `saas:vpcCidr` | string | `10.0.0.0/16` | (default) | `10.20.0.0/16` | VPC \\| block. |");
    expect(doc).toContain('| `saas:tenants` | array | `[]` | (default) | `["a"]` | Tenants. |');
  });

  it("groups the keys by area in the order the areas first appear", () => {
    expect(doc.indexOf("## Foundation")).toBeGreaterThan(0);
    expect(doc.indexOf("## Database")).toBeGreaterThan(doc.indexOf("## Foundation"));
    expect(doc.indexOf("saas:tenants")).toBeGreaterThan(doc.indexOf("## Database"));
  });
});
