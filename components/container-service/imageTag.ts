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

/** What, besides the build folder's files, decides the bytes of the image. */
export interface ImageBuildInputs {
  /** The docker build platform, e.g. `linux/arm64`: the same sources build different bytes per platform. */
  readonly platform: string;
  /**
   * The Dockerfile (it names the base image). Hashed by content; one inside `dir` is hashed with the folder anyway.
   * @default - `<dir>/Dockerfile`
   */
  readonly dockerfile?: string;
}

/**
 * The image tag for a build folder: `<package.json version>-<12 hex of the content hash>`. The version says what
 * it is to a person; the hash covers everything that changes the bytes of the image: every file of the folder,
 * the Dockerfile (and so the base image it names) and the platform. The build passes no build arguments or
 * target; a change that adds them must add them here. The repository's tags are immutable (pushing other bytes
 * under an existing tag is refused), so any of these changing must change the tag; nothing else may, so an
 * unchanged image is not rebuilt or redeployed.
 */
export function contentImageTag(dir: string, inputs: ImageBuildInputs): string {
  const hash = createHash("sha256");
  for (const file of buildInputs(dir)) {
    hash
      .update(file)
      .update("\0")
      .update(fs.readFileSync(path.join(dir, file)))
      .update("\0");
  }
  hash.update("platform\0").update(inputs.platform).update("\0");
  const dockerfile = inputs.dockerfile ?? path.join(dir, "Dockerfile");
  if (path.relative(dir, dockerfile).startsWith("..")) {
    hash.update("dockerfile\0").update(fs.readFileSync(dockerfile)).update("\0");
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
