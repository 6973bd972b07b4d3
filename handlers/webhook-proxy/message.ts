/**
 * The queue message both functions agree on: one received webhook, recorded
 * exactly enough to replay it to the upstream byte for byte.
 *
 * `api2sqs` writes it (`messageFromRequest`), `sqs2upstream` reads it
 * (`parseMessage`) and turns it back into a request (`upstreamRequestHeaders`,
 * `bodyBytes`). The body is never parsed: webhook signatures (Stripe, GitHub,
 * SendGrid, ...) are computed over the exact bytes, which the seed's
 * `JSON.parse` / `JSON.stringify` round trip destroyed.
 */
import type { APIGatewayProxyEventV2 } from "aws-lambda";
import { hasLoneSurrogate } from "../shared/http";

/** Bumped when the shape changes, so a consumer never misreads an older message. */
export const MESSAGE_VERSION = 1;

/** How `body` holds the request's bytes. */
export type BodyEncoding =
  /** The bytes are the UTF-8 encoding of `body` (API Gateway passed text). */
  | "utf8"
  /** `body` is base64 of the bytes (API Gateway passed binary content base64-encoded). */
  | "base64";

export interface WebhookMessage {
  readonly version: typeof MESSAGE_VERSION;
  /** HTTP method as received (the seed's route only admits `POST`). */
  readonly method: string;
  /** Request path without the stage prefix, e.g. `/`. */
  readonly path: string;
  /** Raw query string as received, without `?`, still percent-encoded; `""` when none. */
  readonly query: string;
  /** Request headers, lower-case names, as received (duplicates joined by API Gateway with `,`). */
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
  readonly bodyEncoding: BodyEncoding;
  /** API Gateway's request id, to follow one webhook through both functions' logs. */
  readonly requestId: string;
  /** When API Gateway received the request (epoch milliseconds). */
  readonly receivedAt: number;
}

/**
 * Hop-by-hop and connection-specific headers: they describe the connection
 * between the sender and API Gateway, not the webhook, and Node sets its own
 * `host`, `content-length` and `connection` for the upstream connection.
 * (RFC 9110 section 7.6.1, plus `host` and `content-length`.)
 */
export const HOP_BY_HOP_HEADERS: ReadonlySet<string> = new Set([
  "connection",
  "content-length",
  "expect",
  "host",
  "keep-alive",
  "proxy-authenticate",
  "proxy-authorization",
  "proxy-connection",
  "te",
  "trailer",
  "transfer-encoding",
  "upgrade",
]);

/**
 * Headers the sender sent that never reach the upstream (nor the queue): the
 * proxy's deny-list. Only the body is signed, so anyone holding one captured
 * signed webhook can replay it with any header: these would steer an
 * upstream (or its framework) that honours them. Everything else the sender
 * sent is forwarded (signature headers, content type, user agent, event ids,
 * `authorization`), unless an allow-list (`FORWARD_HEADERS`) narrows it:
 * a proxy cannot know which of a webhook's headers its upstream checks.
 *
 * - `cookie`: a browser's session cookies for this endpoint's domain; a
 *   webhook sender has none, and they must not leak to another service.
 * - `forwarded`, `x-forwarded-*` (any: `-for`, `-host`, `-proto`, `-prefix`,
 *   `-client-cert`, ...), `x-real-ip`, `true-client-ip`, `cf-connecting-ip`,
 *   `x-client-ip`, `x-cluster-client-ip`, `via`: the connection as proxies
 *   describe it; the upstream would take them for its own proxy's and trust a
 *   sender-supplied client address, path prefix or client certificate.
 * - `x-original-url`, `x-rewrite-url`: the request target as IIS and some
 *   frameworks take it, instead of the path.
 * - `x-http-method-override`, `x-http-method`, `x-method-override`: the
 *   method as frameworks take it, instead of POST.
 * - `x-amzn-trace-id`: the X-Ray trace of API Gateway's hop, meaningless upstream.
 */
export const NOT_FORWARDED_HEADERS: ReadonlySet<string> = new Set([
  "cookie",
  "forwarded",
  "x-real-ip",
  "true-client-ip",
  "cf-connecting-ip",
  "x-client-ip",
  "x-cluster-client-ip",
  "via",
  "x-original-url",
  "x-rewrite-url",
  "x-http-method-override",
  "x-http-method",
  "x-method-override",
  "x-amzn-trace-id",
]);

/** Name prefixes of the deny-list: every header starting with one is dropped. */
export const NOT_FORWARDED_PREFIXES: readonly string[] = ["x-forwarded-"];

/** Whether a header (any case) is on the deny-list, by name or prefix. */
export function isNotForwarded(name: string): boolean {
  const lower = name.toLowerCase();
  return NOT_FORWARDED_HEADERS.has(lower) || NOT_FORWARDED_PREFIXES.some((prefix) => lower.startsWith(prefix));
}

/** The stage prefix API Gateway leaves in `rawPath` when called on the execute-api URL of a named stage. */
function stripStage(rawPath: string, stage: string | undefined): string {
  if (!stage || stage === "$default") return rawPath;
  const prefix = `/${stage}`;
  if (rawPath === prefix) return "/";
  return rawPath.startsWith(`${prefix}/`) ? rawPath.slice(prefix.length) : rawPath;
}

/**
 * Records an HTTP API (payload format 2.0) request as a queue message: every
 * header but the deny-list's, or with `allowHeaders` only those it names
 * (lower case; the deny-list still applies).
 */
export function messageFromRequest(event: APIGatewayProxyEventV2, allowHeaders?: ReadonlySet<string>): WebhookMessage {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(event.headers ?? {})) {
    const lower = name.toLowerCase();
    if (value === undefined || isNotForwarded(lower)) continue;
    if (allowHeaders !== undefined && !allowHeaders.has(lower)) continue;
    headers[lower] = value;
  }
  // Payload 2.0 moves cookies out of the headers (`event.cookies`): not recorded, see NOT_FORWARDED_HEADERS.

  return {
    version: MESSAGE_VERSION,
    method: event.requestContext.http.method,
    path: stripStage(event.rawPath || "/", event.requestContext.stage),
    query: event.rawQueryString ?? "",
    headers,
    body: event.body ?? "",
    bodyEncoding: event.isBase64Encoded ? "base64" : "utf8",
    requestId: event.requestContext.requestId,
    receivedAt: event.requestContext.timeEpoch,
  };
}

/**
 * Characters SQS refuses in a message body: anything outside #x9 | #xA | #xD |
 * #x20-#xD7FF | #xE000-#xFFFD | #x10000-#x10FFFF (SendMessage answers
 * `InvalidMessageContents`). `JSON.stringify` already escapes the control
 * characters and lone surrogates among them; U+FFFE and U+FFFF it leaves as is.
 */
const REFUSED_BY_SQS = /[^\t\n\r\x20-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu;

/** `\uXXXX` for each UTF-16 unit of `c`: the JSON escape `JSON.parse` turns back into `c`. */
function jsonEscape(c: string): string {
  let out = "";
  for (let i = 0; i < c.length; i++) out += `\\u${c.charCodeAt(i).toString(16).padStart(4, "0")}`;
  return out;
}

/**
 * The message as the SQS message body: its JSON, with every character SQS
 * refuses written as a `\uXXXX` escape, wherever it is (header names and
 * values, path, query, body). Such characters can only stand inside JSON
 * strings, where the escape is equivalent: `parseMessage` (`JSON.parse`)
 * gives back exactly the values recorded, so nothing is lost or changed on
 * the way to the upstream.
 */
export function serializeMessage(message: WebhookMessage): string {
  return JSON.stringify(message).replace(REFUSED_BY_SQS, jsonEscape);
}

/** A message body that is not a `WebhookMessage`: it can never be delivered as it is. */
export class MalformedMessageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "MalformedMessageError";
  }
}

function isStringRecord(value: unknown): value is Record<string, string> {
  return (
    typeof value === "object" &&
    value !== null &&
    !Array.isArray(value) &&
    Object.values(value).every((v) => typeof v === "string")
  );
}

/**
 * `text`, or a `MalformedMessageError` when it holds an unpaired UTF-16
 * surrogate: such text has no UTF-8 form, so Node would send it as EF BF BD
 * (U+FFFD) bytes or throw, never as what the sender sent.
 */
export function unicodeText(text: string, what: string): string {
  if (hasLoneSurrogate(text)) throw notUnicode(what);
  return text;
}

function notUnicode(what: string): MalformedMessageError {
  return new MalformedMessageError(`${what} is not valid Unicode text: it holds an unpaired UTF-16 surrogate, which no request can carry`);
}

/**
 * The first part of a message no HTTP request can carry (`unicodeText`):
 * path, query, a header name or value, a `utf8` body; `undefined` when every
 * part can be sent. api2sqs refuses such a webhook (400), sqs2upstream never
 * sends one (a malformed message).
 */
export function unsendablePart(message: Pick<WebhookMessage, "path" | "query" | "headers" | "body" | "bodyEncoding">): string | undefined {
  if (hasLoneSurrogate(message.path)) return "the path";
  if (hasLoneSurrogate(message.query)) return "the query string";
  for (const [name, value] of Object.entries(message.headers)) {
    if (hasLoneSurrogate(name)) return "a header name";
    if (hasLoneSurrogate(value)) return `header ${name.slice(0, 64)}`;
  }
  if (message.bodyEncoding === "utf8" && hasLoneSurrogate(message.body)) return "the body";
  return undefined;
}

/** Reads an SQS message body back; throws `MalformedMessageError` when it is not one of ours, or holds text no request can carry. */
export function parseMessage(text: string): WebhookMessage {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new MalformedMessageError("message body is not JSON");
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
    throw new MalformedMessageError("message body is not a JSON object");
  }
  const m = parsed as Record<string, unknown>;
  if (m.version !== MESSAGE_VERSION)
    throw new MalformedMessageError(`unsupported message version ${String(m.version)}`);
  for (const field of ["method", "path", "query", "body", "requestId"] as const) {
    if (typeof m[field] !== "string") throw new MalformedMessageError(`field "${field}" is not a string`);
  }
  if (m.bodyEncoding !== "utf8" && m.bodyEncoding !== "base64") {
    throw new MalformedMessageError(`field "bodyEncoding" is ${String(m.bodyEncoding)}`);
  }
  if (!isStringRecord(m.headers)) throw new MalformedMessageError(`field "headers" is not an object of strings`);
  if (typeof m.receivedAt !== "number") throw new MalformedMessageError(`field "receivedAt" is not a number`);
  if (!(m.path as string).startsWith("/")) throw new MalformedMessageError(`field "path" does not start with "/"`);
  const message = m as unknown as WebhookMessage;
  const unsendable = unsendablePart(message);
  if (unsendable !== undefined) throw notUnicode(unsendable);
  return message;
}

/** The request body's exact bytes; a `utf8` body with no UTF-8 form is a `MalformedMessageError` (`unicodeText`). */
export function bodyBytes(message: WebhookMessage): Buffer {
  if (message.bodyEncoding === "base64") return Buffer.from(message.body, "base64");
  return Buffer.from(unicodeText(message.body, "the body"), "utf8");
}

/** Characters no HTTP header value may hold (RFC 9110 section 5.5): control characters except tab. */
const CONTROL_CHARACTERS = /[\x00-\x08\x0a-\x1f\x7f]/;

/**
 * A header value as Node's HTTP client can send it, or `undefined` when no
 * form of it is a valid header value (it holds control characters).
 *
 * Node writes header values as Latin-1 and refuses characters above U+00FF
 * (`cf-ipcity: Srīperumbūdūr`, which Cloudflare passes through to origins).
 * API Gateway decoded the sender's bytes as UTF-8; the value is sent as those
 * same UTF-8 bytes again (each byte as one Latin-1 character), so the upstream
 * receives exactly the bytes the sender sent, as it would without the proxy.
 * A value holding an unpaired surrogate has no bytes to send: a
 * `MalformedMessageError` (`unicodeText`), never EF BF BD in its place.
 */
export function sendableHeaderValue(value: string, name?: string): string | undefined {
  if (CONTROL_CHARACTERS.test(value)) return undefined;
  if (/^[\t\x20-\x7e]*$/.test(value)) return value;
  return Buffer.from(unicodeText(value, name === undefined ? "a header value" : `header ${name.slice(0, 64)}`), "utf8").toString("latin1");
}

/**
 * The headers to send upstream: the received ones minus hop-by-hop headers,
 * any header the sender's `Connection` header names as connection-specific and
 * the deny-list (`isNotForwarded`); non-ASCII values as their UTF-8
 * bytes (`sendableHeaderValue`). A value no HTTP client could send is left out
 * and reported to `onDropped`, so the webhook is still delivered.
 */
export function upstreamRequestHeaders(
  message: WebhookMessage,
  onDropped: (name: string) => void = () => undefined,
): Record<string, string> {
  const connectionSpecific = new Set(
    (message.headers.connection ?? "")
      .split(",")
      .map((name) => name.trim().toLowerCase())
      .filter((name) => name !== "")
  );
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(message.headers)) {
    const lower = name.toLowerCase();
    if (HOP_BY_HOP_HEADERS.has(lower) || connectionSpecific.has(lower) || isNotForwarded(lower)) continue;
    const sendable = sendableHeaderValue(value, lower);
    if (sendable === undefined) onDropped(lower);
    else headers[lower] = sendable;
  }
  return headers;
}
