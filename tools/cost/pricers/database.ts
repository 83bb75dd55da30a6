/** Pricers of RDS instances: instance hours, storage, backups, Multi-AZ, Performance Insights. */
import { Pricer, str, num, bool } from "../context";
import { addPublicIpv4 } from "./network";

/** The provider leaves the storage type to RDS, which picks io1 when IOPS are given and gp2 otherwise. */
function rdsStorageType(inputs: Record<string, unknown>): string {
  return str(inputs.storageType) ?? (num(inputs.iops) !== undefined ? "io1" : "gp2");
}

const priceRdsInstance: Pricer = (r, ctx) => {
  const engine = str(r.inputs.engine);
  if (engine && !ctx.global.rdsPricedEngines.includes(engine)) {
    ctx.unpriced(r.type, `engine ${engine} is not in the table`);
    return;
  }
  const region = ctx.regionOf(r);
  const prices = ctx.prices(r);
  const instanceClass = str(r.inputs.instanceClass) ?? "(none)";
  const hourly = prices.rds.instanceUsdPerHour[instanceClass];
  if (hourly === undefined) {
    ctx.unpriced(r.type, `no price for ${instanceClass} in ${region}`);
    return;
  }
  const multiAz = bool(r.inputs.multiAz);
  const factor = multiAz ? 2 : 1;
  const deployment = multiAz ? "Multi-AZ" : "Single-AZ";
  const label = `RDS instance ${r.name}`;
  const instanceNotes = [
    multiAz ? "Multi-AZ: the standby doubles the instance price" : undefined,
    engine ? undefined : "engine not set: priced as PostgreSQL",
  ].filter(Boolean);
  ctx.add(r, {
    resource: `${label} (${instanceClass}, ${deployment})`,
    quantity: ctx.hours,
    unit: "hours",
    unitPriceUsd: hourly * factor,
    note: instanceNotes.join("; ") || undefined,
  });

  const storageType = rdsStorageType(r.inputs);
  const storagePrices = prices.rds.storageUsdPerGbMonth as Record<string, number>;
  const gb = num(r.inputs.allocatedStorage) ?? 0;
  if (storagePrices[storageType] === undefined) {
    ctx.unpriced(r.type, `partially priced: storage type ${storageType} is not in the table`);
  } else {
    const storageNotes = [
      multiAz ? "Multi-AZ doubles storage" : undefined,
      "backup storage up to the allocated size is free; beyond that is not priced",
      num(r.inputs.maxAllocatedStorage) ? "storage autoscaling: priced at allocatedStorage" : undefined,
    ].filter(Boolean);
    ctx.add(r, {
      resource: `${label}: storage (${storageType}, ${deployment})`,
      quantity: gb,
      unit: "GB-months",
      unitPriceUsd: storagePrices[storageType] * factor,
      note: storageNotes.join("; "),
    });
  }

  const iops = num(r.inputs.iops) ?? 0;
  const iopsPrices = prices.rds.usdPerProvisionedIopsMonth as Record<string, number>;
  if (storageType === "io1" || storageType === "io2") {
    ctx.add(r, {
      resource: `${label}: provisioned IOPS (${storageType}, ${deployment})`,
      quantity: iops,
      unit: "IOPS-months",
      unitPriceUsd: iopsPrices[storageType] * factor,
    });
  } else if (storageType === "gp3") {
    const baseline = ctx.global.rdsGp3Baseline;
    const included = gb >= baseline.largeVolumeFromGb ? baseline.largeVolume : baseline.smallVolume;
    const extraIops = iops - included.iops;
    const extraThroughput = (num(r.inputs.storageThroughput) ?? 0) - included.throughputMibps;
    const note = `gp3 includes ${included.iops} IOPS and ${included.throughputMibps} MiB/s at ${gb} GB`;
    if (extraIops > 0) {
      ctx.add(r, {
        resource: `${label}: gp3 IOPS above baseline (${deployment})`,
        quantity: extraIops,
        unit: "IOPS-months",
        unitPriceUsd: iopsPrices.gp3 * factor,
        note,
      });
    }
    if (extraThroughput > 0) {
      ctx.add(r, {
        resource: `${label}: gp3 throughput above baseline (${deployment})`,
        quantity: extraThroughput,
        unit: "MiBps-months",
        unitPriceUsd: prices.rds.gp3UsdPerMibpsMonth * factor,
        note,
      });
    }
  }

  if (bool(r.inputs.manageMasterUserPassword)) {
    ctx.add(r, {
      resource: `Secrets Manager secret (RDS-managed master password) ${r.name}`,
      type: "aws:secretsmanager/secret:Secret",
      quantity: 1,
      unit: "secret-months",
      unitPriceUsd: prices.secretsManager.usdPerSecretMonth,
      note: "manageMasterUserPassword: RDS creates and bills a Secrets Manager secret not visible in the plan",
    });
  }
  if (bool(r.inputs.publiclyAccessible)) {
    addPublicIpv4(r, ctx, `${label}: public IPv4`, 1, "publiclyAccessible: the endpoint has a public IPv4");
  }
  const piRetention = num(r.inputs.performanceInsightsRetentionPeriod);
  const freeDays = ctx.global.performanceInsightsFreeRetentionDays;
  if (bool(r.inputs.performanceInsightsEnabled) && piRetention !== undefined && piRetention > freeDays) {
    ctx.unpriced(
      r.type,
      `partially priced: Performance Insights retention of ${piRetention} days (beyond the free ${freeDays})`,
    );
  }
};

export const DATABASE_PRICERS: Readonly<Record<string, Pricer>> = {
  "aws:rds/instance:Instance": priceRdsInstance,
};
