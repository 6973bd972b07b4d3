/**
 * HTTP helpers shared by the handlers behind API Gateway and the ALB. Plain
 * functions, no AWS SDK: cheap to load, easy to test.
 */

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

/** The request body as text, decoding API Gateway's / the ALB's base64 form. */
export function bodyText(body: string | null | undefined, isBase64Encoded: boolean | undefined): string {
  if (body === null || body === undefined) return "";
  return isBase64Encoded ? Buffer.from(body, "base64").toString("utf8") : body;
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
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new ClientError(400, "Request body is not valid JSON");
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
    throw new ClientError(400, "Request body must be a JSON object");
  }
  return parsed as Record<string, unknown>;
}

/**
 * Runs a request's logic and turns what escapes it into an answer:
 * ClientError -> its 4xx with its message; anything else -> 500 with a generic
 * message (the stack trace goes to the log, never to the caller).
 */
export async function answer(run: () => Promise<JsonResponse>, headers: Record<string, string> = {}): Promise<JsonResponse> {
  try {
    return await run();
  } catch (err) {
    if (err instanceof ClientError) return errorResponse(err.statusCode, err.message, headers);
    console.error("Unhandled error", err);
    return errorResponse(500, "Internal server error", headers);
  }
}
