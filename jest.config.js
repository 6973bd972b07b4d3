/**
 * Jest with a transpile-only TypeScript transform (esbuild, `jest.transform.js`):
 * type checking is `npm run typecheck`, a separate step, so tests start fast.
 * - one synth of the app per run, shared by the suites that read synthesized
 *   JSON (`__tests__/support/global-setup.ts`, read with `support/synth.ts`);
 * - two workers per core: jest's default (cores - 1) runs everything in one
 *   process on a 2-core machine, while the slowest suites mostly wait (on
 *   `terraform`, on replays, local servers and script processes), so more
 *   workers run short suites in their gaps (measured with 1,082 tests, jest's
 *   cache empty: 47 s with three workers, 43 s with four);
 * - the slowest suites first on a fresh clone (`support/sequencer.js`).
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
  globalSetup: "<rootDir>/__tests__/support/global-setup.ts",
  globalTeardown: "<rootDir>/__tests__/support/global-teardown.ts",
  testSequencer: "<rootDir>/__tests__/support/sequencer.js",
  maxWorkers: require("node:os").availableParallelism() * 2,
  testTimeout: 60000,
};
