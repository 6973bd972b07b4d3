/**
 * Bad input at every entry point, table-driven: each HTTP-facing handler gets
 * malformed JSON, an empty body, a wrong content type, a body over its limit,
 * invalid UTF-8, an unpaired surrogate, missing / repeated query parameters and
 * very long strings. Each answer is a 4xx with a JSON `{ message }`; nothing
 * crashes, answers 5xx, or writes anything. The stream and queue consumers get
 * poison records: the rest of the batch lands.
 *
 * Real local engines (dynalite, local-aws-sqs, a node:http upstream) started
 * here; Amazon Translate has no local engine, so its client is stubbed at the
 * SDK boundary (aws-sdk-client-mock) and must never be called.
 */
import type {
  ALBEvent,
  APIGatewayProxyEvent,
  APIGatewayProxyEventV2,
  Context,
  KinesisStreamEvent,
  KinesisStreamRecord,
  SQSBatchResponse,
} from "aws-lambda";
import {
  CreateQueueCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SQSClient,
} from "@aws-sdk/client-sqs";
import { TranslateClient } from "@aws-sdk/client-translate";
import { ScanCommand } from "@aws-sdk/lib-dynamodb";
import { mockClient } from "aws-sdk-client-mock";
import { albEvent, httpApiEvent } from "./media-alb/local";
import { kinesisRecord } from "./support/kinesis";
import { LocalDynamo, LocalSqs, sdkEnv, startLocalDynamo, startLocalSqs } from "./support/local-aws";
import { getEvent, postEvent } from "./translate-api/events";
import { bodyBytes, parseMessage } from "../handlers/webhook-proxy/message";
import { apiEvent, sqsRecord, startUpstream, TestUpstream } from "./webhook-proxy/fixtures";

const TABLES = {
  events: "bad-input-events",
  translations: "bad-input-translations",
  jobIds: "bad-input-job-ids",
  statuses: "bad-input-statuses",
  ingest: "bad-input-ingest",
};

interface HttpAnswer {
  statusCode?: number;
  headers?: Record<string, string | number | boolean>;
  body?: string;
}
type HttpHandler<E> = (event: E) => Promise<HttpAnswer>;

let dynamo: LocalDynamo;
let sqsEngine: LocalSqs;
let sqs: SQSClient;
let queueUrl: string;
let upstream: TestUpstream;
const translate = mockClient(TranslateClient);

let eventLog: HttpHandler<APIGatewayProxyEventV2>;
let translateApi: HttpHandler<APIGatewayProxyEvent>;
let jobId: HttpHandler<ALBEvent | APIGatewayProxyEventV2>;
let jobStatus: HttpHandler<ALBEvent | APIGatewayProxyEventV2>;
let api2sqs: HttpHandler<APIGatewayProxyEventV2>;
let ingest: (event: KinesisStreamEvent) => Promise<{ batchItemFailures: { itemIdentifier: string }[] }>;
let sqs2upstream: (event: { Records: ReturnType<typeof sqsRecord>[] }, context: Context) => Promise<SQSBatchResponse>;

beforeAll(async () => {
  jest.spyOn(console, "log").mockImplementation(() => undefined);
  jest.spyOn(console, "warn").mockImplementation(() => undefined);
  jest.spyOn(console, "error").mockImplementation(() => undefined);
  translate.onAnyCommand().rejects(new Error("Translate must not be called for bad input"));

  dynamo = await startLocalDynamo();
  await dynamo.createTable(TABLES.events, "date", "time");
  await dynamo.createTable(TABLES.translations, "timestamp");
  await dynamo.createTable(TABLES.jobIds, "InputFile");
  await dynamo.createTable(TABLES.statuses, "JobId");
  await dynamo.createTable(TABLES.ingest, "ID");

  sqsEngine = await startLocalSqs();
  sqs = sqsEngine.client;
  await freshQueue();
  upstream = await startUpstream();

  // The handlers' own configuration, as the stacks set it; SDK endpoints through the standard variables.
  Object.assign(process.env, {
    ...sdkEnv({ dynamodb: dynamo, sqs: sqsEngine }),
    UPSTREAM: upstream.url,
    ALLOWED_ORIGINS: "https://([a-z0-9-]+[.])*example[.]com",
  });
  // Modules read configuration at load (media-alb) or per call: load them once the environment is set.
  process.env.TABLE_NAME = TABLES.jobIds;
  jest.isolateModules(() => {
    jobId = require("../handlers/media-alb/input-file-to-job-id").handler;
  });
  process.env.TABLE_NAME = TABLES.statuses;
  jest.isolateModules(() => {
    jobStatus = require("../handlers/media-alb/job-id-to-status").handler;
  });
  eventLog = (await import("../handlers/event-log-api")).handler as HttpHandler<APIGatewayProxyEventV2>;
  translateApi = (await import("../handlers/translate-api")).handler as HttpHandler<APIGatewayProxyEvent>;
  api2sqs = (await import("../handlers/webhook-proxy/api2sqs")).handler as HttpHandler<APIGatewayProxyEventV2>;
  ingest = (await import("../handlers/kinesis-ingest")).handler as unknown as typeof ingest;
  sqs2upstream = (await import("../handlers/webhook-proxy/sqs2upstream")).handler;
});

afterAll(async () => {
  await upstream.close();
  await sqsEngine.stop();
  await dynamo.stop();
  translate.restore();
  jest.restoreAllMocks();
});

async function rowCount(table: string): Promise<number> {
  return (await dynamo.doc.send(new ScanCommand({ TableName: table }))).Items?.length ?? 0;
}

let queues = 0;
/** A new, empty queue that api2sqs sends to from now on (SQS allows one purge a minute, so no purging). */
async function freshQueue(): Promise<void> {
  queueUrl = (await sqs.send(new CreateQueueCommand({ QueueName: `bad-input-${++queues}` }))).QueueUrl as string;
  process.env.SQS_URL = queueUrl;
}

async function queueDepth(): Promise<number> {
  const out = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ["ApproximateNumberOfMessages"] }));
  return Number(out.Attributes?.ApproximateNumberOfMessages ?? 0);
}

/** A 4xx with a JSON `{ message }` and string-only header values. */
function expectClientError(answer: HttpAnswer): void {
  expect(answer.statusCode).toBeGreaterThanOrEqual(400);
  expect(answer.statusCode).toBeLessThan(500);
  const message = (JSON.parse(answer.body ?? "") as { message?: unknown }).message;
  expect(typeof message).toBe("string");
  expect((message as string).length).toBeGreaterThan(0);
  expect(String(Object.entries(answer.headers ?? {}).find(([k]) => k.toLowerCase() === "content-type")?.[1])).toMatch(
    /^application\/json/,
  );
}

const LONG = "x".repeat(300_000);
const INVALID_UTF8 = Buffer.from([0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xff, 0xfe, 0x22, 0x7d]); // {"a":"\xff\xfe"}
const LONE_SURROGATE_JSON = '{"input_text":"\\ud800","date":"2024-01-01","time":"10:00:00","userId":"\\ud800","eventType":"x"}';

/** The bodies every JSON endpoint must refuse: [case, body (a Buffer is sent base64), content type]. */
const BAD_BODIES: [string, string | Buffer, string][] = [
  ["malformed JSON", '{"date": "2024-01-01",', "application/json"],
  ["empty body", "", "application/json"],
  ["JSON that is not an object", '["2024-01-01"]', "application/json"],
  ["wrong content type", "date=2024-01-01&time=10:00", "application/x-www-form-urlencoded"],
  ["a body over the limit", JSON.stringify({ date: "2024-01-01", time: "10:00:00", userId: LONG, eventType: "x", input_text: LONG }), "application/json"],
  ["invalid UTF-8", INVALID_UTF8, "application/json"],
  ["an unpaired surrogate", LONE_SURROGATE_JSON, "application/json"],
  ["very long strings", JSON.stringify({ date: "2024-01-01", time: "10:00:00", userId: "u".repeat(20_000), eventType: "e".repeat(20_000), input_text: "あ".repeat(4_000) }), "application/json"],
];

describe("event-log-api: POST /events and GET /events", () => {
  function post(body: string | Buffer, contentType: string): APIGatewayProxyEventV2 {
    return { ...apiEvent({ body, headers: { "content-type": contentType }, rawPath: "/events" }), routeKey: "POST /events" };
  }
  function get(query: Record<string, string>): APIGatewayProxyEventV2 {
    return { ...apiEvent({ method: "GET", rawPath: "/events" }), routeKey: "GET /events", body: undefined, queryStringParameters: query };
  }

  test.each(BAD_BODIES)("POST with %s -> 4xx, nothing written", async (_case, body, contentType) => {
    expectClientError(await eventLog(post(body, contentType)));
    expect(await rowCount(TABLES.events)).toBe(0);
  });

  test.each([
    ["a date holding a comma", { date: "2024-01-01,2024-01-02" }],
    ["a very long date", { date: "2".repeat(10_000) }],
    ["an odd unicode date", { date: "２０２４-０１-０１" }],
    ["a limit that is not a number", { limit: "ten" }],
    ["a forged next token", { nextToken: "not-a-token" }],
    ["an unpaired surrogate", { date: "\ud800", nextToken: "\udc00" }],
  ])("GET with %s -> 4xx", async (_case, query) => {
    expectClientError(await eventLog(get(query)));
  });
});

describe("translate-api: GET and POST /translate", () => {
  function post(body: string | Buffer, contentType: string): APIGatewayProxyEvent {
    const event = postEvent(Buffer.isBuffer(body) ? body.toString("base64") : body, { "Content-Type": contentType });
    return { ...event, isBase64Encoded: Buffer.isBuffer(body) };
  }

  test.each(BAD_BODIES)("POST with %s -> 4xx, Translate not called, nothing written", async (_case, body, contentType) => {
    translate.resetHistory();
    expectClientError(await translateApi(post(body, contentType)));
    expect(translate.calls()).toHaveLength(0);
    expect(await rowCount(TABLES.translations)).toBe(0);
  });

  test.each([
    ["no input_text", {}],
    ["an empty input_text", { input_text: "" }],
    ["a repeated input_text whose last value is empty (the last value counts)", { input_text: ["こんにちは", ""] }],
    ["an input_text over 10,000 bytes", { input_text: "あ".repeat(3_334) }],
    ["a malformed language code", { input_text: "こんにちは", target: "english!" }],
    ["an unpaired surrogate", { input_text: "\ud800" }],
  ])("GET with %s -> 4xx, Translate not called", async (_case, query) => {
    translate.resetHistory();
    expectClientError(await translateApi(getEvent(query as Record<string, string | string[]>)));
    expect(translate.calls()).toHaveLength(0);
    expect(await rowCount(TABLES.translations)).toBe(0);
  });
});

describe("media-alb: both handlers, ALB and HTTP API event shapes", () => {
  const cases: [string, string, string, Record<string, string> | undefined][] = [
    ["a POST with malformed JSON", "POST", "input_file=a.mp4", { "content-type": "application/json" }],
    ["a missing parameter", "GET", "", undefined],
    ["an empty parameter", "GET", "input_file=&job_id=", undefined],
    ["a very long value", "GET", `input_file=${"a".repeat(5_000)}&job_id=${"1".repeat(5_000)}`, undefined],
    ["odd unicode", "GET", "input_file=%F0%9F%98%80%E2%80%AE.mp4&job_id=%E2%80%AE", undefined],
    ["a disallowed origin", "GET", "input_file=a.mp4&job_id=1", { origin: "https://evil.example.net" }],
  ];
  const shapes: [string, (r: Parameters<typeof albEvent>[0]) => ALBEvent | APIGatewayProxyEventV2][] = [
    ["ALB", albEvent],
    ["HTTP API", httpApiEvent],
  ];
  const endpoints: [string, string, () => HttpHandler<ALBEvent | APIGatewayProxyEventV2>][] = [
    ["job id", "/media/job_id", () => jobId],
    ["status", "/media/status", () => jobStatus],
  ];

  const table = endpoints.flatMap(([name, path, fn]) =>
    shapes.flatMap(([shape, build]) =>
      cases.map(([label, method, rawQuery, headers]): [string, string, string, () => Promise<HttpAnswer>] => [
        name,
        shape,
        label,
        async () => {
          const event = build({ method, path, rawQuery, headers });
          if (method === "POST") Object.assign(event, { body: '{"input_file":', isBase64Encoded: false });
          return fn()(event);
        },
      ]),
    ),
  );

  test.each(table)("%s via %s: %s -> 4xx with string headers", async (_name, _shape, _case, call) => {
    const answer = await call();
    expectClientError(answer);
    for (const value of Object.values(answer.headers ?? {})) expect(typeof value).toBe("string");
  });

  test("an ALB query value with a broken percent-encoding -> 400", async () => {
    expectClientError(await jobId(albEvent({ path: "/media/job_id", rawQuery: "input_file=%E0%A4%A" })));
  });

  // DynamoDB keys are UTF-8: a value with no UTF-8 form is refused before the lookup, by either front door.
  test.each([
    ["ALB, half a surrogate pair percent-encoded", () => albEvent({ path: "/media/job_id", rawQuery: "input_file=%ED%A0%80.mp4" })],
    ["HTTP API, an unpaired surrogate in the decoded value", () => ({ ...httpApiEvent({ path: "/media/job_id", rawQuery: "input_file=x" }), queryStringParameters: { input_file: "\ud800.mp4" }, rawQueryString: "" })],
  ])("a key with no UTF-8 form (%s) -> 400, the table not read", async (_case, event) => {
    const answer = await jobId(event());
    expect(answer.statusCode).toBe(400);
    expect(JSON.parse(answer.body ?? "")).toEqual({ success: false, message: expect.stringMatching(/input_file is not valid (Unicode text|URL encoding)/) });
  });
});

describe("webhook-proxy api2sqs: a proxy forwards payloads unjudged, but never over the limit", () => {
  beforeEach(freshQueue);

  test("a body over the SQS message limit -> 413, nothing queued", async () => {
    expectClientError(await api2sqs(apiEvent({ body: Buffer.alloc(300_000, 1) })));
    expect(await queueDepth()).toBe(0);
  });

  // Deliberate exception to "4xx for malformed JSON": the proxy's contract is the exact bytes,
  // judged by the upstream (webhook signatures cover them), so these are queued, unchanged.
  test.each([
    ["malformed JSON", '{"event": "delivered",'],
    ["an empty body", ""],
    ["invalid UTF-8", INVALID_UTF8],
  ])("%s -> 202, queued unchanged", async (_case, body) => {
    const answer = await api2sqs(apiEvent({ body }));
    expect(answer.statusCode).toBe(202);
    const queued = (await sqs.send(new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10 }))).Messages ?? [];
    expect(queued).toHaveLength(1);
    expect(bodyBytes(parseMessage(queued[0].Body as string)).equals(Buffer.from(body))).toBe(true);
  });
});

describe("consumers: a poison record never blocks the rest of its batch", () => {
  test("kinesis-ingest with no dead-letter queue: an unstorable record (over 400 KB) is reported; the others land, an unpaired surrogate as its bytes", async () => {
    expect(process.env.DEAD_LETTER_QUEUE_URL).toBeUndefined();
    process.env.TABLE_NAME = TABLES.ingest;
    const record = (seq: string, data: string): KinesisStreamRecord => kinesisRecord(data, seq);
    const poison = JSON.stringify({ message: "p".repeat(450_000) }); // over DynamoDB's 400 KB item limit
    const unpaired = '{"message":"\\ud800"}'; // valid JSON, half a surrogate pair: no UTF-8 form, stored as bytes
    const result = await ingest({
      Records: [record("1", '{"message":"a"}'), record("2", poison), record("3", "not json at all"), record("4", unpaired), record("5", '{"message":"b"}')],
    });
    expect(result.batchItemFailures).toEqual([{ itemIdentifier: "2" }]);
    expect(await rowCount(TABLES.ingest)).toBe(4);
  });

  test("webhook-proxy sqs2upstream: an unreadable message is reported; the others are delivered", async () => {
    upstream.received.length = 0;
    // Real messages, made by api2sqs itself, around one that is not a message at all.
    await freshQueue();
    await api2sqs(apiEvent({ body: '{"n":1}' }));
    await api2sqs(apiEvent({ body: '{"n":2}' }));
    const queued = (await sqs.send(new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10 }))).Messages ?? [];
    expect(queued).toHaveLength(2);
    const records = [
      sqsRecord("m1", queued[0].Body as string),
      sqsRecord("poison", "this is not a stored webhook"),
      sqsRecord("m2", queued[1].Body as string),
    ];
    const context = { getRemainingTimeInMillis: () => 3000 } as Context;
    const result = await sqs2upstream({ Records: records }, context);
    expect(result.batchItemFailures).toEqual([{ itemIdentifier: "poison" }]);
    expect(upstream.received.map((r) => r.body.toString()).sort()).toEqual(['{"n":1}', '{"n":2}']);
  });
});
