import { contains, parseCidr, isRfc1918, formatCidr } from "../../components/network/cidr";
import { planSubnets, vpcCidrProblem, usableAddresses, MAX_AZ_COUNT } from "../../components/network/subnets";

describe("parseCidr", () => {
  it.each([
    ["10.0.0.0/16", "10.0.0.0/16"],
    ["192.168.4.0/22", "192.168.4.0/22"],
    ["0.0.0.0/0", "0.0.0.0/0"],
  ])("parses %s", (text, expected) => {
    const parsed = parseCidr(text);
    expect("cidr" in parsed && formatCidr(parsed.cidr)).toBe(expected);
  });

  it.each([
    ["10.0.0.0", "is not an IPv4 network in CIDR notation (a.b.c.d/n)"],
    ["10.0.0.256/16", "is not an IPv4 network in CIDR notation (a.b.c.d/n)"],
    ["10.0.0/16", "is not an IPv4 network in CIDR notation (a.b.c.d/n)"],
    ["10.0.0.0/33", "is not an IPv4 network in CIDR notation (a.b.c.d/n)"],
    ["010.0.0.0/16", "is not an IPv4 network in CIDR notation (a.b.c.d/n)"],
    ["10.0.0.1/16", "is not a network address: the host bits are set (did you mean 10.0.0.0/16?)"],
  ])("rejects %s", (text, error) => {
    expect(parseCidr(text)).toEqual({ error });
  });
});

describe("isRfc1918", () => {
  it.each([
    ["10.0.0.0/16", true],
    ["172.16.0.0/12", true],
    ["172.31.255.0/24", true],
    ["172.32.0.0/16", false],
    ["192.168.0.0/16", true],
    ["192.169.0.0/16", false],
    ["100.64.0.0/16", false],
    ["8.8.0.0/16", false],
  ])("%s → %s", (text, expected) => {
    const parsed = parseCidr(text) as { cidr: { base: number; prefix: number } };
    expect(isRfc1918(parsed.cidr)).toBe(expected);
  });
});

describe("vpcCidrProblem", () => {
  it.each([
    ["10.0.0.0/16", undefined],
    ["10.0.0.0/22", undefined],
    ["10.0.0.0/15", "is larger than AWS allows for a VPC: use a prefix from /16 to /22"],
    [
      "10.0.0.0/23",
      "is too small for the subnets it must hold: its public and database subnets would be /29, smaller than the /28 AWS allows; use /22 or larger (e.g. 10.0.0.0/16)",
    ],
    [
      "8.8.0.0/16",
      "is not in a private (RFC 1918) range: use a block inside 10.0.0.0/8, 172.16.0.0/12 or 192.168.0.0/16",
    ],
  ])("%s", (cidr, problem) => {
    expect(vpcCidrProblem(cidr)).toBe(problem);
  });
});

describe("planSubnets", () => {
  it("lays out a /16 over three zones", () => {
    expect(planSubnets("10.0.0.0/16", 3)).toEqual({
      private: ["10.0.0.0/19", "10.0.32.0/19", "10.0.64.0/19"],
      public: ["10.0.192.0/22", "10.0.196.0/22", "10.0.200.0/22"],
      isolated: ["10.0.224.0/22", "10.0.228.0/22", "10.0.232.0/22"],
    });
  });

  it("gives the smallest allowed VPC /28 edge subnets", () => {
    const layout = planSubnets("192.168.0.0/22", 1);
    expect(layout).toEqual({ private: ["192.168.0.0/25"], public: ["192.168.3.0/28"], isolated: ["192.168.3.128/28"] });
    expect(usableAddresses(layout.public[0])).toBe(11);
  });

  it("rejects what vpcCidrProblem rejects and impossible zone counts", () => {
    expect(() => planSubnets("10.0.0.0/24", 2)).toThrow('VPC CIDR "10.0.0.0/24" is too small');
    expect(() => planSubnets("10.0.0.0/16", 7)).toThrow("azCount 7 is outside 1-6");
  });

  // Property: for every valid VPC size and zone count, subnets lie inside the VPC, never overlap, and adding a
  // zone never moves an existing subnet (a moved subnet would replace what runs in it).
  const prefixes = [16, 17, 18, 19, 20, 21, 22];
  const bases = ["10.0.0.0", "10.128.0.0", "172.16.0.0", "192.168.0.0"];
  for (const prefix of prefixes) {
    for (const base of bases) {
      it(`is sound for ${base}/${prefix} at every zone count`, () => {
        const vpc = (parseCidr(`${base}/${prefix}`) as { cidr: { base: number; prefix: number } }).cidr;
        let previous: ReturnType<typeof planSubnets> | undefined;
        for (let zones = 1; zones <= MAX_AZ_COUNT; zones++) {
          const layout = planSubnets(`${base}/${prefix}`, zones);
          const all = [...layout.public, ...layout.private, ...layout.isolated].map(
            (c) => (parseCidr(c) as { cidr: { base: number; prefix: number } }).cidr,
          );
          expect(all).toHaveLength(3 * zones);
          for (const subnet of all) {
            expect(contains(vpc, subnet)).toBe(true);
            expect(subnet.prefix).toBeLessThanOrEqual(28);
          }
          for (let i = 0; i < all.length; i++) {
            for (let j = i + 1; j < all.length; j++) {
              expect(contains(all[i], all[j]) || contains(all[j], all[i])).toBe(false);
            }
          }
          if (previous) {
            expect(layout.private.slice(0, zones - 1)).toEqual(previous.private);
            expect(layout.public.slice(0, zones - 1)).toEqual(previous.public);
            expect(layout.isolated.slice(0, zones - 1)).toEqual(previous.isolated);
          }
          previous = layout;
        }
      });
    }
  }
});
