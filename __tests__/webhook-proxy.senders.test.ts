/**
 * api2sqs accepts the senders people use, each signed by the sender's own code:
 * `@octokit/webhooks-methods` (GitHub; ESM-only, so it signs in a child
 * process), `stripe`'s `webhooks.generateTestHeaderString` (Stripe),
 * `standardwebhooks` (Standard Webhooks / Svix), node:crypto ECDSA P-256 checked
 * by `@sendgrid/eventwebhook`'s own verifier plus the vector SendGrid ships in
 * that package (SendGrid), and the documented examples of Slack (its published
 * request and signature) and Shopify (the Node example of its docs: no vector is
 * published). Through the real Lambda entry: secrets from a Parameter Store
 * stand-in, the queue on local-aws-sqs, delivery by sqs2upstream to a real
 * node:http upstream, byte for byte.
 */
import { execFileSync } from "node:child_process";
import { createHmac, generateKeyPairSync, type KeyObject, randomBytes, sign } from "node:crypto";
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from "aws-lambda";
import { CreateQueueCommand, ReceiveMessageCommand } from "@aws-sdk/client-sqs";
import { EventWebhook } from "@sendgrid/eventwebhook";
import { Webhook as StandardWebhook } from "standardwebhooks";
import Stripe from "stripe";
import { rejectUnsigned, SigningSecrets } from "../handlers/webhook-proxy/api2sqs/signature";
import type { SchemeName } from "../handlers/webhook-proxy/api2sqs/schemes";
import { parseUpstream, processRecords } from "../handlers/webhook-proxy/sqs2upstream/deliver";
import { type Engine, type ParameterStoreStats, startParameterStore } from "../tools/emulator/engines";
import { type LocalSqs, sdkEnv, startLocalSqs } from "./support/local-aws";
import { apiEvent, sqsRecord, startUpstream, type TestUpstream } from "./webhook-proxy/fixtures";

/** A SendGrid-like batch: non-ASCII, CRLF line ends (SendGrid's own), so only exact bytes verify and arrive. */
const BODY = '[{"email":"café@example.com","event":"delivered","sg_event_id":"ZGVsaXZlcmVk"},\r\n{"event":"open"}]\r\n';
const now = (): number => Math.floor(Date.now() / 1000);

/** GitHub's signature by GitHub's own library (ESM-only: signed in a child node process). */
function octokitSign(secret: string, payload: string): string {
  const script = 'import { sign } from "@octokit/webhooks-methods"; const [s, p] = JSON.parse(process.argv[1]); process.stdout.write(await sign(s, p));';
  return execFileSync(process.execPath, ["--input-type=module", "-e", script, JSON.stringify([secret, payload])], { cwd: __dirname, encoding: "utf8" });
}

const stripeHeader = (payload: string, secret: string, timestamp: number): string =>
  Stripe.webhooks.generateTestHeaderString({ payload, secret, timestamp });

const slackSign = (secret: string, ts: number, body: string): string =>
  `v0=${createHmac("sha256", secret).update(`v0:${ts}:${body}`).digest("hex")}`;

/** Shopify's documented Node example: HMAC-SHA256 of the raw body with the app's client secret, base64. */
const shopifySign = (secret: string, body: string): string => createHmac("sha256", secret).update(body, "utf8").digest("base64");

const sendgridKeys = (): { publicKey: string; privateKey: KeyObject } => {
  const pair = generateKeyPairSync("ec", { namedCurve: "prime256v1" });
  return { publicKey: pair.publicKey.export({ format: "der", type: "spki" }).toString("base64"), privateKey: pair.privateKey };
};
const sendgridSign = (privateKey: KeyObject, ts: number, body: string): string =>
  sign("sha256", Buffer.from(`${ts}${body}`, "utf8"), privateKey).toString("base64");

/** One sender: its secret, how it signs (`headers`), and how each part of a signed request is tampered with. */
interface Sender {
  readonly scheme: SchemeName;
  /** The function's settings: the secret's parameter or, for SendGrid, the public key. */
  readonly env: Record<string, string>;
  /** The shared secret (the Parameter Store stand-in serves it). */
  readonly secret?: string;
  /** The headers the sender sends for `body` signed at `ts`. */
  headers(body: string, ts: number): Record<string, string>;
  /** Where the signed timestamp travels (schemes that sign one). */
  readonly timestampHeader?: string;
  readonly signatureHeader: string;
}

const STRIPE_SECRET = `whsec_${randomBytes(24).toString("hex")}`;
const SW_SECRET = `whsec_${randomBytes(24).toString("base64")}`;
const GITHUB_SECRET = "It's a Secret to Everybody";
const SLACK_SECRET = randomBytes(16).toString("hex");
const SHOPIFY_SECRET = randomBytes(16).toString("hex");
const sg = sendgridKeys();

const SENDERS: Sender[] = [
  {
    scheme: "github",
    env: { SIGNATURE_SECRET_PARAMETER: "/senders/github" },
    secret: GITHUB_SECRET,
    headers: (body) => ({ "x-hub-signature-256": octokitSign(GITHUB_SECRET, body), "x-github-event": "push" }),
    signatureHeader: "x-hub-signature-256",
  },
  {
    scheme: "stripe",
    env: { SIGNATURE_SECRET_PARAMETER: "/senders/stripe" },
    secret: STRIPE_SECRET,
    headers: (body, ts) => ({ "stripe-signature": stripeHeader(body, STRIPE_SECRET, ts) }),
    timestampHeader: "stripe-signature",
    signatureHeader: "stripe-signature",
  },
  {
    scheme: "standard-webhooks",
    env: { SIGNATURE_SECRET_PARAMETER: "/senders/standard-webhooks" },
    secret: SW_SECRET,
    headers: (body, ts) => ({
      "webhook-id": "msg_2KWPBgLlAfxdpx2AI54pPJ85f4W",
      "webhook-timestamp": String(ts),
      "webhook-signature": new StandardWebhook(SW_SECRET).sign("msg_2KWPBgLlAfxdpx2AI54pPJ85f4W", new Date(ts * 1000), body),
    }),
    timestampHeader: "webhook-timestamp",
    signatureHeader: "webhook-signature",
  },
  {
    scheme: "slack",
    env: { SIGNATURE_SECRET_PARAMETER: "/senders/slack" },
    secret: SLACK_SECRET,
    headers: (body, ts) => ({ "x-slack-request-timestamp": String(ts), "x-slack-signature": slackSign(SLACK_SECRET, ts, body) }),
    timestampHeader: "x-slack-request-timestamp",
    signatureHeader: "x-slack-signature",
  },
  {
    scheme: "shopify",
    env: { SIGNATURE_SECRET_PARAMETER: "/senders/shopify" },
    secret: SHOPIFY_SECRET,
    headers: (body) => ({ "x-shopify-hmac-sha256": shopifySign(SHOPIFY_SECRET, body), "x-shopify-topic": "orders/create" }),
    signatureHeader: "x-shopify-hmac-sha256",
  },
  {
    scheme: "sendgrid",
    env: { SIGNATURE_PUBLIC_KEY: sg.publicKey },
    headers: (body, ts) => ({
      "x-twilio-email-event-webhook-timestamp": String(ts),
      "x-twilio-email-event-webhook-signature": sendgridSign(sg.privateKey, ts, body),
    }),
    timestampHeader: "x-twilio-email-event-webhook-timestamp",
    signatureHeader: "x-twilio-email-event-webhook-signature",
  },
];

const parameters: Record<string, string> = Object.fromEntries(
  SENDERS.filter((s) => s.secret !== undefined).map((s) => [s.env.SIGNATURE_SECRET_PARAMETER, s.secret as string]),
);

let sqs: LocalSqs;
let ssm: Engine & { stats: ParameterStoreStats };
let upstream: TestUpstream;
let handler: (event: APIGatewayProxyEventV2) => Promise<APIGatewayProxyStructuredResultV2>;
const saved = { ...process.env };
let queues = 0;

beforeAll(async () => {
  jest.spyOn(console, "log").mockImplementation(() => undefined);
  jest.spyOn(console, "warn").mockImplementation(() => undefined);
  jest.spyOn(console, "error").mockImplementation(() => undefined);
  sqs = await startLocalSqs();
  ssm = await startParameterStore(parameters);
  upstream = await startUpstream();
  Object.assign(process.env, sdkEnv({ sqs, ssm }));
  ({ handler } = await import("../handlers/webhook-proxy/api2sqs"));
});

afterAll(async () => {
  process.env = saved;
  await upstream.close();
  await ssm.stop();
  await sqs.stop();
  jest.restoreAllMocks();
});

/** Configures the entry for `sender` on a fresh queue. */
async function configure(sender: Sender): Promise<string> {
  const url = (await sqs.client.send(new CreateQueueCommand({ QueueName: `senders-${++queues}` }))).QueueUrl as string;
  for (const name of ["SIGNATURE_SECRET_PARAMETER", "SIGNATURE_PUBLIC_KEY", "SIGNATURE_TOLERANCE_SECONDS"]) delete process.env[name];
  Object.assign(process.env, { SQS_URL: url, SIGNATURE_SCHEME: sender.scheme, ...sender.env });
  return url;
}

const post = (headers: Record<string, string>, body = BODY): Promise<APIGatewayProxyStructuredResultV2> =>
  handler(apiEvent({ body, headers: { "content-type": "application/json", ...headers } }));

const message = (r: APIGatewayProxyStructuredResultV2): string => String((JSON.parse(String(r.body)) as { message?: string }).message);

/** What sqs2upstream delivers from the queue: the bodies the upstream received. */
async function delivered(url: string): Promise<Buffer[]> {
  const out = await sqs.client.send(new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 10, WaitTimeSeconds: 0 }));
  const messages = out.Messages ?? [];
  upstream.received.length = 0;
  const result = await processRecords(
    messages.map((m, i) => sqsRecord(m.MessageId ?? `m${i}`, String(m.Body))),
    { upstream: parseUpstream(upstream.url), timeoutMs: 2000, remainingTimeMs: () => 60_000 },
  );
  expect(result.batchItemFailures).toEqual([]);
  return upstream.received.map((r) => r.body);
}

describe.each(SENDERS.map((s): [SchemeName, Sender] => [s.scheme, s]))("%s, signed by the sender's own code", (_name, sender) => {
  test("valid: 202, and the upstream receives the body byte for byte with the signature headers", async () => {
    const url = await configure(sender);
    const headers = sender.headers(BODY, now());
    const result = await post(headers);
    expect(result.statusCode).toBe(202);
    expect(await delivered(url)).toEqual([Buffer.from(BODY, "utf8")]);
    expect(upstream.received[0].headers[sender.signatureHeader]).toBe(headers[sender.signatureHeader]);
  });

  test("a tampered body: 401, nothing queued", async () => {
    const url = await configure(sender);
    const result = await post(sender.headers(BODY, now()), BODY.replace("delivered", "bounce"));
    expect(result.statusCode).toBe(401);
    expect(message(result)).toContain("does not match");
    expect(await delivered(url)).toEqual([]);
  });

  test("a tampered signature: 401, nothing queued", async () => {
    const url = await configure(sender);
    const headers = sender.headers(BODY, now());
    const other = sender.headers(`${BODY} `, now())[sender.signatureHeader];
    const result = await post({ ...headers, [sender.signatureHeader]: other });
    expect(result.statusCode).toBe(401);
    expect(await delivered(url)).toEqual([]);
  });

  if (sender.timestampHeader !== undefined) {
    const timestampHeader = sender.timestampHeader;

    test("a tampered timestamp (within the window): 401, the signature no longer matches", async () => {
      await configure(sender);
      const ts = now();
      const headers = sender.headers(BODY, ts);
      const tampered =
        timestampHeader === sender.signatureHeader
          ? headers[timestampHeader].replace(`t=${ts}`, `t=${ts - 1}`)
          : String(ts - 1);
      const result = await post({ ...headers, [timestampHeader]: tampered });
      expect(result.statusCode).toBe(401);
      expect(message(result)).toContain("does not match");
    });

    test.each([
      ["stale", -301, "is stale"],
      ["from the future", 301, "is in the future"],
    ])("signed %s (301 s beyond the 5-minute default): 401 saying which, before any secret is read", async (_case, offset, says) => {
      const url = await configure(sender);
      const before = ssm.stats.found;
      const result = await post(sender.headers(BODY, now() + offset));
      expect(result.statusCode).toBe(401);
      expect(message(result)).toContain(says);
      expect(ssm.stats.found).toBe(before);
      expect(await delivered(url)).toEqual([]);
    });

    test("a window set by SIGNATURE_TOLERANCE_SECONDS", async () => {
      await configure(sender);
      process.env.SIGNATURE_TOLERANCE_SECONDS = "600";
      expect((await post(sender.headers(BODY, now() - 400))).statusCode).toBe(202);
      expect((await post(sender.headers(BODY, now() - 700))).statusCode).toBe(401);
    });
  }

  if (sender.secret !== undefined) {
    test("rotation on our side: the parameter holds the new and the old secret, one per line; either verifies", async () => {
      const parameter = `/senders/${sender.scheme}/rotating`;
      await configure(sender);
      process.env.SIGNATURE_SECRET_PARAMETER = parameter;
      parameters[parameter] = `${sender.secret}\nan-unrelated-new-secret-${sender.scheme}`;
      expect((await post(sender.headers(BODY, now()))).statusCode).toBe(202);
      // The same secret listed second (after the switch at the sender): still accepted.
      parameters[parameter] = `whsec_${randomBytes(8).toString("base64")}\n${sender.secret}`;
      const fresh = `/senders/${sender.scheme}/rotated`;
      parameters[fresh] = parameters[parameter];
      process.env.SIGNATURE_SECRET_PARAMETER = fresh;
      expect((await post(sender.headers(BODY, now()))).statusCode).toBe(202);
    });
  }
});

describe("rotation lists a sender sends at once: any match accepts", () => {
  test("stripe: several v1 signatures (one with a rolled-over secret) in one Stripe-Signature", async () => {
    await configure(SENDERS[1]);
    const ts = now();
    const ours = stripeHeader(BODY, STRIPE_SECRET, ts);
    const rolled = stripeHeader(BODY, "whsec_the-previous-secret", ts);
    const v1 = (header: string): string => header.split(",").find((p) => p.startsWith("v1=")) as string;
    expect((await post({ "stripe-signature": `t=${ts},${v1(rolled)},${v1(ours)}` })).statusCode).toBe(202);
    expect((await post({ "stripe-signature": `t=${ts},${v1(rolled)}` })).statusCode).toBe(401);
  });

  test("standard-webhooks: a space-separated list of v1 signatures; svix-* header names too", async () => {
    await configure(SENDERS[2]);
    const ts = now();
    const id = "msg_rotation";
    const ours = new StandardWebhook(SW_SECRET).sign(id, new Date(ts * 1000), BODY);
    const old = new StandardWebhook(`whsec_${randomBytes(24).toString("base64")}`).sign(id, new Date(ts * 1000), BODY);
    const headers = { "webhook-id": id, "webhook-timestamp": String(ts), "webhook-signature": `${old} v1a,bm90LWNoZWNrZWQ= ${ours}` };
    expect((await post(headers)).statusCode).toBe(202);
    expect((await post({ ...headers, "webhook-signature": old })).statusCode).toBe(401);
    expect((await post({ "svix-id": id, "svix-timestamp": String(ts), "svix-signature": ours })).statusCode).toBe(202);
  });

  test("sendgrid: two verification keys configured during a key change; a signature by either verifies", async () => {
    const next = sendgridKeys();
    await configure(SENDERS[5]);
    process.env.SIGNATURE_PUBLIC_KEY = `${next.publicKey} ${sg.publicKey}`;
    const ts = now();
    for (const key of [sg.privateKey, next.privateKey]) {
      const headers = { "x-twilio-email-event-webhook-timestamp": String(ts), "x-twilio-email-event-webhook-signature": sendgridSign(key, ts, BODY) };
      expect((await post(headers)).statusCode).toBe(202);
    }
    process.env.SIGNATURE_PUBLIC_KEY = next.publicKey;
    const oldOnly = { "x-twilio-email-event-webhook-timestamp": String(ts), "x-twilio-email-event-webhook-signature": sendgridSign(sg.privateKey, ts, BODY) };
    expect((await post(oldOnly)).statusCode).toBe(401);
  });
});

describe("the senders' published vectors and verifiers", () => {
  // SendGrid's vector, as shipped in @sendgrid/eventwebhook 8.0.0 (src/eventwebhook.spec.js).
  const SG_PUBLIC_KEY = "MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE83T4O/n84iotIvIW4mdBgQ/7dAfSmpqIM8kF9mN1flpVKS3GRqe62gw+2fNNRaINXvVpiglSI8eNEc6wEA3F+g==";
  const SG_SIGNATURE = "MEUCIGHQVtGj+Y3LkG9fLcxf3qfI10QysgDWmMOVmxG0u6ZUAiEAyBiXDWzM+uOe5W0JuG+luQAbPIqHh89M15TluLtEZtM=";
  const SG_TIMESTAMP = 1600112502;
  const SG_PAYLOAD =
    JSON.stringify([
      {
        email: "hello@world.com",
        event: "dropped",
        reason: "Bounced Address",
        sg_event_id: "ZHJvcC0xMDk5NDkxOS1MUnpYbF9OSFN0T0doUTRrb2ZTbV9BLTA",
        sg_message_id: "LRzXl_NHStOGhQ4kofSm_A.filterdrecv-p3mdw1-756b745b58-kmzbl-18-5F5FC76C-9.0",
        "smtp-id": "<LRzXl_NHStOGhQ4kofSm_A@ismtpd0039p1iad1.sendgrid.net>",
        timestamp: 1600112492,
      },
    ]) + "\r\n";
  const vectorEvent = (payload: string, signature = SG_SIGNATURE): APIGatewayProxyEventV2 =>
    apiEvent({
      body: payload,
      headers: { "x-twilio-email-event-webhook-timestamp": String(SG_TIMESTAMP), "x-twilio-email-event-webhook-signature": signature },
    });
  const sgEnv = { SIGNATURE_SCHEME: "sendgrid", SIGNATURE_PUBLIC_KEY: SG_PUBLIC_KEY };
  const atVectorTime = { now: () => SG_TIMESTAMP * 1000 };

  test("SendGrid's own vector verifies (at its timestamp), and refuses a changed payload; out of its window it is stale", async () => {
    expect(new EventWebhook().verifySignature(new EventWebhook().convertPublicKeyToECDSA(SG_PUBLIC_KEY), SG_PAYLOAD, SG_SIGNATURE, String(SG_TIMESTAMP))).toBe(true);
    expect(await rejectUnsigned(vectorEvent(SG_PAYLOAD), sgEnv, atVectorTime)).toBeUndefined();
    expect((await rejectUnsigned(vectorEvent(SG_PAYLOAD.replace("dropped", "delivered")), sgEnv, atVectorTime))?.statusCode).toBe(401);
    const stale = await rejectUnsigned(vectorEvent(SG_PAYLOAD), sgEnv);
    expect(stale?.statusCode).toBe(401);
    expect(message(stale as APIGatewayProxyStructuredResultV2)).toContain("is stale");
  });

  test("SendGrid's verifier accepts the ECDSA signatures the tests make with node:crypto (the same scheme as theirs)", () => {
    const ts = now();
    const signature = sendgridSign(sg.privateKey, ts, BODY);
    const ew = new EventWebhook();
    expect(ew.verifySignature(ew.convertPublicKeyToECDSA(sg.publicKey), BODY, signature, String(ts))).toBe(true);
    expect(ew.verifySignature(ew.convertPublicKeyToECDSA(sg.publicKey), `${BODY}x`, signature, String(ts))).toBe(false);
  });

  test("Slack's documented example (api.slack.com, Verifying requests from Slack) verifies at its timestamp", async () => {
    const secret = "8f742231b10e8888abcd99yyyzzz85a5";
    const body =
      "token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c";
    const headers = { "x-slack-request-timestamp": "1531420618", "x-slack-signature": "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503" };
    const env = { SIGNATURE_SCHEME: "slack", SIGNATURE_SECRET_PARAMETER: "/slack/example" };
    const deps = { now: () => 1531420618 * 1000, secrets: new SigningSecrets(), read: async () => secret };
    expect(await rejectUnsigned(apiEvent({ body, headers }), env, deps)).toBeUndefined();
    expect((await rejectUnsigned(apiEvent({ body: `${body}&x=1`, headers }), env, deps))?.statusCode).toBe(401);
  });
});

describe("configuration the scheme cannot work with is a config error (500), never an open door", () => {
  test.each([
    ["sendgrid without a key", { SIGNATURE_SCHEME: "sendgrid" }, "SIGNATURE_PUBLIC_KEY"],
    ["sendgrid with an RSA key", { SIGNATURE_SCHEME: "sendgrid", SIGNATURE_PUBLIC_KEY: generateKeyPairSync("rsa", { modulusLength: 1024 }).publicKey.export({ format: "der", type: "spki" }).toString("base64") }, "P-256"],
    ["stripe without a secret parameter", { SIGNATURE_SCHEME: "stripe" }, "SIGNATURE_SECRET_PARAMETER"],
    ["an unknown scheme", { SIGNATURE_SCHEME: "paypal", SIGNATURE_SECRET_PARAMETER: "/p" }, "SIGNATURE_SCHEME"],
  ])("%s", async (_case, env, variable) => {
    await expect(rejectUnsigned(apiEvent({ body: "x" }), env)).rejects.toThrow(variable);
  });
});
