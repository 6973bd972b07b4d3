/**
 * The stack's `aws_lambda_event_source_mapping`s, played against the local
 * engines until stopped, with one log line per batch: a Kinesis stream (one
 * poller per shard, the on-failure destination on local SQS) or an SQS queue
 * (as many consumers as the function's concurrency limit). The mapping's
 * behaviour is the replays' (../replay/event-source.ts); this file reads which
 * mappings the stack has, adds the poison fault and the log lines.
 */
import { GetShardIteratorCommand, ListShardsCommand } from "@aws-sdk/client-kinesis";
import type { KinesisStreamBatchResponse, SQSBatchResponse } from "aws-lambda";
import { ACCOUNT_ID, kinesisClient, sqsClient } from "../emulator/engines";
import {
  checkpoint,
  consumeQueue,
  kinesisEvent,
  pollShard,
  processStreamBatch,
  readQueueMapping,
  readStreamMapping,
  sendOnFailureRecord,
  type ShardRecord,
} from "../emulator/event-source";
import { Random } from "../emulator/random";
import { type Block, numberSetting, redrivePolicy, referenceOf, resource, resources } from "../emulator/synth";
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
  const settings = readStreamMapping(stack, mapping);
  const dlqRef = referenceOf(((mapping.destination_config as Block | undefined)?.on_failure as Block | undefined)?.destination_arn);
  const dlqUrl = dlqRef?.type === "aws_sqs_queue" ? runtime.queueUrls.get(dlqRef.name) : undefined;
  const kinesis = kinesisClient(runtime.engines.kinesis!);
  const sqs = runtime.engines.sqs ? sqsClient(runtime.engines.sqs) : undefined;
  const isPoison = poisonChooser(faults.poisonRate ?? 0);
  const { functionName } = fn.settings;
  let stopping = false;

  const poisoned = (record: ShardRecord["record"]): Buffer => {
    const data = Buffer.from(record.Data ?? new Uint8Array());
    return isPoison(record.SequenceNumber!) ? Buffer.concat([data, Buffer.from(POISON_PADDING)]) : data;
  };

  const hooks = {
    async invoke(batch: readonly ShardRecord[]): Promise<{ retryFrom: number; error?: string }> {
      let response: KinesisStreamBatchResponse | void;
      try {
        response = await fn.invoke<KinesisStreamBatchResponse | void>(kinesisEvent(batch, streamArn, `arn:aws:iam::${ACCOUNT_ID}:role/local`, poisoned));
      } catch (err) {
        log(`  stream ${streamName}: ${functionName} failed on ${batch.length} record(s): ${String(err)}`);
        return { retryFrom: 0, error: String(err) };
      }
      const failures = (settings.reportBatchItemFailures && response?.batchItemFailures) || [];
      if (failures.length === 0) log(`  stream ${streamName}: ${functionName} stored ${batch.length} record(s)`);
      else {
        log(
          `  stream ${streamName}: ${functionName} reported ${failures.length} of ${batch.length} record(s) failed; retrying from the first failed record${settings.bisect && batch.length > 1 ? " (bisected)" : ""}`,
        );
      }
      return { retryFrom: checkpoint(batch, failures) };
    },
    async deadLetter(batch: readonly ShardRecord[], attempts: number, condition: string, error?: string): Promise<void> {
      log(`  stream ${streamName}: ${batch.length} record(s) to the on-failure destination (${condition} after ${attempts} attempt(s))`);
      if (sqs && dlqUrl) await sendOnFailureRecord(sqs, dlqUrl, batch, { functionName, streamArn, condition, attempts, error });
    },
    shouldStop: () => stopping,
  };

  const poll = async (shardId: string): Promise<void> => {
    // The stream was created empty for this run: read it from the start.
    const iterator = (await kinesis.send(new GetShardIteratorCommand({ StreamName: streamName, ShardId: shardId, ShardIteratorType: "TRIM_HORIZON" }))).ShardIterator;
    await pollShard(kinesis, shardId, iterator, { batchSize: settings.batchSize, idleMs: 200, shouldStop: () => stopping }, (batch) =>
      processStreamBatch(batch, settings, hooks),
    );
  };

  const running = (async () => {
    const shards = (await kinesis.send(new ListShardsCommand({ StreamName: streamName }))).Shards ?? [];
    await Promise.all(shards.map((s) => poll(s.ShardId!)));
  })().catch((err: unknown) => {
    if (!stopping) log(`  ! stream ${streamName} poller stopped: ${String(err)}`);
  });

  return {
    description: `${streamName} -> ${functionName} (batch ${settings.batchSize}, ${settings.reportBatchItemFailures ? "partial batch failures" : "whole batches"}, bisect ${settings.bisect ? "on" : "off"}, ${settings.maxRetries} retries${dlqRef ? ", on-failure -> SQS" : ""})`,
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
  const queueName = String(queueBlock.name);
  const queueUrl = runtime.queueUrls.get(queueRef.name)!;
  const settings = readQueueMapping(stack, mapping, fn.block);
  const redrive = redrivePolicy(stack, queueBlock);
  const visibilityS = numberSetting(stack, queueBlock.visibility_timeout_seconds, "visibility_timeout_seconds") ?? 30;
  const client = sqsClient(runtime.engines.sqs!);
  const { functionName } = fn.settings;
  let stopping = false;

  const consume = (): Promise<void> =>
    consumeQueue({
      client,
      queueUrl,
      queueArn: runtime.resolvers.aws_sqs_queue(queueBlock, queueRef.name).arn,
      settings,
      senderId: "local",
      idleMs: 100,
      invoke: (event) => fn.invoke<SQSBatchResponse | void>(event),
      shouldStop: () => stopping,
      onBatch(messages, outcome) {
        if ("error" in outcome) {
          log(`  queue ${queueName}: ${functionName} failed on ${messages.length} message(s), back after the visibility timeout: ${String(outcome.error)}`);
          return;
        }
        const receives = messages.map((m) => m.Attributes?.ApproximateReceiveCount ?? "1").join(",");
        log(`  queue ${queueName}: ${functionName} delivered ${outcome.deleted} of ${messages.length} message(s) (receive count ${receives} of ${redrive?.maxReceiveCount ?? "unlimited"})`);
      },
    });
  const running = Promise.all(Array.from({ length: settings.consumers }, consume)).catch((err: unknown) => {
    if (!stopping) log(`  ! queue ${queueName} consumer stopped: ${String(err)}`);
  });

  return {
    description: `${queueName} -> ${functionName} (${settings.consumers} concurrent, batch ${settings.batchSize}, visibility ${visibilityS} s, ${redrive ? `DLQ after ${redrive.maxReceiveCount} receives` : "no DLQ"})`,
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
