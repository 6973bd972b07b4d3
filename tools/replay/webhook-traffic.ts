/**
 * The two ends of the webhook-proxy replay outside the stack: the senders'
 * webhooks (varied bodies, as the API's payload 2.0 events) and the upstream,
 * which checks each delivery byte for byte and fails or hangs a share on purpose.
 */
import { createHash, randomUUID } from "node:crypto";
import * as http from "node:http";
import type { APIGatewayProxyEventV2 } from "aws-lambda";
import { ACCOUNT_ID, Engine, listen, readBody } from "../emulator/engines";
import { Random } from "../emulator/random";

/** A webhook as its sender posts it. */
export interface Webhook {
  readonly id: number;
  readonly contentType: string;
  readonly body: Buffer;
  /** API Gateway passes binary content base64-encoded. */
  readonly binary: boolean;
}

/** Varied webhooks: JSON with non-ASCII text, form data, text with CRLF, binary, and a larger JSON. */
export function makeWebhook(id: number, random: Random): Webhook {
  switch (id % 5) {
    case 0:
      return { id, contentType: "application/json", binary: false, body: Buffer.from(`{"event":"delivered","id":${id},"email":"user${id}@example.com","note":"配信完了 ✓ ${random.int(1e9)}"}`) };
    case 1:
      return { id, contentType: "application/x-www-form-urlencoded", binary: false, body: Buffer.from(`event=open&id=${id}&ua=Mozilla%2F5.0+(X11)&n=${random.int(1e9)}`) };
    case 2:
      return { id, contentType: "text/plain; charset=utf-8", binary: false, body: Buffer.from(`line one ${id}\r\n  line two\twith tab\r\n{"not": json`) };
    case 3:
      return { id, contentType: "application/octet-stream", binary: true, body: random.bytes(256 + random.int(2048)) };
    default:
      return {
        id,
        contentType: "application/json",
        binary: false,
        body: Buffer.from(JSON.stringify({ id, events: Array.from({ length: 200 }, (_, k) => ({ k, v: random.int(1e6), s: "x".repeat(k % 17) })) })),
      };
  }
}

const signature = (body: Buffer): string => `sha256=${createHash("sha256").update(body).digest("hex")}`;

/** Headers that sign a body as the stack's signature check expects (the sender's side of it). */
export type Signer = (body: Buffer) => Record<string, string>;

export function apiEvent(hook: Webhook, stageName: string, sign?: Signer): APIGatewayProxyEventV2 {
  const requestId = randomUUID();
  const now = Date.now();
  return {
    version: "2.0",
    routeKey: "POST /",
    // Called on the execute-api URL of a named stage, rawPath carries the stage.
    rawPath: `/${stageName}/`,
    rawQueryString: `source=replay&id=${hook.id}`,
    cookies: hook.id % 7 === 0 ? ["session=abc", "theme=dark"] : undefined,
    headers: {
      "content-type": hook.contentType,
      "content-length": String(hook.body.length),
      host: "abc123.execute-api.ap-northeast-1.amazonaws.com",
      "user-agent": "SendGrid Event API",
      "x-webhook-id": String(hook.id),
      "x-signature": signature(hook.body),
      connection: "keep-alive",
      ...sign?.(hook.body),
    },
    queryStringParameters: { source: "replay", id: String(hook.id) },
    requestContext: {
      accountId: ACCOUNT_ID,
      apiId: "abc123",
      domainName: "abc123.execute-api.ap-northeast-1.amazonaws.com",
      domainPrefix: "abc123",
      http: { method: "POST", path: `/${stageName}/`, protocol: "HTTP/1.1", sourceIp: "127.0.0.1", userAgent: "SendGrid Event API" },
      requestId,
      routeKey: "POST /",
      stage: stageName,
      time: new Date(now).toUTCString(),
      timeEpoch: now,
    },
    body: hook.binary ? hook.body.toString("base64") : hook.body.toString("utf8"),
    isBase64Encoded: hook.binary,
  };
}

export interface UpstreamStats {
  active: number;
  maxActive: number;
  requests: number;
  failed: number;
  hung: number;
  corrupted: number;
  /** Requests answered 2xx (a byte-exact body), whether or not the handler was still waiting. */
  answeredOk: number;
  /** Of those, answered after the handler had given up (closed the connection): not deliveries. */
  answeredLate: number;
  /** Ids of the webhooks that reached the upstream at all. */
  readonly received: Set<number>;
  /** id -> times delivered (answered 2xx after a byte-exact body, to a handler still waiting). */
  readonly deliveries: Map<number, number>;
  readonly firstDeliveredAt: Map<number, number>;
}

/** The upstream: checks each webhook's bytes and signature, fails or hangs a share of requests on purpose. */
export async function startUpstream(
  expected: Map<number, Webhook>,
  failRate: number,
  hangRate: number,
  random: Random,
  delayMs = 0,
): Promise<Engine & { stats: UpstreamStats }> {
  const stats: UpstreamStats = {
    active: 0,
    maxActive: 0,
    requests: 0,
    failed: 0,
    hung: 0,
    corrupted: 0,
    answeredOk: 0,
    answeredLate: 0,
    received: new Set(),
    deliveries: new Map(),
    firstDeliveredAt: new Map(),
  };
  const server = http.createServer((req, res) => {
    stats.active++;
    stats.requests++;
    stats.maxActive = Math.max(stats.maxActive, stats.active);
    let ended = false;
    const end = (): void => {
      if (!ended) stats.active--;
      ended = true;
    };
    res.on("close", end);
    const id = Number(req.headers["x-webhook-id"]);
    if (expected.has(id)) stats.received.add(id);
    void readBody(req).then((body) => (delayMs > 0 ? setTimeout(answer, delayMs, body) : answer(body)));
    const answer = (body: Buffer): void => {
      const hook = expected.get(id);
      const roll = random.next();
      if (roll < hangRate) {
        stats.hung++;
        return; // never answers; the client gives up
      }
      if (roll < hangRate + failRate) {
        stats.failed++;
        res.writeHead(500, { "content-type": "text/plain" }).end("injected failure");
        return;
      }
      const exact =
        hook !== undefined &&
        body.equals(hook.body) &&
        req.headers["x-signature"] === signature(body) &&
        req.headers["content-type"] === hook.contentType &&
        req.url === `/?source=replay&id=${id}`;
      if (!exact) {
        stats.corrupted++;
        res.writeHead(400, { "content-type": "text/plain" }).end("body, signature or target differs from what was sent");
        return;
      }
      stats.answeredOk++;
      // The handler gave up (its upstream timeout) before this answer: it never sees it.
      if (ended || res.destroyed) {
        stats.answeredLate++;
        return;
      }
      res.writeHead(200, { "content-type": "text/plain" }).end("ok", () => {
        stats.deliveries.set(id, (stats.deliveries.get(id) ?? 0) + 1);
        if (!stats.firstDeliveredAt.has(id)) stats.firstDeliveredAt.set(id, Date.now());
      });
    };
  });
  server.keepAliveTimeout = 1000;
  const engine = await listen(server);
  return { ...engine, stats };
}
