/**
 * Every handler's bundle run as Lambda runs it (a child process of its own,
 * support/lambda-process.ts; no POWERTOOLS_DEV, so Powertools writes to stdout
 * itself, as in Lambda), against real local engines: every line it writes is
 * one JSON object, a log record of the project's shape or an EMF blob valid
 * against the specification; the outcome metrics land on the dimensions the
 * outcome alarms watch; the correlation id is on every line, in the answer and
 * on what was stored or sent.
 */
import * as http from "node:http";
import type { AddressInfo } from "node:net";
import { CreateQueueCommand, ReceiveMessageCommand } from "@aws-sdk/client-sqs";
import type { KinesisStreamBatchResponse, SQSRecord } from "aws-lambda";
import { CORRELATION_HEADER, DIMENSIONS, METRICS_NAMESPACE, OUTCOMES } from "../handlers/shared/outcomes";
import { kinesisEventOf, kinesisRecord } from "./support/kinesis";
import { invokeBundled } from "./support/lambda-process";
import { type LocalDynamo, type LocalSqs, sdkEnv, startLocalDynamo, startLocalSqs } from "./support/local-aws";
import { type Output, metricSum, readOutput } from "./support/log-shape";
import { startTranslateStandIn, type TranslateStandIn } from "./support/translate-standin";
import { apiEvent } from "./webhook-proxy/fixtures";
import { albEvent, httpApiEvent } from "./media-alb/local";
import { getEvent } from "./translate-api/events";

/** The function name lambda-process.ts's context carries: the `FunctionName` dimension. */
const FUNCTION_NAME = "fault-test";
const TIMEOUT_MS = 4000;
/** What Lambda sets on an on-demand container: Powertools writes its ColdStart metric then. */
const LAMBDA_ENV = { AWS_LAMBDA_INITIALIZATION_TYPE: "on-demand" };

let dynamo: LocalDynamo;
let sqs: LocalSqs;
let translate: TranslateStandIn;
beforeAll(async () => {
  [dynamo, sqs, translate] = await Promise.all([startLocalDynamo(), startLocalSqs(), startTranslateStandIn()]);
});
afterAll(async () => {
  await Promise.all([dynamo?.stop(), sqs?.stop(), translate?.stop()]);
});

/** The output read back, with no line out of shape. */
function wellFormed(logs: string, service: string): Output {
  const out = readOutput(logs);
  expect(out.problems).toEqual([]);
  expect(out.records.length).toBeGreaterThan(0);
  for (const record of out.records) expect(record.service).toBe(service);
  for (const blob of out.blobs) expect(blob._aws.CloudWatchMetrics.map((d) => d.Namespace)).toEqual([METRICS_NAMESPACE]);
  return out;
}

const alarmDimensions = (service: string): Record<string, string> => ({ [DIMENSIONS.service]: service, [DIMENSIONS.functionName]: FUNCTION_NAME });

describe("kinesis-ingest", () => {
  it("stores with the record's correlation id; a poison record yields DeadLettered (total and by reason) and a line with its correlation id", async () => {
    const table = await dynamo.createTable("obs-ingest", "ID");
    const queue = (await sqs.client.send(new CreateQueueCommand({ QueueName: "obs-ingest-dlq" }))).QueueUrl!;
    const good = { ...kinesisRecord(JSON.stringify({ message: "fine" })) };
    const poison = kinesisRecord(JSON.stringify({ message: "x".repeat(420 * 1024) }));
    const records = [
      { ...good, kinesis: { ...good.kinesis, partitionKey: "req-good" } },
      { ...poison, kinesis: { ...poison.kinesis, partitionKey: "req-poison" } },
    ];
    const run = await invokeBundled<KinesisStreamBatchResponse>(
      { entry: "handlers/kinesis-ingest/index.ts", timeoutMs: TIMEOUT_MS, env: { ...LAMBDA_ENV, ...sdkEnv({ dynamodb: dynamo, sqs }), TABLE_NAME: table, DEAD_LETTER_QUEUE_URL: queue } },
      kinesisEventOf(records),
    );
    expect(run.result).toEqual({ batchItemFailures: [] });
    const out = wellFormed(run.logs, "kinesis-ingest");

    expect((await dynamo.items(table)).map((item) => item.CorrelationId)).toEqual(["req-good"]);
    const poisonLines = out.records.filter((r) => r.correlation_id === "req-poison");
    expect(poisonLines).toContainEqual(expect.objectContaining({ event: "dead_lettered", outcome: OUTCOMES.deadLettered, reason: "ItemTooLarge" }));
    const dims = alarmDimensions("kinesis-ingest");
    expect(metricSum(out.blobs, OUTCOMES.deadLettered, dims)).toBe(1);
    expect(metricSum(out.blobs, OUTCOMES.deadLettered, { ...dims, [DIMENSIONS.reason]: "ItemTooLarge" })).toBe(1);
    expect(metricSum(out.blobs, OUTCOMES.stored, dims)).toBe(1);
    expect(metricSum(out.blobs, "ColdStart", { service: "kinesis-ingest", function_name: FUNCTION_NAME })).toBe(1);
    // The dead letter is on the queue, the record's pointer (never its data).
    const sent = await sqs.client.send(new ReceiveMessageCommand({ QueueUrl: queue, MaxNumberOfMessages: 10 }));
    expect(sent.Messages).toHaveLength(1);
  });
});

describe("HTTP entry points answer the correlation id and log it on every line", () => {
  it("event-log-api: API Gateway's request id, on the stored item too", async () => {
    const table = await dynamo.createTable("obs-events", "date", "time");
    const event = {
      ...apiEvent({ body: JSON.stringify({ date: "2021-09-09", time: "17:08:57", userId: "u1", eventType: "test" }), requestId: "req-event", headers: { "content-type": "application/json" } }),
      routeKey: "POST /events",
    };
    const run = await invokeBundled<{ statusCode: number; headers: Record<string, string> }>(
      { entry: "handlers/event-log-api/index.ts", timeoutMs: TIMEOUT_MS, env: { ...sdkEnv({ dynamodb: dynamo }), TABLE_NAME: table } },
      event,
    );
    expect(run.result).toMatchObject({ statusCode: 201, headers: { [CORRELATION_HEADER]: "req-event" } });
    const out = wellFormed(run.logs, "event-log-api");
    expect(new Set(out.records.map((r) => r.correlation_id))).toEqual(new Set(["req-event"]));
    expect((await dynamo.items(table)).map((item) => item.correlationId)).toEqual(["req-event"]);
  });

  it("translate-api: the request id on the history item; a failed history write counts HistoryWriteFailed on the alarm's dimensions", async () => {
    const table = await dynamo.createTable("obs-history", "timestamp");
    const env = { ...sdkEnv({ dynamodb: dynamo }), AWS_ENDPOINT_URL_TRANSLATE: translate.endpoint, HISTORY_WRITE_BUDGET_MS: "500" };
    const event = { ...getEvent({ input_text: "こんにちは" }) };
    const requestContext = { ...event.requestContext, requestId: "req-translate" };
    const ok = await invokeBundled<{ statusCode: number; headers: Record<string, string> }>(
      { entry: "handlers/translate-api/index.ts", timeoutMs: TIMEOUT_MS, env: { ...env, TABLE_NAME: table } },
      { ...event, requestContext },
    );
    expect(ok.result).toMatchObject({ statusCode: 200, headers: { [CORRELATION_HEADER]: "req-translate" } });
    expect(new Set(wellFormed(ok.logs, "translate-api").records.map((r) => r.correlation_id))).toEqual(new Set(["req-translate"]));
    expect((await dynamo.items(table)).map((item) => item.correlation_id)).toEqual(["req-translate"]);

    const failed = await invokeBundled<{ statusCode: number }>(
      { entry: "handlers/translate-api/index.ts", timeoutMs: TIMEOUT_MS, env: { ...env, TABLE_NAME: "no-such-table" } },
      { ...event, requestContext },
    );
    expect(failed.result?.statusCode).toBe(200);
    const out = wellFormed(failed.logs, "translate-api");
    expect(metricSum(out.blobs, OUTCOMES.historyWriteFailed, alarmDimensions("translate-api"))).toBe(1);
    expect(out.records).toContainEqual(expect.objectContaining({ level: "ERROR", outcome: OUTCOMES.historyWriteFailed, correlation_id: "req-translate" }));
  });

  it.each([
    ["handlers/media-alb/input-file-to-job-id/index.ts", "/media/job_id", "input_file=a.mp4"],
    ["handlers/media-alb/job-id-to-status/index.ts", "/media/status", "job_id=j1"],
  ])("media-alb %s: the ALB's trace root, or API Gateway's request id behind an HTTP API", async (entry, path, rawQuery) => {
    const env = { ...sdkEnv({ dynamodb: dynamo }), TABLE_NAME: "obs-media-missing", ALLOWED_ORIGINS: "" };
    const root = "1-67891233-abcdef012345678912345678";
    const viaAlb = await invokeBundled<{ statusCode: number; headers: Record<string, string> }>(
      { entry, timeoutMs: TIMEOUT_MS, env },
      albEvent({ path, rawQuery, headers: { "x-amzn-trace-id": `Self=1-67891234-000000000000000000000000;Root=${root}` } }),
    );
    expect(viaAlb.result?.headers[CORRELATION_HEADER]).toBe(root);
    expect(new Set(wellFormed(viaAlb.logs, "media-alb").records.map((r) => r.correlation_id))).toEqual(new Set([root]));
    const api = httpApiEvent({ path, rawQuery });
    const viaApi = await invokeBundled<{ statusCode: number; headers: Record<string, string> }>(
      { entry, timeoutMs: TIMEOUT_MS, env },
      { ...api, requestContext: { ...api.requestContext, requestId: "req-media" } },
    );
    expect(viaApi.result?.headers[CORRELATION_HEADER]).toBe("req-media");
    expect(new Set(wellFormed(viaApi.logs, "media-alb").records.map((r) => r.correlation_id))).toEqual(new Set(["req-media"]));
  });
});

describe("webhook-proxy: through the queue to the upstream", () => {
  it("api2sqs puts the request id on the message; sqs2upstream logs it per message, sends it upstream, counts the delivery by status class", async () => {
    const queue = (await sqs.client.send(new CreateQueueCommand({ QueueName: "obs-webhooks" }))).QueueUrl!;
    const accepted = await invokeBundled<{ statusCode: number; headers: Record<string, string> }>(
      { entry: "handlers/webhook-proxy/api2sqs/index.ts", timeoutMs: TIMEOUT_MS, env: { ...sdkEnv({ sqs }), SQS_URL: queue } },
      apiEvent({ body: '{"hello":"world"}', requestId: "req-webhook" }),
    );
    expect(accepted.result).toMatchObject({ statusCode: 202, headers: { [CORRELATION_HEADER]: "req-webhook" } });
    expect(new Set(wellFormed(accepted.logs, "webhook-proxy").records.map((r) => r.correlation_id))).toEqual(new Set(["req-webhook"]));

    const received = await sqs.client.send(new ReceiveMessageCommand({ QueueUrl: queue, MessageAttributeNames: ["All"], MaxNumberOfMessages: 1 }));
    const message = received.Messages![0];
    expect(message.MessageAttributes?.correlationId?.StringValue).toBe("req-webhook");

    const headers: http.IncomingHttpHeaders[] = [];
    const upstream = http.createServer((req, res) => {
      headers.push(req.headers);
      req.resume();
      req.on("end", () => res.writeHead(204).end());
    });
    await new Promise<void>((resolve) => upstream.listen(0, "127.0.0.1", resolve));
    try {
      const record: SQSRecord = {
        messageId: message.MessageId!,
        receiptHandle: message.ReceiptHandle!,
        body: message.Body!,
        attributes: { ApproximateReceiveCount: "1", SentTimestamp: "0", SenderId: "x", ApproximateFirstReceiveTimestamp: "0" },
        messageAttributes: { correlationId: { stringValue: "req-webhook", dataType: "String", stringListValues: [], binaryListValues: [] } },
        md5OfBody: "",
        eventSource: "aws:sqs",
        eventSourceARN: "arn:aws:sqs:ap-northeast-1:123456789012:obs-webhooks",
        awsRegion: "ap-northeast-1",
      };
      const port = (upstream.address() as AddressInfo).port;
      const delivered = await invokeBundled<{ batchItemFailures: unknown[] }>(
        { entry: "handlers/webhook-proxy/sqs2upstream/index.ts", timeoutMs: TIMEOUT_MS, env: { UPSTREAM: `http://127.0.0.1:${port}` } },
        { Records: [record] },
      );
      expect(delivered.result).toEqual({ batchItemFailures: [] });
      expect(headers.map((h) => h[CORRELATION_HEADER])).toEqual(["req-webhook"]);
      const out = wellFormed(delivered.logs, "webhook-proxy");
      expect(out.records.filter((r) => r.event === "delivered").map((r) => r.correlation_id)).toEqual(["req-webhook"]);
      expect(metricSum(out.blobs, OUTCOMES.upstreamDeliveries, { ...alarmDimensions("webhook-proxy"), [DIMENSIONS.statusClass]: "2xx" })).toBe(1);
    } finally {
      await new Promise((resolve) => upstream.close(resolve));
    }
  });
});
