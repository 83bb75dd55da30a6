"use strict";
/**
 * The start-up floor of `npm run bench`: a process that only loads @pulumi/pulumi (as it is, nothing deferred) and
 * registers <count> bare resources under the SDK's own mocks, then exits. Plain JavaScript: nothing to transpile.
 *   node tools/bench/floorProcess.js <count>
 */
const pulumi = require("@pulumi/pulumi");

const count = Number(process.argv[2] ?? 100);
// The engine's process setting: no stack-trace capture (see the plan section of docs/benchmarks.md).
Error.stackTraceLimit = 0;

class Bare extends pulumi.CustomResource {
  constructor(name, props) {
    super("bench:index:Bare", name, props);
  }
}

pulumi.runtime
  .setMocks(
    { newResource: (a) => ({ id: `${a.name}-id`, state: a.inputs }), call: (a) => a.inputs },
    "bench",
    "floor",
    false,
  )
  .then(() => {
    const resources = [];
    for (let i = 0; i < count; i++) resources.push(new Bare(`r${i}`, { value: i }));
    return Promise.all(resources.map((r) => new Promise((resolve) => r.urn.apply(resolve))));
  });
