/**
 * Every handler under downstream faults, run as Lambda runs it: the bundle
 * synth packages, in a child process killed at the function's timeout
 * (`support/lambda-process.ts`), talking to real local engines (dynalite, local
 * SQS, and a stand-in for Amazon Translate, which has no local implementation)
 * through a fault-injecting proxy (`support/fault-proxy.ts`): every call
 * throttled, a share throttled, 500s, accepted and never answered, refused.
 *
 * For each handler and mode: it answers before its deadline; every record is
 * stored or reported as failed; HTTP answers carry the status, Retry-After and
 * JSON message docs/reliability.md promises; nothing is stored
 * twice. Timeouts are short (1.5-3 s): the same code path, sized by the same
 * FUNCTION_TIMEOUT_MS the stacks set.
 */
import type { KinesisStreamBatchResponse, KinesisStreamEvent } from "aws-lambda";
import { bundleHandler } from "../blocks/lambda/bundle";
import { CreateQueueCommand, GetQueueAttributesCommand } from "@aws-sdk/client-sqs";
import { type FaultMode, type FaultProxy, startFaultProxy } from "./support/fault-proxy";
import { kinesisEventOf, kinesisRecord } from "./support/kinesis";
import { type Invocation, invokeBundled } from "./support/lambda-process";
import { type LocalDynamo, type LocalSqs, sdkEnv, startLocalDynamo, startLocalSqs } from "./support/local-aws";
import { startThrottlingService } from "./support/throttling-service";
import { startTranslateStandIn, type TranslateStandIn } from "./support/translate-standin";
import { apiEvent } from "./webhook-proxy/fixtures";
import { albEvent, httpApiEvent } from "./media-alb/local";
import { getEvent } from "./translate-api/events";

/** event-log-api's, media-alb's and api2sqs's configured timeout (Lambda's default, 3 s). */
const HTTP_TIMEOUT_MS = 3000;
/** Shorter than the stack's 60 s: the same budget arithmetic, a quicker test. */
const KINESIS_TIMEOUT_MS = 4000;

const MODES: Record<string, FaultMode> = {
  "every call throttled": { kind: "throttle" },
  "half the calls throttled": { kind: "throttle-share", share: 0.5 },
  "every call answered 500": { kind: "error-500" },
  "calls accepted, never answered": { kind: "silent" },
  "connections refused": { kind: "refuse" },
};
type ModeName = keyof typeof MODES;
const modeNames = Object.keys(MODES) as ModeName[];

interface HttpAnswer {
  statusCode: number;
  headers?: Record<string, string>;
  body: string;
}

let dynamo: LocalDynamo;
let sqs: LocalSqs;
let translate: TranslateStandIn;
const proxies: FaultProxy[] = [];
/** Stand-ins started by one test (a throttling Parameter Store), stopped with the rest. */
const standIns: Array<{ stop(): Promise<void> }> = [];
let tables = 0;

const ENTRIES = [
  "handlers/kinesis-ingest/index.ts",
  "handlers/event-log-api/index.ts",
  "handlers/media-alb/input-file-to-job-id/index.ts",
  "handlers/media-alb/job-id-to-status/index.ts",
  "handlers/translate-api/index.ts",
  "handlers/webhook-proxy/api2sqs/index.ts",
];

beforeAll(async () => {
  // Bundled up front: esbuild blocks this process, which would delay the kill timers of running invocations.
  for (const entry of ENTRIES) bundleHandler(entry);
  [dynamo, sqs, translate] = await Promise.all([startLocalDynamo(), startLocalSqs(), startTranslateStandIn()]);
});
afterAll(async () => {
  await Promise.all([...proxies, ...standIns].map((p) => p.stop()));
  await Promise.all([dynamo?.stop(), sqs?.stop(), translate?.stop()]);
});

async function proxy(backend: { endpoint: string; stop(): Promise<void> }, mode: FaultMode): Promise<FaultProxy> {
  const p = await startFaultProxy(backend, mode);
  proxies.push(p);
  return p;
}

/** Answered in time: returned, not killed, before the configured timeout. */
function expectInTime<R>(run: Invocation<R>, timeoutMs: number): R {
  if (run.killed || run.result === undefined) throw new Error(`killed=${run.killed} error=${run.error ?? ""}\n${run.logs}`);
  expect(run.elapsedMs).toBeLessThan(timeoutMs);
  return run.result;
}

/** A downstream fault's answer: 503 (throttled, 500s, refused) or 504 (silent), Retry-After, a JSON message. */
function expectFaultAnswer(answer: HttpAnswer, mode: ModeName, messageField = "message"): void {
  expect(answer.statusCode).toBe(mode === "calls accepted, never answered" ? 504 : 503);
  const headers = Object.fromEntries(Object.entries(answer.headers ?? {}).map(([k, v]) => [k.toLowerCase(), v]));
  expect(headers["retry-after"]).toBe("1");
  expect(headers["content-type"]).toMatch(/^application\/json/i);
  const body = JSON.parse(answer.body) as Record<string, unknown>;
  expect(typeof body[messageField]).toBe("string");
  expect(body[messageField]).toMatch(/retry in 1 s|please retry/);
}

describe("kinesis-ingest consumer: a batch of 60 records", () => {
  const RECORDS = 60;
  const kinesisEvent = (): KinesisStreamEvent =>
    kinesisEventOf(Array.from({ length: RECORDS }, (_, i) => kinesisRecord(JSON.stringify({ message: `record ${i}` }), `4960${String(i).padStart(20, "0")}`)));

  test.concurrent.each(modeNames)("%s: answers in time; every record is stored or reported, none twice", async (mode) => {
    const table = await dynamo.createTable(`ingest-${++tables}`, "ID");
    const p = await proxy(dynamo, MODES[mode]);
    const event = kinesisEvent();
    const run = await invokeBundled<KinesisStreamBatchResponse>(
      { entry: "handlers/kinesis-ingest/index.ts", timeoutMs: KINESIS_TIMEOUT_MS, env: { ...sdkEnv({ dynamodb: p }), TABLE_NAME: table } },
      event,
    );
    const response = expectInTime(run, KINESIS_TIMEOUT_MS);
    const failed = new Set(response.batchItemFailures.map((f) => f.itemIdentifier));
    const items = await dynamo.items(table);
    const stored = new Set(items.map((item) => String(item.ID).split(":")[1]));
    for (const record of event.Records) {
      expect(stored.has(record.kinesis.sequenceNumber) || failed.has(record.kinesis.sequenceNumber)).toBe(true);
    }
    const messages = items.map((item) => item.Message);
    expect(new Set(messages).size).toBe(messages.length);
    if (mode === "half the calls throttled") expect(failed.size).toBe(0); // backoff as a batch gets through
    if (mode === "every call throttled") {
      // One chunk's bounded attempts, then stop: no per-item fallback multiplying the calls on a throttled table.
      expect(failed.size).toBe(RECORDS);
      expect(p.stats.requests).toBeLessThanOrEqual(6);
    }
    if (mode !== "half the calls throttled") expect(failed.size).toBe(RECORDS - stored.size);
  });
});

describe("event-log-api: POST /events", () => {
  function postEvent(i: number) {
    const body = JSON.stringify({ date: "2026-11-28", time: `12:00:0${i}`, userId: `user-${i}`, eventType: "login" });
    return { ...apiEvent({ body, headers: { "content-type": "application/json" }, rawPath: "/events" }), routeKey: "POST /events" };
  }

  test.concurrent.each(modeNames)("%s: 201 or 503/504 with Retry-After and a JSON message, in time; stored once", async (mode) => {
    const table = await dynamo.createTable(`events-${++tables}`, "date", "time");
    const p = await proxy(dynamo, MODES[mode]);
    const answers: HttpAnswer[] = [];
    // Several requests only where they can differ (a share throttled).
    const requests = mode === "half the calls throttled" ? 3 : 1;
    for (let i = 0; i < requests; i++) {
      const run = await invokeBundled<HttpAnswer>(
        { entry: "handlers/event-log-api/index.ts", timeoutMs: HTTP_TIMEOUT_MS, env: { ...sdkEnv({ dynamodb: p }), TABLE_NAME: table } },
        postEvent(i),
      );
      answers.push(expectInTime(run, HTTP_TIMEOUT_MS));
    }
    const created = answers.filter((a) => a.statusCode === 201).length;
    for (const answer of answers) if (answer.statusCode !== 201) expectFaultAnswer(answer, mode);
    if (mode !== "half the calls throttled") expect(created).toBe(0);
    // Everything answered 201 is stored, exactly once; nothing else is.
    expect(await dynamo.items(table)).toHaveLength(created);
  });
});

describe("media-alb: both handlers, both front doors", () => {
  const cases = modeNames
    .filter((mode) => mode !== "half the calls throttled")
    .flatMap((mode) => [
      [mode, "ALB", "handlers/media-alb/input-file-to-job-id/index.ts", albEvent({ path: "/media/job_id", rawQuery: "input_file=a.mp4" })] as const,
      [mode, "HTTP API", "handlers/media-alb/job-id-to-status/index.ts", httpApiEvent({ path: "/media/status", rawQuery: "job_id=j1" })] as const,
    ]);

  test.concurrent.each(cases)("%s, through the %s: 503/504 with Retry-After and the seed's JSON body, in time", async (mode, _door, entry, event) => {
    const p = await proxy(dynamo, MODES[mode]);
    const run = await invokeBundled<HttpAnswer>(
      { entry, timeoutMs: HTTP_TIMEOUT_MS, env: { ...sdkEnv({ dynamodb: p }), TABLE_NAME: "media", ALLOWED_ORIGINS: ".*" } },
      event,
    );
    const answer = expectInTime(run, HTTP_TIMEOUT_MS);
    expectFaultAnswer(answer, mode);
    expect(JSON.parse(answer.body)).toMatchObject({ success: false });
    // The ALB answers 502 for a header value that is not a string.
    for (const value of Object.values(answer.headers ?? {})) expect(typeof value).toBe("string");
  });
});

describe("translate-api: Amazon Translate, then the history table", () => {
  /** Shorter than the stack's 10 s, with a history budget (500 ms) in the same proportion. */
  const TRANSLATE_TIMEOUT_MS = 3000;
  const env = (translateEndpoint: string, dynamoEndpoint: string, table: string): Record<string, string> => ({
    ...sdkEnv({}),
    AWS_ENDPOINT_URL_TRANSLATE: translateEndpoint,
    AWS_ENDPOINT_URL_DYNAMODB: dynamoEndpoint,
    TABLE_NAME: table,
    HISTORY_WRITE_BUDGET_MS: "500",
  });

  test.concurrent.each(modeNames.filter((m) => m !== "half the calls throttled"))(
    "Translate %s: 503/504 with Retry-After and a JSON message, in time; no history written",
    async (mode) => {
      const table = await dynamo.createTable(`history-${++tables}`, "timestamp");
      const p = await proxy(translate, MODES[mode]);
      const run = await invokeBundled<HttpAnswer>(
        { entry: "handlers/translate-api/index.ts", timeoutMs: TRANSLATE_TIMEOUT_MS, env: env(p.endpoint, dynamo.endpoint, table) },
        getEvent({ input_text: "こんにちは" }),
      );
      expectFaultAnswer(expectInTime(run, TRANSLATE_TIMEOUT_MS), mode);
      expect(await dynamo.items(table)).toHaveLength(0);
    },
  );

  test.concurrent.each(["every call throttled", "calls accepted, never answered", "connections refused"] as ModeName[])(
    "history table %s: the translation is still answered 200, HISTORY_WRITE_FAILED is logged, in time",
    async (mode) => {
      const table = await dynamo.createTable(`history-${++tables}`, "timestamp");
      const p = await proxy(dynamo, MODES[mode]);
      const run = await invokeBundled<HttpAnswer>(
        { entry: "handlers/translate-api/index.ts", timeoutMs: TRANSLATE_TIMEOUT_MS, env: env(translate.endpoint, p.endpoint, table) },
        getEvent({ input_text: "こんにちは" }),
      );
      const answer = expectInTime(run, TRANSLATE_TIMEOUT_MS);
      expect(answer.statusCode).toBe(200);
      expect(JSON.parse(answer.body)).toMatchObject({ output_text: "[en] こんにちは" });
      expect(run.logs).toContain("HISTORY_WRITE_FAILED");
    },
  );
});

describe("webhook-proxy api2sqs: queueing a webhook", () => {
  let queues = 0;
  const depth = async (url: string): Promise<number> => {
    const out = await sqs.client.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ["ApproximateNumberOfMessages"] }));
    return Number(out.Attributes?.ApproximateNumberOfMessages ?? 0);
  };
  test.concurrent.each(modeNames)("%s: 202, or 503/504 with Retry-After and a JSON message, in time; each 202 queued once", async (mode) => {
    const url = (await sqs.client.send(new CreateQueueCommand({ QueueName: `faults-${++queues}` }))).QueueUrl!;
    const p = await proxy(sqs, MODES[mode]);
    // The SQS client sends to the queue URL's host: the proxy's, for the handler.
    const viaProxy = `${p.endpoint}${new URL(url).pathname}`;
    let accepted = 0;
    const requests = mode === "half the calls throttled" ? 3 : 1;
    for (let i = 0; i < requests; i++) {
      const run = await invokeBundled<HttpAnswer>(
        { entry: "handlers/webhook-proxy/api2sqs/index.ts", timeoutMs: HTTP_TIMEOUT_MS, env: { ...sdkEnv({ sqs: p }), SQS_URL: viaProxy } },
        apiEvent({ body: `{"n":${i}}`, headers: { "content-type": "application/json", "cf-ipcity": "Srīperumbūdūr" } }),
      );
      const answer = expectInTime(run, HTTP_TIMEOUT_MS);
      if (answer.statusCode === 202) accepted++;
      else expectFaultAnswer(answer, mode);
    }
    if (mode !== "half the calls throttled") expect(accepted).toBe(0);
    expect(await depth(url)).toBe(accepted);
  });
});

describe("webhook-proxy api2sqs: the signing secret from a throttled Parameter Store", () => {
  // The reviewer's fault: every GetParameter answered ThrottlingException with `x-amz-retry-after: 5000`
  // (and `retry-after: 5`), immediately or after 700 ms. The SDK would wait for the hint; the handler must not.
  test.concurrent.each([0, 700])("answers after %i ms, 5 s retry hint: 503 with a JSON message before the timeout, nothing queued", async (delayMs) => {
    const url = (await sqs.client.send(new CreateQueueCommand({ QueueName: `signed-faults-${delayMs}` }))).QueueUrl!;
    const ssm = await startThrottlingService({ delayMs, retryAfterMs: 5000 });
    standIns.push(ssm);
    const body = '{"action":"opened"}';
    const run = await invokeBundled<HttpAnswer>(
      {
        entry: "handlers/webhook-proxy/api2sqs/index.ts",
        timeoutMs: HTTP_TIMEOUT_MS,
        env: { ...sdkEnv({ sqs, ssm }), SQS_URL: url, SIGNATURE_SECRET_PARAMETER: "/test/webhook-proxy/signing-secret" },
      },
      apiEvent({ body, headers: { "content-type": "application/json", "x-hub-signature-256": `sha256=${"0".repeat(64)}` } }),
    );
    const answer = expectInTime(run, HTTP_TIMEOUT_MS);
    expect(answer.statusCode).toBe(503);
    const headers = Object.fromEntries(Object.entries(answer.headers ?? {}).map(([k, v]) => [k.toLowerCase(), v]));
    expect(headers["content-type"]).toMatch(/^application\/json/i);
    expect(headers["retry-after"]).toEqual(expect.any(String));
    expect(JSON.parse(answer.body)).toEqual({ message: expect.stringMatching(/could not be verified; please retry/) });
    expect(ssm.stats.requests).toBeGreaterThanOrEqual(1);
    expect(ssm.stats.requests).toBeLessThanOrEqual(2); // the client's bounded attempts, no more
    const depth = await sqs.client.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ["ApproximateNumberOfMessages"] }));
    expect(Number(depth.Attributes?.ApproximateNumberOfMessages)).toBe(0);
  });
});
