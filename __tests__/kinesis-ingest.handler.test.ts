/**
 * The kinesis-ingest consumer against dynalite (a local DynamoDB started here):
 * what it stores for JSON and non-JSON records, that a re-delivered batch
 * writes no duplicate, batches over 25 records, a record DynamoDB rejects
 * reported in batchItemFailures while the rest land when no dead-letter queue
 * is given (with one: kinesis-ingest.poison.test.ts), UnprocessedItems retried
 * (dynalite never returns them, so a middleware on the client makes it), and
 * the Lambda entry itself reading TABLE_NAME.
 */
import type { BatchWriteItemCommandInput, BatchWriteItemCommandOutput } from "@aws-sdk/client-dynamodb";
import { DynamoDBDocumentClient, GetCommand, ScanCommand } from "@aws-sdk/lib-dynamodb";
import type { Context, KinesisStreamBatchResponse, KinesisStreamRecord } from "aws-lambda";
import { handleKinesisEvent } from "../handlers/kinesis-ingest/ingest";
import { fromGetRecordsRecord, fromLambdaRecord, itemBytes, itemId, MAX_ITEM_BYTES, NO_MESSAGE, toItem } from "../handlers/kinesis-ingest/item";
import { kinesisEventOf as eventOf, kinesisRecord as record, SHARD } from "./support/kinesis";
import { LocalDynamo, sdkEnv, startLocalDynamo } from "./support/local-aws";

const noSleep = { sleep: async () => undefined };

describe("kinesis-ingest handler against dynalite", () => {
  let dynamo: LocalDynamo;
  let doc: DynamoDBDocumentClient;
  let tableCount = 0;

  /** A fresh table per test, keyed by ID as the stack's. */
  const newTable = (): Promise<string> => dynamo.createTable(`ingest-test-${++tableCount}`, "ID");

  async function scan(table: string): Promise<Record<string, unknown>[]> {
    const { Items } = await doc.send(new ScanCommand({ TableName: table }));
    return Items ?? [];
  }

  let errors: jest.SpyInstance;

  beforeAll(async () => {
    dynamo = await startLocalDynamo();
    ({ doc } = dynamo);
  });

  // Fresh spies per test: what one test logged (or restored) is never seen by another.
  beforeEach(() => {
    jest.spyOn(console, "log").mockImplementation(() => undefined);
    jest.spyOn(console, "warn").mockImplementation(() => undefined);
    errors = jest.spyOn(console, "error").mockImplementation(() => undefined);
  });

  afterEach(() => {
    jest.restoreAllMocks();
  });

  afterAll(async () => {
    await dynamo?.stop();
  });

  it("stores JSON and non-JSON records with the seed's Message rules and record-derived IDs", async () => {
    const table = await newTable();
    const records = [
      record(JSON.stringify({ index: 0, message: "Test message 0" })),
      record(JSON.stringify({ index: 1 })),
      record("not JSON: こんにちは 🍣"),
      record("42"),
      record(JSON.stringify({ message: { nested: true } })),
      record(""),
      record(Buffer.from([0xff, 0xfe, 0x00, 0x81])),
    ];
    const result = await handleKinesisEvent(doc, table, eventOf(records), noSleep);
    expect(result).toEqual({ batchItemFailures: [] });

    const byId = new Map((await scan(table)).map((item) => [item.ID, item]));
    expect(byId.size).toBe(records.length);
    const stored = (r: KinesisStreamRecord) => byId.get(itemId(SHARD, r.kinesis.sequenceNumber));
    expect(stored(records[0])).toEqual({
      ID: `${SHARD}:${records[0].kinesis.sequenceNumber}`,
      Message: "Test message 0",
      ArrivedAt: "2025-01-25T00:00:00.123Z",
      // The request that put it: the partition key, the API's request id.
      CorrelationId: records[0].kinesis.partitionKey,
    });
    expect(stored(records[1])?.Message).toBe(NO_MESSAGE);
    expect(stored(records[2])?.Message).toBe("not JSON: こんにちは 🍣");
    expect(stored(records[3])?.Message).toBe("42");
    expect(stored(records[4])?.Message).toBe('{"nested":true}');
    expect(stored(records[5])?.Message).toBe("");
    expect(stored(records[6])).toMatchObject({ Message: "//4AgQ==", Encoding: "base64" });
  });

  it("parses a JSON record that starts with a UTF-8 byte-order mark (.NET and PowerShell producers write one)", async () => {
    const table = await newTable();
    const bom = Buffer.from([0xef, 0xbb, 0xbf]);
    const records = [record(Buffer.concat([bom, Buffer.from('{"message":"from PowerShell"}')])), record(Buffer.concat([bom, Buffer.from('{"index":1}')]))];
    expect(await handleKinesisEvent(doc, table, eventOf(records), noSleep)).toEqual({ batchItemFailures: [] });
    const messages = new Map((await scan(table)).map((item) => [item.ID, item.Message]));
    expect(messages.get(itemId(SHARD, records[0].kinesis.sequenceNumber))).toBe("from PowerShell");
    expect(messages.get(itemId(SHARD, records[1].kinesis.sequenceNumber))).toBe(NO_MESSAGE);
  });

  it("counts an item's size as DynamoDB does, in UTF-8 bytes: multi-byte text over 400 KB is refused (dynalite counts UTF-16 units and would store it), just under is stored", async () => {
    const table = await newTable();
    const base = toItem(fromLambdaRecord(record("")));
    const overhead = itemBytes(base);
    // 3 UTF-8 bytes per character: 140,000 characters are 420,000 bytes, but only 140,000 UTF-16 units.
    const over = record(JSON.stringify({ message: "あ".repeat(140_000) }));
    // ASCII padding up to exactly MAX_ITEM_BYTES, the largest item DynamoDB stores.
    const fits = record(JSON.stringify({ message: "y".repeat(MAX_ITEM_BYTES - overhead) }));
    expect(itemBytes(toItem(fromLambdaRecord(fits)))).toBe(MAX_ITEM_BYTES);

    const result = await handleKinesisEvent(doc, table, eventOf([over, fits]), noSleep);

    expect(result.batchItemFailures).toEqual([{ itemIdentifier: over.kinesis.sequenceNumber }]);
    expect((await scan(table)).map((item) => item.ID)).toEqual([itemId(SHARD, fits.kinesis.sequenceNumber)]);
    expect(errors).toHaveBeenCalledWith(expect.stringMatching(/ItemTooLarge: the item is 42\d{4} bytes/));
  });

  it("writes no duplicate when Lambda delivers the same batch again", async () => {
    const table = await newTable();
    const batch = eventOf(Array.from({ length: 30 }, (_, i) => record(JSON.stringify({ index: i, message: `m${i}` }))));
    await handleKinesisEvent(doc, table, batch, noSleep);
    const first = await scan(table);
    await handleKinesisEvent(doc, table, batch, noSleep);
    const second = await scan(table);
    expect(first).toHaveLength(30);
    expect(second).toHaveLength(30);
    expect(new Set(second.map((item) => item.ID))).toEqual(new Set(first.map((item) => item.ID)));
  });

  it("writes a batch over 25 records in BatchWriteItem calls of at most 25", async () => {
    const table = await newTable();
    const sizes: number[] = [];
    const counting = dynamo.newClients();
    counting.raw.middlewareStack.add(
      (next) => async (args) => {
        const input = args.input as { RequestItems?: Record<string, unknown[]> };
        if (input.RequestItems) sizes.push(input.RequestItems[table]?.length ?? 0);
        return next(args);
      },
      { step: "initialize", name: "countBatchWrites" },
    );
    const records = Array.from({ length: 101 }, (_, i) => record(JSON.stringify({ message: `record ${i}` })));
    const result = await handleKinesisEvent(counting.doc, table, eventOf(records), noSleep);
    counting.raw.destroy();

    expect(result.batchItemFailures).toEqual([]);
    expect(await scan(table)).toHaveLength(101);
    expect(sizes).toEqual([25, 25, 25, 25, 1]);
  });

  it("logs a record the table can never store (an item over 400 KB) by its item id, never its payload; the 40 around it land across two chunks", async () => {
    const table = await newTable();
    const records = Array.from({ length: 40 }, (_, i) => record(JSON.stringify({ message: `record ${i}` })));
    const poison = record(JSON.stringify({ message: "x".repeat(410 * 1024) }));
    records.splice(7, 0, poison);

    const result = await handleKinesisEvent(doc, table, eventOf(records), noSleep);

    expect(result).toEqual({ batchItemFailures: [{ itemIdentifier: poison.kinesis.sequenceNumber }] });
    const items = await scan(table);
    expect(items).toHaveLength(40);
    expect(items.map((item) => item.ID)).not.toContain(itemId(SHARD, poison.kinesis.sequenceNumber));
    // The log names the record, never its payload.
    const logged = errors.mock.calls.map((call) => String(call[0])).join("\n");
    expect(logged).toContain(itemId(SHARD, poison.kinesis.sequenceNumber));
    expect(logged).not.toContain("xxxx");
  });

  it("after an error that is no downstream fault (no such table), tries no later chunk: 1 call for 60 records, all reported, ingest_stopped logs 35 untried", async () => {
    const calls: number[] = [];
    const counting = dynamo.newClients();
    counting.raw.middlewareStack.add(
      (next) => async (args) => {
        const input = args.input as { RequestItems?: Record<string, unknown[]> };
        if (input.RequestItems) calls.push(Object.values(input.RequestItems)[0]?.length ?? 0);
        return next(args);
      },
      { step: "initialize", name: "countBatchWrites" },
    );
    const warn = jest.mocked(console.warn);
    // 60 records: chunks of 25, 25 and 10; the table does not exist (ResourceNotFoundException, not throttling or a 5xx).
    const records = Array.from({ length: 60 }, (_, i) => record(`plain ${i}`));
    try {
      const result = await handleKinesisEvent(counting.doc, "no-such-table", eventOf(records), noSleep);
      expect(result.batchItemFailures).toEqual(records.map((r) => ({ itemIdentifier: r.kinesis.sequenceNumber })));
    } finally {
      counting.raw.destroy();
    }
    expect(calls).toEqual([25]);
    const stopped = warn.mock.calls.map((call) => String(call[0])).filter((line) => line.includes("ingest_stopped"));
    expect(stopped.map((line) => JSON.parse(line) as unknown)).toEqual([expect.objectContaining({ event: "ingest_stopped", reason: "failing", notWritten: 60, untried: 35 })]);
    expect(errors).toHaveBeenCalledWith(expect.stringMatching(/"message":"BatchWriteItem failed for 25 item\(s\): ResourceNotFoundException/));
  });

  it("an eventID without ':' is taken whole as the shard id in the item ID", async () => {
    const table = await newTable();
    const whole = { ...record('{"message":"no colon"}'), eventID: "shardId-000000000007" };
    const result = await handleKinesisEvent(doc, table, eventOf([whole]), noSleep);
    expect(result.batchItemFailures).toEqual([]);
    expect((await scan(table)).map((item) => [item.ID, item.Message])).toEqual([[`shardId-000000000007:${whole.kinesis.sequenceNumber}`, "no colon"]]);
  });

  describe("UnprocessedItems", () => {
    /** A client that makes DynamoDB process only part of each batch for the first `partialCalls` calls. */
    function throttledClient(table: string, partialCalls: number): { doc: DynamoDBDocumentClient; calls: () => number; destroy: () => void } {
      const client = dynamo.newClients();
      let calls = 0;
      client.raw.middlewareStack.add(
        (next) => async (args) => {
          const input = args.input as BatchWriteItemCommandInput;
          const requests = input.RequestItems?.[table];
          if (!requests) return next(args);
          calls++;
          if (calls > partialCalls || requests.length < 2) return next(args);
          // DynamoDB takes the first half; the second comes back as UnprocessedItems.
          const half = Math.floor(requests.length / 2);
          const result = await next({ ...args, input: { ...input, RequestItems: { [table]: requests.slice(0, half) } } });
          const output = result.output as BatchWriteItemCommandOutput;
          return { ...result, output: { ...output, UnprocessedItems: { [table]: requests.slice(half) } } };
        },
        { step: "initialize", name: "partialBatchWrites" },
      );
      return { doc: client.doc, calls: () => calls, destroy: () => client.raw.destroy() };
    }

    it("retries them with backoff until every item lands", async () => {
      const table = await newTable();
      const client = throttledClient(table, 3);
      const delays: number[] = [];
      const records = Array.from({ length: 20 }, (_, i) => record(`plain ${i}`));
      const result = await handleKinesisEvent(client.doc, table, eventOf(records), {
        sleep: async (ms) => {
          delays.push(ms);
        },
      });
      client.destroy();
      expect(result.batchItemFailures).toEqual([]);
      expect(await scan(table)).toHaveLength(20);
      expect(client.calls()).toBe(4);
      expect(delays).toHaveLength(3);
    });

    it("gives up after the bounded attempts and reports the items left, without throwing", async () => {
      const table = await newTable();
      const client = throttledClient(table, Number.POSITIVE_INFINITY);
      const records = Array.from({ length: 8 }, (_, i) => record(`plain ${i}`));
      const result = await handleKinesisEvent(client.doc, table, eventOf(records), { ...noSleep, maxAttempts: 3 });
      client.destroy();
      // 8 -> 4 written, 4 left -> 2 written, 2 left -> 1 written, 1 left after the 3rd call.
      expect(client.calls()).toBe(3);
      expect(await scan(table)).toHaveLength(7);
      expect(result.batchItemFailures).toEqual([{ itemIdentifier: records[7].kinesis.sequenceNumber }]);
    });
  });

  it("builds the same item from a GetRecords record (a replay) as from the Lambda event", async () => {
    const table = await newTable();
    const original = record(JSON.stringify({ message: "replayed" }));
    await handleKinesisEvent(doc, table, eventOf([original]), noSleep);
    const replayed = toItem(
      fromGetRecordsRecord(SHARD, {
        SequenceNumber: original.kinesis.sequenceNumber,
        Data: Buffer.from(original.kinesis.data, "base64"),
        ApproximateArrivalTimestamp: new Date(original.kinesis.approximateArrivalTimestamp * 1000),
        PartitionKey: original.kinesis.partitionKey,
      }),
    );
    const { Item } = await doc.send(new GetCommand({ TableName: table, Key: { ID: replayed.ID } }));
    expect(Item).toEqual(replayed);
  });

  describe("the Lambda entry", () => {
    const saved = { ...process.env };
    afterEach(() => {
      process.env = { ...saved };
      jest.resetModules();
    });

    it("writes to the table named by TABLE_NAME, through a client configured by the environment", async () => {
      const table = await newTable();
      process.env = { ...saved, TABLE_NAME: table, ...sdkEnv({ dynamodb: dynamo }) };
      const { handler } = await import("../handlers/kinesis-ingest");
      const result = (await handler(eventOf([record('{"message":"from the entry"}')]), {} as Context)) as KinesisStreamBatchResponse;
      expect(result).toEqual({ batchItemFailures: [] });
      expect((await scan(table)).map((item) => item.Message)).toEqual(["from the entry"]);
    });

    it("fails the invocation when TABLE_NAME is missing (Lambda retries; nothing is dropped), with a logged config_error", async () => {
      process.env = { ...saved, ...sdkEnv({ dynamodb: dynamo }) };
      delete process.env.TABLE_NAME;
      const { handler } = await import("../handlers/kinesis-ingest");
      await expect(handler(eventOf([record('{"message":"kept"}')]), {} as Context)).rejects.toMatchObject({ name: "ConfigError", variable: "TABLE_NAME" });
      expect(errors).toHaveBeenCalledWith(expect.stringContaining('"event":"config_error","variable":"TABLE_NAME"'));
    });
  });
});
