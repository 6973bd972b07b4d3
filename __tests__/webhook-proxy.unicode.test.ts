/**
 * Text no request can carry: an unpaired UTF-16 surrogate (a valid JavaScript
 * string and a valid JSON `\ud800` escape, with no UTF-8 form) in a webhook's
 * text body, a header, its path or its query. One rule per handler
 * (docs/reliability.md, "Text a downstream cannot store or send"):
 * - api2sqs refuses it with 400 and a JSON message, before queueing;
 * - sqs2upstream never sends a message holding one (queued before the rule, or
 *   by another producer): reported as failed without calling the upstream, so
 *   SQS moves it to the dead-letter queue (webhook-proxy.dead-letters.test.ts).
 * Before, the body and header values went upstream as EF BF BD bytes, and a
 * path or query made `upstreamTarget` throw URIError on every receive.
 *
 * Real parts: local-aws-sqs and a node:http upstream on 127.0.0.1; both
 * handlers' Lambda entries in this process, their lines captured and read back
 * (`webhook-proxy/captured.ts`).
 */
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context, SQSBatchResponse, SQSEvent, SQSRecord } from "aws-lambda";
import { CreateQueueCommand, DeleteMessageCommand, type Message, ReceiveMessageCommand, SendMessageCommand } from "@aws-sdk/client-sqs";
import { bodyBytes, MalformedMessageError, messageFromRequest, sendableHeaderValue, serializeMessage, type WebhookMessage } from "../handlers/webhook-proxy/message";
import { parseUpstream, upstreamTarget } from "../handlers/webhook-proxy/sqs2upstream/deliver";
import { correlationAttribute } from "../handlers/shared/correlation";
import { type LocalSqs, sdkEnv, startLocalSqs } from "./support/local-aws";
import type { LogRecord } from "./support/log-shape";
import { captured } from "./webhook-proxy/captured";
import { recordsOf } from "./webhook-proxy/event-source";
import { type ApiRequest, apiEvent, startUpstream, type TestUpstream } from "./webhook-proxy/fixtures";

const HIGH = "\ud800"; // half a surrogate pair: the first half
const LOW = "\udc00"; // the second half, alone

/** Where the surrogate sits, the request that carries it, and how the answer names the part. */
const CASES: [string, ApiRequest, string][] = [
  ["a text body", { body: `{"message":"${HIGH} tail"}` }, "the body"],
  ["a text body (the second half)", { body: `${LOW}` }, "the body"],
  ["a header value", { body: "{}", headers: { "x-note": `a${HIGH}b` } }, "header x-note"],
  ["the path", { body: "{}", rawPath: `/hooks/${LOW}` }, "the path"],
  ["the query string", { body: "{}", rawQueryString: `q=${HIGH}` }, "the query string"],
];

let sqs: LocalSqs;
let upstream: TestUpstream;
let queueUrl: string;
let api2sqsHandler: (event: APIGatewayProxyEventV2, context?: Context) => Promise<APIGatewayProxyStructuredResultV2>;
let sqs2upstreamHandler: (event: SQSEvent, context: Context) => Promise<SQSBatchResponse>;
const saved = { ...process.env };
const context = { functionName: "unicode-test", awsRequestId: "unicode-test", getRemainingTimeInMillis: () => 3000 } as Context;

beforeAll(async () => {
  [sqs, upstream] = await Promise.all([startLocalSqs(), startUpstream()]);
  queueUrl = (await sqs.client.send(new CreateQueueCommand({ QueueName: "unicode" }))).QueueUrl as string;
  // The functions' configuration as the stack sets it (the queue's maxReceiveCount: 5); SDK endpoints through the standard variables.
  Object.assign(process.env, { ...sdkEnv({ sqs }), SQS_URL: queueUrl, UPSTREAM: upstream.url, MAX_RECEIVE_COUNT: "5" });
  api2sqsHandler = (await import("../handlers/webhook-proxy/api2sqs")).handler;
  sqs2upstreamHandler = (await import("../handlers/webhook-proxy/sqs2upstream")).handler;
});
afterAll(async () => {
  process.env = saved;
  await Promise.all([sqs?.stop(), upstream?.close()]);
});

/** One invocation of each entry, its lines read back; every line of the one log shape. */
async function api2sqs(event: APIGatewayProxyEventV2): Promise<{ result: APIGatewayProxyStructuredResultV2; records: LogRecord[] }> {
  const { result, output } = await captured(() => api2sqsHandler(event, context));
  expect(output.problems).toEqual([]);
  return { result, records: output.records };
}
async function sqs2upstream(records: SQSRecord[]): Promise<{ result: SQSBatchResponse; records: LogRecord[] }> {
  const { result, output } = await captured(() => sqs2upstreamHandler({ Records: records }, context));
  expect(output.problems).toEqual([]);
  return { result, records: output.records };
}

beforeEach(() => {
  upstream.received.length = 0;
});

/** Everything on the queue now (and deletes it), each with its attributes, as the event source mapping reads them. */
async function drain(): Promise<Message[]> {
  const all: Message[] = [];
  for (;;) {
    const got = (await sqs.client.send(new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, AttributeNames: ["All"], MessageAttributeNames: ["All"] }))).Messages ?? [];
    if (got.length === 0) return all;
    all.push(...got);
    await Promise.all(got.map((m) => sqs.client.send(new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: m.ReceiptHandle }))));
  }
}

describe("api2sqs refuses text with no UTF-8 form: 400 with a JSON message, nothing queued", () => {
  test.each(CASES)("%s", async (_case, request, part) => {
    const requestId = `refused-${part.replace(/\W+/g, "-")}`;
    const { result: answer, records } = await api2sqs(apiEvent({ ...request, requestId }));
    expect(answer.statusCode).toBe(400);
    expect(answer.headers).toMatchObject({ "content-type": expect.stringMatching(/^application\/json/) });
    expect(JSON.parse(String(answer.body))).toEqual({ message: `The webhook was not queued: ${part} is not valid Unicode text (it holds an unpaired UTF-16 surrogate, which has no UTF-8 form)` });
    expect(records.find((r) => r.event === "webhook_not_unicode")).toMatchObject({ part, correlation_id: requestId });
    expect(await drain()).toEqual([]);
  });

  test("a well-formed pair (an emoji) in each part is queued and reaches the upstream as the sender's UTF-8", async () => {
    const emoji = "🎉";
    const request: ApiRequest = { body: `{"party":"${emoji}"}`, rawPath: `/hooks/${emoji}`, rawQueryString: `q=${emoji}`, headers: { "x-note": emoji } };
    const { result: answer } = await api2sqs(apiEvent(request));
    expect(answer.statusCode).toBe(202);
    const queued = await drain();
    expect(queued).toHaveLength(1);
    expect((await sqs2upstream(recordsOf(queued))).result).toEqual({ batchItemFailures: [] });
    const got = upstream.received[0];
    expect(got.body.equals(Buffer.from(String(request.body), "utf8"))).toBe(true);
    expect(Buffer.from(String(got.headers["x-note"]), "latin1").toString("utf8")).toBe(emoji);
    const encoded = encodeURIComponent(emoji);
    expect(got.url).toBe(`/hooks/${encoded}?q=${encoded}`);
  });
});

describe("sqs2upstream never sends such a message: reported, the upstream not called", () => {
  /** A message as an older api2sqs (or another producer) queued it: the surrogate kept as a JSON escape. */
  async function queueUnsendable(request: ApiRequest, requestId: string): Promise<void> {
    const message = messageFromRequest(apiEvent({ ...request, requestId }));
    await sqs.client.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: serializeMessage(message), MessageAttributes: correlationAttribute(requestId) }));
  }

  test.each(CASES)("%s", async (_case, request, part) => {
    const requestId = `queued-${part.replace(/\W+/g, "-")}`;
    await queueUnsendable(request, requestId);
    const queued = await drain();
    expect(queued).toHaveLength(1);
    const { result, records } = await sqs2upstream(recordsOf(queued));
    expect(result).toEqual({ batchItemFailures: [{ itemIdentifier: queued[0].MessageId }] });
    expect(upstream.received).toEqual([]);
    const line = records.find((r) => r.event === "malformed_message");
    expect(line).toMatchObject({ level: "ERROR", correlation_id: requestId, receiveCount: 1, messageId: queued[0].MessageId });
    expect(String(line?.error)).toBe(`${part} is not valid Unicode text: it holds an unpaired UTF-16 surrogate, which no request can carry`);
    // Its first receive of five: not yet the last, so not dead-lettered.
    expect(records.filter((r) => r.event === "dead_lettered")).toEqual([]);
  });

  test("in a batch, only that message is held back; the others are delivered", async () => {
    await queueUnsendable({ body: "{}", rawPath: `/bad/${HIGH}` }, "bad");
    await api2sqs(apiEvent({ body: '{"n":1}', rawPath: "/good", requestId: "good" }));
    const queued = await drain();
    expect(queued).toHaveLength(2);
    const bad = queued.find((m) => m.MessageAttributes?.correlationId?.StringValue === "bad");
    expect((await sqs2upstream(recordsOf(queued))).result).toEqual({ batchItemFailures: [{ itemIdentifier: bad?.MessageId }] });
    expect(upstream.received.map((r) => r.url)).toEqual(["/good"]);
  });
});

describe("the functions that turn a message into a request refuse such text too (never EF BF BD, never URIError)", () => {
  const base = messageFromRequest(apiEvent({ body: "{}" }));
  const upstreamHost = parseUpstream("example.com/in");
  const cases: [string, () => unknown][] = [
    ["bodyBytes, a utf8 body", () => bodyBytes({ ...base, body: `x${HIGH}` })],
    ["sendableHeaderValue", () => sendableHeaderValue(`a${LOW}`, "x-note")],
    ["upstreamTarget, the path", () => upstreamTarget(upstreamHost, { ...base, path: `/${HIGH}` })],
    ["upstreamTarget, the query", () => upstreamTarget(upstreamHost, { ...base, query: `q=${LOW}` })],
  ];
  test.each(cases)("%s: MalformedMessageError", (_case, call) => {
    expect(call).toThrow(MalformedMessageError);
    expect(call).toThrow(/is not valid Unicode text/);
  });

  test("a base64 body is bytes, never judged as text", () => {
    const binary: WebhookMessage = { ...base, body: Buffer.from([0xed, 0xa0, 0x80]).toString("base64"), bodyEncoding: "base64" };
    expect(bodyBytes(binary).equals(Buffer.from([0xed, 0xa0, 0x80]))).toBe(true);
  });
});
