/**
 * Lambda entry of `sqs2upstream` (SQS event source mapping with
 * `ReportBatchItemFailures`): replays queued webhooks to the upstream. The
 * logic lives in `deliver.ts`.
 *
 * Environment, read on each call so tests can set it:
 * - `UPSTREAM`: the upstream host (the seed's variable), see `parseUpstream`.
 * - `UPSTREAM_TIMEOUT_MS`: longest wait for one delivery; the stack sets it
 *   below the function timeout. @default 2000
 */
import type { Context, SQSBatchResponse, SQSEvent } from "aws-lambda";
import { parseUpstream, processRecords } from "./deliver";

export const DEFAULT_UPSTREAM_TIMEOUT_MS = 2000;

export async function handler(event: SQSEvent, context: Context): Promise<SQSBatchResponse> {
  // A missing or invalid UPSTREAM throws: the whole batch returns to the queue (and alarms on Errors).
  const upstream = parseUpstream(process.env.UPSTREAM ?? "");
  const timeoutMs = Number(process.env.UPSTREAM_TIMEOUT_MS || DEFAULT_UPSTREAM_TIMEOUT_MS);
  return processRecords(event.Records, {
    upstream,
    timeoutMs,
    remainingTimeMs: () => context.getRemainingTimeInMillis(),
  });
}
