/**
 * Lambda entry of `sqs2upstream` (SQS event source mapping with
 * `ReportBatchItemFailures`): replays queued webhooks to the upstream. The
 * logic lives in `deliver.ts`.
 *
 * Environment (`../../shared/env`), read on each call so tests can set it:
 * - `UPSTREAM`: the upstream host (the seed's variable), see `parseUpstream`.
 * - `UPSTREAM_TIMEOUT_MS`: longest wait for one delivery, a whole number of ms;
 *   the stack sets it below the function timeout. @default 2000
 * A missing or invalid setting is logged as `config_error` and fails the
 * invocation: the whole batch returns to the queue (and the Errors alarm fires).
 */
import type { Context, SQSBatchResponse, SQSEvent } from "aws-lambda";
import { integer, readSettings, requiredString } from "../../shared/env";
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
  const { upstream, timeoutMs } = readSettings(() => ({
    upstream: parseUpstream(requiredString("UPSTREAM")),
    timeoutMs: integer("UPSTREAM_TIMEOUT_MS", { min: 1, max: MAX_FUNCTION_TIMEOUT_MS, default: DEFAULT_UPSTREAM_TIMEOUT_MS }),
  }));
  return processRecords(event.Records, {
    upstream,
    timeoutMs,
    remainingTimeMs: () => context.getRemainingTimeInMillis(),
  });
}
