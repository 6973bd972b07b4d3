/** How long the stream must keep records so a dead-letter pointer can still be replayed: checked at synth. */

/** Kinesis limits on a stream's retention, in hours. */
export const STREAM_RETENTION_LIMITS = { min: 24, max: 8760 } as const;

/**
 * The shortest retention (hours, whole) that still lets a dead-letter pointer be replayed: a record
 * reaches the dead-letter queue at most `maximumRecordAgeSeconds` after it arrived, and the team needs
 * `reactionWindowHours` after that to replay it from the stream.
 */
export function minimumStreamRetentionHours(t: { readonly maximumRecordAgeSeconds: number; readonly reactionWindowHours: number }): number {
  return Math.max(STREAM_RETENTION_LIMITS.min, Math.ceil(t.maximumRecordAgeSeconds / 3600 + t.reactionWindowHours));
}

/** Throws when the stream would drop records before their dead-letter pointers can be replayed. */
export function checkStreamRetention(t: {
  readonly retentionHours: number;
  readonly maximumRecordAgeSeconds: number;
  readonly reactionWindowHours: number;
}): void {
  const { min, max } = STREAM_RETENTION_LIMITS;
  if (!Number.isInteger(t.retentionHours) || t.retentionHours < min || t.retentionHours > max) {
    throw new Error(`kinesis-ingest: the stream retention must be a whole number of hours in ${min}..${max}, got ${t.retentionHours}.`);
  }
  const required = minimumStreamRetentionHours(t);
  if (t.retentionHours < required) {
    throw new Error(
      `kinesis-ingest: the stream retention (${t.retentionHours} h) must be at least the mapping's maximum record age ` +
        `(${t.maximumRecordAgeSeconds} s) + the reaction window (${t.reactionWindowHours} h) = ${required} h, ` +
        `or dead-lettered records expire from the stream before anyone can replay them.`,
    );
  }
}
