import { createHash } from "crypto";
import * as pulumi from "@pulumi/pulumi";
import { Topic } from "@pulumi/aws/sns/topic";
import { TopicPolicy } from "@pulumi/aws/sns/topicPolicy";
import { TopicSubscription } from "@pulumi/aws/sns/topicSubscription";
import { MetricAlarm } from "@pulumi/aws/cloudwatch/metricAlarm";
import { LogMetricFilter } from "@pulumi/aws/cloudwatch/logMetricFilter";
import { Dashboard } from "@pulumi/aws/cloudwatch/dashboard";
import { ContributorInsightRule } from "@pulumi/aws/cloudwatch/contributorInsightRule";
import { TENANT_INSIGHTS, tenantInsightRuleDefinition, tenantInsightRuleName } from "./tenantInsights";
import { Budget } from "@pulumi/aws/budgets/budget";
import { AnomalyMonitor } from "@pulumi/aws/costexplorer/anomalyMonitor";
import { AnomalySubscription } from "@pulumi/aws/costexplorer/anomalySubscription";
import { ComponentArgsError, nameTags } from "../shared/naming";
import { StackContext } from "../shared/context";
import {
  APP_ERRORS_METRIC,
  AlarmKey,
  AlarmSpec,
  AlarmThresholds,
  MONITORING_ENVIRONMENTS,
  MONTHLY_BUDGET_DEFAULTS,
  MonitoredResources,
  MonitoringEnvironment,
  PERCENT_THRESHOLDS,
  alarmDefaults,
  alarmSpecs,
} from "./alarms";
import { TenantMetricRefs, dashboardBody } from "./dashboard";
import {
  CostTag,
  alertTopicPolicy,
  anomalyImpactThresholdUsd,
  anomalyMonitorSpecification,
  anomalyThresholdExpression,
  budgetCostFilters,
  budgetNotifications,
  httpsEndpointProblem,
  MAX_ALERT_EMAILS,
} from "./alerting";

/**
 * The log pattern that counts as an application error: the app logs JSON lines with a `level` (app/README.md).
 * A request line for `/ready` never counts, whatever its level: its 503 while a task drains is the deploy working
 * (the service logs it at warn; at error it paged at every deploy), and a task that stays unready is what the
 * unhealthy-hosts alarm is for. `NOT EXISTS` keeps lines without a route (start-up failures, crashes) counted:
 * CloudWatch Logs, "Using filter patterns to match terms in JSON log events".
 */
export const APP_ERROR_PATTERN = '{ $.level = "error" && (($.route NOT EXISTS) || ($.route != "/ready")) }';

export interface MonitoringArgs {
  /**
   * The stack's name prefix (topic, alarms, dashboard, budget), account (the aws:SourceAccount the topic policy
   * allows to publish), region (the dashboard's widgets) and key (it encrypts the alert topic; its key policy must
   * let the publishers use it).
   */
  readonly context: StackContext;
  /** Environment of the stack; picks the alarm, budget and cost-tag defaults. */
  readonly environment: MonitoringEnvironment;
  /** The resources to watch, created by the container service and database components. */
  readonly resources: MonitoredResources<pulumi.Input<string>>;
  /** Fewest tasks the service runs (its desired count, or its autoscaling minimum). 0 leaves out the "below minimum" alarms. */
  readonly minTaskCount: number;
  /** The database instance's max_connections; the connections alarm fires at a share of it. */
  readonly databaseMaxConnections: number;
  /**
   * Email addresses subscribed to the alert topic (each must confirm the subscription) and mailed directly by
   * the budget and the daily cost-anomaly summary.
   * @default [] - alerts reach only the topic (and the HTTPS endpoint, if any)
   */
  readonly alertEmails?: readonly string[];
  /**
   * An https:// URL subscribed to the alert topic, e.g. a paging service's SNS integration. Treated as a secret:
   * such URLs usually embed an integration key.
   * @default - none; "" also means none
   */
  readonly alertHttpsEndpoint?: string;
  /**
   * Monthly cost budget of the stack, in USD.
   * @default - 250 in dev, 300 in staging, 1500 in prod (MONTHLY_BUDGET_DEFAULTS)
   */
  readonly monthlyBudgetUsd?: number;
  /**
   * Alarm thresholds to change; the others keep the environment's default.
   * @default - alarmDefaults(environment).thresholds
   */
  readonly alarmThresholds?: Partial<AlarmThresholds>;
  /**
   * The cost allocation tag that identifies the stack's spend, for the budget and the anomaly monitor.
   * @default { key: "Environment", value: environment } - the provider default tag, one value per stack
   */
  readonly costTag?: CostTag;
  /**
   * Total impact in USD from which a cost anomaly is reported.
   * @default - a tenth of the monthly budget, at least 10 (anomalyImpactThresholdUsd)
   */
  readonly anomalyThresholdUsd?: number;
  /** Extra tags; cost tags come from the provider's defaultTags. */
  readonly tags?: Readonly<Record<string, string>>;
  /**
   * The tenant usage collector's metrics, shown in the dashboard's "Tenants" section.
   * @default - no tenant section
   */
  readonly tenantMetrics?: TenantMetricRefs;
}

const EMAIL = /^[^@\s]+@[^@\s]+\.[^@\s.]+$/;

/** Problems with the arguments, one message each, in the order of the fields. */
export function validateMonitoringArgs(args: MonitoringArgs): string[] {
  const problems: string[] = [];
  const show = (v: unknown) => JSON.stringify(v);
  if (typeof args.context.namePrefix !== "string" || !/^[a-z][a-z0-9-]{1,39}$/.test(args.context.namePrefix)) {
    problems.push(
      `context.namePrefix: expected 2-40 lowercase letters, digits or '-', starting with a letter, got ${show(args.context.namePrefix)}`,
    );
  }
  if (!(MONITORING_ENVIRONMENTS as readonly unknown[]).includes(args.environment)) {
    problems.push(`environment: expected one of ${MONITORING_ENVIRONMENTS.join(", ")}, got ${show(args.environment)}`);
  }
  if (!Number.isInteger(args.minTaskCount) || args.minTaskCount < 0) {
    problems.push(`minTaskCount: expected a whole number of tasks, 0 or more, got ${show(args.minTaskCount)}`);
  }
  if (!Number.isInteger(args.databaseMaxConnections) || args.databaseMaxConnections < 1) {
    problems.push(
      `databaseMaxConnections: expected the instance's max_connections, a positive integer, got ${show(args.databaseMaxConnections)}`,
    );
  }
  const emails = args.alertEmails ?? [];
  emails.forEach((email, i) => {
    if (typeof email !== "string" || !EMAIL.test(email)) {
      problems.push(`alertEmails[${i}]: expected an email address such as oncall@example.com, got ${show(email)}`);
    }
  });
  if (new Set(emails).size !== emails.length) {
    problems.push(`alertEmails: expected each address once, got ${show(emails)}`);
  }
  if (emails.length > MAX_ALERT_EMAILS) {
    problems.push(
      `alertEmails: expected at most ${MAX_ALERT_EMAILS} addresses (AWS Budgets' limit per notification; use a mailing list), got ${emails.length}`,
    );
  }
  const endpointProblem = httpsEndpointProblem(args.alertHttpsEndpoint);
  if (endpointProblem) {
    problems.push(`alertHttpsEndpoint: ${endpointProblem}, got ${show(args.alertHttpsEndpoint)}`);
  }
  if (args.monthlyBudgetUsd !== undefined && !(Number.isFinite(args.monthlyBudgetUsd) && args.monthlyBudgetUsd > 0)) {
    problems.push(`monthlyBudgetUsd: expected a positive amount of US dollars, got ${show(args.monthlyBudgetUsd)}`);
  }
  const known = Object.keys(alarmDefaults("dev").thresholds);
  for (const [key, value] of Object.entries(args.alarmThresholds ?? {})) {
    if (!known.includes(key)) {
      problems.push(`alarmThresholds.${key}: is not an alarm threshold; expected one of ${known.join(", ")}`);
    } else if (typeof value !== "number" || !Number.isFinite(value) || value <= 0) {
      problems.push(`alarmThresholds.${key}: expected a positive number, got ${show(value)}`);
    } else if ((PERCENT_THRESHOLDS as readonly string[]).includes(key) && value > 100) {
      problems.push(`alarmThresholds.${key}: expected a percentage from 1 to 100, got ${show(value)}`);
    }
  }
  if (args.costTag !== undefined && !(args.costTag.key?.trim() && args.costTag.value?.trim())) {
    problems.push(
      `costTag: expected a tag key and value such as { key: "Environment", value: "dev" }, got ${show(args.costTag)}`,
    );
  }
  if (
    args.anomalyThresholdUsd !== undefined &&
    !(Number.isFinite(args.anomalyThresholdUsd) && args.anomalyThresholdUsd > 0)
  ) {
    problems.push(
      `anomalyThresholdUsd: expected a positive amount of US dollars, got ${show(args.anomalyThresholdUsd)}`,
    );
  }
  return problems;
}

/** A stable child-name suffix for an email address: reordering the list must not replace subscriptions. */
export function emailSuffix(email: string): string {
  return createHash("sha256").update(email.toLowerCase()).digest("hex").slice(0, 8);
}

/**
 * The stack's alerting: an encrypted SNS topic with email and HTTPS subscribers, CloudWatch alarms on the load
 * balancer, the ECS service, the database and the application's error log lines, one dashboard, a monthly cost
 * budget and a cost-anomaly monitor. Every alarm sends both its ALARM and its OK transition to the topic, so the
 * pager resolves the incident on its own.
 */
export class Monitoring extends pulumi.ComponentResource {
  public readonly alertTopicArn: pulumi.Output<string>;
  public readonly dashboardName: pulumi.Output<string>;
  public readonly budgetName: pulumi.Output<string>;
  public readonly anomalyMonitorArn: pulumi.Output<string>;
  /** Alarm names by catalogue key (see alarms.ts and runbooks/alarm-reference.md). */
  public readonly alarmNames: pulumi.Output<Partial<Record<AlarmKey, string>>>;
  /** Namespace of the application error metric, `<namePrefix>/app`. */
  public readonly appMetricNamespace: string;

  constructor(name: string, args: MonitoringArgs, opts?: pulumi.ComponentResourceOptions) {
    const problems = validateMonitoringArgs(args);
    if (problems.length > 0) {
      // Thrown before super(): not even the component is registered.
      throw new ComponentArgsError(`Monitoring "${name}"`, problems);
    }
    super("saas:monitoring:Monitoring", name, {}, opts);
    const prefix = args.context.namePrefix;
    const defaults = alarmDefaults(args.environment);
    const thresholds: AlarmThresholds = { ...defaults.thresholds, ...(args.alarmThresholds ?? {}) };
    const emails = args.alertEmails ?? [];
    const endpoint = args.alertHttpsEndpoint || undefined;
    const monthlyBudgetUsd = args.monthlyBudgetUsd ?? MONTHLY_BUDGET_DEFAULTS[args.environment];
    const costTag = args.costTag ?? { key: "Environment", value: args.environment };
    const anomalyThresholdUsd = args.anomalyThresholdUsd ?? anomalyImpactThresholdUsd(monthlyBudgetUsd);
    const appMetricNamespace = `${prefix}/app`;
    const tags = (suffix: string) => nameTags(`${prefix}-${suffix}`, args.tags);

    const topic = new Topic(
      `${name}-alerts`,
      { name: `${prefix}-alerts`, kmsMasterKeyId: args.context.kmsKeyArn, tags: tags("alerts") },
      { parent: this },
    );
    const topicPolicy = new TopicPolicy(
      `${name}-alerts-policy`,
      {
        arn: topic.arn,
        policy: pulumi
          .all([topic.arn, args.context.accountId])
          .apply(([arn, account]) => JSON.stringify(alertTopicPolicy(arn, account))),
      },
      { parent: this },
    );
    // Budgets and Cost Anomaly Detection check at creation that they may publish to the topic.
    const afterPolicy = { parent: this, dependsOn: [topicPolicy] };

    for (const email of emails) {
      new TopicSubscription(
        `${name}-email-${emailSuffix(email)}`,
        { topic: topic.arn, protocol: "email", endpoint: email },
        { parent: this },
      );
    }
    if (endpoint) {
      new TopicSubscription(
        `${name}-https`,
        { topic: topic.arn, protocol: "https", endpoint: pulumi.secret(endpoint) },
        { parent: this },
      );
    }

    // The filter reads the service's log group by name; when the name is the group's output, the filter
    // depends on the group and is created after it.
    new LogMetricFilter(
      `${name}-app-errors`,
      {
        name: `${prefix}-app-errors`,
        logGroupName: args.resources.serviceLogGroupName,
        pattern: APP_ERROR_PATTERN,
        metricTransformation: { name: APP_ERRORS_METRIC, namespace: appMetricNamespace, value: "1", unit: "Count" },
      },
      { parent: this },
    );

    const specs = alarmSpecs(args.resources, {
      evaluation: defaults.evaluation,
      thresholds,
      minTaskCount: args.minTaskCount,
      databaseMaxConnections: args.databaseMaxConnections,
      appMetricNamespace,
    });
    const alarms = specs.map((spec) => this.alarm(name, prefix, spec, topic.arn, tags));

    const budgetName = `${prefix}-monthly`;
    const budget = new Budget(
      `${name}-budget`,
      {
        name: budgetName,
        budgetType: "COST",
        timeUnit: "MONTHLY",
        limitAmount: String(monthlyBudgetUsd),
        limitUnit: "USD",
        costFilters: budgetCostFilters(costTag),
        notifications: budgetNotifications(topic.arn, emails),
        tags: tags("monthly"),
      },
      afterPolicy,
    );

    const monitor = new AnomalyMonitor(
      `${name}-cost-anomalies`,
      {
        name: `${prefix}-cost`,
        monitorType: "CUSTOM",
        monitorSpecification: JSON.stringify(anomalyMonitorSpecification(costTag)),
        tags: tags("cost"),
      },
      { parent: this },
    );
    // AWS sends IMMEDIATE alerts only to SNS and DAILY/WEEKLY summaries only to email: one subscription each.
    new AnomalySubscription(
      `${name}-cost-anomalies-immediate`,
      {
        name: `${prefix}-cost-immediate`,
        frequency: "IMMEDIATE",
        monitorArnLists: [monitor.arn],
        subscribers: [{ type: "SNS", address: topic.arn }],
        thresholdExpression: anomalyThresholdExpression(anomalyThresholdUsd),
        tags: tags("cost-immediate"),
      },
      afterPolicy,
    );
    if (emails.length > 0) {
      new AnomalySubscription(
        `${name}-cost-anomalies-daily`,
        {
          name: `${prefix}-cost-daily`,
          frequency: "DAILY",
          monitorArnLists: [monitor.arn],
          subscribers: emails.map((address) => ({ type: "EMAIL", address })),
          thresholdExpression: anomalyThresholdExpression(anomalyThresholdUsd),
          tags: tags("cost-daily"),
        },
        { parent: this },
      );
    }

    // Per-tenant rankings of the request log (tenantInsights.ts): bounded cost, no metric per tenant.
    const insightRules = TENANT_INSIGHTS.map(
      (spec) =>
        new ContributorInsightRule(
          `${name}-tenant-${spec.key}`,
          {
            ruleName: tenantInsightRuleName(prefix, spec.key),
            ruleState: "ENABLED",
            ruleDefinition: pulumi
              .output(args.resources.serviceLogGroupName)
              .apply((group) => JSON.stringify(tenantInsightRuleDefinition(group, spec.key))),
            tags: tags(`tenant-${spec.key}`),
          },
          { parent: this },
        ),
    );

    const dashboard = new Dashboard(
      `${name}-dashboard`,
      {
        dashboardName: prefix,
        dashboardBody: pulumi.output(args.resources).apply((resolved) =>
          JSON.stringify(
            dashboardBody({
              ...resolved,
              region: args.context.region,
              appMetricNamespace,
              budgetName,
              monthlyBudgetUsd,
              thresholds,
              minTaskCount: args.minTaskCount,
              databaseMaxConnections: args.databaseMaxConnections,
              tenantInsightRules: Object.fromEntries(
                TENANT_INSIGHTS.map((spec) => [spec.key, tenantInsightRuleName(prefix, spec.key)]),
              ) as Record<(typeof TENANT_INSIGHTS)[number]["key"], string>,
              ...(args.tenantMetrics ? { tenantMetrics: args.tenantMetrics } : {}),
            }),
          ),
        ),
      },
      // The widgets name the rules: they must exist before the dashboard shows them.
      { parent: this, dependsOn: insightRules },
    );

    this.alertTopicArn = topic.arn;
    this.dashboardName = dashboard.dashboardName;
    this.budgetName = budget.name;
    this.anomalyMonitorArn = monitor.arn;
    this.alarmNames = pulumi
      .all(alarms.map((a) => a.name))
      .apply((names) => Object.fromEntries(specs.map((spec, i) => [spec.key, names[i]])));
    this.appMetricNamespace = appMetricNamespace;
    this.registerOutputs({
      alertTopicArn: this.alertTopicArn,
      dashboardName: this.dashboardName,
      budgetName: this.budgetName,
      anomalyMonitorArn: this.anomalyMonitorArn,
      alarmNames: this.alarmNames,
    });
  }

  private alarm(
    name: string,
    prefix: string,
    spec: AlarmSpec<pulumi.Input<string>>,
    topicArn: pulumi.Output<string>,
    tags: (suffix: string) => Record<string, string>,
  ): MetricAlarm {
    const m = spec.metric;
    const metric =
      m.kind === "metric"
        ? {
            namespace: m.namespace,
            metricName: m.metricName,
            dimensions: Object.keys(m.dimensions).length > 0 ? m.dimensions : undefined,
            period: spec.periodSeconds,
            ...(/^p\d/.test(m.statistic) ? { extendedStatistic: m.statistic } : { statistic: m.statistic }),
          }
        : {
            metricQueries: [
              ...m.inputs.map((input) => ({
                id: input.id,
                returnData: false,
                metric: {
                  namespace: input.namespace,
                  metricName: input.metricName,
                  dimensions: input.dimensions,
                  period: spec.periodSeconds,
                  stat: input.stat,
                },
              })),
              { id: "e1", expression: m.expression, label: m.label, returnData: true },
            ],
          };
    return new MetricAlarm(
      `${name}-alarm-${spec.key}`,
      {
        name: `${prefix}-${spec.key}`,
        alarmDescription: `${spec.summary} Runbook: runbooks/alarm-reference.md#${spec.key}`,
        ...metric,
        evaluationPeriods: spec.evaluationPeriods,
        datapointsToAlarm: spec.datapointsToAlarm,
        threshold: spec.threshold,
        comparisonOperator: spec.comparisonOperator,
        treatMissingData: spec.treatMissingData,
        ...(spec.evaluateLowSampleCountPercentiles
          ? { evaluateLowSampleCountPercentiles: spec.evaluateLowSampleCountPercentiles }
          : {}),
        actionsEnabled: true,
        alarmActions: [topicArn],
        okActions: [topicArn],
        tags: tags(spec.key),
      },
      { parent: this },
    );
  }
}
