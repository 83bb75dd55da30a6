/**
 * AWS commercial regions and the number of availability zones a new account can use in each. Config
 * validation needs this before anything talks to AWS; the offline engine answers `getAvailabilityZones` from it.
 * Source: AWS "Regions and Availability Zones" (AZ IDs per region), checked 2026-11. Where a region has a zone
 * that is closed to new accounts (us-west-1, ap-northeast-1) the count is the usable one.
 */
export const REGION_AZ_COUNT: Readonly<Record<string, number>> = {
  "us-east-1": 6,
  "us-east-2": 3,
  "us-west-1": 2,
  "us-west-2": 4,
  "af-south-1": 3,
  "ap-east-1": 3,
  "ap-south-1": 3,
  "ap-south-2": 3,
  "ap-southeast-1": 3,
  "ap-southeast-2": 3,
  "ap-southeast-3": 3,
  "ap-southeast-4": 3,
  "ap-southeast-5": 3,
  "ap-southeast-7": 3,
  "ap-northeast-1": 3,
  "ap-northeast-2": 4,
  "ap-northeast-3": 3,
  "ca-central-1": 3,
  "ca-west-1": 3,
  "eu-central-1": 3,
  "eu-central-2": 3,
  "eu-west-1": 3,
  "eu-west-2": 3,
  "eu-west-3": 3,
  "eu-south-1": 3,
  "eu-south-2": 3,
  "eu-north-1": 3,
  "il-central-1": 3,
  "me-central-1": 3,
  "me-south-1": 3,
  "mx-central-1": 3,
  "sa-east-1": 3,
};

export function isKnownRegion(region: string): boolean {
  return Object.prototype.hasOwnProperty.call(REGION_AZ_COUNT, region);
}

/** Zone names in the order AWS lists them for a new account, e.g. us-east-1a, us-east-1b, ... */
export function availabilityZoneNames(region: string): string[] {
  const count = REGION_AZ_COUNT[region];
  if (count === undefined) {
    throw new RangeError(`unknown AWS region "${region}"`);
  }
  return Array.from({ length: count }, (_, i) => `${region}${String.fromCharCode(97 + i)}`);
}
