/** Jest globalTeardown: the one banner of the run's skipped proofs (./skips.ts), then removes the shared synth (see global-setup.ts). */
import { rmSync } from "node:fs";
import { recordedSkips, skipBanner, SKIPS_ENV } from "./skips";
import { SHARED_SYNTH_ENV } from "./synth";

export default function globalTeardown(): void {
  const skips = process.env[SKIPS_ENV];
  if (skips) process.stderr.write(skipBanner(recordedSkips(skips)));
  const root = process.env[SHARED_SYNTH_ENV];
  if (root) rmSync(root, { recursive: true, force: true });
}
