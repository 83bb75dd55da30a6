/**
 * The migration image's build context, staged when the program runs (plan, preview, up): migrations/Dockerfile,
 * the tenant migrations and the batch runner bundled by esbuild into one file. The folder is named after its
 * content and written whole (a temporary folder renamed into place), so processes staging at once never see half
 * of one, and an unchanged image keeps its folder, its tag and its digest.
 */
import { createHash } from "crypto";
import * as fs from "fs";
import * as path from "path";
import { bundleHandler } from "../shared/bundle";
import { contentImageTag } from "../container-service/imageTag";

const REPO_ROOT = path.resolve(__dirname, "..", "..");
/** The runner the image starts (components/tenant-migrations/runner/main.ts). */
export const RUNNER_ENTRY = path.join(REPO_ROOT, "components", "tenant-migrations", "runner", "main.ts");
export const MIGRATIONS_DIR = path.join(REPO_ROOT, "migrations");
/** Relative to the project folder, where Pulumi runs the program: the same path in every machine's state. */
export const STAGING_DIR = path.join("node_modules", ".cache", "migration-image");

export interface MigrationImageContext {
  /** The build context folder, relative to the project folder. */
  readonly context: string;
  /** `0.0.0-<12 hex>`: the content hash of the folder and the platform (contentImageTag). */
  readonly tag: string;
}

/** The files of the context: path inside it → content. */
export async function migrationImageFiles(): Promise<Map<string, Buffer>> {
  const bundle = await bundleHandler("migration-runner", RUNNER_ENTRY);
  const files = new Map<string, Buffer>();
  files.set("Dockerfile", fs.readFileSync(path.join(MIGRATIONS_DIR, "Dockerfile")));
  for (const f of fs.readdirSync(path.join(MIGRATIONS_DIR, "tenant")).sort()) {
    if (f.endsWith(".sql")) files.set(`tenant/${f}`, fs.readFileSync(path.join(MIGRATIONS_DIR, "tenant", f)));
  }
  files.set("runner/runner.js", Buffer.from(bundle.code));
  return files;
}

/** Stages the context for `platform` (e.g. `linux/amd64`) under `root` and returns where it is and its tag. */
export async function stageMigrationImage(platform: string, root: string = REPO_ROOT): Promise<MigrationImageContext> {
  const files = await migrationImageFiles();
  const hash = createHash("sha256");
  for (const [name, content] of files) hash.update(name).update("\0").update(content).update("\0");
  const relative = path.join(STAGING_DIR, hash.digest("hex").slice(0, 16));
  const dir = path.join(root, relative);
  if (!fs.existsSync(path.join(dir, "Dockerfile"))) {
    const temporary = `${dir}.${process.pid}.tmp`;
    fs.rmSync(temporary, { recursive: true, force: true });
    for (const [name, content] of files) {
      fs.mkdirSync(path.dirname(path.join(temporary, name)), { recursive: true });
      fs.writeFileSync(path.join(temporary, name), content);
    }
    try {
      fs.renameSync(temporary, dir);
    } catch {
      // Another process put the same content there first.
      fs.rmSync(temporary, { recursive: true, force: true });
    }
  }
  return { context: relative, tag: contentImageTag(dir, { platform }) };
}
