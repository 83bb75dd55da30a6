import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { setAllConfig } from "@pulumi/pulumi/runtime/config";
import { runInPulumiStack } from "@pulumi/pulumi/runtime/stack";
import { EXAMPLE_ACCOUNT, InvokeRecord, OfflineEngine } from "./engine";
import { ProjectError, loadStackSettings } from "./project";
import { DefaultProvider, PlannedResource } from "./types";

// Internal to the SDK (stripped from its typings); it is how the Pulumi language host waits for every pending
// registration to finish before it reports a program done.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { waitForRPCs } = require("@pulumi/pulumi/runtime/settings") as { waitForRPCs(): Promise<void> };

/** The result of running a program offline. */
export interface PlanRun {
  readonly project: string;
  readonly stack: string;
  readonly region: string;
  readonly account: string;
  /** Config as the program received it (`namespace:key` → text). */
  readonly config: Readonly<Record<string, string>>;
  readonly resources: PlannedResource[];
  readonly defaultProviders: DefaultProvider[];
  readonly invokes: InvokeRecord[];
  /** Stack outputs, resolved. */
  readonly outputs: Record<string, unknown>;
}

export interface RunOptions {
  readonly stack: string;
  /** Folder with Pulumi.yaml. @default - the repository root */
  readonly projectDir?: string;
  /** Config values to set or override, `namespace:key` → text, applied over the stack file. */
  readonly config?: Readonly<Record<string, string>>;
  /** Config keys to remove after reading the stack file. */
  readonly unset?: readonly string[];
  /** The program. @default - the module Pulumi.yaml's `main` names, whose export is a function */
  readonly program?: () => unknown;
  /**
   * Benchmarks only: run under these mocks instead of the offline engine (no record, no realistic answers), to
   * measure what the engine itself costs.
   */
  readonly bareMocks?: pulumi.runtime.Mocks;
  /** Called after each registration (progress display). */
  readonly onRegister?: (resource: PlannedResource, count: number) => void;
}

/** Why a run failed: the config (or project files) or the program itself. Both are exit status 2. */
export class PlanError extends Error {
  constructor(
    readonly kind: "config" | "program",
    message: string,
    readonly cause?: unknown,
  ) {
    super(message);
    this.name = "PlanError";
  }
}

const CONFIG_ERRORS = new Set(["ConfigError", "ComponentArgsError", "ProjectError"]);

export const REPO_ROOT = path.resolve(__dirname, "..", "..");

let running: Promise<unknown> = Promise.resolve();

/**
 * Runs the program of a stack under the offline engine, as `pulumi preview` would run it with real credentials,
 * and returns what it registered. Runs are serialised: the Pulumi runtime is process-wide state.
 */
export function runStack(options: RunOptions): Promise<PlanRun> {
  const next = running.then(() => runOnce(options));
  running = next.catch(() => undefined);
  return next;
}

async function runOnce(options: RunOptions): Promise<PlanRun> {
  const projectDir = options.projectDir ?? REPO_ROOT;
  let settingsForStack;
  try {
    settingsForStack = loadStackSettings(projectDir, options.stack);
  } catch (err) {
    throw classify(err);
  }
  const config: Record<string, string> = { ...settingsForStack.config, ...(options.config ?? {}) };
  for (const key of options.unset ?? []) {
    delete config[key];
  }
  const region = config["aws:region"] ?? "us-east-1";
  const defaultTags = parseJson(config["aws:defaultTags"]) as { tags?: Record<string, string> } | undefined;
  const providerConfig = providerConfigFrom(config);
  const engine = new OfflineEngine(
    {
      account: EXAMPLE_ACCOUNT,
      region,
      partition: "aws",
      seed: `${settingsForStack.project}/${options.stack}`,
      defaultTags: defaultTags && typeof defaultTags.tags === "object" ? defaultTags.tags : {},
    },
    providerConfig,
    options.onRegister,
  );

  setAllConfig(config, settingsForStack.secretKeys);
  await pulumi.runtime.setMocks(options.bareMocks ?? engine, settingsForStack.project, options.stack, false);
  if (!options.bareMocks) {
    engine.attach(settingsForStack.project, options.stack);
  }

  // The SDK captures a stack trace for every promise and resource it creates (source positions for the engine,
  // leak reports); with source maps installed that is 90% of a run's time. Nothing offline reads them, so
  // runs capture none unless PLAN_DEBUG asks for them (see docs/benchmarks.md).
  const stackTraceLimit = Error.stackTraceLimit;
  if (!process.env.PLAN_DEBUG) {
    Error.stackTraceLimit = 0;
  }
  // Errors raised inside `apply` callbacks surface as rejections nobody awaits; collect them for this run.
  const stray: unknown[] = [];
  const onRejection = (reason: unknown) => stray.push(reason);
  process.on("unhandledRejection", onRejection);
  try {
    const program = options.program ?? loadProgram(settingsForStack.main);
    // The program's own error is caught inside the stack, so the SDK's internal promises settle normally and
    // only the error the program raised is reported.
    let failure: { error: unknown } | undefined;
    const outputs = (await runInPulumiStack(async () => {
      try {
        return await program();
      } catch (error) {
        failure = { error };
        return undefined;
      }
    })) as Record<string, unknown> | undefined;
    await waitForRPCs();
    await new Promise((resolve) => setImmediate(resolve));
    if (failure) {
      throw failure.error;
    }
    if (stray.length > 0) {
      throw stray[0];
    }
    return {
      project: settingsForStack.project,
      stack: options.stack,
      region,
      account: EXAMPLE_ACCOUNT,
      config,
      resources: engine.resources,
      defaultProviders: [...engine.defaultProviders.values()],
      invokes: engine.invokes,
      outputs: outputs ?? {},
    };
  } catch (err) {
    // A failed stack leaves rejected registrations behind; let them settle while the handler still swallows them.
    await new Promise((resolve) => setTimeout(resolve, 10));
    throw classify(err);
  } finally {
    process.off("unhandledRejection", onRejection);
    Error.stackTraceLimit = stackTraceLimit;
  }
}

function loadProgram(main: string): () => unknown {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const loaded = require(main) as unknown;
  const entry = (loaded as { default?: unknown }).default ?? loaded;
  if (typeof entry !== "function") {
    throw new PlanError(
      "program",
      `${path.relative(process.cwd(), main) || main} must export a function (export = main) so it can run once per stack`,
    );
  }
  return entry as () => unknown;
}

function classify(err: unknown): PlanError {
  if (err instanceof PlanError) {
    return err;
  }
  const error = err instanceof Error ? err : new Error(String(err));
  if (CONFIG_ERRORS.has(error.name) || err instanceof ProjectError) {
    return new PlanError("config", error.message, err);
  }
  return new PlanError("program", error.message, err);
}

function parseJson(text: string | undefined): unknown {
  if (text === undefined) {
    return undefined;
  }
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** What each package's default provider is configured with: its namespace's config, as the engine does it. */
function providerConfigFrom(config: Readonly<Record<string, string>>): Record<string, Record<string, unknown>> {
  const out: Record<string, Record<string, unknown>> = {};
  for (const [key, text] of Object.entries(config)) {
    const [namespace, name] = key.split(":");
    if (["aws", "postgresql", "docker", "awsx"].includes(namespace)) {
      out[namespace] = { ...(out[namespace] ?? {}), [name]: parseJson(text) ?? text };
    }
  }
  return out;
}
