/**
 * The observability budget (issue 27, item 7): at most 60 KB of bundle and
 * 20 ms of cold init per function added by the shared logging and metrics.
 *
 *   npx tsx scripts/bench/observability.ts [--before <git ref>] [--runs N] [--json FILE]
 *
 * Bundles every handler entry (`handlers/**\/index.ts`) twice with the
 * project's own bundler (`buildBundle`, what synth zips): as the working tree
 * has it (after) and as `--before` had it (the handlers checked out from git
 * into a scratch folder under the project, so imports resolve the same
 * node_modules). Load time: `require()` of the bundle alone, in a fresh node
 * process each run (Lambda's init without its runtime), before and after
 * interleaved; the budget is judged on the fastest of `--runs` (on a shared,
 * busy machine the least disturbed run; the median is printed beside it).
 * Prints a table and exits 1 when a handler's increase is over the budget.
 * The difference is everything that changed in the handlers since `--before`,
 * observability and any other fix alike.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { buildBundle, PROJECT_ROOT } from "../../blocks/lambda/bundle";
import { numberOption, readOptions, runMain } from "../../tools/cli";

/** The last commit before the handlers wrote through `handlers/shared/observability.ts`. */
export const DEFAULT_BEFORE = "2256f09";
export const BUDGET = { kilobytes: 60, loadMs: 20 } as const;

interface Options {
  readonly before: string;
  readonly runs: number;
  readonly json?: string;
}

const USAGE = `usage: npx tsx scripts/bench/observability.ts [--before <git ref>] [--runs N] [--json FILE]
  --before REF   the handlers to compare with (default ${DEFAULT_BEFORE})
  --runs N       fresh processes per bundle, a whole number in [1, 1000] (default 15)
  --json FILE    also write the results as JSON
  --help, -h     this text`;

/** The command line (tools/cli.ts): a UsageError for an unknown option or a bad value. */
export function parseArgs(argv: readonly string[]): Options {
  let before = DEFAULT_BEFORE;
  let runs = 15;
  let json: string | undefined;
  for (const [name, value] of readOptions(argv, [], ["before", "runs", "json"])) {
    if (value === true) continue;
    if (name === "before") before = value;
    else if (name === "runs") runs = numberOption("runs", value, 1, 1000, true);
    else json = value;
  }
  return { before, runs, json };
}

/** `handlers/**\/index.ts` under `root`, project-relative. */
function entries(root: string): string[] {
  const out: string[] = [];
  const walk = (dir: string): void => {
    for (const name of readdirSync(dir)) {
      const file = path.join(dir, name);
      if (statSync(file).isDirectory()) walk(file);
      else if (name === "index.ts") out.push(path.relative(root, file));
    }
  };
  walk(path.join(root, "handlers"));
  return out.sort();
}

/** Milliseconds `require(file)` takes in a fresh process (the bundle's module scope: clients, Logger, Metrics). */
const PROBE = `const t = process.hrtime.bigint(); require(process.argv[1]); process.stdout.write(String(Number(process.hrtime.bigint() - t) / 1e6));`;
function loadMs(file: string): number {
  const env = { PATH: process.env.PATH ?? "", AWS_REGION: "ap-northeast-1", AWS_LAMBDA_FUNCTION_NAME: "bench", AWS_LAMBDA_INITIALIZATION_TYPE: "on-demand" };
  const run = spawnSync(process.execPath, ["-e", PROBE, file], { env, encoding: "utf8" });
  if (run.status !== 0) throw new Error(`loading ${file} failed:\n${run.stderr}`);
  return Number(run.stdout);
}

const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted.length % 2 ? sorted[(sorted.length - 1) / 2] : (sorted[sorted.length / 2 - 1] + sorted[sorted.length / 2]) / 2;
};

export interface HandlerBudget {
  readonly entry: string;
  readonly before: { readonly kilobytes: number; readonly loadMs: number; readonly medianMs: number };
  readonly after: { readonly kilobytes: number; readonly loadMs: number; readonly medianMs: number };
  readonly withinBudget: boolean;
}

function main(argv: readonly string[]): number {
  const options = parseArgs(argv);
  const scratch = path.join(PROJECT_ROOT, "node_modules", ".cache", "observability-bench");
  const beforeRoot = path.join(scratch, "before");
  rmSync(scratch, { recursive: true, force: true });
  mkdirSync(beforeRoot, { recursive: true });
  // The handlers as they were, beside node_modules so every import resolves as the working tree's do.
  const archive = execFileSync("git", ["archive", options.before, "handlers"], { cwd: PROJECT_ROOT, maxBuffer: 64 * 1024 * 1024 });
  execFileSync("tar", ["-x", "-C", beforeRoot], { input: archive });
  const cacheDir = path.join(scratch, "bundles");
  try {
    const results: HandlerBudget[] = [];
    for (const entry of entries(PROJECT_ROOT)) {
      const beforeEntry = path.join(beforeRoot, entry);
      if (!existsSync(beforeEntry)) continue;
      const after = buildBundle(entry, { cacheDir });
      const before = buildBundle(path.relative(PROJECT_ROOT, beforeEntry), { cacheDir });
      const times = { before: [] as number[], after: [] as number[] };
      for (let i = 0; i < options.runs; i++) {
        times.before.push(loadMs(path.join(before.dir, "index.js")));
        times.after.push(loadMs(path.join(after.dir, "index.js")));
      }
      const b = { kilobytes: before.codeBytes / 1024, loadMs: Math.min(...times.before), medianMs: median(times.before) };
      const a = { kilobytes: after.codeBytes / 1024, loadMs: Math.min(...times.after), medianMs: median(times.after) };
      results.push({ entry, before: b, after: a, withinBudget: a.kilobytes - b.kilobytes <= BUDGET.kilobytes && a.loadMs - b.loadMs <= BUDGET.loadMs });
    }
    const f = (n: number): string => n.toFixed(1);
    const rows = [
      ["handler", "KB before", "KB after", "+KB", "load ms before", "load ms after", "+ms", "(medians)", "budget"],
      ...results.map((r) => [
        r.entry.replace(/^handlers\/|\/index\.ts$/g, ""),
        f(r.before.kilobytes),
        f(r.after.kilobytes),
        f(r.after.kilobytes - r.before.kilobytes),
        f(r.before.loadMs),
        f(r.after.loadMs),
        f(r.after.loadMs - r.before.loadMs),
        `${f(r.before.medianMs)} / ${f(r.after.medianMs)}`,
        r.withinBudget ? "ok" : "OVER",
      ]),
    ];
    const widths = rows[0].map((_, c) => Math.max(...rows.map((row) => row[c].length)));
    for (const row of rows) process.stdout.write(`${row.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]) : cell.padStart(widths[c]))).join("  ")}\n`);
    process.stdout.write(
      `before = ${options.before}, after = working tree; load = fastest of ${options.runs} fresh processes each (node ${process.version}, load average ${os.loadavg()[0].toFixed(1)}); budget +${BUDGET.kilobytes} KB, +${BUDGET.loadMs} ms per function\n`,
    );
    if (options.json) writeFileSync(options.json, `${JSON.stringify({ before: options.before, runs: options.runs, node: process.version, budget: BUDGET, results }, null, 2)}\n`);
    return results.some((r) => !r.withinBudget) ? 1 : 0;
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

if (require.main === module) runMain("bench:observability", USAGE, main, { exitOnSignals: true });
