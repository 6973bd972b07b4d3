/**
 * `api2sqs`'s logic: record the webhook exactly (`../message.ts`), queue it,
 * answer fast. A plain function taking its SQS client, so tests run it against
 * a local SQS engine; `index.ts` is the thin Lambda entry.
 *
 * Answers (the sender's retry logic depends on them):
 * - 202 `{ messageId }`: queued; delivery to the upstream happens later.
 * - 413 `{ message }`: the recorded request does not fit in one SQS message.
 * - 400 `{ message }`: the path, query, a header or a text body holds an unpaired UTF-16
 *   surrogate (`unsendablePart`): it has no UTF-8 form, so no request could replay it.
 * - 400 `{ message }`: SQS refused the message's contents (`InvalidMessageContents`).
 *   `serializeMessage` escapes every character SQS documents as refused, so
 *   this is only for a refusal it does not foresee: the same request would be
 *   refused again, so a 503 would have the sender retry it forever.
 * - 503 / 504 `{ message }` with `Retry-After`: SQS throttled, failed or did not
 *   answer in time (504); nothing was queued, the sender should retry.
 *
 * The body is opaque: malformed JSON is forwarded as is, since the upstream
 * (which verifies signatures and parses) is the one to judge it.
 */
import { correlationAttribute } from "../../shared/correlation";
import { log } from "../../shared/observability";
import type { APIGatewayProxyEventV2 } from "aws-lambda";
import { SendMessageCommand, SQSClient } from "@aws-sdk/client-sqs";
import { downstreamFault, faultAnswer } from "../../shared/downstream";
import { ConfigError, type Environment, optionalString } from "../../shared/env";
import { errorResponse, jsonResponse, JsonResponse } from "../../shared/http";
import { messageFromRequest, serializeMessage, unsendablePart } from "../message";

/** SQS's message size limit, and the queue's `max_message_size` the stack sets. */
export const DEFAULT_MAX_MESSAGE_BYTES = 262_144;

export interface EnqueueDeps {
  readonly sqs: SQSClient;
  readonly queueUrl: string;
  /** Largest SQS message body accepted, in bytes. @default DEFAULT_MAX_MESSAGE_BYTES */
  readonly maxMessageBytes?: number;
  /** Aborts the SendMessage call when the invocation's time for work ends. @default none */
  readonly signal?: () => AbortSignal;
  /** Only these headers (lower case) are queued; the deny-list applies either way. @default every header but the deny-list's */
  readonly allowHeaders?: ReadonlySet<string>;
}

/** An HTTP header name (RFC 9110 token), as `FORWARD_HEADERS` lists them. */
const HEADER_NAME = /^[a-z0-9!#$%&'*+.^_`|~-]+$/;

/**
 * `FORWARD_HEADERS`: a comma-separated allow-list of header names, or empty
 * (every header but the deny-list's). A name that is no header name is a ConfigError.
 */
export function allowHeadersFromEnv(env: Environment): ReadonlySet<string> | undefined {
  const text = optionalString("FORWARD_HEADERS", { default: "" }, env);
  const names = text.split(",").map((n) => n.trim().toLowerCase()).filter((n) => n !== "");
  if (names.length === 0) return undefined;
  const bad = names.find((n) => !HEADER_NAME.test(n));
  if (bad !== undefined) throw new ConfigError("FORWARD_HEADERS", `FORWARD_HEADERS must list header names separated by commas, got "${bad.slice(0, 40)}".`);
  return new Set(names);
}

/** SQS's answer to a message body it does not accept (characters outside its allowed set). */
function isInvalidMessageContents(err: unknown): boolean {
  if (typeof err !== "object" || err === null) return false;
  const e = err as { name?: unknown; Code?: unknown };
  return e.name === "InvalidMessageContents" || e.Code === "InvalidMessageContents";
}

export async function enqueueWebhook(event: APIGatewayProxyEventV2, deps: EnqueueDeps): Promise<JsonResponse> {
  const message = messageFromRequest(event, deps.allowHeaders);
  const unsendable = unsendablePart(message);
  if (unsendable !== undefined) {
    log().warn("webhook_not_unicode", { event: "webhook_not_unicode", requestId: message.requestId, part: unsendable });
    return errorResponse(400, `The webhook was not queued: ${unsendable} is not valid Unicode text (it holds an unpaired UTF-16 surrogate, which has no UTF-8 form)`);
  }
  // SQS-safe: characters SQS refuses are \uXXXX escapes in the JSON, restored by the consumer's JSON.parse.
  const body = serializeMessage(message);
  const size = Buffer.byteLength(body, "utf8");
  const limit = deps.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES;
  if (size > limit) {
    log().warn("webhook_too_large", { event: "webhook_too_large", requestId: message.requestId, size, limit });
    return errorResponse(
      413,
      `Webhook too large to queue: the recorded request is ${size} bytes, the limit is ${limit} bytes`
    );
  }

  let messageId: string | undefined;
  try {
    const sent = await deps.sqs.send(new SendMessageCommand({ QueueUrl: deps.queueUrl, MessageBody: body, MessageAttributes: correlationAttribute(message.requestId) }), {
      abortSignal: deps.signal?.(),
    });
    messageId = sent.MessageId;
  } catch (err) {
    if (isInvalidMessageContents(err)) {
      // The request itself is what SQS refuses: a retry would be refused again.
      log().warn("webhook_refused_by_queue", { event: "webhook_refused_by_queue", requestId: message.requestId, error: String(err) });
      return errorResponse(400, "The webhook holds characters the queue does not accept; it was not queued");
    }
    // A 5xx, never a 2xx: the sender still holds the webhook and retries it.
    const fault = downstreamFault(err);
    log().error("enqueue_failed", { event: "enqueue_failed", requestId: message.requestId, fault, error: String(err) });
    if (fault === "timeout") {
      const { statusCode, headers } = faultAnswer(fault, "The queue");
      return errorResponse(statusCode, "The webhook could not be queued in time; please retry", headers);
    }
    return errorResponse(503, "The webhook could not be queued; please retry", { "retry-after": "1" });
  }
  log().info("webhook_queued", { event: "webhook_queued", requestId: message.requestId, messageId, size });
  return jsonResponse(202, { messageId });
}
