/**
 * Suites skipped for a missing tool (terraform, the provider mirror, `script`) say so once
 * per run, however many suites skip and whichever way jest runs them: each skip is recorded
 * in the run's folder (global-setup.ts names it in `SKIPS_DIR`), and global-teardown.ts
 * prints one banner listing them, after jest's summary. Outside such a run (a suite loaded
 * some other way) the skip is printed at once.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { createHash } from "node:crypto";
import * as path from "node:path";

export const SKIPS_ENV = "SKIPS_DIR";

/** Records that `what` (a suite or a proof, and why) was skipped. */
export function skipLoudly(what: string): void {
  const dir = process.env[SKIPS_ENV];
  if (!dir) {
    process.stderr.write(`\n*** SKIPPING ${what} ***\n`);
    return;
  }
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, createHash("sha256").update(what).digest("hex").slice(0, 16)), what);
}

/** The skips recorded in `dir`, sorted. */
export function recordedSkips(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .map((file) => readFileSync(path.join(dir, file), "utf8"))
    .sort();
}

/** The one banner for a run's skips; empty when nothing was skipped. */
export function skipBanner(skips: readonly string[]): string {
  if (skips.length === 0) return "";
  const lines = ["*** SKIPPED: these proofs did not run (install what is missing to run them) ***", ...skips.map((what) => `***   ${what}`)];
  return `\n${lines.join("\n")}\n\n`;
}
