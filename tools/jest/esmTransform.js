"use strict";
/**
 * ES modules in node_modules to CommonJS, for jest only. jose 6 ships ESM only; node runs it through
 * require(esm) (Node >= 20.19), but jest's module loader implements `require` itself and does not do that, so
 * jest would fail on its `export` statements. The service's own processes (tests that spawn it, the image) load
 * the real ESM build; only the in-process tests see this CommonJS rendering of the same code.
 */
const crypto = require("crypto");
const fs = require("fs");

const SELF = crypto
  .createHash("sha1")
  .update(fs.readFileSync(__filename))
  .update(require("esbuild").version)
  .digest("hex");

module.exports = {
  process(source, filename) {
    const { code } = require("esbuild").transformSync(source, {
      loader: "js",
      format: "cjs",
      target: `node${process.versions.node.split(".")[0]}`,
      sourcefile: filename,
    });
    return { code };
  },
  getCacheKey(source, filename) {
    return crypto.createHash("sha1").update(SELF).update(filename).update(source).digest("hex");
  },
};
