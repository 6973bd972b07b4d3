/**
 * Jest's TypeScript transform: esbuild, transpile only (no type check: that is
 * `npm run typecheck`). esbuild is already the Lambda bundler, so tests need no
 * second compiler. No `jest.mock` hoisting: the tests do not use it.
 */
const { transformSync } = require("esbuild");

module.exports = {
  process(source, filename) {
    const { code, map } = transformSync(source, {
      loader: "ts",
      format: "cjs",
      target: "node20",
      sourcemap: true,
      sourcefile: filename,
    });
    return { code, map };
  },
};
