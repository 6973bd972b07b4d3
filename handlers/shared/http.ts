/**
 * HTTP helpers shared by the handlers behind API Gateway and the ALB. Plain
 * functions, no AWS SDK: cheap to load, easy to test.
 */
import { downstreamFault, faultAnswer, logFault } from "./downstream";
import { reportConfigError } from "./env";
import { log } from "./observability";

/** A response every front door understands: header values are strings only (an ALB answers 502 otherwise). */
export interface JsonResponse {
  statusCode: number;
  headers: Record<string, string>;
  body: string;
}

/** An error that becomes a 4xx answer with its message, never a 500. */
export class ClientError extends Error {
  constructor(
    readonly statusCode: number,
    message: string,
  ) {
    super(message);
    this.name = "ClientError";
  }
}

export function jsonResponse(
  statusCode: number,
  body: unknown,
  headers: Record<string, string> = {},
): JsonResponse {
  return {
    statusCode,
    headers: { "content-type": "application/json; charset=utf-8", ...headers },
    body: JSON.stringify(body),
  };
}

/** A `{ message }` error answer. */
export function errorResponse(statusCode: number, message: string, headers: Record<string, string> = {}): JsonResponse {
  return jsonResponse(statusCode, { message }, headers);
}

export { headerValue } from "./headers";

const strictUtf8 = new TextDecoder("utf-8", { fatal: true });

/**
 * The request body as text, decoding API Gateway's / the ALB's base64 form.
 * Bytes that are not UTF-8 are a 400, not silently replaced with U+FFFD.
 */
export function bodyText(body: string | null | undefined, isBase64Encoded: boolean | undefined): string {
  if (body === null || body === undefined) return "";
  if (!isBase64Encoded) return body;
  try {
    return strictUtf8.decode(Buffer.from(body, "base64"));
  } catch {
    throw new ClientError(400, "Request body is not valid UTF-8");
  }
}

/** A UTF-16 surrogate without its pair: not a character, and not storable as UTF-8 (DynamoDB and Translate refuse it). */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** True when `text` holds a lone UTF-16 surrogate. */
export function hasLoneSurrogate(text: string): boolean {
  return LONE_SURROGATE.test(text);
}

/**
 * Parses a JSON object body. Empty, malformed, non-object or oversized bodies
 * throw a ClientError (400 / 413) with a message a caller can act on.
 */
export function parseJsonObject(text: string, maxBytes = 256 * 1024): Record<string, unknown> {
  if (Buffer.byteLength(text, "utf8") > maxBytes) {
    throw new ClientError(413, `Request body is larger than ${maxBytes} bytes`);
  }
  if (text.trim() === "") throw new ClientError(400, "Request body is empty; expected a JSON object");
  let parsed: unknown;
  let loneSurrogate = false;
  try {
    parsed = JSON.parse(text, (key: string, value: unknown) => {
      if (hasLoneSurrogate(key) || (typeof value === "string" && hasLoneSurrogate(value))) loneSurrogate = true;
      return value;
    });
  } catch {
    throw new ClientError(400, "Request body is not valid JSON");
  }
  if (loneSurrogate) {
    throw new ClientError(400, "Request body is not valid Unicode: it holds an unpaired UTF-16 surrogate");
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
    throw new ClientError(400, "Request body must be a JSON object");
  }
  return parsed as Record<string, unknown>;
}

/** Why a request failed, before it is written in a body shape: status, message for the caller, extra headers. */
export interface Failure {
  readonly statusCode: number;
  readonly message: string;
  readonly headers: Readonly<Record<string, string>>;
}

/**
 * What escapes a request's logic, as a failure: ClientError -> its 4xx with
 * its message; a downstream fault (throttled, silent, down: see
 * `downstream.ts`) -> 503/504 with `retry-after`, naming `dependency`; a
 * ConfigError (`env.ts`) -> logged as `config_error`, 500; anything else ->
 * 500 with a generic message (the stack trace goes to the log, never to the caller).
 */
export function failureOf(err: unknown, dependency: string): Failure {
  if (err instanceof ClientError) return { statusCode: err.statusCode, message: err.message, headers: {} };
  const fault = downstreamFault(err);
  if (fault !== undefined) {
    logFault(fault, dependency, err);
    return faultAnswer(fault, dependency);
  }
  if (!reportConfigError(err)) log().error("Unhandled error", { error: err });
  return { statusCode: 500, message: "Internal server error", headers: {} };
}

/** Runs a request's logic and turns what escapes it into a `{ message }` answer (`failureOf`). */
export async function answer(
  run: () => Promise<JsonResponse>,
  headers: Record<string, string> = {},
  dependency = "A service this API depends on",
): Promise<JsonResponse> {
  try {
    return await run();
  } catch (err) {
    const failure = failureOf(err, dependency);
    return errorResponse(failure.statusCode, failure.message, { ...headers, ...failure.headers });
  }
}

/**
 * The one rule for a repeated query parameter (`?a=1&a=2`), in every handler
 * and behind every front door: the last value counts. It is the only rule
 * every front door can keep: an ALB target group in single-value mode passes
 * only the last value, a REST API's `queryStringParameters` holds the last
 * value, and an HTTP API joins them with `,` (so its `rawQueryString` is read).
 *
 * Returns each parameter's last value, decoded as `application/x-www-form-urlencoded`
 * (`+` is a space); a name or value that is not valid percent-encoding is kept as sent.
 */
export function lastQueryValues(rawQueryString: string | undefined): Map<string, string> {
  const values = new Map<string, string>();
  if (!rawQueryString) return values;
  for (const pair of rawQueryString.split("&")) {
    if (pair === "") continue;
    const separator = pair.indexOf("=");
    const rawName = separator < 0 ? pair : pair.slice(0, separator);
    const rawValue = separator < 0 ? "" : pair.slice(separator + 1);
    values.set(formDecode(rawName), formDecode(rawValue));
  }
  return values;
}

function formDecode(text: string): string {
  const spaced = text.replace(/\+/g, " ");
  try {
    return decodeURIComponent(spaced);
  } catch {
    return spaced;
  }
}
