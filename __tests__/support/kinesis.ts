/**
 * Kinesis records as the event source mapping hands them to kinesis-ingest's consumer, for the
 * suites that invoke it directly (handler, poison, bad-input, downstream-faults).
 */
import type { KinesisStreamEvent, KinesisStreamRecord } from "aws-lambda";
import { REGION } from "../../tools/emulator/engines";

export const SHARD = "shardId-000000000000";
export const STREAM_ARN = `arn:aws:kinesis:${REGION}:123456789012:stream/dev-example-stream`;

/** Sequence numbers grow across the whole test file, as in a shard. */
let nextSequence = 49590338271490256608559692538361571095921575989136588800n;

/** One record holding `data` (text as UTF-8, or raw bytes); `sequenceNumber` if the test picks it. */
export function kinesisRecord(data: string | Buffer, sequenceNumber = String(nextSequence++)): KinesisStreamRecord {
  return {
    awsRegion: REGION,
    eventID: `${SHARD}:${sequenceNumber}`,
    eventName: "aws:kinesis:record",
    eventSource: "aws:kinesis",
    eventSourceARN: STREAM_ARN,
    eventVersion: "1.0",
    invokeIdentityArn: "arn:aws:iam::123456789012:role/dev-lambda_kinesis_to_dynamo_role",
    kinesis: {
      kinesisSchemaVersion: "1.0",
      partitionKey: "request-id",
      sequenceNumber,
      data: (typeof data === "string" ? Buffer.from(data, "utf8") : data).toString("base64"),
      approximateArrivalTimestamp: 1737763200.123,
    },
  };
}

export const kinesisEventOf = (records: readonly KinesisStreamRecord[]): KinesisStreamEvent => ({ Records: [...records] });
