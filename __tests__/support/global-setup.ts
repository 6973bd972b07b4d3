/**
 * Jest globalSetup: synthesizes the app once for every suite that reads the
 * synthesized JSON (policy, replay, Terraform proof, address guard, config), instead of once per suite,
 * and so also fills the bundle cache every later synth in the workers hits.
 * Two configurations, each its own folder under one temporary root:
 * - `app`: the defaults (archive packaging, real lookups) plus an alarm e-mail,
 *   so the alarm topics have their subscriptions (also what `npm run
 *   addresses:record` records);
 * - `offline`: what `OFFLINE=1` synthesizes (supplied lookups, asset
 *   packaging), the input of `terraform plan`.
 * The workers find the root in `SHARED_SYNTH_DIR` (read it with ./synth.ts), and
 * where to record a skipped proof in `SKIPS_DIR` (./skips.ts: one banner per run).
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { defaultDeployment, loadDeployment } from "../../config";
import { buildApp } from "../../main";
import { SKIPS_ENV } from "./skips";
import { SHARED_SYNTH_ENV } from "./synth";

export default function globalSetup(): void {
  const root = mkdtempSync(path.join(tmpdir(), "jest-synth-"));
  buildApp({ ...defaultDeployment, alarmEmail: "ops@example.com" }, path.join(root, "app")).synth();
  buildApp(loadDeployment({ OFFLINE: "1" }), path.join(root, "offline")).synth();
  process.env[SHARED_SYNTH_ENV] = root; // inherited by the workers, started after this
  process.env[SKIPS_ENV] = path.join(root, "skipped");
}
