#!/usr/bin/env node
/**
 * Runs one of the repository's TypeScript tools (`node tools/run.js tools/plan.ts dev`) with no build step:
 *
 * - TypeScript is transpiled file by file as it is required, by esbuild, and kept in a cache (tools/transpile.js).
 *   Type-checking stays in `npm run typecheck`; this only strips types, as ts-node --transpile-only did.
 * - Two parts of @pulumi/pulumi that no offline run uses are loaded only if something calls them: the TypeScript
 *   compiler and npm's Arborist, which the SDK needs to serialise a JavaScript closure into a Lambda and to find
 *   the packages it uses. Required at start-up they are about 80% of the SDK's load time. See lazySdkParts.js.
 *
 * Plain JavaScript, so that it needs no transpiling itself.
 */
"use strict";
const path = require("path");

require("./register");

const [entry, ...args] = process.argv.slice(2);
if (!entry) {
  process.stderr.write("usage: node tools/run.js <tool.ts> [arguments...]\n");
  process.exit(2);
}
// The tool runs as the main module with its own path and arguments, as under `ts-node <tool.ts> ...`, so its
// `require.main === module` guard holds.
process.argv = [process.argv[0], path.resolve(entry), ...args];
require("module").runMain();
