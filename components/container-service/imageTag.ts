import * as fs from "fs";
import * as path from "path";
import { createHash } from "crypto";

/** Folders that are build outputs or installed dependencies, never part of what the image is built from. */
const IGNORED = new Set(["node_modules", "dist", "coverage", ".git"]);

/** Every file under `dir` that feeds the image build, as sorted relative paths. */
function buildInputs(dir: string, base = dir): string[] {
  return fs
    .readdirSync(dir, { withFileTypes: true })
    .filter((entry) => !IGNORED.has(entry.name))
    .flatMap((entry) => {
      const full = path.join(dir, entry.name);
      return entry.isDirectory() ? buildInputs(full, base) : [path.relative(base, full).split(path.sep).join("/")];
    })
    .sort();
}

/**
 * The image tag for a build folder: `<package.json version>-<12 hex of the content hash>`. The version says what
 * it is to a person; the hash makes the tag change with every change of the sources, which the repository's
 * immutable tags require (pushing changed content under an existing tag is refused), and keeps it unchanged
 * when nothing changed, so an unchanged app is not rebuilt or redeployed.
 */
export function contentImageTag(dir: string): string {
  const hash = createHash("sha256");
  for (const file of buildInputs(dir)) {
    hash
      .update(file)
      .update("\0")
      .update(fs.readFileSync(path.join(dir, file)))
      .update("\0");
  }
  let version = "0.0.0";
  try {
    version =
      (JSON.parse(fs.readFileSync(path.join(dir, "package.json"), "utf8")) as { version?: string }).version ?? version;
  } catch {
    // A folder without package.json is tagged by its content alone.
  }
  return `${version}-${hash.digest("hex").slice(0, 12)}`;
}
