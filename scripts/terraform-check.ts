/**
 * Proves the synthesized stacks with Terraform itself, offline: synthesizes the
 * app with `OFFLINE=1` settings (supplied lookups, asset packaging), then
 * `proveStacks` (scripts/terraform/prove.ts: init when needed, plan, which
 * validates) on every stack, as many at once as there are cores.
 *
 *   npm run tf:check                 # every stack
 *   npm run tf:check -- media-alb    # some stacks
 *
 * `__tests__/terraform.test.ts` proves the same stacks the same way, on the
 * synth the test run shares; without a `terraform` CLI this says so and fails.
 */
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { loadEnvironment } from "../config";
import { buildApp, STACK_IDS } from "../main";
import { ProofResult, proveStacks, synthesizedAddresses, terraformAvailable } from "./terraform/prove";

export { terraformAvailable };

const ROOT = path.resolve(__dirname, "..");

/** The environment the Terraform proof synthesizes with: `OFFLINE=1` (supplied lookups, asset packaging, provider skips). */
export const offlineEnvironment = () => loadEnvironment({ OFFLINE: "1" });

/** Synthesizes every stack as `OFFLINE=1` would, into a fresh temporary folder. */
export function synthOffline(): string {
  const outdir = mkdtempSync(path.join(tmpdir(), "tf-check-"));
  buildApp(offlineEnvironment(), outdir).synth();
  return outdir;
}

export interface PlanResult extends ProofResult {
  readonly stack: string;
  /** `type.name` of every unconditional resource in cdk.tf.json. */
  readonly synthesized: readonly string[];
}

/** A stack's example.tfvars, when it has one: the values a stack without defaults needs to plan. */
export function exampleVarFiles(stack: string): string[] {
  const file = path.join(ROOT, "stacks", stack, "example.tfvars");
  return existsSync(file) ? [file] : [];
}

/** Proves the given stacks of a synth output, `concurrency` at once (default: the number of cores). */
export async function planAll(outdir: string, stacks: readonly string[], concurrency?: number): Promise<PlanResult[]> {
  const dirs = stacks.map((s) => path.join(outdir, "stacks", s));
  const results = await proveStacks(dirs, { concurrency, varFiles: (dir) => exampleVarFiles(path.basename(dir)) });
  return results.map((r, i) => ({ ...r, stack: stacks[i], synthesized: synthesizedAddresses(dirs[i]) }));
}

async function main(): Promise<void> {
  if (!terraformAvailable()) {
    console.error("terraform CLI not found: cannot validate or plan. Install Terraform >= 1.10.");
    process.exit(1);
  }
  const wanted = process.argv.slice(2);
  const stacks = wanted.length > 0 ? wanted : [...STACK_IDS];
  const outdir = synthOffline();
  const start = Date.now();
  let failed = 0;
  for (const r of await planAll(outdir, stacks)) {
    const missing = r.synthesized.filter((a) => !r.planned.includes(a));
    const ok = r.ok && missing.length === 0;
    if (!ok) failed++;
    const timing = `${(r.ms / 1000).toFixed(1)} s${r.initialized ? ", with init" : ""}`;
    console.log(`${ok ? "ok  " : "FAIL"} ${r.stack}: ${r.planned.length}/${r.synthesized.length} resources planned (${timing})`);
    if (!r.ok) console.log(r.log);
    if (missing.length) console.log(`  not in plan: ${missing.join(", ")}`);
  }
  console.log(`${stacks.length} stack(s) proven in ${((Date.now() - start) / 1000).toFixed(1)} s`);
  rmSync(outdir, { recursive: true, force: true });
  process.exit(failed ? 1 : 0);
}

if (require.main === module) void main();
