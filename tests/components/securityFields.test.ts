import { Planned } from "../support/plan";

/**
 * The security-relevant fields of the real stacks, each pinned to the literal a reviewer checks: a change to any
 * of them is a security change and must show up as a failing test, not slip through a partial `toMatchObject`.
 */

const json = (value: unknown) => JSON.parse(value as string);
const stacks: Record<string, Planned> = {};
beforeAll(async () => {
  stacks.dev = await Planned.of({ stack: "dev" });
  stacks.prod = await Planned.of({ stack: "prod" });
});

describe.each(["dev", "prod"])("the %s service container", (stack) => {
  const container = () =>
    json(stacks[stack].one("aws:ecs/taskDefinition:TaskDefinition", "service-task").inputs.containerDefinitions)[0];

  it("drops every Linux capability, runs an init process, as numeric non-root user 10001, unprivileged", () => {
    expect(container()).toMatchObject({
      user: "10001:10001",
      privileged: false,
      linuxParameters: { initProcessEnabled: true, capabilities: { drop: ["ALL"] } },
    });
    expect(container().linuxParameters.capabilities.add).toBeUndefined();
  });

  it("keeps the root filesystem read-only unless ECS Exec is on (dev only)", () => {
    expect(container().readonlyRootFilesystem).toBe(stack === "prod");
    expect(stacks[stack].one("aws:ecs/service:Service", "service-service").inputs.enableExecuteCommand).toBe(
      stack === "dev",
    );
  });

  it("gets its database pool settings as plain variables, and no credential in plaintext", () => {
    const env = Object.fromEntries(
      (container().environment as { name: string; value: string }[]).map((e) => [e.name, e.value]),
    );
    expect(env).toMatchObject({
      DB_POOL_MAX_SIZE: "10",
      DB_CONNECTION_TIMEOUT_MS: "10000",
      DB_IDLE_TIMEOUT_MS: "600000",
      DB_MAX_LIFETIME_MS: "1800000",
    });
    expect(Object.keys(env).filter((n) => /PASSWORD|SECRET|TOKEN/.test(n))).toEqual([]);
  });
});

describe.each(["dev", "prod"])("the %s network and edge", (stack) => {
  const p = () => stacks[stack];

  it("logs ALL VPC traffic at the 1-minute aggregation interval", () => {
    expect(
      p()
        .ofType("aws:ec2/flowLog:FlowLog")
        .map((f) => f.inputs),
    ).toEqual([
      expect.objectContaining({
        trafficType: "ALL",
        maxAggregationInterval: 60,
        logDestinationType: "cloud-watch-logs",
      }),
    ]);
  });

  it("runs tasks without a public IP", () => {
    expect(p().one("aws:ecs/service:Service", "service-service").inputs.networkConfiguration).toMatchObject({
      assignPublicIp: false,
    });
  });

  it("closes idle connections after 60 s (below the app's 65 s keep-alive) and drops invalid headers", () => {
    expect(p().one("aws:lb/loadBalancer:LoadBalancer", "service-alb").inputs).toMatchObject({
      idleTimeout: 60,
      dropInvalidHeaderFields: true,
      internal: false,
    });
  });

  it("serves TLS 1.2+ only and answers plain HTTP with a permanent redirect to HTTPS 443", () => {
    expect(p().one("aws:lb/listener:Listener", "service-https").inputs).toMatchObject({
      protocol: "HTTPS",
      port: 443,
      sslPolicy: "ELBSecurityPolicy-TLS13-1-2-2021-06",
    });
    expect(p().one("aws:lb/listener:Listener", "service-http").inputs.defaultActions).toEqual([
      { type: "redirect", redirect: { protocol: "HTTPS", port: "443", statusCode: "HTTP_301" } },
    ]);
  });

  it("redirects CloudFront viewers to HTTPS", () => {
    expect(
      p().one("aws:cloudfront/distribution:Distribution", "cdn-distribution").inputs.defaultCacheBehavior,
    ).toMatchObject({ viewerProtocolPolicy: "redirect-to-https" });
  });
});

describe("the prod identities", () => {
  const p = () => stacks.prod;

  it("limits the frontend deploy role's sessions to one hour", () => {
    expect(p().one("aws:iam/role:Role", "cdn-deploy").inputs.maxSessionDuration).toBe(3600);
  });

  it("lets the CDN's edge use TLSv1.2_2021 with its own certificate (SNI)", () => {
    expect(
      p().one("aws:cloudfront/distribution:Distribution", "cdn-distribution").inputs.viewerCertificate,
    ).toMatchObject({ minimumProtocolVersion: "TLSv1.2_2021", sslSupportMethod: "sni-only" });
  });

  it("gives the service's execution role exactly these actions", () => {
    const policy = json(p().one("aws:iam/rolePolicy:RolePolicy", "service-execution").inputs.policy);
    expect(policy.Statement.map((s: { Sid: string; Action: unknown }) => [s.Sid, s.Action])).toEqual([
      ["PullImage", ["ecr:BatchCheckLayerAvailability", "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"]],
      ["RegistryLogin", "ecr:GetAuthorizationToken"],
      ["WriteLogs", ["logs:CreateLogStream", "logs:PutLogEvents"]],
      // The token signing key, exactly that secret, decrypted only through Secrets Manager.
      ["ReadSecrets", "secretsmanager:GetSecretValue"],
      ["DecryptSecrets", "kms:Decrypt"],
    ]);
    const secretArn = p().one("aws:secretsmanager/secret:Secret", "auth-signing-key-secret").outputs.arn;
    expect(policy.Statement.slice(3)).toEqual([
      { Sid: "ReadSecrets", Effect: "Allow", Action: "secretsmanager:GetSecretValue", Resource: [secretArn] },
      {
        Sid: "DecryptSecrets",
        Effect: "Allow",
        Action: "kms:Decrypt",
        Resource: p().one("aws:kms/key:Key", "stack-key-key").outputs.arn,
        Condition: { StringEquals: { "kms:ViaService": "secretsmanager.us-east-1.amazonaws.com" } },
      },
    ]);
  });

  it("gives the service's task role no permissions in prod (exec is off)", () => {
    expect(
      p()
        .ofType("aws:iam/rolePolicy:RolePolicy")
        .map((r) => r.name),
    ).not.toContain("service-task");
  });

  it("alarms after three bad one-minute periods", () => {
    const alarm = (name: string) =>
      p().one("aws:cloudwatch/metricAlarm:MetricAlarm", `monitoring-alarm-${name}`).inputs;
    for (const name of ["alb-5xx", "target-5xx", "db-cpu", "service-cpu", "running-tasks"]) {
      expect([name, alarm(name)]).toMatchObject([name, { period: 60, evaluationPeriods: 3, datapointsToAlarm: 3 }]);
    }
  });
});

describe("the dev identities", () => {
  it("alarms after five bad one-minute periods", () => {
    const alarm = stacks.dev.one("aws:cloudwatch/metricAlarm:MetricAlarm", "monitoring-alarm-alb-5xx").inputs;
    expect(alarm).toMatchObject({ period: 60, evaluationPeriods: 5, datapointsToAlarm: 5 });
  });

  it("gives the task role only the ECS Exec channel, log and key actions", () => {
    const policy = json(stacks.dev.one("aws:iam/rolePolicy:RolePolicy", "service-task").inputs.policy);
    expect(policy.Statement.map((s: { Sid: string; Action: unknown }) => [s.Sid, s.Action])).toEqual([
      [
        "EcsExecChannels",
        [
          "ssmmessages:CreateControlChannel",
          "ssmmessages:CreateDataChannel",
          "ssmmessages:OpenControlChannel",
          "ssmmessages:OpenDataChannel",
        ],
      ],
      ["EcsExecSessionLogs", ["logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"]],
      ["EcsExecFindLogGroup", "logs:DescribeLogGroups"],
      ["EcsExecSessionEncryption", "kms:Decrypt"],
    ]);
  });
});
