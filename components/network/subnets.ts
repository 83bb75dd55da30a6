import { blockSize, formatCidr, isRfc1918, parseCidr, subdivide } from "./cidr";

/**
 * Subnet layout of the VPC. Pure: the same inputs always give the same CIDRs, and adding an availability zone
 * never moves an existing subnet (a moved subnet means replaced load balancers, tasks and databases).
 *
 * The VPC is cut into eighths. Eighths 0-5 are the private (app) subnets, one per AZ, because tasks need the
 * most addresses. Eighth 6 is cut into eight public subnets and eighth 7 into eight isolated (database)
 * subnets; AZ n uses block n of each. A /16 gives /19 app subnets and /22 public and isolated subnets.
 */

export type SubnetTier = "public" | "private" | "isolated";
export const SUBNET_TIERS: readonly SubnetTier[] = ["public", "private", "isolated"];

/** The most availability zones the layout has room for. */
export const MAX_AZ_COUNT = 6;
/** AWS limits: the largest VPC block is /16 and the smallest subnet /28. */
export const LARGEST_VPC_PREFIX = 16;
export const SMALLEST_SUBNET_PREFIX = 28;

const PRIVATE_EXTRA_BITS = 3;
const EDGE_EXTRA_BITS = 6;
const PUBLIC_EIGHTH = 6;
const ISOLATED_EIGHTH = 7;

/** The smallest VPC (largest prefix number) whose narrowest subnet is still a valid /28. */
export const SMALLEST_VPC_PREFIX = SMALLEST_SUBNET_PREFIX - EDGE_EXTRA_BITS;

/** Subnet prefix length per tier for a VPC of the given prefix length. */
export function subnetPrefixes(vpcPrefix: number): Record<SubnetTier, number> {
  return {
    private: vpcPrefix + PRIVATE_EXTRA_BITS,
    public: vpcPrefix + EDGE_EXTRA_BITS,
    isolated: vpcPrefix + EDGE_EXTRA_BITS,
  };
}

/**
 * What is wrong with a VPC CIDR for a network of `azCount` zones, or undefined when it is usable. The text
 * completes a sentence that starts with the value, e.g. `"10.0.0.0/25" is too small: ...`.
 */
export function vpcCidrProblem(text: string): string | undefined {
  const parsed = parseCidr(text);
  if ("error" in parsed) {
    return parsed.error;
  }
  const { cidr } = parsed;
  if (!isRfc1918(cidr)) {
    return "is not in a private (RFC 1918) range: use a block inside 10.0.0.0/8, 172.16.0.0/12 or 192.168.0.0/16";
  }
  if (cidr.prefix < LARGEST_VPC_PREFIX) {
    return `is larger than AWS allows for a VPC: use a prefix from /${LARGEST_VPC_PREFIX} to /${SMALLEST_VPC_PREFIX}`;
  }
  if (cidr.prefix > SMALLEST_VPC_PREFIX) {
    const narrowest = subnetPrefixes(cidr.prefix).public;
    return (
      `is too small for the subnets it must hold: its public and database subnets would be /${narrowest}, ` +
      `smaller than the /${SMALLEST_SUBNET_PREFIX} AWS allows; use /${SMALLEST_VPC_PREFIX} or larger (e.g. 10.0.0.0/16)`
    );
  }
  return undefined;
}

export interface SubnetLayout {
  readonly public: string[];
  readonly private: string[];
  readonly isolated: string[];
}

/** CIDRs per tier, index = AZ index. Throws on input that `vpcCidrProblem` would reject. */
export function planSubnets(vpcCidr: string, azCount: number): SubnetLayout {
  const problem = vpcCidrProblem(vpcCidr);
  if (problem) {
    throw new RangeError(`VPC CIDR "${vpcCidr}" ${problem}`);
  }
  if (!Number.isInteger(azCount) || azCount < 1 || azCount > MAX_AZ_COUNT) {
    throw new RangeError(`azCount ${azCount} is outside 1-${MAX_AZ_COUNT}`);
  }
  const vpc = (parseCidr(vpcCidr) as { cidr: { base: number; prefix: number } }).cidr;
  const prefixes = subnetPrefixes(vpc.prefix);
  const eighth = (n: number) => subdivide(vpc, vpc.prefix + PRIVATE_EXTRA_BITS, n);
  const zones = Array.from({ length: azCount }, (_, az) => az);
  return {
    private: zones.map((az) => formatCidr(eighth(az))),
    public: zones.map((az) => formatCidr(subdivide(eighth(PUBLIC_EIGHTH), prefixes.public, az))),
    isolated: zones.map((az) => formatCidr(subdivide(eighth(ISOLATED_EIGHTH), prefixes.isolated, az))),
  };
}

/** Usable addresses in a subnet: AWS reserves five in each. */
export function usableAddresses(subnetCidr: string): number {
  const parsed = parseCidr(subnetCidr);
  if ("error" in parsed) {
    throw new RangeError(`"${subnetCidr}" ${parsed.error}`);
  }
  return blockSize(parsed.cidr.prefix) - 5;
}
