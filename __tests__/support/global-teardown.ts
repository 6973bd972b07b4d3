/** Jest globalTeardown: removes the shared synth (see global-setup.ts). */
import { rmSync } from "node:fs";
import { SHARED_SYNTH_ENV } from "./synth";

export default function globalTeardown(): void {
  const root = process.env[SHARED_SYNTH_ENV];
  if (root) rmSync(root, { recursive: true, force: true });
}
