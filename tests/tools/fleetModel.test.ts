import { modelFleetRun } from "../../tools/bench/fleetModel";
import { planFleetRun } from "../../components/tenant-migrations/waves";

const ASSUME = {
  taskStartMs: 60_000,
  flywayStartMs: 3_000,
  connectionMs: 50,
  roundTripMs: 0.5,
  stageOverheadMs: 5_000,
};
const schemas = (n: number) => Array.from({ length: n }, (_, i) => `tenant_t${String(i).padStart(4, "0")}`);

describe("modelFleetRun", () => {
  it("adds the stages, each as long as its largest batch", () => {
    // 1 canary + 9 others in batches of 4 → [4, 4, 1], 2 at once → waves [4, 4], [1].
    const plan = planFleetRun({ schemas: schemas(10), batchSize: 4, concurrency: 2 });
    const m = modelFleetRun({ plan, schemaDbMs: 20, schemaRoundTrips: 40, assumptions: ASSUME });
    // Per schema: 3,000 + 2 × 50 + 20 + 40 × 0.5 = 3,140 ms.
    expect(m.perSchemaMs).toBe(3140);
    expect(m.stages).toBe(3);
    expect(m.tasks).toBe(4);
    // Canary: 65 s + 1 × 3.14 s; wave 1: 65 s + 4 × 3.14 s; wave 2: 65 s + 1 × 3.14 s.
    expect(m.wallMs).toBe(65_000 + 3_140 + 65_000 + 12_560 + 65_000 + 3_140);
  });

  it("counts no canary stage for a plan without one", () => {
    const plan = planFleetRun({ schemas: schemas(3), canary: [], batchSize: 3, concurrency: 1 });
    const m = modelFleetRun({ plan, schemaDbMs: 0, schemaRoundTrips: 0, assumptions: ASSUME });
    expect({ stages: m.stages, tasks: m.tasks, wallMs: m.wallMs }).toEqual({
      stages: 1,
      tasks: 1,
      wallMs: 65_000 + 3 * 3_100,
    });
  });
});
