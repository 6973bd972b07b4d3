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
import { randomUUID } from "node:crypto";
import { ScanCommand } from "@aws-sdk/client-dynamodb";
import { GetShardIteratorCommand, ListShardsCommand } from "@aws-sdk/client-kinesis";
import { CreateQueueCommand, GetQueueAttributesCommand, ReceiveMessageCommand } from "@aws-sdk/client-sqs";
import type { KinesisStreamBatchResponse, KinesisStreamEvent } from "aws-lambda";
import { type KinesisBatchPointer, parseDeadLetter } from "../redrive/kinesis-dead-letters";
import { renderTemplate, selectResponse, TokenBucket } from "../emulator/apigateway";
import { ACCOUNT_ID, awsEnv, dynamoClient, Engine, kinesisClient, REGION, setProcessEnv, sqsClient, startEngines, startThrottlingProxy } from "../emulator/engines";
import { checkpoint, kinesisEvent, pollShard, processStreamBatch, sendOnFailureRecord, type ShardRecord, type StreamBatchHooks } from "../emulator/event-source";
import { startFaultProxy, type FaultMode, type FaultProxy } from "../emulator/fault-proxy";
import { FunctionTimeoutError, handlerSandbox, invoke, loadHandler } from "../emulator/handler";
import { readSettings } from "./kinesis-ingest-settings";
import { latencyOf, Progress, Recorder, ReplaySummary } from "./metrics";
import { Random } from "../emulator/random";
import { createStream, createTable } from "../emulator/resources";
import { functionCode, SynthesizedStack } from "../emulator/synth";
import { mapPool, resolveEnvironment, sleep } from "../emulator/util";

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

interface Accepted {
  readonly index: number;
  readonly shardId: string;
  readonly sequenceNumber: string;
  readonly acceptedAt: number;
}

export async function replayKinesisIngest(stack: SynthesizedStack, options: KinesisReplayOptions = {}): Promise<ReplaySummary> {
  const requests = options.requests ?? 1000;
  const concurrency = options.concurrency ?? 16;
  const poisonRate = options.poisonRate ?? 0;
  const throttleRate = options.throttleRate ?? 0;
  const pollIntervalMs = options.pollIntervalMs ?? 250;
  const seed = options.seed ?? 1;
  const random = new Random(seed);
  const s = readSettings(stack);
  const notes: string[] = [];

  const engines: Engine[] = [];
  const restore: (() => void)[] = [];
  try {
    const { kinesis: kinesalite, dynamodb: dynalite, sqs } = await startEngines(["kinesis", "dynamodb", "sqs"], engines);
    const proxy = throttleRate > 0 ? await startThrottlingProxy(dynalite, throttleRate, new Random(seed + 1)) : undefined;
    if (proxy) engines.push(proxy);
    // Downstream faults of whole calls, in front of everything else: throttling of a share, then a silent period.
    const ddbThrottleRate = options.ddbThrottleRate ?? 0;
    const ddbSilenceMs = options.ddbSilenceMs ?? 0;
    const ddbSilenceAtMs = options.ddbSilenceAtMs ?? 1000;
    const normalMode: FaultMode = ddbThrottleRate > 0 ? { kind: "throttle-share", share: ddbThrottleRate } : { kind: "pass" };
    const faults: FaultProxy | undefined =
      ddbThrottleRate > 0 || ddbSilenceMs > 0 ? await startFaultProxy(proxy ?? dynalite, normalMode) : undefined;
    if (faults) engines.push(faults);

    // ---- Resources, named as the stack names them ----
    const kinesis = kinesisClient(kinesalite);
    const dynamo = dynamoClient(dynalite);
    const sqsApi = sqsClient(sqs);
    await createStream(kinesis, s.streamName, s.shardCount);
    const streamArn = `arn:aws:kinesis:${REGION}:${ACCOUNT_ID}:stream/${s.streamName}`;
    await createTable(dynamo, s.table);
    const dlqName = s.dlqName ?? "replay-on-failure";
    const dlqUrl = (await sqsApi.send(new CreateQueueCommand({ QueueName: dlqName }))).QueueUrl!;
    const dlqArn = (await sqsApi.send(new GetQueueAttributesCommand({ QueueUrl: dlqUrl, AttributeNames: ["QueueArn"] }))).Attributes!.QueueArn!;

    // ---- The handler, with the function's environment pointed at the local resources ----
    const fnEnv = resolveEnvironment(stack, s.fnBlock, {
      aws_dynamodb_table: (block) => ({ name: String(block.name), arn: `arn:aws:dynamodb:${REGION}:${ACCOUNT_ID}:table/${String(block.name)}` }),
      aws_kinesis_stream: () => ({ name: s.streamName, arn: streamArn }),
      aws_sqs_queue: () => ({ url: dlqUrl, id: dlqUrl, arn: dlqArn, name: dlqName }),
    });
    restore.push(setProcessEnv({ ...awsEnv({ dynamodb: faults ?? proxy ?? dynalite, kinesis: kinesalite, sqs }), ...fnEnv }));
    const { scratch, errorLines } = handlerSandbox("replay-kinesis-", options.log, restore);
    const handler = loadHandler<KinesisStreamEvent, KinesisStreamBatchResponse | void>(functionCode(stack, s.fnBlock).file, scratch, "kinesis");

    // ---- Counters ----
    const bySequence = new Map<string, Accepted>();
    const accepted: Accepted[] = [];
    let arrived = 0;
    let rejected = 0;
    const rejectedByStatus = new Map<number, number>();
    const writtenAt = new Map<string, number>();
    let rewrites = 0;
    let dlqRecords = 0;
    let invocations = 0;
    let failedInvocations = 0;
    let timedOutInvocations = 0;
    let running = 0;
    let maxRunning = 0;
    let producerDone = false;

    const progress = new Progress(requests, "kinesis-ingest", options.progress);
    const recorder = new Recorder(
      () => ({
        arrived,
        done: writtenAt.size,
        deadLettered: dlqRecords,
        backlog: Math.max(0, accepted.length - writtenAt.size - dlqRecords),
      }),
      progress,
    );
    const deadline = Date.now() + (options.deadlineMs ?? 600_000);

    // ---- The mapping: one poller per shard ----
    const shards = (await kinesis.send(new ListShardsCommand({ StreamName: s.streamName }))).Shards ?? [];
    // starting_position LATEST, taken before the first request: every record sent is read.
    const iterators = await Promise.all(
      shards.map(async (shard) => ({
        shardId: shard.ShardId!,
        iterator: (
          await kinesis.send(
            new GetShardIteratorCommand({ StreamName: s.streamName, ShardId: shard.ShardId!, ShardIteratorType: "LATEST" }),
          )
        ).ShardIterator,
      })),
    );

    /** Invokes once; returns the index of the first record to retry, or -1 when all succeeded. */
    const invokeOnce = async (batch: readonly ShardRecord[]): Promise<{ retryFrom: number; error?: string }> => {
      invocations++;
      running++;
      maxRunning = Math.max(maxRunning, running);
      let response: KinesisStreamBatchResponse | void;
      try {
        response = await invoke(handler, s.fn, kinesisEvent(batch, streamArn, `arn:aws:iam::${ACCOUNT_ID}:role/replay`));
      } catch (err) {
        failedInvocations++;
        if (err instanceof FunctionTimeoutError) timedOutInvocations++;
        return { retryFrom: 0, error: String(err) };
      } finally {
        running--;
      }
      const failures = (s.mapping.reportBatchItemFailures && response?.batchItemFailures) || [];
      const now = Date.now();
      // Records before the checkpoint were stored; so were later ones the handler did not report.
      const reported = new Set(failures.map((f) => f.itemIdentifier));
      for (const r of batch) {
        const seq = r.record.SequenceNumber!;
        if (reported.has(seq)) continue;
        if (writtenAt.has(seq)) rewrites++;
        else writtenAt.set(seq, now);
      }
      return { retryFrom: checkpoint(batch, failures) };
    };

    const hooks: StreamBatchHooks = {
      invoke: invokeOnce,
      async deadLetter(batch, attempts, condition, error) {
        await sendOnFailureRecord(sqsApi, dlqUrl, batch, { functionName: s.fn.functionName, streamArn, condition, attempts, error });
        dlqRecords += batch.length;
      },
      shouldStop: () => Date.now() > deadline,
    };

    const pollers = iterators.map(({ shardId, iterator }) =>
      pollShard(
        kinesis,
        shardId,
        iterator,
        { batchSize: s.mapping.batchSize, idleMs: pollIntervalMs, shouldStop: hooks.shouldStop, producerDone: () => producerDone },
        (batch) => processStreamBatch(batch, s.mapping, hooks),
      ),
    );

    // ---- The client: send_api.py's requests through the API's integration ----
    const bucket = s.throttling ? new TokenBucket(s.throttling.rate, s.throttling.burst) : undefined;
    // The client sends its API key (x-api-key); API Gateway answers 403 without a valid one, then applies the
    // key's usage plan (rate, burst, daily quota), then the stage's throttling (the ceiling for all clients).
    const apiKey = randomUUID();
    const clientBucket = s.clientPlan ? new TokenBucket(s.clientPlan.rate, s.clientPlan.burst) : undefined;
    let quotaLeft = s.clientPlan?.dailyQuota ?? Infinity;
    const gatewayStatus = (headers: Record<string, string>): number | undefined => {
      if (s.apiKeyRequired && headers["x-api-key"] !== apiKey) return 403;
      if (clientBucket && !clientBucket.take()) return 429;
      if (quotaLeft-- <= 0) return 429;
      if (bucket && !bucket.take()) return 429;
      return undefined;
    };
    if (s.apiKeyRequired) {
      const plan = s.clientPlan ? `usage plan ${s.clientPlan.rate}/s, burst ${s.clientPlan.burst}, ${s.clientPlan.dailyQuota ?? "no"} a day` : "no usage plan";
      notes.push(`requests carry the client's x-api-key (${plan})`);
    }
    const poisoned = new Set<number>();
    for (let i = 0; i < requests; i++) if (random.next() < poisonRate) poisoned.add(i);
    const putRecordUrl = `${kinesalite.endpoint}/`;
    const sendStart = Date.now();
    // The silent window, unless the stream is drained before it starts (then it could change nothing, and is reported so).
    let drainedAtMs: number | undefined;
    let silentFromMs: number | undefined;
    let stopWaiting = (): void => undefined;
    const silence =
      faults && ddbSilenceMs > 0
        ? (async () => {
            await new Promise<void>((resolve) => {
              const timer = setTimeout(resolve, ddbSilenceAtMs);
              stopWaiting = () => {
                clearTimeout(timer);
                resolve();
              };
            });
            if (drainedAtMs !== undefined) return;
            silentFromMs = Date.now() - sendStart;
            await faults.setMode({ kind: "silent" });
            await sleep(ddbSilenceMs);
            await faults.setMode(normalMode);
          })()
        : undefined;
    await mapPool(requests, concurrency, async (i) => {
      const body = seedBody(i, poisoned.has(i) ? POISON_PADDING : "");
      const requestId = randomUUID();
      let status: number;
      const refused = gatewayStatus(s.apiKeyRequired ? { "x-api-key": apiKey } : {});
      if (refused !== undefined) {
        status = refused;
      } else {
        const rendered = renderTemplate(s.template, body, requestId).output;
        // What API Gateway's AWS integration sends: the rendered template as a Kinesis JSON API request.
        const answer = await fetch(putRecordUrl, {
          method: "POST",
          headers: {
            "content-type": "application/x-amz-json-1.1",
            "x-amz-target": "Kinesis_20131202.PutRecord",
            authorization: `AWS4-HMAC-SHA256 Credential=local/20250101/${REGION}/kinesis/aws4_request, SignedHeaders=host, Signature=0`,
            "x-amz-date": "20250101T000000Z",
          },
          body: rendered,
        });
        const text = await answer.text();
        status = selectResponse(s.responses, answer.status, text, requestId).status;
        if (answer.status === 200) {
          const out = JSON.parse(text) as { SequenceNumber: string; ShardId: string };
          const entry = { index: i, shardId: out.ShardId, sequenceNumber: out.SequenceNumber, acceptedAt: Date.now() };
          accepted.push(entry);
          bySequence.set(out.SequenceNumber, entry);
        }
      }
      arrived++;
      if (status < 200 || status >= 300) {
        rejected++;
        rejectedByStatus.set(status, (rejectedByStatus.get(status) ?? 0) + 1);
      }
    });
    const sendMs = Date.now() - sendStart;
    producerDone = true;
    await Promise.all(pollers);
    drainedAtMs = Date.now() - sendStart;
    stopWaiting();
    await silence;
    const samples = recorder.stop();

    // ---- Verify: the table, and the dead-letter queue's batch descriptions ----
    const perIndex = new Map<number, number>();
    let scanned = 0;
    let foreign = 0;
    let startKey: Record<string, never> | undefined;
    do {
      const page = await dynamo.send(new ScanCommand({ TableName: s.tableName, ExclusiveStartKey: startKey }));
      for (const item of page.Items ?? []) {
        scanned++;
        const m = /^Test message (\d+)$/.exec(item.Message?.S ?? "");
        if (!m) {
          foreign++;
          continue;
        }
        const index = Number(m[1]);
        perIndex.set(index, (perIndex.get(index) ?? 0) + 1);
      }
      startKey = page.LastEvaluatedKey as Record<string, never> | undefined;
    } while (startKey);

    const deadIndexes = new Set<number>();
    for (;;) {
      const got = await sqsApi.send(new ReceiveMessageCommand({ QueueUrl: dlqUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 0 }));
      if (!got.Messages?.length) break;
      for (const message of got.Messages) {
        let info: KinesisBatchPointer;
        try {
          info = parseDeadLetter(message.Body);
        } catch {
          continue; // not an on-failure record
        }
        const lo = BigInt(info.startSequenceNumber);
        const hi = BigInt(info.endSequenceNumber);
        for (const a of accepted) {
          const seq = BigInt(a.sequenceNumber);
          if (a.shardId === info.shardId && seq >= lo && seq <= hi) deadIndexes.add(a.index);
        }
      }
    }

    let duplicates = 0;
    let lost = 0;
    let deadOnly = 0;
    for (const a of accepted) {
      const count = perIndex.get(a.index) ?? 0;
      if (count > 1) duplicates += count - 1;
      if (count === 0 && deadIndexes.has(a.index)) deadOnly++;
      if (count === 0 && !deadIndexes.has(a.index)) lost++;
    }
    const poisonAccepted = accepted.filter((a) => poisoned.has(a.index)).length;
    const latencies = [...writtenAt].flatMap(([seq, at]) => {
      const a = bySequence.get(seq);
      return a ? [at - a.acceptedAt] : [];
    });
    const lastWrite = Math.max(0, ...writtenAt.values());
    const durationMs = samples[samples.length - 1].t;

    if (poisonRate > 0) notes.push(`${poisoned.size} poison request(s) (> 400 KB item), ${poisonAccepted} accepted; ${deadOnly} record(s) only in the DLQ`);
    if (faults) {
      const f = faults.stats;
      notes.push(
        `fault proxy: ${f.throttled} of ${f.requests} DynamoDB call(s) throttled as a whole, ${f.silenced} never answered` +
          (ddbSilenceMs > 0 && silentFromMs !== undefined ? ` (silent for ${ddbSilenceMs} ms from ${ddbSilenceAtMs} ms)` : ""),
      );
      if (ddbSilenceMs > 0 && silentFromMs === undefined) {
        notes.push(
          `DynamoDB's silent window (from ${ddbSilenceAtMs} ms) was never reached: the stream was drained after ${drainedAtMs ?? 0} ms; ` +
            "send more --requests or lower --ddb-silence-at to exercise it",
        );
      } else if (ddbSilenceMs > 0 && f.silenced === 0) {
        notes.push(`no DynamoDB call came during the silent window (${ddbSilenceAtMs}..${ddbSilenceAtMs + ddbSilenceMs} ms): it exercised nothing`);
      }
    }
    if (proxy) notes.push(`throttling proxy answered ${proxy.stats.throttledItems} put request(s) of ${proxy.stats.batchWrites} BatchWriteItem call(s) as UnprocessedItems`);
    if (rewrites > 0) notes.push(`${rewrites} idempotent re-write(s) of already stored records by retried batches (same item IDs: no duplicates)`);
    if (rejectedByStatus.size > 0) notes.push(`rejected by status: ${[...rejectedByStatus].map(([k, v]) => `${k}: ${v}`).join(", ")} (the client would retry)`);
    if (foreign > 0) notes.push(`${foreign} item(s) in the table that match no request`);
    if (errorLines() > 0) notes.push(`${errorLines()} error line(s) in the handler's log`);
    if (Date.now() > deadline) notes.push("deadline reached before the stream was drained");

    return {
      stack: stack.id,
      settings: {
        requests,
        concurrency,
        poisonRate,
        throttleRate,
        ddbThrottleRate,
        ddbSilenceMs,
        seed,
        shards: s.shardCount,
        batchSize: s.mapping.batchSize,
        bisect: s.mapping.bisect,
        maxRetries: s.mapping.maxRetries,
        functionTimeoutS: s.fn.timeoutMs / 1000,
      },
      sent: requests,
      accepted: accepted.length,
      rejected,
      delivered: [...perIndex.keys()].length,
      duplicates,
      deadLettered: deadIndexes.size,
      lost,
      invocations,
      failedInvocations,
      timedOutInvocations,
      maxConcurrency: maxRunning,
      concurrencyLimit: s.shardCount,
      durationMs,
      acceptRate: accepted.length / Math.max(0.001, sendMs / 1000),
      throughput: writtenAt.size / Math.max(0.001, (lastWrite - sendStart) / 1000),
      latency: latencyOf(latencies),
      notes: [...notes, `table scanned: ${scanned} item(s)`],
      samples,
    };
  } finally {
    for (const undo of restore.reverse()) undo();
    await Promise.all(engines.map((e) => e.stop()));
  }
}
