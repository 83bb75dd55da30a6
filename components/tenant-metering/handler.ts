/**
 * The usage collector Lambda's entry point (scheduled by components/tenant-metering/collector.ts). Each run:
 *
 *   1. logs in to the database as the metering role with an IAM authentication token (rds-db:connect on that
 *      one user: no password exists to leak or rotate) over TLS verified against the Amazon RDS CAs;
 *   2. reads the tenants' usage since the previous run with collectUsage (./usage.ts: statistics and schema
 *      sizes only, the role can read no tenant row);
 *   3. counts each tenant's requests and 5xx answers over the same period from the service's request log lines
 *      (a Logs Insights query, ./requests.ts);
 *   4. attributes the period's cost (./attribution.ts) and writes the metering record to S3 (./record.ts);
 *   5. publishes the top N tenants' metrics, the rest as `__other__`, and the largest share (./publish.ts).
 *
 * The record is written before the metrics: it is what billing reads. Throttled AWS calls are retried here (the
 * clients make one attempt each, so there is one retry policy, tested); any other failure fails the run with the
 * step it failed in, in the function's log and as a Lambda error (the collector's failure alarm).
 *
 * Environment (set by collector.ts): DB_HOST, DB_PORT, DB_NAME, DB_USER, AWS_REGION, STACK_NAME,
 * METRIC_NAMESPACE, TOP_TENANTS, SERVICE_LOG_GROUP, METERING_BUCKET, MONTHLY_COST (JSON MonthlyCost), and
 * NODE_EXTRA_CA_CERTS=/var/runtime/ca-cert.pem (the Node.js 20+ runtimes load the RDS CAs only when told to).
 */
import { PutMetricDataCommand, type CloudWatchClient, type StandardUnit } from "@aws-sdk/client-cloudwatch";
import { GetQueryResultsCommand, StartQueryCommand, type CloudWatchLogsClient } from "@aws-sdk/client-cloudwatch-logs";
import { PutObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import type { Client, ClientConfig } from "pg";
import { attribute, MonthlyCost } from "./attribution";
import { batchDatums, largestDbTimeShare, periodDatums } from "./publish";
import { buildRecord, meteringKey, MeteringRecord } from "./record";
import { parseRequestCounts, REQUESTS_QUERY, RequestCounts, ResultRow } from "./requests";
import { TenantMeasures, topTenants, topTenantsProblem } from "./topTenants";
import type { UsageSample } from "./usage";

export interface CollectorEnvironment {
  readonly host: string;
  readonly port: number;
  readonly database: string;
  readonly user: string;
  readonly region: string;
  readonly stack: string;
  readonly namespace: string;
  readonly topTenants: number;
  readonly serviceLogGroup: string;
  readonly bucket: string;
  readonly monthlyCost: MonthlyCost;
}

export function readEnvironment(env: NodeJS.ProcessEnv): CollectorEnvironment {
  const problems: string[] = [];
  const need = (name: string) => {
    const v = env[name];
    if (v === undefined || v === "") problems.push(`${name} is not set`);
    return v ?? "";
  };
  const host = need("DB_HOST");
  const portText = need("DB_PORT");
  const database = need("DB_NAME");
  const user = need("DB_USER");
  const region = need("AWS_REGION");
  const stack = need("STACK_NAME");
  const namespace = need("METRIC_NAMESPACE");
  const topText = need("TOP_TENANTS");
  const serviceLogGroup = need("SERVICE_LOG_GROUP");
  const bucket = need("METERING_BUCKET");
  const costText = need("MONTHLY_COST");
  const port = Number(portText);
  if (portText !== "" && (!Number.isInteger(port) || port < 1 || port > 65535)) {
    problems.push(`DB_PORT=${JSON.stringify(portText)} is not a port number`);
  }
  const top = Number(topText);
  const topProblem = topText === "" ? undefined : topTenantsProblem(top);
  if (topProblem) problems.push(`TOP_TENANTS=${JSON.stringify(topText)}: ${topProblem}`);
  let monthlyCost: MonthlyCost = { databaseUsd: 0, computeUsd: 0, loadBalancerUsd: 0, source: "estimate" };
  if (costText !== "") {
    try {
      const c = JSON.parse(costText) as Partial<MonthlyCost>;
      const ok = (v: unknown) => typeof v === "number" && Number.isFinite(v) && v >= 0;
      if (!ok(c.databaseUsd) || !ok(c.computeUsd) || !ok(c.loadBalancerUsd)) throw new Error("amounts");
      if (c.source !== "estimate" && c.source !== "actual") throw new Error("source");
      monthlyCost = c as MonthlyCost;
    } catch {
      problems.push(
        `MONTHLY_COST=${JSON.stringify(costText)} is not {"databaseUsd","computeUsd","loadBalancerUsd": numbers ≥ 0, "source": "estimate" | "actual"}`,
      );
    }
  }
  if (problems.length > 0) throw new Error(`collector misconfigured: ${problems.join("; ")}`);
  return {
    host,
    port,
    database,
    user,
    region,
    stack,
    namespace,
    topTenants: top,
    serviceLogGroup,
    bucket,
    monthlyCost,
  };
}

export interface CollectorDependencies {
  readonly cloudwatch: CloudWatchClient;
  readonly logs: CloudWatchLogsClient;
  readonly s3: S3Client;
  /** Builds the database client; the tests replace TLS, which the embedded server does not offer. */
  readonly newClient: (config: ClientConfig) => Client;
  /** An RDS IAM authentication token for the metering user (valid 15 minutes; a new one per run). */
  readonly authToken: (env: CollectorEnvironment) => Promise<string>;
  readonly collectUsage: (
    client: Client,
    options?: { now?: Date; publish?: (sample: UsageSample) => Promise<void> },
  ) => Promise<UsageSample>;
  /** @default - setTimeout */
  readonly sleep?: (ms: number) => Promise<void>;
  /** @default - JSON on stdout (Lambda's JSON log format) */
  readonly log?: (entry: Record<string, unknown>) => void;
  /** How long to wait for the Logs Insights query. @default 120000 */
  readonly queryTimeoutMs?: number;
}

export interface CollectorReport {
  readonly period: { readonly start: string; readonly end: string };
  readonly tenants: number;
  readonly recordKey: string;
  readonly metricRequests: number;
  readonly datums: number;
  readonly largestShare?: { readonly tenantId: string; readonly percent: number };
  readonly unattributedRequests: number;
  /** From the usage sample: entries pg_stat_statements evicted, and why numbers are not exact. */
  readonly evictedEntries: number;
  readonly caveats: readonly string[];
}

/** Errors AWS answers when a caller goes too fast or a service is briefly unavailable: worth a retry. */
const RETRYABLE = new Set([
  "ThrottlingException",
  "Throttling",
  "TooManyRequestsException",
  "LimitExceededException",
  "RequestLimitExceeded",
  "ServiceUnavailable",
  "ServiceUnavailableException",
  "InternalServiceFault",
]);
export const MAX_ATTEMPTS = 5;
export const BASE_DELAY_MS = 200;

export function isRetryable(e: unknown): boolean {
  const err = e as { name?: string; $metadata?: { httpStatusCode?: number } };
  return RETRYABLE.has(err.name ?? "") || err.$metadata?.httpStatusCode === 429;
}

/** Exponential backoff (200 ms, 400 ms, 800 ms, 1.6 s) for throttling; anything else fails at once. */
async function withRetry<T>(sleep: (ms: number) => Promise<void>, call: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await call();
    } catch (e) {
      if (!isRetryable(e) || attempt >= MAX_ATTEMPTS) throw e;
      await sleep(BASE_DELAY_MS * 2 ** (attempt - 1));
    }
  }
}

export class CollectorError extends Error {
  constructor(
    readonly step: string,
    cause: unknown,
  ) {
    super(`metering failed at ${step}: ${cause instanceof Error ? cause.message : String(cause)}`);
    this.name = "CollectorError";
  }
}

export function clientConfig(env: CollectorEnvironment, token: string): ClientConfig {
  return {
    host: env.host,
    port: env.port,
    database: env.database,
    user: env.user,
    password: token,
    // IAM authentication requires TLS; verification makes a spoofed endpoint fail instead of receiving the token.
    ssl: { rejectUnauthorized: true, servername: env.host },
    application_name: "tenant-metering",
    connectionTimeoutMillis: 10_000,
  };
}

/** Runs the Logs Insights query over [start, end) and returns its rows. */
export async function queryRequestCounts(
  logs: CloudWatchLogsClient,
  env: CollectorEnvironment,
  period: { start: string; end: string },
  sleep: (ms: number) => Promise<void>,
  timeoutMs: number,
): Promise<RequestCounts> {
  const started = await withRetry(sleep, () =>
    logs.send(
      new StartQueryCommand({
        logGroupName: env.serviceLogGroup,
        // Seconds since the epoch; the end is exclusive to the minute the next period starts in.
        startTime: Math.floor(Date.parse(period.start) / 1000),
        endTime: Math.floor(Date.parse(period.end) / 1000) - 1,
        queryString: REQUESTS_QUERY,
        limit: 10_000,
      }),
    ),
  );
  const queryId = started.queryId;
  if (!queryId) throw new Error("StartQuery returned no queryId");
  for (let waited = 0; ;) {
    const out = await withRetry(sleep, () => logs.send(new GetQueryResultsCommand({ queryId })));
    if (out.status === "Complete") return parseRequestCounts((out.results ?? []) as ResultRow[]);
    if (out.status !== "Scheduled" && out.status !== "Running") {
      throw new Error(`Logs Insights query ${queryId} ended ${out.status ?? "without a status"}`);
    }
    if (waited >= timeoutMs)
      throw new Error(`Logs Insights query ${queryId} still ${out.status} after ${timeoutMs} ms`);
    await sleep(1000);
    waited += 1000;
  }
}

/** Joins the database usage with the request counts; every tenant the database knows, even with no requests. */
export function measuresOf(sample: UsageSample, counts: RequestCounts): TenantMeasures[] {
  return sample.tenants.map((u) => {
    const c = counts.byTenant.get(u.tenantId) ?? { requests: 0, errors: 0 };
    return {
      tenantId: u.tenantId,
      dbTimeMs: u.dbTimeMs,
      calls: u.calls,
      rows: u.rows,
      storageBytes: u.storageBytes,
      requests: c.requests,
      errors: c.errors,
    };
  });
}

export function createHandler(deps: CollectorDependencies, environment: () => CollectorEnvironment) {
  const log = deps.log ?? ((entry: Record<string, unknown>) => console.log(JSON.stringify(entry)));
  const sleep = deps.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const queryTimeoutMs = deps.queryTimeoutMs ?? 120_000;
  return async (): Promise<CollectorReport> => {
    let step = "configuration";
    // Once read, the usage snapshot has moved on and the record is written: a failure publishing metrics logs the
    // sample (the record in S3 already has it).
    let read: UsageSample | undefined;
    try {
      const env = environment();
      step = "database usage";
      const client = deps.newClient(clientConfig(env, await deps.authToken(env)));
      await client.connect();
      let sample: UsageSample;
      let published: { measures: ReturnType<typeof measuresOf>; key: string; unattributedRequests: number } | undefined;
      try {
        // The record is written before the usage snapshot commits (collectUsage's publish): if the Logs Insights
        // query or the S3 write fails, the snapshot rolls back and the next run's record covers this period too.
        sample = await deps.collectUsage(client, {
          publish: async (s) => {
            const period = { start: s.periodStart, end: s.periodEnd };
            const periodMs = Date.parse(period.end) - Date.parse(period.start);
            step = "request counts";
            const counts = await queryRequestCounts(deps.logs, env, period, sleep, queryTimeoutMs);
            const m = measuresOf(s, counts);
            step = "metering record";
            const record: MeteringRecord = buildRecord({
              stack: env.stack,
              periodStart: period.start,
              periodEnd: period.end,
              tenants: m,
              platformDbTimeMs: s.otherDbTimeMs,
              caveats: s.caveats,
              cost: env.monthlyCost,
              attribution: attribute(m, env.monthlyCost, periodMs),
            });
            const k = meteringKey(env.stack, period.end);
            await withRetry(sleep, () =>
              deps.s3.send(
                new PutObjectCommand({
                  Bucket: env.bucket,
                  Key: k,
                  Body: JSON.stringify(record),
                  ContentType: "application/json",
                }),
              ),
            );
            published = { measures: m, key: k, unattributedRequests: counts.unattributed.requests };
          },
        });
        read = sample;
      } finally {
        await client.end().catch(() => undefined);
      }
      const period = { start: sample.periodStart, end: sample.periodEnd };
      const periodMs = Date.parse(period.end) - Date.parse(period.start);
      if (published === undefined) throw new Error("collectUsage returned without running publish");
      const { measures, key, unattributedRequests } = published;

      step = "metrics";
      const share = largestDbTimeShare(measures, periodMs);
      const datums = periodDatums(topTenants(measures, env.topTenants), share, new Date(period.end));
      const batches = batchDatums(datums);
      for (const batch of batches) {
        await withRetry(sleep, () =>
          deps.cloudwatch.send(
            new PutMetricDataCommand({
              Namespace: env.namespace,
              MetricData: batch.map((d) => ({
                ...d,
                Unit: d.Unit as StandardUnit,
                Dimensions: d.Dimensions?.map((x) => ({ ...x })),
              })),
            }),
          ),
        );
      }
      const report: CollectorReport = {
        period,
        tenants: measures.length,
        recordKey: key,
        metricRequests: batches.length,
        datums: datums.length,
        ...(share ? { largestShare: share } : {}),
        unattributedRequests,
        evictedEntries: sample.evictedEntries,
        caveats: sample.caveats,
      };
      log({ msg: "done", report });
      return report;
    } catch (e) {
      const error = e instanceof CollectorError ? e : new CollectorError(step, e);
      log({ msg: "failed", step, error: error.message, ...(read ? { unpublishedUsage: read } : {}) });
      throw error;
    }
  };
}

let cached: ReturnType<typeof createHandler> | undefined;

/** `index.handler` in the bundle. Clients are created once per execution environment, as AWS recommends. */
export async function handler(): Promise<CollectorReport> {
  if (cached === undefined) {
    const [{ CloudWatchClient }, { CloudWatchLogsClient }, { S3Client }, { Signer }, pg, usage] = await Promise.all([
      import("@aws-sdk/client-cloudwatch"),
      import("@aws-sdk/client-cloudwatch-logs"),
      import("@aws-sdk/client-s3"),
      import("@aws-sdk/rds-signer"),
      import("pg"),
      import("./usage"),
    ]);
    // One attempt per client call: throttling is retried by withRetry, one policy for every call.
    const single = { maxAttempts: 1 };
    cached = createHandler(
      {
        cloudwatch: new CloudWatchClient(single),
        logs: new CloudWatchLogsClient(single),
        s3: new S3Client(single),
        newClient: (c) => new pg.Client(c),
        authToken: (env) =>
          new Signer({ hostname: env.host, port: env.port, username: env.user, region: env.region }).getAuthToken(),
        collectUsage: usage.collectUsage,
      },
      () => readEnvironment(process.env),
    );
  }
  return cached();
}
