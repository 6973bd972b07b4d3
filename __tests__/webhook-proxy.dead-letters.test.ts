/**
 * webhook-proxy's dead letters, counted where they happen. SQS moves a message
 * to the dead-letter queue (the redrive policy) once its receive number
 * `maxReceiveCount` fails; sqs2upstream, given that number (`MAX_RECEIVE_COUNT`,
 * the redrive policy's own expression), counts `DeadLettered` by `Reason` on
 * that receive and logs it with the webhook's correlation id.
 *
 * On local-aws-sqs with a real redrive policy; this test plays the event source
 * mapping (receive, invoke, delete what was not reported): a reported message
 * comes back after the queue's visibility timeout (1 s here), as for Lambda.
 * The handler's Lambda entry runs in this process, its lines captured.
 */
import type { Context, SQSBatchResponse, SQSEvent } from "aws-lambda";
import {
  CreateQueueCommand,
  DeleteMessageCommand,
  GetQueueAttributesCommand,
  type Message,
  ReceiveMessageCommand,
  SendMessageCommand,
} from "@aws-sdk/client-sqs";
import { TerraformStack, Testing } from "cdktf";
import { AwsProvider } from "@cdktf/provider-aws/lib/provider";
import { correlationAttribute } from "../handlers/shared/correlation";
import { DIMENSIONS, OUTCOMES } from "../handlers/shared/outcomes";
import { messageFromRequest, serializeMessage } from "../handlers/webhook-proxy/message";
import { WebhookProxy } from "../patterns/webhook-proxy";
import { type LocalSqs, sdkEnv, startLocalSqs } from "./support/local-aws";
import { type EmfBlob, type LogRecord, metricSum } from "./support/log-shape";
import { byPath, readSynthesizedStack, type StackJson, synthesize } from "./support/synth";
import { environmentVariables } from "../tools/emulator/synth";
import { captured } from "./webhook-proxy/captured";
import { recordsOf } from "./webhook-proxy/event-source";
import { apiEvent, sqsRecord, startUpstream, type TestUpstream } from "./webhook-proxy/fixtures";

const MAX_RECEIVE_COUNT = 3;
const FUNCTION_NAME = "dead-letters-test";

let sqs: LocalSqs;
let upstream: TestUpstream;
let handler: (event: SQSEvent, context: Context) => Promise<SQSBatchResponse>;
const saved = { ...process.env };
let invocations = 0;

beforeAll(async () => {
  [sqs, upstream] = await Promise.all([startLocalSqs(), startUpstream()]);
  Object.assign(process.env, { ...sdkEnv({ sqs }), UPSTREAM: upstream.url, MAX_RECEIVE_COUNT: String(MAX_RECEIVE_COUNT) });
  handler = (await import("../handlers/webhook-proxy/sqs2upstream")).handler;
});
afterAll(async () => {
  process.env = saved;
  await Promise.all([sqs?.stop(), upstream?.close()]);
});

interface Invocation {
  readonly records: LogRecord[];
  readonly blobs: EmfBlob[];
}

/** One invocation of the Lambda entry, every line of the one shape. */
async function invoke(event: SQSEvent): Promise<{ result: SQSBatchResponse } & Invocation> {
  const context = { functionName: FUNCTION_NAME, awsRequestId: `invocation-${++invocations}`, getRemainingTimeInMillis: () => 3000 } as Context;
  const { result, output } = await captured(() => handler(event, context));
  expect(output.problems).toEqual([]);
  return { result, records: output.records, blobs: output.blobs };
}

async function attribute(url: string, name: "QueueArn" | "ApproximateNumberOfMessages" | "ApproximateNumberOfMessagesNotVisible"): Promise<string> {
  return String((await sqs.client.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: [name] }))).Attributes?.[name]);
}

const receive = async (url: string): Promise<Message[]> =>
  (await sqs.client.send(new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 10, WaitTimeSeconds: 0, AttributeNames: ["All"], MessageAttributeNames: ["All"] }))).Messages ?? [];

/** The event source mapping until the queue is empty: each batch invoked, what was not reported deleted. */
async function drainThroughMapping(url: string): Promise<Invocation[]> {
  const seen: Invocation[] = [];
  // Bounded: each failing message is received at most MAX_RECEIVE_COUNT times, one visibility timeout apart.
  for (let polls = 0; polls < 200; polls++) {
    const messages = await receive(url);
    if (messages.length === 0) {
      const left = Number(await attribute(url, "ApproximateNumberOfMessages")) + Number(await attribute(url, "ApproximateNumberOfMessagesNotVisible"));
      if (left === 0) return seen;
      await new Promise((resolve) => setTimeout(resolve, 100));
      continue;
    }
    const { result, records, blobs } = await invoke({ Records: recordsOf(messages) });
    seen.push({ records, blobs });
    const failed = new Set(result.batchItemFailures.map((f) => f.itemIdentifier));
    for (const m of messages.filter((x) => !failed.has(x.MessageId as string))) {
      await sqs.client.send(new DeleteMessageCommand({ QueueUrl: url, ReceiptHandle: m.ReceiptHandle }));
    }
  }
  throw new Error("the queue did not drain");
}

describe("a webhook that fails every receive: DeadLettered on the receive after which SQS moves it", () => {
  test("an upstream that answers 500 (NotDelivered) and a message no request can carry (MalformedMessage); a delivered one is not counted", async () => {
    const dlq = (await sqs.client.send(new CreateQueueCommand({ QueueName: "proxy-dlq" }))).QueueUrl as string;
    const queue = (
      await sqs.client.send(
        new CreateQueueCommand({
          QueueName: "proxy-queue",
          Attributes: { VisibilityTimeout: "1", RedrivePolicy: JSON.stringify({ deadLetterTargetArn: await attribute(dlq, "QueueArn"), maxReceiveCount: MAX_RECEIVE_COUNT }) },
        }),
      )
    ).QueueUrl as string;
    const send = (requestId: string, body: string): Promise<unknown> =>
      sqs.client.send(new SendMessageCommand({ QueueUrl: queue, MessageBody: body, MessageAttributes: correlationAttribute(requestId) }));
    // As api2sqs queues them (its message and attribute); the last as one queued before api2sqs refused such text.
    await send("req-ok", serializeMessage(messageFromRequest(apiEvent({ rawPath: "/ok", body: "{}", requestId: "req-ok" }))));
    await send("req-fail", serializeMessage(messageFromRequest(apiEvent({ rawPath: "/fail", body: "{}", requestId: "req-fail" }))));
    await send("req-bad", serializeMessage(messageFromRequest(apiEvent({ rawPath: "/bad", body: "\ud800", requestId: "req-bad" }))));

    const seen = await drainThroughMapping(queue);

    // SQS moved exactly the two failing messages; the upstream saw /fail once per receive, the malformed one never.
    const dead = await receive(dlq);
    expect(dead.map((m) => m.MessageAttributes?.correlationId?.StringValue).sort()).toEqual(["req-bad", "req-fail"]);
    expect(upstream.received.map((r) => r.url).sort()).toEqual(["/fail", "/fail", "/fail", "/ok"]);

    const lines = seen.flatMap((s) => s.records.filter((r) => r.event === "dead_lettered"));
    expect(lines).toHaveLength(2);
    expect(lines).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ correlation_id: "req-fail", reason: "NotDelivered", receiveCount: MAX_RECEIVE_COUNT, maxReceiveCount: MAX_RECEIVE_COUNT, outcome: OUTCOMES.deadLettered }),
        expect.objectContaining({ correlation_id: "req-bad", reason: "MalformedMessage", receiveCount: MAX_RECEIVE_COUNT, maxReceiveCount: MAX_RECEIVE_COUNT, outcome: OUTCOMES.deadLettered }),
      ]),
    );
    const blobs = seen.flatMap((s) => s.blobs);
    const dims = { [DIMENSIONS.service]: "webhook-proxy", [DIMENSIONS.functionName]: FUNCTION_NAME };
    expect(metricSum(blobs, OUTCOMES.deadLettered, dims)).toBe(2);
    expect(metricSum(blobs, OUTCOMES.deadLettered, { ...dims, [DIMENSIONS.reason]: "NotDelivered" })).toBe(1);
    expect(metricSum(blobs, OUTCOMES.deadLettered, { ...dims, [DIMENSIONS.reason]: "MalformedMessage" })).toBe(1);
    // Every receive of the two was reported for retry: the metric SQS's redrive follows.
    expect(metricSum(blobs, OUTCOMES.retryReported, dims)).toBe(2 * MAX_RECEIVE_COUNT);
  });

  test("without MAX_RECEIVE_COUNT (a queue of the user's, whose redrive is theirs): reported as before, never counted", async () => {
    delete process.env.MAX_RECEIVE_COUNT;
    try {
      const body = serializeMessage(messageFromRequest(apiEvent({ rawPath: "/fail", body: "{}", requestId: "req-unknown" })));
      const { result, records, blobs } = await invoke({ Records: [sqsRecord("m-unknown", body, 1000)] });
      expect(result).toEqual({ batchItemFailures: [{ itemIdentifier: "m-unknown" }] });
      expect(records.find((r) => r.event === "delivery_failed")).toMatchObject({ correlation_id: "req-unknown", receiveCount: 1000 });
      expect(records.filter((r) => r.event === "dead_lettered")).toEqual([]);
      expect(blobs.filter((b) => OUTCOMES.deadLettered in b)).toEqual([]);
    } finally {
      process.env.MAX_RECEIVE_COUNT = String(MAX_RECEIVE_COUNT);
    }
  });

  test("a MAX_RECEIVE_COUNT that is no receive count fails the invocation (config_error): the batch returns to the queue", async () => {
    process.env.MAX_RECEIVE_COUNT = "five";
    try {
      const sent = upstream.received.length;
      const body = serializeMessage(messageFromRequest(apiEvent({ rawPath: "/ok", body: "{}" })));
      const context = { functionName: FUNCTION_NAME, awsRequestId: "config", getRemainingTimeInMillis: () => 3000 } as Context;
      const { result: error, output } = await captured(() => handler({ Records: [sqsRecord("m", body)] }, context).then(() => undefined, (err: unknown) => err));
      expect(String(error)).toMatch(/MAX_RECEIVE_COUNT must be a whole number from 1 to 1000, got "five"/);
      expect(output.records.find((r) => r.event === "config_error")).toMatchObject({ variable: "MAX_RECEIVE_COUNT" });
      expect(upstream.received.length).toBe(sent);
    } finally {
      process.env.MAX_RECEIVE_COUNT = String(MAX_RECEIVE_COUNT);
    }
  });
});

describe("MAX_RECEIVE_COUNT in the stack: the redrive policy's maxReceiveCount, the same expression", () => {
  const redriveCount = (json: StackJson, queuePath: string): string => {
    const policy = String(byPath(json, "aws_sqs_queue", queuePath).body.redrive_policy);
    const match = /"maxReceiveCount" = (.*)\}\)\}$/.exec(policy);
    if (!match) throw new Error(`no maxReceiveCount in ${policy}`);
    return match[1];
  };
  const environment = (json: StackJson, functionPath: string): Record<string, unknown> => environmentVariables(byPath(json, "aws_lambda_function", functionPath).body);

  test("the webhook-proxy stack: sqs2upstream's variable is the queue's (a plan-time conditional on the reserved concurrency)", () => {
    const json = readSynthesizedStack("app", "webhook-proxy");
    expect(environment(json, "sqs2upstream/function").MAX_RECEIVE_COUNT).toBe(`\${${redriveCount(json, "queue")}}`);
    expect(environment(json, "api2sqs/function")).not.toHaveProperty("MAX_RECEIVE_COUNT");
  });

  test("the pattern with literal settings: the literal count; on an existing queue: not set", () => {
    const stack = new TerraformStack(Testing.app(), "mine");
    new AwsProvider(stack, "aws", { region: "eu-west-1" });
    new WebhookProxy(stack, "capped", { upstream: "app.example.com", reservedConcurrentExecutions: 4, maxReceiveCount: 7 });
    const queue = { name: "theirs", arn: "arn:aws:sqs:eu-west-1:123456789012:theirs", url: "https://sqs.eu-west-1.amazonaws.com/123456789012/theirs" };
    new WebhookProxy(stack, "theirs", { upstream: "app.example.com", existingQueue: queue });
    const { json } = synthesize(stack);
    expect(redriveCount(json, "capped/queue")).toBe("7");
    expect(environment(json, "capped/sqs2upstream/function").MAX_RECEIVE_COUNT).toBe("7");
    expect(environment(json, "theirs/sqs2upstream/function")).toMatchObject({ UPSTREAM: "app.example.com" });
    expect(environment(json, "theirs/sqs2upstream/function")).not.toHaveProperty("MAX_RECEIVE_COUNT");
  });
});
