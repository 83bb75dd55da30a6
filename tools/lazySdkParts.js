"use strict";
/**
 * @pulumi/pulumi loads the TypeScript compiler (for closure serialisation: turning a JavaScript function into a
 * Lambda's code) and npm's Arborist (to find the packages such a closure needs) as soon as it is imported, about
 * 0.8 s of a 1 s import here. The offline plan, the tools and the tests never serialise a closure, so `install()`
 * makes those two requires, and only when they come from the SDK's closure code, return a stand-in that loads the
 * real module on first use. A program that does serialise a closure gets the real module, just later.
 *
 * Only the exact requires below are deferred; with another SDK layout nothing matches and everything loads as
 * before, only slower.
 */
const Module = require("module");
const path = require("path");

/** Files of @pulumi/pulumi (relative to the package) and the require of each that is deferred. */
const DEFERRED = {
  [path.join("runtime", "closure", "parseFunction.js")]: "../../typescript-shim",
  [path.join("runtime", "closure", "codePaths.js")]: "@npmcli/arborist",
};

const SDK_DIR = `${path.sep}node_modules${path.sep}@pulumi${path.sep}pulumi${path.sep}`;

/** A stand-in for a module, loaded on the first property read, call or enumeration. */
function lazy(load) {
  let real;
  const target = () => (real ??= load());
  return new Proxy(
    {},
    {
      // TypeScript's __importStar returns an ES module as it is: answering this without loading keeps it lazy.
      get: (_, key) => (key === "__esModule" ? true : Reflect.get(target(), key)),
      has: (_, key) => Reflect.has(target(), key),
      ownKeys: () => Reflect.ownKeys(target()),
      getOwnPropertyDescriptor: (_, key) => {
        const descriptor = Reflect.getOwnPropertyDescriptor(target(), key);
        return descriptor && { ...descriptor, configurable: true };
      },
    },
  );
}

let installed = false;

function install() {
  if (installed) return;
  installed = true;
  const load = Module._load;
  Module._load = function (request, parent, isMain) {
    const file = parent && parent.filename;
    if (file && file.includes(SDK_DIR)) {
      const relative = file.slice(file.lastIndexOf(SDK_DIR) + SDK_DIR.length);
      if (DEFERRED[relative] === request) {
        return lazy(() => load.call(this, request, parent, isMain));
      }
    }
    return load.apply(this, arguments);
  };
}

module.exports = { install, lazy, DEFERRED };
