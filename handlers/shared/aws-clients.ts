/**
 * Every AWS SDK v3 client the handlers use is created here, and only here
 * (a policy test checks that no other handler file constructs one), so every
 * client has the same bounded behaviour:
 *
 * - a connection timeout and a request timeout (the SDK's default is to wait
 *   forever for a silent endpoint), with `throwOnRequestTimeout` so a silent
 *   endpoint is an error, not a warning;
 * - a retry count sized with the timeouts so that one call, retries
 *   included, fits inside the function's timeout (`time-budget.ts`);
 * - no wait between attempts longer than `time-budget.ts` counts on: the SDK's
 *   own backoff is at most 1000 ms x 2^(n-1) before retry n (its throttling
 *   base, `THROTTLING_BACKOFF_BASE_MS`), but a `retry-after` or
 *   `x-amz-retry-after` answer header makes it wait for the hint, up to 5 s
 *   more (@smithy/core's `StandardRetryStrategy`). The request handler removes
 *   those two headers from every answer, so the SDK never sees a hint: a
 *   throttled call is retried after the SDK's jittered backoff or given up,
 *   and the handler answers its own caller when to retry.
 *
 * Endpoints, region and credentials still come from the standard SDK
 * settings (`AWS_ENDPOINT_URL_DYNAMODB` etc. in tests). Each service has its
 * own small module (`dynamodb-client.ts`, ...) so a bundle carries only the
 * SDK it uses.
 */
import { Agent as HttpAgent } from "node:http";
import { Agent as HttpsAgent } from "node:https";
import { NodeHttpHandler } from "@smithy/node-http-handler";
import type { Environment } from "./env";
import { sdkCallBudget, SdkCallBudget, SdkCallBudgetOptions } from "./time-budget";

/** Answer headers by which a service asks the SDK to wait before retrying (read by @smithy/core's retry middleware). */
export const RETRY_HINT_HEADERS: ReadonlySet<string> = new Set(["retry-after", "x-amz-retry-after"]);

/**
 * The shared clients' HTTP handler: Node's, with every answer's retry hints
 * removed (`RETRY_HINT_HEADERS`), so no hint can stretch the SDK's wait
 * between attempts past the bound `sdkCallBudget` assumes. The hint is the
 * only thing lost: the SDK still recognises the throttling error and backs off.
 */
export class BoundedHttpHandler extends NodeHttpHandler {
  override async handle(...args: Parameters<NodeHttpHandler["handle"]>): ReturnType<NodeHttpHandler["handle"]> {
    const out = await super.handle(...args);
    const headers = out.response.headers;
    for (const name of Object.keys(headers)) if (RETRY_HINT_HEADERS.has(name.toLowerCase())) delete headers[name];
    return out;
  }
}

/** The client settings every service client starts from. */
export interface BoundedClientConfig {
  readonly maxAttempts: number;
  readonly requestHandler: BoundedHttpHandler;
}

/** Settings for one client, with the budget they were sized from. */
export function boundedClientConfig(
  options: SdkCallBudgetOptions = {},
  env: Environment = process.env,
): BoundedClientConfig & { budget: SdkCallBudget } {
  const budget = sdkCallBudget(env, options);
  const requestHandler = new BoundedHttpHandler({
    connectionTimeout: budget.connectionTimeoutMs,
    requestTimeout: budget.requestTimeoutMs,
    throwOnRequestTimeout: true,
    // Keep-alive saves a TLS handshake per call on a warm container.
    httpAgent: new HttpAgent({ keepAlive: true }),
    httpsAgent: new HttpsAgent({ keepAlive: true }),
  });
  return { maxAttempts: budget.maxAttempts, requestHandler, budget };
}
