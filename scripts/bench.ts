/**
 * `npm run bench`: what matters for this codebase, each figure the median of
 * several runs, comparisons as ratios measured side by side in this run.
 *
 * 1. synth: the whole app (five stacks) in a fresh process, cold (empty
 *    bundle cache: every handler bundled by esbuild) and warm (cache filled,
 *    no handler changed), each against a one-resource cdktf app (the floor,
 *    started as main.ts starts) run alongside: wall time, CPU time of the node
 *    process, peak RSS; and the floor as a plain cdktf app, for reference;
 * 2. the kinesis-ingest consumer (bundled handler, BatchWriteItem) against the
 *    seed's algorithm (one PutItem per record, sequential), items/s on the
 *    same dynalite and the same records;
 * 3. every handler's bundle size and module load time (require of the bundled
 *    index.js in a fresh process);
 * 4. the Terraform proof (scripts/terraform/prove.ts): all stacks in one run,
 *    as `npm test` runs it, then each stack in a run of its own, one after
 *    another: wall time in total and per stack, once (skipped without `terraform`).
 *
 *   npm run bench                 # table on stdout, JSON in bench-results/latest.json
 *   npm run bench -- --runs 3     # fewer runs (default 5)
 *
 * The command line is tools/cli.ts's: `--help`, and a usage or configuration error (one line,
 * exit status 2) before any run. The synths honour the configuration (APP_ENV, LAMBDA_PACKAGING,
 * ...; the Terraform proof's with OFFLINE=1, as tf:check). Each figure's code is in scripts/bench/.
 */
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { loadDeployment } from "../config";
import { numberOption, readOptions, runMain, type Command } from "../tools/cli";
import { benchConsumer } from "./bench/consumer";
import { benchHandlers } from "./bench/handlers";
import { benchSynth } from "./bench/synth";
import { benchTerraform } from "./bench/terraform";

const ROOT = path.resolve(__dirname, "..");

function table(rows: string[][]): string {
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
  return rows.map((r) => r.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]) : cell.padStart(widths[c]))).join("  ")).join("\n");
}

const USAGE = `usage: npm run bench [-- --runs N]
  synth, the kinesis-ingest consumer, handler bundles and the Terraform proof, each figure the median of N runs
  --runs N     runs per figure, a whole number in [1, 100] (default 5)
  --help, -h   this text`;

/** The command line: `--runs N` or nothing; anything else a UsageError. */
export function parseArgs(argv: readonly string[]): { runs: number } {
  let runs = 5;
  for (const [, value] of readOptions(argv, [], ["runs"])) if (value !== true) runs = numberOption("runs", value, 1, 100, true);
  return { runs };
}

async function main(argv: readonly string[]): Promise<number> {
  const { runs } = parseArgs(argv);
  loadDeployment(); // a bad configuration stops here, before the first run, as synth would
  const started = Date.now();
  const machine = {
    cpus: os.cpus().length,
    cpuModel: os.cpus()[0]?.model ?? "unknown",
    memoryGb: +(os.totalmem() / 1024 ** 3).toFixed(1),
    node: process.version,
    platform: `${os.platform()} ${os.release()}`,
  };
  process.stderr.write(`bench: ${runs} runs per figure on ${machine.cpus} x ${machine.cpuModel}, node ${machine.node}\n`);

  const synth = await benchSynth(runs);
  const consumer = await benchConsumer(synth.outdir, runs, 2000);
  const handlers = await benchHandlers(synth.outdir, runs);
  rmSync(synth.outdir, { recursive: true, force: true });
  const terraform = await benchTerraform();
  const { outdir: _unused, ...synthFigures } = synth;
  void _unused;

  const result = {
    date: new Date().toISOString(),
    runs,
    machine: { ...machine, loadAverage: os.loadavg().map((l) => +l.toFixed(2)) },
    synth: synthFigures,
    consumer,
    handlers,
    terraform,
    benchSeconds: (Date.now() - started) / 1000,
  };
  const dir = path.join(ROOT, "bench-results");
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, "latest.json"), `${JSON.stringify(result, null, 2)}\n`);

  const f = (n: number, d = 0): string => n.toLocaleString("en-US", { minimumFractionDigits: d, maximumFractionDigits: d });
  const lines = [
    `bench ${result.date.slice(0, 10)}: ${machine.cpus} x ${machine.cpuModel}, ${machine.memoryGb} GB, node ${machine.node}; median of ${runs} runs`,
    "",
    table([
      ["synth (fresh process)", "wall ms", "x floor", "CPU ms", "peak RSS MB", "x floor"],
      ["all five stacks, cold (empty bundle cache)", f(synth.cold.ms), `${f(synth.cold.timeRatio, 2)}x`, f(synth.cold.cpuMs), f(synth.cold.rssMb), `${f(synth.cold.memoryRatio, 2)}x`],
      ["all five stacks, warm (no handler changed)", f(synth.warm.ms), `${f(synth.warm.timeRatio, 2)}x`, f(synth.warm.cpuMs), f(synth.warm.rssMb), `${f(synth.warm.memoryRatio, 2)}x`],
      ["one-resource app (floor), started as main.ts starts", f(synth.floor.ms), "1.00x", f(synth.floor.cpuMs), f(synth.floor.rssMb), "1.00x"],
      [
        "  the same app, plain cdktf under tsx (no startup.ts)",
        f(synth.plainFloor.ms),
        `${f(synth.plainFloor.ms / synth.floor.ms, 2)}x`,
        f(synth.plainFloor.cpuMs),
        f(synth.plainFloor.rssMb),
        `${f(synth.plainFloor.rssMb / synth.floor.rssMb, 2)}x`,
      ],
    ]),
    "",
    table([
      [`kinesis consumer (${consumer.records} records, batches of ${consumer.batchSize}, dynalite)`, "items/s"],
      ["bundled handler (BatchWriteItem x 25)", f(consumer.handlerItemsPerS)],
      ["seed algorithm (PutItem per record, sequential)", f(consumer.seedItemsPerS)],
      ["ratio", `${f(consumer.ratio, 2)}x`],
    ]),
    "",
    table([
      ["handler", "bundle KB", "load ms"],
      ...handlers.map((h) => [`${h.stack} / ${h.functionName}`, f(h.bundleBytes / 1024, 1), f(h.loadMs, 1)]),
    ]),
    "",
    ...(terraform
      ? [
          table([
            ["terraform proof of the five stacks (init if needed + plan)", "wall s"],
            [
              `all in one run, as npm test runs it (${terraform.together.stacks} stacks, ${terraform.together.providerProcesses} provider process(es))` +
                `${terraform.together.initialized ? ", with init" : ""}${terraform.together.ok ? "" : " FAILED"}`,
              f(terraform.together.ms / 1000, 1),
            ],
            ...terraform.alone.map((t) => [`${t.stack} alone${t.initialized ? " (with init)" : ""}${t.ok ? "" : " FAILED"}`, f(t.ms / 1000, 1)]),
            ["each alone, in total", f(terraform.alone.reduce((n, t) => n + t.ms, 0) / 1000, 1)],
          ]),
          "",
        ]
      : []),
    `load average ${result.machine.loadAverage.join(" ")}; total ${f(result.benchSeconds, 1)} s; JSON: bench-results/latest.json`,
  ];
  process.stdout.write(`${lines.join("\n")}\n`);
  return 0;
}

/** The command line, for tests that run it in-process (__tests__/script-usage.test.ts). */
export const command: Command = { name: "bench", usage: USAGE, main };

if (require.main === module) runMain(command.name, command.usage, command.main, { exitOnSignals: true });
