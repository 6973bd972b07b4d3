/**
 * Test helpers of the webhook-proxy handlers: a real `node:http` upstream on
 * 127.0.0.1 (port 0) that records what arrives, and builders of the events
 * API Gateway (payload 2.0) and the SQS event source mapping send.
 */
import { createServer, IncomingMessage, Server, ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { APIGatewayProxyEventV2, SQSRecord } from "aws-lambda";

/** One request as the upstream saw it. */
export interface ReceivedRequest {
  readonly method: string;
  readonly url: string;
  /** Lower-case names; repeated headers joined as Node does. */
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: Buffer;
}

/**
 * The upstream's behaviour is chosen by the request path:
 * `/fail` -> 500, `/redirect` -> 302, `/hang` -> never answers, anything else -> 200.
 */
export interface TestUpstream {
  readonly url: string;
  readonly port: number;
  readonly received: ReceivedRequest[];
  close(): Promise<void>;
}

export async function startUpstream(): Promise<TestUpstream> {
  const received: ReceivedRequest[] = [];
  const hanging = new Set<ServerResponse>();
  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      received.push({
        method: req.method ?? "",
        url: req.url ?? "",
        headers: req.headers,
        body: Buffer.concat(chunks),
      });
      const path = (req.url ?? "").split("?")[0];
      if (path.endsWith("/hang")) {
        hanging.add(res);
        return;
      }
      if (path.endsWith("/fail")) {
        res.writeHead(500, { "content-type": "text/plain" }).end("upstream broke");
      } else if (path.endsWith("/redirect")) {
        res.writeHead(302, { location: "/elsewhere" }).end();
      } else {
        res.writeHead(200, { "content-type": "text/plain" }).end("ok");
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    received,
    close: async () => {
      for (const res of hanging) res.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

export interface ApiRequest {
  readonly method?: string;
  readonly rawPath?: string;
  readonly rawQueryString?: string;
  readonly headers?: Record<string, string>;
  readonly cookies?: string[];
  readonly body?: Buffer | string;
  /** Send the body base64-encoded, as API Gateway does for binary content. @default true for a Buffer */
  readonly base64?: boolean;
  readonly stage?: string;
  readonly requestId?: string;
}

/** The event an HTTP API (payload format 2.0) sends `api2sqs` for one webhook. */
export function apiEvent(r: ApiRequest = {}): APIGatewayProxyEventV2 {
  const method = r.method ?? "POST";
  const rawPath = r.rawPath ?? "/";
  const base64 = r.base64 ?? Buffer.isBuffer(r.body);
  const body = r.body === undefined ? undefined : base64 ? Buffer.from(r.body).toString("base64") : r.body.toString();
  return {
    version: "2.0",
    routeKey: "POST /",
    rawPath,
    rawQueryString: r.rawQueryString ?? "",
    cookies: r.cookies,
    headers: { host: "webhook.example.com", "content-length": String(body?.length ?? 0), ...(r.headers ?? {}) },
    requestContext: {
      accountId: "123456789012",
      apiId: "abc123",
      domainName: "webhook.example.com",
      domainPrefix: "webhook",
      http: { method, path: rawPath, protocol: "HTTP/1.1", sourceIp: "192.0.2.1", userAgent: "test" },
      requestId: r.requestId ?? "req-1",
      routeKey: "POST /",
      stage: r.stage ?? "dev-gateway_state_proxy",
      time: "01/Jan/2025:00:00:00 +0000",
      timeEpoch: 1735689600000,
    },
    body,
    isBase64Encoded: base64,
  };
}

/** An SQS record as the event source mapping delivers it to `sqs2upstream`. */
export function sqsRecord(messageId: string, body: string, receiveCount = 1): SQSRecord {
  return {
    messageId,
    receiptHandle: `handle-${messageId}`,
    body,
    attributes: {
      ApproximateReceiveCount: String(receiveCount),
      SentTimestamp: "1735689600000",
      SenderId: "AIDAEXAMPLE",
      ApproximateFirstReceiveTimestamp: "1735689600001",
    },
    messageAttributes: {},
    md5OfBody: "",
    eventSource: "aws:sqs",
    eventSourceARN: "arn:aws:sqs:ap-northeast-1:123456789012:dev-proxy-queue",
    awsRegion: "ap-northeast-1",
  };
}
