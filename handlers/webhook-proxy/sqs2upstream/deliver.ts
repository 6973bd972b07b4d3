/**
 * `sqs2upstream`'s logic: replay each queued webhook to the upstream and
 * report which ones did not arrive, so SQS deletes only delivered messages.
 *
 * The seed fired `https.request` without awaiting it and swallowed errors: the
 * invocation ended (and SQS deleted the message) before the request was even
 * sent. Here every delivery is awaited, bounded by a timeout shorter than the
 * function's, and anything but a 2xx answer is a failure reported in
 * `batchItemFailures` (`ReportBatchItemFailures`): those messages return to the
 * queue after the visibility timeout and reach the DLQ after `maxReceiveCount`.
 *
 * Plain functions with their configuration as arguments; `index.ts` is the
 * thin Lambda entry.
 */
import { sqsCorrelationId } from "../../shared/correlation";
import { log, outcomeField, statusClassOf } from "../../shared/observability";
import { CORRELATION_HEADER, type DeadLetterReason, OUTCOMES } from "../../shared/outcomes";
import type { SQSBatchItemFailure, SQSBatchResponse, SQSRecord } from "aws-lambda";
import * as http from "node:http";
import * as https from "node:https";
import { ConfigError } from "../../shared/env";
import { bodyBytes, MalformedMessageError, parseMessage, unicodeText, upstreamRequestHeaders, WebhookMessage } from "../message";

/** Where webhooks are replayed to. */
export interface Upstream {
  readonly protocol: "https:" | "http:";
  readonly hostname: string;
  readonly port: number;
  /** Path prefix on the upstream, without a trailing slash; `""` for none. */
  readonly basePath: string;
}

/**
 * Reads the `UPSTREAM` setting: a host name as in the seed (`example.com`,
 * HTTPS on 443), optionally with a port and a base path
 * (`example.com:8443/hooks`), or a full `http(s)://` URL (local tests use
 * `http://127.0.0.1:<port>`; the stack's variable admits only HTTPS hosts). Anything else is a ConfigError.
 */
export function parseUpstream(value: string): Upstream {
  const trimmed = value.trim();
  if (trimmed === "") throw new ConfigError("UPSTREAM", "UPSTREAM is empty");
  let url: URL;
  try {
    url = new URL(/^[a-z][a-z0-9+.-]*:\/\//i.test(trimmed) ? trimmed : `https://${trimmed}`);
  } catch {
    throw new ConfigError("UPSTREAM", `UPSTREAM is not a host name or URL: "${value}"`);
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") {
    throw new ConfigError("UPSTREAM", `UPSTREAM must use https (or http for local tests), got "${url.protocol}"`);
  }
  if (url.search || url.hash || url.username || url.password) {
    throw new ConfigError("UPSTREAM", `UPSTREAM must not carry a query, fragment or credentials: "${value}"`);
  }
  return {
    protocol: url.protocol,
    hostname: url.hostname.replace(/^\[(.*)\]$/, "$1"),
    port: url.port ? Number(url.port) : url.protocol === "https:" ? 443 : 80,
    basePath: url.pathname.replace(/\/+$/, ""),
  };
}

/**
 * The upstream request target: the base path joined with the received path
 * (the seed sent `process.env.PATH`, the Lambda runtime's executable search
 * path), plus the raw query string. A path or query with no UTF-8 form is a
 * `MalformedMessageError` (`unicodeText`), not `encodeURIComponent`'s URIError.
 */
export function upstreamTarget(upstream: Upstream, message: WebhookMessage): string {
  const received = unicodeText(message.path, "the path");
  const path = upstream.basePath !== "" && received === "/" ? upstream.basePath : upstream.basePath + received;
  const target = message.query !== "" ? `${path}?${unicodeText(message.query, "the query string")}` : path;
  // Node refuses a request target with spaces, controls or characters above U+00FF: percent-encode just those.
  return target.replace(/[^\x21-\x7e]/gu, (c) => encodeURIComponent(c));
}

/** A header value that could not be sent: a warning, and the `HeadersDropped` metric. */
function reportDroppedHeader(name: string): void {
  const scope = log();
  scope.warn(`header ${name} dropped`, {
    event: "header_dropped",
    reason: "value holds control characters no HTTP client can send",
    header: name,
    ...outcomeField(OUTCOMES.headersDropped),
  });
  scope.count(OUTCOMES.headersDropped);
}

/** A delivery that did not end with a 2xx answer. */
export class DeliveryError extends Error {
  constructor(message: string, readonly statusCode?: number) {
    super(message);
    this.name = "DeliveryError";
  }
}

/*
 * One connection per delivery. A kept-alive socket from a container Lambda
 * froze is often dead when it thaws, and a failed reuse would count as a
 * failed delivery; at the bounded rate this proxy exists to keep, a new
 * connection per webhook costs little.
 */
const agents = {
  "https:": new https.Agent({ keepAlive: false }),
  "http:": new http.Agent({ keepAlive: false }),
};

/**
 * Sends one webhook and resolves with the upstream's 2xx status once the
 * whole answer arrived; rejects with `DeliveryError` on any other status, a
 * network error, or when `timeoutMs` passes first (the request is destroyed).
 */
export function deliver(message: WebhookMessage, upstream: Upstream, timeoutMs: number, correlationId?: string): Promise<number> {
  const body = bodyBytes(message);
  const headers = {
    ...upstreamRequestHeaders(message, reportDroppedHeader),
    // The request's id, for the upstream's own logs (it replaces one the sender may have sent).
    [CORRELATION_HEADER]: correlationId ?? message.requestId,
    "content-length": String(body.length),
  };
  const request = upstream.protocol === "https:" ? https.request : http.request;

  return new Promise<number>((resolve, reject) => {
    let settled = false;
    const settle = (err: Error | undefined, status?: number): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (err) reject(err);
      else resolve(status as number);
    };

    const req = request({
      protocol: upstream.protocol,
      hostname: upstream.hostname,
      port: upstream.port,
      method: message.method,
      path: upstreamTarget(upstream, message),
      headers,
      agent: agents[upstream.protocol],
      // Host is taken from `hostname`/`port`: the sender's Host header named API Gateway, not the upstream.
      setHost: true,
    });
    const timer = setTimeout(() => {
      const err = new DeliveryError(`upstream did not answer within ${timeoutMs} ms`);
      settle(err);
      req.destroy(err);
    }, timeoutMs);

    req.on("error", (err) =>
      settle(err instanceof DeliveryError ? err : new DeliveryError(`request failed: ${err.message}`))
    );
    req.on("response", (res) => {
      const status = res.statusCode ?? 0;
      res.on("error", (err) => settle(new DeliveryError(`answer failed: ${err.message}`, status)));
      // Read the whole answer: a 2xx counts once the upstream finished responding.
      res.resume();
      res.on("end", () => {
        if (status >= 200 && status < 300) settle(undefined, status);
        else settle(new DeliveryError(`upstream answered ${status}`, status));
      });
    });
    req.end(body);
  });
}

export interface ProcessOptions {
  readonly upstream: Upstream;
  /** Longest wait for one delivery, in milliseconds. */
  readonly timeoutMs: number;
  /** Milliseconds left before Lambda stops the invocation (`context.getRemainingTimeInMillis`). */
  readonly remainingTimeMs: () => number;
  /** Time kept free at the end of the invocation to return the batch response. @default 250 */
  readonly safetyMarginMs?: number;
  /**
   * The queue's `maxReceiveCount`: a record failing on that receive is moved to the
   * dead-letter queue by SQS, so it is counted `DeadLettered` here. @default unknown: not counted
   */
  readonly maxReceiveCount?: number;
}

/** The request id a queued message records, if its body is one of ours (read before the full parse). */
function bodyRequestId(body: string): string | undefined {
  try {
    const parsed = JSON.parse(body) as { requestId?: unknown };
    return typeof parsed.requestId === "string" ? parsed.requestId : undefined;
  } catch {
    return undefined;
  }
}

/** A delivery is not started with less time than this left: it would time out anyway. */
const MIN_ATTEMPT_MS = 100;

/**
 * Delivers the records one after another (so in-flight upstream requests never
 * exceed the function's concurrency: the rate bound this proxy exists for) and
 * returns the ids of those that failed. A malformed message (not one of ours,
 * or holding text no request can carry) is never sent: it fails every receive
 * without calling the upstream, and SQS keeps it in the DLQ, never dropped.
 */
export async function processRecords(
  records: readonly SQSRecord[],
  options: ProcessOptions
): Promise<SQSBatchResponse> {
  const margin = options.safetyMarginMs ?? 250;
  const batchItemFailures: SQSBatchItemFailure[] = [];
  for (const record of records) {
    const fields = { messageId: record.messageId, receiveCount: Number(record.attributes?.ApproximateReceiveCount ?? 0) };
    const scope = log().forRecord(sqsCorrelationId(record, bodyRequestId(record.body)));
    const failed = (reason: DeadLetterReason): void => {
      batchItemFailures.push({ itemIdentifier: record.messageId });
      const max = options.maxReceiveCount;
      if (max === undefined || fields.receiveCount < max) return;
      // Its last receive: SQS moves it to the dead-letter queue rather than deliver it again.
      scope.warn(`dead-lettered after ${fields.receiveCount} receives: ${reason}`, { event: "dead_lettered", reason, maxReceiveCount: max, ...fields, ...outcomeField(OUTCOMES.deadLettered) });
      scope.deadLettered(reason);
    };
    await scope.within(async () => {
      try {
        const message = parseMessage(record.body);
        const budget = Math.min(options.timeoutMs, options.remainingTimeMs() - margin);
        if (budget < MIN_ATTEMPT_MS) {
          scope.warn("delivery skipped: invocation out of time", { event: "delivery_skipped", reason: "invocation out of time", ...fields, ...outcomeField(OUTCOMES.budgetExhausted) });
          scope.count(OUTCOMES.budgetExhausted);
          return failed("NotDelivered");
        }
        const status = await deliver(message, options.upstream, budget, scope.correlationId);
        scope.delivery(statusClassOf(status));
        scope.info(`delivered ${status}`, { event: "delivered", requestId: message.requestId, status, ...fields });
      } catch (err) {
        if (err instanceof MalformedMessageError) {
          // The same message fails every receive: the upstream is not called for it.
          scope.error(`message not delivered: ${err.message}`, { event: "malformed_message", error: err.message, ...fields });
          return failed("MalformedMessage");
        }
        const status = err instanceof DeliveryError ? err.statusCode : undefined;
        if (err instanceof DeliveryError) scope.delivery(statusClassOf(status));
        scope.error(`delivery failed: ${String(err)}`, { event: "delivery_failed", error: String(err), status, ...fields });
        failed("NotDelivered");
      }
    });
  }
  log().count(OUTCOMES.retryReported, batchItemFailures.length);
  return { batchItemFailures };
}
