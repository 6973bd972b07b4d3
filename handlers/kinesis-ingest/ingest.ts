/**
 * Kinesis -> DynamoDB ingest: the logic of the `kinesis-ingest` consumer, as
 * plain functions that take a DynamoDBDocumentClient and a table name, so the
 * Lambda entry (`index.ts`) and a local replay tool (records fetched again with
 * GetRecords after they reached the dead-letter queue) write the same items.
 *
 * What it fixes in the seed's Python handler:
 * - The item ID is derived from the record (`<shardId>:<sequenceNumber>`), not a
 *   random UUID: when Lambda delivers a batch again, the same items are
 *   overwritten, never duplicated.
 * - BatchWriteItem in chunks of 25 (the API maximum) instead of one PutItem per
 *   record; UnprocessedItems are retried with exponential backoff and jitter.
 * - A record that cannot be written is reported in `batchItemFailures`
 *   (ReportBatchItemFailures) instead of failing the whole batch, or being lost.
 * - What is stored of a payload (`./item`): a JSON payload that is not an
 *   object (e.g. `42`) no longer crashes the batch, and a UTF-8 byte-order mark
 *   does not stop a JSON payload from being parsed.
 *
 * Under downstream faults (issue 12) the work is bounded by a time budget:
 * - Only an error one item can cause (a validation error) splits a chunk into
 *   single-item writes. Throttling, 5xx, timeouts
 *   and network errors retry the chunk as a whole, with exponential backoff and
 *   full jitter: never 25x the calls on a table that is already over capacity.
 * - Before the budget runs out (or once a chunk stays throttled through all its
 *   attempts), the handler stops and reports every record not yet written.
 *   Lambda resumes from the lowest reported record anyway, so writing later
 *   chunks now would only load the table twice; what was written stays written
 *   (item IDs are idempotent).
 *
 * A poison record never blocks the shard. A payload with no text DynamoDB can
 * store (bytes that are not UTF-8, or a JSON `message` whose escapes decode to
 * an unpaired surrogate) is stored as its bytes (`toItem`). A record whose item
 * the table can never store (over 400 KB, refused before writing by
 * `unstorable`, or its single-item write fails with an `ITEM_ERRORS` error) is
 * sent to the dead-letter queue by the handler itself (`options.deadLetters`,
 * see `dead-letter.ts`) and not reported, so Lambda moves on at once instead of
 * retrying it until `maximum_retry_attempts`. When the send fails, or no queue
 * is given (the redrive tool), it is reported as before: never lost.
 */
import { BatchWriteCommand, DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import type { KinesisStreamBatchResponse, KinesisStreamEvent } from "aws-lambda";
import { downstreamFault } from "../shared/downstream";
import { type DeadLetterSender, type InvocationInfo, recordDeadLetter, type Unstorable } from "./dead-letter";
import { fromLambdaRecord, type IngestItem, type StreamRecord, toItem, unstorable } from "./item";
import { deadLetterReason, log, outcomeField, type Scope } from "../shared/observability";
import { OUTCOMES } from "../shared/outcomes";

/** The scope of one item's lines: its record's correlation id. */
const forItem = (item: IngestItem): Scope => (item.CorrelationId ? log().forRecord(item.CorrelationId) : log());

/** BatchWriteItem takes at most 25 requests. */
export const BATCH_WRITE_LIMIT = 25;


export interface WriteOptions {
  /** BatchWriteItem calls per chunk while UnprocessedItems remain, the first included. @default 6 */
  readonly maxAttempts?: number;
  /** Backoff before the 2nd call, in ms; doubles per call, with full jitter. @default 50 */
  readonly baseDelayMs?: number;
  /** @default a setTimeout-based sleep */
  readonly sleep?: (ms: number) => Promise<void>;
  /** The time left for writing (a `Deadline` from `../shared/time-budget`). @default unbounded */
  readonly budget?: WriteBudget;
}

/** What the writer needs of a deadline: the time left and a signal for each call. */
export interface WriteBudget {
  leftMs(): number;
  signal(): AbortSignal;
}

/** A call is not started with less time than this left: it could not finish. */
export const MIN_CALL_MS = 100;

/** Splits `items` into chunks of at most `size`. */
export function chunk<T>(items: readonly T[], size = BATCH_WRITE_LIMIT): T[][] {
  const chunks: T[][] = [];
  for (let i = 0; i < items.length; i += size) chunks.push(items.slice(i, i + size));
  return chunks;
}

const defaultSleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

function errorName(err: unknown): string {
  return err instanceof Error ? `${err.name}: ${err.message}` : String(err);
}

/** DynamoDB errors one item can cause: only these split a chunk into single-item writes. */
const ITEM_ERRORS = new Set(["ValidationException", "ItemCollectionSizeLimitExceededException"]);

/** Why a writer stopped before trying every item. */
type StopReason = "deadline" | "throttled" | "failing";

/** An item DynamoDB refused on its own (an `ITEM_ERRORS` error): it can never be stored. */
interface Rejection extends Unstorable {
  readonly id: string;
}

interface ChunkResult {
  /** IDs not written (the rejected ones included). */
  readonly failed: string[];
  /** Items refused alone by DynamoDB with an `ITEM_ERRORS` error. */
  readonly rejected?: readonly Rejection[];
  /** Set when the remaining chunks should not be tried. */
  readonly stop?: StopReason;
}

const unbounded: WriteBudget = { leftMs: () => Number.POSITIVE_INFINITY, signal: () => new AbortController().signal };

/**
 * Writes one chunk (<= 25 items) with BatchWriteItem. UnprocessedItems and
 * retryable errors (throttling, 5xx, timeouts, network) retry the remaining
 * items as one request after a jittered backoff; a validation error writes
 * each item on its own, so one bad item fails alone. Gives up, reporting every
 * item not written, when the budget would run out or the attempts are used up.
 */
async function writeChunk(
  client: DynamoDBDocumentClient,
  tableName: string,
  items: readonly IngestItem[],
  options: WriteOptions,
): Promise<ChunkResult> {
  const maxAttempts = Math.max(1, options.maxAttempts ?? 6);
  const baseDelayMs = options.baseDelayMs ?? 50;
  const sleep = options.sleep ?? defaultSleep;
  const budget = options.budget ?? unbounded;
  const ids = (list: readonly IngestItem[]): string[] => list.map((item) => item.ID);
  let pending: readonly IngestItem[] = items;
  for (let attempt = 1; ; attempt++) {
    if (budget.leftMs() < MIN_CALL_MS) return { failed: ids(pending), stop: "deadline" };
    let unprocessed: readonly IngestItem[];
    let lastError: string | undefined;
    try {
      const out = await client.send(
        new BatchWriteCommand({ RequestItems: { [tableName]: pending.map((Item) => ({ PutRequest: { Item: { ...Item } } })) } }),
        { abortSignal: budget.signal() },
      );
      unprocessed = (out.UnprocessedItems?.[tableName] ?? []).flatMap((request) =>
        request.PutRequest?.Item ? [request.PutRequest.Item as IngestItem] : [],
      );
    } catch (err) {
      const name = err instanceof Error ? err.name : "";
      if (ITEM_ERRORS.has(name)) {
        if (pending.length === 1) {
          forItem(pending[0]).error(`Could not write item ${pending[0].ID}: ${errorName(err)}`, { event: "item_refused", itemId: pending[0].ID });
          return { failed: ids(pending), rejected: [{ id: pending[0].ID, reason: name, detail: err instanceof Error ? err.message : "" }] };
        }
        const failed: string[] = [];
        const rejected: Rejection[] = [];
        for (const [i, item] of pending.entries()) {
          const single = await writeChunk(client, tableName, [item], options);
          failed.push(...single.failed);
          rejected.push(...(single.rejected ?? []));
          if (single.stop) return { failed: [...failed, ...ids(pending.slice(i + 1))], rejected, stop: single.stop };
        }
        return { failed, rejected };
      }
      if (downstreamFault(err) === undefined) {
        // Access denied, no such table, a bug: every later chunk would fail the same way.
        log().error(`BatchWriteItem failed for ${pending.length} item(s): ${errorName(err)}`, { event: "write_failed", items: pending.length });
        return { failed: ids(pending), stop: "failing" };
      }
      unprocessed = pending;
      lastError = errorName(err);
    }
    if (unprocessed.length === 0) return { failed: [] };
    if (attempt >= maxAttempts) {
      log().error(`${unprocessed.length} item(s) still not written after ${attempt} BatchWriteItem calls` + (lastError ? ` (${lastError})` : ""), {
        event: "write_gave_up",
        items: unprocessed.length,
      });
      return { failed: ids(unprocessed), stop: "throttled" };
    }
    pending = unprocessed;
    const delay = Math.random() * baseDelayMs * 2 ** (attempt - 1);
    if (budget.leftMs() - delay < MIN_CALL_MS) return { failed: ids(pending), stop: "deadline" };
    await sleep(delay);
  }
}

/**
 * Writes `items` in chunks of 25 (one chunk after the other). Items sharing an
 * ID are written once (the last wins): BatchWriteItem rejects duplicate keys.
 * Returns the IDs that could not be written, including every item of the
 * chunks not tried once the writer stopped (out of time, throttled, failing).
 */
export async function writeItems(
  client: DynamoDBDocumentClient,
  tableName: string,
  items: readonly IngestItem[],
  options: WriteOptions = {},
): Promise<string[]> {
  return (await writeItemsReport(client, tableName, items, options)).failed;
}

/** What `writeItemsReport` could not write. */
export interface WriteReport {
  /** IDs not written, `rejected` included. */
  readonly failed: string[];
  /** IDs DynamoDB refused alone with an `ITEM_ERRORS` error, and why: they can never be stored. */
  readonly rejected: ReadonlyMap<string, Unstorable>;
}

/** `writeItems`, telling the items DynamoDB refused (never storable) from those not written for now. */
export async function writeItemsReport(
  client: DynamoDBDocumentClient,
  tableName: string,
  items: readonly IngestItem[],
  options: WriteOptions = {},
): Promise<WriteReport> {
  const unique = [...new Map(items.map((item) => [item.ID, item])).values()];
  const failed: string[] = [];
  const rejected = new Map<string, Unstorable>();
  let stop: StopReason | undefined;
  let untried = 0;
  for (const part of chunk(unique)) {
    if (stop) {
      failed.push(...part.map((item) => item.ID));
      untried += part.length;
      continue;
    }
    const result = await writeChunk(client, tableName, part, options);
    failed.push(...result.failed);
    for (const { id, reason, detail } of result.rejected ?? []) rejected.set(id, { reason, detail });
    stop = result.stop;
  }
  if (stop) {
    const exhausted = stop === "deadline";
    log().warn(`ingest stopped (${stop}): ${failed.length} not written`, {
      event: "ingest_stopped",
      reason: stop,
      notWritten: failed.length,
      untried,
      ...(exhausted ? outcomeField(OUTCOMES.budgetExhausted) : {}),
    });
    if (exhausted) log().count(OUTCOMES.budgetExhausted);
  }
  return { failed, rejected };
}

export interface IngestOptions extends WriteOptions {
  /**
   * Where a record the table can never store goes instead of `batchItemFailures`
   * (`sqsDeadLetterSender` in `dead-letter.ts`). @default none: such records are reported
   */
  readonly deadLetters?: DeadLetterSender;
  /** Named in each dead letter's requestContext. */
  readonly invocation?: InvocationInfo;
}

/**
 * The Lambda event in, the partial batch response (ReportBatchItemFailures)
 * out: the sequence numbers of the records not stored, in record order (Lambda
 * resumes from the lowest one; items written again there keep their IDs, so a
 * retry duplicates nothing). `options.budget` bounds the time.
 *
 * With `options.deadLetters`, a record whose item can never be stored (refused
 * before writing, or refused alone by DynamoDB) is dead-lettered and not
 * reported, in record order, until the first record that is reported: Lambda
 * delivers everything after that one again anyway, so a later poison record
 * is reported too and dead-lettered on that delivery, not twice. A send that
 * fails (throttled, timed out, refused, no time left) reports its record.
 * When DynamoDB refused every item it was given (more than one, none stored),
 * the cause is the table or the request, not the records: nothing is
 * dead-lettered, every record is reported (Lambda retries, then the mapping
 * sends its own batch pointer).
 */
export async function handleKinesisEvent(
  client: DynamoDBDocumentClient,
  tableName: string,
  event: KinesisStreamEvent,
  options: IngestOptions = {},
): Promise<KinesisStreamBatchResponse> {
  const lambdaRecords = event.Records ?? [];
  const records = lambdaRecords.map(fromLambdaRecord);
  const items = records.map(toItem);
  const refused = new Map<string, Unstorable>();
  for (const item of items) {
    const why = unstorable(item);
    if (why) {
      // As the writer logs an item DynamoDB refused: its ID and why, never its payload.
      forItem(item).error(`Could not write item ${item.ID}: ${why.reason}: ${why.detail}`, { event: "item_refused", itemId: item.ID });
      refused.set(item.ID, why);
    }
  }
  const writable = items.filter((item) => !refused.has(item.ID));
  const report = await writeItemsReport(client, tableName, writable, options);
  const notWritten = new Set([...report.failed, ...refused.keys()]);
  // Every item of several refused one by one: the table, not the records (its key schema, a missing
  // attribute definition), so nothing is dead-lettered and everything is reported for Lambda to retry.
  // A batch of one cannot tell the two apart: its record is dead-lettered (the DLQ alarm fires either way).
  const uniqueWritable = new Set(writable.map((item) => item.ID)).size;
  const tableRefusesAll = uniqueWritable > 1 && report.rejected.size === uniqueWritable;
  if (tableRefusesAll && options.deadLetters) {
    log().warn("dead letters skipped: DynamoDB refused every item it was given", { event: "dead_letters_skipped", refused: report.rejected.size });
  }
  const never = new Map([...refused, ...(tableRefusesAll ? [] : report.rejected)]);

  const budget = options.budget ?? unbounded;
  const deadLettered = new Set<string>();
  const failed: string[] = [];
  // Set by the first reported record: Lambda delivers every later record again, so none is dead-lettered now.
  let resumesHere = false;
  for (const [i, record] of records.entries()) {
    const id = items[i].ID;
    if (!notWritten.has(id) || deadLettered.has(id)) continue;
    const why = never.get(id);
    if (why && options.deadLetters && !resumesHere) {
      const sent = await sendDeadLetter(options.deadLetters, record, lambdaRecords[i].eventSourceARN, why, budget, options.invocation);
      if (sent) {
        deadLettered.add(id);
        continue;
      }
    }
    failed.push(record.sequenceNumber);
    resumesHere = true;
  }
  const stored = records.length - failed.length - deadLettered.size;
  // The batch's requests, so each one's id finds this line (the first 100: a line stays small whatever the batch size).
  const correlationIds = [...new Set(records.flatMap((r) => (r.correlationId ? [r.correlationId] : [])))].slice(0, 100);
  log().info(`batch: ${stored} of ${records.length} stored`, {
    event: "batch_done",
    received: records.length,
    stored,
    deadLettered: deadLettered.size,
    failed: failed.length,
    correlation_ids: correlationIds,
    duration_ms: log().elapsedMs(),
  });
  log().count(OUTCOMES.stored, stored);
  log().count(OUTCOMES.retryReported, failed.length);
  return { batchItemFailures: failed.map((itemIdentifier) => ({ itemIdentifier })) };
}

/** Sends one record's dead letter and logs it (one JSON line either way); false when it was not sent. */
async function sendDeadLetter(
  send: DeadLetterSender,
  record: StreamRecord,
  streamArn: string | undefined,
  why: Unstorable,
  budget: WriteBudget,
  invocation: InvocationInfo | undefined,
): Promise<boolean> {
  const where = { shardId: record.shardId, sequenceNumber: record.sequenceNumber, reason: why.reason };
  const scope = record.correlationId ? log().forRecord(record.correlationId) : log();
  let error: string;
  if (!streamArn) {
    error = "the record names no stream (eventSourceARN)";
  } else if (budget.leftMs() < MIN_CALL_MS) {
    error = "no time left before the deadline";
  } else {
    try {
      await send(recordDeadLetter(record, streamArn, why, invocation), budget.signal());
      scope.warn(`dead-lettered ${record.shardId}:${record.sequenceNumber}: ${why.reason}`, { event: "dead_lettered", ...where, ...outcomeField(OUTCOMES.deadLettered) });
      scope.deadLettered(deadLetterReason(why.reason));
      return true;
    } catch (err) {
      error = errorName(err);
    }
  }
  scope.error(`dead letter not sent: ${error}`, { event: "dead_letter_failed", ...where, error, then: "reported in batchItemFailures" });
  return false;
}
