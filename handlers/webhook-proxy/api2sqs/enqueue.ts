/**
 * `api2sqs`'s logic: record the webhook exactly (`../message.ts`), queue it,
 * answer fast. A plain function taking its SQS client, so tests run it against
 * a local SQS engine; `index.ts` is the thin Lambda entry.
 *
 * Answers (the sender's retry logic depends on them):
 * - 202 `{ messageId }`: queued; delivery to the upstream happens later.
 * - 413 `{ message }`: the recorded request does not fit in one SQS message.
 * - 503 / 504 `{ message }` with `Retry-After`: SQS throttled, failed or did not
 *   answer in time (504); nothing was queued, the sender should retry.
 *
 * The body is opaque: malformed JSON is forwarded as is, since the upstream
 * (which verifies signatures and parses) is the one to judge it.
 */
import type { APIGatewayProxyEventV2 } from "aws-lambda";
import { SendMessageCommand, SQSClient } from "@aws-sdk/client-sqs";
import { downstreamFault, faultAnswer } from "../../shared/downstream";
import { errorResponse, jsonResponse, JsonResponse } from "../../shared/http";
import { messageFromRequest, serializeMessage, WebhookMessage } from "../message";

/** SQS's message size limit, and the queue's `max_message_size` the stack sets. */
export const DEFAULT_MAX_MESSAGE_BYTES = 262_144;

export interface EnqueueDeps {
  readonly sqs: SQSClient;
  readonly queueUrl: string;
  /** Largest SQS message body accepted, in bytes. @default DEFAULT_MAX_MESSAGE_BYTES */
  readonly maxMessageBytes?: number;
  /** Aborts the SendMessage call when the invocation's time for work ends. @default none */
  readonly signal?: () => AbortSignal;
}

/**
 * Characters SQS refuses in a message body that `JSON.stringify` leaves
 * unescaped (it escapes control characters and lone surrogates already).
 */
const NOT_ALLOWED_BY_SQS = /[\uFFFE\uFFFF]/;

/** A text body SQS would refuse travels as base64 of its UTF-8 bytes instead: same bytes upstream. */
function sqsSafe(message: WebhookMessage): WebhookMessage {
  if (message.bodyEncoding === "base64" || !NOT_ALLOWED_BY_SQS.test(message.body)) return message;
  return { ...message, body: Buffer.from(message.body, "utf8").toString("base64"), bodyEncoding: "base64" };
}

export async function enqueueWebhook(event: APIGatewayProxyEventV2, deps: EnqueueDeps): Promise<JsonResponse> {
  const message = sqsSafe(messageFromRequest(event));
  const body = serializeMessage(message);
  const size = Buffer.byteLength(body, "utf8");
  const limit = deps.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES;
  if (size > limit) {
    console.warn(JSON.stringify({ event: "webhook_too_large", requestId: message.requestId, size, limit }));
    return errorResponse(
      413,
      `Webhook too large to queue: the recorded request is ${size} bytes, the limit is ${limit} bytes`
    );
  }

  let messageId: string | undefined;
  try {
    const sent = await deps.sqs.send(new SendMessageCommand({ QueueUrl: deps.queueUrl, MessageBody: body }), {
      abortSignal: deps.signal?.(),
    });
    messageId = sent.MessageId;
  } catch (err) {
    // A 5xx, never a 2xx: the sender still holds the webhook and retries it.
    const fault = downstreamFault(err);
    console.error(JSON.stringify({ event: "enqueue_failed", requestId: message.requestId, fault, error: String(err) }));
    if (fault === "timeout") {
      const { statusCode, headers } = faultAnswer(fault, "The queue");
      return errorResponse(statusCode, "The webhook could not be queued in time; please retry", headers);
    }
    return errorResponse(503, "The webhook could not be queued; please retry", { "retry-after": "1" });
  }
  console.log(JSON.stringify({ event: "webhook_queued", requestId: message.requestId, messageId, size }));
  return jsonResponse(202, { messageId });
}
