import { CloudWatchClient, PutMetricDataCommand } from "@aws-sdk/client-cloudwatch";
import { CloudWatchLogsClient, GetQueryResultsCommand, StartQueryCommand } from "@aws-sdk/client-cloudwatch-logs";
import { PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { mockClient } from "aws-sdk-client-mock";
import type { Client, ClientConfig } from "pg";
import { CollectorDependencies, createHandler, readEnvironment } from "../../components/tenant-metering/handler";
import { batchDatums, Datum, encodedSize } from "../../components/tenant-metering/publish";
import { meteringRecordSchema } from "../../components/tenant-metering/record";
import { REQUESTS_QUERY } from "../../components/tenant-metering/requests";
import type { UsageSample } from "../../components/tenant-metering/usage";

/**
 * The collector's AWS side against aws-sdk-client-mock. What the mocks assume of AWS, from the API references:
 * - CloudWatch PutMetricData takes at most 1,000 metrics and 1 MB per request (API_PutMetricData).
 * - Logs StartQuery takes startTime/endTime in seconds since the epoch and returns a queryId; GetQueryResults
 *   answers Scheduled/Running until Complete, with `results` as lists of `{field, value}` (API_StartQuery,
 *   API_GetQueryResults). A throttled call fails with ThrottlingException (CloudWatch: "Throttling"); too many
 *   concurrent queries with LimitExceededException.
 */
const cloudwatch = mockClient(CloudWatchClient);
const logs = mockClient(CloudWatchLogsClient);
const s3 = mockClient(S3Client);

const ENV = {
  DB_HOST: "db.internal",
  DB_PORT: "5432",
  DB_NAME: "saas",
  DB_USER: "metering",
  AWS_REGION: "us-east-1",
  STACK_NAME: "saas-dev",
  METRIC_NAMESPACE: "saas-dev/tenants",
  TOP_TENANTS: "2",
  SERVICE_LOG_GROUP: "/ecs/saas-dev-service",
  METERING_BUCKET: "saas-dev-metering-abc",
  MONTHLY_COST: JSON.stringify({ databaseUsd: 730, computeUsd: 365, loadBalancerUsd: 73, source: "estimate" }),
};

const SAMPLE: UsageSample = {
  periodStart: "2026-12-01T10:00:00.000Z",
  periodEnd: "2026-12-01T11:00:00.000Z",
  tenants: [
    { tenantId: "acme", dbTimeMs: 90_000, calls: 900, rows: 9000, storageBytes: 1000 },
    { tenantId: "globex", dbTimeMs: 30_000, calls: 300, rows: 3000, storageBytes: 3000 },
    { tenantId: "initech", dbTimeMs: 20_000, calls: 200, rows: 2000, storageBytes: 500 },
    { tenantId: "umbrella", dbTimeMs: 10_000, calls: 100, rows: 1000, storageBytes: 500 },
  ],
  otherDbTimeMs: 1234,
  evictedEntries: 0,
  caveats: [],
};

const row = (tenantId: string, statusClass: number, requests: number) => [
  { field: "tenantId", value: tenantId },
  { field: "statusClass", value: String(statusClass) },
  { field: "requests", value: String(requests) },
];

interface Harness {
  deps: CollectorDependencies;
  logged: Record<string, unknown>[];
  sleeps: number[];
  configs: ClientConfig[];
  ended: number;
}

function harness(overrides: Partial<CollectorDependencies> = {}): Harness {
  const h: Harness = { deps: undefined as never, logged: [], sleeps: [], configs: [], ended: 0 };
  h.deps = {
    cloudwatch: new CloudWatchClient({ region: "us-east-1" }),
    logs: new CloudWatchLogsClient({ region: "us-east-1" }),
    s3: new S3Client({ region: "us-east-1" }),
    newClient: (config) => {
      h.configs.push(config);
      return {
        connect: async () => undefined,
        end: async () => {
          h.ended++;
        },
      } as unknown as Client;
    },
    authToken: async (env) => `token-for-${env.user}@${env.host}:${env.port}`,
    // As the real collectUsage: publish runs before the snapshot commits, and its error is collectUsage's.
    collectUsage: async (_client, options) => {
      await options?.publish?.(SAMPLE);
      return SAMPLE;
    },
    sleep: async (ms) => {
      h.sleeps.push(ms);
    },
    log: (e) => h.logged.push(e),
    queryTimeoutMs: 3000,
    ...overrides,
  };
  return h;
}

const run = (h: Harness, env: Record<string, string> = ENV) => createHandler(h.deps, () => readEnvironment(env))();

beforeEach(() => {
  cloudwatch.reset();
  logs.reset();
  s3.reset();
  cloudwatch.on(PutMetricDataCommand).resolves({});
  s3.on(PutObjectCommand).resolves({});
  logs.on(StartQueryCommand).resolves({ queryId: "q-1" });
  logs
    .on(GetQueryResultsCommand)
    .resolvesOnce({ status: "Running" })
    .resolves({
      status: "Complete",
      results: [row("acme", 2, 95), row("acme", 5, 5), row("globex", 2, 50), row("umbrella", 4, 10), row("null", 4, 7)],
    });
});

describe("collector handler", () => {
  it("logs in as the metering user with an IAM token over verified TLS", async () => {
    const h = harness();
    await run(h);
    expect(h.configs).toEqual([
      {
        host: "db.internal",
        port: 5432,
        database: "saas",
        user: "metering",
        password: "token-for-metering@db.internal:5432",
        ssl: { rejectUnauthorized: true, servername: "db.internal" },
        application_name: "tenant-metering",
        connectionTimeoutMillis: 10_000,
      },
    ]);
    expect(h.ended).toBe(1);
  });

  it("counts requests with the Logs Insights query over the sample's period, in seconds", async () => {
    await run(harness());
    expect(logs.commandCalls(StartQueryCommand).map((c) => c.args[0].input)).toEqual([
      {
        logGroupName: "/ecs/saas-dev-service",
        startTime: 1_796_119_200, // 2026-12-01T10:00:00Z
        endTime: 1_796_122_799, // StartQuery's end is inclusive: one second before the next period
        queryString:
          'filter msg = "request" | fields floor(status / 100) as statusClass | stats count(*) as requests by tenantId, statusClass | limit 10000',
        limit: 10_000,
      },
    ]);
    expect(REQUESTS_QUERY).toBe(logs.commandCalls(StartQueryCommand)[0].args[0].input.queryString);
    expect(logs.commandCalls(GetQueryResultsCommand).map((c) => c.args[0].input)).toEqual([
      { queryId: "q-1" },
      { queryId: "q-1" },
    ]);
  });

  it("publishes exactly the top N tenants, the rest as __other__, and the largest share", async () => {
    const h = harness();
    const report = await run(h);
    const calls = cloudwatch.commandCalls(PutMetricDataCommand);
    expect(calls).toHaveLength(1);
    const input = calls[0].args[0].input;
    expect(input.Namespace).toBe("saas-dev/tenants");
    const at = new Date("2026-12-01T11:00:00.000Z");
    const tenant = (
      id: string,
      db: number,
      calls_: number,
      rows: number,
      storage: number,
      req: number,
      err: number,
    ) => [
      {
        MetricName: "DatabaseTime",
        Dimensions: [{ Name: "Tenant", Value: id }],
        Timestamp: at,
        Value: db,
        Unit: "Milliseconds",
      },
      { MetricName: "Calls", Dimensions: [{ Name: "Tenant", Value: id }], Timestamp: at, Value: calls_, Unit: "Count" },
      { MetricName: "Rows", Dimensions: [{ Name: "Tenant", Value: id }], Timestamp: at, Value: rows, Unit: "Count" },
      {
        MetricName: "StorageBytes",
        Dimensions: [{ Name: "Tenant", Value: id }],
        Timestamp: at,
        Value: storage,
        Unit: "Bytes",
      },
      { MetricName: "Requests", Dimensions: [{ Name: "Tenant", Value: id }], Timestamp: at, Value: req, Unit: "Count" },
      { MetricName: "Errors", Dimensions: [{ Name: "Tenant", Value: id }], Timestamp: at, Value: err, Unit: "Count" },
    ];
    expect(input.MetricData).toEqual([
      ...tenant("acme", 90_000, 900, 9000, 1000, 100, 5),
      ...tenant("globex", 30_000, 300, 3000, 3000, 50, 0),
      // initech and umbrella summed
      ...tenant("__other__", 30_000, 300, 3000, 1000, 10, 0),
      // acme: 90 of 150 seconds of tenant database time
      { MetricName: "MaxTenantDbTimeShare", Timestamp: at, Value: 60, Unit: "Percent" },
    ]);
    expect(report).toEqual({
      period: { start: "2026-12-01T10:00:00.000Z", end: "2026-12-01T11:00:00.000Z" },
      tenants: 4,
      recordKey: "metering/saas-dev/2026/12/01/2026-12-01T11:00:00.000Z.json",
      metricRequests: 1,
      datums: 19,
      largestShare: { tenantId: "acme", percent: 60 },
      unattributedRequests: 7,
      evictedEntries: 0,
      caveats: [],
    });
    expect(h.logged).toEqual([{ msg: "done", report }]);
  });

  it("writes the metering record to the bucket under the metering prefix, before the metrics", async () => {
    const order: string[] = [];
    s3.on(PutObjectCommand).callsFake(async () => {
      order.push("record");
      return {};
    });
    cloudwatch.on(PutMetricDataCommand).callsFake(async () => {
      order.push("metrics");
      return {};
    });
    await run(harness());
    expect(order).toEqual(["record", "metrics"]);
    const put = s3.commandCalls(PutObjectCommand)[0].args[0].input;
    expect(put.Bucket).toBe("saas-dev-metering-abc");
    expect(put.Key).toBe("metering/saas-dev/2026/12/01/2026-12-01T11:00:00.000Z.json");
    expect(put.ContentType).toBe("application/json");
    const record = meteringRecordSchema.parse(JSON.parse(put.Body as string));
    expect(record.tenants.map((t) => [t.tenantId, t.usage.requests, t.usage.errors])).toEqual([
      ["acme", 100, 5],
      ["globex", 50, 0],
      ["initech", 0, 0],
      ["umbrella", 10, 0],
    ]);
    expect(record.platform).toEqual({ dbTimeMs: 1234 });
    expect(record.caveats).toEqual([]);
    // One hour: $1 + $0.5 + $0.1
    expect(record.costUsd).toBe(1.6);
    expect(record.tenants.reduce((s, t) => s + Math.round(t.sharePercent * 10_000), 0)).toBe(1_000_000);
  });

  it("retries throttled calls with exponential backoff", async () => {
    const throttled = Object.assign(new Error("Rate exceeded"), { name: "Throttling" });
    cloudwatch.on(PutMetricDataCommand).rejectsOnce(throttled).rejectsOnce(throttled).resolves({});
    const limit = Object.assign(new Error("too many queries"), { name: "LimitExceededException" });
    logs.on(StartQueryCommand).rejectsOnce(limit).resolves({ queryId: "q-1" });
    const h = harness();
    await run(h);
    expect(cloudwatch.commandCalls(PutMetricDataCommand)).toHaveLength(3);
    expect(logs.commandCalls(StartQueryCommand)).toHaveLength(2);
    // StartQuery's retry, the query's one poll, PutMetricData's two retries
    expect(h.sleeps).toEqual([200, 1000, 200, 400]);
  });

  it("gives up after five throttled attempts and reports the step", async () => {
    const throttled = Object.assign(new Error("Rate exceeded"), { name: "Throttling" });
    cloudwatch.on(PutMetricDataCommand).rejects(throttled);
    const h = harness();
    await expect(run(h)).rejects.toThrow("metering failed at metrics: Rate exceeded");
    expect(cloudwatch.commandCalls(PutMetricDataCommand)).toHaveLength(5);
    // The usage snapshot has moved on: the sample is in the log, so the period can be recovered by hand.
    expect(h.logged).toEqual([
      { msg: "failed", step: "metrics", error: "metering failed at metrics: Rate exceeded", unpublishedUsage: SAMPLE },
    ]);
  });

  it("does not retry an error that is not throttling", async () => {
    const denied = Object.assign(new Error("not authorized to perform: s3:PutObject"), { name: "AccessDenied" });
    s3.on(PutObjectCommand).rejects(denied);
    const h = harness();
    await expect(run(h)).rejects.toThrow("metering failed at metering record: not authorized to perform: s3:PutObject");
    expect(s3.commandCalls(PutObjectCommand)).toHaveLength(1);
    expect(cloudwatch.commandCalls(PutMetricDataCommand)).toHaveLength(0);
  });

  it("fails when the query fails, and publishes nothing", async () => {
    logs.on(GetQueryResultsCommand).resolves({ status: "Failed" });
    await expect(run(harness())).rejects.toThrow(
      "metering failed at request counts: Logs Insights query q-1 ended Failed",
    );
    expect(s3.commandCalls(PutObjectCommand)).toHaveLength(0);
    expect(cloudwatch.commandCalls(PutMetricDataCommand)).toHaveLength(0);
  });

  it("fails when the query does not finish in time", async () => {
    logs.on(GetQueryResultsCommand).resolves({ status: "Running" });
    await expect(run(harness())).rejects.toThrow(
      "metering failed at request counts: Logs Insights query q-1 still Running after 3000 ms",
    );
  });

  it("fails at the database step when usage cannot be read, and closes the connection", async () => {
    const h = harness({
      collectUsage: async () => {
        throw new Error("permission denied for view pg_stat_statements");
      },
    });
    await expect(run(h)).rejects.toThrow(
      "metering failed at database usage: permission denied for view pg_stat_statements",
    );
    expect(h.ended).toBe(1);
  });

  it("names every missing or bad setting", async () => {
    const h = harness();
    const env = { ...ENV, DB_PORT: "x", TOP_TENANTS: "0", MONTHLY_COST: "{}", METERING_BUCKET: "" };
    await expect(run(h, env)).rejects.toThrow(
      'metering failed at configuration: collector misconfigured: METERING_BUCKET is not set; DB_PORT="x" is not a port number; ' +
        'TOP_TENANTS="0": topTenants: expected an integer from 1 to 100, got 0; ' +
        'MONTHLY_COST="{}" is not {"databaseUsd","computeUsd","loadBalancerUsd": numbers ≥ 0, "source": "estimate" | "actual"}',
    );
  });
});

describe("PutMetricData batching", () => {
  const datum = (i: number, value = "x"): Datum => ({
    MetricName: "DatabaseTime",
    Dimensions: [{ Name: "Tenant", Value: `${value}${i}` }],
    Timestamp: new Date("2026-12-01T11:00:00.000Z"),
    Value: i,
    Unit: "Milliseconds",
  });

  it("puts 1,000 datums in one request and the 1,001st in a second", () => {
    expect(batchDatums(Array.from({ length: 1000 }, (_, i) => datum(i))).map((b) => b.length)).toEqual([1000]);
    expect(batchDatums(Array.from({ length: 1001 }, (_, i) => datum(i))).map((b) => b.length)).toEqual([1000, 1]);
  });

  it("starts a new request before 1 MB (long dimension values)", () => {
    const long = "v".repeat(1000);
    const datums = Array.from({ length: 1000 }, (_, i) => datum(i, long));
    const batches = batchDatums(datums);
    expect(batches.length).toBeGreaterThan(1);
    for (const b of batches) {
      expect(b.length).toBeLessThanOrEqual(1000);
      expect(200 + b.reduce((s, d, i) => s + encodedSize(d, i), 0)).toBeLessThanOrEqual(1_000_000);
    }
    expect(batches.flat()).toEqual(datums);
  });

  it("sends the batches of a large stack as separate requests", async () => {
    const many: UsageSample = {
      ...SAMPLE,
      tenants: Array.from({ length: 1000 }, (_, i) => ({
        tenantId: `t${String(i).padStart(4, "0")}`,
        dbTimeMs: i,
        calls: 1,
        rows: 1,
        storageBytes: 1,
      })),
    };
    const h = harness({
      collectUsage: async (_client, options) => {
        await options?.publish?.(many);
        return many;
      },
    });
    const report = await run(h, { ...ENV, TOP_TENANTS: "100" });
    // (100 + 1) × 6 + 1 = 607 datums: one request
    expect(report.datums).toBe(607);
    expect(cloudwatch.commandCalls(PutMetricDataCommand)).toHaveLength(1);
    expect(
      new Set(
        cloudwatch.commandCalls(PutMetricDataCommand)[0].args[0].input.MetricData?.map((d) => d.Dimensions?.[0]?.Value),
      ).size,
    ).toBe(
      102, // 100 tenants, __other__, and the share (no dimension)
    );
  });
});
