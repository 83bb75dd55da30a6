"use strict";
// Inside jest, what tools/lazySdkParts.js does for the tools: the SDK's closure code gets TypeScript on first use.
const path = require("path");
const { lazy } = require("../lazySdkParts");

module.exports = lazy(() => require(path.join(path.dirname(require.resolve("@pulumi/pulumi")), "typescript-shim")));
