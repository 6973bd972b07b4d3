/**
 * A poison record never blocks the shard: the kinesis-ingest consumer sends a
 * record the table can never store to the dead-letter queue itself, in the
 * shape of Lambda's own Kinesis on-failure record, and does not report it in
 * batchItemFailures. Against dynalite and local SQS (and the fault proxy in
 * front of either): a poison record in the middle of a batch (refused before
 * writing, its chunk not split), a message with an unpaired surrogate stored as
 * its bytes (not poison), an unreachable queue (the record is then
 * reported, never lost), the ordering rule (nothing after the first reported
 * record is dead-lettered), a table that refuses everything, and the Lambda
 * entry reading DEAD_LETTER_QUEUE_URL.
 */
import { CreateTableCommand, DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { CreateQueueCommand, GetQueueAttributesCommand, type Message, ReceiveMessageCommand, SQSClient } from "@aws-sdk/client-sqs";
import { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import type { Context, KinesisStreamRecord } from "aws-lambda";
import { type DeadLetterSender, RECORD_NOT_STORABLE, recordDeadLetter, sqsDeadLetterSender } from "../handlers/kinesis-ingest/dead-letter";
import { handleKinesisEvent, MIN_CALL_MS, type WriteBudget } from "../handlers/kinesis-ingest/ingest";
import { fromLambdaRecord, itemId } from "../handlers/kinesis-ingest/item";
import { Deadline } from "../handlers/shared/time-budget";
import { parseDeadLetter } from "../tools/redrive/kinesis-dead-letters";
import { type FaultMode, type FaultProxy, startFaultProxy } from "./support/fault-proxy";
import { kinesisEventOf as eventOf, kinesisRecord as record, SHARD, STREAM_ARN } from "./support/kinesis";
import { startStrictSqs } from "./support/strict-sqs";
import { FAKE_CREDENTIALS, type LocalDynamo, type LocalSqs, REGION, sdkEnv, startLocalDynamo, startLocalSqs } from "./support/local-aws";

const FUNCTION_ARN = `arn:aws:lambda:${REGION}:123456789012:function:dev-kinesis_to_dynamo`;
const noSleep = { sleep: async () => undefined };
/** Over DynamoDB's 400 KB item limit: refused before writing (ItemTooLarge). */
const OVERSIZED = JSON.stringify({ message: "x".repeat(410 * 1024) });
/** Valid JSON whose message decodes to half a surrogate pair: no UTF-8 form, so the record's bytes are stored. */
const UNPAIRED = '{"message":"\\ud800 tail"}';

const seq = (r: KinesisStreamRecord): string => r.kinesis.sequenceNumber;
const idOf = (r: KinesisStreamRecord): string => itemId(SHARD, seq(r));

describe("kinesis-ingest: records the table can never store go to the dead-letter queue at once", () => {
  let dynamo: LocalDynamo;
  let sqs: LocalSqs;
  let tables = 0;
  let queues = 0;
  const proxies: FaultProxy[] = [];
  const clients: SQSClient[] = [];
  let warnings: jest.SpyInstance;
  let errors: jest.SpyInstance;

  const newTable = (): Promise<string> => dynamo.createTable(`poison-test-${++tables}`, "ID");
  const newQueue = async (): Promise<string> =>
    (await sqs.client.send(new CreateQueueCommand({ QueueName: `dev-kinesis-to-dynamo-dlq-${++queues}` }))).QueueUrl as string;
  const storedIds = async (table: string): Promise<string[]> => (await dynamo.items(table)).map((item) => String(item.ID)).sort();
  const idsOf = (records: KinesisStreamRecord[]): string[] => records.map(idOf).sort();

  /** Every message of the queue (received once, hidden afterwards). */
  async function drain(queueUrl: string): Promise<Message[]> {
    const all: Message[] = [];
    for (;;) {
      const got = await sqs.client.send(new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, VisibilityTimeout: 600 }));
      if (!got.Messages?.length) return all;
      all.push(...got.Messages);
    }
  }
  const depth = async (queueUrl: string): Promise<number> =>
    Number(
      (await sqs.client.send(new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ["ApproximateNumberOfMessages"] }))).Attributes
        ?.ApproximateNumberOfMessages ?? 0,
    );

  /** The structured lines a spy received, parsed (other lines skipped). */
  const jsonLines = (spy: jest.SpyInstance): Record<string, unknown>[] =>
    spy.mock.calls.flatMap((call) => {
      try {
        const parsed: unknown = JSON.parse(String(call[0]));
        return typeof parsed === "object" && parsed !== null ? [parsed as Record<string, unknown>] : [];
      } catch {
        return [];
      }
    });

  /**
   * A fault proxy in front of local SQS: the queue's URL through it, and a client on it (a client
   * with a configured endpoint sends there, whatever the URL's host; the handler's takes the URL's).
   */
  async function viaProxy(queueUrl: string, mode: FaultMode): Promise<{ proxy: FaultProxy; url: string; client: SQSClient }> {
    const proxy = await startFaultProxy(sqs, mode);
    proxies.push(proxy);
    // Two attempts, as the handler's shared client (handlers/shared/sqs-client.ts) makes.
    const client = new SQSClient({ endpoint: proxy.endpoint, region: REGION, credentials: FAKE_CREDENTIALS, maxAttempts: 2 });
    clients.push(client);
    return { proxy, url: `${proxy.endpoint}${new URL(queueUrl).pathname}`, client };
  }

  beforeAll(async () => {
    [dynamo, sqs] = await Promise.all([startLocalDynamo(), startLocalSqs()]);
  });

  beforeEach(() => {
    jest.spyOn(console, "log").mockImplementation(() => undefined);
    warnings = jest.spyOn(console, "warn").mockImplementation(() => undefined);
    errors = jest.spyOn(console, "error").mockImplementation(() => undefined);
  });

  afterEach(() => {
    jest.restoreAllMocks();
  });

  afterAll(async () => {
    for (const client of clients) client.destroy();
    await Promise.all(proxies.map((p) => p.stop()));
    await Promise.all([dynamo?.stop(), sqs?.stop()]);
  });

  it("dead-letters an item over 400 KB in the middle of a batch, in Lambda's on-failure shape; the records around it land in the same invocation", async () => {
    const table = await newTable();
    const queueUrl = await newQueue();
    const records = Array.from({ length: 40 }, (_, i) => record(JSON.stringify({ message: `record ${i}` })));
    const poison = record(OVERSIZED);
    records.splice(20, 0, poison); // in the first chunk of 25; records 25.. are a second BatchWriteItem
    const counting = dynamo.newClients();
    let calls = 0;
    counting.raw.middlewareStack.add(
      (next) => async (args) => {
        calls++;
        return next(args);
      },
      { step: "initialize", name: "countCalls" },
    );

    const result = await handleKinesisEvent(counting.doc, table, eventOf(records), {
      ...noSleep,
      deadLetters: sqsDeadLetterSender(sqs.client, queueUrl),
      invocation: { functionArn: FUNCTION_ARN, requestId: "request-1", executedVersion: "$LATEST" },
    }).finally(() => counting.raw.destroy());

    // The shard moves on: nothing is reported, so Lambda does not retry from the poison record.
    expect(result).toEqual({ batchItemFailures: [] });
    expect(await storedIds(table)).toEqual(idsOf(records.filter((r) => r !== poison)));
    // Refused before writing: 40 records in two BatchWriteItem calls, never a chunk split into single writes.
    expect(calls).toBe(2);
    const messages = await drain(queueUrl);
    expect(messages).toHaveLength(1);
    const body = JSON.parse(messages[0].Body as string) as Record<string, unknown>;
    expect(body).toEqual({
      requestContext: { requestId: "request-1", functionArn: FUNCTION_ARN, condition: RECORD_NOT_STORABLE, approximateInvokeCount: 1 },
      responseContext: { statusCode: 200, executedVersion: "$LATEST" },
      version: "1.0",
      timestamp: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
      KinesisBatchInfo: {
        shardId: SHARD,
        startSequenceNumber: seq(poison),
        endSequenceNumber: seq(poison),
        approximateArrivalOfFirstRecord: "2025-01-25T00:00:00.123Z",
        approximateArrivalOfLastRecord: "2025-01-25T00:00:00.123Z",
        batchSize: 1,
        streamArn: STREAM_ARN,
      },
      // Counted as DynamoDB counts (UTF-8 bytes of names and values), before writing.
      reason: "ItemTooLarge",
      detail: expect.stringMatching(/^the item is \d+ bytes; DynamoDB stores at most 409600 bytes per item$/),
    });
    expect(Number(/is (\d+) bytes/.exec(String(body.detail))?.[1])).toBeGreaterThan(410 * 1024);
    // The redrive tool reads it as any on-failure record: a range of one record.
    expect(parseDeadLetter(messages[0].Body)).toEqual({
      shardId: SHARD,
      startSequenceNumber: seq(poison),
      endSequenceNumber: seq(poison),
      streamArn: STREAM_ARN,
      batchSize: 1,
      reason: "ItemTooLarge",
    });
    // A pointer, never the data; one structured line names the record and the reason.
    expect(messages[0].Body).not.toContain("xxxx");
    expect(jsonLines(warnings)).toContainEqual(expect.objectContaining({ event: "dead_lettered", shardId: SHARD, sequenceNumber: seq(poison), reason: "ItemTooLarge" }));
    expect(jsonLines(errors).filter((line) => line.event === "dead_letter_failed")).toEqual([]);
  });

  it("stores a message with an unpaired surrogate as the record's bytes (Encoding base64): not poison, nothing dead-lettered; a surrogate pair is text", async () => {
    const table = await newTable();
    const queueUrl = await newQueue();
    const lone = [UNPAIRED, '{"message":"tail \\udc00"}', '{"message":"\\udf63\\ud83c"}'].map((data) => record(data));
    const records = [record('{"message":"a"}'), ...lone, record('{"message":"\\ud83c\\udf63"}')];

    const result = await handleKinesisEvent(dynamo.doc, table, eventOf(records), { ...noSleep, deadLetters: sqsDeadLetterSender(sqs.client, queueUrl) });

    expect(result.batchItemFailures).toEqual([]);
    const byId = new Map((await dynamo.items(table)).map((item) => [String(item.ID), item]));
    expect(byId.get(idOf(records[0]))).toMatchObject({ Message: "a" });
    expect(byId.get(idOf(records[4]))).toMatchObject({ Message: "🍣" });
    expect(byId.get(idOf(records[4]))?.Encoding).toBeUndefined();
    for (const r of lone) {
      const item = byId.get(idOf(r));
      expect(item?.Encoding).toBe("base64");
      // Exactly the producer's bytes, and text DynamoDB can store (no lone surrogate left anywhere in the item).
      expect(Buffer.from(String(item?.Message), "base64").equals(Buffer.from(r.kinesis.data, "base64"))).toBe(true);
      expect(Object.values(item ?? {}).some((value) => /\p{Cs}/u.test(String(value)))).toBe(false);
    }
    expect(await depth(queueUrl)).toBe(0);
  });

  it("reports, instead of sending, the dead letter of a record that names no stream (no eventSourceARN); nothing is queued", async () => {
    const table = await newTable();
    const queueUrl = await newQueue();
    const { eventSourceARN: _omitted, ...withoutArn } = record(OVERSIZED);
    const nameless = withoutArn as KinesisStreamRecord;
    const records = [record("a"), nameless, record("b")];
    const result = await handleKinesisEvent(dynamo.doc, table, eventOf(records), { ...noSleep, deadLetters: sqsDeadLetterSender(sqs.client, queueUrl) });
    expect(result.batchItemFailures).toEqual([{ itemIdentifier: seq(nameless) }]);
    expect(await storedIds(table)).toEqual(idsOf([records[0], records[2]]));
    expect(await depth(queueUrl)).toBe(0);
    expect(jsonLines(errors)).toContainEqual(
      expect.objectContaining({ event: "dead_letter_failed", sequenceNumber: seq(nameless), error: "the record names no stream (eventSourceARN)" }),
    );
  });

  it("reports, instead of sending, a dead letter when the writes left no time for the send; nothing is queued", async () => {
    const table = await newTable();
    const queueUrl = await newQueue();
    // The budget is plenty until the batch write returns, then below MIN_CALL_MS: the writes used up the invocation.
    let leftMs = 10_000;
    const budget: WriteBudget = { leftMs: () => leftMs, signal: () => new AbortController().signal };
    const clients = dynamo.newClients();
    clients.raw.middlewareStack.add(
      (next) => async (args) => {
        const out = await next(args);
        leftMs = MIN_CALL_MS - 1;
        return out;
      },
      { step: "initialize", name: "useUpTheTime" },
    );
    const records = [record("a"), record(OVERSIZED), record("b")];
    let sends = 0;
    const send = sqsDeadLetterSender(sqs.client, queueUrl);
    const counted: DeadLetterSender = (message, signal) => {
      sends++;
      return send(message, signal);
    };
    try {
      const result = await handleKinesisEvent(clients.doc, table, eventOf(records), { ...noSleep, budget, deadLetters: counted });
      expect(result.batchItemFailures).toEqual([{ itemIdentifier: seq(records[1]) }]);
    } finally {
      clients.raw.destroy();
    }
    expect(await storedIds(table)).toEqual(idsOf([records[0], records[2]]));
    expect(sends).toBe(0);
    expect(await depth(queueUrl)).toBe(0);
    expect(jsonLines(errors)).toContainEqual(
      expect.objectContaining({ event: "dead_letter_failed", sequenceNumber: seq(records[1]), error: "no time left before the deadline" }),
    );
  });

  it("sends a dead letter SQS accepts whatever its detail holds (characters SQS refuses are JSON-escaped, read back unchanged)", async () => {
    const queueUrl = await newQueue();
    const strict = await startStrictSqs(sqs);
    const client = new SQSClient({ endpoint: strict.endpoint, region: REGION, credentials: FAKE_CREDENTIALS, maxAttempts: 1 });
    const detail = "odd \ufffe\uffff \u0000\u0008 \ud800 text";
    try {
      const send = sqsDeadLetterSender(client, strict.via(queueUrl));
      await send(recordDeadLetter(fromLambdaRecord(record("x")), STREAM_ARN, { reason: "Test", detail }), new AbortController().signal);
    } finally {
      client.destroy();
      await strict.stop();
    }
    expect(strict.stats.refused).toBe(0);
    const [message] = await drain(queueUrl);
    expect((JSON.parse(message.Body as string) as { detail: string }).detail).toBe(detail);
  });

  describe("the dead-letter queue unreachable: the record is reported in batchItemFailures, never lost", () => {
    const modes: [string, FaultMode | "wrong-url"][] = [
      ["every call throttled", { kind: "throttle" }],
      ["every call answered 500", { kind: "error-500" }],
      ["connections refused", { kind: "refuse" }],
      ["calls accepted, never answered", { kind: "silent" }],
      ["a queue URL that names no queue", "wrong-url"],
    ];

    test.each(modes)("%s", async (_name, mode) => {
      const table = await newTable();
      const queueUrl = await newQueue();
      const target = mode === "wrong-url" ? { url: `${queueUrl}-missing`, client: sqs.client } : await viaProxy(queueUrl, mode);
      const records = [record("before"), record(OVERSIZED), record("after")];

      // A short deadline: the silent queue's send is abandoned when the invocation's time is up.
      const result = await handleKinesisEvent(dynamo.doc, table, eventOf(records), {
        ...noSleep,
        budget: Deadline.in(2000),
        deadLetters: sqsDeadLetterSender(target.client, target.url),
      });

      expect(result.batchItemFailures).toEqual([{ itemIdentifier: seq(records[1]) }]);
      expect(await storedIds(table)).toEqual(idsOf([records[0], records[2]]));
      expect(await depth(queueUrl)).toBe(0);
      expect(jsonLines(errors)).toContainEqual(
        expect.objectContaining({ event: "dead_letter_failed", shardId: SHARD, sequenceNumber: seq(records[1]), reason: "ItemTooLarge" }),
      );
    });
  });

  it("stops sending after a failed send: a later poison record is reported too (Lambda resumes before it anyway)", async () => {
    const table = await newTable();
    const queueUrl = await newQueue();
    const { url, client } = await viaProxy(queueUrl, { kind: "throttle" });
    const throttled = sqsDeadLetterSender(client, url);
    let sends = 0;
    const counting: DeadLetterSender = (message, signal) => {
      sends++;
      return throttled(message, signal);
    };
    const records = [record(OVERSIZED), record("between"), record(OVERSIZED)];

    const result = await handleKinesisEvent(dynamo.doc, table, eventOf(records), { ...noSleep, deadLetters: counting });

    expect(result.batchItemFailures).toEqual([{ itemIdentifier: seq(records[0]) }, { itemIdentifier: seq(records[2]) }]);
    expect(sends).toBe(1);
    expect(await storedIds(table)).toEqual(idsOf([records[1]]));
  });

  it("dead-letters only the poison records before the first reported record: the ones after it come again with the retry", async () => {
    const table = await newTable();
    const queueUrl = await newQueue();
    // DynamoDB throttles every call: the writable records are reported; the oversized record is refused before writing.
    const faults = await startFaultProxy(dynamo, { kind: "throttle" });
    proxies.push(faults);
    // One attempt per call, as the handler's DynamoDB client makes.
    const throttledRaw = new DynamoDBClient({ endpoint: faults.endpoint, region: REGION, credentials: FAKE_CREDENTIALS, maxAttempts: 1 });
    const throttledDynamo = DynamoDBDocumentClient.from(throttledRaw);
    const first = [record(OVERSIZED), record("throttled")];
    const second = [record("throttled"), record(OVERSIZED)];
    const send = sqsDeadLetterSender(sqs.client, queueUrl);
    try {
      const a = await handleKinesisEvent(throttledDynamo, table, eventOf(first), { ...noSleep, maxAttempts: 1, deadLetters: send });
      const b = await handleKinesisEvent(throttledDynamo, table, eventOf(second), { ...noSleep, maxAttempts: 1, deadLetters: send });
      expect(a.batchItemFailures).toEqual([{ itemIdentifier: seq(first[1]) }]);
      expect(b.batchItemFailures).toEqual([{ itemIdentifier: seq(second[0]) }, { itemIdentifier: seq(second[1]) }]);
    } finally {
      throttledRaw.destroy();
    }
    expect((await drain(queueUrl)).map((m) => parseDeadLetter(m.Body).startSequenceNumber)).toEqual([seq(first[0])]);
  });

  it("dead-letters nothing when DynamoDB refuses every item (the table, not the records, is at fault): all are reported", async () => {
    // A table keyed by another attribute: every put is a ValidationException, whatever the record.
    const table = `poison-test-wrong-key-${++tables}`;
    await dynamo.raw.send(
      new CreateTableCommand({
        TableName: table,
        BillingMode: "PAY_PER_REQUEST",
        KeySchema: [{ AttributeName: "id", KeyType: "HASH" }],
        AttributeDefinitions: [{ AttributeName: "id", AttributeType: "S" }],
      }),
    );
    const queueUrl = await newQueue();
    const records = [record("a"), record("b"), record("c")];
    const result = await handleKinesisEvent(dynamo.doc, table, eventOf(records), { ...noSleep, deadLetters: sqsDeadLetterSender(sqs.client, queueUrl) });
    expect(result.batchItemFailures).toEqual(records.map((r) => ({ itemIdentifier: seq(r) })));
    expect(await depth(queueUrl)).toBe(0);
    expect(jsonLines(warnings)).toContainEqual(expect.objectContaining({ event: "dead_letters_skipped", refused: 3 }));
  });

  describe("the Lambda entry", () => {
    const saved = { ...process.env };
    const context = {
      invokedFunctionArn: FUNCTION_ARN,
      awsRequestId: "entry-request",
      functionVersion: "$LATEST",
      getRemainingTimeInMillis: () => 10_000,
    } as unknown as Context;

    afterEach(() => {
      process.env = { ...saved };
      jest.resetModules();
    });

    async function entryWith(env: Record<string, string>): Promise<typeof import("../handlers/kinesis-ingest").handler> {
      process.env = { ...saved, ...env, FUNCTION_TIMEOUT_MS: "10000" };
      return (await import("../handlers/kinesis-ingest")).handler;
    }

    it("sends to DEAD_LETTER_QUEUE_URL through the shared SQS client", async () => {
      const table = await newTable();
      const queueUrl = await newQueue();
      const handler = await entryWith({ TABLE_NAME: table, DEAD_LETTER_QUEUE_URL: queueUrl, ...sdkEnv({ dynamodb: dynamo, sqs }) });
      const records = [record("one"), record(OVERSIZED), record("two")];
      expect(await handler(eventOf(records), context)).toEqual({ batchItemFailures: [] });
      expect(await storedIds(table)).toEqual(idsOf([records[0], records[2]]));
      const [message, ...more] = await drain(queueUrl);
      expect(more).toEqual([]);
      expect(JSON.parse(message.Body as string)).toMatchObject({
        requestContext: { requestId: "entry-request", functionArn: FUNCTION_ARN, condition: RECORD_NOT_STORABLE },
        KinesisBatchInfo: { startSequenceNumber: seq(records[1]), endSequenceNumber: seq(records[1]), batchSize: 1 },
        reason: "ItemTooLarge",
      });
    });

    it("stores a record whose message is not valid Unicode in the same invocation: the shard does not wait, the queue stays empty", async () => {
      const table = await newTable();
      const queueUrl = await newQueue();
      const handler = await entryWith({ TABLE_NAME: table, DEAD_LETTER_QUEUE_URL: queueUrl, ...sdkEnv({ dynamodb: dynamo, sqs }) });
      const records = [record(UNPAIRED), record("behind it")];
      expect(await handler(eventOf(records), context)).toEqual({ batchItemFailures: [] });
      expect(await storedIds(table)).toEqual(idsOf(records));
      expect(await depth(queueUrl)).toBe(0);
    });

    it("reports the record when the queue throttles every send (fault proxy)", async () => {
      const table = await newTable();
      const queueUrl = await newQueue();
      const { proxy, url } = await viaProxy(queueUrl, { kind: "throttle" });
      const handler = await entryWith({ TABLE_NAME: table, DEAD_LETTER_QUEUE_URL: url, ...sdkEnv({ dynamodb: dynamo, sqs: proxy }) });
      const records = [record("one"), record(OVERSIZED)];
      expect(await handler(eventOf(records), context)).toEqual({ batchItemFailures: [{ itemIdentifier: seq(records[1]) }] });
      expect(proxy.stats.throttled).toBeGreaterThan(0);
      expect(await depth(queueUrl)).toBe(0);
    });

    it("fails the invocation on a DEAD_LETTER_QUEUE_URL that is no URL, with a logged config_error", async () => {
      // Unset, the entry reports the record instead: bad-input.test.ts, "kinesis-ingest with no dead-letter queue".
      const table = await newTable();
      const bad = await entryWith({ TABLE_NAME: table, DEAD_LETTER_QUEUE_URL: "dev-kinesis-to-dynamo-dlq", ...sdkEnv({ dynamodb: dynamo }) });
      await expect(bad(eventOf([record("kept")]), context)).rejects.toMatchObject({ name: "ConfigError", variable: "DEAD_LETTER_QUEUE_URL" });
      expect(errors).toHaveBeenCalledWith(expect.stringContaining('"event":"config_error","variable":"DEAD_LETTER_QUEUE_URL"'));
    });
  });
});
