/**
 * The event log's logic: validate a request, read or write the `EventLog`
 * table, answer JSON. Plain functions taking their DynamoDB client, so tests
 * run them against a local engine; `index.ts` is the thin Lambda entry.
 */
import type { APIGatewayProxyEventV2 } from "aws-lambda";
import { DynamoDBDocumentClient, PutCommand, QueryCommand, ScanCommand } from "@aws-sdk/lib-dynamodb";
import { answer, bodyText, ClientError, errorResponse, hasLoneSurrogate, jsonResponse, JsonResponse, lastQueryValues, parseJsonObject } from "../shared/http";

/** What the handler needs from its environment. */
export interface EventLogDeps {
  readonly db: DynamoDBDocumentClient;
  readonly tableName: string;
  /** A signal per DynamoDB call that aborts when the invocation's time for work ends. @default none */
  readonly signal?: () => AbortSignal;
  /** Written on the stored item. @default none */
  readonly correlationId?: string;
}

/** One row of the table: `date` is the partition key, `time` the sort key. */
export interface EventItem {
  readonly date: string;
  readonly time: string;
  /** Who the caller says the event is about (the seed's field); not checked against who called. */
  readonly userId: string;
  readonly eventType: string;
  /**
   * Who called: the SigV4-signed caller's ARN, as the route's IAM authorization put it in the
   * request context (`requestContext.authorizer.iam.userArn`). Absent only on an item written
   * by an event that names no signed caller (a direct invocation).
   */
  readonly callerArn?: string;
  /** The id of the request that wrote it (API Gateway's request id, answered in `x-correlation-id`). */
  readonly correlationId?: string;
}

/**
 * A page of events, readable by both kinds of client: the seed's (its handler answered with
 * DynamoDB's Scan output, so its clients read `Items` and `Count`) and ours (`items`).
 * `nextToken` is present while more items remain.
 */
export interface EventPage {
  readonly Items: EventItem[];
  readonly Count: number;
  readonly items: EventItem[];
  readonly nextToken?: string;
}

export const DEFAULT_PAGE_SIZE = 25;
export const MAX_PAGE_SIZE = 100;
/** Longest `userId` / `eventType` accepted, in characters. */
export const MAX_FIELD_LENGTH = 256;
/** Request bodies larger than this are refused with 413 (an item is four short strings). */
export const MAX_BODY_BYTES = 16 * 1024;

const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
/** `HH:MM:SS` with optional milliseconds, fixed width so the sort key orders by time. */
const TIME = /^([01]\d|2[0-3]):[0-5]\d:[0-5]\d(\.\d{3})?$/;

/**
 * Routes the request by its route key; every answer is JSON, and nothing
 * escapes as a crash (`answer`: ClientError -> its 4xx; DynamoDB throttled,
 * silent or down -> 503/504 with `Retry-After`; anything else -> 500).
 */
export async function handleRequest(event: APIGatewayProxyEventV2, deps: EventLogDeps): Promise<JsonResponse> {
  return answer(
    async () => {
      switch (event.routeKey) {
        case "GET /events":
          return jsonResponse(200, await listEvents(deps, queryOf(event)));
        case "POST /events": {
          const item = await putEvent(deps, { ...requestItem(event), ...callerOf(event), ...(deps.correlationId ? { correlationId: deps.correlationId } : {}) });
          return jsonResponse(201, { message: `Put item ${item.userId}`, item });
        }
        default:
          return errorResponse(404, `No route for "${event.routeKey}"`);
      }
    },
    {},
    "The event log",
  );
}

/**
 * The query parameters, the last value of a repeated one winning (the
 * project's one rule, `lastQueryValues`): HTTP API joins repeated values
 * with `,` in `queryStringParameters`, so `rawQueryString` is read instead.
 */
export function queryOf(event: Pick<APIGatewayProxyEventV2, "rawQueryString" | "queryStringParameters">): Record<string, string | undefined> {
  if (event.rawQueryString) return Object.fromEntries(lastQueryValues(event.rawQueryString));
  return { ...(event.queryStringParameters ?? {}) };
}

/** `{ callerArn }` of the signed caller named in the request context, or `{}` when it names none. */
export function callerOf(event: Pick<APIGatewayProxyEventV2, "requestContext">): { callerArn?: string } {
  // The payload 2.0 type leaves `authorizer` out; the IAM-authorized route's events carry it.
  const context = event.requestContext as { authorizer?: { iam?: { userArn?: unknown } } } | undefined;
  const arn = context?.authorizer?.iam?.userArn;
  return typeof arn === "string" && arn !== "" ? { callerArn: arn } : {};
}

/** The validated event of a `POST /events` request. */
export function requestItem(event: Pick<APIGatewayProxyEventV2, "body" | "isBase64Encoded" | "headers">): EventItem {
  const contentType = event.headers?.["content-type"];
  if (contentType !== undefined && !/^application\/([\w.+-]+\+)?json\s*(;|$)/i.test(contentType)) {
    throw new ClientError(415, `Content-Type must be application/json, got "${contentType}"`);
  }
  return validateEvent(parseJsonObject(bodyText(event.body, event.isBase64Encoded), MAX_BODY_BYTES));
}

/** Checks the four fields and keeps only them (other fields are ignored, as the seed does). */
export function validateEvent(body: Record<string, unknown>): EventItem {
  const problems: string[] = [];
  const text = (field: string): string => {
    const value = body[field];
    if (value === undefined || value === null) problems.push(`"${field}" is required`);
    else if (typeof value !== "string") problems.push(`"${field}" must be a string`);
    else if (value.trim() === "") problems.push(`"${field}" must not be empty`);
    else if (value.length > MAX_FIELD_LENGTH) problems.push(`"${field}" must be at most ${MAX_FIELD_LENGTH} characters`);
    else if (hasLoneSurrogate(value)) problems.push(`"${field}" is not valid Unicode text`);
    else return value;
    return "";
  };
  const item: EventItem = { date: text("date"), time: text("time"), userId: text("userId"), eventType: text("eventType") };
  if (item.date && !isCalendarDate(item.date)) problems.push(`"date" must be a calendar date as YYYY-MM-DD`);
  if (item.time && !TIME.test(item.time)) problems.push(`"time" must be HH:MM:SS or HH:MM:SS.sss (24-hour)`);
  if (problems.length > 0) throw new ClientError(400, `Invalid event: ${problems.join("; ")}`);
  return item;
}

/** `YYYY-MM-DD` naming a day that exists (no 2021-02-30). */
export function isCalendarDate(value: string): boolean {
  const match = DATE.exec(value);
  if (!match) return false;
  const [year, month, day] = [Number(match[1]), Number(match[2]), Number(match[3])];
  const parsed = new Date(Date.UTC(year, month - 1, day));
  return parsed.getUTCFullYear() === year && parsed.getUTCMonth() === month - 1 && parsed.getUTCDate() === day;
}

/**
 * Writes one event. An event already logged at the same `date` + `time` is
 * not overwritten (the seed's plain put silently replaced it): 409.
 */
export async function putEvent(deps: EventLogDeps, item: EventItem): Promise<EventItem> {
  try {
    await deps.db.send(
      new PutCommand({
        TableName: deps.tableName,
        Item: item,
        ConditionExpression: "attribute_not_exists(#date)",
        ExpressionAttributeNames: { "#date": "date" },
      }),
      { abortSignal: deps.signal?.() },
    );
  } catch (err) {
    if (errorName(err) === "ConditionalCheckFailedException") {
      throw new ClientError(409, `An event is already logged at ${item.date} ${item.time}`);
    }
    throw err;
  }
  return item;
}

/**
 * One page of events. With `date`: a Query on that partition, in time order.
 * Without: a Scan, bounded by the same page size; callers follow `nextToken`
 * for the rest. Never an unbounded full-table read in one request.
 */
export async function listEvents(deps: EventLogDeps, query: Record<string, string | undefined>): Promise<EventPage> {
  const limit = pageSize(query.limit);
  const date = query.date;
  if (date !== undefined && !isCalendarDate(date)) {
    throw new ClientError(400, `"date" must be a calendar date as YYYY-MM-DD`);
  }
  const startKey = query.nextToken === undefined ? undefined : decodeToken(query.nextToken, date);

  const page =
    date === undefined
      ? await deps.db.send(new ScanCommand({ TableName: deps.tableName, Limit: limit, ExclusiveStartKey: startKey }), {
          abortSignal: deps.signal?.(),
        })
      : await deps.db.send(
          new QueryCommand({
            TableName: deps.tableName,
            KeyConditionExpression: "#date = :date",
            ExpressionAttributeNames: { "#date": "date" },
            ExpressionAttributeValues: { ":date": date },
            Limit: limit,
            ExclusiveStartKey: startKey,
          }),
          { abortSignal: deps.signal?.() },
        );
  const items = (page.Items ?? []).map(toEvent);
  const both = { Items: items, Count: items.length, items };
  return page.LastEvaluatedKey ? { ...both, nextToken: encodeToken(page.LastEvaluatedKey) } : both;
}

function pageSize(value: string | undefined): number {
  if (value === undefined) return DEFAULT_PAGE_SIZE;
  if (!/^\d{1,3}$/.test(value) || Number(value) < 1 || Number(value) > MAX_PAGE_SIZE) {
    throw new ClientError(400, `"limit" must be a whole number from 1 to ${MAX_PAGE_SIZE}`);
  }
  return Number(value);
}

/** The table's key, as an opaque URL-safe token (callers pass it back, never read it). */
export function encodeToken(key: Record<string, unknown>): string {
  return Buffer.from(JSON.stringify({ date: key.date, time: key.time }), "utf8").toString("base64url");
}

/** A token back to a start key; anything not made by `encodeToken` (or for another date) is a 400. */
export function decodeToken(token: string, date: string | undefined): { date: string; time: string } {
  const invalid = new ClientError(400, `"nextToken" is not a token this API returned`);
  if (!/^[A-Za-z0-9_-]{1,1024}$/.test(token)) throw invalid;
  let key: unknown;
  try {
    key = JSON.parse(Buffer.from(token, "base64url").toString("utf8"));
  } catch {
    throw invalid;
  }
  if (typeof key !== "object" || key === null || Array.isArray(key)) throw invalid;
  const { date: keyDate, time: keyTime } = key as Record<string, unknown>;
  if (typeof keyDate !== "string" || typeof keyTime !== "string" || !isCalendarDate(keyDate) || !TIME.test(keyTime)) {
    throw invalid;
  }
  if (date !== undefined && keyDate !== date) {
    throw new ClientError(400, `"nextToken" belongs to another date than ${date}`);
  }
  return { date: keyDate, time: keyTime };
}

function toEvent(raw: Record<string, unknown>): EventItem {
  const s = (v: unknown): string => (typeof v === "string" ? v : "");
  const event = { date: s(raw.date), time: s(raw.time), userId: s(raw.userId), eventType: s(raw.eventType) };
  return {
    ...event,
    ...(typeof raw.callerArn === "string" ? { callerArn: raw.callerArn } : {}),
    ...(typeof raw.correlationId === "string" ? { correlationId: raw.correlationId } : {}),
  };
}

function errorName(err: unknown): string | undefined {
  return err instanceof Error ? err.name : undefined;
}
