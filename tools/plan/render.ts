import { REMOTE_COMPONENT_NOTE } from "../engine/remote";
import { PlanRun } from "../engine/run";
import { PlannedResource, Violation } from "../engine/types";

/**
 * The plan as data (the public JSON contract in README.md, "The offline plan") and as text (like `pulumi preview`).
 * Pure: everything here works on a finished run.
 */

export interface CostSummary {
  readonly monthlyUsd: number;
  readonly items: readonly unknown[];
  readonly unpriced: readonly unknown[];
}

export interface PlanDocument {
  readonly stack: string;
  readonly project: string;
  readonly region: string;
  readonly account: string;
  readonly resources: {
    urn: string;
    type: string;
    name: string;
    parent: string | null;
    inputs: Record<string, unknown>;
    dependencies: string[];
    provider: string | null;
    remote?: true;
  }[];
  readonly outputs: Record<string, unknown>;
  readonly violations: Violation[];
  readonly cost?: CostSummary;
  readonly notes: string[];
}

export function planDocument(run: PlanRun, violations: Violation[], cost?: CostSummary): PlanDocument {
  const remote = run.resources.filter((r) => r.remote);
  return {
    stack: run.stack,
    project: run.project,
    region: run.region,
    account: run.account,
    resources: run.resources.map((r) => ({
      urn: r.urn,
      type: r.type,
      name: r.name,
      parent: r.parent ?? null,
      inputs: redactSecrets(r),
      dependencies: r.dependencies,
      provider: r.provider ?? null,
      ...(r.remote ? { remote: true as const } : {}),
    })),
    outputs: run.outputs,
    violations,
    ...(cost ? { cost } : {}),
    notes: remote.map((r) => `${r.type} "${r.name}": ${REMOTE_COMPONENT_NOTE}`),
  };
}

/** Inputs with every secret one replaced by "[secret]": the plan's JSON is printed and stored by CI. */
function redactSecrets(r: PlannedResource): Record<string, unknown> {
  if (!r.secretInputs || r.secretInputs.length === 0) {
    return r.inputs;
  }
  return { ...r.inputs, ...Object.fromEntries(r.secretInputs.map((k) => [k, "[secret]"])) };
}

/** Resource counts by type, most frequent first, components included. */
export function countByType(resources: readonly PlannedResource[]): [string, number][] {
  const counts = new Map<string, number>();
  for (const r of resources) {
    counts.set(r.type, (counts.get(r.type) ?? 0) + 1);
  }
  return [...counts.entries()].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
}

/** The resource tree, children under their parents, in registration order, drawn like `pulumi preview`. */
export function renderTree(resources: readonly PlannedResource[]): string[] {
  const children = new Map<string | undefined, PlannedResource[]>();
  for (const r of resources) {
    const list = children.get(r.parent) ?? [];
    list.push(r);
    children.set(r.parent, list);
  }
  const typeWidth = Math.min(60, Math.max(...resources.map((r) => r.type.length)) + 8);
  const lines: string[] = [];
  const walk = (node: PlannedResource, indent: string, last: boolean, root: boolean) => {
    const branch = root ? "" : `${indent}${last ? "└─ " : "├─ "}`;
    const label = `${branch}${node.type}`;
    const remark = node.remote ? "  (remote: children created by its plugin at deploy time)" : "";
    lines.push(` +   ${label.padEnd(typeWidth)} ${node.name}${remark}`);
    const kids = children.get(node.urn) ?? [];
    const nextIndent = root ? "" : `${indent}${last ? "   " : "│  "}`;
    kids.forEach((kid, i) => walk(kid, nextIndent, i === kids.length - 1, false));
  };
  for (const root of children.get(undefined) ?? []) {
    walk(root, "", true, true);
  }
  return lines;
}

function showOutput(value: unknown): string {
  const text = JSON.stringify(value);
  return text.length > 100 ? `${text.slice(0, 97)}...` : text;
}

export function renderText(doc: PlanDocument, run: PlanRun, extra: { costTable?: string } = {}): string {
  const lines: string[] = [];
  lines.push(
    `Previewing update (${doc.project}/${doc.stack}) offline: mock engine, account ${doc.account}, ${doc.region}, no credentials`,
    "",
    `     ${"Type".padEnd(Math.min(60, Math.max(...run.resources.map((r) => r.type.length)) + 8))} Name`,
  );
  lines.push(...renderTree(run.resources));
  lines.push("", "Outputs:");
  const width = Math.max(0, ...Object.keys(doc.outputs).map((k) => k.length));
  for (const [key, value] of Object.entries(doc.outputs)) {
    lines.push(`    ${`${key}:`.padEnd(width + 1)} ${showOutput(value)}`);
  }
  const custom = run.resources.filter((r) => r.custom).length;
  lines.push("", "Resources:", `    + ${run.resources.length} to create (${custom} cloud resources)`, "", "By type:");
  for (const [type, count] of countByType(run.resources)) {
    lines.push(`    ${String(count).padStart(4)}  ${type}`);
  }
  lines.push(...renderInvocations(run.resources));
  for (const note of doc.notes) {
    lines.push("", `Note: ${note}`);
  }
  lines.push("", renderViolations(doc.violations));
  if (extra.costTable) {
    lines.push("", extra.costTable);
  }
  return lines.join("\n");
}

const SHOWN_TENANTS = 10;

/**
 * The input each Lambda Invocation would be given (the tenant provisioner's desired state): offline nothing is
 * invoked, so this is what a reviewer checks instead of the function's report.
 */
export function renderInvocations(resources: readonly PlannedResource[]): string[] {
  const lines: string[] = [];
  for (const r of resources.filter((x) => x.type === "aws:lambda/invocation:Invocation")) {
    let input: Record<string, unknown>;
    try {
      input = JSON.parse(String(r.inputs.input)) as Record<string, unknown>;
    } catch {
      lines.push("", `Invocation ${r.name}: input is not JSON: ${showOutput(r.inputs.input)}`);
      continue;
    }
    lines.push("", `Invocation ${r.name} (planned input, not invoked offline):`);
    const tenants = Array.isArray(input.tenants) ? (input.tenants as Record<string, unknown>[]) : [];
    for (const [key, value] of Object.entries(input)) {
      if (key !== "tenants") lines.push(`    ${key}: ${showOutput(value)}`);
    }
    const count = (field: string, value: string) => tenants.filter((t) => t[field] === value).length;
    lines.push(
      `    tenants: ${tenants.length} (${count("status", "active")} active, ${count("status", "suspended")} suspended; ${count("tier", "dedicated")} dedicated)`,
    );
    for (const t of tenants.slice(0, SHOWN_TENANTS)) {
      lines.push(
        `      ${String(t.id)}  ${String(t.tier)}  ${String(t.status)}${t.displayName ? `  ${JSON.stringify(t.displayName)}` : ""}${limits(t)}`,
      );
    }
    if (tenants.length > SHOWN_TENANTS)
      lines.push(`      … and ${tenants.length - SHOWN_TENANTS} more (--json has them all)`);
  }
  return lines;
}

/** A dedicated tenant's noisy-neighbour controls, as the plan shows them (empty when it has none). */
function limits(t: Record<string, unknown>): string {
  const parts = [
    t.statementTimeoutMs !== undefined ? `statement_timeout ${String(t.statementTimeoutMs)} ms` : undefined,
    t.connectionLimit !== undefined ? `connection limit ${String(t.connectionLimit)}` : undefined,
  ].filter((x): x is string => x !== undefined);
  return parts.length === 0 ? "" : `  (${parts.join(", ")})`;
}

export function renderViolations(violations: readonly Violation[]): string {
  if (violations.length === 0) {
    return "Policies:\n    ✓ no policy violations";
  }
  const lines = ["Policy Violations:"];
  for (const v of violations) {
    lines.push(
      `    [${v.level}]  ${v.policy}  (${v.urn.split("::").pop()}: ${v.urn.split("::")[2] ?? ""})`,
      `    ${v.message}`,
    );
  }
  const mandatory = violations.filter((v) => v.level === "mandatory").length;
  lines.push(`    ${mandatory} mandatory, ${violations.length - mandatory} advisory`);
  return lines.join("\n");
}
