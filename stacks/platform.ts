import * as pulumi from "@pulumi/pulumi";
import { getCallerIdentityOutput } from "@pulumi/aws/getCallerIdentity";
import { getPartitionOutput } from "@pulumi/aws/getPartition";
import { StackKey } from "../components/kms/stackKey";
import { Network } from "../components/network/network";
import { StackConfig } from "./config";

/**
 * The composition: wires the components for one stack from its validated config and returns the stack outputs.
 * Components never read config; everything they need arrives here as typed arguments.
 */
export function platform(config: StackConfig) {
  const identity = getCallerIdentityOutput();
  const partition = getPartitionOutput();

  const key = new StackKey("stack-key", {
    namePrefix: config.namePrefix,
    accountId: identity.accountId,
    region: config.region,
    partition: partition.partition,
  });

  const network = new Network("network", {
    namePrefix: config.namePrefix,
    vpcCidr: config.network.vpcCidr,
    azCount: config.network.azCount,
    natGateways: config.network.natGateways,
    appPort: config.service.port,
    flowLogRetentionDays: config.network.flowLogRetentionDays,
    interfaceEndpoints: config.network.interfaceEndpoints,
    kmsKeyArn: key.keyArn,
    region: config.region,
  });

  return {
    environment: config.environment,
    region: config.region,
    vpcId: network.vpcId,
    availabilityZones: network.availabilityZones,
    publicSubnetIds: network.publicSubnetIds,
    privateSubnetIds: network.privateSubnetIds,
    isolatedSubnetIds: network.isolatedSubnetIds,
    loadBalancerSecurityGroupId: network.loadBalancerSecurityGroupId,
    appSecurityGroupId: network.appSecurityGroupId,
    databaseSecurityGroupId: network.databaseSecurityGroupId,
    natGatewayIds: network.natGatewayIds,
    flowLogGroupName: network.flowLogGroupName,
    kmsKeyArn: key.keyArn,
    kmsKeyAlias: key.aliasName,
  } satisfies Record<string, pulumi.Input<unknown>>;
}

/** Names of the stack outputs, for tools and tests that check references to them. */
export type StackOutputs = ReturnType<typeof platform>;
