/** The bench's Terraform figures: the proof of the offline synth, all stacks in one run, then each alone (scripts/bench.ts, figure 4). */
import { rmSync } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { STACK_IDS } from "../../main";
import { exampleVarFiles, synthOffline, terraformAvailable } from "../terraform-check";
import { proveStacks } from "../terraform/prove";

export interface TerraformResult {
  readonly cores: number;
  /** The proof as `npm test` runs it: every stack in one Terraform run. */
  readonly together: { readonly ms: number; readonly ok: boolean; readonly initialized: boolean; readonly stacks: number; readonly providerProcesses: number };
  /** Each stack in a Terraform run of its own, one after another. */
  readonly alone: { readonly stack: string; readonly ms: number; readonly initialized: boolean; readonly ok: boolean }[];
}

/** The Terraform proof of the offline synth: all stacks in one run (as `npm test`), then each stack alone. */
export async function benchTerraform(): Promise<TerraformResult | undefined> {
  if (!terraformAvailable()) {
    process.stderr.write("  terraform CLI not found: Terraform proof not timed\n");
    return undefined;
  }
  const outdir = synthOffline();
  try {
    const dirs = STACK_IDS.map((stack) => path.join(outdir, "stacks", stack));
    const varFiles = (dir: string) => exampleVarFiles(path.basename(dir));
    const start = process.hrtime.bigint();
    const together = await proveStacks(dirs, { varFiles });
    const ms = Number(process.hrtime.bigint() - start) / 1e6;
    process.stderr.write(`  terraform proof, all stacks in one run: ${(ms / 1000).toFixed(1)} s\n`);
    const alone = await proveStacks(dirs, { varFiles, batch: false, concurrency: 1 });
    process.stderr.write(`  terraform proof, each stack alone: ${alone.map((r) => (r.ms / 1000).toFixed(1)).join(" ")} s\n`);
    return {
      cores: os.availableParallelism(),
      together: {
        ms,
        ok: together.every((r) => r.ok),
        initialized: together.some((r) => r.initialized),
        stacks: together[0]?.batchSize ?? 0,
        providerProcesses: together.some((r) => r.sharedProvider) ? 1 + together.filter((r) => !r.sharedProvider).length : together.length,
      },
      alone: alone.map((r, i) => ({ stack: STACK_IDS[i], ms: r.ms, initialized: r.initialized, ok: r.ok })),
    };
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
}

