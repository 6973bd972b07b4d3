/**
 * The steps of the kinesis-ingest replay (./kinesis-ingest.ts), each on the local engines:
 * the stack's resources and handler (`startLocalIngest`), the event source mapping
 * (`startConsumer`), the client through the API's integration (`sendRequests`), DynamoDB's
 * silent window (`silentWindow`) and the check of what was stored (`verify`). What they
 * share while they run is one `IngestState`.
 */
import { randomUUID } from "node:crypto";
import { type DynamoDBClient, ScanCommand } from "@aws-sdk/client-dynamodb";
import { GetShardIteratorCommand, type KinesisClient, ListShardsCommand } from "@aws-sdk/client-kinesis";
import { CreateQueueCommand, GetQueueAttributesCommand, ReceiveMessageCommand, type SQSClient } from "@aws-sdk/client-sqs";
import type { KinesisStreamBatchResponse, KinesisStreamEvent } from "aws-lambda";
import { type KinesisBatchPointer, parseDeadLetter } from "../redrive/kinesis-dead-letters";
import { renderTemplate, selectResponse, TokenBucket } from "../emulator/apigateway";
import { ACCOUNT_ID, awsEnv, dynamoClient, type Engine, kinesisClient, type ProxyStats, REGION, setProcessEnv, sqsClient, startEngines, startThrottlingProxy } from "../emulator/engines";
import { checkpoint, kinesisEvent, pollShard, processStreamBatch, sendOnFailureRecord, type ShardRecord, type StreamBatchHooks } from "../emulator/event-source";
import { startFaultProxy, type FaultMode, type FaultProxy } from "../emulator/fault-proxy";
import { FunctionTimeoutError, type Handler, handlerSandbox, invoke, loadHandler } from "../emulator/handler";
import { Random } from "../emulator/random";
import { createStream, createTable } from "../emulator/resources";
import { functionCode, type SynthesizedStack } from "../emulator/synth";
import { mapPool, resolveEnvironment, sleep } from "../emulator/util";
import type { IngestSettings } from "./kinesis-ingest-settings";

/** The replay's options with their defaults (./kinesis-ingest.ts documents each). */
export interface IngestRun {
  readonly requests: number;
  readonly concurrency: number;
  readonly poisonRate: number;
  readonly throttleRate: number;
  readonly ddbThrottleRate: number;
  readonly ddbSilenceMs: number;
  readonly ddbSilenceAtMs: number;
  readonly pollIntervalMs: number;
  readonly seed: number;
  /** Give up (and count the rest as lost) this long after the mapping starts. */
  readonly deadlineMs: number;
  readonly log?: (level: string, line: string) => void;
}

export interface Accepted {
  readonly index: number;
  readonly shardId: string;
  readonly sequenceNumber: string;
  readonly acceptedAt: number;
}

/** What the steps count while they run. */
export class IngestState {
  readonly accepted: Accepted[] = [];
  readonly bySequence = new Map<string, Accepted>();
  /** When each record was stored, by sequence number. */
  readonly writtenAt = new Map<string, number>();
  readonly rejectedByStatus = new Map<number, number>();
  arrived = 0;
  rejected = 0;
  rewrites = 0;
  dlqRecords = 0;
  invocations = 0;
  failedInvocations = 0;
  timedOutInvocations = 0;
  running = 0;
  maxRunning = 0;
  producerDone = false;
  /** When the run gives up (set as the mapping starts). */
  deadline = Infinity;
}

/** The stack on the local engines: its stream, table and on-failure queue, named as the stack names them, and its bundled handler. */
export interface LocalIngest {
  readonly kinesis: KinesisClient;
  readonly dynamo: DynamoDBClient;
  readonly sqs: SQSClient;
  readonly putRecordUrl: string;
  readonly streamArn: string;
  readonly dlqUrl: string;
  readonly handler: Handler<KinesisStreamEvent, KinesisStreamBatchResponse | void>;
  /** In front of DynamoDB: part of each BatchWriteItem answered as UnprocessedItems (`throttleRate`). */
  readonly proxy?: Engine & { readonly stats: ProxyStats };
  /** In front of that: whole calls throttled or never answered (`ddbThrottleRate`, `ddbSilenceMs`). */
  readonly faults?: FaultProxy;
  /** The fault proxy's mode outside the silent window. */
  readonly normalMode: FaultMode;
  readonly errorLines: () => number;
}

export async function startLocalIngest(stack: SynthesizedStack, s: IngestSettings, run: IngestRun, engines: Engine[], restore: (() => void)[]): Promise<LocalIngest> {
  const { kinesis: kinesalite, dynamodb: dynalite, sqs } = await startEngines(["kinesis", "dynamodb", "sqs"], engines);
  const proxy = run.throttleRate > 0 ? await startThrottlingProxy(dynalite, run.throttleRate, new Random(run.seed + 1)) : undefined;
  if (proxy) engines.push(proxy);
  // Downstream faults of whole calls, in front of everything else: throttling of a share, then a silent period.
  const normalMode: FaultMode = run.ddbThrottleRate > 0 ? { kind: "throttle-share", share: run.ddbThrottleRate } : { kind: "pass" };
  const faults = run.ddbThrottleRate > 0 || run.ddbSilenceMs > 0 ? await startFaultProxy(proxy ?? dynalite, normalMode) : undefined;
  if (faults) engines.push(faults);

  const kinesis = kinesisClient(kinesalite);
  const dynamo = dynamoClient(dynalite);
  const sqsApi = sqsClient(sqs);
  await createStream(kinesis, s.streamName, s.shardCount);
  const streamArn = `arn:aws:kinesis:${REGION}:${ACCOUNT_ID}:stream/${s.streamName}`;
  await createTable(dynamo, s.table);
  const dlqName = s.dlqName ?? "replay-on-failure";
  const dlqUrl = (await sqsApi.send(new CreateQueueCommand({ QueueName: dlqName }))).QueueUrl!;
  const dlqArn = (await sqsApi.send(new GetQueueAttributesCommand({ QueueUrl: dlqUrl, AttributeNames: ["QueueArn"] }))).Attributes!.QueueArn!;

  // The function's environment pointed at the local resources.
  const fnEnv = resolveEnvironment(stack, s.fnBlock, {
    aws_dynamodb_table: (block) => ({ name: String(block.name), arn: `arn:aws:dynamodb:${REGION}:${ACCOUNT_ID}:table/${String(block.name)}` }),
    aws_kinesis_stream: () => ({ name: s.streamName, arn: streamArn }),
    aws_sqs_queue: () => ({ url: dlqUrl, id: dlqUrl, arn: dlqArn, name: dlqName }),
  });
  restore.push(setProcessEnv({ ...awsEnv({ dynamodb: faults ?? proxy ?? dynalite, kinesis: kinesalite, sqs }), ...fnEnv }));
  const { scratch, errorLines } = handlerSandbox("replay-kinesis-", run.log, restore);
  const handler = loadHandler<KinesisStreamEvent, KinesisStreamBatchResponse | void>(functionCode(stack, s.fnBlock).file, scratch, "kinesis");
  return { kinesis, dynamo, sqs: sqsApi, putRecordUrl: `${kinesalite.endpoint}/`, streamArn, dlqUrl, handler, proxy, faults, normalMode, errorLines };
}

/** The event source mapping: one poller per shard, from LATEST taken before the first request (every record sent is read). */
export async function startConsumer(local: LocalIngest, s: IngestSettings, state: IngestState, run: IngestRun): Promise<Promise<void>[]> {
  state.deadline = Date.now() + run.deadlineMs;
  const shards = (await local.kinesis.send(new ListShardsCommand({ StreamName: s.streamName }))).Shards ?? [];
  const iterators = await Promise.all(
    shards.map(async (shard) => ({
      shardId: shard.ShardId!,
      iterator: (await local.kinesis.send(new GetShardIteratorCommand({ StreamName: s.streamName, ShardId: shard.ShardId!, ShardIteratorType: "LATEST" }))).ShardIterator,
    })),
  );

  /** Invokes once; returns the index of the first record to retry, or -1 when all succeeded. */
  const invokeOnce = async (batch: readonly ShardRecord[]): Promise<{ retryFrom: number; error?: string }> => {
    state.invocations++;
    state.running++;
    state.maxRunning = Math.max(state.maxRunning, state.running);
    let response: KinesisStreamBatchResponse | void;
    try {
      response = await invoke(local.handler, s.fn, kinesisEvent(batch, local.streamArn, `arn:aws:iam::${ACCOUNT_ID}:role/replay`));
    } catch (err) {
      state.failedInvocations++;
      if (err instanceof FunctionTimeoutError) state.timedOutInvocations++;
      return { retryFrom: 0, error: String(err) };
    } finally {
      state.running--;
    }
    const failures = (s.mapping.reportBatchItemFailures && response?.batchItemFailures) || [];
    const now = Date.now();
    // Records before the checkpoint were stored; so were later ones the handler did not report.
    const reported = new Set(failures.map((f) => f.itemIdentifier));
    for (const r of batch) {
      const seq = r.record.SequenceNumber!;
      if (reported.has(seq)) continue;
      if (state.writtenAt.has(seq)) state.rewrites++;
      else state.writtenAt.set(seq, now);
    }
    return { retryFrom: checkpoint(batch, failures) };
  };

  const hooks: StreamBatchHooks = {
    invoke: invokeOnce,
    async deadLetter(batch, attempts, condition, error) {
      await sendOnFailureRecord(local.sqs, local.dlqUrl, batch, { functionName: s.fn.functionName, streamArn: local.streamArn, condition, attempts, error });
      state.dlqRecords += batch.length;
    },
    shouldStop: () => Date.now() > state.deadline,
  };
  return iterators.map(({ shardId, iterator }) =>
    pollShard(
      local.kinesis,
      shardId,
      iterator,
      { batchSize: s.mapping.batchSize, idleMs: run.pollIntervalMs, shouldStop: hooks.shouldStop, producerDone: () => state.producerDone },
      (batch) => processStreamBatch(batch, s.mapping, hooks),
    ),
  );
}

/**
 * API Gateway in front of the stream for one client: its API key (403 without a valid one),
 * then the key's usage plan (rate, burst, daily quota), then the stage's throttling (the
 * ceiling for all clients). The status it refuses a request with, or undefined.
 */
function gateway(s: IngestSettings, notes: string[]): { readonly headers: Record<string, string>; refuse(headers: Record<string, string>): number | undefined } {
  const bucket = s.throttling ? new TokenBucket(s.throttling.rate, s.throttling.burst) : undefined;
  const apiKey = randomUUID();
  const clientBucket = s.clientPlan ? new TokenBucket(s.clientPlan.rate, s.clientPlan.burst) : undefined;
  let quotaLeft = s.clientPlan?.dailyQuota ?? Infinity;
  if (s.apiKeyRequired) {
    const plan = s.clientPlan ? `usage plan ${s.clientPlan.rate}/s, burst ${s.clientPlan.burst}, ${s.clientPlan.dailyQuota ?? "no"} a day` : "no usage plan";
    notes.push(`requests carry the client's x-api-key (${plan})`);
  }
  return {
    headers: s.apiKeyRequired ? { "x-api-key": apiKey } : {},
    refuse(headers) {
      if (s.apiKeyRequired && headers["x-api-key"] !== apiKey) return 403;
      if (clientBucket && !clientBucket.take()) return 429;
      if (quotaLeft-- <= 0) return 429;
      if (bucket && !bucket.take()) return 429;
      return undefined;
    },
  };
}

/** The seed's send_api.py requests through the API's integration (request template -> PutRecord -> integration response). */
export async function sendRequests(local: LocalIngest, s: IngestSettings, state: IngestState, run: IngestRun, body: (i: number) => string, notes: string[]): Promise<void> {
  const api = gateway(s, notes);
  await mapPool(run.requests, run.concurrency, async (i) => {
    const requestId = randomUUID();
    let status = api.refuse(api.headers);
    if (status === undefined) {
      // What API Gateway's AWS integration sends: the rendered template as a Kinesis JSON API request.
      const answer = await fetch(local.putRecordUrl, {
        method: "POST",
        headers: {
          "content-type": "application/x-amz-json-1.1",
          "x-amz-target": "Kinesis_20131202.PutRecord",
          authorization: `AWS4-HMAC-SHA256 Credential=local/20250101/${REGION}/kinesis/aws4_request, SignedHeaders=host, Signature=0`,
          "x-amz-date": "20250101T000000Z",
        },
        body: renderTemplate(s.template, body(i), requestId).output,
      });
      const text = await answer.text();
      status = selectResponse(s.responses, answer.status, text, requestId).status;
      if (answer.status === 200) {
        const out = JSON.parse(text) as { SequenceNumber: string; ShardId: string };
        const entry = { index: i, shardId: out.ShardId, sequenceNumber: out.SequenceNumber, acceptedAt: Date.now() };
        state.accepted.push(entry);
        state.bySequence.set(out.SequenceNumber, entry);
      }
    }
    state.arrived++;
    if (status < 200 || status >= 300) {
      state.rejected++;
      state.rejectedByStatus.set(status, (state.rejectedByStatus.get(status) ?? 0) + 1);
    }
  });
}

export interface SilentWindow {
  /** Once the stream is drained: a window not started yet never starts (it could change nothing); waits for one under way. */
  end(drainedAtMs: number): Promise<void>;
  /** When the window started, in ms after the first request (undefined: it never did). */
  readonly startedAtMs: () => number | undefined;
}

/** DynamoDB accepting connections and never answering, for `ddbSilenceMs` from `ddbSilenceAtMs` after `sendStart`. */
export function silentWindow(local: LocalIngest, run: IngestRun, sendStart: number): SilentWindow {
  let drained = false;
  let startedAtMs: number | undefined;
  let stopWaiting = (): void => undefined;
  const faults = local.faults;
  const window =
    faults && run.ddbSilenceMs > 0
      ? (async () => {
          await new Promise<void>((resolve) => {
            const timer = setTimeout(resolve, run.ddbSilenceAtMs);
            stopWaiting = () => {
              clearTimeout(timer);
              resolve();
            };
          });
          if (drained) return;
          startedAtMs = Date.now() - sendStart;
          await faults.setMode({ kind: "silent" });
          await sleep(run.ddbSilenceMs);
          await faults.setMode(local.normalMode);
        })()
      : undefined;
  return {
    async end() {
      drained = true;
      stopWaiting();
      await window;
    },
    startedAtMs: () => startedAtMs,
  };
}

export interface Verified {
  /** Items stored per request index. */
  readonly perIndex: Map<number, number>;
  readonly scanned: number;
  /** Items that match no request. */
  readonly foreign: number;
  /** Request indexes whose record a dead-letter batch description covers. */
  readonly deadIndexes: Set<number>;
}

/** What was stored: the table scanned, and the dead-letter queue's batch descriptions mapped back to requests. */
export async function verify(local: LocalIngest, s: IngestSettings, accepted: readonly Accepted[]): Promise<Verified> {
  const perIndex = new Map<number, number>();
  let scanned = 0;
  let foreign = 0;
  let startKey: Record<string, never> | undefined;
  do {
    const page = await local.dynamo.send(new ScanCommand({ TableName: s.tableName, ExclusiveStartKey: startKey }));
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
    const got = await local.sqs.send(new ReceiveMessageCommand({ QueueUrl: local.dlqUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 0 }));
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
  return { perIndex, scanned, foreign, deadIndexes };
}
