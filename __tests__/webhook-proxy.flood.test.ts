/**
 * Issue 26's flood, replayed on one cold api2sqs container (the bundle synth
 * packages, loaded once in a child process and invoked one request after
 * another, as one Lambda container is): unsigned, malformed and badly signed
 * webhooks while Parameter Store throttles every call (a stand-in on
 * node:http answering ThrottlingException with a 5 s retry hint: no local SSM
 * engine exists), then while it answers. The stand-ins count every
 * GetParameter call that reaches them; the queue (local-aws-sqs) must stay empty.
 */
import { createHmac } from "node:crypto";
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from "aws-lambda";
import { CreateQueueCommand, GetQueueAttributesCommand } from "@aws-sdk/client-sqs";
import { FAILED_READ_RETRY_MS, SECRET_RECHECK_INTERVAL_MS } from "../handlers/webhook-proxy/api2sqs/secrets";
import { type Engine, type ParameterStoreStats, startParameterStore } from "../tools/emulator/engines";
import { type LocalSqs, sdkEnv, startLocalSqs } from "./support/local-aws";
import { startThrottlingService, type ThrottlingService } from "./support/throttling-service";
import { type Container, startContainer } from "./webhook-proxy/container";
import { apiEvent } from "./webhook-proxy/fixtures";

const ENTRY = "handlers/webhook-proxy/api2sqs/index.ts";
const PARAMETER = "/test/webhook-proxy/signing-secret";
const SECRET = "the flood test's secret";
/** The SSM client's attempts per read (`handlers/shared/ssm-parameter.ts`). */
const ATTEMPTS_PER_READ = 2;

let sqs: LocalSqs;
let throttled: ThrottlingService;
let healthy: Engine & { stats: ParameterStoreStats };
const containers: Container<APIGatewayProxyStructuredResultV2>[] = [];

const sign = (body: string, secret: string): string => `sha256=${createHmac("sha256", secret).update(body).digest("hex")}`;
const unsigned = (i: number): APIGatewayProxyEventV2 => apiEvent({ body: `{"junk":${i}}`, requestId: `unsigned-${i}` });
const malformed = (i: number): APIGatewayProxyEventV2 =>
  apiEvent({ body: `{"junk":${i}}`, headers: { "x-hub-signature-256": i % 2 ? "sha256=not-a-digest" : "md5=abc" }, requestId: `malformed-${i}` });
const forged = (i: number): APIGatewayProxyEventV2 =>
  apiEvent({ body: `{"junk":${i}}`, headers: { "x-hub-signature-256": sign(`{"junk":${i}}`, "a guess") }, requestId: `forged-${i}` });

async function coldContainer(ssm: Engine, queueName: string): Promise<{ container: Container<APIGatewayProxyStructuredResultV2>; url: string }> {
  const url = (await sqs.client.send(new CreateQueueCommand({ QueueName: queueName }))).QueueUrl as string;
  const container = await startContainer<APIGatewayProxyStructuredResultV2>({
    entry: ENTRY,
    timeoutMs: 3000,
    env: { ...sdkEnv({ sqs, ssm }), SQS_URL: url, SIGNATURE_SECRET_PARAMETER: PARAMETER },
  });
  containers.push(container);
  return { container, url };
}

async function depth(url: string): Promise<number> {
  const out = await sqs.client.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ["ApproximateNumberOfMessages"] }));
  return Number(out.Attributes?.ApproximateNumberOfMessages);
}

const statusCounts = (answers: APIGatewayProxyStructuredResultV2[]): Record<string, number> =>
  answers.reduce<Record<string, number>>((counts, a) => ({ ...counts, [String(a.statusCode)]: (counts[String(a.statusCode)] ?? 0) + 1 }), {});

/** Reads a container may make in `elapsedMs` when each read is followed by `intervalMs` without one. */
const readsWithin = (elapsedMs: number, intervalMs: number): number => 1 + Math.floor(elapsedMs / intervalMs);

beforeAll(async () => {
  sqs = await startLocalSqs();
  throttled = await startThrottlingService({ retryAfterMs: 5000 });
  healthy = await startParameterStore({ [PARAMETER]: SECRET });
});

afterAll(async () => {
  for (const c of containers) await c.stop();
  await throttled.stop();
  await healthy.stop();
  await sqs.stop();
});

describe("a cold api2sqs container flooded while Parameter Store throttles", () => {
  test("unsigned and malformed requests: 401 each, not one GetParameter call", async () => {
    const { container, url } = await coldContainer(throttled, "flood-unsigned");
    const before = throttled.stats.requests;
    const answers: APIGatewayProxyStructuredResultV2[] = [];
    for (let i = 0; i < 100; i++) answers.push(await container.invoke(unsigned(i)));
    for (let i = 0; i < 50; i++) answers.push(await container.invoke(malformed(i)));
    expect(statusCounts(answers)).toEqual({ "401": 150 });
    expect(answers.every((a) => /^Invalid webhook signature: /.test(JSON.parse(String(a.body)).message))).toBe(true);
    expect(throttled.stats.requests - before).toBe(0);
    expect(await depth(url)).toBe(0);
  });

  test("well-formed but forged signatures: 503 with a JSON message and Retry-After; one read per failure interval, not one per request", async () => {
    const { container, url } = await coldContainer(throttled, "flood-forged");
    const before = throttled.stats.requests;
    const started = Date.now();
    const answers: APIGatewayProxyStructuredResultV2[] = [];
    for (let i = 0; i < 100; i++) {
      answers.push(await container.invoke(forged(i)));
      answers.push(await container.invoke(unsigned(i)));
    }
    const elapsedMs = Date.now() - started;
    const calls = throttled.stats.requests - before;
    expect(statusCounts(answers)).toEqual({ "401": 100, "503": 100 });
    for (const a of answers.filter((x) => x.statusCode === 503)) {
      expect(JSON.parse(String(a.body))).toEqual({ message: expect.stringContaining("could not be verified") });
      expect(a.headers).toMatchObject({ "retry-after": expect.any(String) });
    }
    // Before the fix: 100 reads (200 calls). Now: the first read, then one per FAILED_READ_RETRY_MS at most.
    expect(calls).toBeGreaterThanOrEqual(1);
    expect(calls).toBeLessThanOrEqual(ATTEMPTS_PER_READ * readsWithin(elapsedMs, FAILED_READ_RETRY_MS));
    expect(await depth(url)).toBe(0);
  });
});

describe("the same flood with Parameter Store answering", () => {
  test("forged signatures: 401 each; the secret read once, re-read at most once per recheck interval", async () => {
    const { container, url } = await coldContainer(healthy, "flood-healthy");
    const before = healthy.stats.found;
    const started = Date.now();
    const answers: APIGatewayProxyStructuredResultV2[] = [];
    for (let i = 0; i < 100; i++) answers.push(await container.invoke(forged(i)));
    const elapsedMs = Date.now() - started;
    const reads = healthy.stats.found - before;
    expect(statusCounts(answers)).toEqual({ "401": 100 });
    // The first use, and the mismatch's re-read (a rotation would have shown there), once per interval.
    expect(reads).toBeGreaterThanOrEqual(2);
    expect(reads).toBeLessThanOrEqual(1 + readsWithin(elapsedMs, SECRET_RECHECK_INTERVAL_MS));
    // A genuine webhook still gets through, with no further read.
    const body = '{"event":"delivered"}';
    const ok = await container.invoke(apiEvent({ body, headers: { "x-hub-signature-256": sign(body, SECRET) } }));
    expect(ok.statusCode).toBe(202);
    expect(healthy.stats.found - before).toBe(reads);
    expect(await depth(url)).toBe(1);
  });
});
