import { Planned } from "../support/plan";
import { costEstimate } from "../../tools/plan/checks";

/**
 * The monthly cost of each stack as a user reads it from `npm run plan`, pinned line by line: a price, a
 * quantity or an assumption that moves (a price off by 10x, an hour count, a lost line) fails here with the line
 * that moved. Prices are tools/cost/prices.json (2025.06.3, on-demand list prices); when the table is updated on
 * purpose, these literals and the README figures change with it.
 */

/** [line, quantity, unit, unit price (USD), monthly (USD)] */
type Line = [string, number, string, number, number];

const line = (i: {
  resource: string;
  quantity: number;
  unit: string;
  unitPriceUsd: number;
  monthlyUsd: number;
}): Line => [i.resource, i.quantity, i.unit, i.unitPriceUsd, i.monthlyUsd];
const sorted = (lines: Line[]) => [...lines].sort((a, b) => a[0].localeCompare(b[0]));

const DEV: Line[] = [
  // The WAF in front of the load balancer, its log group, the token signing key and the tenant rankings.
  ["Log group service-waf-logs (STANDARD): ingestion", 5, "GB", 0.5, 2.5],
  ["Log group service-waf-logs (STANDARD): storage", 2.301, "GB-months", 0.03, 0.07],
  ["Secrets Manager secret auth-signing-key-secret", 1, "secret-months", 0.4, 0.4],
  ["WAF web ACL service-waf", 1, "web ACL-months", 5, 5],
  ["WAF web ACL service-waf: rules", 4, "rule-months", 1, 4],
  ["WAF web ACL service-waf: requests", 10, "million requests", 0.6, 6],
  ["Contributor Insights rule monitoring-tenant-requests", 1, "rule-months", 0.5, 0.5],
  ["Contributor Insights rule monitoring-tenant-requests: matched log events", 10, "million events", 0.02, 0.2],
  ["Contributor Insights rule monitoring-tenant-errors", 1, "rule-months", 0.5, 0.5],
  ["Contributor Insights rule monitoring-tenant-errors: matched log events", 10, "million events", 0.02, 0.2],
  ["Contributor Insights rule monitoring-tenant-latency", 1, "rule-months", 0.5, 0.5],
  ["Contributor Insights rule monitoring-tenant-latency: matched log events", 10, "million events", 0.02, 0.2],
  // The migration task (built image, results bucket) and the fleet runner: 3 tenants; per run a 66 s canary task (60 s start + 6 s) and a 72 s task for 2 tenants, × 20 runs
  ["ECR repository migrations-repo", 5, "GB-months", 0.1, 0.5],
  ["S3 bucket migrations-results", 50, "GB-months", 0.023, 1.15],
  ["Log group tenant-migrations-logs (STANDARD): ingestion", 5, "GB", 0.5, 2.5],
  ["Log group tenant-migrations-logs (STANDARD): storage", 2.301, "GB-months", 0.03, 0.07],
  // 14 transitions per run (5 + 3 × 1 wave + 3 × 2 batches) × 20 runs
  [
    "Step Functions state machine tenant-migrations-state-machine: state transitions",
    0.28,
    "1k transitions",
    0.025,
    0.01,
  ],
  [
    "Fargate migration tasks of tenant-migrations-state-machine: 0.5 vCPU (Linux/x86_64)",
    0.383333333333,
    "vCPU-hours",
    0.04048,
    0.02,
  ],
  [
    "Fargate migration tasks of tenant-migrations-state-machine: 1 GB memory (Linux/x86_64)",
    0.766666666667,
    "GB-hours",
    0.004445,
    0,
  ],
  // The tenant usage collector (components/tenant-metering/): its schedule, runs, metrics, query and records.
  ["S3 bucket tenant-metering-records", 50, "GB-months", 0.023, 1.15],
  ["Log group tenant-metering-logs (STANDARD): ingestion", 5, "GB", 0.5, 2.5],
  ["Log group tenant-metering-logs (STANDARD): storage", 2.301, "GB-months", 0.03, 0.07],
  ["CloudWatch alarm tenant-metering-alarm-noisy-tenant", 1, "alarm metric-months", 0.1, 0.1],
  ["CloudWatch alarm tenant-metering-alarm-failing", 1, "alarm metric-months", 0.1, 0.1],
  // Every 5 minutes: 730 × 12 = 8,760 runs.
  ["EventBridge schedule tenant-metering-schedule: invocations", 0.00876, "million invocations", 1, 0.01],
  ["Lambda function tenant-metering-function: requests", 0.00876, "million requests", 0.2, 0],
  // 8,760 runs × 5 s × 0.5 GB
  ["Lambda function tenant-metering-function: duration (arm64, 512 MB)", 21900, "GB-seconds", 0.0000133334, 0.29],
  // (N + 1) × 6 + 1 series at $0.30 (CloudWatch pricing, custom metrics, first 10,000): dev names its 3 tenants, N = 3
  ["Tenant metrics of tenant-metering-function: custom metrics", 25, "metric-months", 0.3, 7.5],
  ["Tenant metrics of tenant-metering-function: PutMetricData requests", 8.76, "1k requests", 0.01, 0.09],
  ["Request counts of tenant-metering-function: Logs Insights data scanned", 5, "GB", 0.005, 0.03],
  ["Log group tenant-provisioner-logs (STANDARD): ingestion", 5, "GB", 0.5, 2.5],
  ["Log group tenant-provisioner-logs (STANDARD): storage", 2.301, "GB-months", 0.03, 0.07],
  ["S3 bucket tenant-provisioner-exports", 50, "GB-months", 0.023, 1.15],
  ["Application load balancer service-alb", 730, "hours", 0.0225, 16.43],
  ["Application load balancer service-alb: capacity units", 730, "LCU-hours", 0.008, 5.84],
  ["Application load balancer service-alb: public IPv4", 1460, "address-hours", 0.005, 7.3],
  ["CloudFront distribution cdn-distribution: data transfer out", 100, "GB", 0.085, 8.5],
  ["CloudFront distribution cdn-distribution: HTTPS requests", 1000, "10k requests", 0.01, 10],
  ["CloudWatch alarm monitoring-alarm-alb-5xx", 1, "alarm metric-months", 0.1, 0.1],
  ["CloudWatch alarm monitoring-alarm-alb-5xx-rate", 3, "alarm metric-months", 0.1, 0.3],
  ["CloudWatch alarm monitoring-alarm-app-errors", 1, "alarm metric-months", 0.1, 0.1],
  ["CloudWatch alarm monitoring-alarm-db-connections", 1, "alarm metric-months", 0.1, 0.1],
  ["CloudWatch alarm monitoring-alarm-db-cpu", 1, "alarm metric-months", 0.1, 0.1],
  ["CloudWatch alarm monitoring-alarm-db-free-storage", 1, "alarm metric-months", 0.1, 0.1],
  ["CloudWatch alarm monitoring-alarm-db-freeable-memory", 1, "alarm metric-months", 0.1, 0.1],
  ["CloudWatch alarm monitoring-alarm-db-read-latency", 1, "alarm metric-months", 0.1, 0.1],
  ["CloudWatch alarm monitoring-alarm-db-write-latency", 1, "alarm metric-months", 0.1, 0.1],
  ["CloudWatch alarm monitoring-alarm-healthy-hosts", 1, "alarm metric-months", 0.1, 0.1],
  ["CloudWatch alarm monitoring-alarm-running-tasks", 1, "alarm metric-months", 0.1, 0.1],
  ["CloudWatch alarm monitoring-alarm-service-cpu", 1, "alarm metric-months", 0.1, 0.1],
  ["CloudWatch alarm monitoring-alarm-service-memory", 1, "alarm metric-months", 0.1, 0.1],
  ["CloudWatch alarm monitoring-alarm-target-5xx", 1, "alarm metric-months", 0.1, 0.1],
  ["CloudWatch alarm monitoring-alarm-target-p99-latency", 1, "alarm metric-months", 0.1, 0.1],
  ["CloudWatch alarm monitoring-alarm-unhealthy-hosts", 1, "alarm metric-months", 0.1, 0.1],
  ["CloudWatch alarms of target tracking policy service-cpu-scaling", 2, "alarm metric-months", 0.1, 0.2],
  ["CloudWatch dashboard monitoring-dashboard", 1, "dashboard-months", 3, 3],
  ["ECR repository service-repo", 5, "GB-months", 0.1, 0.5],
  ["Fargate service service-service: 0.25 vCPU (Linux/ARM64)", 182.5, "vCPU-hours", 0.03238, 5.91],
  ["Fargate service service-service: 0.5 GB memory (Linux/ARM64)", 365, "GB-hours", 0.00356, 1.3],
  ["KMS key stack-key-key", 1, "key-months", 1, 1],
  ["Log group database-log-postgresql (STANDARD): ingestion", 5, "GB", 0.5, 2.5],
  ["Log group database-log-postgresql (STANDARD): storage", 2.301, "GB-months", 0.03, 0.07],
  ["Log group database-log-upgrade (STANDARD): ingestion", 5, "GB", 0.5, 2.5],
  ["Log group database-log-upgrade (STANDARD): storage", 2.301, "GB-months", 0.03, 0.07],
  ["Log group migrations-logs (STANDARD): ingestion", 5, "GB", 0.5, 2.5],
  ["Log group migrations-logs (STANDARD): storage", 2.301, "GB-months", 0.03, 0.07],
  ["Log group network-flow-logs (STANDARD): ingestion", 5, "GB", 0.5, 2.5],
  ["Log group network-flow-logs (STANDARD): storage", 2.301, "GB-months", 0.03, 0.07],
  ["Log group service-logs (STANDARD): ingestion", 5, "GB", 0.5, 2.5],
  ["Log group service-logs (STANDARD): storage", 2.301, "GB-months", 0.03, 0.07],
  ["NAT gateway network-nat-1", 730, "hours", 0.045, 32.85],
  ["NAT gateway network-nat-1: data processed", 100, "GB", 0.045, 4.5],
  ["Public IPv4 network-nat-1", 730, "address-hours", 0.005, 3.65],
  ["RDS instance database-instance (db.t4g.micro, Single-AZ)", 730, "hours", 0.016, 11.68],
  ["RDS instance database-instance: storage (gp3, Single-AZ)", 20, "GB-months", 0.115, 2.3],
  ["S3 bucket cdn-assets", 50, "GB-months", 0.023, 1.15],
  ["S3 bucket cdn-logs", 50, "GB-months", 0.023, 1.15],
  ["S3 bucket service-alb-logs", 50, "GB-months", 0.023, 1.15],
  ["Secrets Manager secret (RDS-managed master password) database-instance", 1, "secret-months", 0.4, 0.4],
  ["Secrets Manager secret database-migrator-secret", 1, "secret-months", 0.4, 0.4],
];

const PROD: Line[] = [
  // The WAF in front of the load balancer, its log group (a year kept), the token signing key, tenant rankings.
  ["Log group service-waf-logs (STANDARD): ingestion", 5, "GB", 0.5, 2.5],
  ["Log group service-waf-logs (STANDARD): storage", 60, "GB-months", 0.03, 1.8],
  ["Secrets Manager secret auth-signing-key-secret", 1, "secret-months", 0.4, 0.4],
  ["WAF web ACL service-waf", 1, "web ACL-months", 5, 5],
  ["WAF web ACL service-waf: rules", 4, "rule-months", 1, 4],
  ["WAF web ACL service-waf: requests", 10, "million requests", 0.6, 6],
  ["Contributor Insights rule monitoring-tenant-requests", 1, "rule-months", 0.5, 0.5],
  ["Contributor Insights rule monitoring-tenant-requests: matched log events", 10, "million events", 0.02, 0.2],
  ["Contributor Insights rule monitoring-tenant-errors", 1, "rule-months", 0.5, 0.5],
  ["Contributor Insights rule monitoring-tenant-errors: matched log events", 10, "million events", 0.02, 0.2],
  ["Contributor Insights rule monitoring-tenant-latency", 1, "rule-months", 0.5, 0.5],
  ["Contributor Insights rule monitoring-tenant-latency: matched log events", 10, "million events", 0.02, 0.2],
  // The migration task (built image, results bucket) and the fleet runner: 2 tenants; per run two 66 s tasks (60 s start + 6 s), × 20 runs
  ["ECR repository migrations-repo", 5, "GB-months", 0.1, 0.5],
  ["S3 bucket migrations-results", 50, "GB-months", 0.023, 1.15],
  ["Log group tenant-migrations-logs (STANDARD): ingestion", 5, "GB", 0.5, 2.5],
  ["Log group tenant-migrations-logs (STANDARD): storage", 14.795, "GB-months", 0.03, 0.44],
  // 14 transitions per run (5 + 3 × 1 wave + 3 × 2 batches) × 20 runs
  [
    "Step Functions state machine tenant-migrations-state-machine: state transitions",
    0.28,
    "1k transitions",
    0.025,
    0.01,
  ],
  [
    "Fargate migration tasks of tenant-migrations-state-machine: 0.5 vCPU (Linux/x86_64)",
    0.366666666667,
    "vCPU-hours",
    0.04048,
    0.01,
  ],
  [
    "Fargate migration tasks of tenant-migrations-state-machine: 1 GB memory (Linux/x86_64)",
    0.733333333333,
    "GB-hours",
    0.004445,
    0,
  ],
  // The tenant usage collector (components/tenant-metering/): its schedule, runs, metrics, query and records.
  ["S3 bucket tenant-metering-records", 50, "GB-months", 0.023, 1.15],
  ["Log group tenant-metering-logs (STANDARD): ingestion", 5, "GB", 0.5, 2.5],
  ["Log group tenant-metering-logs (STANDARD): storage", 14.795, "GB-months", 0.03, 0.44],
  ["CloudWatch alarm tenant-metering-alarm-noisy-tenant", 1, "alarm metric-months", 0.1, 0.1],
  ["CloudWatch alarm tenant-metering-alarm-failing", 1, "alarm metric-months", 0.1, 0.1],
  // Every 5 minutes: 730 × 12 = 8,760 runs.
  ["EventBridge schedule tenant-metering-schedule: invocations", 0.00876, "million invocations", 1, 0.01],
  ["Lambda function tenant-metering-function: requests", 0.00876, "million requests", 0.2, 0],
  // 8,760 runs × 5 s × 0.5 GB
  ["Lambda function tenant-metering-function: duration (arm64, 512 MB)", 21900, "GB-seconds", 0.0000133334, 0.29],
  // (N + 1) × 6 + 1 series at $0.30 (CloudWatch pricing, custom metrics, first 10,000): N = 10 (the default)
  ["Tenant metrics of tenant-metering-function: custom metrics", 67, "metric-months", 0.3, 20.1],
  ["Tenant metrics of tenant-metering-function: PutMetricData requests", 8.76, "1k requests", 0.01, 0.09],
  ["Request counts of tenant-metering-function: Logs Insights data scanned", 5, "GB", 0.005, 0.03],
  // The records' copy in the disaster-recovery region.
  ["S3 bucket tenant-metering-records-replica", 50, "GB-months", 0.023, 1.15],
  // CloudWatch's interface endpoint: the collector's PutMetricData without NAT.
  ["VPC endpoint network-monitoring", 2190, "endpoint-AZ-hours", 0.01, 21.9],
  ["VPC endpoint network-monitoring: data processed", 10, "GB", 0.01, 0.1],
  ["S3 bucket tenant-provisioner-exports-replica", 50, "GB-months", 0.023, 1.15],
  ["Log group tenant-provisioner-logs (STANDARD): ingestion", 5, "GB", 0.5, 2.5],
  ["Log group tenant-provisioner-logs (STANDARD): storage", 14.795, "GB-months", 0.03, 0.44],
  ["S3 bucket tenant-provisioner-exports", 50, "GB-months", 0.023, 1.15],
  ["Application load balancer service-alb", 730, "hours", 0.0225, 16.43],
  ["Application load balancer service-alb: capacity units", 730, "LCU-hours", 0.008, 5.84],
  ["Application load balancer service-alb: public IPv4", 2190, "address-hours", 0.005, 10.95],
  ["CloudFront distribution cdn-distribution: data transfer out", 100, "GB", 0.085, 8.5],
  ["CloudFront distribution cdn-distribution: HTTPS requests", 1000, "10k requests", 0.01, 10],
  ["CloudWatch alarm monitoring-alarm-alb-5xx", 1, "alarm metric-months", 0.1, 0.1],
  ["CloudWatch alarm monitoring-alarm-alb-5xx-rate", 3, "alarm metric-months", 0.1, 0.3],
  ["CloudWatch alarm monitoring-alarm-app-errors", 1, "alarm metric-months", 0.1, 0.1],
  ["CloudWatch alarm monitoring-alarm-db-connections", 1, "alarm metric-months", 0.1, 0.1],
  ["CloudWatch alarm monitoring-alarm-db-cpu", 1, "alarm metric-months", 0.1, 0.1],
  ["CloudWatch alarm monitoring-alarm-db-free-storage", 1, "alarm metric-months", 0.1, 0.1],
  ["CloudWatch alarm monitoring-alarm-db-freeable-memory", 1, "alarm metric-months", 0.1, 0.1],
  ["CloudWatch alarm monitoring-alarm-db-read-latency", 1, "alarm metric-months", 0.1, 0.1],
  ["CloudWatch alarm monitoring-alarm-db-write-latency", 1, "alarm metric-months", 0.1, 0.1],
  ["CloudWatch alarm monitoring-alarm-healthy-hosts", 1, "alarm metric-months", 0.1, 0.1],
  ["CloudWatch alarm monitoring-alarm-running-tasks", 1, "alarm metric-months", 0.1, 0.1],
  ["CloudWatch alarm monitoring-alarm-service-cpu", 1, "alarm metric-months", 0.1, 0.1],
  ["CloudWatch alarm monitoring-alarm-service-memory", 1, "alarm metric-months", 0.1, 0.1],
  ["CloudWatch alarm monitoring-alarm-target-5xx", 1, "alarm metric-months", 0.1, 0.1],
  ["CloudWatch alarm monitoring-alarm-target-p99-latency", 1, "alarm metric-months", 0.1, 0.1],
  ["CloudWatch alarm monitoring-alarm-unhealthy-hosts", 1, "alarm metric-months", 0.1, 0.1],
  ["CloudWatch alarms of target tracking policy service-cpu-scaling", 2, "alarm metric-months", 0.1, 0.2],
  ["CloudWatch alarms of target tracking policy service-requests-scaling", 2, "alarm metric-months", 0.1, 0.2],
  ["CloudWatch dashboard monitoring-dashboard", 1, "dashboard-months", 3, 3],
  ["ECR repository service-repo", 5, "GB-months", 0.1, 0.5],
  ["Fargate service service-service: 0.5 vCPU (Linux/ARM64)", 730, "vCPU-hours", 0.03238, 23.64],
  ["Fargate service service-service: 1 GB memory (Linux/ARM64)", 1460, "GB-hours", 0.00356, 5.2],
  ["KMS key database-dr-key", 1, "key-months", 1, 1],
  ["KMS key stack-key-key", 1, "key-months", 1, 1],
  ["Log group database-log-postgresql (STANDARD): ingestion", 5, "GB", 0.5, 2.5],
  ["Log group database-log-postgresql (STANDARD): storage", 14.795, "GB-months", 0.03, 0.44],
  ["Log group database-log-upgrade (STANDARD): ingestion", 5, "GB", 0.5, 2.5],
  ["Log group database-log-upgrade (STANDARD): storage", 14.795, "GB-months", 0.03, 0.44],
  ["Log group migrations-logs (STANDARD): ingestion", 5, "GB", 0.5, 2.5],
  ["Log group migrations-logs (STANDARD): storage", 14.795, "GB-months", 0.03, 0.44],
  ["Log group network-flow-logs (STANDARD): ingestion", 5, "GB", 0.5, 2.5],
  ["Log group network-flow-logs (STANDARD): storage", 60, "GB-months", 0.03, 1.8],
  ["Log group service-logs (STANDARD): ingestion", 5, "GB", 0.5, 2.5],
  ["Log group service-logs (STANDARD): storage", 60, "GB-months", 0.03, 1.8],
  ["NAT gateway network-nat-1", 730, "hours", 0.045, 32.85],
  ["NAT gateway network-nat-1: data processed", 100, "GB", 0.045, 4.5],
  ["NAT gateway network-nat-2", 730, "hours", 0.045, 32.85],
  ["NAT gateway network-nat-2: data processed", 100, "GB", 0.045, 4.5],
  ["NAT gateway network-nat-3", 730, "hours", 0.045, 32.85],
  ["NAT gateway network-nat-3: data processed", 100, "GB", 0.045, 4.5],
  ["Public IPv4 network-nat-1", 730, "address-hours", 0.005, 3.65],
  ["Public IPv4 network-nat-2", 730, "address-hours", 0.005, 3.65],
  ["Public IPv4 network-nat-3", 730, "address-hours", 0.005, 3.65],
  ["RDS instance database-instance (db.m7g.large, Multi-AZ)", 730, "hours", 0.336, 245.28],
  ["RDS instance database-instance: storage (gp3, Multi-AZ)", 100, "GB-months", 0.23, 23],
  ["S3 bucket cdn-assets", 50, "GB-months", 0.023, 1.15],
  ["S3 bucket cdn-logs", 50, "GB-months", 0.023, 1.15],
  ["S3 bucket service-alb-logs", 50, "GB-months", 0.023, 1.15],
  ["Secrets Manager secret (RDS-managed master password) database-instance", 1, "secret-months", 0.4, 0.4],
  ["Secrets Manager secret database-migrator-secret", 1, "secret-months", 0.4, 0.4],
  ["VPC endpoint network-ecr-api", 2190, "endpoint-AZ-hours", 0.01, 21.9],
  ["VPC endpoint network-ecr-api: data processed", 10, "GB", 0.01, 0.1],
  ["VPC endpoint network-ecr-dkr", 2190, "endpoint-AZ-hours", 0.01, 21.9],
  ["VPC endpoint network-ecr-dkr: data processed", 10, "GB", 0.01, 0.1],
  ["VPC endpoint network-logs", 2190, "endpoint-AZ-hours", 0.01, 21.9],
  ["VPC endpoint network-logs: data processed", 10, "GB", 0.01, 0.1],
  ["VPC endpoint network-secretsmanager", 2190, "endpoint-AZ-hours", 0.01, 21.9],
  ["VPC endpoint network-secretsmanager: data processed", 10, "GB", 0.01, 0.1],
];

describe.each<[string, Line[], number, string[]]>([
  ["dev", DEV, 173.74, ["aws:ecs/cluster:Cluster", "aws:lambda/function:Function", "aws:lambda/invocation:Invocation"]],
  [
    "prod",
    PROD,
    668.82,
    [
      "aws:ecs/cluster:Cluster",
      "aws:lambda/function:Function",
      "aws:lambda/invocation:Invocation",
      "aws:rds/instance:Instance",
      "aws:rds/instanceAutomatedBackupsReplication:InstanceAutomatedBackupsReplication",
      "aws:s3/bucketReplicationConfig:BucketReplicationConfig",
    ],
  ],
])("the %s stack's monthly cost", (stack, expected, total, unpriced) => {
  let estimate: ReturnType<typeof costEstimate>;
  beforeAll(async () => {
    estimate = costEstimate((await Planned.of({ stack })).run);
  });

  it("has exactly these lines, each with its quantity, unit price and monthly cost", () => {
    expect(sorted(estimate.items.map(line))).toEqual(sorted(expected));
  });

  it(`totals $${total}, the sum of those lines`, () => {
    expect(estimate.monthlyUsd).toBe(total);
    // The literal lines add up to the literal total (cents), so the two cannot drift apart.
    expect(Math.round(expected.reduce((sum, l) => sum + l[4] * 100, 0))).toBe(Math.round(total * 100));
  });

  it("lists as unpriced only what the table cannot price", () => {
    expect(estimate.unpriced.map((u) => u.type)).toEqual(unpriced);
  });
});
