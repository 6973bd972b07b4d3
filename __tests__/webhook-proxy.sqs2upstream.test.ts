/**
 * `sqs2upstream` against a real upstream: a `node:http` server on 127.0.0.1
 * started by the test. Proves the seed's lost-webhook defects are fixed:
 * every delivery is awaited, the exact bytes and headers arrive, and any
 * failure (5xx, redirect, hang, refused connection, unreadable message) is
 * reported in `batchItemFailures` so SQS keeps that message, and only that one.
 */
import { createServer } from "node:net";
import type { AddressInfo } from "node:net";
import type { Context } from "aws-lambda";
import {
  bodyBytes,
  messageFromRequest,
  MalformedMessageError,
  parseMessage,
  serializeMessage,
  upstreamRequestHeaders,
  WebhookMessage,
} from "../handlers/webhook-proxy/message";
import {
  parseUpstream,
  processRecords,
  Upstream,
  upstreamTarget,
} from "../handlers/webhook-proxy/sqs2upstream/deliver";
import { handler } from "../handlers/webhook-proxy/sqs2upstream";
import { apiEvent, sqsRecord, startUpstream, TestUpstream } from "./webhook-proxy/fixtures";

/** Every byte value, twice, plus bytes that are invalid UTF-8: only a byte-exact path keeps them. */
const BINARY = Buffer.concat([
  Buffer.from(Array.from({ length: 256 }, (_, i) => i)),
  Buffer.from([0xff, 0xfe, 0xc3, 0x28, 0x00]),
]);

function message(path: string, overrides: Partial<WebhookMessage> = {}): WebhookMessage {
  return { ...messageFromRequest(apiEvent({ rawPath: path, body: '{"ok":true}' })), ...overrides };
}

const plenty = (): number => 60_000;

let upstream: TestUpstream;
let target: Upstream;

beforeAll(async () => {
  // The handler logs one JSON line per delivery; keep the test output readable.
  jest.spyOn(console, "log").mockImplementation(() => undefined);
  jest.spyOn(console, "warn").mockImplementation(() => undefined);
  jest.spyOn(console, "error").mockImplementation(() => undefined);
  upstream = await startUpstream();
  target = parseUpstream(upstream.url);
});
afterAll(async () => {
  await upstream.close();
  jest.restoreAllMocks();
});
beforeEach(() => {
  upstream.received.length = 0;
});

describe("delivery is exact", () => {
  test("a binary body arrives byte for byte, with method, path, query and headers unchanged", async () => {
    const event = apiEvent({
      rawPath: "/hooks/stripe",
      rawQueryString: "a=1&b=%20x&a=2",
      body: BINARY,
      headers: {
        "content-type": "application/octet-stream",
        "x-signature": "t=1,v1=5257a869e7ecebeda32affa62cdca3fa51cad7e77a0e56ff536d0ce8e108d8bd",
        "user-agent": "Stripe/1.0 (+https://stripe.com/docs/webhooks)",
        "x-forwarded-for": "192.0.2.1",
      },
    });
    const sent = messageFromRequest(event);
    expect(sent.bodyEncoding).toBe("base64");

    const result = await processRecords([sqsRecord("m1", serializeMessage(sent))], {
      upstream: target,
      timeoutMs: 2000,
      remainingTimeMs: plenty,
    });

    expect(result.batchItemFailures).toEqual([]);
    expect(upstream.received).toHaveLength(1);
    const got = upstream.received[0];
    expect(got.method).toBe("POST");
    expect(got.url).toBe("/hooks/stripe?a=1&b=%20x&a=2");
    expect(got.body.equals(BINARY)).toBe(true);
    expect(got.headers["content-type"]).toBe("application/octet-stream");
    expect(got.headers["x-signature"]).toBe(event.headers["x-signature"]);
    expect(got.headers["user-agent"]).toBe(event.headers["user-agent"]);
    expect(got.headers).not.toHaveProperty("x-forwarded-for"); // the deny-list: NOT_FORWARDED_HEADERS
    // Recomputed for the upstream connection, not copied from the sender's.
    expect(got.headers["content-length"]).toBe(String(BINARY.length));
    expect(got.headers.host).toBe(`127.0.0.1:${upstream.port}`);
  });

  test("a text body keeps its exact bytes: spacing, key order, escapes and multi-byte characters", async () => {
    const text = '{ "b":1,  "a" : "日本語 \\u00e9 🎉",\n"z":[ ] }';
    const sent = messageFromRequest(apiEvent({ body: text, headers: { "content-type": "application/json" } }));
    expect(sent.bodyEncoding).toBe("utf8");

    const result = await processRecords([sqsRecord("m1", serializeMessage(sent))], {
      upstream: target,
      timeoutMs: 2000,
      remainingTimeMs: plenty,
    });

    expect(result.batchItemFailures).toEqual([]);
    expect(upstream.received[0].body.equals(Buffer.from(text, "utf8"))).toBe(true);
  });

  test("hop-by-hop headers, and those the Connection header names, do not reach the upstream", async () => {
    const sent = messageFromRequest(
      apiEvent({
        body: "x",
        headers: {
          connection: "keep-alive, x-hop-private",
          "x-hop-private": "secret to the first hop",
          "keep-alive": "timeout=5",
          te: "trailers",
          trailer: "x-checksum",
          upgrade: "h2c",
          "proxy-authorization": "Basic Zm9vOmJhcg==",
          "x-end-to-end": "kept",
        },
      })
    );
    expect(sent.headers.host).toBe("webhook.example.com"); // recorded as received...
    expect(upstreamRequestHeaders(sent)).not.toHaveProperty("host"); // ...not forwarded

    await processRecords([sqsRecord("m1", serializeMessage(sent))], {
      upstream: target,
      timeoutMs: 2000,
      remainingTimeMs: plenty,
    });

    const got = upstream.received[0].headers;
    for (const name of [
      "x-hop-private",
      "keep-alive",
      "te",
      "trailer",
      "upgrade",
      "proxy-authorization",
      "transfer-encoding",
    ]) {
      expect(got).not.toHaveProperty(name);
    }
    expect(got["x-end-to-end"]).toBe("kept");
  });

  // Written out, not read from NOT_FORWARDED_HEADERS: a name dropped from the deny-list fails here.
  // Each steers an upstream that honours it (client address, host, path, method, client certificate).
  const DENIED: Record<string, string> = {
    cookie: "a=1; b=2",
    forwarded: "for=192.0.2.1",
    "x-forwarded-for": "192.0.2.1",
    "x-forwarded-host": "attacker.example",
    "x-forwarded-port": "443",
    "x-forwarded-proto": "https",
    "x-forwarded-prefix": "/admin",
    "x-forwarded-client-cert": "Hash=0000;Subject=\"CN=trusted\"",
    "x-forwarded-server": "attacker.example",
    "x-real-ip": "192.0.2.1",
    "true-client-ip": "192.0.2.1",
    "cf-connecting-ip": "192.0.2.1",
    "x-client-ip": "192.0.2.1",
    "x-cluster-client-ip": "192.0.2.1",
    via: "1.1 trusted-proxy",
    "x-original-url": "/admin/delete",
    "x-rewrite-url": "/admin/delete",
    "x-http-method-override": "DELETE",
    "x-http-method": "DELETE",
    "x-method-override": "DELETE",
    "x-amzn-trace-id": "Root=1-5f84c7a9-0e2c6e3b1f0f6d4a2b9c8d7e",
  };

  test.each(Object.entries(DENIED))("deny-listed %s: neither queued nor forwarded, in any case, also from an older message", async (name, value) => {
    const upper = name.replace(/(^|-)([a-z])/g, (_m, dash: string, c: string) => dash + c.toUpperCase());
    for (const sentName of [name, upper]) {
      upstream.received.length = 0;
      const sent = messageFromRequest(apiEvent({ rawPath: "/queued", body: "x", headers: { [sentName]: value, "x-kept": "yes" } }));
      expect(Object.keys(sent.headers).map((n) => n.toLowerCase())).not.toContain(name);
      expect(sent.headers["x-kept"]).toBe("yes");
      // An older message that still holds it: the deny-list applies at delivery too.
      const older: WebhookMessage = { ...sent, path: "/older", headers: { ...sent.headers, [sentName]: value } };
      const result = await processRecords(
        [sqsRecord("queued", serializeMessage(sent)), sqsRecord("older", serializeMessage(older))],
        { upstream: target, timeoutMs: 2000, remainingTimeMs: plenty }
      );
      expect(result.batchItemFailures).toEqual([]);
      expect(upstream.received.map((r) => r.url)).toEqual(["/queued", "/older"]);
      for (const got of upstream.received) {
        expect(got.headers).not.toHaveProperty(name);
        expect(got.headers["x-kept"]).toBe("yes");
      }
    }
  });

  test("the deny-list matches x-forwarded-* by prefix: a name nobody listed is dropped too; look-alikes are kept", () => {
    const sent = messageFromRequest(
      apiEvent({ body: "x", headers: { "X-Forwarded-Anything-New": "1", "x-forwardedfor": "kept", "x-not-forwarded-for": "kept" } }),
    );
    expect(sent.headers).not.toHaveProperty("x-forwarded-anything-new");
    expect(sent.headers).toMatchObject({ "x-forwardedfor": "kept", "x-not-forwarded-for": "kept" });
  });

  test("with an allow-list only the listed headers are queued, and the deny-list still wins", () => {
    const sent = messageFromRequest(
      apiEvent({ body: "x", headers: { "Content-Type": "application/json", "x-hub-signature-256": "sha256=00", "x-other": "dropped", "x-forwarded-for": "1.2.3.4" } }),
      new Set(["content-type", "x-hub-signature-256", "x-forwarded-for"]),
    );
    expect(sent.headers).toEqual({ "content-type": "application/json", "x-hub-signature-256": "sha256=00" });
  });

  test("a header value above U+00FF (cf-ipcity: Srīperumbūdūr) reaches the upstream as the sender's UTF-8 bytes", async () => {
    const sent = messageFromRequest(apiEvent({ body: "x", headers: { "cf-ipcity": "Srīperumbūdūr", "x-latin": "café" } }));
    const result = await processRecords([sqsRecord("m1", serializeMessage(sent))], {
      upstream: target,
      timeoutMs: 2000,
      remainingTimeMs: plenty,
    });
    expect(result.batchItemFailures).toEqual([]);
    // Node's server reads header bytes as Latin-1: back to bytes, they are the UTF-8 the sender sent.
    const got = upstream.received[0].headers;
    expect(Buffer.from(String(got["cf-ipcity"]), "latin1").toString("utf8")).toBe("Srīperumbūdūr");
    expect(Buffer.from(String(got["x-latin"]), "latin1").toString("utf8")).toBe("café");
  });

  test("a header value no HTTP client can send (a control character) is dropped with a metric; the webhook is delivered", async () => {
    const warn = jest.spyOn(console, "warn").mockImplementation(() => undefined);
    const sent = messageFromRequest(apiEvent({ body: "x", headers: { "x-broken": "a\u0001b", "x-fine": "ok" } }));
    const result = await processRecords([sqsRecord("m1", serializeMessage(sent))], {
      upstream: target,
      timeoutMs: 2000,
      remainingTimeMs: plenty,
    });
    expect(result.batchItemFailures).toEqual([]);
    expect(upstream.received[0].headers).not.toHaveProperty("x-broken");
    expect(upstream.received[0].headers["x-fine"]).toBe("ok");
    const line = warn.mock.calls.map((c) => String(c[0])).find((l) => l.includes("header_dropped"));
    // The metric itself is written at the invocation's end (Powertools EMF: __tests__/observability.bundles.test.ts).
    expect(JSON.parse(line ?? "{}")).toMatchObject({ outcome: "HeadersDropped", header: "x-broken" });
    warn.mockRestore();
  });

  test("the path is the received one (never process.env.PATH), under the upstream's base path", async () => {
    const base = parseUpstream(`${upstream.url}/proxy/in/`);
    const result = await processRecords(
      [
        sqsRecord("root", serializeMessage(message("/"))),
        sqsRecord("sub", serializeMessage(message("/github", { query: "x=1" }))),
      ],
      { upstream: base, timeoutMs: 2000, remainingTimeMs: plenty }
    );
    expect(result.batchItemFailures).toEqual([]);
    expect(upstream.received.map((r) => r.url)).toEqual(["/proxy/in", "/proxy/in/github?x=1"]);
    expect(upstream.received.map((r) => r.url)).not.toContain(process.env.PATH);
  });
});

describe("failures are reported, so SQS keeps those messages", () => {
  test("a 500 from the upstream puts the record in batchItemFailures", async () => {
    const result = await processRecords([sqsRecord("m-500", serializeMessage(message("/fail")))], {
      upstream: target,
      timeoutMs: 2000,
      remainingTimeMs: plenty,
    });
    expect(upstream.received).toHaveLength(1);
    expect(result.batchItemFailures).toEqual([{ itemIdentifier: "m-500" }]);
  });

  test("an upstream that never answers is given up after the timeout and reported", async () => {
    const result = await processRecords([sqsRecord("m-hang", serializeMessage(message("/hang")))], {
      upstream: target,
      timeoutMs: 300,
      remainingTimeMs: plenty,
    });
    expect(upstream.received).toHaveLength(1); // it was sent, and waited for
    expect(result.batchItemFailures).toEqual([{ itemIdentifier: "m-hang" }]);
  });

  test("a redirect is not a delivery", async () => {
    const result = await processRecords([sqsRecord("m-302", serializeMessage(message("/redirect")))], {
      upstream: target,
      timeoutMs: 2000,
      remainingTimeMs: plenty,
    });
    expect(result.batchItemFailures).toEqual([{ itemIdentifier: "m-302" }]);
  });

  test("a refused connection is reported", async () => {
    // A port that was free a moment ago: nothing listens on it now.
    const probe = createServer();
    await new Promise<void>((resolve) => probe.listen(0, "127.0.0.1", resolve));
    const port = (probe.address() as AddressInfo).port;
    await new Promise<void>((resolve) => probe.close(() => resolve()));

    const result = await processRecords([sqsRecord("m-refused", serializeMessage(message("/")))], {
      upstream: parseUpstream(`http://127.0.0.1:${port}`),
      timeoutMs: 2000,
      remainingTimeMs: plenty,
    });
    expect(result.batchItemFailures).toEqual([{ itemIdentifier: "m-refused" }]);
  });

  test("a mixed batch reports exactly its failures; the others are delivered once", async () => {
    const records = [
      sqsRecord("ok-1", serializeMessage(message("/a"))),
      sqsRecord("fail-1", serializeMessage(message("/fail"))),
      sqsRecord("ok-2", serializeMessage(message("/b"))),
      sqsRecord("hang-1", serializeMessage(message("/hang"))),
      sqsRecord("garbage-1", "this is not a webhook message"),
      sqsRecord("ok-3", serializeMessage(message("/c"))),
    ];
    const result = await processRecords(records, { upstream: target, timeoutMs: 300, remainingTimeMs: plenty });

    expect(result.batchItemFailures).toEqual([
      { itemIdentifier: "fail-1" },
      { itemIdentifier: "hang-1" },
      { itemIdentifier: "garbage-1" },
    ]);
    expect(upstream.received.map((r) => r.url)).toEqual(["/a", "/fail", "/b", "/hang", "/c"]);
  });

  test("records the invocation has no time left for are reported, not attempted", async () => {
    const warning = jest.spyOn(console, "warn").mockImplementation(() => undefined);
    let left = 2000;
    const result = await processRecords(
      [sqsRecord("first", serializeMessage(message("/a"))), sqsRecord("second", serializeMessage(message("/b")))],
      {
        upstream: target,
        timeoutMs: 1000,
        remainingTimeMs: () => {
          const now = left;
          left = 300; // the first delivery "used" the rest of the invocation
          return now;
        },
      }
    );
    expect(result.batchItemFailures).toEqual([{ itemIdentifier: "second" }]);
    expect(upstream.received.map((r) => r.url)).toEqual(["/a"]);
    expect(warning).toHaveBeenCalledWith(expect.stringContaining('"message":"delivery skipped: invocation out of time"'));
    warning.mockRestore();
  });
});

describe("Lambda entry", () => {
  const context = { getRemainingTimeInMillis: () => 3000 } as unknown as Context;
  const saved = { UPSTREAM: process.env.UPSTREAM, UPSTREAM_TIMEOUT_MS: process.env.UPSTREAM_TIMEOUT_MS };
  afterEach(() => {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  });

  test("reads UPSTREAM and UPSTREAM_TIMEOUT_MS and answers with the batch failures", async () => {
    process.env.UPSTREAM = upstream.url;
    process.env.UPSTREAM_TIMEOUT_MS = "300";
    const result = await handler(
      {
        Records: [
          sqsRecord("ok", serializeMessage(message("/a"))),
          sqsRecord("bad", serializeMessage(message("/hang"))),
        ],
      },
      context
    );
    expect(result).toEqual({ batchItemFailures: [{ itemIdentifier: "bad" }] });
  });

  test("without UPSTREAM the invocation fails, so the whole batch returns to the queue", async () => {
    delete process.env.UPSTREAM;
    await expect(handler({ Records: [sqsRecord("m", serializeMessage(message("/")))] }, context)).rejects.toThrow(
      /UPSTREAM/
    );
    expect(upstream.received).toHaveLength(0);
  });
});

describe("message format and upstream setting", () => {
  test("parseUpstream: the seed's bare host means HTTPS on 443; port, base path and http for tests are accepted", () => {
    expect(parseUpstream("example.com")).toEqual({
      protocol: "https:",
      hostname: "example.com",
      port: 443,
      basePath: "",
    });
    expect(parseUpstream("example.com:8443/hooks/")).toEqual({
      protocol: "https:",
      hostname: "example.com",
      port: 8443,
      basePath: "/hooks",
    });
    expect(parseUpstream("http://127.0.0.1:8080")).toEqual({
      protocol: "http:",
      hostname: "127.0.0.1",
      port: 8080,
      basePath: "",
    });
    expect(() => parseUpstream("")).toThrow(/empty/);
    expect(() => parseUpstream("ftp://example.com")).toThrow(/https/);
    expect(() => parseUpstream("https://example.com/?a=1")).toThrow(/query/);
  });

  test("upstreamTarget joins base path, received path and raw query", () => {
    const https = parseUpstream("example.com/in");
    expect(upstreamTarget(https, message("/"))).toBe("/in");
    expect(upstreamTarget(https, message("/x/y", { query: "q=%2F" }))).toBe("/in/x/y?q=%2F");
    expect(upstreamTarget(parseUpstream("example.com"), message("/"))).toBe("/");
  });

  test("the stage prefix of an execute-api call is removed from the recorded path; the custom domain's path is kept", () => {
    expect(
      messageFromRequest(apiEvent({ rawPath: "/dev-gateway_state_proxy/", stage: "dev-gateway_state_proxy" })).path
    ).toBe("/");
    expect(
      messageFromRequest(apiEvent({ rawPath: "/dev-gateway_state_proxy", stage: "dev-gateway_state_proxy" })).path
    ).toBe("/");
    expect(messageFromRequest(apiEvent({ rawPath: "/", stage: "dev-gateway_state_proxy" })).path).toBe("/");
    expect(messageFromRequest(apiEvent({ rawPath: "/hook", stage: "$default" })).path).toBe("/hook");
  });

  test("a message survives serialization; bodyBytes decodes by its encoding", () => {
    const sent = messageFromRequest(apiEvent({ body: BINARY, rawQueryString: "a=b" }));
    const read = parseMessage(serializeMessage(sent));
    expect(read).toEqual(sent);
    expect(bodyBytes(read).equals(BINARY)).toBe(true);
  });

  test("parseMessage refuses what is not a webhook message, saying why", () => {
    const good = JSON.parse(serializeMessage(message("/"))) as Record<string, unknown>;
    const cases: [string, RegExp][] = [
      ["not json", /not JSON/],
      ["[1]", /not a JSON object/],
      [JSON.stringify({ ...good, version: 99 }), /version 99/],
      [JSON.stringify({ ...good, method: 1 }), /"method"/],
      [JSON.stringify({ ...good, bodyEncoding: "gzip" }), /bodyEncoding/],
      [JSON.stringify({ ...good, headers: { a: 1 } }), /headers/],
      [JSON.stringify({ ...good, path: "no-slash" }), /path/],
      [JSON.stringify({ ...good, receivedAt: "today" }), /receivedAt/],
    ];
    for (const [text, reason] of cases) {
      expect(() => parseMessage(text)).toThrow(MalformedMessageError);
      expect(() => parseMessage(text)).toThrow(reason);
    }
  });
});
