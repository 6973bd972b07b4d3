/**
 * The dead-letter replay of kinesis-ingest (`npm run redrive:kinesis-ingest`), on
 * kinesalite + dynalite + local-aws-sqs: records are written to the stream, fail
 * (the consumer's own logic, writing to a table that does not exist) and are
 * described in the dead-letter queue as the event source mapping does; the
 * replay reads each range back and stores every record exactly once. A record
 * the consumer dead-lettered itself (one the table refuses) is read back,
 * reported as not stored with its reason, and kept.
 */
import { CreateStreamCommand, DescribeStreamSummaryCommand, GetRecordsCommand, GetShardIteratorCommand, ListShardsCommand, PutRecordsCommand, type _Record as KinesisRecord } from "@aws-sdk/client-kinesis";
import { CreateQueueCommand, ReceiveMessageCommand, SendMessageCommand } from "@aws-sdk/client-sqs";
import { sqsDeadLetterSender } from "../handlers/kinesis-ingest/dead-letter";
import { handleKinesisEvent } from "../handlers/kinesis-ingest/ingest";
import { itemId } from "../handlers/kinesis-ingest/item";
import { formatResult } from "../tools/redrive";
import { KinesisBatchPointer, parseDeadLetter, readRange, redriveDeadLetters, toKinesisEvent } from "../tools/redrive/kinesis-dead-letters";
import { LocalDynamo, LocalKinesis, LocalSqs, startLocalDynamo, startLocalKinesis, startLocalSqs } from "./support/local-aws";

const STREAM = "dev-example-stream";
/** Each test's table and queue are its own (`newTable`, `newQueue`): no test sees what another stored or left queued. */
const TABLE_PREFIX = "dev-example-table";
const STREAM_ARN = `arn:aws:kinesis:ap-northeast-1:123456789012:stream/${STREAM}`;

/** The on-failure record Lambda sends for a stream batch: a pointer, not the data. */
function deadLetterBody(shardId: string, batch: readonly KinesisRecord[]): string {
  return JSON.stringify({
    requestContext: { condition: "RetryAttemptsExhausted", approximateInvokeCount: 6 },
    version: "1.0",
    KinesisBatchInfo: {
      shardId,
      startSequenceNumber: batch[0].SequenceNumber,
      endSequenceNumber: batch[batch.length - 1].SequenceNumber,
      batchSize: batch.length,
      streamArn: STREAM_ARN,
    },
  });
}

describe("kinesis-ingest dead-letter replay", () => {
  let dynamo: LocalDynamo;
  let kinesis: LocalKinesis;
  let sqs: LocalSqs;
  let shardId: string;
  let records: KinesisRecord[];
  let tables = 0;
  let queues = 0;

  const newTable = (): Promise<string> => dynamo.createTable(`${TABLE_PREFIX}-${++tables}`, "ID");
  const newQueue = async (name: string): Promise<string> =>
    (await sqs.client.send(new CreateQueueCommand({ QueueName: `${name}-${++queues}` }))).QueueUrl as string;

  beforeAll(async () => {
    [dynamo, kinesis, sqs] = await Promise.all([startLocalDynamo(), startLocalKinesis(), startLocalSqs()]);
    await kinesis.client.send(new CreateStreamCommand({ StreamName: STREAM, ShardCount: 1 }));
    for (let i = 0; i < 50; i++) {
      const status = (await kinesis.client.send(new DescribeStreamSummaryCommand({ StreamName: STREAM }))).StreamDescriptionSummary?.StreamStatus;
      if (status === "ACTIVE") break;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    const bodies = ['{"message":"a"}', '{"message":"b"}', "plain text", '{"message":"d"}', "{}", '{"message":"f"}', "42"];
    await kinesis.client.send(
      new PutRecordsCommand({ StreamName: STREAM, Records: bodies.map((b, i) => ({ Data: Buffer.from(b), PartitionKey: `k${i}` })) }),
    );
    shardId = (await kinesis.client.send(new ListShardsCommand({ StreamName: STREAM }))).Shards?.[0].ShardId as string;
    const iterator = (await kinesis.client.send(new GetShardIteratorCommand({ StreamName: STREAM, ShardId: shardId, ShardIteratorType: "TRIM_HORIZON" })))
      .ShardIterator;
    records = (await kinesis.client.send(new GetRecordsCommand({ ShardIterator: iterator }))).Records ?? [];
  });

  afterAll(async () => {
    await Promise.all([dynamo?.stop(), kinesis?.stop(), sqs?.stop()]);
  });

  test("records failed into the DLQ are stored from their pointers, each exactly once", async () => {
    expect(records).toHaveLength(7);
    const table = await newTable();
    const queueUrl = await newQueue("dev-kinesis-to-dynamo-dlq");
    const pointer = (batch: KinesisRecord[]): KinesisBatchPointer => parseDeadLetter(deadLetterBody(shardId, batch));
    const batches = [records.slice(0, 3), records.slice(3)];
    const silent = jest.spyOn(console, "error").mockImplementation(() => undefined);
    const warnings = jest.spyOn(console, "warn").mockImplementation(() => undefined);
    jest.spyOn(console, "log").mockImplementation(() => undefined);
    try {
      // The consumer fails every record (its table is missing): the mapping sends each batch's pointer to the DLQ.
      for (const batch of batches) {
        const response = await handleKinesisEvent(dynamo.doc, "missing-table", toKinesisEvent(pointer(batch), batch), { maxAttempts: 1 });
        expect(response.batchItemFailures).toHaveLength(batch.length);
        expect(JSON.parse(String(warnings.mock.calls[warnings.mock.calls.length - 1][0]))).toMatchObject({ event: "ingest_stopped", reason: "failing", notWritten: batch.length, untried: 0 });
        await sqs.client.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: deadLetterBody(shardId, batch) }));
      }
      // One record of the second batch was stored before the failure; the first pointer arrives twice.
      await handleKinesisEvent(dynamo.doc, table, toKinesisEvent(pointer(batches[1]), batches[1].slice(0, 1)));
      await sqs.client.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: deadLetterBody(shardId, batches[0]) }));

      const results = await redriveDeadLetters({
        sqs: sqs.client,
        kinesis: kinesis.client,
        queueUrl,
        handler: (event) => handleKinesisEvent(dynamo.doc, table, event),
      });
      expect(results.map((r) => [r.outcome, r.records])).toEqual([
        ["replayed", 3],
        ["replayed", 4],
        ["replayed", 3],
      ]);
    } finally {
      jest.restoreAllMocks();
      silent.mockRestore();
    }

    const items = await dynamo.items(table);
    const ids = items.map((item) => String(item.ID)).sort();
    expect(ids).toEqual(records.map((r) => itemId(shardId, r.SequenceNumber as string)).sort());
    expect(items.find((item) => item.ID === itemId(shardId, records[2].SequenceNumber as string))?.Message).toBe("plain text");
    // Every replayed message was deleted.
    expect((await sqs.client.send(new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10 }))).Messages ?? []).toEqual([]);
  });

  test("a message that is no pointer, or points to records the stream no longer has, stays in the queue", async () => {
    const queueUrl = await newQueue("dev-kinesis-to-dynamo-dlq");
    const gone = { ...JSON.parse(deadLetterBody(shardId, records.slice(0, 1))) };
    gone.KinesisBatchInfo.shardId = "shardId-000000000009"; // no such shard: its records are gone
    await sqs.client.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: "not json" }));
    await sqs.client.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: JSON.stringify(gone) }));
    const handler = jest.fn();
    const results = await redriveDeadLetters({ sqs: sqs.client, kinesis: kinesis.client, queueUrl, handler, visibilityTimeoutSeconds: 0 });
    expect(results.map((r) => r.outcome)).toEqual(["kept", "kept"]);
    expect(results[0].detail).toMatch(/not a Kinesis dead letter: the message body is not JSON/);
    expect(results[1].detail).toMatch(/could not read the range/);
    expect(handler).not.toHaveBeenCalled();
    const left = await sqs.client.send(new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10 }));
    expect(new Set((left.Messages ?? []).map((m) => m.MessageId)).size).toBe(2);
  });

  test("a dry run reads and checks each range, stores and deletes nothing", async () => {
    const dry = await newQueue("dry-run-dlq");
    await sqs.client.send(new SendMessageCommand({ QueueUrl: dry, MessageBody: deadLetterBody(shardId, records.slice(1, 4)) }));
    const handler = jest.fn();
    const results = await redriveDeadLetters({ sqs: sqs.client, kinesis: kinesis.client, queueUrl: dry, handler, dryRun: true, visibilityTimeoutSeconds: 0 });
    expect(results.map((r) => [r.outcome, r.records])).toEqual([["checked", 3]]);
    expect(handler).not.toHaveBeenCalled();
  });

  test("a record the consumer dead-lettered itself (the table refuses it) is reported as not stored, with its reason, and stays", async () => {
    const table = await newTable();
    const queue = await newQueue("consumer-dead-letters");
    // A record DynamoDB can never store (an item over 400 KB) between two good ones, in the stream.
    const bodies = ['{"message":"before"}', JSON.stringify({ message: "x".repeat(410 * 1024) }), '{"message":"after"}'];
    const put = await kinesis.client.send(
      new PutRecordsCommand({ StreamName: STREAM, Records: bodies.map((b, i) => ({ Data: Buffer.from(b), PartitionKey: `poison-${i}` })) }),
    );
    const sequences = (put.Records ?? []).map((r) => r.SequenceNumber as string);
    const range = { shardId, startSequenceNumber: sequences[0], endSequenceNumber: sequences[2], streamArn: STREAM_ARN, batchSize: 3 };
    const batch = await readRange(kinesis.client, range);
    expect(batch.map((r) => r.SequenceNumber)).toEqual(sequences);
    jest.spyOn(console, "log").mockImplementation(() => undefined);
    jest.spyOn(console, "warn").mockImplementation(() => undefined);
    jest.spyOn(console, "error").mockImplementation(() => undefined);
    try {
      // The consumer, as Lambda runs it: the poison record goes to the queue, the others are stored.
      const response = await handleKinesisEvent(dynamo.doc, table, toKinesisEvent(range, batch), { deadLetters: sqsDeadLetterSender(sqs.client, queue) });
      expect(response.batchItemFailures).toEqual([]);
      const results = await redriveDeadLetters({
        sqs: sqs.client,
        kinesis: kinesis.client,
        queueUrl: queue,
        handler: (event) => handleKinesisEvent(dynamo.doc, table, event),
        visibilityTimeoutSeconds: 0,
      });
      expect(results).toEqual([
        expect.objectContaining({
          outcome: "kept",
          records: 1,
          pointer: expect.objectContaining({ startSequenceNumber: sequences[1], endSequenceNumber: sequences[1], batchSize: 1, reason: "ItemTooLarge" }),
          detail: "1 record(s) still not stored (the consumer dead-lettered it: ItemTooLarge; the table refuses it)",
        }),
      ]);
      expect(formatResult(results[0])).toMatch(new RegExp(`^kept +\\S+ ${shardId} ${sequences[1]}\\.\\.${sequences[1]} \\(1 record\\(s\\)\\): 1 record\\(s\\) still not stored`));
    } finally {
      jest.restoreAllMocks();
    }
    const stored = new Set((await dynamo.items(table)).map((item) => String(item.ID)));
    expect([sequences[0], sequences[2]].every((s) => stored.has(itemId(shardId, s)))).toBe(true);
    expect(stored.has(itemId(shardId, sequences[1]))).toBe(false);
    // Kept: the message is still in the queue, and the DLQ alarm keeps ringing.
    const left = await sqs.client.send(new ReceiveMessageCommand({ QueueUrl: queue, MaxNumberOfMessages: 10 }));
    expect((left.Messages ?? []).map((m) => parseDeadLetter(m.Body).startSequenceNumber)).toEqual([sequences[1]]);
  });

  test("a record an older consumer dead-lettered for an unpaired surrogate (reason UnpairedSurrogate) is stored by the redrive, as its bytes", async () => {
    const table = await newTable();
    const queue = await newQueue("older-dead-letters");
    const data = Buffer.from('{"message":"\\ud800 tail"}');
    const put = await kinesis.client.send(new PutRecordsCommand({ StreamName: STREAM, Records: [{ Data: data, PartitionKey: "surrogate" }] }));
    const sequence = put.Records?.[0].SequenceNumber as string;
    const body = JSON.parse(deadLetterBody(shardId, [{ SequenceNumber: sequence, Data: data, PartitionKey: "surrogate" }])) as Record<string, unknown>;
    await sqs.client.send(new SendMessageCommand({ QueueUrl: queue, MessageBody: JSON.stringify({ ...body, reason: "UnpairedSurrogate" }) }));
    jest.spyOn(console, "log").mockImplementation(() => undefined);
    try {
      const results = await redriveDeadLetters({ sqs: sqs.client, kinesis: kinesis.client, queueUrl: queue, handler: (event) => handleKinesisEvent(dynamo.doc, table, event) });
      expect(results.map((r) => [r.outcome, r.records])).toEqual([["replayed", 1]]);
    } finally {
      jest.restoreAllMocks();
    }
    const [item, ...more] = await dynamo.items(table);
    expect(more).toEqual([]);
    expect(item).toMatchObject({ ID: itemId(shardId, sequence), Encoding: "base64", Message: data.toString("base64") });
  });

  test("pointers are validated: a clear reason for each malformed one", () => {
    const body = (info: Record<string, unknown>): string => JSON.stringify({ KinesisBatchInfo: info });
    const good = { shardId: "s", startSequenceNumber: "1", endSequenceNumber: "2", streamArn: STREAM_ARN };
    expect(parseDeadLetter(body(good))).toMatchObject(good);
    expect(() => parseDeadLetter("{}")).toThrow("no KinesisBatchInfo");
    expect(() => parseDeadLetter(body({ ...good, shardId: undefined }))).toThrow("KinesisBatchInfo.shardId is missing");
    expect(() => parseDeadLetter(body({ ...good, startSequenceNumber: "3" }))).toThrow("after endSequenceNumber");
    expect(() => parseDeadLetter(body({ ...good, streamArn: "arn:aws:sqs:ap-northeast-1:123456789012:q" }))).toThrow("not a stream ARN");
  });
});
