/**
 * Every AWS SDK v3 client the handlers use is created here, and only here
 * (a policy test checks that no other handler file constructs one), so every
 * client has the same bounded behaviour:
 *
 * - a connection timeout and a request timeout (the SDK's default is to wait
 *   forever for a silent endpoint), with `throwOnRequestTimeout` so a silent
 *   endpoint is an error, not a warning;
 * - a retry count sized with the timeouts so that one call, retries
 *   included, fits inside the function's timeout (`time-budget.ts`).
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

/** The client settings every service client starts from. */
export interface BoundedClientConfig {
  readonly maxAttempts: number;
  readonly requestHandler: NodeHttpHandler;
}

/** Settings for one client, with the budget they were sized from. */
export function boundedClientConfig(
  options: SdkCallBudgetOptions = {},
  env: Environment = process.env,
): BoundedClientConfig & { budget: SdkCallBudget } {
  const budget = sdkCallBudget(env, options);
  const requestHandler = new NodeHttpHandler({
    connectionTimeout: budget.connectionTimeoutMs,
    requestTimeout: budget.requestTimeoutMs,
    throwOnRequestTimeout: true,
    // Keep-alive saves a TLS handshake per call on a warm container.
    httpAgent: new HttpAgent({ keepAlive: true }),
    httpsAgent: new HttpsAgent({ keepAlive: true }),
  });
  return { maxAttempts: budget.maxAttempts, requestHandler, budget };
}
