/**
 * What a failed downstream call (DynamoDB, SQS, Amazon Translate) means for
 * the caller of an HTTP handler, decided in one place:
 *
 * | fault | seen as | caller gets |
 * |---|---|---|
 * | `throttled` | the service's throttling errors, HTTP 429 | 503, `Retry-After: 1` |
 * | `timeout` | our deadline's abort, the client's request/connection timeout | 504, `Retry-After: 1` |
 * | `unavailable` | 5xx, connection refused/reset | 503, `Retry-After: 1` |
 *
 * 503 rather than 429 for throttling: the capacity that ran out is the
 * service's, not the caller's own rate (API Gateway's stage throttling
 * answers a caller's own excess with 429 before the function runs).
 */

import { log, outcomeField } from "./observability";
import { OUTCOMES } from "./outcomes";

export type DownstreamFault = "throttled" | "timeout" | "unavailable";

const THROTTLING = new Set([
  "ProvisionedThroughputExceededException",
  "ThrottlingException",
  "Throttling",
  "ThrottledException",
  "RequestLimitExceeded",
  "RequestThrottled",
  "RequestThrottledException",
  "TooManyRequestsException",
  "SlowDown",
]);
const TIMEOUT = new Set(["AbortError", "TimeoutError", "RequestTimeout", "RequestTimeoutException"]);
const NETWORK_CODES = new Set(["ECONNREFUSED", "ECONNRESET", "EPIPE", "ETIMEDOUT", "EHOSTUNREACH", "ENETUNREACH", "ENOTFOUND", "EAI_AGAIN"]);

interface SdkErrorShape {
  name?: unknown;
  code?: unknown;
  $fault?: unknown;
  $metadata?: { httpStatusCode?: unknown };
}

/** The kind of downstream fault `err` is, or `undefined` when it is none of them (a bug, a refusal). */
export function downstreamFault(err: unknown): DownstreamFault | undefined {
  if (typeof err !== "object" || err === null) return undefined;
  const e = err as SdkErrorShape;
  const name = typeof e.name === "string" ? e.name : "";
  const status = typeof e.$metadata?.httpStatusCode === "number" ? e.$metadata.httpStatusCode : undefined;
  if (THROTTLING.has(name) || status === 429) return "throttled";
  if (TIMEOUT.has(name) || e.code === "ETIMEDOUT") return "timeout";
  if ((typeof e.code === "string" && NETWORK_CODES.has(e.code)) || e.$fault === "server" || (status !== undefined && status >= 500)) {
    return "unavailable";
  }
  return undefined;
}

/** Seconds a caller should wait before retrying after a downstream fault. */
export const RETRY_AFTER_SECONDS = 1;

/** The answer for a downstream fault: status, message and `Retry-After`. */
export interface FaultAnswer {
  readonly statusCode: 503 | 504;
  readonly message: string;
  readonly headers: { "retry-after": string };
}

/** `what` names the dependency for the caller, e.g. "The event log". */
export function faultAnswer(fault: DownstreamFault, what: string): FaultAnswer {
  const headers = { "retry-after": String(RETRY_AFTER_SECONDS) };
  switch (fault) {
    case "throttled":
      return { statusCode: 503, message: `${what} is busy; retry in ${RETRY_AFTER_SECONDS} s`, headers };
    case "timeout":
      return { statusCode: 504, message: `${what} did not answer in time; retry in ${RETRY_AFTER_SECONDS} s`, headers };
    case "unavailable":
      return { statusCode: 503, message: `${what} is unavailable; retry in ${RETRY_AFTER_SECONDS} s`, headers };
  }
}

/**
 * One log line per downstream fault; a timeout (our deadline's abort or the
 * client's) also counts as `BudgetExhausted`: the work stopped at its time budget.
 */
export function logFault(fault: DownstreamFault, dependency: string, err: unknown): void {
  const error = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
  const scope = log();
  scope.warn(`${dependency}: ${fault}`, { event: "DOWNSTREAM_FAULT", fault, dependency, error, ...(fault === "timeout" ? outcomeField(OUTCOMES.budgetExhausted) : {}) });
  if (fault === "timeout") scope.count(OUTCOMES.budgetExhausted);
}
