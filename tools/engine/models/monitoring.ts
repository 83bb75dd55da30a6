import { TypeModel, str } from "../model";
import { stableUuid } from "../ids";

/** Models of the monitoring resources beyond the core ones (the SNS topic is a core model). */
export const MONITORING_MODELS: Record<string, TypeModel> = {
  // The provider's id of a topic policy is the topic's ARN.
  "aws:sns/topicPolicy:TopicPolicy": {
    id: (ctx) => str(ctx.inputs.arn),
    state: (ctx) => ({ owner: ctx.account }),
  },
  "aws:sns/topicSubscription:TopicSubscription": {
    id: (ctx) => `${str(ctx.inputs.topic)}:${stableUuid(`${ctx.seed}${ctx.name}`)}`,
    state: (ctx) => ({
      arn: `${str(ctx.inputs.topic)}:${stableUuid(`${ctx.seed}${ctx.name}`)}`,
      ownerId: ctx.account,
      // Email and HTTPS endpoints must confirm before SNS delivers to them.
      pendingConfirmation: ctx.inputs.protocol === "email" || ctx.inputs.protocol === "https",
      confirmationWasAuthenticated: false,
    }),
  },
  "aws:cloudwatch/metricAlarm:MetricAlarm": {
    id: (ctx) => str(ctx.inputs.name),
    autoname: { property: "name", maxLength: 255 },
    state: (ctx) => ({ arn: ctx.arn("cloudwatch", `alarm:${str(ctx.inputs.name)}`) }),
  },
  "aws:cloudwatch/logMetricFilter:LogMetricFilter": {
    id: (ctx) => str(ctx.inputs.name),
    autoname: { property: "name", maxLength: 512 },
  },
  // Dashboards are global: their ARN has no region.
  "aws:cloudwatch/dashboard:Dashboard": {
    id: (ctx) => str(ctx.inputs.dashboardName),
    state: (ctx) => ({
      dashboardArn: ctx.arn("cloudwatch", `dashboard/${str(ctx.inputs.dashboardName)}`, { region: "" }),
    }),
  },
  "aws:budgets/budget:Budget": {
    id: (ctx) => `${ctx.account}:${str(ctx.inputs.name)}`,
    autoname: { property: "name", maxLength: 100 },
    state: (ctx) => ({
      arn: ctx.arn("budgets", `budget/${str(ctx.inputs.name)}`, { region: "" }),
      accountId: ctx.account,
    }),
  },
  "aws:costexplorer/anomalyMonitor:AnomalyMonitor": {
    id: (ctx) => ctx.arn("ce", `anomalymonitor/${stableUuid(`${ctx.seed}${ctx.name}`)}`, { region: "" }),
    autoname: { property: "name", maxLength: 1024 },
    state: (ctx) => ({ arn: ctx.arn("ce", `anomalymonitor/${stableUuid(`${ctx.seed}${ctx.name}`)}`, { region: "" }) }),
  },
  "aws:costexplorer/anomalySubscription:AnomalySubscription": {
    id: (ctx) => ctx.arn("ce", `anomalysubscription/${stableUuid(`${ctx.seed}${ctx.name}`)}`, { region: "" }),
    autoname: { property: "name", maxLength: 1024 },
    state: (ctx) => ({
      arn: ctx.arn("ce", `anomalysubscription/${stableUuid(`${ctx.seed}${ctx.name}`)}`, { region: "" }),
      accountId: ctx.account,
    }),
  },
};
