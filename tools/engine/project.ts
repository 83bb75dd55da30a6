import * as fs from "fs";
import * as path from "path";
import * as yaml from "js-yaml";

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

function readYaml(file: string): unknown {
  try {
    return yaml.load(fs.readFileSync(file, "utf8"));
  } catch (err) {
    const reason =
      (err as NodeJS.ErrnoException).code === "ENOENT" ? "the file does not exist" : (err as Error).message;
    throw new ProjectError(`cannot read ${path.basename(file)}: ${reason}`);
  }
}

export function loadProjectFile(projectDir: string): ProjectFile {
  const project = readYaml(path.join(projectDir, "Pulumi.yaml")) as ProjectFile | undefined;
  if (!project || typeof project.name !== "string") {
    throw new ProjectError("Pulumi.yaml: `name` is missing");
  }
  return project;
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
  const stackDoc = (readYaml(stackFile) ?? {}) as { config?: Record<string, unknown> };
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
  for (const [key, value] of Object.entries(stackDoc.config ?? {})) {
    if (!key.includes(":")) {
      throw new ProjectError(
        `Pulumi.${stack}.yaml: config key "${key}" needs a namespace, e.g. ${project.name}:${key}`,
      );
    }
    if (value && typeof value === "object" && "secure" in (value as object)) {
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
