/**
 * Jest's TypeScript transform: esbuild, transpile only (no type check: that is
 * `npm run typecheck`). esbuild is already the Lambda bundler, so tests need no
 * second compiler. No `jest.mock` hoisting: the tests do not use it.
 */
const { createHash } = require("node:crypto");
const { readFileSync } = require("node:fs");
const esbuild = require("esbuild");

const options = {
  loader: "ts",
  format: "cjs",
  target: "node20",
  sourcemap: true,
  // `await import(...)` becomes a require: jest's module registry (isolateModules, resetModules)
  // only sees requires, and Node's own import() would need --experimental-vm-modules.
  supported: { "dynamic-import": false },
};
// Jest caches transformed files: the key must change when this transform or esbuild does.
const transformKey = createHash("sha256").update(readFileSync(__filename)).update(esbuild.version).digest("hex");

module.exports = {
  getCacheKey(source, filename) {
    return createHash("sha256").update(transformKey).update(filename).update(source).digest("hex");
  },
  process(source, filename) {
    const { code, map } = esbuild.transformSync(source, { ...options, sourcefile: filename });
    return { code, map };
  },
};
