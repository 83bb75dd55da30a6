"use strict";
/**
 * TypeScript to CommonJS by esbuild, one file at a time, with no type-checking (that is `npm run typecheck`'s
 * job, as with ts-node --transpile-only or ts-jest's isolatedModules before). The tools' loader (tools/run.js)
 * and the jest transform (tools/jestTransform.js) both use it, so a test runs the same JavaScript as the plan.
 *
 * `register()` also keeps each result in node_modules/.cache/saas-ts/, keyed by a hash of the source and the
 * settings, so an unchanged file is read back instead of transpiled again (npm ci starts with an empty cache).
 */
const crypto = require("crypto");
const fs = require("fs");
const path = require("path");

const CACHE_DIR = path.join(__dirname, "..", "node_modules", ".cache", "saas-ts");
const TARGET = `node${process.versions.node.split(".")[0]}`;

let esbuild;

/** The JavaScript of one TypeScript file. */
function transpile(source, filename) {
  esbuild ??= require("esbuild");
  return esbuild.transformSync(source, {
    loader: filename.endsWith(".tsx") ? "tsx" : "ts",
    format: "cjs",
    target: TARGET,
    sourcefile: filename,
    // Inline, so a stack trace (PLAN_DEBUG=1, a failing test) points at the TypeScript line.
    sourcemap: "inline",
    // Decorators, enums and namespaces as tsc would emit them under isolatedModules.
    tsconfigRaw: { compilerOptions: { useDefineForClassFields: true, esModuleInterop: true } },
  }).code;
}

/** A key that changes with the source, the target and this file (the settings above). */
const SETTINGS = crypto.createHash("sha1").update(fs.readFileSync(__filename)).update(TARGET).digest("hex");

function cached(source, filename) {
  const key = crypto.createHash("sha1").update(SETTINGS).update(filename).update(source).digest("hex");
  const file = path.join(CACHE_DIR, `${key}.js`);
  try {
    return fs.readFileSync(file, "utf8");
  } catch {
    const code = transpile(source, filename);
    try {
      fs.mkdirSync(CACHE_DIR, { recursive: true });
      // Written aside and renamed, so a concurrent run never reads half a file.
      const temp = `${file}.${process.pid}`;
      fs.writeFileSync(temp, code);
      fs.renameSync(temp, file);
    } catch {
      // A read-only checkout still runs, only without the cache.
    }
    return code;
  }
}

/** Lets `require` load .ts files outside node_modules. */
function register() {
  require.extensions[".ts"] = function (module, filename) {
    if (filename.includes(`${path.sep}node_modules${path.sep}`)) {
      throw new Error(`${filename}: TypeScript inside node_modules is not transpiled; import its JavaScript`);
    }
    module._compile(cached(fs.readFileSync(filename, "utf8"), filename), filename);
  };
}

module.exports = { transpile, register };
