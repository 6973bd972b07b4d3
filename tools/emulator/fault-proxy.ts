/**
 * A fault-injecting proxy between a handler's SDK client and a real local
 * engine (dynalite, kinesalite, local SQS, the Translate stand-in): it plays
 * the faults a spike brings downstream, so tests and replays see what a
 * handler does under them. Modes (switchable while it runs):
 *
 * | mode | what the client sees |
 * |---|---|
 * | `pass` | the engine's own answers |
 * | `throttle` | every call answered with the service's throttling error |
 * | `throttle-share` | a share of the calls (evenly spread) throttled, the rest passed |
 * | `error-500` | every call answered 500 InternalServerError |
 * | `silent` | the connection accepted, the request read, never an answer (until the mode changes: then the held connections are reset) |
 * | `refuse` | connections refused (nothing listens on the port) |
 *
 * Throttled and failed calls never reach the engine, so nothing is written twice
 * by a call the client was told failed.
 */
import * as http from "node:http";
import type { Socket } from "node:net";
import { Engine, listenOn, readBody } from "./engines";

export type FaultMode =
  | { readonly kind: "pass" }
  | { readonly kind: "throttle" }
  | { readonly kind: "throttle-share"; readonly share: number }
  | { readonly kind: "error-500" }
  | { readonly kind: "silent" }
  | { readonly kind: "refuse" };

export const PASS: FaultMode = { kind: "pass" };

export interface FaultStats {
  /** Requests received. */
  requests: number;
  /** Requests passed to the engine. */
  forwarded: number;
  throttled: number;
  failed: number;
  /** Requests held without an answer. */
  silenced: number;
}

export interface FaultProxy extends Engine {
  readonly stats: FaultStats;
  readonly mode: FaultMode;
  /** Switches the mode; `refuse` stops listening, any other mode listens again on the same port. */
  setMode(mode: FaultMode): Promise<void>;
}

/** The throttling error each protocol's SDK recognises, chosen by the request's `x-amz-target`. */
function throttlingAnswer(target: string): { status: number; type: string; contentType: string } {
  if (target.startsWith("DynamoDB_")) {
    return { status: 400, type: "com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException", contentType: "application/x-amz-json-1.0" };
  }
  if (target.startsWith("AmazonSQS.")) return { status: 400, type: "com.amazonaws.sqs#RequestThrottled", contentType: "application/x-amz-json-1.0" };
  if (target.startsWith("Kinesis_")) return { status: 400, type: "ProvisionedThroughputExceededException", contentType: "application/x-amz-json-1.1" };
  if (target.startsWith("AWSShineFrontendService_")) return { status: 400, type: "TooManyRequestsException", contentType: "application/x-amz-json-1.1" };
  return { status: 429, type: "ThrottlingException", contentType: "application/json" };
}

/** Passes a request (its body already read) to `target` and its answer back unchanged. */
export function forward(target: URL, req: http.IncomingMessage, body: Buffer, res: http.ServerResponse): void {
  const out = http.request(
    { hostname: target.hostname, port: target.port, method: req.method, path: req.url, headers: { ...req.headers, host: target.host } },
    (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    },
  );
  out.on("error", () => res.destroy());
  out.end(body);
}

function sendError(res: http.ServerResponse, status: number, type: string, contentType: string, message: string): void {
  const text = JSON.stringify({ __type: type, message });
  res
    .writeHead(status, { "content-type": contentType, "content-length": String(Buffer.byteLength(text)), "x-amzn-errortype": type.split("#").pop() ?? type })
    .end(text);
}

/** Starts a proxy on 127.0.0.1 (a free port) in front of `backend`. */
export async function startFaultProxy(backend: Engine, initial: FaultMode = PASS): Promise<FaultProxy> {
  const target = new URL(backend.endpoint);
  const stats: FaultStats = { requests: 0, forwarded: 0, throttled: 0, failed: 0, silenced: 0 };
  const sockets = new Set<Socket>();
  const held = new Set<Socket>();
  let mode = initial;
  let shareCount = 0;

  const server = http.createServer((req, res) => {
    void readBody(req).then((body) => {
      stats.requests++;
      const amzTarget = String(req.headers["x-amz-target"] ?? "");
      let kind = mode.kind;
      if (mode.kind === "throttle-share") {
        // Evenly spread, starting with the first call: call n is throttled when n x share reaches the next whole number.
        shareCount++;
        kind = Math.ceil(shareCount * mode.share) > Math.ceil((shareCount - 1) * mode.share) ? "throttle" : "pass";
      }
      switch (kind) {
        case "throttle": {
          stats.throttled++;
          const t = throttlingAnswer(amzTarget);
          sendError(res, t.status, t.type, t.contentType, "Rate exceeded (injected by the fault proxy)");
          return;
        }
        case "error-500":
          stats.failed++;
          sendError(res, 500, "InternalServerError", "application/x-amz-json-1.0", "Internal server error (injected by the fault proxy)");
          return;
        case "silent":
          stats.silenced++;
          held.add(req.socket);
          return; // never answered; the connection is reset when the silence ends or the proxy stops
        default:
          stats.forwarded++;
          forward(target, req, body, res);
      }
    });
  });
  server.keepAliveTimeout = 60_000;
  server.on("connection", (socket: Socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
  });

  let port = 0;
  // The first listen takes a free port; listening again after `refuse` takes the same one.
  const listen = async (): Promise<void> => {
    port = await listenOn(server, port);
  };
  const stopListening = (): Promise<void> =>
    new Promise((resolve) => {
      if (!server.listening) return resolve();
      server.close(() => resolve());
      for (const socket of sockets) socket.destroy();
    });

  await listen();
  const endpoint = `http://127.0.0.1:${port}`;
  if (initial.kind === "refuse") await stopListening();

  return {
    endpoint,
    stats,
    get mode() {
      return mode;
    },
    async setMode(next) {
      mode = next;
      shareCount = 0;
      if (next.kind !== "silent") {
        for (const socket of held) socket.destroy();
        held.clear();
      }
      if (next.kind === "refuse") await stopListening();
      else if (!server.listening) await listen();
    },
    async stop() {
      await stopListening();
    },
  };
}
