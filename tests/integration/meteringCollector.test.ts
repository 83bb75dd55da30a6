/**
 * The collector handler end to end on a real PostgreSQL 16 (pg_stat_statements preloaded, as the stack's parameter
 * group sets it): three tenants provisioned by the provisioner core as an RDS-like master and migrated, uneven
 * load over real HTTP through the reference service, then ONE run of the Lambda handler (createHandler) with the
 * real collectUsage logging in as the metering role. The record it writes must validate against the committed
 * JSON Schema, count every request the test sent to each tenant, rank the tenants as their load, and attribute
 * 100 % of the period's cost; the metrics must name the top N and sum the rest.
 *
 * Stand-ins, and what they assume:
 * - The metering login uses a password a superuser gives it; in AWS it logs in with an IAM token (RDS User
 *   Guide, "IAM database authentication"). The test server has no TLS, so the client's `ssl` is dropped.
 * - CloudWatch Logs Insights is replaced by a fake of StartQuery/GetQueryResults that runs REQUESTS_QUERY's
 *   meaning over the service's own stdout lines (the C4 request lines, which awslogs ships one event per line):
 *   `filter msg = "request"`, `floor(status / 100) as statusClass`, `stats count(*) by tenantId, statusClass`,
 *   over events whose time is in [startTime, endTime] seconds, both inclusive (CloudWatch Logs API Reference,
 *   StartQuery). Logs Insights discovers the fields of JSON events itself (User Guide, "Supported logs and
 *   discovered fields"). S3 and CloudWatch are aws-sdk-client-mock stubs that record the calls.
 */
import * as fs from "fs";
import path from "path";
import Ajv2020 from "ajv/dist/2020";
import { Client } from "pg";
import { CloudWatchClient, PutMetricDataCommand } from "@aws-sdk/client-cloudwatch";
import { CloudWatchLogsClient, GetQueryResultsCommand, StartQueryCommand } from "@aws-sdk/client-cloudwatch-logs";
import { PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { mockClient } from "aws-sdk-client-mock";
import { TenantSpec } from "../../components/tenant-schemas/model";
import { provisionTenants } from "../../components/tenant-plane/provision";
import { collectUsage } from "../../components/tenant-metering/usage";
import { createHandler, readEnvironment } from "../../components/tenant-metering/handler";
import { REQUESTS_QUERY } from "../../components/tenant-metering/requests";
import type { MeteringRecord } from "../../components/tenant-metering/record";
import { startTestServer, TestServer } from "./support/postgresServer";
import { createRdsLikeDatabase, RdsLikeDatabase } from "./support/rdsMaster";
import { connect, plannedEvent } from "./support/provisioning";
import { migrateSchema } from "./support/flyway";
import { httpRequest, startService, type LogLine, type ServiceProcess } from "../app/support/service";
import { tokenFor } from "../app/support/tokens";

const LOCATION = path.resolve(__dirname, "..", "..", "migrations", "tenant");
const PASSWORD = "only-in-this-test";
const TENANTS: TenantSpec[] = [{ id: "alpha" }, { id: "beta" }, { id: "gamma" }];
/** Units of work (a create and a list of 20 notes: two requests) per tenant: 10:3:1. */
const WORK: Record<string, number> = { alpha: 60, beta: 18, gamma: 6 };
const PAGE = 20;
/** A share of database time may be off the share of work by this much (time varies with the machine's load). */
const TIME_SHARE_TOLERANCE = 0.12;

const cloudwatch = mockClient(CloudWatchClient);
const logs = mockClient(CloudWatchLogsClient);
const s3 = mockClient(S3Client);

let server: TestServer;
let db: RdsLikeDatabase;
let master: Client;
let root: Client;
let service: ServiceProcess & { port: number };
const tokens: Record<string, string> = {};
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function send(tenant: string, method: string, url: string, body?: unknown): Promise<number> {
  const r = await httpRequest(service.port, method, url, {
    headers: { authorization: `Bearer ${tokens[tenant]}` },
    body,
  });
  return r.status;
}

/** The Logs Insights stand-in: REQUESTS_QUERY over the service's request lines within the query's seconds. */
function fakeInsights(lines: readonly LogLine[]) {
  const queries = new Map<string, { start: number; end: number }>();
  logs.on(StartQueryCommand).callsFake(async (input) => {
    if (input.queryString !== REQUESTS_QUERY) throw new Error(`unexpected query ${input.queryString}`);
    const queryId = `q-${queries.size + 1}`;
    queries.set(queryId, { start: input.startTime, end: input.endTime });
    return { queryId };
  });
  logs.on(GetQueryResultsCommand).callsFake(async (input) => {
    const q = queries.get(input.queryId)!;
    const groups = new Map<string, number>();
    for (const line of lines) {
      const second = Math.floor(Date.parse(line.time) / 1000);
      if (line.msg !== "request" || second < q.start || second > q.end) continue;
      const key = JSON.stringify([line.tenantId ?? null, Math.floor(Number(line.status) / 100)]);
      groups.set(key, (groups.get(key) ?? 0) + 1);
    }
    const results = [...groups].map(([key, count]) => {
      const [tenantId, statusClass] = JSON.parse(key) as [string | null, number];
      return [
        { field: "tenantId", value: tenantId === null ? "null" : tenantId },
        { field: "statusClass", value: String(statusClass) },
        { field: "requests", value: String(count) },
      ];
    });
    return { status: "Complete", results };
  });
}

beforeAll(async () => {
  server = await startTestServer({ settings: { shared_preload_libraries: "pg_stat_statements" } });
  db = await createRdsLikeDatabase(server, "metering_collector");
  master = await connect(db.url);
  root = await connect(db.superuserUrl);
  await provisionTenants(master, await plannedEvent(TENANTS, db.database));
  await root.query("CREATE EXTENSION pg_stat_statements SCHEMA admin");
  for (const role of ["migrator", "app", "metering"]) await root.query(`ALTER ROLE ${role} PASSWORD '${PASSWORD}'`);
  const migrator = await connect(db.urlFor("migrator", PASSWORD));
  try {
    for (const t of TENANTS) await migrateSchema(migrator, { location: LOCATION, schema: `tenant_${t.id}` });
  } finally {
    await migrator.end();
  }
  service = await startService({
    DB_HOST: server.host,
    DB_PORT: String(server.port),
    DB_NAME: db.database,
    DB_USER: "app",
    DB_AUTH: "password",
    DB_PASSWORD: PASSWORD,
    DB_SSL: "disable",
  });
  for (const t of TENANTS) tokens[t.id] = await tokenFor(t.id);
}, 120_000);

afterAll(async () => {
  service?.kill();
  await service?.exited;
  await master?.end();
  await root?.end();
  await db?.drop();
  await server?.stop();
});

describe("GIVEN uneven load through the service, WHEN the collector runs", () => {
  const sent: Record<string, number> = { alpha: 0, beta: 0, gamma: 0 };
  let record: MeteringRecord;
  let report: Awaited<ReturnType<ReturnType<typeof createHandler>>>;

  beforeAll(async () => {
    for (const t of TENANTS) {
      for (let i = 0; i < PAGE; i++) expect(await send(t.id, "POST", "/api/notes", { body: `seed ${i}` })).toBe(201);
    }
    // The previous collection: the period starts here. Request lines are counted by whole seconds, each second
    // in exactly one period, so the load starts in a second after it and the collection comes a second after it.
    await sleep(1100);
    const metering = await connect(db.urlFor("metering", PASSWORD));
    await collectUsage(metering);
    await metering.end();
    await sleep(1100);
    const order = Object.entries(WORK).flatMap(([tenant, n]) =>
      Array.from({ length: n }, (_, i) => ({ tenant, at: (i + 0.5) / n })),
    );
    order.sort((a, b) => a.at - b.at);
    for (const { tenant } of order) {
      expect(await send(tenant, "POST", "/api/notes", { body: `work of ${tenant}` })).toBe(201);
      expect(await send(tenant, "GET", `/api/notes?limit=${PAGE}`)).toBe(200);
      sent[tenant] += 2;
    }
    // A request for a note that is not there: a 404 is the tenant's request, not an error.
    expect(await send("gamma", "GET", "/api/notes/999999999")).toBe(404);
    sent.gamma += 1;
    await sleep(1100);

    fakeInsights(service.logs);
    s3.on(PutObjectCommand).resolves({});
    cloudwatch.on(PutMetricDataCommand).resolves({});
    const env = {
      DB_HOST: server.host,
      DB_PORT: String(server.port),
      DB_NAME: db.database,
      DB_USER: "metering",
      AWS_REGION: "us-east-1",
      STACK_NAME: "saas-dev",
      METRIC_NAMESPACE: "saas-dev/tenants",
      TOP_TENANTS: "2",
      SERVICE_LOG_GROUP: "/ecs/saas-dev/app",
      METERING_BUCKET: "saas-dev-metering-x",
      MONTHLY_COST: JSON.stringify({
        databaseUsd: 14.38,
        computeUsd: 7.21,
        loadBalancerUsd: 29.57,
        source: "estimate",
      }),
    };
    const handler = createHandler(
      {
        cloudwatch: new CloudWatchClient({ region: "us-east-1" }),
        logs: new CloudWatchLogsClient({ region: "us-east-1" }),
        s3: new S3Client({ region: "us-east-1" }),
        newClient: (config) => {
          const c = new Client({ ...config, ssl: false });
          c.on("error", () => undefined);
          return c;
        },
        authToken: async () => PASSWORD,
        collectUsage,
        log: () => undefined,
      },
      () => readEnvironment(env),
    );
    report = await handler();
    record = JSON.parse(String(s3.commandCalls(PutObjectCommand)[0].args[0].input.Body)) as MeteringRecord;
  }, 180_000);

  test("the record validates against docs/metering-record.schema.json", () => {
    const schema = JSON.parse(
      fs.readFileSync(path.join(__dirname, "..", "..", "docs", "metering-record.schema.json"), "utf8"),
    ) as object;
    const validate = new Ajv2020({ strict: true, validateFormats: false }).compile(schema);
    expect(validate(record) ? [] : validate.errors).toEqual([]);
    expect(record.caveats).toEqual([]);
  });

  test("it counts exactly the requests each tenant was sent in the period", () => {
    expect(Object.fromEntries(record.tenants.map((t) => [t.tenantId, t.usage.requests]))).toEqual(sent);
    expect(record.tenants.map((t) => t.usage.errors)).toEqual([0, 0, 0]);
  });

  test("database time follows the load (10:3:1) within the tolerance, and calls rank the same", () => {
    const total = record.tenants.reduce((s, t) => s + t.usage.dbTimeMs, 0);
    const work = Object.values(WORK).reduce((s, n) => s + n, 0);
    for (const t of record.tenants) {
      expect(Math.abs(t.usage.dbTimeMs / total - WORK[t.tenantId] / work)).toBeLessThan(TIME_SHARE_TOLERANCE);
    }
    const calls = Object.fromEntries(record.tenants.map((t) => [t.tenantId, t.usage.calls]));
    expect(calls.alpha).toBeGreaterThan(calls.beta);
    expect(calls.beta).toBeGreaterThan(calls.gamma);
    expect(record.tenants.every((t) => t.usage.storageBytes > 0)).toBe(true);
  });

  test("the tenants' shares add up to 100 % and their costs to the period's cost", () => {
    expect(record.tenants.reduce((s, t) => s + Math.round(t.sharePercent * 10_000), 0)).toBe(1_000_000);
    expect(record.tenants.reduce((s, t) => s + Math.round(t.costUsd * 1e6), 0)).toBe(Math.round(record.costUsd * 1e6));
    const share = Object.fromEntries(record.tenants.map((t) => [t.tenantId, t.sharePercent]));
    expect(share.alpha).toBeGreaterThan(share.beta);
    expect(share.beta).toBeGreaterThan(share.gamma);
  });

  test("the metrics name the top 2 tenants and sum gamma into __other__", () => {
    const data = cloudwatch.commandCalls(PutMetricDataCommand).flatMap((c) => c.args[0].input.MetricData ?? []);
    const requests = data.filter((d) => d.MetricName === "Requests");
    expect(Object.fromEntries(requests.map((d) => [d.Dimensions?.[0]?.Value, d.Value]))).toEqual({
      alpha: sent.alpha,
      beta: sent.beta,
      __other__: sent.gamma,
    });
    // The share is published only when the tenants kept the database at least 1 % busy over the period; a test
    // this small on a fast machine may not, and then the noisy-tenant alarm has nothing to read (by design).
    const periodMs = Date.parse(record.period.end) - Date.parse(record.period.start);
    const dbTimeMs = record.tenants.reduce((s, t) => s + t.usage.dbTimeMs, 0);
    if (dbTimeMs >= 0.01 * periodMs) {
      expect(report.datums).toBe(3 * 6 + 1);
      expect(report.largestShare?.tenantId).toBe("alpha");
    } else {
      expect(report.datums).toBe(3 * 6);
      expect(report.largestShare).toBeUndefined();
    }
  });
});
