/**
 * IPv4 CIDR arithmetic for the network component and the stack configuration. Pure functions, no Pulumi.
 */

export interface Ipv4Cidr {
  /** The network address as an unsigned 32-bit integer. */
  readonly base: number;
  readonly prefix: number;
}

/** RFC 1918 private ranges: the only ranges a VPC of ours may use. */
export const RFC1918_RANGES: readonly string[] = ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"];

const OCTET = /^(0|[1-9]\d{0,2})$/;

/** Parses `a.b.c.d` into an unsigned integer, or undefined when it is not a dotted-quad IPv4 address. */
export function parseIpv4(address: string): number | undefined {
  const parts = address.split(".");
  if (parts.length !== 4 || !parts.every((p) => OCTET.test(p) && Number(p) <= 255)) {
    return undefined;
  }
  return parts.reduce((acc, p) => acc * 256 + Number(p), 0);
}

export function formatIpv4(value: number): string {
  return [24, 16, 8, 0].map((shift) => Math.floor(value / 2 ** shift) % 256).join(".");
}

export function formatCidr(cidr: Ipv4Cidr): string {
  return `${formatIpv4(cidr.base)}/${cidr.prefix}`;
}

/** Number of addresses in a block of the given prefix length. */
export function blockSize(prefix: number): number {
  return 2 ** (32 - prefix);
}

/**
 * Parses `a.b.c.d/n`. Returns a reason instead of a value when the text is not an IPv4 network, so callers can
 * report it (host bits set is a common typo: `10.0.0.1/16`).
 */
export function parseCidr(text: string): { cidr: Ipv4Cidr } | { error: string } {
  const match = /^([^/]+)\/(\d{1,2})$/.exec(text);
  const address = match ? parseIpv4(match[1]) : undefined;
  const prefix = match ? Number(match[2]) : NaN;
  if (!match || address === undefined || prefix > 32) {
    return { error: "is not an IPv4 network in CIDR notation (a.b.c.d/n)" };
  }
  const size = blockSize(prefix);
  const base = Math.floor(address / size) * size;
  if (base !== address) {
    return {
      error: `is not a network address: the host bits are set (did you mean ${formatCidr({ base, prefix })}?)`,
    };
  }
  return { cidr: { base, prefix } };
}

/** True when `inner` lies entirely inside `outer`. */
export function contains(outer: Ipv4Cidr, inner: Ipv4Cidr): boolean {
  return (
    inner.prefix >= outer.prefix &&
    inner.base >= outer.base &&
    inner.base + blockSize(inner.prefix) <= outer.base + blockSize(outer.prefix)
  );
}

export function isRfc1918(cidr: Ipv4Cidr): boolean {
  return RFC1918_RANGES.some((range) => {
    const parsed = parseCidr(range);
    return "cidr" in parsed && contains(parsed.cidr, cidr);
  });
}

/** The `index`-th block of prefix length `prefix` inside `parent`. */
export function subdivide(parent: Ipv4Cidr, prefix: number, index: number): Ipv4Cidr {
  const count = 2 ** (prefix - parent.prefix);
  if (prefix < parent.prefix || index < 0 || index >= count) {
    throw new RangeError(`${formatCidr(parent)} has no block /${prefix} number ${index}`);
  }
  return { base: parent.base + index * blockSize(prefix), prefix };
}
