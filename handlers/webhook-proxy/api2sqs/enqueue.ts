/**
 * `api2sqs`'s logic: record the webhook exactly (`../message.ts`), queue it,
 * answer fast. A plain function taking its SQS client, so tests run it against
 * a local SQS engine; `index.ts` is the thin Lambda entry.
 *
 * Answers (the sender's retry logic depends on them):
 * - 202 `{ messageId }`: queued; delivery to the upstream happens later.
 * - 413 `{ message }`: the recorded request does not fit in one SQS message.
 * - 503 `{ message }`: SQS refused or failed; nothing was queued, the sender should retry.
 *
 * The body is opaque: malformed JSON is forwarded as is, since the upstream
 * (which verifies signatures and parses) is the one to judge it.
 */
import type { APIGatewayProxyEventV2 } from "aws-lambda";
import { SendMessageCommand, SQSClient } from "@aws-sdk/client-sqs";
import { errorResponse, jsonResponse, JsonResponse } from "../../shared/http";
import { messageFromRequest, serializeMessage, WebhookMessage } from "../message";

/** SQS's message size limit, and the queue's `max_message_size` the stack sets. */
export const DEFAULT_MAX_MESSAGE_BYTES = 262_144;

export interface EnqueueDeps {
  readonly sqs: SQSClient;
  readonly queueUrl: string;
  /** Largest SQS message body accepted, in bytes. @default DEFAULT_MAX_MESSAGE_BYTES */
  readonly maxMessageBytes?: number;
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
    const sent = await deps.sqs.send(new SendMessageCommand({ QueueUrl: deps.queueUrl, MessageBody: body }));
    messageId = sent.MessageId;
  } catch (err) {
    // A 5xx, never a 2xx: the sender still holds the webhook and retries it.
    console.error(JSON.stringify({ event: "enqueue_failed", requestId: message.requestId, error: String(err) }));
    return errorResponse(503, "The webhook could not be queued; please retry", { "retry-after": "1" });
  }
  console.log(JSON.stringify({ event: "webhook_queued", requestId: message.requestId, messageId, size }));
  return jsonResponse(202, { messageId });
}
