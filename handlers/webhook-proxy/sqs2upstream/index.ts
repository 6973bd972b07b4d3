/**
 * Lambda entry of `sqs2upstream` (SQS event source mapping with
 * `ReportBatchItemFailures`): replays queued webhooks to the upstream. The
 * logic lives in `deliver.ts`.
 *
 * Environment (`../../shared/env`), read on each call so tests can set it:
 * - `UPSTREAM`: the upstream host (the seed's variable), see `parseUpstream`.
 * - `UPSTREAM_TIMEOUT_MS`: longest wait for one delivery, a whole number of ms;
 *   the stack sets it below the function timeout. @default 2000
 * - `MAX_RECEIVE_COUNT`: the queue's redrive `maxReceiveCount` (1 to 1,000, SQS's range): a record failing
 *   on that receive is counted `DeadLettered` and logged as `dead_lettered`. @default unset: not counted
 *   (the pattern leaves it unset with `existingQueue`, whose redrive is the user's)
 * A missing or invalid setting is logged as `config_error` and fails the
 * invocation: the whole batch returns to the queue (and the Errors alarm fires).
 */
import type { Context, SQSBatchResponse, SQSEvent } from "aws-lambda";
import { integer, optionalString, readSettings, requiredString } from "../../shared/env";
import { Telemetry } from "../../shared/observability";
import { MAX_FUNCTION_TIMEOUT_MS } from "../../shared/time-budget";
import { parseUpstream, processRecords } from "./deliver";

export const DEFAULT_UPSTREAM_TIMEOUT_MS = 2000;

const telemetry = new Telemetry("webhook-proxy");

/** Lines about the batch carry the invocation's id as their correlation id; lines about one message, its request's. */
export async function handler(event: SQSEvent, context: Context): Promise<SQSBatchResponse> {
  return telemetry.run(context, context?.awsRequestId ?? "batch", async (scope) => {
    const response = await handle(event, context);
    const failed = response.batchItemFailures.length;
    scope.info(`batch: ${event.Records.length - failed} of ${event.Records.length} delivered`, {
      event: "batch_done",
      received: event.Records.length,
      failed,
      duration_ms: scope.elapsedMs(),
    });
    return response;
  });
}

async function handle(event: SQSEvent, context: Context): Promise<SQSBatchResponse> {
  const { upstream, timeoutMs, maxReceiveCount } = readSettings(() => ({
    upstream: parseUpstream(requiredString("UPSTREAM")),
    timeoutMs: integer("UPSTREAM_TIMEOUT_MS", { min: 1, max: MAX_FUNCTION_TIMEOUT_MS, default: DEFAULT_UPSTREAM_TIMEOUT_MS }),
    maxReceiveCount: optionalString("MAX_RECEIVE_COUNT", { default: "" }) === "" ? undefined : integer("MAX_RECEIVE_COUNT", { min: 1, max: 1000 }),
  }));
  return processRecords(event.Records, {
    upstream,
    timeoutMs,
    maxReceiveCount,
    remainingTimeMs: () => context.getRemainingTimeInMillis(),
  });
}
