"use strict";
/**
 * `node -r ./tools/register.js <file.ts | -e script>`: what tools/run.js sets up, for a child process a test
 * starts. TypeScript files load through esbuild with a cache (transpile.js), and the SDK's closure-serialisation
 * dependencies load on first use (lazySdkParts.js).
 */
require("./lazySdkParts").install();
require("./transpile").register();
