import { CloudContext, stableHex } from "./resources";

/**
 * Remote components (implemented in a provider plugin, such as everything in @pulumi/awsx) register as one
 * resource; their children are created by the plugin at deploy time, so no offline run can see them. Their
 * outputs are answered here from the component's documented contract so programs that read them still run.
 */
export const REMOTE_COMPONENT_NOTE =
  "remote component: its children are created by its provider plugin at deploy time and are not in this plan";

const ids = (prefix: string, seed: string, count: number) =>
  Array.from({ length: count }, (_, i) => `${prefix}-${stableHex(`${seed}#${i}`, 17)}`);

export function remoteComponentState(
  type: string,
  inputs: Record<string, unknown>,
  cloud: CloudContext,
): Record<string, unknown> | undefined {
  if (type === "awsx:ec2:Vpc") {
    const zones = Number(inputs.numberOfAvailabilityZones ?? 3);
    const seed = JSON.stringify(inputs);
    const vpcId = `vpc-${stableHex(seed, 17)}`;
    const strategy = (inputs.natGateways as { strategy?: string } | undefined)?.strategy ?? "OnePerAz";
    const nats = strategy === "None" ? 0 : strategy === "Single" ? 1 : zones;
    return {
      ...inputs,
      vpcId,
      publicSubnetIds: ids("subnet", `${seed}public`, zones),
      privateSubnetIds: ids("subnet", `${seed}private`, zones),
      isolatedSubnetIds: [],
      natGateways: ids("nat", `${seed}nat`, nats).map((id) => ({ id })),
      eips: ids("eipalloc", `${seed}eip`, nats).map((id) => ({ id })),
      vpc: { id: vpcId, arn: `arn:${cloud.partition}:ec2:${cloud.region}:${cloud.account}:vpc/${vpcId}` },
    };
  }
  if (type.startsWith("awsx:")) {
    return { ...inputs };
  }
  return undefined;
}
