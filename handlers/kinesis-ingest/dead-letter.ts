/**
 * The consumer's own dead letters: one message per record the table can never
 * store, sent to the queue the event source mapping uses as its on-failure
 * destination, so the shard moves on at once instead of after every retry.
 *
 * The message has the shape of the on-failure record Lambda itself sends for a
 * Kinesis batch (requestContext, responseContext, version, timestamp,
 * `KinesisBatchInfo` with a one-record range: start = end = the record's
 * sequence number, batchSize 1), plus `reason` (the error's name, e.g.
 * `ValidationException`) and `detail` (its message). So the redrive tool
 * (`scripts/redrive`), the DLQ alarms and the operator docs treat it as any
 * other dead letter. It is a pointer, never the data: the record stays in the
 * stream for `stream_retention_hours`.
 */
import { SendMessageCommand, type SQSClient } from "@aws-sdk/client-sqs";
import type { StreamRecord } from "./item";

/** `requestContext.condition` of the consumer's dead letters (Lambda's own are RetryAttemptsExhausted or RecordAgeExceeded). */
export const RECORD_NOT_STORABLE = "RecordNotStorable";

/** Who dead-lettered the record: the invocation, as Lambda's context describes it. */
export interface InvocationInfo {
  readonly functionArn?: string;
  readonly requestId?: string;
  /** `context.functionVersion`. @default "$LATEST" */
  readonly executedVersion?: string;
}

/** Why a record cannot be stored, ever: the DynamoDB error's name (or the check that refused it before writing) and its message. */
export interface Unstorable {
  readonly reason: string;
  readonly detail: string;
}

/** The message body: Lambda's Kinesis on-failure record for a batch of one, plus why. */
export interface RecordDeadLetter {
  readonly requestContext: {
    readonly requestId: string;
    readonly functionArn: string;
    readonly condition: typeof RECORD_NOT_STORABLE;
    readonly approximateInvokeCount: number;
  };
  readonly responseContext: { readonly statusCode: number; readonly executedVersion: string };
  readonly version: "1.0";
  /** ISO-8601 time the message was built. */
  readonly timestamp: string;
  readonly KinesisBatchInfo: {
    readonly shardId: string;
    readonly startSequenceNumber: string;
    readonly endSequenceNumber: string;
    readonly approximateArrivalOfFirstRecord?: string;
    readonly approximateArrivalOfLastRecord?: string;
    readonly batchSize: 1;
    readonly streamArn: string;
  };
  readonly reason: string;
  readonly detail: string;
}

/** The dead letter of one record of `streamArn`. */
export function recordDeadLetter(
  record: StreamRecord,
  streamArn: string,
  why: Unstorable,
  invocation: InvocationInfo = {},
  now: Date = new Date(),
): RecordDeadLetter {
  const arrived = record.arrivedAt && !Number.isNaN(record.arrivedAt.getTime()) ? record.arrivedAt.toISOString() : undefined;
  return {
    requestContext: {
      requestId: invocation.requestId ?? "",
      functionArn: invocation.functionArn ?? "",
      condition: RECORD_NOT_STORABLE,
      // The function is not told how often Lambda delivered the record before; this invocation is one.
      approximateInvokeCount: 1,
    },
    responseContext: { statusCode: 200, executedVersion: invocation.executedVersion ?? "$LATEST" },
    version: "1.0",
    timestamp: now.toISOString(),
    KinesisBatchInfo: {
      shardId: record.shardId,
      startSequenceNumber: record.sequenceNumber,
      endSequenceNumber: record.sequenceNumber,
      ...(arrived ? { approximateArrivalOfFirstRecord: arrived, approximateArrivalOfLastRecord: arrived } : {}),
      batchSize: 1,
      streamArn,
    },
    reason: why.reason,
    // An error message, never the record's data; bounded so a message can never approach SQS's size limit.
    detail: why.detail.slice(0, 500),
  };
}

/** Sends one dead letter; throws when it was not accepted. */
export type DeadLetterSender = (message: RecordDeadLetter, signal: AbortSignal) => Promise<void>;

/**
 * The message as an SQS body. `JSON.stringify` escapes the control characters and lone surrogates SQS
 * refuses (`InvalidMessageContents`) but leaves U+FFFE and U+FFFF, which a `detail` could hold: escaped too.
 */
function deadLetterBody(message: RecordDeadLetter): string {
  return JSON.stringify(message).replace(/[\uFFFE\uFFFF]/g, (c) => `\\u${c.charCodeAt(0).toString(16)}`);
}

/** A sender to the queue at `queueUrl` through `client` (a bounded client from `../shared/sqs-client`). */
export function sqsDeadLetterSender(client: SQSClient, queueUrl: string): DeadLetterSender {
  return async (message, signal) => {
    await client.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: deadLetterBody(message) }), { abortSignal: signal });
  };
}
