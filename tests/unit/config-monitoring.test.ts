import { parseConfig } from "../../stacks/config";
import { DEV, PROD, configProblems } from "../support/config";
import { alarmDefaults } from "../../components/monitoring/alarms";

const problems = configProblems;

describe("monitoring configuration", () => {
  it("gives dev its environment's defaults when nothing is set", () => {
    expect(parseConfig(DEV, { stack: "dev" }).monitoring).toEqual({
      alertEmails: [],
      monthlyBudgetUsd: 250, // 80 % of it (200) stays above the dev estimate (README)
      alarmThresholds: alarmDefaults("dev").thresholds,
    });
  });

  it("gives prod a larger budget, tighter thresholds and its on-call address", () => {
    expect(parseConfig(PROD, { stack: "prod" }).monitoring).toEqual({
      alertEmails: ["platform-oncall@example.com"],
      monthlyBudgetUsd: 1500,
      alarmThresholds: alarmDefaults("prod").thresholds,
    });
    expect(alarmDefaults("prod").thresholds).toMatchObject({
      alb5xxRatePercent: 2,
      p99LatencyMs: 1500,
      serviceCpuPercent: 80,
      databaseCpuPercent: 80,
      freeStorageGiB: 10,
    });
  });

  it("applies overrides over the environment's defaults, 0 meaning the default", () => {
    const config = parseConfig(
      {
        ...DEV,
        "saas:alertEmails": '["oncall@example.com","team@example.com"]',
        "saas:alertHttpsEndpoint": "https://events.example.com/integration/abc",
        "saas:monthlyBudgetUsd": "250",
        "saas:alb5xxRatePercent": "5",
        "saas:p99LatencyMs": "800",
        "saas:serviceCpuPercent": "0",
        "saas:databaseCpuPercent": "70",
        "saas:freeStorageGiB": "4",
      },
      { stack: "dev" },
    );
    expect(config.monitoring).toEqual({
      alertEmails: ["oncall@example.com", "team@example.com"],
      alertHttpsEndpoint: "https://events.example.com/integration/abc",
      monthlyBudgetUsd: 250,
      alarmThresholds: {
        ...alarmDefaults("dev").thresholds,
        alb5xxRatePercent: 5,
        p99LatencyMs: 800,
        databaseCpuPercent: 70,
        freeStorageGiB: 4,
      },
    });
  });

  it.each<[string, Record<string, string>, string]>([
    [
      "a negative threshold",
      { "saas:p99LatencyMs": "-5" },
      "saas:p99LatencyMs: expected 0 (the environment's default) or a positive whole number, got -5",
    ],
    [
      "a fractional threshold",
      { "saas:freeStorageGiB": "2.5" },
      "saas:freeStorageGiB: expected 0 (the environment's default) or a positive whole number, got 2.5",
    ],
    [
      "a percentage above 100",
      { "saas:serviceCpuPercent": "120" },
      "saas:serviceCpuPercent: expected 0 (the environment's default) or a percentage from 1 to 100, got 120",
    ],
    [
      "a negative percentage",
      { "saas:alb5xxRatePercent": "-1" },
      "saas:alb5xxRatePercent: expected 0 (the environment's default) or a percentage from 1 to 100, got -1",
    ],
    [
      "a threshold that is not a number",
      { "saas:databaseCpuPercent": "high" },
      `saas:databaseCpuPercent: expected 0 (the environment's default) or a percentage from 1 to 100, got "high"`,
    ],
    [
      "a malformed email",
      { "saas:alertEmails": '["oncall@example.com","oncall-at-example.com"]' },
      'saas:alertEmails[1]: expected an email address, got "oncall-at-example.com"',
    ],
    [
      "emails that are not a list",
      { "saas:alertEmails": "oncall@example.com" },
      'saas:alertEmails: expected a list of email addresses, got "oncall@example.com"',
    ],
    [
      "more than ten emails",
      {
        "saas:alertEmails": JSON.stringify(Array.from({ length: 11 }, (_, i) => `p${i}@example.com`)),
      },
      "saas:alertEmails: expected at most 10 addresses (AWS Budgets' limit per notification; use a mailing list), got " +
        JSON.stringify(Array.from({ length: 11 }, (_, i) => `p${i}@example.com`)),
    ],
    [
      "an http endpoint",
      { "saas:alertHttpsEndpoint": "http://events.example.com/hook" },
      'saas:alertHttpsEndpoint: expected an https:// URL: SNS would send alerts over plain HTTP, got "http://events.example.com/hook"',
    ],
    [
      "an endpoint that is not a URL",
      { "saas:alertHttpsEndpoint": "pagerduty" },
      'saas:alertHttpsEndpoint: expected an https:// URL such as https://events.example.com/integration/sns, got "pagerduty"',
    ],
    [
      "a negative budget",
      { "saas:monthlyBudgetUsd": "-100" },
      "saas:monthlyBudgetUsd: expected 0 (the environment's default) or a positive whole number of US dollars, got -100",
    ],
  ])("rejects %s", (_what, values, message) => {
    expect(problems({ ...DEV, ...values })).toEqual([message]);
  });

  it("reports every monitoring problem at once", () => {
    expect(
      problems({
        ...DEV,
        "saas:p99LatencyMs": "-1",
        "saas:alertHttpsEndpoint": "ftp://x.example.com",
        "saas:monthlyBudgetUsd": "-2",
      }),
    ).toHaveLength(3);
  });

  it("requires someone to alert in prod", () => {
    expect(problems({ ...PROD, "saas:alertEmails": "[]" }, "prod")).toEqual([
      "saas:alertEmails: expected at least one address in prod (or set saas:alertHttpsEndpoint): alarms and budget alerts would reach nobody, got []",
    ]);
    expect(
      problems(
        { ...PROD, "saas:alertEmails": "[]", "saas:alertHttpsEndpoint": "https://events.example.com/x" },
        "prod",
      ),
    ).toEqual([]);
    // Dev may run without recipients: the topic still records every alarm.
    expect(problems({ ...DEV, "saas:alertEmails": "[]" })).toEqual([]);
  });
});
