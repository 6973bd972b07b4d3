/**
 * A throttling AWS service on node:http: every call answered, after
 * `delayMs`, with `ThrottlingException` (HTTP 400, the AWS JSON protocols'
 * error shape, as SSM answers; the SDKs of SQS, DynamoDB and Translate read it
 * the same way) and the retry hints a service may add: `x-amz-retry-after`
 * (milliseconds) and `retry-after` (seconds). The AWS SDK would wait for such
 * a hint (up to 5 s more than its own backoff), which is what a handler's time
 * budget must survive. No local SSM engine exists among the project's
 * dependencies; this is the one answer the tests need of a throttled one.
 */
import * as http from "node:http";
import { type Engine, listen } from "../../tools/emulator/engines";

export interface ThrottlingServiceOptions {
  /** How long each answer takes. @default 0 */
  readonly delayMs?: number;
  /** The `x-amz-retry-after` hint in milliseconds (and `retry-after` in whole seconds, rounded up). @default 5000 */
  readonly retryAfterMs?: number;
}

export interface ThrottlingService extends Engine {
  /** Requests received. */
  readonly stats: { requests: number };
}

export async function startThrottlingService(options: ThrottlingServiceOptions = {}): Promise<ThrottlingService> {
  const delayMs = options.delayMs ?? 0;
  const retryAfterMs = options.retryAfterMs ?? 5000;
  const stats = { requests: 0 };
  const timers = new Set<NodeJS.Timeout>();
  const server = http.createServer((req, res) => {
    req.resume();
    req.on("end", () => {
      stats.requests++;
      const timer = setTimeout(() => {
        timers.delete(timer);
        const text = JSON.stringify({ __type: "ThrottlingException", message: "Rate exceeded (throttling stand-in)" });
        res
          .writeHead(400, {
            "content-type": "application/x-amz-json-1.1",
            "content-length": String(Buffer.byteLength(text)),
            "x-amzn-errortype": "ThrottlingException",
            "x-amz-retry-after": String(retryAfterMs),
            "retry-after": String(Math.ceil(retryAfterMs / 1000)),
          })
          .end(text);
      }, delayMs);
      timers.add(timer);
    });
  });
  const engine = await listen(server);
  return {
    endpoint: engine.endpoint,
    stats,
    async stop() {
      for (const timer of timers) clearTimeout(timer);
      await engine.stop();
    },
  };
}
