/**
 * Lambda entry of `api2sqs` (HTTP API `POST /`, payload format 2.0): queues
 * the webhook and answers 202. The logic lives in `enqueue.ts`.
 *
 * Environment, read on each call so tests can set it:
 * - `SQS_URL`: the proxy queue's URL (the seed's variable).
 * - `MAX_MESSAGE_BYTES`: the queue's `max_message_size`. @default 262144
 * - `SIGNATURE_*`: the optional signature check before queueing (`signature.ts`).
 */
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from "aws-lambda";
import { answer, errorResponse } from "../../shared/http";
import { sqsClient } from "../../shared/sqs-client";
import { Deadline } from "../../shared/time-budget";
import { DEFAULT_MAX_MESSAGE_BYTES, enqueueWebhook } from "./enqueue";
import { rejectUnsigned } from "./signature";

// Module scope: one client per container, reused across invocations; timeouts and retries sized to the function's.
const sqs = sqsClient();

export async function handler(event: APIGatewayProxyEventV2, context?: Context): Promise<APIGatewayProxyStructuredResultV2> {
  const deadline = Deadline.of(context);
  const queueUrl = process.env.SQS_URL;
  if (!queueUrl) {
    console.error("SQS_URL is not set");
    return errorResponse(500, "Internal server error");
  }
  const maxMessageBytes = Number(process.env.MAX_MESSAGE_BYTES || DEFAULT_MAX_MESSAGE_BYTES);
  // `answer` turns anything unexpected into a 500 without leaking a stack trace: the sender retries.
  return answer(async () => (await rejectUnsigned(event)) ?? enqueueWebhook(event, { sqs, queueUrl, maxMessageBytes, signal: () => deadline.signal() }));
}
