import { z } from "zod";
import { ConfigKey, ConfigProblem, RawValues } from "./common";

/** Configuration of monitoring, alerting and cost. */

export const MONITORING_KEYS: readonly ConfigKey[] = [
  {
    key: "alertEmails",
    type: "array",
    default: [],
    description: "Email addresses subscribed to the stack's alerts.",
  },
];

const email = z.email({ error: "expected an email address" });

export const monitoringShape = {
  alertEmails: z.array(email, { error: "expected a list of email addresses" }),
};

export interface MonitoringConfig {
  readonly alertEmails: readonly string[];
}

/** Rules between monitoring keys (and keys of other areas), run on the coerced values. */
export function monitoringProblems(_values: RawValues): ConfigProblem[] {
  return [];
}

export function toMonitoringConfig(saas: z.output<z.ZodObject<typeof monitoringShape>>): MonitoringConfig {
  return { alertEmails: saas.alertEmails };
}
