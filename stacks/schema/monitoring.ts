import { z } from "zod";
import { ConfigProblem, RawValues, defineKey, shapeOf } from "./common";
import {
  AlarmThresholds,
  MONTHLY_BUDGET_DEFAULTS,
  MonitoringEnvironment,
  alarmDefaults,
} from "../../components/monitoring/alarms";
import { MAX_ALERT_EMAILS, httpsEndpointProblem } from "../../components/monitoring/alerting";

/**
 * Configuration of monitoring, alerting and cost.
 *
 * Pulumi.yaml defaults are the same for every stack, so the keys whose default depends on the environment
 * declare 0 there, meaning "the environment's default" from components/monitoring/alarms.ts (dev and staging
 * looser, prod tighter). Set a key in Pulumi.<stack>.yaml only to depart from that table.
 */

/** Threshold overrides: config key → field of AlarmThresholds, and the percent keys capped at 100. */
const THRESHOLD_KEYS = {
  alb5xxRatePercent: { field: "alb5xxRatePercent", percent: true, what: "share of requests answered with a 5xx" },
  p99LatencyMs: { field: "p99LatencyMs", percent: false, what: "p99 target response time in milliseconds" },
  serviceCpuPercent: { field: "serviceCpuPercent", percent: true, what: "average CPU of the service's tasks" },
  databaseCpuPercent: { field: "databaseCpuPercent", percent: true, what: "average CPU of the database instance" },
  freeStorageGiB: { field: "freeStorageGiB", percent: false, what: "free database storage in GiB" },
} as const satisfies Record<string, { field: keyof AlarmThresholds; percent: boolean; what: string }>;

type ThresholdKey = keyof typeof THRESHOLD_KEYS;

const envDefaults = (pick: (env: MonitoringEnvironment) => number) =>
  (["dev", "staging", "prod"] as const).map((env) => `${env} ${pick(env)}`).join(", ");

const email = z.email({ error: "expected an email address" });

const zeroOrPositive = (what: string) =>
  z
    .number({ error: `expected 0 (the environment's default) or ${what}` })
    .int({ error: `expected 0 (the environment's default) or ${what}` })
    .min(0, { error: `expected 0 (the environment's default) or ${what}` });

export const MONITORING_KEYS = [
  defineKey({
    key: "alertEmails",
    type: "array",
    items: "string",
    default: [],
    description:
      "Email addresses subscribed to the stack's alerts (each confirms by email) and mailed by the budget; at most 10. At least one address or an alertHttpsEndpoint is required in prod.",
    schema: z.array(email, { error: "expected a list of email addresses" }),
  }),
  defineKey({
    key: "alertHttpsEndpoint",
    type: "string",
    default: "",
    description:
      "An https:// URL subscribed to the alert topic, e.g. a paging service's SNS integration. Set it with `pulumi config set --secret`. Empty: none.",
    schema: z.string({ error: "expected an https:// URL or an empty string" }).superRefine((value, ctx) => {
      const problem = httpsEndpointProblem(value);
      if (problem) {
        ctx.addIssue({ code: "custom", message: problem });
      }
    }),
  }),
  defineKey({
    key: "monthlyBudgetUsd",
    type: "integer",
    default: 0,
    description: `Monthly cost budget of the stack in USD, alerting at 80 % actual and 100 % forecast. 0: the environment's default (${envDefaults((e) => MONTHLY_BUDGET_DEFAULTS[e])}).`,
    schema: zeroOrPositive("a positive whole number of US dollars"),
  }),
  ...(Object.entries(THRESHOLD_KEYS) as [ThresholdKey, (typeof THRESHOLD_KEYS)[ThresholdKey]][]).map(([key, def]) =>
    defineKey({
      key,
      type: "integer",
      default: 0,
      description: `Alarm threshold: ${def.what}. 0: the environment's default (${envDefaults((e) => alarmDefaults(e).thresholds[def.field])}).`,
      schema: def.percent
        ? zeroOrPositive("a percentage from 1 to 100").max(100, {
            error: "expected 0 (the environment's default) or a percentage from 1 to 100",
          })
        : zeroOrPositive("a positive whole number"),
    }),
  ),
] as const;

export const monitoringShape = shapeOf(MONITORING_KEYS);

export interface MonitoringConfig {
  readonly alertEmails: readonly string[];
  /** Undefined when not set. */
  readonly alertHttpsEndpoint?: string;
  /** The budget in USD, the environment's default applied. */
  readonly monthlyBudgetUsd: number;
  /** Every alarm threshold: the environment's defaults with the configured overrides. */
  readonly alarmThresholds: AlarmThresholds;
}

/** Rules between monitoring keys (and keys of other areas), run on the coerced values. */
export function monitoringProblems(values: RawValues): ConfigProblem[] {
  const saas = values.saas ?? {};
  const problems: ConfigProblem[] = [];
  const emails = saas.alertEmails;
  const endpoint = saas.alertHttpsEndpoint;
  // AWS Budgets mails at most 10 addresses per notification; the budget would fail to deploy.
  if (Array.isArray(emails) && emails.length > MAX_ALERT_EMAILS) {
    problems.push({
      path: ["saas", "alertEmails"],
      message: `expected at most ${MAX_ALERT_EMAILS} addresses (AWS Budgets' limit per notification; use a mailing list)`,
    });
  }
  if (saas.environment === "prod" && Array.isArray(emails) && emails.length === 0 && (endpoint ?? "") === "") {
    problems.push({
      path: ["saas", "alertEmails"],
      message:
        "expected at least one address in prod (or set saas:alertHttpsEndpoint): alarms and budget alerts would reach nobody",
    });
  }
  return problems;
}

/** Resolves the environment's defaults; `saas` is the validated project config (it includes `environment`). */
export function toMonitoringConfig(
  saas: z.output<z.ZodObject<typeof monitoringShape>> & { readonly environment: MonitoringEnvironment },
): MonitoringConfig {
  const env = saas.environment;
  const overrides: Partial<Record<keyof AlarmThresholds, number>> = {};
  for (const [key, def] of Object.entries(THRESHOLD_KEYS) as [ThresholdKey, (typeof THRESHOLD_KEYS)[ThresholdKey]][]) {
    if (saas[key] > 0) {
      overrides[def.field] = saas[key];
    }
  }
  return {
    alertEmails: saas.alertEmails,
    ...(saas.alertHttpsEndpoint ? { alertHttpsEndpoint: saas.alertHttpsEndpoint } : {}),
    monthlyBudgetUsd: saas.monthlyBudgetUsd || MONTHLY_BUDGET_DEFAULTS[env],
    alarmThresholds: { ...alarmDefaults(env).thresholds, ...overrides },
  };
}
