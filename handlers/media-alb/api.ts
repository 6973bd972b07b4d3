/**
 * What both media handlers share, written once (the seed wished for it:
 * "似た所が多いので共通化したい所ですが"): configuration, the seed's response
 * headers and bodies, the origin check, and the request pipeline
 * method -> origin -> parameter -> lookup.
 */
import type { ALBResult, APIGatewayProxyStructuredResultV2, Context } from "aws-lambda";
import { DynamoDBDocumentClient, GetCommand } from "@aws-sdk/lib-dynamodb";
import { dynamoDocumentClient } from "../shared/dynamodb-client";
import { ConfigError, Environment, lazy, requiredString } from "../shared/env";
import { ClientError, failureOf, hasLoneSurrogate, JsonResponse } from "../shared/http";
import { albCorrelationId, apiGatewayCorrelationId, withCorrelationHeader } from "../shared/correlation";
import { log, Telemetry } from "../shared/observability";
import { Deadline } from "../shared/time-budget";
import { FrontDoorEvent, isAlbEvent, MediaRequest, normalize, queryParameter } from "./event";

/** Both media functions' logs and metrics (one module instance per function bundle). */
const telemetry = new Telemetry("media-alb");

/** The ALB's trace root (`X-Amzn-Trace-Id`), or API Gateway's request id behind an HTTP API. */
export function mediaCorrelationId(event: FrontDoorEvent): string {
  if (typeof event !== "object" || event === null) return apiGatewayCorrelationId(undefined);
  return isAlbEvent(event) ? albCorrelationId(event.headers) : apiGatewayCorrelationId(event as { requestContext?: { requestId?: unknown } });
}

/**
 * The seed's headers, every value a string: a number (the seed's first
 * `'Access-Control-Max-Age': 7200`) makes the ALB answer 502 Bad Gateway with
 * nothing in the function's log. `*` is harmless here: the answers carry no
 * credentials and hold nothing a plain `curl` could not read.
 */
export const RESPONSE_HEADERS: Readonly<Record<string, string>> = Object.freeze({
  "Access-Control-Allow-Origin": "*",
  "Access-Control-Allow-Methods": "GET, OPTIONS",
  "Access-Control-Allow-Headers": "*",
  "Access-Control-Max-Age": "7200",
  "Content-Type": "application/json; charset=UTF-8",
});

/** DynamoDB's limit on a partition key value; a longer one is a 422, not a 500 from the SDK. */
export const MAX_KEY_BYTES = 2048;

export interface MediaApiConfig {
  /** DynamoDB table the function reads. */
  readonly tableName: string;
  /** `ALLOWED_ORIGINS` compiled: an Origin header must fully match one of them. */
  readonly allowedOrigins: readonly RegExp[];
}

/**
 * `ALLOWED_ORIGINS`: regular expressions separated by white space (Python's
 * `str.split()`), each matched against the whole Origin (`re.fullmatch`).
 * A pattern that does not compile is a ConfigError naming it (`../shared/env`):
 * the function answers 500 and logs `config_error` rather than guessing.
 */
export function parseAllowedOrigins(value: string): RegExp[] {
  return value
    .split(/\s+/)
    .filter((pattern) => pattern !== "")
    .map((pattern, index) => {
      try {
        // `^(?:...)$` is `re.fullmatch`: `https://a\.com` must not let `https://a.com.evil.net` through.
        return new RegExp(`^(?:${pattern})$`);
      } catch (err) {
        const reason = err instanceof Error ? err.message : String(err);
        throw new ConfigError("ALLOWED_ORIGINS", `ALLOWED_ORIGINS pattern ${index + 1} "${pattern}" is not a valid regular expression: ${reason}`);
      }
    });
}

/**
 * The function's configuration from its environment: `TABLE_NAME`, and
 * `ALLOWED_ORIGINS` (must be set; empty allows no Origin). Throws a ConfigError when it cannot run.
 */
export function loadConfig(env: Environment): MediaApiConfig {
  return {
    tableName: requiredString("TABLE_NAME", env),
    allowedOrigins: parseAllowedOrigins(requiredString("ALLOWED_ORIGINS", env, { allowEmpty: true })),
  };
}

export function isOriginAllowed(origin: string, allowedOrigins: readonly RegExp[]): boolean {
  return allowedOrigins.some((pattern) => pattern.test(origin));
}

/** Preflight answer: the CORS headers and an empty body, as the seed. */
export function optionsResponse(): JsonResponse {
  return { statusCode: 200, headers: { ...RESPONSE_HEADERS }, body: "" };
}

/** The seed's error body: `{"success": false, "message": ...}`. */
export function errorResponse(statusCode: number, message: string): JsonResponse {
  return { statusCode, headers: { ...RESPONSE_HEADERS }, body: JSON.stringify({ success: false, message }) };
}

/** The seed's success body: `{"success": true, ...fields}`. */
export function successResponse(fields: Record<string, unknown>): JsonResponse {
  return { statusCode: 200, headers: { ...RESPONSE_HEADERS }, body: JSON.stringify({ success: true, ...fields }) };
}

/**
 * Looks a key up; `undefined` when there is no item (the seed's 422 "Not found item.").
 * `signal` aborts the read when the invocation's time for work ends.
 */
export type Lookup = (key: string, signal?: AbortSignal) => Promise<Record<string, unknown> | undefined>;

/** One media endpoint: the query parameter it reads and how it answers. */
export interface Endpoint {
  /** Query parameter holding the key, e.g. `input_file`. */
  readonly parameter: string;
  readonly lookup: Lookup;
}

/** The seed's checks, in the seed's order, up to the key to look up; a ClientError says why not. */
export function requestedKey(request: MediaRequest, parameter: string, config: MediaApiConfig): string {
  // Origin check only when a non-empty Origin is sent ("存在する場合のみ"): curl and servers pass.
  const origin = request.headers.get("origin");
  if (origin !== undefined && origin !== "" && !isOriginAllowed(origin, config.allowedOrigins)) {
    throw new ClientError(422, "ORIGIN is invalid.");
  }
  if (request.rawQuery === undefined) throw new ClientError(400, "Not found parameter.");
  const value = queryParameter(request, parameter);
  if (value === undefined) throw new ClientError(400, `Not found parameter ${parameter}.`);
  if (value === "") throw new ClientError(422, `Not exist parameter ${parameter}.`);
  // No UTF-8 form, so no DynamoDB key (it would be a 500); an ALB value cannot hold one (its %-decoding refuses it).
  if (hasLoneSurrogate(value)) throw new ClientError(400, `Parameter ${parameter} is not valid Unicode text.`);
  if (Buffer.byteLength(value, "utf8") > MAX_KEY_BYTES) {
    throw new ClientError(422, `Parameter ${parameter} is longer than ${MAX_KEY_BYTES} bytes.`);
  }
  return value;
}

/**
 * A request from either front door to an answer: OPTIONS -> 200; other
 * non-GET -> 404; then origin, parameter and lookup. A ClientError becomes
 * its 4xx; a downstream fault a 503/504 with `Retry-After`; anything else a 500
 * with a generic message (details in the log only).
 */
export async function serve(
  event: FrontDoorEvent,
  config: MediaApiConfig,
  endpoint: Endpoint,
  signal?: () => AbortSignal,
): Promise<JsonResponse> {
  try {
    const request = normalize(event);
    if (request.method === "OPTIONS") return optionsResponse();
    if (request.method !== "GET") return errorResponse(404, "No route matches.");
    const key = requestedKey(request, endpoint.parameter, config);
    log().info(`lookup ${endpoint.parameter}`, { event: "lookup", frontDoor: request.frontDoor, [endpoint.parameter]: key.slice(0, 256) });
    const fields = await endpoint.lookup(key, signal?.());
    if (fields === undefined) return errorResponse(422, "Not found item.");
    return successResponse(fields);
  } catch (err) {
    return failureAnswer(err);
  }
}

/** What escaped the pipeline (`failureOf`: 4xx, 503/504 with `Retry-After`, 500), in the seed's body. */
function failureAnswer(err: unknown): JsonResponse {
  const failure = failureOf(err, "The media table");
  const response = errorResponse(failure.statusCode, failure.statusCode === 500 ? "Internal server error." : failure.message);
  const retryAfter = failure.headers["retry-after"];
  return retryAfter === undefined ? response : { ...response, headers: { ...response.headers, "Retry-After": retryAfter } };
}

/** An endpoint that reads one item by `keyAttribute` (the `parameter`'s value) and answers `fields(item)`. */
export function itemEndpoint(
  parameter: string,
  keyAttribute: string,
  fields: (item: Record<string, unknown>) => Record<string, unknown>,
): (client: DynamoDBDocumentClient, tableName: string) => Endpoint {
  return (client, tableName) => ({
    parameter,
    lookup: async (key, abortSignal) => {
      const { Item } = await client.send(new GetCommand({ TableName: tableName, Key: { [keyAttribute]: key } }), { abortSignal });
      return Item === undefined ? undefined : fields(Item);
    },
  });
}

/** A media function's Lambda entry. */
export type MediaHandler = (event: FrontDoorEvent, context?: Context) => Promise<ALBResult & APIGatewayProxyStructuredResultV2>;

/**
 * The Lambda entry of a media endpoint, the same for both functions. The
 * configuration (`TABLE_NAME`, `ALLOWED_ORIGINS`, patterns compiled once) and
 * the DynamoDB client (timeouts and retries sized to FUNCTION_TIMEOUT_MS) are
 * built once per container, at load (Lambda's init phase). A bad setting is
 * not an init crash, which the ALB would turn into a bare 502: the build is
 * tried again inside each request's error boundary, where it is a logged
 * `config_error` and a 500 in the seed's body.
 */
export function mediaHandler(endpointOf: (client: DynamoDBDocumentClient, tableName: string) => Endpoint): MediaHandler {
  const setup = lazy(() => {
    const config = loadConfig(process.env);
    return { config, endpoint: endpointOf(dynamoDocumentClient(), config.tableName) };
  });
  try {
    setup();
  } catch {
    // Not kept (`lazy`): the first request builds again, logs the ConfigError and answers 500.
  }
  return async (event, context) => {
    const correlationId = mediaCorrelationId(event);
    return telemetry.run(context, correlationId, async (scope) => {
      let response: ALBResult & APIGatewayProxyStructuredResultV2;
      try {
        const { config, endpoint } = setup();
        const deadline = Deadline.of(context);
        response = await serve(event, config, endpoint, () => deadline.signal());
      } catch (err) {
        response = failureAnswer(err);
      }
      scope.info(`answered ${response.statusCode}`, { event: "answered", status: response.statusCode, duration_ms: scope.elapsedMs() });
      return withCorrelationHeader(response, correlationId);
    });
  };
}
