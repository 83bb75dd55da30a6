import type { wafv2 } from "@pulumi/aws/types/input";

/**
 * The load balancer's AWS WAF rules and logging settings, as plain data: the resource code in webAcl.ts passes
 * them to @pulumi/aws unchanged, the config schema checks rate limits with the same bounds, and the tests read
 * exactly what AWS receives. Pure.
 */

/** Rate-based rules count requests over this window (AWS WAF accepts 60, 120, 300 or 600 seconds). */
export const WAF_RATE_WINDOW_SECONDS = 300;

/** The bounds AWS WAF accepts for a rate-based rule's limit (RateBasedStatement `Limit`, WAFV2 API reference). */
export const MIN_WAF_RATE_LIMIT = 10;
export const MAX_WAF_RATE_LIMIT = 2_000_000_000;

/** Requests per rate window before the web ACL blocks a source. */
export interface WafRateLimits {
  /** Per client IP address. */
  readonly perIp: number;
  /** Per value of the Authorization header (one bearer token); 0 is off. */
  readonly perToken: number;
}

/** Default limits: about 6.7 requests per second per address, 3.3 per token, sustained over five minutes. */
export const DEFAULT_WAF_RATE_LIMITS: WafRateLimits = { perIp: 2000, perToken: 1000 };

/**
 * The header WAF logs must never show: it carries the caller's bearer token. WAF compares header names
 * case-insensitively; the lowercase name is how HTTP/2 sends it.
 */
export const REDACTED_HEADER = "authorization";

/** What is wrong with the limits, one message each naming the field. */
export function wafRateLimitProblems(limits: WafRateLimits, argument = "wafRateLimits"): string[] {
  const problems: string[] = [];
  const inRange = (n: number) => Number.isInteger(n) && n >= MIN_WAF_RATE_LIMIT && n <= MAX_WAF_RATE_LIMIT;
  if (!inRange(limits.perIp)) {
    problems.push(
      `${argument}.perIp: expected an integer from ${MIN_WAF_RATE_LIMIT} to ${MAX_WAF_RATE_LIMIT} (AWS WAF's bounds), got ${JSON.stringify(limits.perIp)}`,
    );
  }
  if (limits.perToken !== 0 && !inRange(limits.perToken)) {
    problems.push(
      `${argument}.perToken: expected 0 (off) or an integer from ${MIN_WAF_RATE_LIMIT} to ${MAX_WAF_RATE_LIMIT}, got ${JSON.stringify(limits.perToken)}`,
    );
  }
  return problems;
}

/** CloudWatch metrics and sampled requests for a rule or the web ACL, named `<namePrefix>-<suffix>`. */
export function visibility(metricName: string) {
  return { cloudwatchMetricsEnabled: true, sampledRequestsEnabled: true, metricName };
}

/**
 * Rules of the common rule set that only count instead of block: its BODY rules. The header, URI and query
 * string rules keep blocking.
 *
 * - `SizeRestrictions_BODY` blocks bodies over 8 KB, but the service accepts notes of up to 10,000 characters
 *   and answers 413 itself above its own limit (app/README.md).
 * - `CrossSiteScripting_BODY`, `GenericLFI_BODY`, `GenericRFI_BODY`, `EC2MetaDataSSRF_BODY` match `<script>`,
 *   `../`, URLs and `169.254.169.254` in a body (AWS WAF developer guide, "Baseline rule groups", core rule set),
 *   which is legitimate note text. The API is JSON only: note text is bound as a query parameter, never
 *   concatenated into SQL, returned as JSON (`application/json`), never rendered as HTML, and never used as a
 *   path or fetched as a URL, so none of these attacks applies; a block would be WAF's plain 403 on a user's note.
 */
export const COMMON_RULE_SET_COUNT_ONLY = [
  "SizeRestrictions_BODY",
  "CrossSiteScripting_BODY",
  "GenericLFI_BODY",
  "GenericRFI_BODY",
  "EC2MetaDataSSRF_BODY",
] as const;

/** One of AWS's managed rule groups, in its own default actions (`overrideAction: none`) but for `countOnly`. */
function managedRuleGroup(
  namePrefix: string,
  name: string,
  priority: number,
  countOnly: readonly string[] = [],
): wafv2.WebAclRule {
  return {
    name,
    priority,
    overrideAction: { none: {} },
    statement: {
      managedRuleGroupStatement: {
        vendorName: "AWS",
        name,
        ...(countOnly.length > 0
          ? { ruleActionOverrides: countOnly.map((rule) => ({ name: rule, actionToUse: { count: {} } })) }
          : {}),
      },
    },
    visibilityConfig: visibility(`${namePrefix}-${name}`),
  };
}

/**
 * The web ACL's rules, in evaluation order:
 *
 * 1. rate per IP (blocks floods before any other rule spends time on them),
 * 2. rate per Authorization header: one token, so one tenant's client, cannot take the whole service from the
 *    others even from many addresses. AWS WAF cannot read a JWT's claims, so the token stands in for the tenant;
 *    requests without the header are not counted by this rule (AWS WAF: "All of the request components that you
 *    specify in the aggregation key must be present") and stay limited per IP.
 * 3. AWSManagedRulesKnownBadInputsRuleSet (Log4Shell, Java deserialisation, host-header tricks),
 * 4. AWSManagedRulesCommonRuleSet (OWASP-style XSS, LFI, size limits on the URI and query; the body rules
 *    only count, COMMON_RULE_SET_COUNT_ONLY).
 *
 * Priorities are spaced by 10 so a rule can be put between two without renumbering.
 */
export function wafRules(namePrefix: string, limits: WafRateLimits): wafv2.WebAclRule[] {
  const rules: wafv2.WebAclRule[] = [
    {
      name: "rate-per-ip",
      priority: 10,
      action: { block: {} },
      statement: {
        rateBasedStatement: {
          limit: limits.perIp,
          aggregateKeyType: "IP",
          evaluationWindowSec: WAF_RATE_WINDOW_SECONDS,
        },
      },
      visibilityConfig: visibility(`${namePrefix}-rate-per-ip`),
    },
  ];
  if (limits.perToken > 0) {
    rules.push({
      name: "rate-per-token",
      priority: 20,
      action: { block: {} },
      statement: {
        rateBasedStatement: {
          limit: limits.perToken,
          aggregateKeyType: "CUSTOM_KEYS",
          evaluationWindowSec: WAF_RATE_WINDOW_SECONDS,
          customKeys: [{ header: { name: REDACTED_HEADER, textTransformations: [{ priority: 0, type: "NONE" }] } }],
        },
      },
      visibilityConfig: visibility(`${namePrefix}-rate-per-token`),
    });
  }
  rules.push(
    managedRuleGroup(namePrefix, "AWSManagedRulesKnownBadInputsRuleSet", 30),
    managedRuleGroup(namePrefix, "AWSManagedRulesCommonRuleSet", 40, COMMON_RULE_SET_COUNT_ONLY),
  );
  return rules;
}

/**
 * The log group WAF logs to. AWS WAF only delivers to a CloudWatch Logs group whose name starts with
 * `aws-waf-logs-` (AWS WAF developer guide, "Sending web ACL traffic logs to an Amazon CloudWatch Logs log group").
 */
export function wafLogGroupName(namePrefix: string): string {
  return `aws-waf-logs-${namePrefix}`;
}

/**
 * The log group's resource policy: the log delivery service may write this group's streams for web ACLs of this
 * account only, the policy the WAF guide shows for CloudWatch Logs destinations (AWS creates the same one itself
 * when the caller may, but a policy per web ACL would run into the 10 resource policies an account may have per
 * region; this one is explicit and scoped).
 */
export function wafLogDeliveryPolicy(a: { partition: string; region: string; account: string; logGroupArn: string }) {
  return {
    Version: "2012-10-17",
    Statement: [
      {
        Sid: "WafLogDelivery",
        Effect: "Allow",
        Principal: { Service: "delivery.logs.amazonaws.com" },
        Action: ["logs:CreateLogStream", "logs:PutLogEvents"],
        Resource: `${a.logGroupArn}:log-stream:*`,
        Condition: {
          StringEquals: { "aws:SourceAccount": a.account },
          ArnLike: { "aws:SourceArn": `arn:${a.partition}:logs:${a.region}:${a.account}:*` },
        },
      },
    ],
  };
}
