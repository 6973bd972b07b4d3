/**
 * Jest test order: jest runs the suites it has timings for longest first, and
 * the others by file size, which on a fresh clone would start the slowest
 * suites (small files that wait on Terraform and on local engines) last, when
 * the other workers have nothing left to do. Those go first when there is no
 * timing for them yet; everything else keeps jest's order.
 */
const Sequencer = require("@jest/test-sequencer").default;

/**
 * Slowest first (measured on a fresh clone): the two Terraform proofs, then the suites that wait
 * on replays, local servers and child processes; the short ones fill the gaps around them.
 */
const SLOW_SUITES = [
  "check-deploy.test.ts",
  "script-usage.test.ts",
  "terraform.test.ts",
  "hcl-export.test.ts",
  "package-consumer.test.ts",
  "capacity-replay.test.ts",
  "replay.test.ts",
  "local.test.ts",
  "downstream-faults.test.ts",
  "replay-reporting.test.ts",
  "replay-dashboard.test.ts",
  "local-packaging.test.ts",
];

class SlowSuitesFirst extends Sequencer {
  sort(tests) {
    const sorted = super.sort(tests);
    const rank = (test) => (test.duration == null ? SLOW_SUITES.findIndex((name) => test.path.endsWith(`/${name}`)) : -1);
    const slow = sorted.filter((t) => rank(t) >= 0).sort((a, b) => rank(a) - rank(b));
    return [...slow, ...sorted.filter((t) => rank(t) < 0)];
  }
}

module.exports = SlowSuitesFirst;
