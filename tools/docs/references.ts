/**
 * What a piece of markdown refers to that can go stale: stack outputs, config keys, npm scripts, repository
 * files and the program's resources (a URN fragment `<type>::<name>`, or `pulumi import <type> <name>`). Pure: the runbook test (tests/docs/runbooks.test.ts) reads the files and checks each reference against
 * the real program, schema, package.json and file tree.
 */

export type Reference =
  | {
      readonly kind: "output";
      readonly line: number;
      readonly name: string;
      /** The stack the command itself names (`--stack prod`, `-s prod`); undefined when it names none. */
      readonly stack?: string;
      readonly text: string;
    }
  | { readonly kind: "config"; readonly line: number; readonly key: string; readonly text: string }
  | { readonly kind: "script"; readonly line: number; readonly name: string; readonly text: string }
  | {
      readonly kind: "resource";
      readonly line: number;
      /** The Pulumi type token, e.g. `aws:rds/instance:Instance`. */
      readonly type: string;
      /** The resource's logical name, e.g. `database-instance`. */
      readonly name: string;
      readonly stack?: string;
      readonly text: string;
    }
  | {
      readonly kind: "path";
      readonly line: number;
      readonly path: string;
      /** `link`: resolve against the markdown file's folder; `code`: a backticked path (repository root first). */
      readonly via: "link" | "code";
      readonly text: string;
    };

/** Namespaces of provider config keys; only these, written where config is set or read, are checked. */
const PROVIDER_NAMESPACES = ["aws", "postgresql"];

/** Top-level entries of the repository a backticked `a/b` path must start with to count as a file reference. */
export const REPO_TOP_LEVEL = [
  ".ci",
  ".github",
  "app",
  "components",
  "docs",
  "policy",
  "runbooks",
  "stacks",
  "tests",
  "tools",
] as const;

/**
 * Every reference in `markdown`, in the order they appear, each with its 1-based line. Code blocks are read for
 * commands (outputs, scripts, config keys) but not for file paths: a shell snippet's paths are often not
 * repository files (`/tmp/dump.sql`).
 */
export function extractReferences(markdown: string): Reference[] {
  const refs: Reference[] = [];
  const lines = markdown.split(/\r?\n/);
  let fence: string | undefined;
  // A command continued with `\` keeps its `--stack` for the next line.
  let continuedStack: string | undefined;
  lines.forEach((text, index) => {
    const line = index + 1;
    const fenceMatch = /^\s*(```+|~~~+)/.exec(text);
    if (fenceMatch) {
      if (fence === undefined) {
        fence = fenceMatch[1];
      } else if (fenceMatch[1].startsWith(fence[0]) && fenceMatch[1].length >= fence.length) {
        fence = undefined;
      }
      continuedStack = undefined;
      return;
    }
    const inCode = fence !== undefined;
    const lineStack = stackNamedIn(text) ?? continuedStack;
    refs.push(...outputsIn(text, line, lineStack));
    refs.push(...configKeysIn(text, line));
    refs.push(...scriptsIn(text, line));
    refs.push(...resourcesIn(text, line, lineStack));
    if (!inCode) {
      refs.push(...pathsIn(text, line));
    }
    continuedStack = /\\\s*$/.test(text) ? lineStack : undefined;
  });
  return refs;
}

/** A shell command of a code block, its `\`-continued lines joined, with the line it starts on. */
export interface ShellCommand {
  readonly line: number;
  readonly text: string;
}

/** Every command in the document's fenced code blocks, continuation lines joined into one. */
export function shellCommands(markdown: string): ShellCommand[] {
  const commands: ShellCommand[] = [];
  let fence: string | undefined;
  let current: { line: number; parts: string[] } | undefined;
  markdown.split(/\r?\n/).forEach((text, index) => {
    const fenceMatch = /^\s*(```+|~~~+)/.exec(text);
    if (fenceMatch) {
      fence = fence === undefined ? fenceMatch[1] : undefined;
      current = undefined;
      return;
    }
    if (fence === undefined) {
      return;
    }
    const continued = /\\\s*$/.test(text);
    const part = text.replace(/\\\s*$/, "").trim();
    current = current ?? { line: index + 1, parts: [] };
    current.parts.push(part);
    if (!continued) {
      if (current.parts.join("") !== "") {
        commands.push({ line: current.line, text: current.parts.join(" ").trim() });
      }
      current = undefined;
    }
  });
  return commands;
}

/** The stack a command line names with `--stack <s>`, `--stack=<s>` or `-s <s>` (placeholders like <stack> are not). */
export function stackNamedIn(text: string): string | undefined {
  const m = /(?:^|\s)(?:--stack[ =]|-s\s+)([A-Za-z0-9][\w.-]*)(?=\s|$|[`"')])/.exec(text);
  return m?.[1];
}

/**
 * The stacks a whole document is about: those it names with `--stack`, `-s` or `pulumi stack select`. Empty when
 * it names none (the commands run against whatever stack is selected).
 */
export function stacksNamedIn(markdown: string): string[] {
  const found = new Set<string>();
  const re = /(?:--stack[ =]|(?:^|\s)-s\s+|pulumi stack select\s+)([A-Za-z0-9][\w.-]*)(?=\s|$|[`"')])/gm;
  for (const m of markdown.matchAll(re)) {
    found.add(m[1]);
  }
  return [...found].sort();
}

function outputsIn(text: string, line: number, lineStack: string | undefined): Reference[] {
  const refs: Reference[] = [];
  // `pulumi stack output [flags] <name> [flags]`; a flag's value (`--stack prod`) is not the name.
  const re = /pulumi\s+stack\s+output((?:\s+[^\s`"')|;&]+)*)/g;
  for (const m of text.matchAll(re)) {
    const tokens = m[1].trim().split(/\s+/).filter(Boolean);
    let name: string | undefined;
    let stack: string | undefined;
    for (let i = 0; i < tokens.length; i++) {
      const token = tokens[i];
      if (token === "--stack" || token === "-s") {
        stack = tokens[++i];
      } else if (token.startsWith("--stack=")) {
        stack = token.slice("--stack=".length);
      } else if (token.startsWith("-")) {
        continue;
      } else {
        name = token;
        break;
      }
    }
    if (name && /^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) {
      refs.push({ kind: "output", line, name, stack: stack ?? lineStack, text: m[0].trim() });
    }
  }
  return refs;
}

function configKeysIn(text: string, line: number): Reference[] {
  const refs: Reference[] = [];
  // Project keys anywhere; not type tokens (`saas:network:Network`) or URN parts (`::saas::`).
  for (const m of text.matchAll(/(?<![\w:/-])saas:([A-Za-z][A-Za-z0-9]*)(?![\w:/])/g)) {
    refs.push({ kind: "config", line, key: `saas:${m[1]}`, text: m[0] });
  }
  // Provider keys only where config is set, read or passed: `aws:SourceAccount` in a policy is not config.
  if (/pulumi\s+config\b|--config\b|(?:^|\s)-c\s/.test(text)) {
    const ns = PROVIDER_NAMESPACES.join("|");
    for (const m of text.matchAll(new RegExp(`(?<![\\w:/-])(${ns}):([A-Za-z][A-Za-z0-9]*)(?![\\w:/])`, "g"))) {
      refs.push({ kind: "config", line, key: `${m[1]}:${m[2]}`, text: m[0] });
    }
  }
  return refs;
}

function scriptsIn(text: string, line: number): Reference[] {
  const refs: Reference[] = [];
  for (const m of text.matchAll(/npm\s+run(?:-script)?((?:\s+-{1,2}[a-z][\w-]*)*)\s+([A-Za-z0-9][\w:.-]*)/g)) {
    refs.push({ kind: "script", line, name: m[2], text: m[0] });
  }
  return refs;
}

const TYPE_TOKEN = "[a-z][a-z0-9-]*:[A-Za-z0-9/]+:[A-Za-z][A-Za-z0-9]*";

/**
 * Resources a command names: a URN fragment `<type>::<name>` (what `grep` finds in `pulumi stack --show-urns`
 * and `pulumi state delete` takes) and `pulumi import <type> <name>`, on lines that run a `pulumi` command or `grep`. A URN's `urn:pulumi:<stack>::<project>`
 * head is not a resource.
 */
function resourcesIn(text: string, line: number, stack: string | undefined): Reference[] {
  const refs: Reference[] = [];
  // Only in a command line: a URN in an example of JSON output is not an instruction to find that resource.
  if (!/(?:^|[\s"'(`$])(?:pulumi\s+[a-z]|grep\s)/.test(text)) {
    return refs;
  }
  for (const m of text.matchAll(new RegExp(`(?<![\\w/-])(${TYPE_TOKEN})::([A-Za-z0-9_.-]+)`, "g"))) {
    if (!m[1].startsWith("urn:")) {
      refs.push({ kind: "resource", line, type: m[1], name: m[2], stack, text: m[0] });
    }
  }
  for (const m of text.matchAll(new RegExp(`pulumi\\s+import\\s+(${TYPE_TOKEN})\\s+([A-Za-z0-9_.-]+)`, "g"))) {
    refs.push({ kind: "resource", line, type: m[1], name: m[2], stack, text: m[0] });
  }
  return refs;
}

function pathsIn(text: string, line: number): Reference[] {
  const refs: Reference[] = [];
  // Markdown links and images: [text](target "title").
  for (const m of text.matchAll(/!?\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)) {
    const target = m[1];
    if (/^[a-z][a-z0-9+.-]*:/i.test(target) || target.startsWith("#")) {
      continue;
    }
    const file = decodeURI(target.replace(/[#?].*$/, ""));
    if (file) {
      refs.push({ kind: "path", line, path: file, via: "link", text: m[0] });
    }
  }
  // Inline code that looks like a repository file or folder.
  for (const m of text.matchAll(/(`+)([^`]+?)\1(?!`)/g)) {
    const candidate = m[2].trim().replace(/:\d+(?::\d+)?$/, "");
    if (looksLikeRepoPath(candidate)) {
      refs.push({ kind: "path", line, path: candidate, via: "code", text: m[0] });
    }
  }
  return refs;
}

/**
 * True for `tools/plan.ts`, `components/network/`, `./x.md`; false for `owner/repo`, `a:b`, globs and bare file
 * names (`index.ts` in a table row means a file of the folder the row is about, which the text cannot tell).
 */
export function looksLikeRepoPath(candidate: string): boolean {
  if (!/^(\.{1,2}\/)?[A-Za-z0-9_.@-]+(\/[A-Za-z0-9_.@-]+)*\/?$/.test(candidate)) {
    return false;
  }
  if (candidate.startsWith("./") || candidate.startsWith("../")) {
    return true;
  }
  const segments = candidate.split("/").filter(Boolean);
  return (
    (segments.length > 1 || candidate.endsWith("/")) && (REPO_TOP_LEVEL as readonly string[]).includes(segments[0])
  );
}
