/**
 * The stack's `aws_lambda_event_source_mapping`s, played against the local
 * engines until stopped:
 * - a Kinesis stream: one poller per shard; batches of `batch_size`,
 *   ReportBatchItemFailures checkpoints, bisect on error, `maximum_retry_attempts`,
 *   `maximum_record_age_in_seconds`, and the batch description sent to the
 *   on-failure destination (an SQS queue), as Lambda does;
 * - an SQS queue: as many consumers as the function's concurrency limit
 *   (reserved concurrency, the mapping's maximum concurrency), batches of up to
 *   `batch_size`, messages not reported as failures deleted; failed ones come
 *   back after the queue's visibility timeout and local-aws-sqs moves them to
 *   the DLQ after `maxReceiveCount` receives (the queue's redrive policy).
 */
import { randomUUID } from "node:crypto";
import { GetRecordsCommand, GetShardIteratorCommand, ListShardsCommand, type _Record as KinesisRecord } from "@aws-sdk/client-kinesis";
import { DeleteMessageCommand, type Message, ReceiveMessageCommand, SendMessageCommand } from "@aws-sdk/client-sqs";
import type { KinesisStreamBatchResponse, KinesisStreamEvent, SQSBatchResponse, SQSEvent } from "aws-lambda";
import { ACCOUNT_ID, kinesisClient, REGION, sqsClient } from "../replay/engines";
import { Random } from "../replay/random";
import { readSettings as readWebhookSettings } from "../replay/webhook-proxy";
import { type Block, numberSetting, referenceOf, resource, resources } from "../replay/synth";
import { sleep } from "../replay/util";
import type { LocalFunction, LocalRuntime } from "./runtime";

export interface Mapping {
  /** One line for the start banner. */
  readonly description: string;
  stop(): Promise<void>;
}

export interface MappingFaults {
  /** Share of stream records handed to the consumer padded past DynamoDB's 400 KB item limit. */
  readonly poisonRate?: number;
}

interface ShardRecord {
  readonly shardId: string;
  readonly record: KinesisRecord;
}

/**
 * Poison is decided once per record, when it is first handed on, by a seeded
 * generator (the same run poisons the same records), and remembered so that
 * retries and bisected halves see the same poison.
 */
function poisonChooser(rate: number): (sequenceNumber: string) => boolean {
  const random = new Random(1);
  const decided = new Map<string, boolean>();
  return (sequenceNumber) => {
    if (rate <= 0) return false;
    let poison = decided.get(sequenceNumber);
    if (poison === undefined) decided.set(sequenceNumber, (poison = random.next() < rate));
    return poison;
  };
}
const POISON_PADDING = " " + "x".repeat(410 * 1024);

function streamMapping(runtime: LocalRuntime, mapping: Block, fn: LocalFunction, log: (line: string) => void, faults: MappingFaults): Mapping {
  const { stack } = runtime;
  const streamRef = referenceOf(mapping.event_source_arn)!;
  const streamName = String(resource(stack, "aws_kinesis_stream", streamRef.name).name);
  const streamArn = runtime.resolvers.aws_kinesis_stream(resource(stack, "aws_kinesis_stream", streamRef.name), streamRef.name).arn;
  const batchSize = numberSetting(stack, mapping.batch_size, "batch_size") ?? 100;
  const bisect = mapping.bisect_batch_on_function_error === true;
  const maxRetries = numberSetting(stack, mapping.maximum_retry_attempts, "maximum_retry_attempts") ?? -1;
  const maxRecordAgeS = numberSetting(stack, mapping.maximum_record_age_in_seconds, "maximum_record_age_in_seconds") ?? -1;
  const reportFailures = ((mapping.function_response_types as string[] | undefined) ?? []).includes("ReportBatchItemFailures");
  const dlqRef = referenceOf(((mapping.destination_config as Block | undefined)?.on_failure as Block | undefined)?.destination_arn);
  const dlqUrl = dlqRef?.type === "aws_sqs_queue" ? runtime.queueUrls.get(dlqRef.name) : undefined;
  const kinesis = kinesisClient(runtime.engines.kinesis!);
  const sqs = runtime.engines.sqs ? sqsClient(runtime.engines.sqs) : undefined;
  const isPoison = poisonChooser(faults.poisonRate ?? 0);
  let stopping = false;

  const toEvent = (batch: readonly ShardRecord[]): KinesisStreamEvent => ({
    Records: batch.map(({ shardId, record }) => {
      let data = Buffer.from(record.Data ?? new Uint8Array());
      if (isPoison(record.SequenceNumber!)) data = Buffer.concat([data, Buffer.from(POISON_PADDING)]);
      return {
        kinesis: {
          kinesisSchemaVersion: "1.0",
          partitionKey: record.PartitionKey ?? "",
          sequenceNumber: record.SequenceNumber!,
          data: data.toString("base64"),
          approximateArrivalTimestamp: (record.ApproximateArrivalTimestamp?.getTime() ?? Date.now()) / 1000,
        },
        eventSource: "aws:kinesis",
        eventVersion: "1.0",
        eventID: `${shardId}:${record.SequenceNumber!}`,
        eventName: "aws:kinesis:record",
        invokeIdentityArn: `arn:aws:iam::${ACCOUNT_ID}:role/local`,
        awsRegion: REGION,
        eventSourceARN: streamArn,
      };
    }),
  });

  /** Invokes once; the index of the first record to retry, or -1 when all succeeded. */
  const invokeOnce = async (batch: readonly ShardRecord[]): Promise<{ retryFrom: number; error?: string }> => {
    let response: KinesisStreamBatchResponse | void;
    try {
      response = await fn.invoke<KinesisStreamBatchResponse | void>(toEvent(batch));
    } catch (err) {
      log(`  stream ${streamName}: ${fn.settings.functionName} failed on ${batch.length} record(s): ${String(err)}`);
      return { retryFrom: 0, error: String(err) };
    }
    const failures = (reportFailures && response?.batchItemFailures) || [];
    if (failures.length === 0) {
      log(`  stream ${streamName}: ${fn.settings.functionName} stored ${batch.length} record(s)`);
      return { retryFrom: -1 };
    }
    const failed = new Set(failures.map((f) => f.itemIdentifier));
    let retryFrom = batch.findIndex((r) => failed.has(r.record.SequenceNumber!));
    if (retryFrom < 0 || failures.some((f) => !f.itemIdentifier)) retryFrom = 0;
    log(`  stream ${streamName}: ${fn.settings.functionName} reported ${failures.length} of ${batch.length} record(s) failed; retrying from the first failed record${bisect && batch.length > 1 ? " (bisected)" : ""}`);
    return { retryFrom };
  };

  const sendToDlq = async (batch: readonly ShardRecord[], attempts: number, condition: string, error?: string): Promise<void> => {
    const first = batch[0].record;
    const last = batch[batch.length - 1].record;
    log(`  stream ${streamName}: ${batch.length} record(s) to the on-failure destination (${condition} after ${attempts} attempt(s))`);
    if (!sqs || !dlqUrl) return;
    await sqs.send(
      new SendMessageCommand({
        QueueUrl: dlqUrl,
        // The on-failure record Lambda sends for a stream batch: where to read it again, not the data.
        MessageBody: JSON.stringify({
          requestContext: { requestId: randomUUID(), functionArn: `arn:aws:lambda:${REGION}:${ACCOUNT_ID}:function:${fn.settings.functionName}`, condition, approximateInvokeCount: attempts },
          responseContext: { statusCode: 200, executedVersion: "$LATEST", functionError: error ? "Unhandled" : undefined },
          version: "1.0",
          timestamp: new Date().toISOString(),
          KinesisBatchInfo: {
            shardId: batch[0].shardId,
            startSequenceNumber: first.SequenceNumber,
            endSequenceNumber: last.SequenceNumber,
            approximateArrivalOfFirstRecord: first.ApproximateArrivalTimestamp?.toISOString(),
            approximateArrivalOfLastRecord: last.ApproximateArrivalTimestamp?.toISOString(),
            batchSize: batch.length,
            streamArn,
          },
        }),
      }),
    );
  };

  /** One batch to completion: checkpoint at the first failure, bisect, bounded retries, then the on-failure destination. */
  const processBatch = async (initial: readonly ShardRecord[]): Promise<void> => {
    const work: ShardRecord[][] = [[...initial]];
    while (work.length > 0) {
      let batch = work.shift()!;
      let attempts = 0;
      for (;;) {
        if (maxRecordAgeS >= 0) {
          const oldest = batch[0].record.ApproximateArrivalTimestamp?.getTime() ?? Date.now();
          if (Date.now() - oldest > maxRecordAgeS * 1000) {
            await sendToDlq(batch, attempts, "RecordAgeExceeded");
            break;
          }
        }
        attempts++;
        const { retryFrom, error } = await invokeOnce(batch);
        if (retryFrom < 0) break;
        batch = batch.slice(retryFrom);
        if (bisect && batch.length > 1) {
          const half = Math.ceil(batch.length / 2);
          work.unshift(batch.slice(0, half), batch.slice(half));
          break;
        }
        if (maxRetries >= 0 && attempts > maxRetries) {
          await sendToDlq(batch, attempts, "RetryAttemptsExhausted", error);
          break;
        }
        if (stopping) return;
      }
    }
  };

  const poll = async (shardId: string): Promise<void> => {
    // The stream was created empty for this run: read it from the start.
    let iterator = (await kinesis.send(new GetShardIteratorCommand({ StreamName: streamName, ShardId: shardId, ShardIteratorType: "TRIM_HORIZON" }))).ShardIterator;
    const buffer: ShardRecord[] = [];
    while (!stopping && iterator) {
      if (buffer.length < batchSize) {
        const out = await kinesis.send(new GetRecordsCommand({ ShardIterator: iterator, Limit: 10_000 }));
        iterator = out.NextShardIterator;
        for (const record of out.Records ?? []) buffer.push({ shardId, record });
      }
      if (buffer.length === 0) {
        await sleep(200);
        continue;
      }
      await processBatch(buffer.splice(0, batchSize));
    }
  };

  const running = (async () => {
    const shards = (await kinesis.send(new ListShardsCommand({ StreamName: streamName }))).Shards ?? [];
    await Promise.all(shards.map((s) => poll(s.ShardId!)));
  })().catch((err: unknown) => {
    if (!stopping) log(`  ! stream ${streamName} poller stopped: ${String(err)}`);
  });

  return {
    description: `${streamName} -> ${fn.settings.functionName} (batch ${batchSize}, ${reportFailures ? "partial batch failures" : "whole batches"}, bisect ${bisect ? "on" : "off"}, ${maxRetries} retries${dlqRef ? ", on-failure -> SQS" : ""})`,
    async stop() {
      stopping = true;
      await running;
      kinesis.destroy();
      sqs?.destroy();
    },
  };
}

function queueMapping(runtime: LocalRuntime, mapping: Block, fn: LocalFunction, log: (line: string) => void): Mapping {
  const { stack } = runtime;
  const queueRef = referenceOf(mapping.event_source_arn)!;
  const queueBlock = resource(stack, "aws_sqs_queue", queueRef.name);
  const queueUrl = runtime.queueUrls.get(queueRef.name)!;
  const queueArn = runtime.resolvers.aws_sqs_queue(queueBlock, queueRef.name).arn;
  // The replay's reading of the settings: batch size, reserved and maximum concurrency, visibility, redrive.
  const s = readWebhookSettings(stack, {});
  const limits = [s.reserved, s.maximumConcurrency].filter((n): n is number => n !== undefined);
  const consumers = limits.length > 0 ? Math.min(...limits) : 5;
  const client = sqsClient(runtime.engines.sqs!);
  let stopping = false;

  const toEvent = (messages: readonly Message[]): SQSEvent => ({
    Records: messages.map((m) => ({
      messageId: m.MessageId!,
      receiptHandle: m.ReceiptHandle!,
      body: m.Body ?? "",
      attributes: {
        ApproximateReceiveCount: m.Attributes?.ApproximateReceiveCount ?? "1",
        SentTimestamp: m.Attributes?.SentTimestamp ?? String(Date.now()),
        SenderId: m.Attributes?.SenderId ?? "local",
        ApproximateFirstReceiveTimestamp: m.Attributes?.ApproximateFirstReceiveTimestamp ?? String(Date.now()),
      },
      messageAttributes: {},
      md5OfBody: m.MD5OfBody ?? "",
      eventSource: "aws:sqs",
      eventSourceARN: queueArn,
      awsRegion: REGION,
    })),
  });

  const consume = async (): Promise<void> => {
    while (!stopping) {
      // Short polls: local-aws-sqs's long poll waits out WaitTimeSeconds even when messages are there.
      const got = await client.send(new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: Math.min(10, s.batchSize), WaitTimeSeconds: 0, AttributeNames: ["All"] }));
      const messages = got.Messages ?? [];
      if (messages.length === 0) {
        await sleep(100);
        continue;
      }
      let failed: Set<string>;
      try {
        const response = await fn.invoke<SQSBatchResponse | void>(toEvent(messages));
        failed = new Set(s.reportBatchItemFailures ? (response?.batchItemFailures ?? []).map((f) => f.itemIdentifier) : []);
      } catch (err) {
        log(`  queue ${String(queueBlock.name)}: ${fn.settings.functionName} failed on ${messages.length} message(s), back after the visibility timeout: ${String(err)}`);
        continue;
      }
      const done = messages.filter((m) => !failed.has(m.MessageId!));
      await Promise.all(done.map((m) => client.send(new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: m.ReceiptHandle! }))));
      const receives = messages.map((m) => m.Attributes?.ApproximateReceiveCount ?? "1").join(",");
      log(`  queue ${String(queueBlock.name)}: ${fn.settings.functionName} delivered ${done.length} of ${messages.length} message(s) (receive count ${receives} of ${s.maxReceiveCount})`);
    }
  };
  const running = Promise.all(Array.from({ length: consumers }, consume)).catch((err: unknown) => {
    if (!stopping) log(`  ! queue ${String(queueBlock.name)} consumer stopped: ${String(err)}`);
  });

  return {
    description: `${String(queueBlock.name)} -> ${fn.settings.functionName} (${consumers} concurrent, batch ${s.batchSize}, visibility ${s.visibilityTimeoutS} s, DLQ after ${s.maxReceiveCount} receives)`,
    async stop() {
      stopping = true;
      await running;
      client.destroy();
    },
  };
}

/** Starts every event source mapping of the stack. */
export function startMappings(runtime: LocalRuntime, log: (line: string) => void, faults: MappingFaults = {}): Mapping[] {
  return resources(runtime.stack, "aws_lambda_event_source_mapping").map(([name, mapping]) => {
    const source = referenceOf(mapping.event_source_arn);
    const fnRef = referenceOf(mapping.function_name);
    const fn = fnRef ? runtime.functions.get(fnRef.name) : undefined;
    if (!fn) throw new Error(`${runtime.stack.id}: event source mapping ${name} names no function of the stack`);
    if (source?.type === "aws_kinesis_stream") return streamMapping(runtime, mapping, fn, log, faults);
    if (source?.type === "aws_sqs_queue") return queueMapping(runtime, mapping, fn, log);
    throw new Error(`${runtime.stack.id}: event source mapping ${name} reads ${source?.type ?? "an unknown source"}, which has no local engine`);
  });
}
