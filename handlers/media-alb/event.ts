/**
 * One request shape for both front doors, so each handler is written once
 * (the seed's "API Gateway vs ALB" differences, in one place):
 *
 * | | ALB (target group of type `lambda`) | API Gateway HTTP API (payload 2.0) |
 * |---|---|---|
 * | recognised by | `requestContext.elb` | `requestContext.http` |
 * | method | `httpMethod` | `requestContext.http.method` |
 * | query values | as sent, still URL-encoded (`Big+Buck+Bunny.mp4`) | decoded (`Big Buck Bunny.mp4`) |
 * | no query string | `queryStringParameters: {}` | no `queryStringParameters` |
 * | repeated parameter | the last value | values joined with `,` (read: the last value, from `rawQueryString`) |
 * | header names | lower case | lower case |
 *
 * The target groups run in single-value mode (`lambda_multi_value_headers_enabled`
 * off): events carry `headers` / `queryStringParameters`, and responses `headers`.
 */
import type { ALBEvent, APIGatewayProxyEventV2 } from "aws-lambda";
import { ClientError, lastQueryValues } from "../shared/http";

/** Either front door's event. */
export type FrontDoorEvent = ALBEvent | APIGatewayProxyEventV2;

export type FrontDoor = "alb" | "api-gateway";

/** What the handlers need of a request, the same for both front doors. */
export interface MediaRequest {
  readonly frontDoor: FrontDoor;
  /** Upper-case HTTP method. */
  readonly method: string;
  /** Header value by lower-case name. */
  readonly headers: ReadonlyMap<string, string>;
  /**
   * Query parameters with their values still as the front door sent them
   * (ALB: URL-encoded); read them with `queryParameter`. `undefined` when the
   * request has no query string (either front door).
   */
  readonly rawQuery: ReadonlyMap<string, string> | undefined;
}

/** The seed's test: `'elb' in event['requestContext']`. */
export function isAlbEvent(event: FrontDoorEvent): event is ALBEvent {
  const context: unknown = event.requestContext;
  return typeof context === "object" && context !== null && "elb" in context;
}

function isHttpApiEvent(event: FrontDoorEvent): event is APIGatewayProxyEventV2 {
  const context: unknown = event.requestContext;
  if (typeof context !== "object" || context === null || !("http" in context)) return false;
  const http: unknown = context.http;
  return typeof http === "object" && http !== null && "method" in http;
}

/**
 * `application/x-www-form-urlencoded` decoding, Python's `urllib.parse.unquote_plus`:
 * `+` is a space, `%XX` a byte of UTF-8. Malformed escapes (`%zz`, a cut
 * multi-byte sequence) return `undefined` rather than throwing.
 */
export function unquotePlus(value: string): string | undefined {
  try {
    return decodeURIComponent(value.replace(/\+/g, " "));
  } catch {
    return undefined;
  }
}

function stringEntries(record: Record<string, string | undefined> | null | undefined): [string, string][] {
  if (record === null || record === undefined || typeof record !== "object") return [];
  return Object.entries(record).filter((entry): entry is [string, string] => typeof entry[1] === "string");
}

/**
 * Normalises an ALB or HTTP API event. Anything else (a REST API v1 event, a
 * test event from the console) is a 400, never a crash.
 */
export function normalize(event: FrontDoorEvent): MediaRequest {
  if (typeof event !== "object" || event === null) throw new ClientError(400, "Unsupported event.");
  let frontDoor: FrontDoor;
  let method: string;
  if (isAlbEvent(event)) {
    frontDoor = "alb";
    method = event.httpMethod;
  } else if (isHttpApiEvent(event)) {
    frontDoor = "api-gateway";
    method = event.requestContext.http.method;
  } else {
    throw new ClientError(400, "Unsupported event: expected an ALB or API Gateway HTTP API (2.0) request.");
  }
  if (typeof method !== "string" || method === "") throw new ClientError(400, "Unsupported event: no HTTP method.");

  const headers = new Map(stringEntries(event.headers).map(([name, value]) => [name.toLowerCase(), value]));

  const query = stringEntries(event.queryStringParameters).map(([name, value]): [string, string] =>
    // ALB keys are URL-encoded too (`input%5Ffile`); a key that does not decode stays as sent.
    [frontDoor === "alb" ? (unquotePlus(name) ?? name) : name, value],
  );
  if (frontDoor === "api-gateway") useLastOfRepeated(query, (event as APIGatewayProxyEventV2).rawQueryString);
  return {
    frontDoor,
    method: method.toUpperCase(),
    headers,
    // ALB sends `{}` for "no query string", API Gateway leaves the field out: the same here.
    rawQuery: query.length > 0 ? new Map(query) : undefined,
  };
}

/**
 * The project's one rule for a repeated parameter, the last value counts
 * (`lastQueryValues`): the ALB already passes only the last one; an HTTP API
 * joins them with `,`, so a repeated name takes its last value from the raw query.
 */
function useLastOfRepeated(query: [string, string][], rawQueryString: string | undefined): void {
  if (!rawQueryString) return;
  const seen = new Map<string, number>();
  for (const pair of rawQueryString.split("&")) {
    const name = unquotePlus(pair.split("=")[0]) ?? pair.split("=")[0];
    seen.set(name, (seen.get(name) ?? 0) + 1);
  }
  const last = lastQueryValues(rawQueryString);
  for (const entry of query) {
    const value = last.get(entry[0]);
    if ((seen.get(entry[0]) ?? 0) > 1 && value !== undefined) entry[1] = value;
  }
}

/**
 * A query parameter's decoded value: ALB values are URL-decoded (`+` is a
 * space), API Gateway's are already. `undefined` when absent; a 400 when an
 * ALB value is not valid percent-encoding.
 */
export function queryParameter(request: MediaRequest, name: string): string | undefined {
  const raw = request.rawQuery?.get(name);
  if (raw === undefined || request.frontDoor === "api-gateway") return raw;
  const decoded = unquotePlus(raw);
  if (decoded === undefined) throw new ClientError(400, `Parameter ${name} is not valid URL encoding.`);
  return decoded;
}
