/**
 * Policy documents and cost-alerting settings of the monitoring component. Pure, so each is tested as data.
 */

/** AWS Budgets mails at most 10 addresses per notification. */
export const MAX_ALERT_EMAILS = 10;

/** The AWS services that publish the stack's alerts to its topic. */
export const ALERT_PUBLISHERS = [
  "cloudwatch.amazonaws.com",
  "budgets.amazonaws.com",
  "costalerts.amazonaws.com",
] as const;

/**
 * The alert topic's policy. CloudWatch alarms, AWS Budgets and Cost Anomaly Detection publish as themselves, so
 * each needs the topic policy's permission; the aws:SourceAccount condition keeps another account's alarm or
 * budget from using it (confused deputy). The account's own principals need no statement: IAM policies in the
 * same account grant them access. Publishing without TLS is refused for everyone.
 */
export function alertTopicPolicy(topicArn: string, accountId: string) {
  return {
    Version: "2012-10-17",
    Statement: [
      {
        Sid: "AlarmsBudgetsAndCostAnomaliesPublish",
        Effect: "Allow",
        Principal: { Service: [...ALERT_PUBLISHERS] },
        Action: "sns:Publish",
        Resource: topicArn,
        Condition: { StringEquals: { "aws:SourceAccount": accountId } },
      },
      {
        Sid: "DenyPublishWithoutTls",
        Effect: "Deny",
        Principal: "*",
        Action: "sns:Publish",
        Resource: topicArn,
        Condition: { Bool: { "aws:SecureTransport": "false" } },
      },
    ],
  };
}

/** A tag of the stack's resources, used to attribute cost to the stack. */
export interface CostTag {
  readonly key: string;
  readonly value: string;
}

/**
 * The budget's filter: the stack's cost tag, in the Budgets syntax `user:<key>$<value>`. One tag only: values of
 * one filter are ORed, so adding `user:Project$saas` would widen the budget to every stack of the project
 * instead of narrowing it. The tag must be activated as a cost allocation tag in the Billing console.
 */
export function budgetCostFilters(tag: CostTag) {
  return [{ name: "TagKeyValue", values: [`user:${tag.key}$${tag.value}`] }];
}

/**
 * Budget notifications: 80 % of the limit actually spent (time to look), and 100 % forecast (the month will
 * overrun unless something changes). Both go to the alert topic (and from there to the pager) and straight to
 * the email addresses, which AWS Budgets mails without the subscription confirmation SNS requires.
 */
export function budgetNotifications<T>(topicArn: T, emails: readonly string[]) {
  const to = {
    subscriberSnsTopicArns: [topicArn],
    ...(emails.length > 0 ? { subscriberEmailAddresses: [...emails] } : {}),
  };
  return [
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
  ];
}

/**
 * The anomaly monitor's scope: cost carrying the stack's tag (a CUSTOM monitor). A DIMENSIONAL SERVICE monitor
 * would watch the whole account, and AWS allows only one of those per account, so two stacks could not both
 * create one. The key is the plain tag key: Cost Explorer expressions do not use the `user:` prefix.
 */
export function anomalyMonitorSpecification(tag: CostTag) {
  return { Tags: { Key: tag.key, Values: [tag.value], MatchOptions: ["EQUALS"] } };
}

/**
 * Smallest anomaly worth an alert, in USD of total impact: a tenth of the monthly budget, at least 10 USD, so a
 * dev stack is not paged for cents and a large stack is not silent about hundreds.
 */
export function anomalyImpactThresholdUsd(monthlyBudgetUsd: number): number {
  return Math.max(10, Math.round(monthlyBudgetUsd / 10));
}

/** Alert when an anomaly's total impact reaches `usd`. */
export function anomalyThresholdExpression(usd: number) {
  return {
    dimension: {
      key: "ANOMALY_TOTAL_IMPACT_ABSOLUTE",
      matchOptions: ["GREATER_THAN_OR_EQUAL"],
      values: [String(usd)],
    },
  };
}

/** Why `url` cannot be an alert endpoint, or undefined when it can (or is unset / empty). */
export function httpsEndpointProblem(url: string | undefined): string | undefined {
  if (url === undefined || url === "") {
    return undefined;
  }
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return "expected an https:// URL such as https://events.example.com/integration/sns";
  }
  if (parsed.protocol !== "https:") {
    return "expected an https:// URL: SNS would send alerts over plain HTTP";
  }
  if (parsed.username || parsed.password) {
    return "expected an https:// URL without user:password (credentials in the URL end up in logs)";
  }
  return undefined;
}
