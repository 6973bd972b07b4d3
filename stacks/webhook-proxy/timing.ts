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
