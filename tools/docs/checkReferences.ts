import * as fs from "fs";
import * as path from "path";
import { Reference, extractReferences, stacksNamedIn } from "./references";

/**
 * Checks the references of operations documents against what the repository really has. The checks are pure
 * over a `ReferenceContext`; `documentsToCheck` and `repoContext` read the repository for the test.
 */

/** Provider config keys documents may name besides the project's (stacks/schema.ts CONFIG_KEYS). */
export const PROVIDER_CONFIG_KEYS = ["aws:region", "aws:defaultTags", "aws:profile", "aws:allowedAccountIds"] as const;

export interface ReferenceContext {
  /** Output names per stack, from the offline program. */
  readonly outputsByStack: Readonly<Record<string, ReadonlySet<string>>>;
  /** `<type>::<name>` of every resource per stack, from the offline program. */
  readonly resourcesByStack?: Readonly<Record<string, ReadonlySet<string>>>;
  /** Fully qualified config keys (`saas:vpcCidr`, `aws:region`) a document may name. */
  readonly configKeys: ReadonlySet<string>;
  /** npm scripts a command in this document can run (its folder's package.json and the root's). */
  scriptsFor(file: string): ReadonlySet<string>;
  /** True when the repository-relative path (file or folder) exists. */
  exists(target: string): boolean;
}

export interface Problem {
  /** `runbooks/x.md:12` */
  readonly where: string;
  readonly reference: string;
  readonly problem: string;
}

/** Problems with one document (`file` is repository-relative, e.g. `runbooks/rollback.md`). */
export function referenceProblems(file: string, markdown: string, ctx: ReferenceContext): Problem[] {
  const problems: Problem[] = [];
  const stacks = Object.keys(ctx.outputsByStack).sort();
  const named = stacksNamedIn(markdown).filter((s) => stacks.includes(s));
  const add = (ref: Reference, problem: string) =>
    problems.push({ where: `${file}:${ref.line}`, reference: ref.text, problem });
  for (const ref of extractReferences(markdown)) {
    switch (ref.kind) {
      case "output": {
        // The command's own stack; else the stacks the document is about; else every stack.
        const required = ref.stack ? [ref.stack] : named.length > 0 ? named : stacks;
        for (const stack of required) {
          const outputs = ctx.outputsByStack[stack];
          if (!outputs) {
            add(ref, `names stack "${stack}", which has no Pulumi.${stack}.yaml`);
          } else if (!outputs.has(ref.name)) {
            add(ref, `stack output "${ref.name}" does not exist in ${stack} (stacks/platform.ts exports it?)`);
          }
        }
        break;
      }
      case "resource": {
        const required = ref.stack ? [ref.stack] : named.length > 0 ? named : stacks;
        for (const stack of required) {
          const resources = ctx.resourcesByStack?.[stack];
          if (resources && !resources.has(`${ref.type}::${ref.name}`)) {
            add(ref, `the ${stack} program has no resource ${ref.name} of type ${ref.type}`);
          }
        }
        break;
      }
      case "config":
        if (!ctx.configKeys.has(ref.key)) {
          add(ref, `config key "${ref.key}" is not in CONFIG_KEYS (stacks/schema.ts) or the provider allow-list`);
        }
        break;
      case "script":
        if (!ctx.scriptsFor(file).has(ref.name)) {
          add(ref, `npm script "${ref.name}" is not in package.json`);
        }
        break;
      case "path": {
        const candidates = resolveCandidates(file, ref);
        if (!candidates.some((c) => ctx.exists(c))) {
          add(ref, `file "${ref.path}" does not exist (looked for ${candidates.join(", ")})`);
        }
        break;
      }
    }
  }
  return problems;
}

/** Repository-relative paths a reference may mean: a link is relative to its document, a code path to the root. */
export function resolveCandidates(file: string, ref: Extract<Reference, { kind: "path" }>): string[] {
  const dir = path.posix.dirname(file);
  const fromDoc = path.posix.normalize(path.posix.join(dir, ref.path));
  if (ref.via === "link" || ref.path.startsWith("./") || ref.path.startsWith("../")) {
    return [fromDoc];
  }
  const fromRoot = path.posix.normalize(ref.path);
  return fromRoot === fromDoc ? [fromRoot] : [fromRoot, fromDoc];
}

export function formatProblems(problems: readonly Problem[]): string {
  return problems.map((p) => `${p.where}: ${p.reference}: ${p.problem}`).join("\n");
}

/** The documents the check reads, repository-relative and sorted. */
export function documentsToCheck(root: string): string[] {
  const docs: string[] = [];
  const add = (rel: string) => {
    if (fs.existsSync(path.join(root, rel))) {
      docs.push(rel);
    }
  };
  const runbooks = path.join(root, "runbooks");
  if (fs.existsSync(runbooks)) {
    for (const f of fs.readdirSync(runbooks)) {
      if (f.endsWith(".md")) {
        docs.push(`runbooks/${f}`);
      }
    }
  }
  add("README.md");
  // The written pages of docs/; the generated ones are checked by being regenerated (tests/docs/generated.test.ts).
  for (const page of ["docs/platform.md", "docs/performance.md"]) {
    add(page);
  }
  add("app/README.md");
  add("policy/README.md");
  add("components/tenant-schemas/THREAT_MODEL.md");
  const components = path.join(root, "components");
  const walk = (dir: string) => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) {
        walk(full);
      } else if (entry.name === "README.md") {
        docs.push(path.relative(root, full).split(path.sep).join("/"));
      }
    }
  };
  if (fs.existsSync(components)) {
    walk(components);
  }
  return [...new Set(docs)].sort();
}

/** npm scripts of the package.json nearest to a document, plus the root's. */
export function scriptsReader(root: string): (file: string) => ReadonlySet<string> {
  const read = (dir: string): string[] => {
    const pkg = path.join(root, dir, "package.json");
    if (!fs.existsSync(pkg)) {
      return [];
    }
    const scripts = (JSON.parse(fs.readFileSync(pkg, "utf8")) as { scripts?: Record<string, string> }).scripts;
    return Object.keys(scripts ?? {});
  };
  return (file) => {
    const names = new Set(read("."));
    let dir = path.posix.dirname(file);
    while (dir !== "." && dir !== "/" && dir !== "") {
      if (fs.existsSync(path.join(root, dir, "package.json"))) {
        read(dir).forEach((s) => names.add(s));
        break;
      }
      dir = path.posix.dirname(dir);
    }
    return names;
  };
}
