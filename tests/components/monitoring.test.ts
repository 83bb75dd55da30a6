import * as fs from "fs";
import * as path from "path";
import { Monitoring, MonitoringArgs, emailSuffix } from "../../components/monitoring/monitoring";
import { alarmDefaults, connectionBudget } from "../../components/monitoring/alarms";
import {
  DashboardBody,
  ExpressionRow,
  MetricOptions,
  MetricRow,
  InsightRuleWidget,
  dashboardBody,
  isMetricWidget,
} from "../../components/monitoring/dashboard";
import { anomalyImpactThresholdUsd, httpsEndpointProblem } from "../../components/monitoring/alerting";
import { monitoring } from "../../stacks/monitoring";
import { parseConfig } from "../../stacks/config";
import { loadStackSettings, ProjectError } from "../../tools/engine/project";
import { REPO_ROOT } from "../../tools/engine/run";
import { Planned } from "../support/plan";
import { testContext } from "../support/context";
import { PlannedResource } from "../../tools/engine/types";
import { matchesJsonPattern } from "../support/jsonFilterPattern";

const ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm";
const SUBSCRIPTION = "aws:sns/topicSubscription:TopicSubscription";
const ANOMALY_SUBSCRIPTION = "aws:costexplorer/anomalySubscription:AnomalySubscription";
const GIB = 1024 ** 3;
const MIB = 1024 ** 2;

/** Identifiers as the container service and database components would hand them over. */
const RESOURCES = {
  loadBalancerArnSuffix: "app/saas-dev-alb/50dc6c495c0c9188",
  targetGroupArnSuffix: "targetgroup/saas-dev-tg/73e2d6bc24d8a067",
  clusterName: "saas-dev",
  serviceName: "saas-dev-api",
  serviceLogGroupName: "/ecs/saas-dev/api",
  databaseInstanceId: "saas-dev-db",
};
const KEY_ARN = "arn:aws:kms:us-east-1:123456789012:key/0b7e2a4c-1111-4222-a333-444455556666";
const TOPIC_ARN = "arn:aws:sns:us-east-1:123456789012:saas-dev-alerts";
const PAGER = "https://events.example.com/integration/0123abcd/enqueue";

const ARGS: MonitoringArgs = {
  context: testContext({ kmsKeyArn: KEY_ARN }),
  environment: "dev",
  resources: RESOURCES,
  minTaskCount: 2,
  databaseMaxConnections: 400,
  alertEmails: ["oncall@example.com", "lead@example.com"],
  alertHttpsEndpoint: PAGER,
};

const plan = (args: MonitoringArgs = ARGS) => Planned.of({ stack: "dev", program: () => new Monitoring("mon", args) });

const LB = { LoadBalancer: RESOURCES.loadBalancerArnSuffix };
const TG = { LoadBalancer: RESOURCES.loadBalancerArnSuffix, TargetGroup: RESOURCES.targetGroupArnSuffix };
const SVC = { ClusterName: RESOURCES.clusterName, ServiceName: RESOURCES.serviceName };
const DB = { DBInstanceIdentifier: RESOURCES.databaseInstanceId };

/**
 * Every single-metric alarm of the dev stack, written out by hand (not derived from the catalogue):
 * [key, namespace, metric, statistic, dimensions, threshold, operator, treatMissingData, period].
 */
const DEV_ALARMS: [string, string, string, string, Record<string, string>, number, string, string, number][] = [
  [
    "alb-5xx",
    "AWS/ApplicationELB",
    "HTTPCode_ELB_5XX_Count",
    "Sum",
    LB,
    20,
    "GreaterThanOrEqualToThreshold",
    "notBreaching",
    60,
  ],
  [
    "target-5xx",
    "AWS/ApplicationELB",
    "HTTPCode_Target_5XX_Count",
    "Sum",
    TG,
    20,
    "GreaterThanOrEqualToThreshold",
    "notBreaching",
    60,
  ],
  [
    "target-p99-latency",
    "AWS/ApplicationELB",
    "TargetResponseTime",
    "p99",
    TG,
    3,
    "GreaterThanThreshold",
    "notBreaching",
    60,
  ],
  [
    "unhealthy-hosts",
    "AWS/ApplicationELB",
    "UnHealthyHostCount",
    "Maximum",
    TG,
    0,
    "GreaterThanThreshold",
    "notBreaching",
    60,
  ],
  ["healthy-hosts", "AWS/ApplicationELB", "HealthyHostCount", "Minimum", TG, 2, "LessThanThreshold", "breaching", 60],
  ["service-cpu", "AWS/ECS", "CPUUtilization", "Average", SVC, 90, "GreaterThanThreshold", "notBreaching", 60],
  ["service-memory", "AWS/ECS", "MemoryUtilization", "Average", SVC, 90, "GreaterThanThreshold", "notBreaching", 60],
  [
    "running-tasks",
    "ECS/ContainerInsights",
    "RunningTaskCount",
    "Average",
    SVC,
    2,
    "LessThanThreshold",
    "breaching",
    60,
  ],
  ["db-cpu", "AWS/RDS", "CPUUtilization", "Average", DB, 90, "GreaterThanThreshold", "notBreaching", 60],
  ["db-free-storage", "AWS/RDS", "FreeStorageSpace", "Minimum", DB, 2 * GIB, "LessThanThreshold", "missing", 300],
  [
    "db-freeable-memory",
    "AWS/RDS",
    "FreeableMemory",
    "Average",
    DB,
    128 * MIB,
    "LessThanThreshold",
    "notBreaching",
    60,
  ],
  [
    "db-connections",
    "AWS/RDS",
    "DatabaseConnections",
    "Maximum",
    DB,
    320,
    "GreaterThanOrEqualToThreshold",
    "notBreaching",
    60,
  ],
  ["db-read-latency", "AWS/RDS", "ReadLatency", "Average", DB, 0.05, "GreaterThanThreshold", "notBreaching", 60],
  ["db-write-latency", "AWS/RDS", "WriteLatency", "Average", DB, 0.05, "GreaterThanThreshold", "notBreaching", 60],
  [
    "app-errors",
    "saas-dev/app",
    "ApplicationErrors",
    "Sum",
    {},
    20,
    "GreaterThanOrEqualToThreshold",
    "notBreaching",
    60,
  ],
];

describe("Monitoring with mocked service and database outputs (dev)", () => {
  let p: Planned;
  beforeAll(async () => {
    p = await plan();
  });

  it("creates an alert topic encrypted with the stack key", () => {
    const topic = p.one("aws:sns/topic:Topic", "mon-alerts");
    expect(topic.inputs).toEqual({
      name: "saas-dev-alerts",
      kmsMasterKeyId: KEY_ARN,
      tags: { Name: "saas-dev-alerts" },
    });
    expect(topic.outputs.arn).toBe(TOPIC_ARN);
  });

  it("lets only CloudWatch, Budgets and Cost Anomaly Detection of this account publish, over TLS", () => {
    const policy = p.one("aws:sns/topicPolicy:TopicPolicy", "mon-alerts-policy");
    expect(policy.inputs.arn).toBe(TOPIC_ARN);
    expect(JSON.parse(policy.inputs.policy as string)).toEqual({
      Version: "2012-10-17",
      Statement: [
        {
          Sid: "AlarmsBudgetsAndCostAnomaliesPublish",
          Effect: "Allow",
          Principal: { Service: ["cloudwatch.amazonaws.com", "budgets.amazonaws.com", "costalerts.amazonaws.com"] },
          Action: "sns:Publish",
          Resource: TOPIC_ARN,
          Condition: { StringEquals: { "aws:SourceAccount": "123456789012" } },
        },
        {
          Sid: "DenyPublishWithoutTls",
          Effect: "Deny",
          Principal: "*",
          Action: "sns:Publish",
          Resource: TOPIC_ARN,
          Condition: { Bool: { "aws:SecureTransport": "false" } },
        },
      ],
    });
  });

  it("subscribes each email and the HTTPS endpoint, the endpoint as a secret", () => {
    const subs = p.ofType(SUBSCRIPTION);
    expect(subs.map((s) => s.name).sort()).toEqual(
      [
        `mon-email-${emailSuffix("oncall@example.com")}`,
        `mon-email-${emailSuffix("lead@example.com")}`,
        "mon-https",
      ].sort(),
    );
    for (const email of ["oncall@example.com", "lead@example.com"]) {
      expect(p.one(SUBSCRIPTION, `mon-email-${emailSuffix(email)}`).inputs).toEqual({
        topic: TOPIC_ARN,
        protocol: "email",
        endpoint: email,
      });
    }
    const https = p.one(SUBSCRIPTION, "mon-https");
    expect(https.inputs.protocol).toBe("https");
    expect(https.inputs.topic).toBe(TOPIC_ARN);
    // The URL is a secret: stored encrypted in the state, shown as [secret] in the plan.
    expect(https.inputs.endpoint).toBe(PAGER);
    expect(https.secretInputs).toEqual(["endpoint"]);
  });

  it.each(DEV_ALARMS)(
    "alarm %s: %s %s (%s) on the right resource, threshold, evaluation, missing data and actions",
    (key, namespace, metricName, statistic, dimensions, threshold, operator, missing, period) => {
      const alarm = p.one(ALARM, `mon-alarm-${key}`);
      const percentile = statistic.startsWith("p");
      expect(alarm.inputs).toEqual({
        name: `saas-dev-${key}`,
        alarmDescription: expect.stringContaining(`Runbook: runbooks/alarm-reference.md#${key}`),
        namespace,
        metricName,
        ...(Object.keys(dimensions).length > 0 ? { dimensions } : {}),
        period,
        ...(percentile ? { extendedStatistic: statistic, evaluateLowSampleCountPercentiles: "ignore" } : { statistic }),
        evaluationPeriods: 5,
        datapointsToAlarm: 5,
        threshold,
        comparisonOperator: operator,
        treatMissingData: missing,
        actionsEnabled: true,
        alarmActions: [TOPIC_ARN],
        okActions: [TOPIC_ARN],
        tags: { Name: `saas-dev-${key}` },
      });
    },
  );

  it("alarms on the 5xx rate with metric math over requests and both 5xx counts", () => {
    const alarm = p.one(ALARM, "mon-alarm-alb-5xx-rate");
    const metric = (id: string, metricName: string) => ({
      id,
      returnData: false,
      metric: { namespace: "AWS/ApplicationELB", metricName, dimensions: LB, period: 60, stat: "Sum" },
    });
    expect(alarm.inputs).toMatchObject({
      name: "saas-dev-alb-5xx-rate",
      threshold: 10,
      comparisonOperator: "GreaterThanThreshold",
      evaluationPeriods: 5,
      datapointsToAlarm: 5,
      treatMissingData: "notBreaching",
      alarmActions: [TOPIC_ARN],
      okActions: [TOPIC_ARN],
    });
    expect(alarm.inputs.metricQueries).toEqual([
      metric("requests", "RequestCount"),
      metric("elb5xx", "HTTPCode_ELB_5XX_Count"),
      metric("target5xx", "HTTPCode_Target_5XX_Count"),
      {
        id: "e1",
        expression: "IF(requests > 0, 100 * (FILL(elb5xx, 0) + FILL(target5xx, 0)) / requests, 0)",
        label: "5xx rate (%)",
        returnData: true,
      },
    ]);
    // A math alarm may not also name a metric (the API rejects it).
    for (const field of ["namespace", "metricName", "statistic", "period", "dimensions"]) {
      expect(alarm.inputs[field]).toBeUndefined();
    }
  });

  it("has exactly the catalogue's sixteen alarms", () => {
    expect(
      p
        .ofType(ALARM)
        .map((a) => a.name.replace("mon-alarm-", ""))
        .sort(),
    ).toEqual([...DEV_ALARMS.map((a) => a[0]), "alb-5xx-rate"].sort());
  });

  it("counts error lines of the service's JSON log group into <namePrefix>/app ApplicationErrors, never /ready", () => {
    // Before: '{ $.level = "error" }' matched the draining /ready 503 an older image logged at error, so every
    // deploy paged. Now a request line for /ready never counts; a line without a route (a crash) still does:
    // CloudWatch Logs, "Using filter patterns to match terms in JSON log events" (NOT EXISTS, && and ||).
    expect(p.one("aws:cloudwatch/logMetricFilter:LogMetricFilter", "mon-app-errors").inputs).toEqual({
      name: "saas-dev-app-errors",
      logGroupName: "/ecs/saas-dev/api",
      pattern: '{ $.level = "error" && (($.route NOT EXISTS) || ($.route != "/ready")) }',
      metricTransformation: { name: "ApplicationErrors", namespace: "saas-dev/app", value: "1", unit: "Count" },
    });
  });

  describe("which log lines the application error alarm counts", () => {
    const pattern = () =>
      String(p.one("aws:cloudwatch/logMetricFilter:LogMetricFilter", "mon-app-errors").inputs.pattern);
    /** A request line in the service's format (app/README.md). */
    const request = (level: string, route: string, status: number) =>
      JSON.stringify({
        time: "2026-12-01T10:00:00.000Z",
        level,
        msg: "request",
        tenantId: null,
        method: "GET",
        route,
        status,
        durationMs: 0.4,
        requestId: "r-1",
      });

    it.each<[string, string, boolean]>([
      ["the draining /ready 503 at warn", request("warn", "/ready", 503), false],
      ["a /ready 503 even at error", request("error", "/ready", 503), false],
      ["a 500 of the notes API", request("error", "/api/notes/:id", 500), true],
      // A tenant not migrated yet during a deploy (migrations run after `pulumi up`), a full pool, a failover:
      // the service logs these 503s at warn (app/README.md), so they never page.
      ["a tenant_not_ready 503 of the notes API at warn", request("warn", "/api/notes", 503), false],
      [
        "a crash line without a route",
        JSON.stringify({ level: "error", msg: "uncaught exception", err: "boom" }),
        true,
      ],
      ["a 200 at info", request("info", "/api/notes", 200), false],
      ["a shutdown past its deadline", JSON.stringify({ level: "error", msg: "shutdown deadline exceeded" }), true],
    ])("%s: counted %s", (_what, line, counted) => {
      expect(matchesJsonPattern(pattern(), line)).toBe(counted);
    });

    it("differs from the pattern before, which counted a /ready 503 logged at error", () => {
      expect(matchesJsonPattern('{ $.level = "error" }', request("error", "/ready", 503))).toBe(true);
      expect(matchesJsonPattern(pattern(), request("error", "/ready", 503))).toBe(false);
    });
  });

  describe("per-tenant Contributor Insights rules on the request log", () => {
    const rule = (key: string) => {
      const r = p.one("aws:cloudwatch/contributorInsightRule:ContributorInsightRule", `mon-tenant-${key}`);
      return {
        name: r.inputs.ruleName,
        state: r.inputs.ruleState,
        definition: JSON.parse(String(r.inputs.ruleDefinition)),
      };
    };
    const base = {
      Schema: { Name: "CloudWatchLogRule", Version: 1 },
      LogGroupNames: ["/ecs/saas-dev/api"],
      LogFormat: "JSON",
    };

    it("ranks tenants by request lines", () => {
      expect(rule("requests")).toEqual({
        name: "saas-dev-tenant-requests",
        state: "ENABLED",
        definition: {
          ...base,
          Contribution: { Keys: ["$.tenantId"], Filters: [{ Match: "$.msg", In: ["request"] }] },
          AggregateOn: "Count",
        },
      });
    });

    it("ranks tenants by 5xx responses (status above 499)", () => {
      expect(rule("errors")).toEqual({
        name: "saas-dev-tenant-errors",
        state: "ENABLED",
        definition: {
          ...base,
          Contribution: {
            Keys: ["$.tenantId"],
            Filters: [
              { Match: "$.msg", In: ["request"] },
              { Match: "$.status", GreaterThan: 499 },
            ],
          },
          AggregateOn: "Count",
        },
      });
    });

    it("ranks tenants by the sum of their request durations", () => {
      expect(rule("latency")).toEqual({
        name: "saas-dev-tenant-latency",
        state: "ENABLED",
        definition: {
          ...base,
          Contribution: {
            Keys: ["$.tenantId"],
            ValueOf: "$.durationMs",
            Filters: [{ Match: "$.msg", In: ["request"] }],
          },
          AggregateOn: "Sum",
        },
      });
    });

    it("creates no per-tenant metric: the only metric filter is the error count, without dimensions", () => {
      const filters = p.ofType("aws:cloudwatch/logMetricFilter:LogMetricFilter");
      expect(filters.map((f) => f.name)).toEqual(["mon-app-errors"]);
      expect((filters[0].inputs.metricTransformation as Record<string, unknown>).dimensions).toBeUndefined();
    });
  });

  it("sets a monthly cost budget on the stack's Environment tag, alerting topic and emails at 80 % and 100 % forecast", () => {
    const budget = p.one("aws:budgets/budget:Budget", "mon-budget");
    const to = {
      subscriberSnsTopicArns: [TOPIC_ARN],
      subscriberEmailAddresses: ["oncall@example.com", "lead@example.com"],
    };
    expect(budget.inputs).toEqual({
      name: "saas-dev-monthly",
      budgetType: "COST",
      timeUnit: "MONTHLY",
      limitAmount: "250",
      limitUnit: "USD",
      costFilters: [{ name: "TagKeyValue", values: ["user:Environment$dev"] }],
      notifications: [
        {
          notificationType: "ACTUAL",
          comparisonOperator: "GREATER_THAN",
          threshold: 80,
          thresholdType: "PERCENTAGE",
          ...to,
        },
        {
          notificationType: "FORECASTED",
          comparisonOperator: "GREATER_THAN",
          threshold: 100,
          thresholdType: "PERCENTAGE",
          ...to,
        },
      ],
      tags: { Name: "saas-dev-monthly" },
    });
    // Budgets checks its permission on the topic when it is created.
    expect(budget.dependencies).toContain(p.one("aws:sns/topicPolicy:TopicPolicy", "mon-alerts-policy").urn);
  });

  it("watches cost anomalies of the stack's tag, immediately to the topic and daily by email", () => {
    const monitor = p.one("aws:costexplorer/anomalyMonitor:AnomalyMonitor", "mon-cost-anomalies");
    expect(monitor.inputs).toMatchObject({ name: "saas-dev-cost", monitorType: "CUSTOM" });
    expect(monitor.inputs.monitorDimension).toBeUndefined();
    expect(JSON.parse(monitor.inputs.monitorSpecification as string)).toEqual({
      Tags: { Key: "Environment", Values: ["dev"], MatchOptions: ["EQUALS"] },
    });
    const threshold = {
      dimension: { key: "ANOMALY_TOTAL_IMPACT_ABSOLUTE", matchOptions: ["GREATER_THAN_OR_EQUAL"], values: ["25"] },
    };
    const immediate = p.one(ANOMALY_SUBSCRIPTION, "mon-cost-anomalies-immediate");
    expect(immediate.inputs).toEqual({
      name: "saas-dev-cost-immediate",
      frequency: "IMMEDIATE",
      monitorArnLists: [monitor.outputs.arn],
      subscribers: [{ type: "SNS", address: TOPIC_ARN }],
      thresholdExpression: threshold,
      tags: { Name: "saas-dev-cost-immediate" },
    });
    expect(immediate.dependencies).toContain(p.one("aws:sns/topicPolicy:TopicPolicy", "mon-alerts-policy").urn);
    expect(p.one(ANOMALY_SUBSCRIPTION, "mon-cost-anomalies-daily").inputs).toEqual({
      name: "saas-dev-cost-daily",
      frequency: "DAILY",
      monitorArnLists: [monitor.outputs.arn],
      subscribers: [
        { type: "EMAIL", address: "oncall@example.com" },
        { type: "EMAIL", address: "lead@example.com" },
      ],
      thresholdExpression: threshold,
      tags: { Name: "saas-dev-cost-daily" },
    });
  });

  describe("the dashboard", () => {
    let body: DashboardBody;
    beforeAll(() => {
      const dashboard = p.one("aws:cloudwatch/dashboard:Dashboard", "mon-dashboard");
      expect(dashboard.inputs.dashboardName).toBe("saas-dev");
      body = JSON.parse(dashboard.inputs.dashboardBody as string) as DashboardBody;
    });

    it("has the edge, service, database and cost sections, in that order, under text headers", () => {
      const headers = body.widgets
        .filter((w) => w.type === "text")
        .map((w) => (w.properties as { markdown: string }).markdown.split("\n")[0]);
      expect(headers).toEqual(["## Edge", "## Service", "## Tenants", "## Database", "## Cost"]);
    });

    it("shows the top ten tenants of each Contributor Insights rule, after the rules exist", () => {
      const insights = body.widgets.filter(
        (w): w is InsightRuleWidget => w.type === "metric" && "insightRule" in w.properties,
      );
      expect(insights.map((w) => [w.properties.title, w.properties.insightRule])).toEqual([
        ["Top tenants by requests", { ruleName: "saas-dev-tenant-requests", maxContributorCount: 10, orderBy: "Sum" }],
        [
          "Top tenants by 5xx responses",
          { ruleName: "saas-dev-tenant-errors", maxContributorCount: 10, orderBy: "Sum" },
        ],
        [
          "Top tenants by time spent in requests (sum of ms)",
          { ruleName: "saas-dev-tenant-latency", maxContributorCount: 10, orderBy: "Sum" },
        ],
      ]);
      const dashboard = p.one("aws:cloudwatch/dashboard:Dashboard", "mon-dashboard");
      const rules = p.ofType("aws:cloudwatch/contributorInsightRule:ContributorInsightRule").map((r) => r.urn);
      expect(rules).toHaveLength(3);
      expect(dashboard.dependencies).toEqual(expect.arrayContaining(rules));
    });

    it("references only the resources passed in", () => {
      const refs = new Set(Object.values(RESOURCES));
      const seen = new Set<string>();
      const metricWidgets = body.widgets.filter(isMetricWidget);
      expect(metricWidgets.length).toBeGreaterThanOrEqual(12);
      for (const widget of metricWidgets) {
        expect(widget.properties.region).toBe("us-east-1");
        for (const row of widget.properties.metrics) {
          if (typeof row[0] === "object") {
            // An expression: it may only refer to ids of rows in the same widget.
            const ids = widget.properties.metrics.flatMap((r) =>
              r.flatMap((part) =>
                typeof part === "object" && (part as MetricOptions).id ? [(part as MetricOptions).id] : [],
              ),
            );
            const names = (row as ExpressionRow)[0].expression.match(/\b[a-z][A-Za-z0-9]*\b/g) ?? [];
            expect(names.length).toBeGreaterThan(0);
            for (const name of names) {
              expect(ids).toContain(name);
            }
            continue;
          }
          const [namespace, , ...rest] = row as MetricRow;
          const pairs = rest.filter((part): part is string => typeof part === "string");
          expect(pairs.length % 2).toBe(0);
          for (let i = 0; i < pairs.length; i += 2) {
            expect(["LoadBalancer", "TargetGroup", "ClusterName", "ServiceName", "DBInstanceIdentifier"]).toContain(
              pairs[i],
            );
            expect(refs).toContain(pairs[i + 1]);
            seen.add(pairs[i + 1]);
          }
          if (pairs.length === 0) {
            expect(namespace).toBe("saas-dev/app");
          }
        }
      }
      const logs = body.widgets.filter((w) => w.type === "log");
      expect(logs).toHaveLength(1);
      const query = (logs[0].properties as { query: string }).query;
      expect(query.match(/SOURCE '([^']+)'/g)).toEqual([`SOURCE '${RESOURCES.serviceLogGroupName}'`]);
      expect(query).toContain('filter level = "error"');
      expect(query).toContain("correlationId");
      seen.add(RESOURCES.serviceLogGroupName);
      // And shows every one of them.
      expect([...seen].sort()).toEqual([...refs].sort());
    });

    it("lays widgets on the 24-column grid without overlaps", () => {
      const cells = new Set<string>();
      for (const w of body.widgets) {
        expect(w.x + w.width).toBeLessThanOrEqual(24);
        for (let x = w.x; x < w.x + w.width; x++) {
          for (let y = w.y; y < w.y + w.height; y++) {
            expect(cells.has(`${x},${y}`)).toBe(false);
            cells.add(`${x},${y}`);
          }
        }
      }
    });

    it("draws the alarm thresholds on the graphs", () => {
      const byTitle = Object.fromEntries(body.widgets.filter(isMetricWidget).map((w) => [w.properties.title, w]));
      expect(byTitle["5xx rate (%)"].properties.annotations?.horizontal).toEqual([{ label: "alarm", value: 10 }]);
      expect(byTitle["Target response time (s)"].properties.annotations?.horizontal).toEqual([
        { label: "p99 alarm", value: 3 },
      ]);
      expect(byTitle["Connections"].properties.annotations?.horizontal).toEqual([
        { label: "80 % of max_connections", value: 320 },
      ]);
    });
  });

  it("parents every child to the component and keeps child names stable", () => {
    const component = p.one("saas:monitoring:Monitoring", "mon");
    const children = p.childrenOf(component);
    expect(p.resources.filter((r) => r.custom && r.parent !== component.urn)).toEqual([]);
    expect(children.map((c) => `${c.type} ${c.name}`).sort()).toEqual(
      // Renaming a child replaces real infrastructure: this list is the contract, changed only on purpose.
      [
        "aws:budgets/budget:Budget mon-budget",
        "aws:cloudwatch/contributorInsightRule:ContributorInsightRule mon-tenant-errors",
        "aws:cloudwatch/contributorInsightRule:ContributorInsightRule mon-tenant-latency",
        "aws:cloudwatch/contributorInsightRule:ContributorInsightRule mon-tenant-requests",
        "aws:cloudwatch/dashboard:Dashboard mon-dashboard",
        "aws:cloudwatch/logMetricFilter:LogMetricFilter mon-app-errors",
        "aws:cloudwatch/metricAlarm:MetricAlarm mon-alarm-alb-5xx",
        "aws:cloudwatch/metricAlarm:MetricAlarm mon-alarm-alb-5xx-rate",
        "aws:cloudwatch/metricAlarm:MetricAlarm mon-alarm-app-errors",
        "aws:cloudwatch/metricAlarm:MetricAlarm mon-alarm-db-connections",
        "aws:cloudwatch/metricAlarm:MetricAlarm mon-alarm-db-cpu",
        "aws:cloudwatch/metricAlarm:MetricAlarm mon-alarm-db-free-storage",
        "aws:cloudwatch/metricAlarm:MetricAlarm mon-alarm-db-freeable-memory",
        "aws:cloudwatch/metricAlarm:MetricAlarm mon-alarm-db-read-latency",
        "aws:cloudwatch/metricAlarm:MetricAlarm mon-alarm-db-write-latency",
        "aws:cloudwatch/metricAlarm:MetricAlarm mon-alarm-healthy-hosts",
        "aws:cloudwatch/metricAlarm:MetricAlarm mon-alarm-running-tasks",
        "aws:cloudwatch/metricAlarm:MetricAlarm mon-alarm-service-cpu",
        "aws:cloudwatch/metricAlarm:MetricAlarm mon-alarm-service-memory",
        "aws:cloudwatch/metricAlarm:MetricAlarm mon-alarm-target-5xx",
        "aws:cloudwatch/metricAlarm:MetricAlarm mon-alarm-target-p99-latency",
        "aws:cloudwatch/metricAlarm:MetricAlarm mon-alarm-unhealthy-hosts",
        "aws:costexplorer/anomalyMonitor:AnomalyMonitor mon-cost-anomalies",
        "aws:costexplorer/anomalySubscription:AnomalySubscription mon-cost-anomalies-daily",
        "aws:costexplorer/anomalySubscription:AnomalySubscription mon-cost-anomalies-immediate",
        "aws:sns/topic:Topic mon-alerts",
        "aws:sns/topicPolicy:TopicPolicy mon-alerts-policy",
        "aws:sns/topicSubscription:TopicSubscription mon-email-9fbdefe2",
        "aws:sns/topicSubscription:TopicSubscription mon-email-d876c66b",
        "aws:sns/topicSubscription:TopicSubscription mon-https",
      ],
    );
  });

  it("exposes the topic, dashboard, budget, anomaly monitor and alarm names as typed outputs", async () => {
    const run = await Planned.of({
      stack: "dev",
      program: () => {
        const m = new Monitoring("mon", ARGS);
        return {
          alertTopicArn: m.alertTopicArn,
          dashboardName: m.dashboardName,
          budgetName: m.budgetName,
          anomalyMonitorArn: m.anomalyMonitorArn,
          alarmNames: m.alarmNames,
          appMetricNamespace: m.appMetricNamespace,
        };
      },
    });
    expect(run.run.outputs).toEqual({
      alertTopicArn: TOPIC_ARN,
      dashboardName: "saas-dev",
      budgetName: "saas-dev-monthly",
      anomalyMonitorArn: run.one("aws:costexplorer/anomalyMonitor:AnomalyMonitor", "mon-cost-anomalies").outputs.arn,
      alarmNames: Object.fromEntries(
        [...DEV_ALARMS.map((a) => a[0]), "alb-5xx-rate"].map((key) => [key, `saas-dev-${key}`]),
      ),
      appMetricNamespace: "saas-dev/app",
    });
  });
});

describe("Monitoring defaults and options", () => {
  const alarm = (p: Planned, key: string) => p.one(ALARM, `mon-alarm-${key}`).inputs;

  it("uses prod's tighter thresholds, faster evaluation and larger budget", async () => {
    const p = await plan({
      ...ARGS,
      context: testContext({ kmsKeyArn: KEY_ARN, namePrefix: "saas-prod" }),
      environment: "prod",
    });
    expect(alarm(p, "target-p99-latency")).toMatchObject({
      threshold: 1.5,
      evaluationPeriods: 3,
      datapointsToAlarm: 3,
    });
    expect(alarm(p, "alb-5xx-rate")).toMatchObject({ threshold: 2 });
    expect(alarm(p, "db-free-storage")).toMatchObject({ threshold: 10 * GIB, period: 300 });
    expect(alarm(p, "app-errors")).toMatchObject({ namespace: "saas-prod/app", threshold: 5 });
    const budget = p.one("aws:budgets/budget:Budget", "mon-budget").inputs;
    expect(budget).toMatchObject({
      limitAmount: "1500",
      costFilters: [{ name: "TagKeyValue", values: ["user:Environment$prod"] }],
    });
    const immediate = p.one(ANOMALY_SUBSCRIPTION, "mon-cost-anomalies-immediate").inputs;
    expect(immediate.thresholdExpression).toMatchObject({ dimension: { values: ["150"] } });
  });

  it("applies threshold overrides and keeps the other defaults", async () => {
    const p = await plan({
      ...ARGS,
      alarmThresholds: { p99LatencyMs: 800, freeStorageGiB: 5, databaseConnectionsPercent: 50 },
    });
    expect(alarm(p, "target-p99-latency").threshold).toBe(0.8);
    expect(alarm(p, "db-free-storage").threshold).toBe(5 * GIB);
    expect(alarm(p, "db-connections").threshold).toBe(200);
    expect(alarm(p, "db-cpu").threshold).toBe(90);
  });

  it("without emails or endpoint: no subscriptions, no daily summary, budget alerts to the topic only", async () => {
    const p = await plan({ ...ARGS, alertEmails: undefined, alertHttpsEndpoint: "" });
    expect(p.ofType(SUBSCRIPTION)).toEqual([]);
    expect(p.ofType(ANOMALY_SUBSCRIPTION).map((s) => s.name)).toEqual(["mon-cost-anomalies-immediate"]);
    for (const n of p.one("aws:budgets/budget:Budget", "mon-budget").inputs.notifications as Record<
      string,
      unknown
    >[]) {
      expect(n.subscriberSnsTopicArns).toEqual([TOPIC_ARN]);
      expect(n.subscriberEmailAddresses).toBeUndefined();
    }
  });

  it("leaves out the two below-minimum alarms when the service may scale to zero", async () => {
    const p = await plan({ ...ARGS, minTaskCount: 0 });
    const names = p.ofType(ALARM).map((a) => a.name);
    expect(names).toHaveLength(14);
    expect(names).not.toContain("mon-alarm-healthy-hosts");
    expect(names).not.toContain("mon-alarm-running-tasks");
  });

  it("takes a custom cost tag, budget and anomaly threshold", async () => {
    const p = await plan({
      ...ARGS,
      costTag: { key: "CostCenter", value: "cc-1001" },
      monthlyBudgetUsd: 250,
      anomalyThresholdUsd: 40,
    });
    expect(p.one("aws:budgets/budget:Budget", "mon-budget").inputs).toMatchObject({
      limitAmount: "250",
      costFilters: [{ name: "TagKeyValue", values: ["user:CostCenter$cc-1001"] }],
    });
    const monitor = p.one("aws:costexplorer/anomalyMonitor:AnomalyMonitor", "mon-cost-anomalies");
    expect(JSON.parse(monitor.inputs.monitorSpecification as string).Tags).toMatchObject({ Key: "CostCenter" });
    expect(p.one(ANOMALY_SUBSCRIPTION, "mon-cost-anomalies-immediate").inputs.thresholdExpression).toMatchObject({
      dimension: { values: ["40"] },
    });
  });

  it("keeps email subscription names when the list is reordered", async () => {
    const a = await plan();
    const b = await plan({ ...ARGS, alertEmails: ["lead@example.com", "oncall@example.com"] });
    const names = (p: Planned) =>
      p
        .ofType(SUBSCRIPTION)
        .map((s: PlannedResource) => s.name)
        .sort();
    expect(names(b)).toEqual(names(a));
  });
});

describe("Monitoring arguments", () => {
  it("rejects every bad argument at once, before registering anything", async () => {
    const registered: string[] = [];
    await expect(
      Planned.of({
        stack: "dev",
        onRegister: (r) => registered.push(r.type),
        program: () =>
          new Monitoring("mon", {
            ...ARGS,
            context: testContext({ kmsKeyArn: KEY_ARN, namePrefix: "Saas" }),
            environment: "qa" as never,
            minTaskCount: -1,
            databaseMaxConnections: 0,
            alertEmails: ["oncall@example.com", "not-an-email", "oncall@example.com"],
            alertHttpsEndpoint: "http://events.example.com/hook",
            monthlyBudgetUsd: -5,
            alarmThresholds: { p99LatencyMs: -100, serviceCpuPercent: 150, bogus: 1 } as never,
            costTag: { key: "", value: "dev" },
            anomalyThresholdUsd: 0,
          }),
      }),
    ).rejects.toThrow(
      [
        'Monitoring "mon": invalid arguments:',
        `  - context.namePrefix: expected 2-40 lowercase letters, digits or '-', starting with a letter, got "Saas"`,
        '  - environment: expected one of dev, staging, prod, got "qa"',
        "  - minTaskCount: expected a whole number of tasks, 0 or more, got -1",
        "  - databaseMaxConnections: expected the instance's max_connections, a positive integer, got 0",
        '  - alertEmails[1]: expected an email address such as oncall@example.com, got "not-an-email"',
        '  - alertEmails: expected each address once, got ["oncall@example.com","not-an-email","oncall@example.com"]',
        '  - alertHttpsEndpoint: expected an https:// URL: SNS would send alerts over plain HTTP, got "http://events.example.com/hook"',
        "  - monthlyBudgetUsd: expected a positive amount of US dollars, got -5",
        "  - alarmThresholds.p99LatencyMs: expected a positive number, got -100",
        "  - alarmThresholds.serviceCpuPercent: expected a percentage from 1 to 100, got 150",
        "  - alarmThresholds.bogus: is not an alarm threshold; expected one of " +
          Object.keys(alarmDefaults("dev").thresholds).join(", "),
        '  - costTag: expected a tag key and value such as { key: "Environment", value: "dev" }, got {"key":"","value":"dev"}',
        "  - anomalyThresholdUsd: expected a positive amount of US dollars, got 0",
      ].join("\n"),
    );
    expect(registered).toEqual(["pulumi:pulumi:Stack"]);
  });

  it("rejects more than ten addresses (the Budgets limit)", async () => {
    const emails = Array.from({ length: 11 }, (_, i) => `person${i}@example.com`);
    await expect(plan({ ...ARGS, alertEmails: emails })).rejects.toThrow(
      "alertEmails: expected at most 10 addresses (AWS Budgets' limit per notification; use a mailing list), got 11",
    );
  });

  it.each<[string, string | undefined]>([
    ["https://events.example.com/x", undefined],
    ["", undefined],
    ["http://events.example.com/x", "expected an https:// URL: SNS would send alerts over plain HTTP"],
    ["events.example.com/x", "expected an https:// URL such as https://events.example.com/integration/sns"],
    [
      "https://user:pw@events.example.com/x",
      "expected an https:// URL without user:password (credentials in the URL end up in logs)",
    ],
  ])("endpoint %j: %s", (url, problem) => {
    expect(httpsEndpointProblem(url)).toBe(problem);
  });
});

describe("pure helpers", () => {
  it.each([
    [400, 80, 320],
    [87, 80, 69],
    [1, 50, 1],
    [5000, 90, 4500],
  ])("connection budget of max_connections %i at %i %% is %i", (max, percent, budget) => {
    expect(connectionBudget(max, percent)).toBe(budget);
  });

  it.each([
    [100, 10],
    [50, 10],
    [300, 30],
    [1500, 150],
    [1234, 123],
  ])("anomaly threshold for a %i USD budget is %i USD", (budget, usd) => {
    expect(anomalyImpactThresholdUsd(budget)).toBe(usd);
  });

  it("email suffixes are stable and ignore case", () => {
    expect(emailSuffix("OnCall@Example.com")).toBe(emailSuffix("oncall@example.com"));
    expect(emailSuffix("oncall@example.com")).toMatch(/^[0-9a-f]{8}$/);
    expect(emailSuffix("a@example.com")).not.toBe(emailSuffix("b@example.com"));
  });

  it("dashboardBody is a pure function of its refs", () => {
    const refs = {
      ...RESOURCES,
      region: "eu-west-1",
      appMetricNamespace: "x/app",
      budgetName: "x-monthly",
      monthlyBudgetUsd: 10,
      thresholds: alarmDefaults("prod").thresholds,
      minTaskCount: 3,
      databaseMaxConnections: 100,
      tenantInsightRules: { requests: "x-tenant-requests", errors: "x-tenant-errors", latency: "x-tenant-latency" },
    };
    expect(JSON.stringify(dashboardBody(refs))).toBe(JSON.stringify(dashboardBody({ ...refs })));
    const metrics = dashboardBody(refs).widgets.filter(isMetricWidget);
    expect(new Set(metrics.map((w) => w.properties.region))).toEqual(new Set(["eu-west-1"]));
  });
});

describe("stacks/monitoring.ts", () => {
  it("passes the stack's validated config to the component", async () => {
    let settings;
    try {
      settings = loadStackSettings(REPO_ROOT, "dev");
    } catch (err) {
      throw err instanceof ProjectError ? new Error(err.message) : err;
    }
    const raw = {
      ...settings.config,
      "saas:alertEmails": '["oncall@example.com"]',
      "saas:p99LatencyMs": "700",
      "saas:monthlyBudgetUsd": "60",
    };
    const config = parseConfig(raw, { stack: "dev" });
    let outputs: Record<string, unknown> = {};
    const p = await Planned.of({
      stack: "dev",
      program: () => {
        outputs = monitoring(config, testContext({ kmsKeyArn: KEY_ARN, namePrefix: config.namePrefix }), {
          ...RESOURCES,
          minTaskCount: 1,
          databaseMaxConnections: 100,
        });
      },
    });
    expect(outputs).toHaveProperty("alertTopicArn");
    expect(Object.keys(outputs).sort()).toEqual(["alertTopicArn", "budgetName", "dashboardName"]);
    expect(p.one(ALARM, "monitoring-alarm-target-p99-latency").inputs.threshold).toBe(0.7);
    expect(p.one("aws:budgets/budget:Budget", "monitoring-budget").inputs).toMatchObject({
      name: `${config.namePrefix}-monthly`,
      limitAmount: "60",
      costFilters: [{ name: "TagKeyValue", values: ["user:Environment$dev"] }],
    });
    expect(p.ofType(SUBSCRIPTION).map((s) => s.inputs.endpoint)).toEqual(["oncall@example.com"]);
    expect(p.ofType(ALARM).map((a) => a.name)).toContain("monitoring-alarm-running-tasks");
  });
});

describe("runbooks", () => {
  const read = (file: string) => fs.readFileSync(path.join(REPO_ROOT, file), "utf8");
  const RUNBOOKS = ["runbooks/alarm-reference.md", "runbooks/incident-response.md"];

  it("use only stack outputs the dev stack really exports", async () => {
    const stack = await Planned.of({ stack: "dev" });
    const outputs = Object.keys(stack.run.outputs);
    for (const file of [...RUNBOOKS, "components/monitoring/README.md"]) {
      const used = [...read(file).matchAll(/pulumi stack output (\w+)/g)].map((m) => m[1]);
      expect(used.length).toBeGreaterThan(0);
      for (const name of used) {
        expect({ file, output: name, exported: outputs.includes(name) }).toEqual({
          file,
          output: name,
          exported: true,
        });
      }
    }
  });

  it("have a section for every alarm the component creates", async () => {
    const p = await plan();
    const headings = [...read("runbooks/alarm-reference.md").matchAll(/^## (\S+)$/gm)].map((m) => m[1]);
    for (const alarm of p.ofType(ALARM)) {
      const anchor = /alarm-reference\.md#([\w-]+)$/.exec(alarm.inputs.alarmDescription as string)?.[1];
      expect(headings).toContain(anchor);
    }
  });
});
