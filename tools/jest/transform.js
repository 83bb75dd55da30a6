"use strict";
/**
 * The jest transform: the same esbuild transpile as `npm run plan` (tools/transpile.js), file by file and without
 * type-checking, which `npm run typecheck` does once for the whole program. Jest keeps the results in its cache.
 */
const crypto = require("crypto");
const fs = require("fs");
const { transpile } = require("../transpile");

const SELF = crypto
  .createHash("sha1")
  .update(fs.readFileSync(__filename))
  .update(fs.readFileSync(require.resolve("../transpile")))
  .update(require("esbuild").version)
  .digest("hex");

module.exports = {
  process(source, filename) {
    return { code: transpile(source, filename) };
  },
  getCacheKey(source, filename) {
    return crypto.createHash("sha1").update(SELF).update(filename).update(source).digest("hex");
  },
};
