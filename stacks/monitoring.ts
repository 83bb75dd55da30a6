import * as pulumi from "@pulumi/pulumi";
import { Monitoring } from "../components/monitoring/monitoring";
import { StackContext } from "../components/shared/context";
import { StackConfig } from "./config";
import { tenantMetricNamespace } from "../components/tenant-metering/publish";

/** What the monitoring of a stack needs from the components created before it. */
export interface MonitoringRefs {
  /** From the container service. */
  readonly loadBalancerArnSuffix: pulumi.Input<string>;
  readonly targetGroupArnSuffix: pulumi.Input<string>;
  readonly clusterName: pulumi.Input<string>;
  readonly serviceName: pulumi.Input<string>;
  readonly serviceLogGroupName: pulumi.Input<string>;
  /** The service's autoscaling minimum. */
  readonly minTaskCount: number;
  /** From the database. */
  readonly databaseInstanceId: pulumi.Input<string>;
  /** max_connections of the instance class (components/database/sizing.ts `maxConnections`). */
  readonly databaseMaxConnections: number;
}

/**
 * The stack's alerting, dashboard, budget and cost-anomaly detection, wired from the validated config and the
 * other components' outputs. Returns the stack outputs the runbooks use.
 */
export function monitoring(config: StackConfig, context: StackContext, refs: MonitoringRefs) {
  const m = config.monitoring;
  const component = new Monitoring("monitoring", {
    // The stack key's policy must list the ALERT_PUBLISHERS service principals.
    context,
    environment: config.environment,
    resources: {
      loadBalancerArnSuffix: refs.loadBalancerArnSuffix,
      targetGroupArnSuffix: refs.targetGroupArnSuffix,
      clusterName: refs.clusterName,
      serviceName: refs.serviceName,
      serviceLogGroupName: refs.serviceLogGroupName,
      databaseInstanceId: refs.databaseInstanceId,
    },
    minTaskCount: refs.minTaskCount,
    databaseMaxConnections: refs.databaseMaxConnections,
    alertEmails: m.alertEmails,
    alertHttpsEndpoint: m.alertHttpsEndpoint,
    monthlyBudgetUsd: m.monthlyBudgetUsd,
    alarmThresholds: m.alarmThresholds,
    // The Environment tag is unique per stack (config checks it equals saas:environment).
    costTag: { key: "Environment", value: config.tags.Environment ?? config.environment },
    tenantMetrics: {
      namespace: tenantMetricNamespace(config.namePrefix),
      periodSeconds: config.metering.intervalMinutes * 60,
      topTenants: config.metering.topTenants,
      noisyTenantSharePercent: config.metering.noisyTenantSharePercent,
    },
  });
  return {
    alertTopicArn: component.alertTopicArn,
    dashboardName: component.dashboardName,
    budgetName: component.budgetName,
  };
}
