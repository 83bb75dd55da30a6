import { RunOptions, PlanRun, runStack } from "../../tools/engine/run";
import { PlannedResource } from "../../tools/engine/types";

/**
 * Runs a stack (or a small program) under the offline engine, the one `npm run plan` uses, and gives tests
 * lookups over what was registered. Lookups fail loudly when a resource is missing, so a test cannot pass
 * because the component that should create it was deleted.
 */
export class Planned {
  constructor(readonly run: PlanRun) {}

  static async of(options: RunOptions): Promise<Planned> {
    return new Planned(await runStack(options));
  }

  get resources(): PlannedResource[] {
    return this.run.resources;
  }

  ofType(type: string): PlannedResource[] {
    return this.run.resources.filter((r) => r.type === type);
  }

  /** The one resource of that type and logical name. */
  one(type: string, name: string): PlannedResource {
    const found = this.run.resources.filter((r) => r.type === type && r.name === name);
    if (found.length !== 1) {
      const names = this.ofType(type).map((r) => r.name);
      throw new Error(
        `expected one ${type} named "${name}", found ${found.length} (names of that type: ${names.join(", ") || "none"})`,
      );
    }
    return found[0];
  }

  /** The resource whose outputs have this id (how one resource refers to another in inputs). */
  byId(id: unknown): PlannedResource {
    const found = this.run.resources.find((r) => r.custom && r.outputs.id === id);
    if (!found) {
      throw new Error(`no resource has id ${JSON.stringify(id)}`);
    }
    return found;
  }

  /** Children of a resource (by URN). */
  childrenOf(parent: PlannedResource): PlannedResource[] {
    return this.run.resources.filter((r) => r.parent === parent.urn);
  }
}
