/**
 * mediaConvertJobIdToStatusApi's logic: MediaConvert job id -> status, progress
 * and, once finished, the output's details or the error, from the
 * `MediaConvertJobIdToStatus` table (key `JobId`).
 */
import { itemEndpoint } from "./api";

/**
 * Python's `int(item[...])` on a DynamoDB number (a Decimal): truncates toward
 * zero. A missing or non-numeric attribute is `null` in the answer rather
 * than the seed's KeyError/ValueError (a 500 for a half-written item).
 */
export function toInt(value: unknown): number | null {
  const number = typeof value === "number" ? value : typeof value === "string" && value.trim() !== "" ? Number(value) : NaN;
  return Number.isFinite(number) ? Math.trunc(number) : null;
}

/** A DynamoDB value as JSON: string/number sets (JS `Set`s in the document client) become arrays. */
export function plain(value: unknown): unknown {
  if (value instanceof Set) return [...value].map(plain);
  if (Array.isArray(value)) return value.map(plain);
  if (value instanceof Uint8Array) return Buffer.from(value).toString("base64");
  if (typeof value === "object" && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([key, inner]) => [key, plain(inner)]));
  }
  return value ?? null;
}

/**
 * The seed's `success_response(item)`: `job_status`, `progress_rate`, plus
 * for COMPLETE `duration_ms, width_px, height_px, output_path, playlists`
 * and for ERROR `error_code, error_message`.
 */
export function statusFields(item: Record<string, unknown>): Record<string, unknown> {
  const jobStatus = item.JobStatus ?? null;
  const fields: Record<string, unknown> = { job_status: jobStatus, progress_rate: toInt(item.ProgressRate) };
  if (jobStatus === "COMPLETE") {
    Object.assign(fields, {
      duration_ms: toInt(item.DurationMs),
      width_px: toInt(item.WidthPx),
      height_px: toInt(item.HeightPx),
      output_path: plain(item.OutputPath),
      playlists: plain(item.Playlists),
    });
  } else if (jobStatus === "ERROR") {
    Object.assign(fields, { error_code: toInt(item.ErrorCode), error_message: plain(item.ErrorMessage) });
  }
  return fields;
}

/** The endpoint: `?job_id=<id>` -> `{ success, job_status, progress_rate, ... }`. */
export const jobIdToStatus = itemEndpoint("job_id", "JobId", statusFields);
