import { createHash } from "crypto";

/** A stable hexadecimal string derived from the resource identity. */
export function stableHex(seed: string, length: number): string {
  let out = "";
  for (let i = 0; out.length < length; i++) {
    out += createHash("sha256").update(`${seed}#${i}`).digest("hex");
  }
  return out.slice(0, length);
}

/** A stable UUID-shaped id (KMS key ids, ECS task ids). */
export function stableUuid(seed: string): string {
  const h = stableHex(seed, 32);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
}
