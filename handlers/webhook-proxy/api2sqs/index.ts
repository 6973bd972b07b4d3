/**
 * Lambda entry of `api2sqs` (HTTP API `POST /`, payload format 2.0): queues
 * the webhook and answers 202. The logic lives in `enqueue.ts`.
 *
 * Environment (`../../shared/env`), read on each call inside the error boundary,
 * so a missing or invalid setting is a logged `config_error` and a 500 (the sender retries):
 * - `SQS_URL`: the proxy queue's URL (the seed's variable).
 * - `MAX_MESSAGE_BYTES`: the queue's `max_message_size`, 1,024 to 1,048,576 (SQS's limits). @default 262144
 * - `FORWARD_HEADERS`: comma-separated allow-list of the headers queued (and so forwarded); empty: all
 *   but the deny-list's (`../message.ts`). @default ""
 * - `SIGNATURE_*`: the optional signature check before queueing (`signature.ts`).
 */
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from "aws-lambda";
import { integer, lazy, requiredString } from "../../shared/env";
import { apiGatewayCorrelationId, withCorrelationHeader } from "../../shared/correlation";
import { answer } from "../../shared/http";
import { Telemetry } from "../../shared/observability";
import { sqsClient } from "../../shared/sqs-client";
import { Deadline } from "../../shared/time-budget";
import { allowHeadersFromEnv, DEFAULT_MAX_MESSAGE_BYTES, enqueueWebhook } from "./enqueue";
import { rejectUnsigned } from "./signature";

// One client per container, built on first use and reused; timeouts and retries sized to the function's.
const sqs = lazy(() => sqsClient());
const telemetry = new Telemetry("webhook-proxy");

export async function handler(event: APIGatewayProxyEventV2, context?: Context): Promise<APIGatewayProxyStructuredResultV2> {
  const correlationId = apiGatewayCorrelationId(event);
  return telemetry.run(context, correlationId, async (scope) => {
    const response = await accept(event, context);
    scope.info(`answered ${response.statusCode}`, { event: "answered", status: response.statusCode, duration_ms: scope.elapsedMs() });
    return withCorrelationHeader(response, correlationId);
  });
}

async function accept(event: APIGatewayProxyEventV2, context?: Context): Promise<APIGatewayProxyStructuredResultV2> {
  // `answer` turns anything unexpected into a 500 without leaking a stack trace: the sender retries.
  return answer(async () => {
    const queueUrl = requiredString("SQS_URL");
    const maxMessageBytes = integer("MAX_MESSAGE_BYTES", { min: 1024, max: 1_048_576, default: DEFAULT_MAX_MESSAGE_BYTES });
    const allowHeaders = allowHeadersFromEnv(process.env);
    const deadline = Deadline.of(context);
    // The signature check's secret read gets at most 2 s of the deadline; queueing gets what is left.
    return (
      (await rejectUnsigned(event, process.env, { deadline })) ??
      enqueueWebhook(event, { sqs: sqs(), queueUrl, maxMessageBytes, allowHeaders, signal: () => deadline.signal() })
    );
  });
}
