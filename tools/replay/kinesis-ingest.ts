/**
 * Replays seed 000's spike on the synthesized `kinesis-ingest` stack:
 *
 *   N POST bodies -> the integration's request template (velocityjs) -> PutRecord on kinesalite
 *   -> a poller per shard playing the event source mapping (batch size, ReportBatchItemFailures
 *      checkpoints, bisect-on-error, maximum retries, on-failure destination on local SQS)
 *   -> the bundled handler (the shipped index.js) -> BatchWriteItem on dynalite
 *      (optionally through a proxy answering part of each call as UnprocessedItems, and
 *      the fault proxy throttling a share of the calls or not answering for a period)
 *
 * and checks that every accepted request is in the table exactly once, or its
 * record is described in the dead-letter queue.
 */
import type { Engine } from "../emulator/engines";
import { Random } from "../emulator/random";
import type { SynthesizedStack } from "../emulator/synth";
import { type IngestRun, IngestState, type LocalIngest, sendRequests, silentWindow, startConsumer, startLocalIngest, verify, type Verified } from "./kinesis-ingest-run";
import { readSettings, type IngestSettings } from "./kinesis-ingest-settings";
import { latencyOf, Progress, Recorder, type ReplaySummary } from "./metrics";

export interface KinesisReplayOptions {
  /** Requests to send. @default 1000 (the seed's send_api.py run) */
  readonly requests?: number;
  /** Requests in flight at once. @default 16 */
  readonly concurrency?: number;
  /** Share of requests whose body is too large for a DynamoDB item (> 400 KB): the handler can never store them. @default 0 */
  readonly poisonRate?: number;
  /** Share of BatchWriteItem put requests DynamoDB answers as UnprocessedItems. @default 0 */
  readonly throttleRate?: number;
  /** Share of DynamoDB calls answered ProvisionedThroughputExceededException as a whole (evenly spread). @default 0 */
  readonly ddbThrottleRate?: number;
  /** Milliseconds during which DynamoDB accepts connections and never answers. @default 0 */
  readonly ddbSilenceMs?: number;
  /** When that silence starts, in ms after the first request is sent. @default 1000 */
  readonly ddbSilenceAtMs?: number;
  /** Milliseconds between GetRecords calls on an idle shard (Lambda polls about once a second). @default 250 */
  readonly pollIntervalMs?: number;
  /** Seed of the fault injection. @default 1 */
  readonly seed?: number;
  /** Give up (and count the rest as lost) after this many ms. @default 600000 */
  readonly deadlineMs?: number;
  readonly progress?: boolean;
  /** Receives the handler's log lines. @default discarded */
  readonly log?: (level: string, line: string) => void;
}

/** The body send_api.py posts for request `i` (Python's json.dumps spacing). */
export function seedBody(i: number, padding = ""): string {
  return `{"index": ${i}, "message": "Test message ${i}${padding}"}`;
}

/** A DynamoDB item is at most 400 KB: this padding makes a record the handler can never store. */
const POISON_PADDING = " " + "x".repeat(410 * 1024);

/** The options with their defaults. */
function runOf(options: KinesisReplayOptions): IngestRun {
  return {
    requests: options.requests ?? 1000,
    concurrency: options.concurrency ?? 16,
    poisonRate: options.poisonRate ?? 0,
    throttleRate: options.throttleRate ?? 0,
    ddbThrottleRate: options.ddbThrottleRate ?? 0,
    ddbSilenceMs: options.ddbSilenceMs ?? 0,
    ddbSilenceAtMs: options.ddbSilenceAtMs ?? 1000,
    pollIntervalMs: options.pollIntervalMs ?? 250,
    seed: options.seed ?? 1,
    deadlineMs: options.deadlineMs ?? 600_000,
    log: options.log,
  };
}

/** Request indexes whose body is poison (`poisonRate` of them, drawn with the run's seed). */
function poisonedRequests(run: IngestRun): Set<number> {
  const random = new Random(run.seed);
  const poisoned = new Set<number>();
  for (let i = 0; i < run.requests; i++) if (random.next() < run.poisonRate) poisoned.add(i);
  return poisoned;
}

export async function replayKinesisIngest(stack: SynthesizedStack, options: KinesisReplayOptions = {}): Promise<ReplaySummary> {
  const run = runOf(options);
  const s = readSettings(stack);
  const notes: string[] = [];
  const engines: Engine[] = [];
  const restore: (() => void)[] = [];
  try {
    const local = await startLocalIngest(stack, s, run, engines, restore);
    const state = new IngestState();
    const recorder = new Recorder(
      () => ({
        arrived: state.arrived,
        done: state.writtenAt.size,
        deadLettered: state.dlqRecords,
        backlog: Math.max(0, state.accepted.length - state.writtenAt.size - state.dlqRecords),
      }),
      new Progress(run.requests, "kinesis-ingest", options.progress),
    );
    const pollers = await startConsumer(local, s, state, run);
    const poisoned = poisonedRequests(run);
    const sendStart = Date.now();
    const silence = silentWindow(local, run, sendStart);
    await sendRequests(local, s, state, run, (i) => seedBody(i, poisoned.has(i) ? POISON_PADDING : ""), notes);
    const sendMs = Date.now() - sendStart;
    state.producerDone = true;
    await Promise.all(pollers);
    const drainedAtMs = Date.now() - sendStart;
    await silence.end(drainedAtMs);
    const samples = recorder.stop();
    const verified = await verify(local, s, state.accepted);
    const timing = { sendStart, sendMs, drainedAtMs, silentFromMs: silence.startedAtMs(), durationMs: samples[samples.length - 1].t };
    return {
      ...summaryOf(stack, s, run, state, verified, timing),
      notes: [...notes, ...runNotes(local, run, state, verified, poisoned, timing), `table scanned: ${verified.scanned} item(s)`],
      samples,
    };
  } finally {
    for (const undo of restore.reverse()) undo();
    await Promise.all(engines.map((e) => e.stop()));
  }
}

interface Timing {
  readonly sendStart: number;
  readonly sendMs: number;
  readonly drainedAtMs: number;
  readonly silentFromMs?: number;
  readonly durationMs: number;
}

/** The figures: every accepted request stored once, or dead-lettered, or lost. */
function summaryOf(stack: SynthesizedStack, s: IngestSettings, run: IngestRun, state: IngestState, verified: Verified, timing: Timing): Omit<ReplaySummary, "notes" | "samples"> {
  let duplicates = 0;
  let lost = 0;
  for (const a of state.accepted) {
    const count = verified.perIndex.get(a.index) ?? 0;
    if (count > 1) duplicates += count - 1;
    if (count === 0 && !verified.deadIndexes.has(a.index)) lost++;
  }
  const latencies = [...state.writtenAt].flatMap(([seq, at]) => {
    const a = state.bySequence.get(seq);
    return a ? [at - a.acceptedAt] : [];
  });
  const lastWrite = Math.max(0, ...state.writtenAt.values());
  return {
    stack: stack.id,
    settings: {
      requests: run.requests,
      concurrency: run.concurrency,
      poisonRate: run.poisonRate,
      throttleRate: run.throttleRate,
      ddbThrottleRate: run.ddbThrottleRate,
      ddbSilenceMs: run.ddbSilenceMs,
      seed: run.seed,
      shards: s.shardCount,
      batchSize: s.mapping.batchSize,
      bisect: s.mapping.bisect,
      maxRetries: s.mapping.maxRetries,
      functionTimeoutS: s.fn.timeoutMs / 1000,
    },
    sent: run.requests,
    accepted: state.accepted.length,
    rejected: state.rejected,
    delivered: [...verified.perIndex.keys()].length,
    duplicates,
    deadLettered: verified.deadIndexes.size,
    lost,
    invocations: state.invocations,
    failedInvocations: state.failedInvocations,
    timedOutInvocations: state.timedOutInvocations,
    maxConcurrency: state.maxRunning,
    concurrencyLimit: s.shardCount,
    durationMs: timing.durationMs,
    acceptRate: state.accepted.length / Math.max(0.001, timing.sendMs / 1000),
    throughput: state.writtenAt.size / Math.max(0.001, (lastWrite - timing.sendStart) / 1000),
    latency: latencyOf(latencies),
  };
}

/** What the faults did, and anything a reader of the figures should know. */
function runNotes(local: LocalIngest, run: IngestRun, state: IngestState, verified: Verified, poisoned: ReadonlySet<number>, timing: Timing): string[] {
  const notes: string[] = [];
  if (run.poisonRate > 0) {
    const poisonAccepted = state.accepted.filter((a) => poisoned.has(a.index)).length;
    const deadOnly = state.accepted.filter((a) => (verified.perIndex.get(a.index) ?? 0) === 0 && verified.deadIndexes.has(a.index)).length;
    notes.push(`${poisoned.size} poison request(s) (> 400 KB item), ${poisonAccepted} accepted; ${deadOnly} record(s) only in the DLQ`);
  }
  const { faults, proxy } = local;
  if (faults) {
    const f = faults.stats;
    notes.push(
      `fault proxy: ${f.throttled} of ${f.requests} DynamoDB call(s) throttled as a whole, ${f.silenced} never answered` +
        (run.ddbSilenceMs > 0 && timing.silentFromMs !== undefined ? ` (silent for ${run.ddbSilenceMs} ms from ${run.ddbSilenceAtMs} ms)` : ""),
    );
    if (run.ddbSilenceMs > 0 && timing.silentFromMs === undefined) {
      notes.push(
        `DynamoDB's silent window (from ${run.ddbSilenceAtMs} ms) was never reached: the stream was drained after ${timing.drainedAtMs} ms; ` +
          "send more --requests or lower --ddb-silence-at to exercise it",
      );
    } else if (run.ddbSilenceMs > 0 && f.silenced === 0) {
      notes.push(`no DynamoDB call came during the silent window (${run.ddbSilenceAtMs}..${run.ddbSilenceAtMs + run.ddbSilenceMs} ms): it exercised nothing`);
    }
  }
  if (proxy) notes.push(`throttling proxy answered ${proxy.stats.throttledItems} put request(s) of ${proxy.stats.batchWrites} BatchWriteItem call(s) as UnprocessedItems`);
  if (state.rewrites > 0) notes.push(`${state.rewrites} idempotent re-write(s) of already stored records by retried batches (same item IDs: no duplicates)`);
  if (state.rejectedByStatus.size > 0) notes.push(`rejected by status: ${[...state.rejectedByStatus].map(([k, v]) => `${k}: ${v}`).join(", ")} (the client would retry)`);
  if (verified.foreign > 0) notes.push(`${verified.foreign} item(s) in the table that match no request`);
  if (local.errorLines() > 0) notes.push(`${local.errorLines()} error line(s) in the handler's log`);
  if (Date.now() > state.deadline) notes.push("deadline reached before the stream was drained");
  return notes;
}
