import * as fs from "fs";
import * as path from "path";
import * as yaml from "js-yaml";
import { configKeyProblem, shortValue, showKey } from "../../stacks/schema/keys";

/**
 * Reads a Pulumi project the way the Pulumi CLI does before it starts a program: the project file, the stack's
 * config file, the project's config defaults, and the flattening of every value into the string form a program
 * receives (objects and arrays as JSON text).
 */

export interface ProjectFile {
  readonly name: string;
  readonly main?: string;
  readonly config?: Record<string, { type?: string; default?: unknown; value?: unknown; description?: string }>;
}

export interface StackSettings {
  readonly project: string;
  readonly stack: string;
  /** Absolute path of the program's entry module. */
  readonly main: string;
  /** Config as the program receives it: `namespace:key` → string. */
  readonly config: Record<string, string>;
  /**
   * Keys whose values are `secure:` ciphertext. Nothing offline can decrypt them, so they are left out of
   * `config` (the program sees them unset, i.e. their defaults) and marked secret.
   */
  readonly secretKeys: string[];
}

/** A problem with the project or stack files: the plan reports it as a configuration error (exit 2). */
export class ProjectError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ProjectError";
  }
}

/** Pulumi passes every config value to a program as text; objects and arrays are JSON. */
export function configText(value: unknown): string {
  return typeof value === "string" ? value : JSON.stringify(value);
}

/** Larger than any real project or stack file (a few KB); past it the file is refused before it is parsed. */
export const MAX_FILE_BYTES = 1024 * 1024;
/** Values a file may expand to through YAML aliases (`&a` / `*a`) before it is refused as an alias bomb. */
export const MAX_EXPANDED_VALUES = 100_000;
/**
 * How many values `root` stands for once every alias is expanded, counted without expanding anything (js-yaml
 * returns an alias as a reference to the same object, so the parse itself is cheap; what blows up is whatever
 * walks the result). Stops counting past `limit`.
 */
export function expandedSize(root: unknown, limit = MAX_EXPANDED_VALUES): number {
  const sizes = new Map<object, number>();
  const visiting = new Set<object>();
  const size = (node: unknown): number => {
    if (node === null || typeof node !== "object") return 1;
    const known = sizes.get(node);
    if (known !== undefined) return known;
    if (visiting.has(node)) return limit + 1;
    visiting.add(node);
    let total = 1;
    for (const child of Object.values(node)) {
      total += size(child);
      if (total > limit) break;
    }
    visiting.delete(node);
    sizes.set(node, Math.min(total, limit + 1));
    return Math.min(total, limit + 1);
  };
  return size(root);
}

function readYaml(file: string): unknown {
  const name = path.basename(file);
  let bytes: Buffer;
  try {
    const { size } = fs.statSync(file);
    if (size > MAX_FILE_BYTES) {
      throw new ProjectError(
        `${name}: is ${size} bytes, more than the ${MAX_FILE_BYTES} a project or stack file may have; is it the right file?`,
      );
    }
    bytes = fs.readFileSync(file);
  } catch (err) {
    if (err instanceof ProjectError) throw err;
    const reason =
      (err as NodeJS.ErrnoException).code === "ENOENT" ? "the file does not exist" : (err as Error).message;
    throw new ProjectError(`cannot read ${name}: ${reason}`);
  }
  // UTF-16 (what some Windows editors save) has NUL bytes; YAML here is UTF-8, with or without a BOM.
  if (bytes.includes(0)) {
    throw new ProjectError(`${name}: is not UTF-8 text (it has NUL bytes; UTF-16?); save it as UTF-8`);
  }
  let doc: unknown;
  try {
    doc = yaml.load(bytes.toString("utf8"), { filename: name });
  } catch (err) {
    // js-yaml's message has a code snippet on further lines; the reason and position are the one line to show.
    const e = err as { reason?: string; mark?: { line: number; column: number } };
    const where = e.mark ? ` at line ${e.mark.line + 1}, column ${e.mark.column + 1}` : "";
    throw new ProjectError(`${name}: is not valid YAML${where}: ${e.reason ?? (err as Error).message.split("\n")[0]}`);
  }
  if (expandedSize(doc) > MAX_EXPANDED_VALUES) {
    throw new ProjectError(
      `${name}: expands to more than ${MAX_EXPANDED_VALUES} values through YAML aliases (&name / *name); a stack file needs no aliases, write the values out`,
    );
  }
  return doc;
}

/** What a YAML value is, for "expected a mapping, got …". */
function kindOf(value: unknown): string {
  if (Array.isArray(value)) return "a list";
  if (value === null || value === undefined) return "nothing";
  if (typeof value === "object") return "a mapping";
  return `the ${typeof value} ${shortValue(value)}`;
}

/** Top-level keys of a stack file the Pulumi CLI reads; anything else (`confg:`) would be silently ignored. */
const STACK_FILE_KEYS = ["config", "secretsprovider", "encryptedkey", "encryptionsalt", "environment"];

/** A `secure:` value as Pulumi writes it: `{ secure: <base64 ciphertext> }` and nothing else. */
function secureValueProblem(value: object): string | undefined {
  const entries = Object.entries(value);
  const secure = (value as { secure?: unknown }).secure;
  if (
    entries.length !== 1 ||
    typeof secure !== "string" ||
    !/^[A-Za-z0-9+/=\s:_-]+$/.test(secure) ||
    secure.trim() === ""
  ) {
    return `expected { secure: <ciphertext> } as pulumi config set --secret writes it, got ${shortValue(value)}`;
  }
  return undefined;
}

export function loadProjectFile(projectDir: string): ProjectFile {
  const project = readYaml(path.join(projectDir, "Pulumi.yaml"));
  if (project === null || typeof project !== "object" || Array.isArray(project)) {
    throw new ProjectError(`Pulumi.yaml: expected a mapping with name, runtime and config, got ${kindOf(project)}`);
  }
  const file = project as ProjectFile;
  if (typeof file.name !== "string") {
    throw new ProjectError("Pulumi.yaml: `name` is missing");
  }
  if (
    file.config !== undefined &&
    (file.config === null || typeof file.config !== "object" || Array.isArray(file.config))
  ) {
    throw new ProjectError(`Pulumi.yaml: \`config\` must be a mapping of key declarations, got ${kindOf(file.config)}`);
  }
  return file;
}

/** Lists the stacks that have a config file next to Pulumi.yaml. */
export function listStacks(projectDir: string): string[] {
  return fs
    .readdirSync(projectDir)
    .map((f) => /^Pulumi\.(.+)\.yaml$/.exec(f)?.[1])
    .filter((s): s is string => s !== undefined)
    .sort();
}

export function loadStackSettings(projectDir: string, stack: string): StackSettings {
  const project = loadProjectFile(projectDir);
  const stackFile = path.join(projectDir, `Pulumi.${stack}.yaml`);
  if (!fs.existsSync(stackFile)) {
    const known = listStacks(projectDir);
    throw new ProjectError(
      `unknown stack "${stack}": there is no Pulumi.${stack}.yaml` +
        (known.length ? ` (stacks: ${known.join(", ")})` : ""),
    );
  }
  const fileName = `Pulumi.${stack}.yaml`;
  const raw = readYaml(stackFile) ?? {};
  if (typeof raw !== "object" || Array.isArray(raw)) {
    throw new ProjectError(`${fileName}: expected a mapping with a \`config:\` mapping at the top, got ${kindOf(raw)}`);
  }
  const unknownTop = Object.keys(raw).filter((k) => !STACK_FILE_KEYS.includes(k));
  if (unknownTop.length > 0) {
    throw new ProjectError(
      `${fileName}: top-level key ${showKey(unknownTop[0])} is not one Pulumi reads (${STACK_FILE_KEYS.join(", ")}); ` +
        "config keys belong under config:",
    );
  }
  const stackDoc = raw as { config?: unknown };
  if (
    stackDoc.config !== undefined &&
    stackDoc.config !== null &&
    (typeof stackDoc.config !== "object" || Array.isArray(stackDoc.config))
  ) {
    throw new ProjectError(
      `${fileName}: \`config\` must be a mapping of namespace:key to value, got ${kindOf(stackDoc.config)}`,
    );
  }
  const config: Record<string, string> = {};
  const secretKeys: string[] = [];

  // Project-level declarations: defaults for the project's own keys, `value` for any namespace.
  for (const [rawKey, decl] of Object.entries(project.config ?? {})) {
    const key = rawKey.includes(":") ? rawKey : `${project.name}:${rawKey}`;
    const value = decl && typeof decl === "object" ? (decl.value ?? decl.default) : decl;
    if (value !== undefined) {
      config[key] = configText(value);
    }
  }
  for (const [key, value] of Object.entries((stackDoc.config ?? {}) as Record<string, unknown>)) {
    const keyProblem = configKeyProblem(key);
    if (keyProblem) {
      throw new ProjectError(`${fileName}: config key ${showKey(key)}: ${keyProblem}`);
    }
    if (!key.includes(":")) {
      throw new ProjectError(`${fileName}: config key ${showKey(key)} needs a namespace, e.g. ${project.name}:${key}`);
    }
    if (value && typeof value === "object" && "secure" in (value as object)) {
      const problem = secureValueProblem(value as object);
      if (problem) {
        throw new ProjectError(`${fileName}: ${key}: ${problem}`);
      }
      // Offline nothing can decrypt it: the program sees the key as unset (its default), and as a secret.
      delete config[key];
      secretKeys.push(key);
      continue;
    }
    config[key] = configText(value);
  }
  const main = path.resolve(projectDir, project.main ?? ".");
  return { project: project.name, stack, main, config, secretKeys };
}
