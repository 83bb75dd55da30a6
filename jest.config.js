/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: "node",
  roots: ["<rootDir>/tests"],
  testMatch: ["**/*.test.ts"],
  // esbuild, file by file, as `npm run plan` runs the code; type-checking is done once by `npm run typecheck`.
  transform: {
    "^.+\\.ts$": "<rootDir>/tools/jest/transform.js",
    "/node_modules/jose/.+\\.js$": "<rootDir>/tools/jest/esmTransform.js",
  },
  // jose 6 is ESM-only and jest's loader cannot require(esm): it is the one package transformed (esmTransform.js).
  transformIgnorePatterns: ["/node_modules/(?!jose/)"],
  // Every suite loads @pulumi/pulumi afresh; its closure serialisation (TypeScript, npm's Arborist: most of its
  // load time) is never used offline, so it loads on first use only (tools/lazySdkParts.js).
  moduleNameMapper: {
    "^\\.\\./\\.\\./typescript-shim$": "<rootDir>/tools/jest/lazyTypescriptShim.js",
    "^@npmcli/arborist$": "<rootDir>/tools/jest/lazyArborist.js",
  },
  testTimeout: 60000,
};
