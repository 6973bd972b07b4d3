/**
 * The front door of `npm run local`: one node:http server on 127.0.0.1 that
 * reads each request whole, hands it to the stack's entry point (REST API,
 * HTTP API or ALB) and logs one line per request: method, path, status, latency.
 */
import * as http from "node:http";
import { close, listenOn, readBody } from "../emulator/engines";

export interface LocalRequest {
  readonly method: string;
  /** Path and query as sent (not decoded). */
  readonly rawUrl: string;
  readonly url: URL;
  readonly headers: http.IncomingHttpHeaders;
  readonly body: Buffer;
  readonly sourceIp: string;
}

export interface LocalResponse {
  readonly status: number;
  readonly headers?: Record<string, string | string[]>;
  readonly body?: string | Buffer;
}

export type EntryPoint = (req: LocalRequest) => Promise<LocalResponse>;

/** A JSON answer, as the AWS front doors give their own errors (`{"message": ...}`). */
export const jsonResponse = (status: number, body: unknown, headers: Record<string, string> = {}): LocalResponse => ({
  status,
  headers: { "content-type": "application/json", ...headers },
  body: JSON.stringify(body),
});

export class PortInUseError extends Error {
  constructor(port: number) {
    super(`port ${port} on 127.0.0.1 is in use: stop what holds it or choose another with --port N`);
    this.name = "PortInUseError";
  }
}

export interface FrontDoor {
  readonly url: string;
  readonly port: number;
  stop(): Promise<void>;
}

/** Serves `entry` on 127.0.0.1:`port` (0: a free port); `log` gets one line per request. */
export async function serve(port: number, entry: EntryPoint, log: (line: string) => void, label = ""): Promise<FrontDoor> {
  const server = http.createServer((req, res) => {
    const started = process.hrtime.bigint();
    void readBody(req).then((body) => {
      const rawUrl = req.url ?? "/";
      const request: LocalRequest = {
        method: req.method ?? "GET",
        rawUrl,
        url: new URL(rawUrl, `http://${req.headers.host ?? "127.0.0.1"}`),
        headers: req.headers,
        body,
        sourceIp: req.socket.remoteAddress ?? "127.0.0.1",
      };
      entry(request)
        .catch((err: unknown) => {
          log(`  ! ${label}${request.method} ${rawUrl}: ${err instanceof Error ? err.message : String(err)}`);
          return jsonResponse(500, { message: "Internal server error" });
        })
        .then((answer) => {
          const payload = answer.body === undefined ? Buffer.alloc(0) : Buffer.from(answer.body);
          res.writeHead(answer.status, { ...answer.headers, "content-length": String(payload.length) });
          res.end(payload);
          const ms = Number(process.hrtime.bigint() - started) / 1e6;
          log(`${label}${request.method} ${rawUrl} ${answer.status} ${ms.toFixed(1)}ms`);
        })
        .catch(() => res.destroy());
    }, () => res.destroy());
  });
  const actual = await listenOn(server, port).catch((err: NodeJS.ErrnoException) => {
    throw err.code === "EADDRINUSE" ? new PortInUseError(port) : err;
  });
  return { url: `http://127.0.0.1:${actual}`, port: actual, stop: () => close(server) };
}

/** Header value as one string (node joins repeated headers except set-cookie). */
export function header(req: LocalRequest, name: string): string | undefined {
  const value = req.headers[name.toLowerCase()];
  return Array.isArray(value) ? value.join(",") : value;
}

/** Single-value headers as the AWS events carry them (lower-case names). */
export function flatHeaders(req: LocalRequest): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(req.headers)) if (value !== undefined) out[name] = Array.isArray(value) ? value.join(",") : value;
  return out;
}

/** Whether a body goes to Lambda base64-encoded (API Gateway and the ALB encode what is not text). */
export function isTextContent(contentType: string | undefined): boolean {
  if (!contentType) return true;
  return /^(text\/|application\/(json|xml|javascript|x-www-form-urlencoded)|[^;]*\+(json|xml))/i.test(contentType.trim());
}
