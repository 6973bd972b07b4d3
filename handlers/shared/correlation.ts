/**
 * The correlation id: one id per request, from the front door to the item it
 * produced. Taken from what the front door sets, never invented downstream:
 *
 * | front door | id |
 * |---|---|
 * | API Gateway REST or HTTP API | `requestContext.requestId` (REST also answers it as `x-amzn-RequestId`) |
 * | ALB | the `Root` of `X-Amzn-Trace-Id` (the ALB adds one when the caller sent none) |
 * | Kinesis record | its partition key (kinesis-ingest's API puts `$context.requestId` there) |
 * | SQS message | its `correlationId` message attribute (api2sqs sets it) |
 *
 * It is logged on every line, answered in the `x-correlation-id` header and
 * stored on the item. A caller can choose an ALB trace id or a partition key,
 * so the id is checked (printable ASCII, bounded) and is never a metric
 * dimension. A missing or malformed one is replaced by a fresh id, so every
 * line still has one. Plain functions: no SDK.
 */
import { randomBytes, randomUUID } from "node:crypto";
import { CORRELATION_ATTRIBUTE, CORRELATION_HEADER } from "./outcomes";

/** Longest correlation id kept (a Kinesis partition key may be 256 characters). */
export const MAX_CORRELATION_ID_LENGTH = 128;

const PRINTABLE = /^[\x21-\x7e]+$/;
/** An X-Ray trace root: `1-<8 hex: epoch seconds>-<24 hex>`. */
const TRACE_ROOT = /^1-[0-9a-f]{8}-[0-9a-f]{24}$/;

/** `value` when it is a usable id (printable ASCII, 1 to 128 characters), else undefined. */
export function validCorrelationId(value: unknown): string | undefined {
  if (typeof value !== "string" || value.length === 0 || value.length > MAX_CORRELATION_ID_LENGTH) return undefined;
  return PRINTABLE.test(value) ? value : undefined;
}

/** A fresh id, for a request whose front door gave none (a direct invocation). */
export function newCorrelationId(): string {
  return randomUUID();
}

/** A fresh X-Ray style trace root, the form an ALB request's id has. */
export function newTraceRoot(now: Date = new Date()): string {
  return `1-${Math.floor(now.getTime() / 1000).toString(16).padStart(8, "0")}-${randomBytes(12).toString("hex")}`;
}

interface ApiGatewayLike {
  readonly requestContext?: { readonly requestId?: unknown } | null;
}

/** API Gateway's request id (REST or HTTP API, Lambda proxy), or a fresh id. */
export function apiGatewayCorrelationId(event: ApiGatewayLike | null | undefined): string {
  return validCorrelationId(event?.requestContext?.requestId) ?? newCorrelationId();
}

/** The `Root` of an `X-Amzn-Trace-Id` value (`Root=1-...;Self=...`), or undefined. */
export function traceRoot(header: string | undefined): string | undefined {
  if (header === undefined) return undefined;
  for (const part of header.split(";")) {
    const [key, value] = part.trim().split("=", 2);
    if (key?.toLowerCase() === "root" && value !== undefined && TRACE_ROOT.test(value)) return value;
  }
  return undefined;
}

/** An ALB request's id: its trace root, or a fresh one of that form. */
export function albCorrelationId(headers: Readonly<Record<string, string | undefined>> | null | undefined): string {
  let header: string | undefined;
  for (const [name, value] of Object.entries(headers ?? {})) if (name.toLowerCase() === "x-amzn-trace-id") header = value;
  return traceRoot(header) ?? newTraceRoot();
}

/** A Kinesis record's id: its partition key; `fallback` (the record's own id) when the key is no usable id. */
export function kinesisCorrelationId(partitionKey: unknown, fallback: string): string {
  return validCorrelationId(partitionKey) ?? fallback;
}

/** The message attribute that carries `id` on an SQS message (SendMessage's shape). */
export function correlationAttribute(id: string): Record<string, { DataType: "String"; StringValue: string }> {
  return { [CORRELATION_ATTRIBUTE]: { DataType: "String", StringValue: id } };
}

interface SqsRecordLike {
  readonly messageId: string;
  readonly messageAttributes?: Readonly<Record<string, { readonly stringValue?: string } | undefined>>;
}

/** An SQS record's id: its `correlationId` attribute, else `fromBody` (an id the body records), else the message id. */
export function sqsCorrelationId(record: SqsRecordLike, fromBody?: unknown): string {
  return validCorrelationId(record.messageAttributes?.[CORRELATION_ATTRIBUTE]?.stringValue) ?? validCorrelationId(fromBody) ?? record.messageId;
}

/** `response` with the correlation id in its headers (`x-correlation-id`). */
export function withCorrelationHeader<R extends { headers?: Record<string, string | number | boolean> }>(response: R, id: string): R {
  return { ...response, headers: { ...response.headers, [CORRELATION_HEADER]: id } };
}
