/**
 * The app as synthesized once per test run by global-setup.ts: suites read it
 * here rather than synthesizing the whole app again.
 */
import { readFileSync } from "node:fs";
import * as path from "node:path";

export const SHARED_SYNTH_ENV = "SHARED_SYNTH_DIR";

/**
 * `app`: default environment (archive packaging) with an alarm e-mail;
 * `offline`: `OFFLINE=1` (supplied lookups, asset packaging), for `terraform plan`.
 */
export type SharedSynth = "app" | "offline";

/** The synth output folder (`<dir>/stacks/<id>/cdk.tf.json`) of that configuration. */
export function sharedSynthDir(kind: SharedSynth): string {
  const root = process.env[SHARED_SYNTH_ENV];
  if (!root) throw new Error(`${SHARED_SYNTH_ENV} is not set: run the tests through jest (jest.config.js globalSetup)`);
  return path.join(root, kind);
}

/** A stack's parsed cdk.tf.json from that synth. */
export function readSynthesizedStack<T = Record<string, unknown>>(kind: SharedSynth, stack: string): T {
  return JSON.parse(readFileSync(path.join(sharedSynthDir(kind), "stacks", stack, "cdk.tf.json"), "utf8")) as T;
}
