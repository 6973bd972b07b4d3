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
 */
import { execFile } from "node:child_process";
import { randomUUID } from "node:crypto";
import { mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { promisify } from "node:util";
import type { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DynamoDBDocumentClient, PutCommand } from "@aws-sdk/lib-dynamodb";
import type { KinesisStreamBatchResponse, KinesisStreamEvent } from "aws-lambda";
import { STACK_IDS } from "../main";
import { ACCOUNT_ID, awsEnv, dynamoClient, Engine, REGION, setProcessEnv, startDynalite } from "../tools/emulator/engines";
import { kinesisEvent, type ShardRecord } from "../tools/emulator/event-source";
import { createTable } from "../tools/emulator/resources";
import { captureConsole, invoke, loadHandler } from "../tools/emulator/handler";
import { percentile } from "../tools/replay/metrics";
import { exampleVarFiles, synthOffline, terraformAvailable } from "./terraform-check";
import { proveStacks } from "./terraform/prove";
import { Block, environmentVariables, functionCode, readStack, resolveLiterals, resolveLocal, resources, scratchDir, SynthesizedStack } from "../tools/emulator/synth";

const run = promisify(execFile);
const ROOT = path.resolve(__dirname, "..");
const TSX = require.resolve("tsx/cjs");

const median = (values: readonly number[]): number => percentile([...values].sort((a, b) => a - b), 50);

interface ChildRun {
  readonly ms: number;
  /** CPU of the node process (esbuild's own process not included). */
  readonly cpuMs: number;
  readonly maxRssMb: number;
}

/** Runs a bench child with tsx in a fresh node process; wall time from spawn to exit. */
async function child(script: string, args: string[], env: NodeJS.ProcessEnv = {}): Promise<ChildRun> {
  const start = process.hrtime.bigint();
  const { stdout } = await run(process.execPath, ["--require", TSX, path.join(__dirname, "bench", script), ...args], {
    cwd: ROOT,
    env: { ...process.env, CHECKPOINT_DISABLE: "1", ...env },
    maxBuffer: 16 * 1024 * 1024,
  });
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  const last = stdout.trim().split("\n").pop() ?? "{}";
  const { maxRssKb, cpuMs } = JSON.parse(last) as { maxRssKb: number; cpuMs: number };
  return { ms, cpuMs, maxRssMb: maxRssKb / 1024 };
}

interface SynthFigures {
  readonly ms: number;
  readonly cpuMs: number;
  readonly rssMb: number;
  /** Wall time over the floor's, in this run. */
  readonly timeRatio: number;
  readonly memoryRatio: number;
}

interface SynthResult {
  readonly floor: { readonly ms: number; readonly cpuMs: number; readonly rssMb: number };
  /** The floor app without startup.ts, as a plain cdktf app under tsx starts (for reference; ratios are to `floor`). */
  readonly plainFloor: { readonly ms: number; readonly cpuMs: number; readonly rssMb: number };
  readonly cold: SynthFigures;
  readonly warm: SynthFigures;
  readonly outdir: string;
}

async function benchSynth(runs: number): Promise<SynthResult> {
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

interface TerraformResult {
  readonly cores: number;
  /** The proof as `npm test` runs it: every stack in one Terraform run. */
  readonly together: { readonly ms: number; readonly ok: boolean; readonly initialized: boolean; readonly stacks: number; readonly providerProcesses: number };
  /** Each stack in a Terraform run of its own, one after another. */
  readonly alone: { readonly stack: string; readonly ms: number; readonly initialized: boolean; readonly ok: boolean }[];
}

/** The Terraform proof of the offline synth: all stacks in one run (as `npm test`), then each stack alone. */
async function benchTerraform(): Promise<TerraformResult | undefined> {
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

/** The seed's Python handler, in TypeScript: one PutItem per record, in order, random UUID ids. */
async function seedAlgorithm(client: DynamoDBDocumentClient, table: string, event: KinesisStreamEvent): Promise<void> {
  for (const record of event.Records) {
    const text = Buffer.from(record.kinesis.data, "base64").toString("utf8");
    let data: Record<string, unknown>;
    try {
      data = JSON.parse(text) as Record<string, unknown>;
    } catch {
      data = { message: text };
    }
    await client.send(new PutCommand({ TableName: table, Item: { ID: randomUUID(), Message: data.message ?? "NoMessage" } }));
  }
}

/** `count` records of the seed's send_api.py bodies on one shard, as the mapping hands them on. */
function kinesisRecords(count: number): ShardRecord[] {
  const base = BigInt("49680500974175709359476434820507794021671814323270320130");
  return Array.from({ length: count }, (_, i) => ({
    shardId: "shardId-000000000000",
    record: {
      PartitionKey: randomUUID(),
      SequenceNumber: String(base + BigInt(i)),
      Data: Buffer.from(`{"index": ${i}, "message": "Test message ${i}"}`),
      ApproximateArrivalTimestamp: new Date(),
    },
  }));
}

interface ConsumerResult {
  readonly records: number;
  readonly batchSize: number;
  readonly handlerItemsPerS: number;
  readonly seedItemsPerS: number;
  readonly ratio: number;
}

async function benchConsumer(outdir: string, runs: number, count: number): Promise<ConsumerResult> {
  const stack = readStack(outdir, "kinesis-ingest");
  const [, mapping] = resources(stack, "aws_lambda_event_source_mapping")[0];
  const fnName = /aws_lambda_function\.([A-Za-z0-9_-]+)\.arn/.exec(String(mapping.function_name))![1];
  const fn = stack.json.resource!.aws_lambda_function[fnName];
  const batchSize = Number(mapping.batch_size);
  const records = kinesisRecords(count);
  const batches: KinesisStreamEvent[] = [];
  const streamArn = `arn:aws:kinesis:${REGION}:${ACCOUNT_ID}:stream/bench`;
  for (let i = 0; i < records.length; i += batchSize) batches.push(kinesisEvent(records.slice(i, i + batchSize), streamArn, `arn:aws:iam::${ACCOUNT_ID}:role/bench`));

  const engines: Engine[] = [];
  const restore: (() => void)[] = [];
  try {
    const dynalite = await startDynalite();
    engines.push(dynalite);
    restore.push(setProcessEnv({ ...awsEnv({ dynamodb: dynalite }), TABLE_NAME: "bench-handler-0" }));
    restore.push(captureConsole(() => undefined));
    const scratch = scratchDir("bench-kinesis-");
    restore.push(() => rmSync(scratch, { recursive: true, force: true }));
    const handler = loadHandler<KinesisStreamEvent, KinesisStreamBatchResponse | void>(functionCode(stack, fn).file, scratch, "kinesis");
    const raw: DynamoDBClient = dynamoClient(dynalite);
    const doc = DynamoDBDocumentClient.from(raw);
    const fnSettings = { functionName: "bench", timeoutMs: 60_000, memoryMb: 256 };
    // The stack's table: hash key ID (a string).
    const newTable = (name: string): Promise<void> => createTable(raw, { name, hash_key: "ID", attribute: [{ name: "ID", type: "S" }] });

    const ours: number[] = [];
    const seed: number[] = [];
    for (let r = 0; r < runs; r++) {
      // Fresh tables per run, so neither side writes into a table the other filled.
      const seedTable = `bench-seed-${r}`;
      const ourTable = `bench-handler-${r}`;
      await newTable(seedTable);
      await newTable(ourTable);
      process.env.TABLE_NAME = ourTable;
      const order = r % 2 === 0 ? ["seed", "ours"] : ["ours", "seed"];
      for (const side of order) {
        const start = process.hrtime.bigint();
        for (const event of batches) {
          if (side === "seed") await seedAlgorithm(doc, seedTable, event);
          else {
            const out = await invoke(handler, fnSettings, event);
            if (out && out.batchItemFailures.length > 0) throw new Error("the handler reported failures in the bench");
          }
        }
        const s = Number(process.hrtime.bigint() - start) / 1e9;
        (side === "seed" ? seed : ours).push(count / s);
      }
      process.stderr.write(`  consumer run ${r + 1}/${runs}: handler ${ours[r].toFixed(0)} items/s, seed ${seed[r].toFixed(0)} items/s\n`);
    }
    const handlerItemsPerS = median(ours);
    const seedItemsPerS = median(seed);
    return { records: count, batchSize, handlerItemsPerS, seedItemsPerS, ratio: handlerItemsPerS / seedItemsPerS };
  } finally {
    for (const undo of restore.reverse()) undo();
    await Promise.all(engines.map((e) => e.stop()));
  }
}

interface HandlerResult {
  readonly stack: string;
  readonly functionName: string;
  readonly bundleBytes: number;
  readonly loadMs: number;
}

/**
 * The function's environment as Lambda would set it: literals as they are,
 * variables at their defaults, values known only after apply (ARNs, URLs) as
 * placeholders; handlers that read their settings at load time need them.
 */
function functionEnvironment(stack: SynthesizedStack, fn: Block): Record<string, string> {
  const variables = environmentVariables(fn);
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(variables)) {
    try {
      const resolved = resolveLiterals(stack, String(value));
      if (resolved.includes("${")) throw new Error("an expression");
      out[key] = resolved;
    } catch {
      out[key] = `bench-${key.toLowerCase().replace(/_/g, "-")}`;
    }
  }
  return out;
}

/** Time of `require(index.js)` alone, measured inside a fresh node process. */
const LOAD_PROBE = `const t = process.hrtime.bigint(); require(process.argv[1]); process.stdout.write(String(Number(process.hrtime.bigint() - t) / 1e6));`;

async function benchHandlers(outdir: string, runs: number): Promise<HandlerResult[]> {
  const out: HandlerResult[] = [];
  for (const id of STACK_IDS) {
    const stack = readStack(outdir, id);
    for (const [, fn] of resources(stack, "aws_lambda_function") as [string, Block][]) {
      const { file } = functionCode(stack, fn);
      const env = { PATH: process.env.PATH, AWS_REGION: "ap-northeast-1", NODE_OPTIONS: "", ...functionEnvironment(stack, fn) };
      const times: number[] = [];
      for (let i = 0; i < runs; i++) {
        try {
          const { stdout } = await run(process.execPath, ["-e", LOAD_PROBE, file], { env, maxBuffer: 1024 * 1024 });
          times.push(Number(stdout));
        } catch (err) {
          const stderr = (err as { stderr?: string }).stderr ?? "";
          throw new Error(`loading ${file} failed: ${stderr.split("\n").filter((l) => /Error/.test(l)).slice(-1)[0] ?? "see above"}`);
        }
      }
      out.push({ stack: id, functionName: String(resolveLocal(stack, fn.function_name)), bundleBytes: statSync(file).size, loadMs: median(times) });
    }
  }
  return out;
}

function table(rows: string[][]): string {
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
  return rows.map((r) => r.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]) : cell.padStart(widths[c]))).join("  ")).join("\n");
}

async function main(): Promise<void> {
  const runsArg = process.argv.indexOf("--runs");
  const runs = runsArg > 0 ? Number(process.argv[runsArg + 1]) : 5;
  if (!Number.isInteger(runs) || runs < 1) throw new Error("--runs must be a whole number >= 1");
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
}

main().catch((err: unknown) => {
  process.stderr.write(`bench failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
