/**
 * What a handler wrote, read back as CloudWatch would: every line one JSON
 * object, either a log record (the project's one shape) or an EMF blob
 * (checked against AWS's Embedded Metric Format specification).
 */
import { CORRELATION_FIELD } from "../../handlers/shared/outcomes";

/** The keys every log record carries (`handlers/shared/observability.ts`). */
export const LOG_KEYS = ["level", "timestamp", "service", "function_request_id", CORRELATION_FIELD, "message"] as const;

/** CloudWatch's units (MetricDatum `Unit`). */
const UNITS = new Set([
  "Seconds", "Microseconds", "Milliseconds", "Bytes", "Kilobytes", "Megabytes", "Gigabytes", "Terabytes", "Bits", "Kilobits",
  "Megabits", "Gigabits", "Terabits", "Percent", "Count", "Bytes/Second", "Kilobytes/Second", "Megabytes/Second",
  "Gigabytes/Second", "Terabytes/Second", "Bits/Second", "Kilobits/Second", "Megabits/Second", "Gigabits/Second",
  "Terabits/Second", "Count/Second", "None",
]);

export type LogRecord = Readonly<Record<string, unknown>>;

export interface EmfBlob {
  readonly _aws: {
    readonly Timestamp: number;
    readonly CloudWatchMetrics: readonly {
      readonly Namespace: string;
      readonly Dimensions: readonly (readonly string[])[];
      readonly Metrics: readonly { readonly Name: string; readonly Unit?: string; readonly StorageResolution?: number }[];
    }[];
  };
  readonly [key: string]: unknown;
}

export interface Output {
  readonly records: LogRecord[];
  readonly blobs: EmfBlob[];
  /** Lines that are not JSON objects, or break the shape: what and why. */
  readonly problems: string[];
}

/** Problems of one EMF blob against the specification (empty: valid). */
export function emfProblems(blob: Record<string, unknown>): string[] {
  const problems: string[] = [];
  const aws = blob._aws as Record<string, unknown> | undefined;
  if (typeof aws?.Timestamp !== "number" || !Number.isInteger(aws.Timestamp)) problems.push("_aws.Timestamp is not epoch milliseconds");
  const directives = aws?.CloudWatchMetrics;
  if (!Array.isArray(directives) || directives.length === 0) return [...problems, "_aws.CloudWatchMetrics is not a non-empty array"];
  for (const d of directives as Record<string, unknown>[]) {
    if (typeof d.Namespace !== "string" || d.Namespace.length === 0 || d.Namespace.length > 1024) problems.push("Namespace is not a 1..1024 character string");
    const dimensions = d.Dimensions;
    if (!Array.isArray(dimensions)) problems.push("Dimensions is not an array");
    else
      for (const set of dimensions as unknown[]) {
        if (!Array.isArray(set) || set.length > 30) problems.push("a dimension set is not an array of at most 30 keys");
        else for (const key of set) if (typeof blob[String(key)] !== "string") problems.push(`dimension ${String(key)} has no string value at the root`);
      }
    const metrics = d.Metrics;
    if (!Array.isArray(metrics) || metrics.length > 100) problems.push("Metrics is not an array of at most 100");
    else
      for (const m of metrics as Record<string, unknown>[]) {
        const name = String(m.Name);
        if (typeof m.Name !== "string" || name.length === 0 || name.length > 1024) problems.push("a metric has no 1..1024 character Name");
        if (m.Unit !== undefined && !UNITS.has(String(m.Unit))) problems.push(`${name}: unknown unit ${String(m.Unit)}`);
        if (m.StorageResolution !== undefined && m.StorageResolution !== 1 && m.StorageResolution !== 60) problems.push(`${name}: StorageResolution is not 1 or 60`);
        const value = blob[name];
        const numbers = Array.isArray(value) ? value : [value];
        if (numbers.length === 0 || numbers.length > 100 || !numbers.every((v) => typeof v === "number" && Number.isFinite(v))) {
          problems.push(`${name}: the root holds no number (or array of at most 100)`);
        }
      }
  }
  return problems;
}

/** Every line of `text` read back; `problems` names each line that is neither a record of the shape nor a valid blob. */
export function readOutput(text: string): Output {
  const records: LogRecord[] = [];
  const blobs: EmfBlob[] = [];
  const problems: string[] = [];
  for (const line of text.split("\n")) {
    if (line.trim() === "" || /^\[process exited: /.test(line)) continue;
    let parsed: unknown;
    try {
      parsed = JSON.parse(line);
    } catch {
      problems.push(`not JSON: ${line.slice(0, 200)}`);
      continue;
    }
    if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
      problems.push(`not a JSON object: ${line.slice(0, 200)}`);
      continue;
    }
    const object = parsed as Record<string, unknown>;
    if ("_aws" in object) {
      const wrong = emfProblems(object);
      if (wrong.length > 0) problems.push(`EMF ${wrong.join("; ")}: ${line.slice(0, 200)}`);
      else blobs.push(object as EmfBlob);
      continue;
    }
    const missing = LOG_KEYS.filter((key) => typeof object[key] !== "string" || object[key] === "");
    if (missing.length > 0) problems.push(`no ${missing.join(", ")}: ${line.slice(0, 200)}`);
    else records.push(object);
  }
  return { records, blobs, problems };
}

/** The sum of `metric` over the blobs whose dimension set is exactly `dimensions` (keys and values). */
export function metricSum(blobs: readonly EmfBlob[], metric: string, dimensions: Readonly<Record<string, string>>): number {
  const keys = Object.keys(dimensions).sort().join(",");
  let sum = 0;
  for (const blob of blobs) {
    for (const d of blob._aws.CloudWatchMetrics) {
      if (!d.Metrics.some((m) => m.Name === metric)) continue;
      for (const set of d.Dimensions) {
        if ([...set].sort().join(",") !== keys || !set.every((k) => blob[k] === dimensions[k])) continue;
        const value = blob[metric];
        sum += Array.isArray(value) ? value.reduce((a: number, b: number) => a + b, 0) : Number(value);
      }
    }
  }
  return sum;
}
