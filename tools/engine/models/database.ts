import { TypeModel, str } from "../model";

/**
 * Models of the database resources beyond the core ones. RDS names its subnet and parameter groups by their
 * (lowercased) names; the replicated automated backup is known by its ARN in the destination region, which is
 * the region of the provider it is created with.
 */
export const DATABASE_MODELS: Record<string, TypeModel> = {
  "aws:rds/subnetGroup:SubnetGroup": {
    id: (ctx) => str(ctx.inputs.name),
    autoname: { property: "name", maxLength: 255, lowercase: true },
    state: (ctx) => ({
      arn: ctx.arn("rds", `subgrp:${str(ctx.inputs.name)}`),
      supportedNetworkTypes: ["IPV4"],
    }),
  },
  "aws:rds/parameterGroup:ParameterGroup": {
    id: (ctx) => str(ctx.inputs.name),
    autoname: { property: "name", maxLength: 255, lowercase: true },
    state: (ctx) => ({ arn: ctx.arn("rds", `pg:${str(ctx.inputs.name)}`) }),
  },
  "aws:rds/instanceAutomatedBackupsReplication:InstanceAutomatedBackupsReplication": {
    id: (ctx) => ctx.arn("rds", `auto-backup:ab-${ctx.hex(26)}`),
    state: (ctx) => ({ retentionPeriod: ctx.inputs.retentionPeriod ?? 7 }),
  },
};
