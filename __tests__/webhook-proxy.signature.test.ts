/**
 * api2sqs's signature check, through the real Lambda entry: real HMAC-SHA256
 * signatures, the secret served by a Parameter Store stand-in (SSM's JSON
 * protocol on node:http, `AWS_ENDPOINT_URL_SSM`), the queue on local-aws-sqs.
 * A refused webhook answers 401 with a JSON message and leaves the queue empty.
 */
import { createHmac } from "node:crypto";
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from "aws-lambda";
import { CreateQueueCommand, ReceiveMessageCommand } from "@aws-sdk/client-sqs";
import { Deadline } from "../handlers/shared/time-budget";
import { readSecureParameter } from "../handlers/shared/ssm-parameter";
import {
  FAILED_READ_RETRY_MS,
  rejectUnsigned,
  SECRET_MAX_AGE_MS,
  SECRET_RECHECK_INTERVAL_MS,
  SECRET_TTL_MS,
  SigningSecrets,
  verifySignature,
} from "../handlers/webhook-proxy/api2sqs/signature";
import { parseMessage } from "../handlers/webhook-proxy/message";
import { type Engine, type ParameterStoreStats, startParameterStore } from "../tools/emulator/engines";
import { startFaultProxy } from "./support/fault-proxy";
import { LocalSqs, sdkEnv, startLocalSqs } from "./support/local-aws";
import { apiEvent } from "./webhook-proxy/fixtures";

const SECRET = "It's a Secret to Everybody";
const PARAMETER = "/test/webhook-proxy/signing-secret";
/** GitHub's documented example: this secret and body give this signature (docs.github.com, "Validating webhook deliveries"). */
const GITHUB_EXAMPLE = {
  body: "Hello, World!",
  signature: "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17",
};

/** The stand-in's parameters: a test changes one to rotate its secret. */
const parameters: Record<string, string> = { [PARAMETER]: SECRET };
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
  ssm = await startParameterStore(parameters, ["/test/stalled"]);
  // As the stack sets it: the parameter's name only, never the secret.
  Object.assign(process.env, sdkEnv({ sqs, ssm }), {
    SIGNATURE_SECRET_PARAMETER: PARAMETER,
    SIGNATURE_HEADER: "x-hub-signature-256",
    SIGNATURE_PREFIX: "sha256=",
    SIGNATURE_ENCODING: "hex",
  });
  ({ handler } = await import("../handlers/webhook-proxy/api2sqs"));
});

/**
 * The Lambda entry as a new container loads it: its own module registry, so
 * its signing secrets and SDK clients start empty (read from the environment
 * as it is now), whatever the tests before it did with the shared `handler`.
 */
async function newContainer(): Promise<typeof handler> {
  let fresh: typeof handler | undefined;
  await jest.isolateModulesAsync(async () => {
    ({ handler: fresh } = await import("../handlers/webhook-proxy/api2sqs"));
  });
  if (fresh === undefined) throw new Error("api2sqs did not load");
  return fresh;
}

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

  test("a new container reads the secret exactly once, on its first request, and keeps it for the next two", async () => {
    const coldHandler = await newContainer();
    const before = ssm.stats.found;
    for (let i = 0; i < 3; i++) {
      const body = `{"n":${i}}`;
      expect((await coldHandler(signed(body, `sha256=${hmac(body)}`))).statusCode).toBe(202);
    }
    expect(ssm.stats.found - before).toBe(1);
    expect(await queued()).toHaveLength(3);
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

  test("an unreadable secret: 503 (the sender retries), nothing queued, and the failure is remembered: the next request reads nothing", async () => {
    process.env.SIGNATURE_SECRET_PARAMETER = "/test/missing";
    try {
      const coldHandler = await newContainer();
      const body = '{"a":1}';
      const before = ssm.stats.notFound;
      for (let i = 0; i < 2; i++) {
        const result = await coldHandler(signed(body, `sha256=${hmac(body)}`));
        expect(result.statusCode).toBe(503);
        expect(json(result).message).toContain("could not be verified");
      }
      expect(ssm.stats.notFound - before).toBe(1);
      expect(await queued()).toEqual([]);
    } finally {
      process.env.SIGNATURE_SECRET_PARAMETER = PARAMETER;
    }
  });

  test("a stalled Parameter Store: 503 after exactly the SSM client's two attempts, nothing queued, not a killed invocation", async () => {
    // A new container whose SSM client goes through a proxy that accepts each call and never answers: it counts the attempts.
    const stalled = await startFaultProxy(ssm, { kind: "silent" });
    const endpoint = process.env.AWS_ENDPOINT_URL_SSM;
    process.env.AWS_ENDPOINT_URL_SSM = stalled.endpoint;
    try {
      const coldHandler = await newContainer();
      const body = '{"a":1}';
      const result = await coldHandler(signed(body, `sha256=${hmac(body)}`));
      expect(result.statusCode).toBe(503);
      expect(json(result).message).toContain("could not be verified");
      expect(stalled.stats.silenced).toBe(2);
      expect(stalled.stats.requests).toBe(2);
      expect(await queued()).toEqual([]);
    } finally {
      process.env.AWS_ENDPOINT_URL_SSM = endpoint;
      await stalled.stop();
    }
  }, 10_000);
});

describe("a rotated secret is taken up by warm containers", () => {
  const ROTATING = "/test/webhook-proxy/rotating-secret";
  const OLD = "old secret";
  const NEW = "new secret";
  beforeEach(() => {
    parameters[ROTATING] = OLD;
  });

  test("through the Lambda entry: after rotation, the new secret's signature is accepted (one re-read), the old one refused", async () => {
    process.env.SIGNATURE_SECRET_PARAMETER = ROTATING;
    try {
      const body = '{"action":"opened"}';
      const before = ssm.stats.found;
      expect((await handler(signed(body, `sha256=${hmac(body, OLD)}`))).statusCode).toBe(202);
      expect(ssm.stats.found - before).toBe(1); // first use: read, then kept

      parameters[ROTATING] = NEW; // rotated in Parameter Store; the container still holds OLD
      expect((await handler(signed(body, `sha256=${hmac(body, NEW)}`))).statusCode).toBe(202);
      expect(ssm.stats.found - before).toBe(2); // the mismatch re-read it once

      const stale = await handler(signed(body, `sha256=${hmac(body, OLD)}`));
      expect(stale.statusCode).toBe(401);
      expect(json(stale).message).toContain("does not match");
      expect((await handler(signed(body, `sha256=${hmac(body, NEW)}`))).statusCode).toBe(202);
      expect(ssm.stats.found - before).toBe(2); // the new secret is kept; the refused request read nothing
      expect(await queued()).toHaveLength(3);
    } finally {
      process.env.SIGNATURE_SECRET_PARAMETER = PARAMETER;
    }
  });

  describe("with a clock the test moves", () => {
    const env = { SIGNATURE_SECRET_PARAMETER: ROTATING };
    let now: number;
    let secrets: SigningSecrets;
    const check = (secret: string, body = '{"n":1}') =>
      rejectUnsigned(signed(body, `sha256=${hmac(body, secret)}`), env, { secrets });
    beforeEach(() => {
      now = 1_000_000;
      secrets = new SigningSecrets({ now: () => now });
    });

    test("bad signatures re-read the secret at most once per interval, however many arrive", async () => {
      const before = ssm.stats.found;
      expect(await check(OLD)).toBeUndefined(); // read on first use
      // One bad signature a second for an interval less a second.
      for (let t = 1000; t < SECRET_RECHECK_INTERVAL_MS; t += 1000) {
        now += 1000;
        expect((await check("forged"))?.statusCode).toBe(401);
      }
      expect(ssm.stats.found - before).toBe(2); // the first use, and one re-read in that interval
      now += SECRET_RECHECK_INTERVAL_MS;
      expect((await check("forged"))?.statusCode).toBe(401);
      expect((await check("forged"))?.statusCode).toBe(401);
      expect(ssm.stats.found - before).toBe(3); // an interval later: one more
    });

    test("after a failed re-read, a mismatch within the interval is a 503 too (unsettled), not a 401; then the secret is read again", async () => {
      expect(await check(OLD)).toBeUndefined();
      parameters[ROTATING] = NEW;
      let failing = true;
      const read = (name: string, signal?: AbortSignal): Promise<string> =>
        failing ? Promise.reject(new Error("SSM unavailable")) : readSecureParameter(name, { signal });
      const withNew = (): Promise<APIGatewayProxyStructuredResultV2 | undefined> =>
        rejectUnsigned(signed("b", `sha256=${hmac("b", NEW)}`), env, { secrets, read });
      expect((await withNew())?.statusCode).toBe(503); // the re-read fails
      now += 1000;
      expect((await withNew())?.statusCode).toBe(503); // within the interval: still unknown, never 401
      failing = false;
      now += SECRET_RECHECK_INTERVAL_MS;
      expect(await withNew()).toBeUndefined(); // read again: the new secret verifies
    });

    test("a missing or malformed signature never reads the secret again (only a mismatch can mean rotation)", async () => {
      expect(await check(OLD)).toBeUndefined();
      const before = ssm.stats.found;
      expect((await rejectUnsigned(apiEvent({ body: "x" }), env, { secrets }))?.statusCode).toBe(401);
      expect((await rejectUnsigned(signed("x", "sha256=zz"), env, { secrets }))?.statusCode).toBe(401);
      expect(ssm.stats.found - before).toBe(0);
    });

    test(`the secret is read again after ${SECRET_TTL_MS / 60_000} minutes even without a mismatch (a revoked secret stops working)`, async () => {
      expect(await check(OLD)).toBeUndefined();
      parameters[ROTATING] = NEW;
      now += SECRET_TTL_MS - 1;
      expect(await check(OLD)).toBeUndefined(); // still within the TTL
      now += 1;
      const before = ssm.stats.found;
      expect((await check(OLD))?.statusCode).toBe(401);
      expect(await check(NEW)).toBeUndefined();
      expect(ssm.stats.found - before).toBe(1); // the refused signature was checked against the secret just read: no second read
    });

    test(`an expired secret that cannot be refreshed is still used, the refresh tried again ${FAILED_READ_RETRY_MS / 1000} s later, and refused after ${SECRET_MAX_AGE_MS / 60_000} minutes`, async () => {
      let reads = 0;
      const failing = (name: string, signal?: AbortSignal): Promise<string> => {
        reads++;
        return parameters[name] === "fail" ? Promise.reject(new Error("SSM unavailable")) : readSecureParameter(name, { signal });
      };
      const withFailing = (secret: string) => rejectUnsigned(signed("b", `sha256=${hmac("b", secret)}`), env, { secrets, read: failing });
      expect(await withFailing(OLD)).toBeUndefined();
      parameters[ROTATING] = "fail";
      now += SECRET_TTL_MS;
      expect(await withFailing(OLD)).toBeUndefined(); // refresh failed: the known secret still verifies
      expect(reads).toBe(2);
      now += FAILED_READ_RETRY_MS - 1;
      expect(await withFailing(OLD)).toBeUndefined(); // the failure is remembered: no read
      expect(reads).toBe(2);
      now += 1;
      expect(await withFailing(OLD)).toBeUndefined(); // tried again, failed again, still within the maximum age
      expect(reads).toBe(3);
      // Past the maximum age since the last successful read: a possibly revoked secret is no longer accepted.
      now += SECRET_MAX_AGE_MS - SECRET_TTL_MS;
      const expired = await withFailing(OLD);
      expect(expired?.statusCode).toBe(503);
      expect(json(expired as APIGatewayProxyStructuredResultV2).message).toContain("could not be refreshed");
      expect(expired?.headers).toMatchObject({ "retry-after": "5" });
      // Parameter Store back: the new secret is read and verifies.
      parameters[ROTATING] = NEW;
      now += FAILED_READ_RETRY_MS;
      expect(await withFailing(NEW)).toBeUndefined();
    });

    test("a failed first read is remembered: well-formed requests within the interval answer 503 without a read, junk 401 without one", async () => {
      let reads = 0;
      const failing = (): Promise<string> => {
        reads++;
        return Promise.reject(new Error("ThrottlingException"));
      };
      const cold = new SigningSecrets({ now: () => now });
      const check2 = (event: APIGatewayProxyEventV2) => rejectUnsigned(event, env, { secrets: cold, read: failing });
      for (let i = 0; i < 20; i++) {
        expect((await check2(signed("b", `sha256=${hmac("b", "forged")}`)))?.statusCode).toBe(503);
        expect((await check2(apiEvent({ body: "b" })))?.statusCode).toBe(401);
        expect((await check2(signed("b", "sha256=not-hex")))?.statusCode).toBe(401);
        now += 200;
      }
      // 20 requests over 4 s: the first read, nothing else; then one more after the interval.
      expect(reads).toBe(1);
      now += FAILED_READ_RETRY_MS;
      expect((await check2(signed("b", `sha256=${hmac("b", "forged")}`)))?.statusCode).toBe(503);
      expect(reads).toBe(2);
    });

    test("a mismatch when the expired secret's refresh just failed: 503 (not settled either way), and no second read in that request", async () => {
      let reads = 0;
      const flaky = (name: string, signal?: AbortSignal): Promise<string> => {
        reads++;
        return parameters[name] === "fail" ? Promise.reject(new Error("SSM unavailable")) : readSecureParameter(name, { signal });
      };
      expect(await rejectUnsigned(signed("b", `sha256=${hmac("b", OLD)}`), env, { secrets, read: flaky })).toBeUndefined();
      parameters[ROTATING] = "fail";
      now += SECRET_TTL_MS;
      const result = await rejectUnsigned(signed("b", `sha256=${hmac("b", NEW)}`), env, { secrets, read: flaky });
      expect(result?.statusCode).toBe(503);
      expect(reads).toBe(2); // the first use, and the failed refresh: no recheck on top
    });

    test("a mismatch whose re-read fails: 503 (the webhook may be correctly signed with a new secret), nothing decided", async () => {
      expect(await check(OLD)).toBeUndefined();
      parameters[ROTATING] = NEW;
      const failing = (): Promise<string> => Promise.reject(new Error("SSM unavailable"));
      const body = '{"n":2}';
      const result = await rejectUnsigned(signed(body, `sha256=${hmac(body, NEW)}`), env, { secrets, read: failing });
      expect(result?.statusCode).toBe(503);
      expect(json(result as APIGatewayProxyStructuredResultV2).message).toContain("could not be verified");
    });
  });

  test("the read gets the invocation's deadline: a stalled Parameter Store is abandoned when it ends (AbortError, not the client's timeout)", async () => {
    const errors = jest.mocked(console.error);
    errors.mockClear();
    let given: AbortSignal | undefined;
    const read = (name: string, signal?: AbortSignal): Promise<string> => {
      given = signal;
      return readSecureParameter(name, { signal });
    };
    const body = '{"a":1}';
    const result = await rejectUnsigned(signed(body, `sha256=${hmac(body)}`), { SIGNATURE_SECRET_PARAMETER: "/test/stalled" }, {
      read,
      deadline: Deadline.in(100),
      secrets: new SigningSecrets(),
    });
    expect(result?.statusCode).toBe(503);
    expect(given?.aborted).toBe(true);
    const logged = errors.mock.calls.map((args) => String(args[0])).find((line) => line.includes("signing_secret_unavailable"));
    expect(logged).toMatch(/AbortError|aborted/i);
  });
});
