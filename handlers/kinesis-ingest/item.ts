/**
 * A kinesis-ingest record and the table item made of it, as plain functions:
 * the record from either source (the Lambda event, or GetRecords during a
 * redrive), the seed's `Message` rule, and what the table can store.
 */
import type { KinesisStreamRecord } from "aws-lambda";
import { kinesisCorrelationId } from "../shared/correlation";
import type { Unstorable } from "./dead-letter";

/** What the seed stores when a JSON object has no `message` field. */
export const NO_MESSAGE = "NoMessage";

/** One stream record, whatever delivered it (the Lambda event, or GetRecords during a replay). */
export interface StreamRecord {
  readonly shardId: string;
  readonly sequenceNumber: string;
  /** The record's bytes, as the producer put them. */
  readonly data: Uint8Array;
  readonly arrivedAt?: Date;
  /** The request that put it (its partition key: the API's request id), `../shared/correlation`. */
  readonly correlationId?: string;
}

/** The table's item: the seed's `ID` + `Message`, plus where the record came from. */
export interface IngestItem {
  /** `<shardId>:<sequenceNumber>`: unique per stream, the same on every delivery. */
  readonly ID: string;
  readonly Message: string;
  /**
   * Present (`"base64"`) only when the payload has no text DynamoDB can store (bytes that are not
   * UTF-8, or a JSON `message` holding an unpaired surrogate): `Message` then holds the record's bytes in base64.
   */
  readonly Encoding?: "base64";
  /** ISO-8601 time Kinesis accepted the record. */
  readonly ArrivedAt?: string;
  /** The id of the request that put the record (answered to its caller, logged on every line on the way). */
  readonly CorrelationId?: string;
}

/** The item ID of a record. A replay tool builds it from GetRecords output the same way. */
export function itemId(shardId: string, sequenceNumber: string): string {
  return `${shardId}:${sequenceNumber}`;
}

/** A record of the Lambda event (its eventID is `<shardId>:<sequenceNumber>`). */
export function fromLambdaRecord(record: KinesisStreamRecord): StreamRecord {
  const separator = record.eventID.lastIndexOf(":");
  return {
    shardId: separator > 0 ? record.eventID.slice(0, separator) : record.eventID,
    sequenceNumber: record.kinesis.sequenceNumber,
    data: Buffer.from(record.kinesis.data, "base64"),
    arrivedAt: new Date(record.kinesis.approximateArrivalTimestamp * 1000),
    correlationId: kinesisCorrelationId(record.kinesis.partitionKey, record.eventID),
  };
}

/** A record as GetRecords returns it (SDK v3 `_Record`), read from `shardId`: for a replay. */
export function fromGetRecordsRecord(
  shardId: string,
  record: { SequenceNumber?: string; Data?: Uint8Array; ApproximateArrivalTimestamp?: Date; PartitionKey?: string },
): StreamRecord {
  if (!record.SequenceNumber) throw new Error(`A record of ${shardId} has no SequenceNumber`);
  return {
    shardId,
    sequenceNumber: record.SequenceNumber,
    data: record.Data ?? new Uint8Array(),
    arrivedAt: record.ApproximateArrivalTimestamp,
    correlationId: kinesisCorrelationId(record.PartitionKey, itemId(shardId, record.SequenceNumber)),
  };
}

const utf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

/**
 * The message to store for a payload, as the seed decides it: a JSON object's
 * `message` field (`"NoMessage"` when absent); any other payload (not JSON, or
 * JSON that is not an object) as its text. A non-string `message` is stored as
 * its JSON text, so `Message` is always a string.
 */
export function messageOf(text: string): string {
  let parsed: unknown;
  try {
    // A leading byte-order mark is an encoding marker, not JSON: JSON.parse would refuse it.
    parsed = JSON.parse(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text);
  } catch {
    return text;
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) return text;
  if (!Object.prototype.hasOwnProperty.call(parsed, "message")) return NO_MESSAGE;
  const message = (parsed as Record<string, unknown>).message;
  return typeof message === "string" ? message : JSON.stringify(message);
}

/** A lone UTF-16 surrogate: `\p{Cs}` matches only unpaired ones in a `u` regex (a pair is one code point). */
const LONE_SURROGATE = /\p{Cs}/u;

/**
 * The item for a record. A payload with no text DynamoDB can store is kept as
 * its bytes (base64, `Encoding`), never dropped or mangled: bytes that are not
 * UTF-8, and JSON whose `message` escapes decode to an unpaired surrogate
 * (`{"message":"\ud800"}` is valid JSON, but such a string has no UTF-8 form,
 * which is what DynamoDB stores strings as; local engines store it anyway).
 */
export function toItem(record: StreamRecord): IngestItem {
  const base = {
    ID: itemId(record.shardId, record.sequenceNumber),
    ...(record.arrivedAt && !Number.isNaN(record.arrivedAt.getTime())
      ? { ArrivedAt: record.arrivedAt.toISOString() }
      : {}),
    ...(record.correlationId ? { CorrelationId: record.correlationId } : {}),
  };
  const asBytes = (): IngestItem => ({ ...base, Message: Buffer.from(record.data).toString("base64"), Encoding: "base64" });
  let text: string;
  try {
    text = utf8.decode(record.data);
  } catch {
    return asBytes();
  }
  const message = messageOf(text);
  return LONE_SURROGATE.test(message) ? asBytes() : { ...base, Message: message };
}

/** DynamoDB's item size limit, 400 KB. */
export const MAX_ITEM_BYTES = 400 * 1024;

/** An item's size as DynamoDB counts it: the UTF-8 bytes of each attribute's name and (string) value. */
export function itemBytes(item: IngestItem): number {
  return Object.entries(item).reduce((sum, [name, value]) => sum + Buffer.byteLength(name) + Buffer.byteLength(String(value)), 0);
}

/**
 * Why an item can never be stored, checked before writing; undefined when it
 * can be written. An item over MAX_ITEM_BYTES is refused here rather than by
 * DynamoDB, which would refuse its whole chunk and make the writer try each of
 * the chunk's 25 items on its own.
 */
export function unstorable(item: IngestItem): Unstorable | undefined {
  const bytes = itemBytes(item);
  if (bytes > MAX_ITEM_BYTES) {
    return { reason: "ItemTooLarge", detail: `the item is ${bytes} bytes; DynamoDB stores at most ${MAX_ITEM_BYTES} bytes per item` };
  }
  return undefined;
}
