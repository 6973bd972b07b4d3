/**
 * A handler's time is a budget, not a hope. The function's timeout reaches the
 * code as `FUNCTION_TIMEOUT_MS` (set by the NodejsFunction construct from the
 * same number Terraform gives Lambda); from it follow
 *
 * - the safety margin kept free at the end of every invocation to log and
 *   return an answer or a list of failures (`safetyMarginMs`);
 * - the SDK clients' connection timeout, request timeout and retry count,
 *   sized so one call with all its retries and the longest backoffs between
 *   them fits inside the function's time (`sdkCallBudget`, used by
 *   `aws-clients.ts`);
 * - per invocation, a `Deadline` on `context.getRemainingTimeInMillis()`
 *   minus that margin, which hands every call an AbortSignal.
 *
 * No AWS SDK import here: cheap to load, and shared by every handler.
 */
import { Environment, integer } from "./env";

/** The function timeout when `FUNCTION_TIMEOUT_MS` is absent: Lambda's default. */
export const DEFAULT_FUNCTION_TIMEOUT_MS = 3000;

/** A single SDK request never waits longer than this, whatever the function timeout (DynamoDB answers in ms). */
export const MAX_REQUEST_TIMEOUT_MS = 5000;
/** A TCP connect never waits longer than this. */
export const MAX_CONNECTION_TIMEOUT_MS = 1000;
/**
 * The base of the SDK's backoff for throttling errors, its largest: the wait
 * before retry n (n = 1, 2, ...) is at most 1000 ms x 2^(n-1).
 *
 * Source, the installed SDK's standard retry strategy (@smithy/core 3.41.0,
 * `dist-cjs/submodules/retry/index.js`): `Retry.throttlingDelay()` = 1000 ms
 * for throttling errors (`Retry.delay()` = 50 ms for other retryable ones),
 * full jitter: random x min(base x 2^(n-1), 20 s). The bound holds whatever a
 * service answers: the shared clients drop retry hints (`aws-clients.ts` says why).
 * `__tests__/time-budget.test.ts` checks this number against the installed SDK.
 */
export const THROTTLING_BACKOFF_BASE_MS = 1000;

/** The longest wait the shared clients make before retry n (n = 1, 2, ...). */
export function maxBackoffBeforeRetryMs(retry: number): number {
  return THROTTLING_BACKOFF_BASE_MS * 2 ** (retry - 1);
}

/** Lambda's longest timeout: 15 minutes. */
export const MAX_FUNCTION_TIMEOUT_MS = 900_000;

/**
 * The function's timeout in ms, from `FUNCTION_TIMEOUT_MS` (3 s when absent);
 * a value that is not a whole number from 1 to 900,000 is a ConfigError (`env.ts`).
 */
export function functionTimeoutMs(env: Environment = process.env): number {
  return integer("FUNCTION_TIMEOUT_MS", { min: 1, max: MAX_FUNCTION_TIMEOUT_MS, default: DEFAULT_FUNCTION_TIMEOUT_MS }, env);
}

/**
 * Time kept free at the end of an invocation: 10 % of the timeout, at least
 * 100 ms (room to serialize and return) and at most 1 s.
 */
export function safetyMarginMs(timeoutMs: number): number {
  return Math.round(Math.min(1000, Math.max(100, timeoutMs * 0.1)));
}

/** How one SDK call (with its retries) is bounded. */
export interface SdkCallBudget {
  /** Calls per operation, the first included (the SDK's `maxAttempts`). */
  readonly maxAttempts: number;
  readonly connectionTimeoutMs: number;
  /** Longest wait for one answer (the SDK throws a TimeoutError after it). */
  readonly requestTimeoutMs: number;
}

export interface SdkCallBudgetOptions {
  /** @default 2: one retry, for a transient blip; longer waits are the handler's call, not the SDK's */
  readonly maxAttempts?: number;
  /** Milliseconds one operation may take with all its attempts. @default the function's time minus its margin */
  readonly operationBudgetMs?: number;
}

/**
 * Sizes the SDK's retries to the time: `maxAttempts` requests of
 * `requestTimeoutMs` each, plus the largest backoffs between them
 * (`maxBackoffBeforeRetryMs`), fit in the operation budget (by default the
 * whole function time minus the margin).
 */
export function sdkCallBudget(env: Environment = process.env, options: SdkCallBudgetOptions = {}): SdkCallBudget {
  const timeout = functionTimeoutMs(env);
  const budget = options.operationBudgetMs ?? timeout - safetyMarginMs(timeout);
  const backoffsBefore = (attempts: number): number => {
    let total = 0;
    for (let retry = 1; retry < attempts; retry++) total += maxBackoffBeforeRetryMs(retry);
    return total;
  };
  // Fewer attempts when the backoffs alone would not leave each attempt a useful 100 ms.
  let maxAttempts = Math.max(1, Math.floor(options.maxAttempts ?? 2));
  while (maxAttempts > 1 && budget - backoffsBefore(maxAttempts) < maxAttempts * 100) maxAttempts--;
  const perAttempt = Math.floor((budget - backoffsBefore(maxAttempts)) / maxAttempts);
  const requestTimeoutMs = Math.max(100, Math.min(MAX_REQUEST_TIMEOUT_MS, perAttempt));
  return {
    maxAttempts,
    requestTimeoutMs,
    connectionTimeoutMs: Math.max(50, Math.min(MAX_CONNECTION_TIMEOUT_MS, Math.floor(requestTimeoutMs / 2))),
  };
}

/** What a handler needs of Lambda's context. */
export interface RemainingTime {
  getRemainingTimeInMillis(): number;
}

/**
 * The time an invocation has for its work: Lambda's remaining time minus the
 * safety margin. Every downstream call takes `signal()`, so a silent
 * dependency is abandoned while the handler still has time to answer.
 */
export class Deadline {
  private constructor(
    private readonly remainingMs: () => number,
    /** Kept free at the end for the answer. */
    readonly marginMs: number,
  ) {}

  /**
   * From Lambda's context; without one (a direct call in a test or a tool),
   * from `FUNCTION_TIMEOUT_MS` counted from now.
   */
  static of(context: RemainingTime | undefined, env: Environment = process.env): Deadline {
    const timeout = functionTimeoutMs(env);
    if (context && typeof context.getRemainingTimeInMillis === "function") {
      return new Deadline(() => context.getRemainingTimeInMillis(), safetyMarginMs(timeout));
    }
    const end = Date.now() + timeout;
    return new Deadline(() => end - Date.now(), safetyMarginMs(timeout));
  }

  /** A deadline `ms` from now with no margin: for tools and tests. */
  static in(ms: number): Deadline {
    const end = Date.now() + ms;
    return new Deadline(() => end - Date.now(), 0);
  }

  /** Milliseconds left for work (never negative). */
  leftMs(): number {
    return Math.max(0, this.remainingMs() - this.marginMs);
  }

  /** True when less than `ms` is left for work. */
  below(ms: number): boolean {
    return this.leftMs() < ms;
  }

  /** A signal that aborts when the time for work ends, or after `capMs` if that comes first. */
  signal(capMs = Number.POSITIVE_INFINITY): AbortSignal {
    return AbortSignal.timeout(Math.max(1, Math.floor(Math.min(capMs, this.leftMs()))));
  }
}
