/**
 * The event-log-api handler against a real DynamoDB engine (dynalite, started
 * here on 127.0.0.1 with a free port): writes, reads by date, pagination, and
 * every kind of bad input answered 4xx with a JSON message and nothing written.
 * Events carry the signed caller as the AWS_IAM route's do (`requestContext.authorizer.iam`).
 */
import type { APIGatewayProxyEventV2 } from "aws-lambda";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DynamoDBDocumentClient, ScanCommand } from "@aws-sdk/lib-dynamodb";
import { EventItem, EventLogDeps, handleRequest } from "../handlers/event-log-api/events";
import { startFaultProxy } from "./support/fault-proxy";
import { FAKE_CREDENTIALS, LocalDynamo, REGION, sdkEnv, startLocalDynamo } from "./support/local-aws";

/** The SigV4-signed caller API Gateway names on the AWS_IAM routes. */
const CALLER_ARN = "arn:aws:iam::123456789012:user/dev-event-log-requester";

interface RequestInit {
  /** The signed caller's ARN; null: an event that names none (a direct invocation). @default CALLER_ARN */
  caller?: string | null;
  body?: string;
  query?: Record<string, string>;
  headers?: Record<string, string>;
  isBase64Encoded?: boolean;
}

/** An HTTP API (payload 2.0) event as API Gateway sends it for `routeKey`. */
function apiEvent(routeKey: string, init: RequestInit = {}): APIGatewayProxyEventV2 {
  const [method, path] = routeKey.split(" ");
  return {
    version: "2.0",
    routeKey,
    rawPath: path,
    rawQueryString: new URLSearchParams(init.query ?? {}).toString(),
    headers: init.headers ?? (init.body !== undefined ? { "content-type": "application/json" } : {}),
    queryStringParameters: init.query,
    body: init.body,
    isBase64Encoded: init.isBase64Encoded ?? false,
    requestContext: {
      accountId: "123456789012",
      apiId: "api",
      domainName: "sample-http-api.example.com",
      domainPrefix: "sample-http-api",
      http: { method, path, protocol: "HTTP/1.1", sourceIp: "127.0.0.1", userAgent: "jest" },
      requestId: "request",
      routeKey,
      stage: "$default",
      time: "28/Aug/2021:14:19:00 +0000",
      timeEpoch: 1630160340000,
      ...(init.caller === null ? {} : { authorizer: { iam: iamAuthorizer(init.caller ?? CALLER_ARN) } }),
    },
  } as APIGatewayProxyEventV2;
}

/** `requestContext.authorizer.iam` as API Gateway fills it for an IAM user's signed request. */
function iamAuthorizer(userArn: string): Record<string, unknown> {
  return { accessKey: "AKIAEXAMPLE", accountId: "123456789012", callerId: "AIDAEXAMPLE", principalOrgId: null, userArn, userId: "AIDAEXAMPLE" };
}

interface Answer {
  statusCode: number;
  headers: Record<string, string>;
  json: Record<string, unknown>;
}

async function call(deps: EventLogDeps, routeKey: string, init: RequestInit = {}): Promise<Answer> {
  const res = await handleRequest(apiEvent(routeKey, init), deps);
  return { statusCode: res.statusCode, headers: res.headers, json: JSON.parse(res.body) as Record<string, unknown> };
}

const post = (deps: EventLogDeps, item: unknown): Promise<Answer> => call(deps, "POST /events", { body: JSON.stringify(item) });

async function rows(deps: EventLogDeps): Promise<Record<string, unknown>[]> {
  return (await deps.db.send(new ScanCommand({ TableName: deps.tableName }))).Items ?? [];
}

/** Follows `nextToken` to the end; every page is checked against the limit. */
async function readAll(deps: EventLogDeps, query: Record<string, string>, limit: number): Promise<{ items: EventItem[]; pages: number }> {
  const items: EventItem[] = [];
  let token: string | undefined;
  let pages = 0;
  do {
    const res = await call(deps, "GET /events", { query: { ...query, limit: String(limit), ...(token ? { nextToken: token } : {}) } });
    expect(res.statusCode).toBe(200);
    const page = res.json.items as EventItem[];
    expect(page.length).toBeLessThanOrEqual(limit);
    items.push(...page);
    token = res.json.nextToken as string | undefined;
    pages += 1;
    expect(pages).toBeLessThan(50); // a loop that never ends is a failure, not a hang
  } while (token !== undefined);
  return { items, pages };
}

const event = (date: string, time: string, userId = "EX8C9MRZfhL", eventType = "test"): EventItem => ({ date, time, userId, eventType });
/** The item stored for `e` posted by CALLER_ARN. */
const signed = (e: EventItem): EventItem => ({ ...e, callerArn: CALLER_ARN });
/** A page's body for `items`: the seed's Scan fields beside ours. */
const page = (items: EventItem[], nextToken?: string): Record<string, unknown> => ({ Items: items, Count: items.length, items, ...(nextToken ? { nextToken } : {}) });

let local: LocalDynamo;
let tables = 0;
/** A table with the stack's key schema (date + time). */
const eventLogTable = (name: string): Promise<string> => local.createTable(name, "date", "time");
/** A fresh table per test, so no test sees another's rows. */
async function freshDeps(): Promise<EventLogDeps> {
  tables += 1;
  return { db: local.doc, tableName: await eventLogTable(`EventLog-${tables}`) };
}

beforeAll(async () => {
  local = await startLocalDynamo();
});

afterAll(async () => {
  await local.stop();
});

describe("POST then GET", () => {
  test("a posted event comes back from GET ?date=, as JSON", async () => {
    const deps = await freshDeps();
    const item = event("2021-08-28", "14:19:00.000");
    const created = await post(deps, { ...item, ignored: "extra fields are not stored" });
    expect(created.statusCode).toBe(201);
    expect(created.headers["content-type"]).toMatch(/^application\/json/);
    expect(created.json).toEqual({ message: "Put item EX8C9MRZfhL", item: signed(item) });

    const read = await call(deps, "GET /events", { query: { date: "2021-08-28" } });
    expect(read.statusCode).toBe(200);
    expect(read.headers["content-type"]).toMatch(/^application\/json/);
    expect(read.json).toEqual(page([signed(item)]));
    expect(await rows(deps)).toEqual([signed(item)]);
  });

  test("GET ?date= returns only that date's events, in time order", async () => {
    const deps = await freshDeps();
    for (const e of [event("2021-08-28", "15:00:00"), event("2021-08-29", "09:00:00"), event("2021-08-28", "09:30:00")]) {
      expect((await post(deps, e)).statusCode).toBe(201);
    }
    const read = await call(deps, "GET /events", { query: { date: "2021-08-28" } });
    expect((read.json.items as EventItem[]).map((e) => e.time)).toEqual(["09:30:00", "15:00:00"]);
  });

  test("a second event at the same date and time is refused with 409, the first kept (no silent overwrite)", async () => {
    const deps = await freshDeps();
    await post(deps, event("2021-08-28", "14:19:00", "first"));
    const again = await post(deps, event("2021-08-28", "14:19:00", "second"));
    expect(again.statusCode).toBe(409);
    expect(again.json.message).toMatch(/already logged/);
    expect(await rows(deps)).toEqual([signed(event("2021-08-28", "14:19:00", "first"))]);
  });

  test("a base64-encoded body (as API Gateway may send it) is decoded", async () => {
    const deps = await freshDeps();
    const item = event("2021-08-28", "10:00:00");
    const res = await call(deps, "POST /events", {
      body: Buffer.from(JSON.stringify(item)).toString("base64"),
      isBase64Encoded: true,
      headers: { "content-type": "application/json; charset=utf-8" },
    });
    expect(res.statusCode).toBe(201);
    expect(await rows(deps)).toEqual([signed(item)]);
  });
});

describe("who called (issue 26): the signed caller's ARN on each item", () => {
  test("POST stores the caller API Gateway signed for, beside the caller-supplied userId; a callerArn in the body is ignored", async () => {
    const deps = await freshDeps();
    const other = "arn:aws:iam::123456789012:user/someone-else";
    const res = await call(deps, "POST /events", { caller: other, body: JSON.stringify({ ...event("2021-08-28", "10:00:00", "claimed-user"), callerArn: CALLER_ARN }) });
    expect(res.statusCode).toBe(201);
    expect(await rows(deps)).toEqual([{ ...event("2021-08-28", "10:00:00", "claimed-user"), callerArn: other }]);
    const read = await call(deps, "GET /events", { query: { date: "2021-08-28" } });
    expect(read.json.Items).toEqual([{ ...event("2021-08-28", "10:00:00", "claimed-user"), callerArn: other }]);
  });

  test("an event that names no signed caller (a direct invocation) is stored without callerArn", async () => {
    const deps = await freshDeps();
    expect((await call(deps, "POST /events", { caller: null, body: JSON.stringify(event("2021-08-28", "11:00:00")) })).statusCode).toBe(201);
    expect(await rows(deps)).toEqual([event("2021-08-28", "11:00:00")]);
  });
});

describe("GET /events answers both kinds of client", () => {
  test("a client written against the seed (Scan output: Items, Count) and one reading items + nextToken see the same events", async () => {
    const deps = await freshDeps();
    const posted = Array.from({ length: 5 }, (_, i) => event("2021-08-30", `12:00:0${i}`));
    for (const e of posted) expect((await post(deps, e)).statusCode).toBe(201);
    // The seed's client: one GET, `Items` and `Count` of the answer.
    const seedClient = await call(deps, "GET /events");
    expect(seedClient.json.Count).toBe(5);
    expect((seedClient.json.Items as EventItem[]).map((e) => e.time).sort()).toEqual(posted.map((e) => e.time));
    // Ours: pages of `items` with `nextToken`; each page also carries the seed's fields for its own items.
    const first = await call(deps, "GET /events", { query: { limit: "3" } });
    expect(first.json).toEqual(page(first.json.items as EventItem[], first.json.nextToken as string));
    expect(first.json.Count).toBe(3);
    const rest = await call(deps, "GET /events", { query: { limit: "3", nextToken: first.json.nextToken as string } });
    expect(rest.json).toEqual(page(rest.json.items as EventItem[]));
    expect([...(first.json.Items as EventItem[]), ...(rest.json.Items as EventItem[])].map((e) => e.time).sort()).toEqual(posted.map((e) => e.time));
  });
});

describe("pagination", () => {
  let deps: EventLogDeps;
  const day1 = Array.from({ length: 7 }, (_, i) => event("2021-08-28", `10:00:0${i}`, `user-${i}`));
  const day2 = Array.from({ length: 4 }, (_, i) => event("2021-08-29", `11:00:0${i}`, `user-${i}`));

  beforeAll(async () => {
    deps = await freshDeps();
    for (const e of [...day1, ...day2]) expect((await post(deps, e)).statusCode).toBe(201);
  });

  test("by date: every item exactly once across pages, in order, none from another date", async () => {
    const { items, pages } = await readAll(deps, { date: "2021-08-28" }, 3);
    expect(items).toEqual(day1.map(signed));
    expect(pages).toBeGreaterThanOrEqual(3);
  });

  test("no date: a bounded Scan, every item of the table exactly once across pages", async () => {
    const { items, pages } = await readAll(deps, {}, 4);
    const key = (e: EventItem): string => `${e.date} ${e.time}`;
    expect(items.map(key).sort()).toEqual([...day1, ...day2].map(key).sort());
    expect(new Set(items.map(key)).size).toBe(items.length);
    expect(pages).toBeGreaterThanOrEqual(3);
  });

  test("without a limit, a page of a 30-row table holds exactly the default 25 items and a nextToken to the other 5", async () => {
    const big = await freshDeps();
    const thirty = Array.from({ length: 30 }, (_, i) => event("2021-08-30", `12:00:${String(i).padStart(2, "0")}`, `user-${i}`));
    for (const e of thirty) expect((await post(big, e)).statusCode).toBe(201);

    const first = await call(big, "GET /events");
    expect(first.statusCode).toBe(200);
    expect(first.json.items as EventItem[]).toHaveLength(25);
    expect(typeof first.json.nextToken).toBe("string");
    const rest = await call(big, "GET /events", { query: { nextToken: first.json.nextToken as string } });
    expect(rest.json.items as EventItem[]).toHaveLength(5);
    expect(rest.json.nextToken).toBeUndefined();
    const key = (e: EventItem): string => e.time;
    expect([...(first.json.items as EventItem[]), ...(rest.json.items as EventItem[])].map(key).sort()).toEqual(thirty.map(key));
  });

  test("the token is opaque (URL-safe) and bound to its date", async () => {
    const first = await call(deps, "GET /events", { query: { date: "2021-08-28", limit: "2" } });
    const token = first.json.nextToken as string;
    expect(token).toMatch(/^[A-Za-z0-9_-]+$/);
    const other = await call(deps, "GET /events", { query: { date: "2021-08-29", nextToken: token } });
    expect(other.statusCode).toBe(400);
    expect(other.json.message).toMatch(/another date/);
  });
});

describe("bad input: 4xx with a JSON message, nothing written", () => {
  let deps: EventLogDeps;
  beforeAll(async () => {
    deps = await freshDeps();
  });
  afterEach(async () => {
    expect(await rows(deps)).toEqual([]);
  });

  const valid = event("2021-08-28", "14:19:00.000");
  const cases: Array<[string, RequestInit, number, RegExp]> = [
    ["malformed JSON", { body: '{"date": "2021-08-28",' }, 400, /not valid JSON/],
    ["empty body", { body: "" }, 400, /empty/],
    ["no body at all", {}, 400, /empty/],
    ["a JSON array", { body: "[]" }, 400, /JSON object/],
    ["a JSON string", { body: '"event"' }, 400, /JSON object/],
    ["every field missing", { body: "{}" }, 400, /"date" is required.*"time" is required.*"userId" is required.*"eventType" is required/],
    ["userId missing", { body: JSON.stringify({ ...valid, userId: undefined }) }, 400, /"userId" is required/],
    ["eventType empty", { body: JSON.stringify({ ...valid, eventType: "  " }) }, 400, /"eventType" must not be empty/],
    ["userId a number", { body: JSON.stringify({ ...valid, userId: 42 }) }, 400, /"userId" must be a string/],
    ["date with slashes", { body: JSON.stringify({ ...valid, date: "2021/08/28" }) }, 400, /"date" must be a calendar date/],
    ["date that does not exist", { body: JSON.stringify({ ...valid, date: "2021-02-30" }) }, 400, /"date" must be a calendar date/],
    ["time out of range", { body: JSON.stringify({ ...valid, time: "25:00:00" }) }, 400, /"time" must be HH:MM:SS/],
    ["very long userId", { body: JSON.stringify({ ...valid, userId: "u".repeat(5000) }) }, 400, /at most 256/],
    ["lone surrogate", { body: '{"date":"2021-08-28","time":"14:19:00","userId":"\\ud800","eventType":"x"}' }, 400, /valid Unicode/],
    ["body over the limit", { body: JSON.stringify({ ...valid, pad: "x".repeat(20_000) }) }, 413, /larger than/],
    ["wrong content type", { body: JSON.stringify(valid), headers: { "content-type": "text/plain" } }, 415, /application\/json/],
  ];

  test.each(cases)("POST with %s", async (_name, init, status, message) => {
    const res = await call(deps, "POST /events", init);
    expect(res.statusCode).toBe(status);
    expect(res.headers["content-type"]).toMatch(/^application\/json/);
    expect(res.json.message).toMatch(message);
  });

  const queries: Array<[string, Record<string, string>, RegExp]> = [
    ["a bad date", { date: "28-08-2021" }, /"date" must be a calendar date/],
    ["a date holding a comma", { date: "2021-08-28,2021-08-29" }, /"date" must be a calendar date/],
    ["limit 0", { limit: "0" }, /"limit" must be/],
    ["limit over the maximum", { limit: "101" }, /"limit" must be/],
    ["limit not a number", { limit: "ten" }, /"limit" must be/],
    ["a token this API did not make", { nextToken: "not a token!" }, /"nextToken"/],
    ["a well-formed token with a bad key", { nextToken: Buffer.from('{"date":"x","time":1}').toString("base64url") }, /"nextToken"/],
  ];

  test("a repeated parameter: the last value counts (the project's one rule), not HTTP API's comma-joined values", async () => {
    // Its own table with rows in it (the block's table stays empty): a limit of 1 then shows as exactly 1 item.
    const seeded = await freshDeps();
    for (const e of [event("2021-08-28", "09:00:00"), event("2021-08-28", "10:00:00")]) expect((await post(seeded, e)).statusCode).toBe(201);
    // HTTP API's own view of `?limit=abc&limit=1` is "abc,1" (a 400); the last value, 1, is valid.
    const get = apiEvent("GET /events", { query: { limit: "abc,1" } });
    const res = await handleRequest({ ...get, rawQueryString: "limit=abc&limit=1" }, seeded);
    expect(res.statusCode).toBe(200);
    const page = JSON.parse(res.body) as { items: unknown[]; nextToken?: string };
    expect(page.items).toHaveLength(1);
    expect(page.nextToken).toEqual(expect.any(String));
    const first = await handleRequest({ ...get, rawQueryString: "limit=1&limit=abc" }, seeded);
    expect(first.statusCode).toBe(400);
  });

  test.each(queries)("GET with %s", async (_name, query, message) => {
    const res = await call(deps, "GET /events", { query });
    expect(res.statusCode).toBe(400);
    expect(res.json.message).toMatch(message);
  });

  test("an unknown route answers 404, not 400", async () => {
    const res = await call(deps, "DELETE /events", {});
    expect(res.statusCode).toBe(404);
    expect(res.json.message).toMatch(/No route/);
    expect((await call(deps, "$default")).statusCode).toBe(404);
  });
});

describe("failures inside", () => {
  let errorLog: jest.SpyInstance;
  beforeEach(() => {
    errorLog = jest.spyOn(console, "error").mockImplementation(() => undefined);
    jest.spyOn(console, "warn").mockImplementation(() => undefined);
  });
  afterEach(() => jest.restoreAllMocks());

  test("a DynamoDB failure answers 500 with a generic message; the details go to the log only", async () => {
    const deps: EventLogDeps = { db: local.doc, tableName: "NoSuchTable" };
    const res = await call(deps, "GET /events", { query: { date: "2021-08-28" } });
    expect(res.statusCode).toBe(500);
    expect(res.json).toEqual({ message: "Internal server error" });
    expect(errorLog).toHaveBeenCalled();
  });

  test("exhausted table capacity (dynalite behind the fault proxy, every call throttled) answers 503 with Retry-After; nothing written", async () => {
    const deps = await freshDeps();
    const faults = await startFaultProxy(local, { kind: "throttle" });
    // One attempt per call: the throttling answer reaches the handler at once instead of after the SDK's backoff.
    const raw = new DynamoDBClient({ endpoint: faults.endpoint, region: REGION, credentials: FAKE_CREDENTIALS, maxAttempts: 1 });
    try {
      const res = await call({ db: DynamoDBDocumentClient.from(raw), tableName: deps.tableName }, "POST /events", {
        body: JSON.stringify(event("2021-08-28", "10:00:00")),
      });
      expect(faults.stats.throttled).toBe(1);
      expect(res.statusCode).toBe(503);
      expect(res.headers["retry-after"]).toBe("1");
      expect(res.json.message).toMatch(/retry in 1 s/);
      expect(res.json.message).not.toMatch(/Rate exceeded|fault proxy/);
    } finally {
      raw.destroy();
      await faults.stop();
    }
    expect(await rows(deps)).toEqual([]);
  });
});

describe("the Lambda entry (index.ts) reads its table and endpoint from the environment", () => {
  const saved = { ...process.env };
  let entry: typeof import("../handlers/event-log-api/index");
  let tableName: string;

  beforeAll(async () => {
    tableName = await eventLogTable("EventLog-entry");
    Object.assign(process.env, sdkEnv({ dynamodb: local }));
    entry = await import("../handlers/event-log-api/index");
  });

  // Set before each test: the test without TABLE_NAME deletes it. The entry logs one line per answer: captured.
  let infoLog: jest.SpyInstance;
  beforeEach(() => {
    process.env.TABLE_NAME = tableName;
    infoLog = jest.spyOn(console, "log").mockImplementation(() => undefined);
  });
  afterEach(() => jest.restoreAllMocks());

  afterAll(() => {
    process.env = saved;
  });

  test("POST then GET through the deployed entry point", async () => {
    const item = event("2021-09-09", "17:08:57");
    const created = await entry.handler(apiEvent("POST /events", { body: JSON.stringify(item) }));
    expect(created.statusCode).toBe(201);
    // The request's id (API Gateway's) is answered in x-correlation-id and written on the item.
    const correlationId = String(created.headers?.["x-correlation-id"]);
    expect(correlationId).toBe(apiEvent("POST /events").requestContext.requestId);
    const read = await entry.handler(apiEvent("GET /events", { query: { date: "2021-09-09" } }));
    expect(JSON.parse(read.body ?? "{}")).toEqual(page([{ ...signed(item), correlationId }]));
    const answered = infoLog.mock.calls.map(([line]) => JSON.parse(String(line)) as Record<string, unknown>);
    expect(answered.map(({ route, status }) => `${String(route)} ${String(status)}`)).toEqual(["POST /events 201", "GET /events 200"]);
  });

  test("without TABLE_NAME it answers 500, not a crash", async () => {
    jest.spyOn(console, "error").mockImplementation(() => undefined);
    delete process.env.TABLE_NAME;
    const res = await entry.handler(apiEvent("GET /events"));
    expect(res.statusCode).toBe(500);
    jest.restoreAllMocks();
  });
});
