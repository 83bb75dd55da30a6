import {
  FLYWAY_CONNECTIONS_PER_RUN,
  MAP_MAX_CONCURRENCY,
  MAX_BATCH_SIZE,
  migrationConcurrency,
  planFleetRun,
  tenantRunPlan,
} from "../../components/tenant-migrations/waves";

const t = (n: number) => Array.from({ length: n }, (_, i) => `tenant_t${i + 1}`);

describe("migrationConcurrency", () => {
  it("counts three connections per Flyway run (main, migration, callback event connection)", () => {
    expect(FLYWAY_CONNECTIONS_PER_RUN).toBe(3);
  });

  it.each([
    // [migratorConnections, connectionsPerRun, expected]
    [3, undefined, 1],
    [5, undefined, 1],
    [6, undefined, 2],
    [8, undefined, 2],
    [9, undefined, 3],
    [100, undefined, 33],
    [100, 2, 40], // 50 runs fit; an inline Map runs at most 40
    [80, 2, 40],
    [82, 2, 40],
    [78, 2, 39],
    [1, 1, 1],
  ])("%i connections at %s per run → %i batches at once", (migratorConnections, connectionsPerRun, expected) => {
    expect(migrationConcurrency({ migratorConnections, connectionsPerRun })).toBe(expected);
  });

  it("caps at the inline Map's 40 concurrent iterations", () => {
    expect(MAP_MAX_CONCURRENCY).toBe(40);
  });

  it("refuses a share that cannot hold one run (the first value below the bound)", () => {
    expect(() => migrationConcurrency({ migratorConnections: 2 })).toThrow(
      "migrationConcurrency: invalid input:\n  - migratorConnections: 2 cannot hold one Flyway run (3 connections); raise the migrator's share of the connection budget to at least 3",
    );
  });

  it.each([
    [{ migratorConnections: 0 }, "  - migratorConnections: expected a whole number of connections ≥ 1, got 0"],
    [{ migratorConnections: 4.5 }, "  - migratorConnections: expected a whole number of connections ≥ 1, got 4.5"],
    [
      { migratorConnections: "6" as unknown as number },
      '  - migratorConnections: expected a whole number of connections ≥ 1, got "6"',
    ],
    [
      { migratorConnections: 6, connectionsPerRun: 0 },
      "  - connectionsPerRun: expected a whole number of connections ≥ 1, got 0",
    ],
  ])("refuses %j", (input, message) => {
    expect(() => migrationConcurrency(input)).toThrow(`migrationConcurrency: invalid input:\n${message}`);
  });
});

describe("planFleetRun", () => {
  it("runs the first tenant alone as the canary by default, then the rest in batches, `concurrency` per wave", () => {
    expect(planFleetRun({ schemas: t(8), batchSize: 2, concurrency: 2 })).toEqual({
      canary: [{ batchId: "canary-1", schemas: ["tenant_t1"] }],
      waves: [
        [
          { batchId: "wave-1-1", schemas: ["tenant_t2", "tenant_t3"] },
          { batchId: "wave-1-2", schemas: ["tenant_t4", "tenant_t5"] },
        ],
        [
          { batchId: "wave-2-1", schemas: ["tenant_t6", "tenant_t7"] },
          { batchId: "wave-2-2", schemas: ["tenant_t8"] },
        ],
      ],
      concurrency: 2,
      batchSize: 2,
    });
  });

  it("takes the canary out of the waves wherever it is listed, and batches a canary of several", () => {
    const plan = planFleetRun({
      schemas: t(5),
      canary: ["tenant_t4", "tenant_t2", "tenant_t5"],
      batchSize: 2,
      concurrency: 3,
    });
    expect(plan.canary).toEqual([
      { batchId: "canary-1", schemas: ["tenant_t4", "tenant_t2"] },
      { batchId: "canary-2", schemas: ["tenant_t5"] },
    ]);
    expect(plan.waves).toEqual([[{ batchId: "wave-1-1", schemas: ["tenant_t1", "tenant_t3"] }]]);
  });

  it("runs no canary when given an empty list", () => {
    const plan = planFleetRun({ schemas: t(3), canary: [], batchSize: 5, concurrency: 1 });
    expect(plan.canary).toEqual([]);
    expect(plan.waves).toEqual([[{ batchId: "wave-1-1", schemas: ["tenant_t1", "tenant_t2", "tenant_t3"] }]]);
  });

  it("plans nothing for a stack without tenants", () => {
    expect(planFleetRun({ schemas: [], batchSize: 5, concurrency: 2 })).toEqual({
      canary: [],
      waves: [],
      concurrency: 2,
      batchSize: 5,
    });
  });

  it("one tenant: the canary only", () => {
    expect(planFleetRun({ schemas: ["tenant_a"], batchSize: 5, concurrency: 2 })).toEqual({
      canary: [{ batchId: "canary-1", schemas: ["tenant_a"] }],
      waves: [],
      concurrency: 2,
      batchSize: 5,
    });
  });

  it.each([
    // [tenants, batchSize, concurrency, waves, batches in the last wave, schemas in the last batch]
    [1000, 25, 5, 8, 5, 24],
    [1000, 25, 40, 1, 40, 24],
    [1001, 25, 40, 1, 40, 25],
    [1002, 25, 40, 2, 1, 1],
    [101, 100, 1, 1, 1, 100],
    [11, 1, 3, 4, 1, 1],
  ])(
    "%i tenants, %i per batch, %i at once: %i waves, %i batches in the last, %i schemas in its last batch",
    (tenants, batchSize, concurrency, waves, lastWave, lastBatch) => {
      const plan = planFleetRun({ schemas: t(tenants), batchSize, concurrency });
      expect(plan.waves).toHaveLength(waves);
      expect(plan.waves[waves - 1]).toHaveLength(lastWave);
      expect(plan.waves[waves - 1][lastWave - 1].schemas).toHaveLength(lastBatch);
      // Every tenant exactly once, in the input's order.
      expect([...plan.canary, ...plan.waves.flat()].flatMap((b) => b.schemas)).toEqual(t(tenants));
    },
  );

  it("accepts the bounds: batchSize 100 and concurrency 40", () => {
    expect(MAX_BATCH_SIZE).toBe(100);
    const plan = planFleetRun({ schemas: t(4002), batchSize: 100, concurrency: 40 });
    expect(plan.waves[0]).toHaveLength(40);
    expect(plan.waves[0][0].schemas).toHaveLength(100);
  });

  it.each([
    [{ batchSize: 0 }, "  - batchSize: expected a whole number from 1 to 100, got 0"],
    [{ batchSize: 101 }, "  - batchSize: expected a whole number from 1 to 100, got 101"],
    [{ batchSize: 2.5 }, "  - batchSize: expected a whole number from 1 to 100, got 2.5"],
    [{ concurrency: 0 }, "  - concurrency: expected a whole number from 1 to 40, got 0"],
    [{ concurrency: 41 }, "  - concurrency: expected a whole number from 1 to 40, got 41"],
    [{ schemas: "tenant_a" }, '  - schemas: expected a list of schema names, got "tenant_a"'],
    [
      { schemas: ["tenant_a", "Tenant-B"] },
      '  - schemas[1]: expected a schema name (lower-case letters, digits and _, at most 63), got "Tenant-B"',
    ],
    [
      { schemas: ["tenant_a", `t${"x".repeat(63)}`] },
      `  - schemas[1]: expected a schema name (lower-case letters, digits and _, at most 63), got "t${"x".repeat(63)}"`,
    ],
    [
      { schemas: ["tenant_a", "tenant_b", "tenant_a"] },
      '  - schemas[2]: "tenant_a" is listed twice; each schema is migrated once per run',
    ],
    [{ canary: ["tenant_z"] }, '  - canary[0]: "tenant_z" is not among the schemas to migrate'],
    [{ canary: ["tenant_a", "tenant_a"] }, '  - canary[1]: "tenant_a" is listed twice'],
    [{ canary: "tenant_a" }, '  - canary: expected a list of schema names, got "tenant_a"'],
  ])("refuses %j", (change, message) => {
    const input = { schemas: ["tenant_a", "tenant_b"], batchSize: 10, concurrency: 2, ...change } as never;
    expect(() => planFleetRun(input)).toThrow(`planFleetRun: invalid input:\n${message}`);
  });

  it("accepts a 63-character schema name (PostgreSQL's limit)", () => {
    const long = `t${"x".repeat(62)}`;
    expect(planFleetRun({ schemas: [long], batchSize: 1, concurrency: 1 }).canary[0].schemas).toEqual([long]);
  });

  it("reports every problem at once", () => {
    expect(() => planFleetRun({ schemas: ["tenant_a"], canary: ["tenant_b"], batchSize: 0, concurrency: 0 })).toThrow(
      "planFleetRun: invalid input:\n" +
        "  - batchSize: expected a whole number from 1 to 100, got 0\n" +
        "  - concurrency: expected a whole number from 1 to 40, got 0\n" +
        '  - canary[0]: "tenant_b" is not among the schemas to migrate',
    );
  });
});

describe("tenantRunPlan: a stack's run, as npm run migrate and the offline plan both plan it", () => {
  const ids = ["acme", "globex", "initech", "umbrella"];
  const shape = (plan: ReturnType<typeof tenantRunPlan>) => ({
    concurrency: plan.concurrency,
    canary: plan.canary.map((b) => b.schemas),
    waves: plan.waves.map((w) => w.map((b) => b.schemas)),
  });

  it.each([
    [
      "no canary configured: the first tenant",
      { canary: [] },
      { concurrency: 1, canary: [["tenant_acme"]], waves: [[["tenant_globex", "tenant_initech", "tenant_umbrella"]]] },
    ],
    [
      "a configured canary, in its own order, taken out of the waves",
      { canary: ["initech", "globex"] },
      { concurrency: 1, canary: [["tenant_initech", "tenant_globex"]], waves: [[["tenant_acme", "tenant_umbrella"]]] },
    ],
    [
      "--tenants: the first named is the canary, the configured one is not used, config order kept",
      { canary: ["initech"], only: ["umbrella", "acme"] },
      { concurrency: 1, canary: [["tenant_umbrella"]], waves: [[["tenant_acme"]]] },
    ],
    [
      "the concurrency from the migrator's share: 60 connections, 20 at once",
      { canary: [], migratorConnections: 60, batchSize: 1 },
      {
        concurrency: 20,
        canary: [["tenant_acme"]],
        waves: [[["tenant_globex"], ["tenant_initech"], ["tenant_umbrella"]]],
      },
    ],
  ])("%s", (_what, change, expected) => {
    expect(shape(tenantRunPlan({ tenantIds: ids, migratorConnections: 5, ...change }))).toEqual(expected);
  });

  it.each([
    [
      { canary: ["nope"] },
      'tenantRunPlan: invalid input:\n  - canary[0]: "nope" is not among the tenants (["acme","globex","initech","umbrella"])',
    ],
    [
      { canary: [], only: ["acme", "nope"] },
      'tenantRunPlan: invalid input:\n  - only[1]: "nope" is not among the tenants (["acme","globex","initech","umbrella"])',
    ],
    [
      { canary: [], only: [] },
      "tenantRunPlan: invalid input:\n  - only: expected at least one tenant id, or no `only` to migrate every tenant",
    ],
    [{ canary: ["acme", "acme"] }, 'planFleetRun: invalid input:\n  - canary[1]: "tenant_acme" is listed twice'],
  ])("refuses %j", (change, message) => {
    expect(() => tenantRunPlan({ tenantIds: ids, migratorConnections: 5, ...change })).toThrow(message);
  });
});
