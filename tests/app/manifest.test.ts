/**
 * One source of versions: the image installs app/package.json with app/package-lock.json, the tests and the
 * bench load the same packages from the repository root. Both must name the same ranges and lock the same
 * versions, or the tests prove a service the image does not run. And the tenant naming app/src restates
 * (it is built on its own) must be the tenant model's.
 */
import { readFileSync } from "node:fs";
import * as path from "node:path";
import * as model from "../../components/tenant-schemas/model";
import * as appTenant from "../../app/src/tenant";
import { REPO_ROOT } from "./support/service";

const readJson = (file: string) => JSON.parse(readFileSync(path.join(REPO_ROOT, file), "utf8"));
const rootManifest = readJson("package.json");
const appManifest = readJson("app/package.json");
const rootLock = readJson("package-lock.json").packages as Record<string, { version: string }>;
const appLock = readJson("app/package-lock.json").packages as Record<string, { version: string }>;

describe("app/package.json and its lockfile", () => {
  it("has exactly the service's runtime dependencies, with the root's ranges", () => {
    const deps = appManifest.dependencies as Record<string, string>;
    expect(Object.keys(deps).sort()).toEqual(["@aws-sdk/rds-signer", "jose", "pg", "zod"]);
    for (const [name, range] of Object.entries(deps)) {
      expect({ name, range }).toEqual({ name, range: rootManifest.dependencies[name] });
    }
    for (const [name, range] of Object.entries(appManifest.devDependencies as Record<string, string>)) {
      const rootRange = rootManifest.devDependencies[name] ?? rootManifest.dependencies[name];
      // typescript: the root's "~5.9" and the app's "~5.9.3" admit the same 5.9 line; the lock decides.
      if (name !== "typescript") expect({ name, range }).toEqual({ name, range: rootRange });
    }
  });

  it("locks every package at the version the root lockfile has", () => {
    const differing = Object.entries(appLock)
      .filter(([key]) => key !== "")
      .filter(([key, entry]) => rootLock[key]?.version !== entry.version)
      .map(([key, entry]) => `${key}: app ${entry.version}, root ${rootLock[key]?.version ?? "absent"}`);
    expect(differing).toEqual([]);
    expect(appLock[""]).toMatchObject({ dependencies: appManifest.dependencies });
  });
});

describe("app/src/tenant.ts restates the tenant model", () => {
  it("has the same id pattern and role naming", () => {
    expect(appTenant.TENANT_ID_PATTERN.source).toBe(model.TENANT_ID_PATTERN.source);
    expect(appTenant.TENANT_PREFIX).toBe(model.TENANT_PREFIX);
    for (const id of ["alpha", "b2", "tenant_x_1"]) {
      expect(appTenant.tenantIdentifier(id)).toBe(`"${model.tenantRoleName(id)}"`);
      expect(appTenant.tenantIdentifier(id)).toBe(`"${model.tenantSchemaName(id)}"`);
    }
  });

  it.each(["", "a", "Alpha", "1abc", 'a"; DROP ROLE app; --', "a".repeat(32), "alpha beta", "ålpha"])(
    "refuses %j as a tenant id, before any SQL is built",
    (id) => {
      expect(appTenant.isTenantId(id)).toBe(false);
      expect(() => appTenant.tenantIdentifier(id)).toThrow(`not a tenant id: ${JSON.stringify(id)}`);
    },
  );
});
