/** The queue, function and mapping limits the stack checks at synth: a violation fails `cdktf synth` with the reason. */

/** Lambda's event source mapping admits a maximum concurrency of 2 to 1000. */
export const MIN_MAXIMUM_CONCURRENCY = 2;
export const MAX_MAXIMUM_CONCURRENCY = 1000;

/** Throws when the queue/function timing would let a message be received twice while still in flight. */
export function checkQueueTiming(t: {
  readonly visibilityTimeoutSeconds: number;
  readonly functionTimeoutSeconds: number;
  readonly maximumBatchingWindowSeconds: number;
  readonly upstreamTimeoutMs: number;
}): void {
  const required = 6 * t.functionTimeoutSeconds + t.maximumBatchingWindowSeconds;
  if (t.visibilityTimeoutSeconds < required) {
    throw new Error(
      `webhook-proxy: the queue's visibility timeout (${t.visibilityTimeoutSeconds} s) must be at least ` +
        `6 x the sqs2upstream timeout (${t.functionTimeoutSeconds} s) + the batching window ` +
        `(${t.maximumBatchingWindowSeconds} s) = ${required} s, or messages are received again while in flight.`
    );
  }
  if (t.upstreamTimeoutMs <= 0 || t.upstreamTimeoutMs >= t.functionTimeoutSeconds * 1000) {
    throw new Error(
      `webhook-proxy: the upstream timeout (${t.upstreamTimeoutMs} ms) must be positive and below the ` +
        `sqs2upstream timeout (${t.functionTimeoutSeconds * 1000} ms), so a slow upstream is a reported failure.`
    );
  }
}

/**
 * The p99 duration `api2sqs` is sized for: a format check, an HMAC and one
 * SendMessage; the secret is read once per container per 5 minutes. Reserved
 * concurrency = peak requests/s x p99 (s) x 2 (media-alb's rule), and a burst
 * at once needs burst x p99 (s).
 */
export const API2SQS_P99_MS = 100;

/** The reserved concurrency `api2sqs` needs to take the stage's rate and burst (the rule above). */
export function api2sqsConcurrencyFor(stage: { readonly rateLimit: number; readonly burstLimit: number }): number {
  return Math.ceil(Math.max((stage.rateLimit * 2 * API2SQS_P99_MS) / 1000, (stage.burstLimit * API2SQS_P99_MS) / 1000));
}

/**
 * The same rule as an HCL condition over plan-time values, each `var.<name>` or a
 * literal number (integer arithmetic: no binary fraction such as 0.2).
 */
export function api2sqsConcurrencyCondition(reserved: string, rate: string, burst: string): string {
  return `\${${reserved} >= ceil(max(${rate} * ${2 * API2SQS_P99_MS} / 1000, ${burst} * ${API2SQS_P99_MS} / 1000))}`;
}

/** Throws when the defaults let the stage admit more than `api2sqs`'s reserved concurrency can take. */
export function checkFrontDoorConcurrency(c: { readonly reserved: number; readonly rateLimit: number; readonly burstLimit: number }): void {
  const needed = api2sqsConcurrencyFor(c);
  if (c.reserved < needed) {
    throw new Error(
      `webhook-proxy: api2sqs's reserved concurrency (${c.reserved}) is below what the stage admits: ` +
        `max(${c.rateLimit} requests/s x ${API2SQS_P99_MS} ms x 2, a burst of ${c.burstLimit} x ${API2SQS_P99_MS} ms) = ${needed}. ` +
        `Raise api2sqsReservedConcurrency or lower throttlingRateLimit / throttlingBurstLimit.`,
    );
  }
}
