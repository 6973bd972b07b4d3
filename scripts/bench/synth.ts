/**
 * The bench's synth figures: the whole app in a fresh process, cold (empty bundle cache) and
 * warm, beside the one-resource floor app, alternating (scripts/bench.ts, figure 1).
 */
import { execFile } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { promisify } from "node:util";
import { median } from "./stats";

const run = promisify(execFile);
const ROOT = path.resolve(__dirname, "..", "..");
const TSX = require.resolve("tsx/cjs");

interface ChildRun {
  readonly ms: number;
  /** CPU of the node process (esbuild's own process not included). */
  readonly cpuMs: number;
  readonly maxRssMb: number;
}

/** Runs a bench child with tsx in a fresh node process; wall time from spawn to exit. */
async function child(script: string, args: string[], env: NodeJS.ProcessEnv = {}): Promise<ChildRun> {
  const start = process.hrtime.bigint();
  const { stdout } = await run(process.execPath, ["--require", TSX, path.join(__dirname, script), ...args], {
    cwd: ROOT,
    env: { ...process.env, CHECKPOINT_DISABLE: "1", ...env },
    maxBuffer: 16 * 1024 * 1024,
  });
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  const last = stdout.trim().split("\n").pop() ?? "{}";
  const { maxRssKb, cpuMs } = JSON.parse(last) as { maxRssKb: number; cpuMs: number };
  return { ms, cpuMs, maxRssMb: maxRssKb / 1024 };
}

export interface SynthFigures {
  readonly ms: number;
  readonly cpuMs: number;
  readonly rssMb: number;
  /** Wall time over the floor's, in this run. */
  readonly timeRatio: number;
  readonly memoryRatio: number;
}

export interface SynthResult {
  readonly floor: { readonly ms: number; readonly cpuMs: number; readonly rssMb: number };
  /** The floor app without startup.ts, as a plain cdktf app under tsx starts (for reference; ratios are to `floor`). */
  readonly plainFloor: { readonly ms: number; readonly cpuMs: number; readonly rssMb: number };
  readonly cold: SynthFigures;
  readonly warm: SynthFigures;
  readonly outdir: string;
}

export async function benchSynth(runs: number): Promise<SynthResult> {
  const cold: ChildRun[] = [];
  const warm: ChildRun[] = [];
  const floor: ChildRun[] = [];
  const plainFloor: ChildRun[] = [];
  let outdir = "";
  const scratch = mkdtempSync(path.join(os.tmpdir(), "bench-"));
  try {
    for (let i = 0; i < runs; i++) {
      // Side by side, alternating, so a machine slowing down affects all three.
      floor.push(await child("synth-floor.ts", [path.join(scratch, `floor-${i}`)]));
      plainFloor.push(await child("synth-floor-plain.ts", [path.join(scratch, `plain-floor-${i}`)]));
      const cache = { LAMBDA_BUNDLE_CACHE_DIR: path.join(scratch, `bundle-cache-${i}`) }; // empty: cold
      cold.push(await child("synth-all.ts", [path.join(scratch, `cold-${i}`)], cache));
      if (outdir) rmSync(outdir, { recursive: true, force: true });
      outdir = mkdtempSync(path.join(os.tmpdir(), "bench-synth-"));
      warm.push(await child("synth-all.ts", [outdir], cache)); // the cache the cold run filled
      process.stderr.write(
        `  synth run ${i + 1}/${runs}: cold ${cold[i].ms.toFixed(0)} ms, warm ${warm[i].ms.toFixed(0)} ms, floor ${floor[i].ms.toFixed(0)} ms\n`,
      );
    }
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
  const medians = (runs_: ChildRun[]) => ({ ms: median(runs_.map((r) => r.ms)), cpuMs: median(runs_.map((r) => r.cpuMs)), rssMb: median(runs_.map((r) => r.maxRssMb)) });
  const f = medians(floor);
  const figures = (runs_: ChildRun[]): SynthFigures => {
    const ms = median(runs_.map((r) => r.ms));
    const rssMb = median(runs_.map((r) => r.maxRssMb));
    return { ms, cpuMs: median(runs_.map((r) => r.cpuMs)), rssMb, timeRatio: ms / f.ms, memoryRatio: rssMb / f.rssMb };
  };
  return { floor: f, plainFloor: medians(plainFloor), cold: figures(cold), warm: figures(warm), outdir };
}

