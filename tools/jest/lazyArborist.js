"use strict";
// Inside jest, what tools/lazySdkParts.js does for the tools: the SDK's closure code gets Arborist on first use.
// Resolved through its package.json: the bare name maps back to this file.
const path = require("path");
const { lazy } = require("../lazySdkParts");

module.exports = lazy(() => {
  const manifest = require.resolve("@npmcli/arborist/package.json");
  return require(path.join(path.dirname(manifest), require(manifest).main ?? "index.js"));
});
