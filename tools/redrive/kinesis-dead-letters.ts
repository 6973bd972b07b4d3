/**
 * Replays kinesis-ingest's dead letters. A message of the on-failure destination
 * holds no data, only a pointer to the failed batch (`KinesisBatchInfo`: stream,
 * shard, first and last sequence number). For each message this reads that
 * range back from the stream (GetShardIterator AT_SEQUENCE_NUMBER + GetRecords),
 * feeds the records to the consumer's handler logic as a Lambda event, and
 * deletes the message only when every record of the range was read and stored.
 * Items are keyed `<shardId>:<sequenceNumber>`, so replaying a range (or a
 * message twice) overwrites, never duplicates.
 *
 * A message stays in the queue (and is reported) when its records have expired
 * from the stream, are incomplete, or still fail: the alarm keeps ringing.
 *
 * The consumer also sends messages of this shape itself, one per record the
 * table can never store (`handlers/kinesis-ingest/dead-letter.ts`: a one-record
 * range plus `reason`). Replayed, such a record fails again: it is reported as
 * not stored (`kept`, with the reason) and stays in the queue.
 */
import { GetRecordsCommand, GetShardIteratorCommand, type KinesisClient, type _Record as KinesisRecord } from "@aws-sdk/client-kinesis";
import { DeleteMessageCommand, ReceiveMessageCommand, type SQSClient } from "@aws-sdk/client-sqs";
import type { KinesisStreamBatchResponse, KinesisStreamEvent } from "aws-lambda";
import { kinesisEvent } from "../emulator/event-source";

/** Where Lambda says a failed stream batch is (the on-failure record's `KinesisBatchInfo`). */
export interface KinesisBatchPointer {
  readonly shardId: string;
  readonly startSequenceNumber: string;
  readonly endSequenceNumber: string;
  readonly streamArn: string;
  /** Records in the range, when Lambda said. */
  readonly batchSize?: number;
  /**
   * Why the consumer dead-lettered a single record itself (the message's `reason`, e.g.
   * `ValidationException`): the table refused that record, so a replay is expected to fail again.
   * Absent in Lambda's own on-failure records.
   */
  readonly reason?: string;
}

/** The pointer in an on-failure record's body; throws with the reason when the body is not one. */
export function parseDeadLetter(body: string | undefined): KinesisBatchPointer {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body ?? "");
  } catch {
    throw new Error("the message body is not JSON");
  }
  const info = (parsed as { KinesisBatchInfo?: Record<string, unknown> } | null)?.KinesisBatchInfo;
  if (typeof info !== "object" || info === null) throw new Error("the message has no KinesisBatchInfo");
  const text = (field: string): string => {
    const value = info[field];
    if (typeof value !== "string" || value === "") throw new Error(`KinesisBatchInfo.${field} is missing`);
    return value;
  };
  const pointer = {
    shardId: text("shardId"),
    startSequenceNumber: text("startSequenceNumber"),
    endSequenceNumber: text("endSequenceNumber"),
    streamArn: text("streamArn"),
    batchSize: typeof info.batchSize === "number" ? info.batchSize : undefined,
    reason: typeof (parsed as { reason?: unknown }).reason === "string" ? (parsed as { reason: string }).reason : undefined,
  };
  if (!/^\d+$/.test(pointer.startSequenceNumber) || !/^\d+$/.test(pointer.endSequenceNumber)) {
    throw new Error("KinesisBatchInfo sequence numbers are not decimal numbers");
  }
  if (BigInt(pointer.startSequenceNumber) > BigInt(pointer.endSequenceNumber)) {
    throw new Error("KinesisBatchInfo.startSequenceNumber is after endSequenceNumber");
  }
  streamNameOf(pointer.streamArn);
  return pointer;
}

/** `arn:aws:kinesis:<region>:<account>:stream/<name>` -> `<name>`. */
export function streamNameOf(streamArn: string): string {
  const match = streamArn.match(/^arn:aws[\w-]*:kinesis:[\w-]+:\d{12}:stream\/([\w.-]+)$/);
  if (!match) throw new Error(`KinesisBatchInfo.streamArn is not a stream ARN: ${streamArn}`);
  return match[1];
}

export interface ReadRangeOptions {
  /**
   * GetRecords calls that may come back empty, while the shard has more, before the range counts as
   * incomplete (Kinesis can answer empty while it walks a shard). @default 10
   */
  readonly maxEmptyReads?: number;
}

/**
 * The records of the pointer's range, in order. Stops at the end of the range, at the shard's end,
 * or when the shard has nothing more to give (the caller checks the range is complete).
 */
export async function readRange(kinesis: KinesisClient, pointer: KinesisBatchPointer, options: ReadRangeOptions = {}): Promise<KinesisRecord[]> {
  const end = BigInt(pointer.endSequenceNumber);
  let iterator = (
    await kinesis.send(
      new GetShardIteratorCommand({
        StreamName: streamNameOf(pointer.streamArn),
        ShardId: pointer.shardId,
        ShardIteratorType: "AT_SEQUENCE_NUMBER",
        StartingSequenceNumber: pointer.startSequenceNumber,
      }),
    )
  ).ShardIterator;
  const records: KinesisRecord[] = [];
  let emptyReads = 0;
  while (iterator) {
    const out = await kinesis.send(new GetRecordsCommand({ ShardIterator: iterator, Limit: 1000 }));
    for (const record of out.Records ?? []) {
      if (BigInt(record.SequenceNumber ?? "0") > end) return records;
      records.push(record);
    }
    if (records.length > 0 && records[records.length - 1].SequenceNumber === pointer.endSequenceNumber) return records;
    if ((out.Records ?? []).length === 0 && (out.MillisBehindLatest === 0 || ++emptyReads >= (options.maxEmptyReads ?? 10))) return records;
    iterator = out.NextShardIterator;
  }
  return records;
}

/** Why a range cannot be replayed as read, or undefined when it is complete. */
export function incompleteRange(pointer: KinesisBatchPointer, records: readonly KinesisRecord[]): string | undefined {
  if (records.length === 0) return "no record of the range is left in the stream (expired?)";
  if (records[0].SequenceNumber !== pointer.startSequenceNumber) return "the range's first record is gone from the stream (expired?)";
  if (records[records.length - 1].SequenceNumber !== pointer.endSequenceNumber) return "the range's last record was not found";
  if (pointer.batchSize !== undefined && records.length !== pointer.batchSize) {
    return `read ${records.length} record(s), the pointer says ${pointer.batchSize}`;
  }
  return undefined;
}

/** The records as the Lambda event the event source mapping would have sent. */
export function toKinesisEvent(pointer: KinesisBatchPointer, records: readonly KinesisRecord[]): KinesisStreamEvent {
  return kinesisEvent(
    records.map((record) => ({ shardId: pointer.shardId, record })),
    pointer.streamArn,
    "",
  );
}

/** What became of one dead letter. */
export interface RedriveResult {
  readonly messageId: string;
  /** replayed: stored and deleted; kept: left in the queue (see `detail`); checked: a dry run read it. */
  readonly outcome: "replayed" | "kept" | "checked";
  readonly pointer?: KinesisBatchPointer;
  readonly records: number;
  readonly detail?: string;
}

export interface RedriveOptions {
  readonly sqs: SQSClient;
  readonly kinesis: KinesisClient;
  readonly queueUrl: string;
  /** The consumer's logic: the Lambda event in, the partial batch response out. */
  readonly handler: (event: KinesisStreamEvent) => Promise<KinesisStreamBatchResponse | void>;
  /** Messages to handle at most. @default 100 */
  readonly maxMessages?: number;
  /** Read and check each range; store nothing, delete nothing. @default false */
  readonly dryRun?: boolean;
  /** Seconds a received message stays hidden from other readers while this run replays it. @default 300 */
  readonly visibilityTimeoutSeconds?: number;
  readonly readOptions?: ReadRangeOptions;
}

/** Replays the dead letters of `queueUrl`, one message after the other; returns what became of each. */
export async function redriveDeadLetters(options: RedriveOptions): Promise<RedriveResult[]> {
  const results: RedriveResult[] = [];
  const seen = new Set<string>();
  const maxMessages = options.maxMessages ?? 100;
  while (results.length < maxMessages) {
    const received = await options.sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: options.queueUrl,
        MaxNumberOfMessages: Math.min(10, maxMessages - results.length),
        WaitTimeSeconds: 0,
        VisibilityTimeout: options.visibilityTimeoutSeconds ?? 300,
      }),
    );
    // A message seen before (SQS delivers at least once) was handled in this run: a queue of only those is done.
    const fresh = (received.Messages ?? []).filter((m) => m.MessageId && !seen.has(m.MessageId));
    if (fresh.length === 0) break;
    for (const message of fresh) {
      const messageId = message.MessageId as string;
      if (seen.has(messageId)) continue;
      seen.add(messageId);
      const result = await redriveOne(options, messageId, message.Body);
      if (result.outcome === "replayed") {
        await options.sqs.send(new DeleteMessageCommand({ QueueUrl: options.queueUrl, ReceiptHandle: message.ReceiptHandle }));
      }
      results.push(result);
    }
  }
  return results;
}

async function redriveOne(options: RedriveOptions, messageId: string, body: string | undefined): Promise<RedriveResult> {
  let pointer: KinesisBatchPointer;
  try {
    pointer = parseDeadLetter(body);
  } catch (err) {
    return { messageId, outcome: "kept", records: 0, detail: `not a Kinesis dead letter: ${(err as Error).message}` };
  }
  let records: KinesisRecord[];
  try {
    records = await readRange(options.kinesis, pointer, options.readOptions);
  } catch (err) {
    return { messageId, outcome: "kept", pointer, records: 0, detail: `could not read the range: ${(err as Error).name}: ${(err as Error).message}` };
  }
  const incomplete = incompleteRange(pointer, records);
  if (incomplete) return { messageId, outcome: "kept", pointer, records: records.length, detail: incomplete };
  if (options.dryRun) return { messageId, outcome: "checked", pointer, records: records.length };
  let response: KinesisStreamBatchResponse | void;
  try {
    response = await options.handler(toKinesisEvent(pointer, records));
  } catch (err) {
    return { messageId, outcome: "kept", pointer, records: records.length, detail: `the handler failed: ${(err as Error).message}` };
  }
  const failures = response?.batchItemFailures ?? [];
  if (failures.length > 0) {
    const why = pointer.reason ? ` (the consumer dead-lettered it: ${pointer.reason}; the table refuses it)` : "";
    return { messageId, outcome: "kept", pointer, records: records.length, detail: `${failures.length} record(s) still not stored${why}` };
  }
  return { messageId, outcome: "replayed", pointer, records: records.length };
}
