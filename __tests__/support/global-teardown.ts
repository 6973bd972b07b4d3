/**
 * Jest globalTeardown: the one banner of the run's skipped proofs (./skips.ts), then removes
 * the shared synth (see global-setup.ts) and the `cdktf.outdir.*` folders cdktf's `Testing`
 * made since it (./synth.ts, `testingOutdirsSince`).
 */
import { rmSync } from "node:fs";
import { recordedSkips, skipBanner, SKIPS_ENV } from "./skips";
import { createdMs, SHARED_SYNTH_ENV, testingOutdirsSince } from "./synth";

export default function globalTeardown(): void {
  const skips = process.env[SKIPS_ENV];
  if (skips) process.stderr.write(skipBanner(recordedSkips(skips)));
  const root = process.env[SHARED_SYNTH_ENV];
  if (!root) return;
  const started = createdMs(root);
  rmSync(root, { recursive: true, force: true });
  for (const folder of testingOutdirsSince(started)) rmSync(folder, { recursive: true, force: true });
}
