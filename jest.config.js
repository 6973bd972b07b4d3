/**
 * Jest with a transpile-only TypeScript transform (esbuild, `jest.transform.js`):
 * type checking is `npm run typecheck`, a separate step, so tests start fast.
 * @type {import('jest').Config}
 */
module.exports = {
  testEnvironment: "node",
  roots: ["<rootDir>/__tests__"],
  testMatch: ["**/*.test.ts"],
  transform: {
    "^.+\\.ts$": "<rootDir>/jest.transform.js",
  },
  setupFilesAfterEnv: ["<rootDir>/__tests__/setup.ts"],
  testTimeout: 60000,
};
