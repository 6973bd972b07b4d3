/**
 * `api2sqs` against a real SQS-compatible engine, `local-aws-sqs` 2.0.2
 * (JSON protocol, works with SDK v3), started by the test on 127.0.0.1, and the
 * whole path to a real `node:http` upstream: API event -> api2sqs -> queue ->
 * ReceiveMessage -> sqs2upstream -> upstream, byte for byte.
 */
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, SQSRecord } from "aws-lambda";
import {
  CreateQueueCommand,
  GetQueueAttributesCommand,
  Message,
  ReceiveMessageCommand,
  SendMessageCommand,
  SQSClient,
} from "@aws-sdk/client-sqs";
import { DEFAULT_MAX_MESSAGE_BYTES, enqueueWebhook } from "../handlers/webhook-proxy/api2sqs/enqueue";
import { messageFromRequest, parseMessage } from "../handlers/webhook-proxy/message";
import { parseUpstream, processRecords } from "../handlers/webhook-proxy/sqs2upstream/deliver";
import { sqsClient as engineSqsClient } from "../tools/emulator/engines";
import { LocalSqs, sdkEnv, startLocalSqs } from "./support/local-aws";
import { REFUSED_BY_SQS, type StrictSqs, startStrictSqs } from "./support/strict-sqs";
import { apiEvent, sqsRecord, startUpstream, TestUpstream } from "./webhook-proxy/fixtures";

let local: LocalSqs;
let endpoint: string;
let sqs: SQSClient;
let queueUrl: string;
let upstream: TestUpstream;

async function receiveAll(url: string): Promise<Message[]> {
  const out = await sqs.send(
    new ReceiveMessageCommand({
      QueueUrl: url,
      MaxNumberOfMessages: 10,
      WaitTimeSeconds: 0,
      MessageSystemAttributeNames: ["All"],
    })
  );
  return out.Messages ?? [];
}

function asRecord(m: Message): SQSRecord {
  return sqsRecord(m.MessageId as string, m.Body as string);
}

function json(result: APIGatewayProxyStructuredResultV2): Record<string, unknown> {
  return JSON.parse(result.body as string) as Record<string, unknown>;
}

async function depth(url: string): Promise<number> {
  const out = await sqs.send(
    new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ["ApproximateNumberOfMessages"] })
  );
  return Number(out.Attributes?.ApproximateNumberOfMessages);
}

beforeAll(async () => {
  jest.spyOn(console, "log").mockImplementation(() => undefined);
  jest.spyOn(console, "warn").mockImplementation(() => undefined);
  jest.spyOn(console, "error").mockImplementation(() => undefined);
  local = await startLocalSqs();
  ({ endpoint, client: sqs } = local);
  upstream = await startUpstream();
});

afterAll(async () => {
  await upstream.close();
  await local.stop();
  jest.restoreAllMocks();
});

let queues = 0;
beforeEach(async () => {
  // A fresh queue per test: nothing one test queued is seen by the next.
  const name = `dev-proxy-queue-${++queues}-${expect
    .getState()
    .currentTestName?.replace(/[^A-Za-z0-9]/g, "")
    .slice(0, 40)}`;
  queueUrl = (await sqs.send(new CreateQueueCommand({ QueueName: name }))).QueueUrl as string;
  upstream.received.length = 0;
});

describe("api2sqs queues the webhook exactly", () => {
  test("202 with the SQS message id; the queued message records the request unparsed", async () => {
    const text = '{"event":"delivered",  "email":"a@example.com" ,"sg_event_id":"x"}';
    const result = await enqueueWebhook(
      apiEvent({
        body: text,
        rawQueryString: "token=abc",
        headers: { "content-type": "application/json", "x-twilio-email-event-webhook-signature": "sig" },
      }),
      { sqs, queueUrl }
    );

    expect(result.statusCode).toBe(202);
    const [queued] = await receiveAll(queueUrl);
    expect(json(result)).toEqual({ messageId: queued.MessageId });
    const message = parseMessage(queued.Body as string);
    expect(message).toMatchObject({
      method: "POST",
      path: "/",
      query: "token=abc",
      body: text, // not JSON.parse'd and re-serialized as the seed did
      bodyEncoding: "utf8",
      requestId: "req-1",
    });
    expect(message.headers["x-twilio-email-event-webhook-signature"]).toBe("sig");
  });

  test("end to end: a binary webhook reaches the upstream byte for byte, headers intact", async () => {
    const body = Buffer.concat([
      Buffer.from("\x89PNG\r\n\x1a\n", "latin1"),
      Buffer.from(Array.from({ length: 256 }, (_, i) => 255 - i)),
    ]);
    const headers = {
      "content-type": "image/png",
      "x-hub-signature-256": "sha256=abc",
      "user-agent": "GitHub-Hookshot/1",
    };
    const accepted = await enqueueWebhook(apiEvent({ body, headers, rawPath: "/", rawQueryString: "id=7" }), {
      sqs,
      queueUrl,
    });
    expect(accepted.statusCode).toBe(202);

    const messages = await receiveAll(queueUrl);
    expect(messages).toHaveLength(1);
    const result = await processRecords(messages.map(asRecord), {
      upstream: parseUpstream(upstream.url),
      timeoutMs: 2000,
      remainingTimeMs: () => 3000,
    });

    expect(result.batchItemFailures).toEqual([]);
    const got = upstream.received[0];
    expect(got.body.equals(body)).toBe(true);
    expect(got.url).toBe("/?id=7");
    expect(got.headers["content-type"]).toBe("image/png");
    expect(got.headers["x-hub-signature-256"]).toBe("sha256=abc");
    expect(got.headers["user-agent"]).toBe("GitHub-Hookshot/1");
  });

  test("an empty body is queued as such (the proxy does not judge content)", async () => {
    const result = await enqueueWebhook(apiEvent({}), { sqs, queueUrl });
    expect(result.statusCode).toBe(202);
    const [queued] = await receiveAll(queueUrl);
    expect(parseMessage(queued.Body as string).body).toBe("");
  });
});

describe("characters SQS refuses (U+FFFE, U+FFFF) anywhere in the request", () => {
  // local-aws-sqs accepts any body; `strict` applies SQS's documented character rule in front of it.
  let strict: StrictSqs;
  let viaStrict: SQSClient;
  beforeAll(async () => {
    strict = await startStrictSqs(local, { alsoRefuse: (body) => body.includes("refuse-me") });
    viaStrict = engineSqsClient(strict);
  });
  afterAll(async () => {
    viaStrict.destroy();
    await strict.stop();
  });

  // A check of the test's own stand-in, not of project code: it makes the next test's 202 mean something
  // (the stand-in does refuse what SQS refuses, where local-aws-sqs alone would take anything).
  test("stand-in check (support/strict-sqs.ts): local-aws-sqs queues U+FFFE as it is; the strict stand-in refuses it with InvalidMessageContents", async () => {
    const accepted = await sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: "a\ufffeb" }));
    expect(accepted.MessageId).toEqual(expect.any(String));
    await expect(
      viaStrict.send(new SendMessageCommand({ QueueUrl: strict.via(queueUrl), MessageBody: "a\ufffeb" })),
    ).rejects.toMatchObject({ name: "InvalidMessageContents" });
  });

  test("in header values, path, query and body: 202 under SQS's rule, and the upstream receives exactly what was sent", async () => {
    const event = apiEvent({
      body: "before \uffff after \ufffe ✓ 😀",
      base64: false,
      rawPath: "/hooks/\ufffe",
      rawQueryString: "id=\uffff",
      headers: { "content-type": "text/plain", "x-note": "a\ufffeb\uffffc", "x-city": "Srīperumbūdūr" },
    });
    const refusedBefore = strict.stats.refused;
    const accepted = await enqueueWebhook(event, { sqs: viaStrict, queueUrl: strict.via(queueUrl) });
    expect(accepted.statusCode).toBe(202);
    expect(strict.stats.refused).toBe(refusedBefore);

    const [queued] = await receiveAll(queueUrl);
    expect(REFUSED_BY_SQS.test(queued.Body as string)).toBe(false);
    // The consumer's JSON.parse restores every value exactly: the body stays text, nothing re-encoded.
    expect(parseMessage(queued.Body as string)).toEqual(messageFromRequest(event));

    const result = await processRecords([asRecord(queued)], {
      upstream: parseUpstream(upstream.url),
      timeoutMs: 2000,
      remainingTimeMs: () => 3000,
    });
    expect(result.batchItemFailures).toEqual([]);
    const got = upstream.received[0];
    expect(got.body.equals(Buffer.from("before \uffff after \ufffe ✓ 😀", "utf8"))).toBe(true);
    expect(got.url).toBe(`/hooks/${encodeURIComponent("\ufffe")}?id=${encodeURIComponent("\uffff")}`);
    // Node reads header bytes as Latin-1: the sender's UTF-8 bytes, unchanged.
    expect(Buffer.from(got.headers["x-note"] as string, "latin1").equals(Buffer.from("a\ufffeb\uffffc", "utf8"))).toBe(true);
    expect(Buffer.from(got.headers["x-city"] as string, "latin1").toString("utf8")).toBe("Srīperumbūdūr");
  });

  test("should SQS still refuse a message: 400 with a JSON message (the same request would be refused again), nothing queued", async () => {
    const result = await enqueueWebhook(apiEvent({ body: "refuse-me" }), { sqs: viaStrict, queueUrl: strict.via(queueUrl) });
    expect(result.statusCode).toBe(400);
    expect(result.headers).toMatchObject({ "content-type": expect.stringContaining("application/json") });
    expect(json(result)).toEqual({ message: "The webhook holds characters the queue does not accept; it was not queued" });
    expect(await depth(queueUrl)).toBe(0);
  });
});

describe("api2sqs refuses what it cannot queue, with a status the sender acts on", () => {
  test("413 with a message when the recorded request exceeds the message size; nothing is queued", async () => {
    const body = Buffer.alloc(DEFAULT_MAX_MESSAGE_BYTES, 0x61);
    const result = await enqueueWebhook(apiEvent({ body }), { sqs, queueUrl });
    expect(result.statusCode).toBe(413);
    expect(json(result).message).toMatch(/too large.*limit is 262144 bytes/);
    expect(await depth(queueUrl)).toBe(0);
  });

  test("the limit is configurable and measured on the whole message", async () => {
    const small = await enqueueWebhook(apiEvent({ body: "x".repeat(10) }), { sqs, queueUrl, maxMessageBytes: 2000 });
    const big = await enqueueWebhook(apiEvent({ body: "x".repeat(2000) }), { sqs, queueUrl, maxMessageBytes: 2000 });
    expect([small.statusCode, big.statusCode]).toEqual([202, 413]);
  });

  test("503 (so the sender retries) when SQS refuses: here, a queue that does not exist", async () => {
    const result = await enqueueWebhook(apiEvent({ body: "x" }), {
      sqs,
      queueUrl: `${endpoint}/123456789012/no-such-queue`,
    });
    expect(result.statusCode).toBe(503);
    expect(result.headers).toMatchObject({ "retry-after": "1" });
    expect(json(result)).toEqual({ message: "The webhook could not be queued; please retry" });
  });
});

describe("Lambda entry", () => {
  const saved = { ...process.env };
  let handler: (event: APIGatewayProxyEventV2) => Promise<APIGatewayProxyStructuredResultV2>;

  beforeAll(async () => {
    // The entry's client is made at module scope from the environment, as in Lambda.
    Object.assign(process.env, sdkEnv({ sqs: local }));
    ({ handler } = await import("../handlers/webhook-proxy/api2sqs"));
  });
  afterEach(() => {
    process.env.SQS_URL = saved.SQS_URL;
    if (saved.SQS_URL === undefined) delete process.env.SQS_URL;
  });
  afterAll(() => {
    process.env = saved;
  });

  test("reads SQS_URL and queues", async () => {
    process.env.SQS_URL = queueUrl;
    const result = await handler(apiEvent({ body: "hello" }));
    expect(result.statusCode).toBe(202);
    expect(await depth(queueUrl)).toBe(1);
  });

  test("without SQS_URL: 500 with a generic message, no stack trace", async () => {
    delete process.env.SQS_URL;
    const result = await handler(apiEvent({ body: "hello" }));
    expect(result.statusCode).toBe(500);
    expect(json(result)).toEqual({ message: "Internal server error" });
  });

  test("FORWARD_HEADERS: only the listed headers are queued; a malformed list is a config error (500), nothing queued", async () => {
    process.env.SQS_URL = queueUrl;
    try {
      process.env.FORWARD_HEADERS = "Content-Type, x-hub-signature-256";
      const ok = await handler(apiEvent({ body: "x", headers: { "content-type": "text/plain", "x-hub-signature-256": "sha256=1", "x-steer": "no" } }));
      expect(ok.statusCode).toBe(202);
      const out = await engineSqsClient(local).send(new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10 }));
      const queuedHeaders = (out.Messages ?? []).map((m) => parseMessage(String(m.Body)).headers);
      expect(queuedHeaders).toContainEqual({ "content-type": "text/plain", "x-hub-signature-256": "sha256=1" });
      process.env.FORWARD_HEADERS = "content-type,not a header";
      const before = await depth(queueUrl);
      const bad = await handler(apiEvent({ body: "x" }));
      expect(bad.statusCode).toBe(500);
      expect(await depth(queueUrl)).toBe(before);
    } finally {
      delete process.env.FORWARD_HEADERS;
    }
  });

  test("an unexpected failure is a 500 without details (the sender retries)", async () => {
    process.env.SQS_URL = queueUrl;
    const broken = { ...apiEvent({ body: "x" }), requestContext: undefined } as unknown as APIGatewayProxyEventV2;
    const result = await handler(broken);
    expect(result.statusCode).toBe(500);
    expect(result.body).not.toMatch(/TypeError|at /);
  });
});
