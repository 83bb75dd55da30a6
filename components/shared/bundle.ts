/**
 * Bundles a Lambda handler with esbuild when the program runs (plan, preview, up): one CommonJS file with `pg`
 * and the AWS SDK clients inside, so the function does not depend on the SDK version the Lambda runtime happens
 * to ship. The same sources give the same bytes (their SHA-256 is the function's sourceCodeHash; the tenant
 * provisioner also puts it into its Invocation's input, so a code change makes `pulumi up` apply again). Every
 * function of the stack is bundled with these settings: components/tenant-plane/ and components/tenant-metering/.
 */
import { createHash } from "crypto";
import * as fs from "fs";
import * as path from "path";
import { build, BuildOptions, version as esbuildVersion } from "esbuild";
import * as pulumi from "@pulumi/pulumi";

const REPO_ROOT = path.resolve(__dirname, "..", "..");
/** Lambda's Node.js 24 runtime (nodejs24.x). */
export const HANDLER_TARGET = "node24";

export interface HandlerBundle {
  /** The bundled JavaScript of `index.js`; Lambda's handler setting is `index.handler`. */
  readonly code: string;
  readonly sha256: string;
}

const cached = new Map<string, Promise<HandlerBundle>>();

/**
 * The bundle of one handler (`entry`, an absolute path), cached as `name` under node_modules/.cache.
 * Asynchronous on purpose: esbuild works in its own process while the program goes on registering resources.
 * One bundle per process, and across processes a cache (see bundleEntry), so a plan or a test suite that runs
 * the program reads ~600 hashed source files instead of bundling again.
 */
export function bundleHandler(name: string, entry: string): Promise<HandlerBundle> {
  let bundle = cached.get(name);
  if (bundle === undefined) {
    bundle = bundleEntry({ entry, root: REPO_ROOT, cacheDir: path.join(REPO_ROOT, "node_modules", ".cache", name) });
    cached.set(name, bundle);
  }
  return bundle;
}

/** A function's `code` and `sourceCodeHash` from its bundle: `index.js`, so the handler setting is `index.handler`. */
export function lambdaCode(bundle: Promise<HandlerBundle>) {
  return {
    code: bundle.then((b) => new pulumi.asset.AssetArchive({ "index.js": new pulumi.asset.StringAsset(b.code) })),
    sourceCodeHash: bundle.then((b) => b.sha256),
  };
}

export interface BundleEntryOptions {
  readonly entry: string;
  /** Where paths in the bundle are relative to: the same sources give the same bytes on every machine. */
  readonly root: string;
  /** @default - no cache: always bundle */
  readonly cacheDir?: string;
}

interface CacheManifest {
  /** esbuild's version and the options: either changing makes other bytes. */
  readonly key: string;
  /** Every file the bundle was made of (esbuild's metafile), relative to the root. */
  readonly inputs: readonly string[];
  /** SHA-256 over those files' paths and contents. */
  readonly inputsSha256: string;
  readonly sha256: string;
}

function optionsFor(entry: string, root: string): BuildOptions {
  return {
    entryPoints: [entry],
    absWorkingDir: root,
    bundle: true,
    platform: "node",
    target: HANDLER_TARGET,
    format: "cjs",
    write: false,
    // Smaller code starts faster; names stay, so a stack trace in the function's log still reads.
    minifyWhitespace: true,
    minifySyntax: true,
    // pg's optional native binding: never installed, never wanted.
    external: ["pg-native"],
    legalComments: "none",
    logLevel: "silent",
  };
}

function hashInputs(root: string, inputs: readonly string[]): string {
  const hash = createHash("sha256");
  for (const file of inputs)
    hash
      .update(file)
      .update("\0")
      .update(fs.readFileSync(path.join(root, file)))
      .update("\0");
  return hash.digest("hex");
}

const sha256 = (text: string) => createHash("sha256").update(text).digest("hex");

/**
 * The cached bundle when every file it was made of is unchanged (by content), else a new bundle, cached. A
 * source edited, added to the imports (its importer changed) or removed (its read fails) makes a new one; the
 * cached code is checked against its recorded hash before it is used. The cache is best-effort: a read-only or
 * broken one only costs the bundling.
 */
export async function bundleEntry(opts: BundleEntryOptions): Promise<HandlerBundle> {
  const options = optionsFor(opts.entry, opts.root);
  const key = sha256(JSON.stringify({ esbuildVersion, options }));
  const manifestFile = opts.cacheDir && path.join(opts.cacheDir, "manifest.json");
  const codeFile = opts.cacheDir && path.join(opts.cacheDir, "index.js");
  if (manifestFile && codeFile) {
    try {
      const manifest = JSON.parse(fs.readFileSync(manifestFile, "utf8")) as CacheManifest;
      if (manifest.key === key && hashInputs(opts.root, manifest.inputs) === manifest.inputsSha256) {
        const code = fs.readFileSync(codeFile, "utf8");
        if (sha256(code) === manifest.sha256) return { code, sha256: manifest.sha256 };
      }
    } catch {
      // no cache yet, or an input is gone: bundle
    }
  }
  const result = await build({ ...options, metafile: true });
  const code = result.outputFiles?.[0].text ?? "";
  const bundle = { code, sha256: sha256(code) };
  if (opts.cacheDir && manifestFile && codeFile) {
    try {
      const inputs = Object.keys(result.metafile?.inputs ?? {}).sort();
      const manifest: CacheManifest = {
        key,
        inputs,
        inputsSha256: hashInputs(opts.root, inputs),
        sha256: bundle.sha256,
      };
      fs.mkdirSync(opts.cacheDir, { recursive: true });
      // Whole files only (write, then rename): processes bundling at the same time (jest workers) never read
      // half a file, and a code file without its manifest fails the hash check.
      const writeWhole = (file: string, text: string) => {
        const temporary = `${file}.${process.pid}.tmp`;
        fs.writeFileSync(temporary, text);
        fs.renameSync(temporary, file);
      };
      writeWhole(codeFile, code);
      writeWhole(manifestFile, JSON.stringify(manifest));
    } catch {
      // a read-only checkout still plans, without the cache
    }
  }
  return bundle;
}
