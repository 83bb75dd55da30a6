import { defaultPriceTable, parsePriceTable, pricePaths, provenanceOf } from "../../tools/cost/priceTable";
import rawPrices from "../../tools/cost/prices.json";

const table = defaultPriceTable();
const clone = () => JSON.parse(JSON.stringify(rawPrices)) as typeof rawPrices;

describe("the price table's provenance", () => {
  it("gives every price a source and a date, and says whether it was checked", () => {
    const paths = pricePaths(table);
    expect(paths.length).toBeGreaterThan(100);
    for (const path of paths) {
      const entry = provenanceOf(table, path);
      expect({ path, source: entry?.source.length, asOf: entry?.asOf }).toEqual({
        path,
        source: expect.any(Number),
        asOf: expect.stringMatching(/^\d{4}-\d{2}-\d{2}$/),
      });
    }
  });

  it("says where a price could not be checked from here", () => {
    const unchecked = table.provenance.filter((e) => !e.checkedHere);
    for (const entry of unchecked) {
      expect(entry.note).toContain("not checked from here");
    }
  });

  it("rejects a price without a provenance entry, naming it", () => {
    const raw = clone();
    raw.provenance = raw.provenance.filter((e) => !e.prices.includes("regions.*.kms.*"));
    expect(() => parsePriceTable(raw, "prices.json")).toThrow(
      [
        "Invalid price table prices.json:",
        ...["us-east-1", "us-west-2", "eu-west-1", "eu-central-1"].map(
          (r) => `  - regions.${r}.kms.usdPerKeyMonth: has no entry in provenance (source and date of the price)`,
        ),
      ].join("\n"),
    );
  });
});

describe("RDS for PostgreSQL instance prices", () => {
  // Single-AZ, On-Demand, RDS for PostgreSQL (not MySQL), as the review of issue 14 quotes the public tables.
  it.each(["us-east-1", "us-west-2"])("%s has the PostgreSQL figures of the Graviton classes", (region) => {
    const prices = table.regions[region].rds.instanceUsdPerHour;
    expect({
      "db.m6g.large": prices["db.m6g.large"],
      "db.m6g.xlarge": prices["db.m6g.xlarge"],
      "db.r6g.large": prices["db.r6g.large"],
      "db.r6g.xlarge": prices["db.r6g.xlarge"],
    }).toEqual({ "db.m6g.large": 0.159, "db.m6g.xlarge": 0.318, "db.r6g.large": 0.225, "db.r6g.xlarge": 0.45 });
    expect(provenanceOf(table, `regions.${region}.rds.instanceUsdPerHour.db.m6g.large`)?.source).toContain(
      "PostgreSQL",
    );
  });

  it("marks the m7g/r7g figures as MySQL ones, not checked", () => {
    const entry = provenanceOf(table, "regions.us-east-1.rds.instanceUsdPerHour.db.m7g.large");
    expect(entry?.source).toContain("MySQL");
    expect(entry?.checkedHere).toBe(false);
  });
});
