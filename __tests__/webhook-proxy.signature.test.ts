/**
 * api2sqs's signature check, through the real Lambda entry: real HMAC-SHA256
 * signatures, the secret served by a Parameter Store stand-in (SSM's JSON
 * protocol on node:http, `AWS_ENDPOINT_URL_SSM`), the queue on local-aws-sqs.
 * A refused webhook answers 401 with a JSON message and leaves the queue empty.
 */
import { createHmac } from "node:crypto";
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from "aws-lambda";
import { CreateQueueCommand, ReceiveMessageCommand } from "@aws-sdk/client-sqs";
import { verifySignature } from "../handlers/webhook-proxy/api2sqs/signature";
import { parseMessage } from "../handlers/webhook-proxy/message";
import { type Engine, type ParameterStoreStats, startParameterStore } from "../scripts/replay/engines";
import { LocalSqs, sdkEnv, startLocalSqs } from "./support/local-aws";
import { apiEvent } from "./webhook-proxy/fixtures";

const SECRET = "It's a Secret to Everybody";
const PARAMETER = "/test/webhook-proxy/signing-secret";
/** GitHub's documented example: this secret and body give this signature (docs.github.com, "Validating webhook deliveries"). */
const GITHUB_EXAMPLE = {
  body: "Hello, World!",
  signature: "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17",
};

let sqs: LocalSqs;
let ssm: Engine & { stats: ParameterStoreStats };
let queueUrl: string;
let handler: (event: APIGatewayProxyEventV2) => Promise<APIGatewayProxyStructuredResultV2>;
const saved = { ...process.env };

const hmac = (body: string | Buffer, secret = SECRET, encoding: "hex" | "base64" = "hex"): string =>
  createHmac("sha256", secret).update(body).digest(encoding);

function signed(body: string | Buffer, header: string): APIGatewayProxyEventV2 {
  return apiEvent({ body, headers: { "content-type": "application/json", "x-hub-signature-256": header } });
}

async function queued(): Promise<string[]> {
  const out = await sqs.client.send(new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 0 }));
  return (out.Messages ?? []).map((m) => parseMessage(m.Body as string).body);
}

function json(result: APIGatewayProxyStructuredResultV2): { message?: string; messageId?: string } {
  return JSON.parse(result.body as string) as { message?: string; messageId?: string };
}

beforeAll(async () => {
  jest.spyOn(console, "log").mockImplementation(() => undefined);
  jest.spyOn(console, "warn").mockImplementation(() => undefined);
  jest.spyOn(console, "error").mockImplementation(() => undefined);
  sqs = await startLocalSqs();
  ssm = await startParameterStore({ [PARAMETER]: SECRET }, ["/test/stalled"]);
  // As the stack sets it: the parameter's name only, never the secret.
  Object.assign(process.env, sdkEnv({ sqs, ssm }), {
    SIGNATURE_SECRET_PARAMETER: PARAMETER,
    SIGNATURE_HEADER: "x-hub-signature-256",
    SIGNATURE_PREFIX: "sha256=",
    SIGNATURE_ENCODING: "hex",
  });
  ({ handler } = await import("../handlers/webhook-proxy/api2sqs"));
});

let queues = 0;
beforeEach(async () => {
  // A fresh queue per test: what one test queued is never seen by the next.
  queueUrl = (await sqs.client.send(new CreateQueueCommand({ QueueName: `signature-test-${++queues}` }))).QueueUrl as string;
  process.env.SQS_URL = queueUrl;
});

afterAll(async () => {
  process.env = saved;
  await ssm.stop();
  await sqs.stop();
  jest.restoreAllMocks();
});

describe("api2sqs verifies the HMAC-SHA256 of the raw body before queueing", () => {
  test("GitHub's documented example verifies (the scheme matches theirs)", () => {
    const result = verifySignature({ "X-Hub-Signature-256": GITHUB_EXAMPLE.signature }, Buffer.from(GITHUB_EXAMPLE.body), SECRET, {
      header: "x-hub-signature-256",
      prefix: "sha256=",
      encoding: "hex",
    });
    expect(result).toEqual({ ok: true });
  });

  test("a valid signature: 202 and the webhook is queued, byte for byte", async () => {
    const body = '{"action":"opened","number":1}';
    const result = await handler(signed(body, `sha256=${hmac(body)}`));
    expect(result.statusCode).toBe(202);
    expect(json(result).messageId).toEqual(expect.any(String));
    expect(await queued()).toEqual([body]);
  });

  test("a binary body is verified over its bytes (API Gateway passes it base64-encoded)", async () => {
    const body = Buffer.from([0x00, 0xff, 0x10, 0x80, 0x7f]);
    const result = await handler(signed(body, `sha256=${hmac(body)}`));
    expect(result.statusCode).toBe(202);
    expect(await queued()).toHaveLength(1);
  });

  test.each([
    ["a wrong secret", '{"a":1}', `sha256=${hmac('{"a":1}', "not the secret")}`, "does not match"],
    ["a tampered body", '{"amount":1000}', `sha256=${hmac('{"amount":1}')}`, "does not match"],
    ["a wrong prefix", '{"a":1}', `sha1=${hmac('{"a":1}')}`, 'does not start with "sha256="'],
    ["a non-hex digest", '{"a":1}', `sha256=${"z".repeat(64)}`, "not a hex SHA-256 digest"],
    ["a truncated digest", '{"a":1}', `sha256=${hmac('{"a":1}').slice(0, 40)}`, "not a hex SHA-256 digest"],
  ])("%s: 401 with a JSON message, nothing queued", async (_case, body, header, reason) => {
    const result = await handler(signed(body, header));
    expect(result.statusCode).toBe(401);
    expect(result.headers).toMatchObject({ "content-type": expect.stringContaining("application/json") });
    expect(json(result).message).toContain(reason);
    expect(await queued()).toEqual([]);
  });

  test("a missing header: 401, nothing queued", async () => {
    const result = await handler(apiEvent({ body: '{"a":1}', headers: { "content-type": "application/json" } }));
    expect(result.statusCode).toBe(401);
    expect(json(result).message).toContain("missing x-hub-signature-256 header");
    expect(await queued()).toEqual([]);
  });

  test("the secret is read once per container, not per request", async () => {
    const before = ssm.stats.found;
    for (let i = 0; i < 3; i++) {
      const body = `{"n":${i}}`;
      expect((await handler(signed(body, `sha256=${hmac(body)}`))).statusCode).toBe(202);
    }
    expect(ssm.stats.found - before).toBe(0); // read by the first test's call, kept since
    expect(ssm.stats.found).toBe(1);
  });

  test("another scheme: a base64 digest without prefix in another header", async () => {
    Object.assign(process.env, { SIGNATURE_HEADER: "X-Signature", SIGNATURE_PREFIX: "", SIGNATURE_ENCODING: "base64" });
    try {
      const body = "event=delivered&id=7";
      const ok = await handler(apiEvent({ body, headers: { "x-signature": hmac(body, SECRET, "base64") } }));
      expect(ok.statusCode).toBe(202);
      const hex = await handler(apiEvent({ body, headers: { "x-signature": hmac(body) } }));
      expect(hex.statusCode).toBe(401);
      expect(await queued()).toHaveLength(1);
    } finally {
      Object.assign(process.env, { SIGNATURE_HEADER: "x-hub-signature-256", SIGNATURE_PREFIX: "sha256=", SIGNATURE_ENCODING: "hex" });
    }
  });

  test("an unreadable secret: 503 (the sender retries), nothing queued, and the next request tries again", async () => {
    process.env.SIGNATURE_SECRET_PARAMETER = "/test/missing";
    try {
      const body = '{"a":1}';
      const before = ssm.stats.notFound;
      for (let i = 0; i < 2; i++) {
        const result = await handler(signed(body, `sha256=${hmac(body)}`));
        expect(result.statusCode).toBe(503);
        expect(json(result).message).toContain("could not be verified");
      }
      expect(ssm.stats.notFound - before).toBe(2);
      expect(await queued()).toEqual([]);
    } finally {
      process.env.SIGNATURE_SECRET_PARAMETER = PARAMETER;
    }
  });

  test("a stalled Parameter Store: 503 (the SSM client gives up after two 1 s attempts), not a killed invocation", async () => {
    process.env.SIGNATURE_SECRET_PARAMETER = "/test/stalled";
    try {
      const body = '{"a":1}';
      const result = await handler(signed(body, `sha256=${hmac(body)}`));
      expect(result.statusCode).toBe(503);
      expect(await queued()).toEqual([]);
    } finally {
      process.env.SIGNATURE_SECRET_PARAMETER = PARAMETER;
    }
  }, 10_000);
});
