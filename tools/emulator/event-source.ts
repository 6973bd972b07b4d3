/**
 * Lambda's event source mappings, played against the local engines: the one
 * implementation the replays and `npm run local` (tools/local/mappings.ts)
 * drive, each with its own counters and log lines through the hooks.
 * - a Kinesis stream: one poller per shard; batches of `batch_size`,
 *   ReportBatchItemFailures checkpoints, bisect on error, `maximum_retry_attempts`,
 *   `maximum_record_age_in_seconds`, and the batch description sent to the
 *   on-failure destination (an SQS queue), as Lambda does;
 * - an SQS queue: batches of up to `batch_size` (the queue's visibility timeout
 *   applies), messages not reported as failures deleted; failed ones come back
 *   after the visibility timeout and local-aws-sqs moves them to the DLQ after
 *   `maxReceiveCount` receives (the queue's redrive policy).
 */
import { randomUUID } from "node:crypto";
import { GetRecordsCommand, type KinesisClient, type _Record as KinesisRecord } from "@aws-sdk/client-kinesis";
import { DeleteMessageCommand, GetQueueAttributesCommand, type Message, ReceiveMessageCommand, SendMessageCommand, type SQSClient } from "@aws-sdk/client-sqs";
import type { KinesisStreamEvent, SQSBatchResponse, SQSEvent } from "aws-lambda";
import { type Block, evaluate, numberSetting, type SynthesizedStack } from "./synth";
import { sleep } from "./util";

/** `arn:aws:<service>:<region>:<account>:...` -> region and account: the events carry the source's. */
function arnParts(arn: string): { region: string; account: string } {
  const [, , , region = "", account = ""] = arn.split(":");
  return { region, account };
}

const reportsBatchItemFailures = (mapping: Block): boolean =>
  ((mapping.function_response_types as string[] | undefined) ?? []).includes("ReportBatchItemFailures");

// ---- Kinesis ----

export interface StreamMappingSettings {
  readonly batchSize: number;
  readonly bisect: boolean;
  /** -1: retry until the records expire. */
  readonly maxRetries: number;
  /** -1: no age limit. */
  readonly maxRecordAgeS: number;
  readonly reportBatchItemFailures: boolean;
}

export function readStreamMapping(stack: SynthesizedStack, mapping: Block): StreamMappingSettings {
  return {
    batchSize: numberSetting(stack, mapping.batch_size, "batch_size") ?? 100,
    bisect: mapping.bisect_batch_on_function_error === true,
    maxRetries: numberSetting(stack, mapping.maximum_retry_attempts, "maximum_retry_attempts") ?? -1,
    maxRecordAgeS: numberSetting(stack, mapping.maximum_record_age_in_seconds, "maximum_record_age_in_seconds") ?? -1,
    reportBatchItemFailures: reportsBatchItemFailures(mapping),
  };
}

export interface ShardRecord {
  readonly shardId: string;
  readonly record: KinesisRecord;
}

/** The event the mapping hands the function; `data` may rewrite a record's bytes (the local poison fault). */
export function kinesisEvent(
  batch: readonly ShardRecord[],
  streamArn: string,
  /** The role the mapping reads the stream with. */
  invokeIdentityArn: string,
  data: (record: KinesisRecord) => Buffer = (record) => Buffer.from(record.Data ?? new Uint8Array()),
): KinesisStreamEvent {
  return {
    Records: batch.map(({ shardId, record }) => ({
      kinesis: {
        kinesisSchemaVersion: "1.0",
        partitionKey: record.PartitionKey ?? "",
        sequenceNumber: record.SequenceNumber!,
        data: data(record).toString("base64"),
        approximateArrivalTimestamp: (record.ApproximateArrivalTimestamp?.getTime() ?? Date.now()) / 1000,
      },
      eventSource: "aws:kinesis",
      eventVersion: "1.0",
      eventID: `${shardId}:${record.SequenceNumber!}`,
      eventName: "aws:kinesis:record",
      invokeIdentityArn,
      awsRegion: arnParts(streamArn).region,
      eventSourceARN: streamArn,
    })),
  };
}

/**
 * The index of the first record to retry after the function reported `failures`
 * (ReportBatchItemFailures), or -1 when it reported none. An identifier that is
 * not in the batch (or empty) fails the whole batch, as Lambda treats it.
 */
export function checkpoint(batch: readonly ShardRecord[], failures: readonly { itemIdentifier: string }[]): number {
  if (failures.length === 0) return -1;
  const failed = new Set(failures.map((f) => f.itemIdentifier));
  const retryFrom = batch.findIndex((r) => failed.has(r.record.SequenceNumber!));
  return retryFrom < 0 || failures.some((f) => !f.itemIdentifier) ? 0 : retryFrom;
}

/** Sends the on-failure record Lambda sends for a stream batch: where to read it again, not the data. */
export async function sendOnFailureRecord(
  sqs: SQSClient,
  queueUrl: string,
  batch: readonly ShardRecord[],
  failure: { readonly functionName: string; readonly streamArn: string; readonly condition: string; readonly attempts: number; readonly error?: string },
): Promise<void> {
  const first = batch[0].record;
  const last = batch[batch.length - 1].record;
  const { region, account } = arnParts(failure.streamArn);
  await sqs.send(
    new SendMessageCommand({
      QueueUrl: queueUrl,
      MessageBody: JSON.stringify({
        requestContext: {
          requestId: randomUUID(),
          functionArn: `arn:aws:lambda:${region}:${account}:function:${failure.functionName}`,
          condition: failure.condition,
          approximateInvokeCount: failure.attempts,
        },
        responseContext: { statusCode: 200, executedVersion: "$LATEST", functionError: failure.error ? "Unhandled" : undefined },
        version: "1.0",
        timestamp: new Date().toISOString(),
        KinesisBatchInfo: {
          shardId: batch[0].shardId,
          startSequenceNumber: first.SequenceNumber,
          endSequenceNumber: last.SequenceNumber,
          approximateArrivalOfFirstRecord: first.ApproximateArrivalTimestamp?.toISOString(),
          approximateArrivalOfLastRecord: last.ApproximateArrivalTimestamp?.toISOString(),
          batchSize: batch.length,
          streamArn: failure.streamArn,
        },
      }),
    }),
  );
}

export interface StreamBatchHooks {
  /** Invokes the function once: the index of the first record to retry (see `checkpoint`), or -1 when all succeeded. */
  invoke(batch: readonly ShardRecord[]): Promise<{ retryFrom: number; error?: string }>;
  /** The batch goes to the on-failure destination (`condition`: RecordAgeExceeded or RetryAttemptsExhausted). */
  deadLetter(batch: readonly ShardRecord[], attempts: number, condition: string, error?: string): Promise<void>;
  /** Checked between retries: the run is over. */
  shouldStop(): boolean;
}

/**
 * One batch to completion, as the mapping does: a failure resumes from the
 * lowest reported record (records before it are checkpointed); with bisect,
 * a failed batch of several records is split in two, which does not use up
 * retries; a batch that failed maximum_retry_attempts retries (or grew older
 * than maximum_record_age_in_seconds) goes to the on-failure destination and
 * the shard moves on.
 */
export async function processStreamBatch(initial: readonly ShardRecord[], settings: StreamMappingSettings, hooks: StreamBatchHooks): Promise<void> {
  const work: ShardRecord[][] = [[...initial]];
  while (work.length > 0) {
    let batch = work.shift()!;
    let attempts = 0;
    for (;;) {
      if (settings.maxRecordAgeS >= 0) {
        const oldest = batch[0].record.ApproximateArrivalTimestamp?.getTime() ?? Date.now();
        if (Date.now() - oldest > settings.maxRecordAgeS * 1000) {
          await hooks.deadLetter(batch, attempts, "RecordAgeExceeded");
          break;
        }
      }
      attempts++;
      const { retryFrom, error } = await hooks.invoke(batch);
      if (retryFrom < 0) break;
      batch = batch.slice(retryFrom);
      if (settings.bisect && batch.length > 1) {
        const half = Math.ceil(batch.length / 2);
        work.unshift(batch.slice(0, half), batch.slice(half));
        break;
      }
      if (settings.maxRetries >= 0 && attempts > settings.maxRetries) {
        await hooks.deadLetter(batch, attempts, "RetryAttemptsExhausted", error);
        break;
      }
      if (hooks.shouldStop()) return;
    }
  }
}

export interface ShardPollOptions {
  readonly batchSize: number;
  /** Milliseconds between GetRecords calls on an idle shard. */
  readonly idleMs: number;
  shouldStop(): boolean;
  /** The producer is done: once true before a read that finds nothing, the shard is drained and the poller ends. */
  producerDone?(): boolean;
}

/** Reads one shard from `iterator` and hands its records on in batches of `batchSize`, one batch at a time. */
export async function pollShard(
  kinesis: KinesisClient,
  shardId: string,
  iterator: string | undefined,
  options: ShardPollOptions,
  process: (batch: ShardRecord[]) => Promise<void>,
): Promise<void> {
  const buffer: ShardRecord[] = [];
  while (!options.shouldStop()) {
    if (buffer.length < options.batchSize && iterator) {
      const wasDone = options.producerDone?.() ?? false;
      const out = await kinesis.send(new GetRecordsCommand({ ShardIterator: iterator, Limit: 10_000 }));
      iterator = out.NextShardIterator;
      for (const record of out.Records ?? []) buffer.push({ shardId, record });
      if (buffer.length === 0 && wasDone) return;
    }
    if (buffer.length === 0) {
      if (!iterator) return; // the shard is closed
      await sleep(options.idleMs);
      continue;
    }
    await process(buffer.splice(0, options.batchSize));
  }
}

// ---- SQS ----

export interface QueueMappingSettings {
  readonly batchSize: number;
  /** The function's `reserved_concurrent_executions`. */
  readonly reserved?: number;
  /** The mapping's `scaling_config.maximum_concurrency`. */
  readonly maximumConcurrency?: number;
  /** Concurrent consumers: the lower of the two limits, 5 (Lambda's initial SQS pollers) without one. */
  readonly consumers: number;
  readonly reportBatchItemFailures: boolean;
}

/**
 * The mapping's `scaling_config.maximum_concurrency`: a plain block, or a
 * `dynamic` one that a variable switches on (`dynamic`: true, nothing to set
 * on the block itself). `vars` set Terraform variables as a tfvars file would.
 */
export function maximumConcurrencyOf(stack: SynthesizedStack, mapping: Block, vars: Record<string, number> = {}): { value?: number; dynamic: boolean } {
  const dynamic = ((mapping.dynamic as Block | undefined)?.scaling_config as Block | undefined)?.for_each;
  if (typeof dynamic === "string") {
    const values = evaluate(stack, dynamic, { vars }) as number[];
    return { value: values.length > 0 ? values[0] : undefined, dynamic: true };
  }
  const scaling = mapping.scaling_config as Block | Block[] | undefined;
  const block = Array.isArray(scaling) ? scaling[0] : scaling;
  return { value: block ? numberSetting(stack, block.maximum_concurrency, "maximum_concurrency", { vars }) : undefined, dynamic: false };
}

/** The mapping's settings and its function's concurrency limit; `vars` set Terraform variables as a tfvars file would. */
export function readQueueMapping(stack: SynthesizedStack, mapping: Block, fn: Block, vars: Record<string, number> = {}): QueueMappingSettings {
  const maximumConcurrency = maximumConcurrencyOf(stack, mapping, vars).value;
  const reservedRaw = fn.reserved_concurrent_executions;
  const reserved = numberSetting(stack, reservedRaw, "reserved_concurrent_executions", { vars });
  const limits = [reserved, maximumConcurrency].filter((n): n is number => n !== undefined);
  return {
    batchSize: numberSetting(stack, mapping.batch_size, "batch_size") ?? 10,
    reserved,
    maximumConcurrency,
    consumers: limits.length > 0 ? Math.min(...limits) : 5,
    reportBatchItemFailures: reportsBatchItemFailures(mapping),
  };
}

export function sqsEvent(messages: readonly Message[], queueArn: string, senderId: string): SQSEvent {
  return {
    Records: messages.map((m) => ({
      messageId: m.MessageId!,
      receiptHandle: m.ReceiptHandle!,
      body: m.Body ?? "",
      attributes: {
        ApproximateReceiveCount: m.Attributes?.ApproximateReceiveCount ?? "1",
        SentTimestamp: m.Attributes?.SentTimestamp ?? String(Date.now()),
        SenderId: m.Attributes?.SenderId ?? senderId,
        ApproximateFirstReceiveTimestamp: m.Attributes?.ApproximateFirstReceiveTimestamp ?? String(Date.now()),
      },
      messageAttributes: {},
      md5OfBody: m.MD5OfBody ?? "",
      eventSource: "aws:sqs",
      eventSourceARN: queueArn,
      awsRegion: arnParts(queueArn).region,
    })),
  };
}

/** Messages visible and in flight (received, not yet deleted or back). */
export async function queueDepth(client: SQSClient, queueUrl: string): Promise<{ visible: number; inFlight: number }> {
  const a =
    (await client.send(new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"] })))
      .Attributes ?? {};
  return { visible: Number(a.ApproximateNumberOfMessages ?? 0), inFlight: Number(a.ApproximateNumberOfMessagesNotVisible ?? 0) };
}

export interface QueueConsumer {
  readonly client: SQSClient;
  readonly queueUrl: string;
  readonly queueArn: string;
  readonly settings: Pick<QueueMappingSettings, "batchSize" | "reportBatchItemFailures">;
  /** `SenderId` of a message that carries none. */
  readonly senderId: string;
  /** Milliseconds between receives on an empty queue. */
  readonly idleMs: number;
  invoke(event: SQSEvent): Promise<SQSBatchResponse | void>;
  shouldStop(): boolean;
  /** The producer is done: once true before a receive that finds nothing, and the queue holds nothing visible or in flight, the consumer ends. */
  producerDone?(): boolean;
  /** After each batch: how many messages were deleted, or the invocation's error (the batch comes back after the visibility timeout). */
  onBatch?(messages: readonly Message[], outcome: { readonly deleted: number } | { readonly error: unknown }): void;
}

/** One poller of the mapping: receive, invoke, delete what was not reported as failed. */
export async function consumeQueue(c: QueueConsumer): Promise<void> {
  while (!c.shouldStop()) {
    const wasDone = c.producerDone?.() ?? false;
    // Short polls: local-aws-sqs's long poll waits out WaitTimeSeconds even when messages are there.
    const got = await c.client.send(
      new ReceiveMessageCommand({ QueueUrl: c.queueUrl, MaxNumberOfMessages: Math.min(10, c.settings.batchSize), WaitTimeSeconds: 0, AttributeNames: ["All"] }),
    );
    const messages = got.Messages ?? [];
    if (messages.length === 0) {
      if (wasDone) {
        const q = await queueDepth(c.client, c.queueUrl);
        if (q.visible + q.inFlight === 0) return;
      }
      await sleep(c.idleMs);
      continue;
    }
    let failed: Set<string>;
    try {
      const response = await c.invoke(sqsEvent(messages, c.queueArn, c.senderId));
      failed = new Set(c.settings.reportBatchItemFailures ? (response?.batchItemFailures ?? []).map((f) => f.itemIdentifier) : []);
    } catch (error) {
      c.onBatch?.(messages, { error });
      continue;
    }
    const done = messages.filter((m) => !failed.has(m.MessageId!));
    await Promise.all(done.map((m) => c.client.send(new DeleteMessageCommand({ QueueUrl: c.queueUrl, ReceiptHandle: m.ReceiptHandle! }))));
    c.onBatch?.(messages, { deleted: done.length });
  }
}
