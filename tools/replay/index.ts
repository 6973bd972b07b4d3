/**
 * Replays a stack's spike experiment on local engines, driven by what synth
 * produced (settings, mapping template and bundled handler code):
 *
 *   npm run replay -- kinesis-ingest [--requests 1000] [--concurrency 16] [--poison-rate 0.01] [--throttle-rate 0.2]
 *                                    [--ddb-throttle-rate 0.3] [--ddb-silence-ms 5000] [--ddb-silence-at 1000]
 *   npm run replay -- webhook-proxy  [--requests 1000] [--concurrency 16] [--fail-rate 0.2] [--hang-rate 0.05]
 *                                    [--reserved 4] [--time-scale 0.1]
 *                                    [--upstream-delay-ms 0]
 *   common: [--seed 1] [--json FILE] [--chart FILE.svg] [--synth-dir DIR] [--log FILE] [--no-progress]
 *
 * Prints a summary; exits 1 if anything accepted was lost (or the upstream saw
 * more concurrent requests than the limit), 2 on a usage error (an option of the
 * other stack included) or a configuration synth refuses, 0 with the usage on `--help`.
 * The stack is synthesized with the configuration (APP_ENV, LAMBDA_PACKAGING, ...) into a
 * temporary folder, removed at the end and on SIGINT / SIGTERM; a --synth-dir made with
 * another APP_ENV / AWS_REGION / LAMBDA_PACKAGING than the one set is refused.
 * See docs/replay-and-bench.md.
 */
import "../../startup"; // as main.ts: before cdktf loads (a synth runs in this process)
import { appendFileSync, existsSync, mkdirSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import type { DeploymentConfig } from "../../blocks/deployment";
import { loadDeployment } from "../../config";
import { REPLAY_STACK_IDS, type ReplayStackId } from "../../main";
import { numberOption, readOptions, removeTempDir, runMain, stackArgument, UsageError, type Command } from "../cli";
import { renderChart } from "./chart";
import { ReplayDashboard } from "./dashboard";
import { type KinesisReplayOptions, replayKinesisIngest } from "./kinesis-ingest";
import { formatSummary, ReplaySummary } from "./metrics";
import { configurationMismatch, readStack, synthApp, type SynthesizedStack } from "../emulator/synth";
import { replayWebhookProxy, type WebhookReplayOptions } from "./webhook-proxy";

/** The registry's stacks that have a replay (`replay` in main.ts); `REPLAYS` below needs one for each. */
export const REPLAY_STACKS = REPLAY_STACK_IDS;
export type ReplayStack = ReplayStackId;

/** Either replay's options (each reads its own), and which synth output it reads. */
export interface ReplayOptions extends KinesisReplayOptions, WebhookReplayOptions {
  /** An existing synth output (`cdktf.out`); by default the stack is synthesized into a temporary folder. */
  readonly synthDir?: string;
  /** The configuration the stack is synthesized with. @default loadDeployment() */
  readonly deployment?: DeploymentConfig;
}

/** A replay passes when nothing accepted was lost, no invocation was killed by its timeout and the concurrency limit held. */
export function passed(summary: ReplaySummary): boolean {
  return (
    summary.lost === 0 &&
    (summary.timedOutInvocations ?? 0) === 0 &&
    (summary.concurrencyLimit === undefined || summary.maxConcurrency <= summary.concurrencyLimit)
  );
}

/** Each replay stack's experiment: a stack marked `replay` in the registry without one fails `npm run typecheck`. */
const REPLAYS: Record<ReplayStack, (stack: SynthesizedStack, options: ReplayOptions) => Promise<ReplaySummary>> = {
  "kinesis-ingest": replayKinesisIngest,
  "webhook-proxy": replayWebhookProxy,
};

export async function runReplay(stackId: ReplayStack, options: ReplayOptions = {}): Promise<ReplaySummary> {
  const synthDir = options.synthDir ?? synthApp(options.deployment ?? loadDeployment(), [stackId]);
  try {
    const stack = readStack(synthDir, stackId);
    return await REPLAYS[stackId](stack, options);
  } finally {
    // A synth made for this run is removed with it; a given --synth-dir is left alone.
    if (!options.synthDir) removeTempDir(synthDir);
  }
}

const USAGE = `usage: npm run replay -- <${REPLAY_STACKS.join("|")}> [options]
  --requests N          requests / webhooks to send (default 1000)
  --concurrency C       requests in flight at once (default 16)
  --seed S              seed of the generated bodies and injected faults (default 1)
  kinesis-ingest only:
  --poison-rate R       share of requests too large to store (> 400 KB items) (default 0)
  --throttle-rate R     share of BatchWriteItem puts answered as UnprocessedItems (default 0)
  --ddb-throttle-rate R share of DynamoDB calls answered ProvisionedThroughputExceededException (default 0)
  --ddb-silence-ms MS   DynamoDB accepts connections and never answers for MS ms (default 0)
  --ddb-silence-at MS   ... starting MS ms after the first request (default 1000)
  webhook-proxy only:
  --fail-rate R         share of upstream requests answered 500 (default 0)
  --hang-rate R         share of upstream requests never answered (default 0)
  --reserved N          the stack's reserved_concurrent_executions variable (default: its default)
  --time-scale F        scale visibility / function / upstream timeouts to shorten runs (default 1)
  --upstream-delay-ms D the upstream answers after D ms: a slow upstream (default 0)
  output:
  --json FILE           write the summary and time series as JSON
  --chart FILE.svg      draw arrivals, deliveries and backlog over time
  --dashboard FILE.html the replay's figures laid out as the stack's CloudWatch dashboard
  --log FILE            append the handlers' log lines to FILE (default: discarded)
  --synth-dir DIR       read an existing synth output (e.g. cdktf.out) instead of synthesizing
  --no-progress         no progress bar (it is drawn only when stderr is a terminal)
  --help, -h            this text`;

/** Options every replay reads, and those only one stack's replay reads. */
const COMMON_OPTIONS = ["requests", "concurrency", "seed", "json", "chart", "dashboard", "log", "synth-dir"];
const STACK_OPTIONS: Record<ReplayStack, readonly string[]> = {
  "kinesis-ingest": ["poison-rate", "throttle-rate", "ddb-throttle-rate", "ddb-silence-ms", "ddb-silence-at"],
  "webhook-proxy": ["fail-rate", "hang-rate", "reserved", "time-scale", "visibility-scale", "upstream-delay-ms"],
};

export interface ReplayCommand {
  readonly stack: ReplayStack;
  readonly options: ReplayOptions;
  readonly json?: string;
  readonly chart?: string;
  readonly dashboard?: string;
  readonly log?: string;
}

/**
 * The command line (after `npm run replay --`) and the configuration (`vars`, checked as synth
 * checks it: a ConfigurationError); a UsageError for an unknown option, an option of the other
 * stack, a bad value, or a synth output without the stack or made with another configuration.
 */
export function parseArgs(argv: readonly string[], vars: NodeJS.ProcessEnv = process.env): ReplayCommand {
  const [first, ...rest] = argv;
  const stack = stackArgument(first, REPLAY_STACKS);
  const values: Record<string, string> = {};
  let progress: boolean | undefined;
  const known = [...COMMON_OPTIONS, ...REPLAY_STACKS.flatMap((other) => STACK_OPTIONS[other])];
  for (const [name, value] of readOptions(rest, ["no-progress"], known)) {
    if (value === true) progress = false;
    else if (COMMON_OPTIONS.includes(name) || STACK_OPTIONS[stack].includes(name)) values[name] = value;
    else {
      const owner = REPLAY_STACKS.find((other) => STACK_OPTIONS[other].includes(name));
      throw new UsageError(owner ? `--${name} is a ${owner} option: ${stack} does not read it` : `unknown option --${name}`);
    }
  }
  const num = (key: string, min: number, max: number, integer = false): number | undefined =>
    values[key] === undefined ? undefined : numberOption(key, values[key], min, max, integer);
  const synthDir = values["synth-dir"];
  if (synthDir !== undefined && !existsSync(path.join(synthDir, "stacks", stack, "cdk.tf.json"))) {
    const what = existsSync(synthDir) ? `has no stacks/${stack}/cdk.tf.json` : "does not exist";
    throw new UsageError(`--synth-dir ${synthDir} ${what}: synthesize first (npm run synth) or omit --synth-dir`);
  }
  const deployment = loadDeployment(vars);
  const mismatch = synthDir === undefined ? undefined : configurationMismatch(readStack(synthDir, stack), deployment, vars);
  if (mismatch) throw new UsageError(mismatch);
  return {
    stack,
    options: {
      requests: num("requests", 1, 1_000_000, true),
      concurrency: num("concurrency", 1, 1000, true),
      seed: num("seed", 0, 2 ** 32 - 1, true),
      poisonRate: num("poison-rate", 0, 1),
      throttleRate: num("throttle-rate", 0, 0.95),
      ddbThrottleRate: num("ddb-throttle-rate", 0, 0.95),
      ddbSilenceMs: num("ddb-silence-ms", 0, 600_000, true),
      ddbSilenceAtMs: num("ddb-silence-at", 0, 600_000, true),
      failRate: num("fail-rate", 0, 1),
      hangRate: num("hang-rate", 0, 1),
      reservedConcurrency: num("reserved", 1, 1000, true),
      timeScale: num("time-scale", 0.001, 100) ?? num("visibility-scale", 0.001, 100),
      upstreamDelayMs: num("upstream-delay-ms", 0, 60_000),
      synthDir,
      deployment,
      progress,
    },
    json: values.json,
    chart: values.chart,
    dashboard: values.dashboard,
    log: values.log,
  };
}

function write(file: string, text: string): void {
  mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
  writeFileSync(file, text);
}

async function main(argv: readonly string[]): Promise<number> {
  const { stack, options, json, chart, dashboard, log } = parseArgs(argv);
  const page = dashboard ? new ReplayDashboard(stack) : undefined;
  const sink = log ? (level: string, line: string) => appendFileSync(log, `${level.toUpperCase()} ${line}\n`) : undefined;
  if (log) write(log, "");
  if (!options.synthDir) process.stderr.write(`synthesizing ${stack} ...\n`);
  const summary = await runReplay(stack, {
    ...options,
    log: page ? page.tee(sink) : sink,
  });
  process.stdout.write(`${formatSummary(summary)}\n`);
  if (json) {
    write(json, `${JSON.stringify({ ...summary, passed: passed(summary), finishedAt: new Date().toISOString() }, null, 2)}\n`);
    process.stdout.write(`json: ${json}\n`);
  }
  if (chart) {
    write(chart, renderChart(summary));
    process.stdout.write(`chart: ${chart}\n`);
  }
  if (page && dashboard) {
    write(dashboard, page.render(summary, options.synthDir));
    process.stdout.write(`dashboard: ${dashboard}\n`);
  }
  return passed(summary) ? 0 : 1;
}

/**
 * The AWS SDK warns once per bundled copy that node 20 support ends in 2027;
 * the replay loads several bundles, so that one warning is shown once. Others pass.
 */
function quietRepeatedSdkWarning(): void {
  const listeners = process.listeners("warning");
  let shown = false;
  process.removeAllListeners("warning");
  process.on("warning", (warning) => {
    if (`${warning.name} ${warning.message}`.includes("NodeVersionSupportWarning")) {
      if (shown) return;
      shown = true;
    }
    for (const listener of listeners) listener(warning);
  });
}

/** The command line, for tests that run it in-process (__tests__/script-usage.test.ts). */
export const command: Command = { name: "replay", usage: USAGE, main };

if (require.main === module) {
  quietRepeatedSdkWarning();
  runMain(command.name, command.usage, command.main, { exitOnSignals: true });
}
