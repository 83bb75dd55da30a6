import * as fs from "fs";
import * as path from "path";
import * as yaml from "js-yaml";
import { ConfigError, parseConfig, qualifiedKey } from "../../stacks/config";
import { CONFIG_KEYS, PROJECT } from "../../stacks/schema";
import { loadStackSettings } from "../../tools/engine/project";
import { alarmDefaults } from "../../components/monitoring/alarms";
import { LOG_RETENTION_DAYS } from "../../components/shared/logs";

const ROOT = path.resolve(__dirname, "..", "..");

const TAGS = { Environment: "dev", Project: "saas", Owner: "platform", CostCenter: "cc-1", ManagedBy: "pulumi" };
const VALID: Record<string, string> = {
  "aws:region": "us-east-1",
  "aws:defaultTags": JSON.stringify({ tags: TAGS }),
  "saas:environment": "dev",
  "saas:certificateArn": "arn:aws:acm:us-east-1:123456789012:certificate/0f1e2d3c-4b5a-4978-8a6b-5c4d3e2f1a0b",
};

/** The problems parseConfig reports for `raw`, or [] when it accepts it. */
function problems(raw: Record<string, string | undefined>, stack = "dev"): readonly string[] {
  try {
    parseConfig(raw, { stack });
    return [];
  } catch (err) {
    if (err instanceof ConfigError) {
      return err.problems;
    }
    throw err;
  }
}

describe("parseConfig", () => {
  it("applies every default", () => {
    const config = parseConfig(VALID, { stack: "dev" });
    expect(config).toEqual({
      project: "saas",
      stack: "dev",
      environment: "dev",
      isProduction: false,
      metering: { topTenants: 10, intervalMinutes: 5, noisyTenantSharePercent: 50, recordRetentionDays: 400 },
      namePrefix: "saas-dev",
      region: "us-east-1",
      tags: TAGS,
      network: {
        vpcCidr: "10.0.0.0/16",
        azCount: 2,
        natGateways: "single",
        flowLogRetentionDays: 14,
        interfaceEndpoints: false,
      },
      shellAccess: true,
      service: {
        port: 8080,
        cpu: 256,
        memory: 512,
        desiredCount: 1,
        minCount: 1,
        maxCount: 2,
        image: undefined,
        architecture: "arm64",
        logRetentionDays: 14,
        requestsPerTarget: 0,
        certificateArn: "arn:aws:acm:us-east-1:123456789012:certificate/0f1e2d3c-4b5a-4978-8a6b-5c4d3e2f1a0b",
        waf: { perIp: 2000, perToken: 1000 },
        // No identity provider: the stack's own issuer, audience and signing key (generation 1).
        auth: {
          issuer: undefined,
          audience: undefined,
          tenantClaim: "tenant_id",
          keys: { kind: "signingSecret", version: 1 },
        },
        cdn: {
          corsAllowedOrigins: [],
          certificateArn: undefined,
          aliases: [],
          frontendRepository: undefined,
          frontendBranch: "main",
          frontendEnvironment: undefined,
          githubOidcProviderArn: undefined,
        },
      },
      database: {
        tenants: [],
        name: "app",
        instanceClass: "db.t4g.micro",
        allocatedStorageGiB: 20,
        maxAllocatedStorageGiB: 100,
        multiAz: false,
        backupRetentionDays: 7,
        backupWindow: "03:00-03:30",
        maintenanceWindow: "sun:04:00-sun:04:30",
        logRetentionDays: 30,
        performanceInsightsRetentionDays: 7,
        backupReplica: undefined,
        pool: { maxSize: 10, minIdle: 10, connectionTimeoutMs: 10000, idleTimeoutMs: 600000, maxLifetimeMs: 1800000 },
        migratorConnections: 6,
        migrationCanary: [],
        tenantProvisioning: "lambda",
        tenantExportRetentionDays: 365,
        tunnel: undefined,
      },
      monitoring: {
        alertEmails: [],
        monthlyBudgetUsd: 250,
        alarmThresholds: alarmDefaults("dev").thresholds,
      },
    });
  });

  it("converts values the way Pulumi hands them to a program (all text)", () => {
    const config = parseConfig(
      {
        ...VALID,
        "saas:azCount": "3",
        "saas:interfaceEndpoints": "true",
        "saas:alertEmails": '["oncall@example.com"]',
        "saas:namePrefix": "acme-dev",
      },
      { stack: "dev" },
    );
    expect(config.network.azCount).toBe(3);
    expect(config.network.interfaceEndpoints).toBe(true);
    expect(config.monitoring.alertEmails).toEqual(["oncall@example.com"]);
    expect(config.namePrefix).toBe("acme-dev");
  });

  it.each<[string, Record<string, string | undefined>, string]>([
    [
      "a CIDR that is not an IPv4 network",
      { "saas:vpcCidr": "10.0.0.0" },
      'saas:vpcCidr: "10.0.0.0" is not an IPv4 network in CIDR notation (a.b.c.d/n)',
    ],
    [
      "a CIDR with host bits",
      { "saas:vpcCidr": "10.0.3.0/16" },
      'saas:vpcCidr: "10.0.3.0/16" is not a network address: the host bits are set (did you mean 10.0.0.0/16?)',
    ],
    [
      "a public CIDR",
      { "saas:vpcCidr": "52.0.0.0/16" },
      'saas:vpcCidr: "52.0.0.0/16" is not in a private (RFC 1918) range: use a block inside 10.0.0.0/8, 172.16.0.0/12 or 192.168.0.0/16',
    ],
    [
      "a CIDR too small for its subnets",
      { "saas:vpcCidr": "10.0.0.0/24" },
      'saas:vpcCidr: "10.0.0.0/24" is too small for the subnets it must hold: its public and database subnets would be /30, smaller than the /28 AWS allows; use /22 or larger (e.g. 10.0.0.0/16)',
    ],
    [
      "zero zones",
      { "saas:azCount": "0" },
      "saas:azCount: expected an integer from 2 to 6 (an application load balancer and an RDS subnet group each need subnets in at least two availability zones), got 0",
    ],
    [
      "one zone",
      { "saas:azCount": "1" },
      "saas:azCount: expected an integer from 2 to 6 (an application load balancer and an RDS subnet group each need subnets in at least two availability zones), got 1",
    ],
    [
      "seven zones",
      { "saas:azCount": "7" },
      "saas:azCount: expected an integer from 2 to 6 (an application load balancer and an RDS subnet group each need subnets in at least two availability zones), got 7",
    ],
    [
      "a string for a number",
      { "saas:azCount": "two" },
      'saas:azCount: expected an integer from 2 to 6 (an application load balancer and an RDS subnet group each need subnets in at least two availability zones), got "two"',
    ],
    [
      "a fraction",
      { "saas:azCount": "2.5" },
      "saas:azCount: expected an integer from 2 to 6 (an application load balancer and an RDS subnet group each need subnets in at least two availability zones), got 2.5",
    ],
    [
      "more zones than the region has",
      {
        "aws:region": "us-west-1",
        "saas:azCount": "3",
        "saas:certificateArn": "arn:aws:acm:us-west-1:123456789012:certificate/0f1e2d3c-4b5a-4978-8a6b-5c4d3e2f1a0b",
      },
      "saas:azCount: expected at most 2: us-west-1 has 2 availability zones, got 3",
    ],
    [
      '"maybe" for a boolean',
      { "saas:interfaceEndpoints": "maybe" },
      'saas:interfaceEndpoints: expected true or false, got "maybe"',
    ],
    [
      "a zero retention",
      { "saas:flowLogRetentionDays": "0" },
      `saas:flowLogRetentionDays: expected a CloudWatch Logs retention period in days, one of ${LOG_RETENTION_DAYS.join(", ")} (never-expiring logs are not allowed), got 0`,
    ],
    [
      "a negative retention",
      { "saas:flowLogRetentionDays": "-7" },
      `saas:flowLogRetentionDays: expected a CloudWatch Logs retention period in days, one of ${LOG_RETENTION_DAYS.join(", ")} (never-expiring logs are not allowed), got -7`,
    ],
    [
      "an unknown region",
      { "aws:region": "us-east-7" },
      'aws:region: "us-east-7" is not a known AWS region (e.g. us-east-1, eu-west-1)',
    ],
    [
      "a missing region",
      { "aws:region": undefined },
      "aws:region: expected an AWS region name such as us-east-1, got nothing (the key is not set)",
    ],
    [
      "an unknown NAT strategy",
      { "saas:natGateways": "two" },
      'saas:natGateways: expected one of none, single, onePerAz, got "two"',
    ],
    [
      "a missing cost tag",
      { "aws:defaultTags": JSON.stringify({ tags: { ...TAGS, CostCenter: undefined } }) },
      "aws:defaultTags.tags.CostCenter: expected a non-empty string, got nothing (the key is not set)",
    ],
    [
      "an empty cost tag",
      { "aws:defaultTags": JSON.stringify({ tags: { ...TAGS, Owner: " " } }) },
      'aws:defaultTags.tags.Owner: expected a non-empty string, got " "',
    ],
    [
      "an Environment tag that disagrees with the environment",
      { "aws:defaultTags": JSON.stringify({ tags: { ...TAGS, Environment: "prod" } }) },
      'aws:defaultTags.tags.Environment: expected "dev", the value of saas:environment, so costs are reported under the right environment, got "prod"',
    ],
    [
      "an unknown environment",
      { "saas:environment": "qa" },
      'saas:environment: expected one of dev, staging, prod, got "qa"',
    ],
    [
      "a misspelt key",
      { "saas:vpcCird": "10.0.0.0/16" },
      "saas:vpcCird: is not a configuration key of this project; remove it or check the spelling",
    ],
    [
      "a malformed email",
      { "saas:alertEmails": '["oncall@example.com", "not-an-email"]' },
      'saas:alertEmails[1]: expected an email address, got "not-an-email"',
    ],
    [
      "a privileged service port",
      { "saas:servicePort": "80" },
      "saas:servicePort: expected an unprivileged port from 1024 to 65535, got 80",
    ],
    [
      "a bad name prefix",
      { "saas:namePrefix": "Acme_Dev" },
      `saas:namePrefix: expected 2-20 lowercase letters, digits or '-', starting with a letter (or empty for <project>-<stack>), got "Acme_Dev"`,
    ],
  ])("rejects %s", (_what, change, message) => {
    expect(problems({ ...VALID, ...change })).toEqual([message]);
  });

  it("never shows the value of a secret key", () => {
    const secretKeys = new Set(["saas:alertHttpsEndpoint"]);
    let error: unknown;
    try {
      parseConfig(
        { ...VALID, "saas:alertHttpsEndpoint": "http://hooks.example.com/T0K3N" },
        { stack: "dev", secretKeys },
      );
    } catch (err) {
      error = err;
    }
    expect((error as ConfigError).problems).toEqual([
      expect.stringMatching(/^saas:alertHttpsEndpoint: .*, got \[secret\]$/),
    ]);
    expect((error as ConfigError).message).not.toContain("T0K3N");
  });

  it.each<[string, string, string[]]>([
    [
      "a zone of another region",
      '["us-east-1a","us-west-2b"]',
      ['saas:availabilityZones[1]: expected a zone of us-east-1 (us-east-1a to us-east-1f), got "us-west-2b"'],
    ],
    [
      "a zone past the region's last",
      '["us-east-1a","us-east-1g"]',
      ['saas:availabilityZones[1]: expected a zone of us-east-1 (us-east-1a to us-east-1f), got "us-east-1g"'],
    ],
    [
      "a zone twice",
      '["us-east-1a","us-east-1a"]',
      ['saas:availabilityZones: expected each zone once, got ["us-east-1a","us-east-1a"]'],
    ],
    [
      "fewer zones than azCount",
      '["us-east-1a"]',
      ['saas:availabilityZones: expected 2 zones, as many as saas:azCount, got ["us-east-1a"]'],
    ],
    [
      "not a list",
      '"us-east-1a"',
      ['saas:availabilityZones: expected a list of zone names such as [us-east-1a, us-east-1b], got "us-east-1a"'],
    ],
  ])("rejects pinned zones with %s", (_what, zones, expected) => {
    expect(problems({ ...VALID, "saas:availabilityZones": zones })).toEqual(expected);
  });

  it("accepts pinned zones of the region, as many as azCount, in any order", () => {
    expect(problems({ ...VALID, "saas:availabilityZones": '["us-east-1c","us-east-1a"]' })).toEqual([]);
    expect(
      parseConfig({ ...VALID, "saas:availabilityZones": '["us-east-1c","us-east-1a"]' }, { stack: "dev" }).network
        .availabilityZones,
    ).toEqual(["us-east-1c", "us-east-1a"]);
  });

  it("rejects a stack without NAT and without interface endpoints, and says why", () => {
    expect(problems({ ...VALID, "saas:natGateways": "none", "saas:interfaceEndpoints": "false" })).toEqual([
      'saas:natGateways: expected single or onePerAz while saas:interfaceEndpoints is false: with neither NAT nor interface endpoints the private subnets reach no AWS API, so tasks cannot pull their image from ECR, ship logs to CloudWatch Logs or read their secrets (set saas:interfaceEndpoints to true to run without NAT), got "none"',
    ]);
    expect(problems({ ...VALID, "saas:natGateways": "none", "saas:interfaceEndpoints": "true" })).toEqual([]);
  });

  describe("keys Pulumi passes that the program would otherwise ignore", () => {
    it.each<[string, string, string]>([
      [
        "a misspelled namespace",
        "sass:azCount",
        'sass:azCount: namespace "sass" is not one this program reads, so the setting would be ignored; did you mean saas:azCount?',
      ],
      [
        "an invisible character",
        "saas:azCount\u200b",
        '"saas:azCount\\u200b": has an invisible character (U+200B) at position 13; the setting would be ignored, retype the key',
      ],
      [
        "an invisible character before the namespace",
        "\u200bsaas:azCount",
        '"\\u200bsaas:azCount": has an invisible character (U+200B) at position 1; the setting would be ignored, retype the key',
      ],
    ])("reports %s", (_what, key, expected) => {
      expect(problems({ ...VALID, [key]: "3" })).toEqual([expected]);
    });

    it("leaves other providers' namespaces alone", () => {
      expect(problems({ ...VALID, "kubernetes:context": "x", "pulumi:template": "y" })).toEqual([]);
    });
  });

  it("checks the name prefix derived from the stack name", () => {
    expect(problems(VALID, "Feature_X")).toEqual([
      `saas:namePrefix: the default "saas-Feature_X" (<project>-<stack>) is not 2-20 lowercase letters, digits or '-'; set saas:namePrefix for this stack, e.g. "saas-feature-x"`,
    ]);
    expect(problems({ ...VALID, "saas:namePrefix": "feat-x" }, "Feature_X")).toEqual([]);
  });

  describe("in prod", () => {
    const PROD = {
      ...VALID,
      "saas:environment": "prod",
      "aws:defaultTags": JSON.stringify({ tags: { ...TAGS, Environment: "prod" } }),
      "saas:natGateways": "onePerAz",
      "saas:azCount": "3",
      "saas:availabilityZones": '["us-east-1a","us-east-1b","us-east-1c"]',
      "saas:alertEmails": '["oncall@example.com"]',
      "saas:databaseInstanceClass": "db.m7g.large",
      "saas:databaseMultiAz": "true",
      "saas:databaseBackupRetentionDays": "14",
    };

    it("accepts the production shape", () => {
      expect(problems(PROD, "prod")).toEqual([]);
      expect(parseConfig(PROD, { stack: "prod" }).isProduction).toBe(true);
    });

    it("needs its zones pinned", () => {
      expect(problems({ ...PROD, "saas:availabilityZones": undefined }, "prod")).toEqual([
        "saas:availabilityZones: expected the zones pinned in prod, e.g. [us-east-1a, us-east-1b, us-east-1c]: read from the region at every run, a zone changing state shifts the list and replaces subnets, got []",
      ]);
    });

    it("needs a NAT gateway in each zone", () => {
      expect(problems({ ...PROD, "saas:natGateways": "single" }, "prod")).toEqual([
        'saas:natGateways: expected onePerAz in prod: with fewer NAT gateways the loss of one zone cuts every zone\'s egress, got "single"',
      ]);
    });
  });

  it("reports every problem at once, as a RunError without a stack trace", () => {
    let error: unknown;
    try {
      parseConfig(
        {
          ...VALID,
          "aws:region": "mars-1",
          "saas:vpcCidr": "10.0.0.1/16",
          "saas:azCount": "two",
          "saas:interfaceEndpoints": "maybe",
        },
        { stack: "dev" },
      );
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).message).toBe(
      [
        "Invalid configuration (4 problems):",
        '  - aws:region: "mars-1" is not a known AWS region (e.g. us-east-1, eu-west-1)',
        '  - saas:vpcCidr: "10.0.0.1/16" is not a network address: the host bits are set (did you mean 10.0.0.0/16?)',
        '  - saas:azCount: expected an integer from 2 to 6 (an application load balancer and an RDS subnet group each need subnets in at least two availability zones), got "two"',
        '  - saas:interfaceEndpoints: expected true or false, got "maybe"',
      ].join("\n"),
    );
    // pulumi prints a RunError's message alone, with no stack trace.
    expect((error as { __pulumiRunError?: boolean }).__pulumiRunError).toBe(true);
  });
});

describe("the stack files", () => {
  it.each(["dev", "prod"])("%s is valid", (stack) => {
    const settings = loadStackSettings(ROOT, stack);
    expect(problems(settings.config, stack)).toEqual([]);
  });

  it("make dev and prod differ where a real team would", () => {
    const dev = parseConfig(loadStackSettings(ROOT, "dev").config, { stack: "dev" });
    const prod = parseConfig(loadStackSettings(ROOT, "prod").config, { stack: "prod" });
    expect([dev.network.azCount, dev.network.natGateways]).toEqual([2, "single"]);
    expect([prod.network.azCount, prod.network.natGateways]).toEqual([3, "onePerAz"]);
    expect(prod.network.flowLogRetentionDays).toBeGreaterThan(dev.network.flowLogRetentionDays);
    expect(prod.isProduction).toBe(true);
    expect(dev.isProduction).toBe(false);
  });
});

describe("Pulumi.yaml", () => {
  const project = yaml.load(fs.readFileSync(path.join(ROOT, "Pulumi.yaml"), "utf8")) as {
    name: string;
    main: string;
    runtime: { name: string; options: { typescript: boolean } };
    config: Record<string, { type: string; default?: unknown; description?: string }>;
  };

  it("names the project, the Node.js runtime with TypeScript and the entry under stacks/", () => {
    expect(project.name).toBe(PROJECT);
    expect(project.runtime.name).toBe("nodejs");
    expect(project.runtime.options.typescript).toBe(true);
    expect(fs.existsSync(path.join(ROOT, project.main, "index.ts"))).toBe(true);
  });

  it("declares every project key the program reads, with the same type and default", () => {
    const projectKeys = CONFIG_KEYS.filter((k) => !k.key.includes(":"));
    const declared = Object.fromEntries(
      Object.entries(project.config).map(([k, v]) => [k, { type: v.type, default: v.default }]),
    );
    const expected = Object.fromEntries(projectKeys.map((k) => [k.key, { type: k.type, default: k.default }]));
    expect(declared).toEqual(expected);
    for (const key of projectKeys) {
      expect(qualifiedKey(key)).toBe(`saas:${key.key}`);
      expect(project.config[key.key].description).toBeTruthy();
    }
  });
});
