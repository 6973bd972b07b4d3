/**
 * `npm run replay -- <id> --dashboard FILE.html`: the replay's own figures
 * laid out as the stack's CloudWatch dashboard is, before anything is
 * deployed. One self-contained page (no network): the dashboard body comes
 * from synthesizing the stack (its `PatternDashboard`, or one built over the
 * stack when it has none), every widget is filled from the replay:
 *
 * - AWS metrics from the engine counters (`ReplaySummary`: arrivals, writes or
 *   deliveries, backlog, dead letters, concurrency, latency);
 * - the handlers' outcome metrics from the EMF blobs they wrote;
 * - the Logs Insights tables from their log lines (dead letters, failures);
 * - the alarm-status widget from the same figures against each alarm's threshold.
 *
 * A metric the replay has no figure for is named in the widget's legend as such.
 * The page draws its charts in the browser (`dashboard-page.ts`).
 */
import { readFileSync } from "node:fs";
import * as path from "node:path";
import { Testing } from "cdktf";
import type { ReplaySummary, Sample } from "./metrics";
import { PAGE_SCRIPT, PAGE_STYLE } from "./dashboard-page";
import { evaluate, stackFromJson, type SynthesizedStack } from "../emulator/synth";

/** A line on a chart: `[seconds since the start, value]` points. */
export interface Series {
  readonly label: string;
  readonly points: readonly (readonly [number, number])[];
}

export interface PageWidget {
  readonly type: "metric" | "alarm" | "log";
  readonly title: string;
  readonly x: number;
  readonly y: number;
  readonly width: number;
  readonly height: number;
  readonly series?: readonly Series[];
  /** Metric lines the replay has no figure for. */
  readonly unmeasured?: readonly string[];
  readonly annotations?: readonly { readonly label: string; readonly value: number }[];
  readonly alarms?: readonly { readonly name: string; readonly state: "ALARM" | "OK" | "INSUFFICIENT_DATA"; readonly why: string }[];
  readonly columns?: readonly string[];
  readonly rows?: readonly (readonly string[])[];
}

/** Collects the handlers' lines during the replay (`tee` wraps the replay's own log sink). */
export class ReplayDashboard {
  private readonly lines: string[] = [];
  constructor(readonly stackId: string) {}

  tee(next?: (level: string, line: string) => void): (level: string, line: string) => void {
    return (level, line) => {
      this.lines.push(line);
      next?.(level, line);
    };
  }

  /** The page, from the stack's dashboard body and what the replay measured. */
  render(summary: ReplaySummary, synthDir?: string): string {
    // Called as the replay ends: its start is its duration ago (taken before the synth below).
    const startedAt = Date.now() - summary.durationMs;
    const stack = synthDir ? readStackJson(synthDir, this.stackId) : synthesizeWithDashboard(this.stackId);
    const widgets = pageWidgets(stack, summary, this.lines, startedAt);
    return html(`${this.stackId}: replay laid out as its dashboard`, summary, widgets);
  }
}

function readStackJson(synthDir: string, id: string): SynthesizedStack {
  const json = JSON.parse(readFileSync(path.join(synthDir, "stacks", id, "cdk.tf.json"), "utf8")) as Record<string, unknown>;
  const resources = (json.resource ?? {}) as Record<string, unknown>;
  return resources.aws_cloudwatch_dashboard ? stackFromJson(id, json) : synthesizeWithDashboard(id);
}

/** The stack as the app builds it, with a dashboard over it when it has none of its own. */
function synthesizeWithDashboard(id: string): SynthesizedStack {
  const { loadDeployment } = require("../../config") as typeof import("../../config");
  const { STACKS } = require("../../main") as typeof import("../../main");
  const { PatternDashboard } = require("../../blocks/observability/dashboard") as typeof import("../../blocks/observability/dashboard");
  const entry = STACKS.find((e) => e.id === id);
  if (!entry) throw new Error(`no stack ${id} in the registry`);
  const stack = entry.build(Testing.app(), loadDeployment({ LAMBDA_PACKAGING: "asset" }));
  if (!stack.node.findAll().some((n) => n instanceof PatternDashboard)) new PatternDashboard(stack, "dashboard", { dashboardName: `${id}-replay` });
  return stackFromJson(id, Testing.synth(stack));
}

/** A log record and its second since the start. */
interface Timed {
  readonly t: number;
  readonly values: Readonly<Record<string, unknown>>;
}

/** Per second, the `stat` (p50, p99, Maximum) of the invocations' `duration_ms` (each invocation's last line carries it). */
function durations(records: readonly Timed[], stat: string): [number, number][] | undefined {
  const bySecond = new Map<number, number[]>();
  for (const r of records) {
    if (typeof r.values.duration_ms !== "number") continue;
    const second = Math.floor(r.t);
    (bySecond.get(second) ?? bySecond.set(second, []).get(second)!).push(r.values.duration_ms);
  }
  if (bySecond.size === 0) return undefined;
  const pick = (values: number[]): number => {
    const sorted = [...values].sort((a, b) => a - b);
    if (stat === "Maximum") return sorted[sorted.length - 1];
    const p = stat === "p50" ? 0.5 : 0.99;
    return sorted[Math.min(sorted.length - 1, Math.ceil(p * sorted.length) - 1)];
  };
  return [...bySecond.entries()].sort(([a], [b]) => a - b).map(([second, values]) => [second, pick(values)]);
}

interface Emf {
  readonly t: number;
  readonly values: Readonly<Record<string, unknown>>;
  readonly metrics: readonly string[];
}

/** The body with every `${...}` the stack can evaluate (variables, locals) put in; the rest as bare references. */
function bodyOf(stack: SynthesizedStack): { widgets: Record<string, unknown>[] } {
  const block = Object.values(stack.json.resource.aws_cloudwatch_dashboard ?? {})[0];
  if (!block) throw new Error(`${stack.id}: no aws_cloudwatch_dashboard`);
  const text = String(block.dashboard_body).replace(/\$\{([^}]*)\}/g, (whole, inner: string) => {
    try {
      const value = evaluate(stack, whole);
      return typeof value === "number" ? String(value) : String(value).replace(/"/g, '\\"');
    } catch {
      return inner;
    }
  });
  return JSON.parse(text) as { widgets: Record<string, unknown>[] };
}

const per = (samples: readonly Sample[], pick: (s: Sample) => number): [number, number][] =>
  samples.slice(1).map((s, i) => [s.t / 1000, Math.max(0, (pick(s) - pick(samples[i])) / Math.max(0.001, (s.t - samples[i].t) / 1000))]);
const level = (samples: readonly Sample[], pick: (s: Sample) => number): [number, number][] => samples.map((s) => [s.t / 1000, pick(s)]);
const flat = (samples: readonly Sample[], value: number): [number, number][] => [
  [0, value],
  [(samples[samples.length - 1]?.t ?? 0) / 1000, value],
];

/** The replay's figure for one CloudWatch metric (namespace, name, dimensions), if it has one. */
function figure(
  ns: string,
  name: string,
  dims: Readonly<Record<string, string>>,
  options: { readonly stat: string; readonly deadLetters: boolean },
  summary: ReplaySummary,
  emf: readonly Emf[],
  records: readonly Timed[],
): [number, number][] | undefined {
  const stat = options.stat;
  const s = summary.samples;
  if (ns === "spike-proof-serverless") {
    const matching = emf.filter((b) => b.metrics.includes(name) && Object.entries(dims).every(([k, v]) => k === "FunctionName" || b.values[k] === v));
    const wanted = Object.keys(dims).sort().join(",");
    const buckets = new Map<number, number>();
    for (const b of matching) {
      const keys = Object.keys(b.values).filter((k) => ["service", "FunctionName", "Reason", "StatusClass"].includes(k)).sort().join(",");
      if (keys !== wanted) continue;
      const second = Math.floor(b.t);
      buckets.set(second, (buckets.get(second) ?? 0) + Number(b.values[name] ?? 0));
    }
    const end = Math.ceil((s[s.length - 1]?.t ?? 0) / 1000);
    return Array.from({ length: end + 1 }, (_, i): [number, number] => [i, buckets.get(i) ?? 0]);
  }
  switch (name) {
    case "Count":
    case "RequestCount":
    case "IncomingRecords":
    case "NumberOfMessagesSent":
      return per(s, (x) => x.arrived);
    case "Throttles":
      return flat(s, 0);
    case "ConcurrentExecutions":
      return flat(s, summary.maxConcurrency);
    case "GetRecords.IteratorAgeMilliseconds":
    case "ApproximateAgeOfOldestMessage":
      return undefined;
    case "ApproximateNumberOfMessagesVisible":
      // On the dead-letter widget the queue is a dead-letter queue: what reached it stays there.
      return options.deadLetters ? level(s, (x) => x.deadLettered) : level(s, (x) => x.backlog);
    case "NumberOfMessagesDeleted":
      return per(s, (x) => x.done);
    case "Errors":
      return flat(s, summary.failedInvocations);
    case "5XXError":
    case "5xx":
    case "HTTPCode_Target_5XX_Count":
      return flat(s, summary.rejected);
    case "Duration":
      return durations(records.filter((r) => r.values.function_name === dims.FunctionName), stat);
    default:
      return undefined;
  }
}

function pageWidgets(stack: SynthesizedStack, summary: ReplaySummary, lines: readonly string[], start: number): PageWidget[] {
  const records: Record<string, unknown>[] = [];
  const timed: Timed[] = [];
  const emf: Emf[] = [];
  for (const line of lines) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(line);
    } catch {
      continue;
    }
    if (typeof parsed !== "object" || parsed === null) continue;
    const o = parsed as Record<string, unknown> & { _aws?: { Timestamp: number; CloudWatchMetrics: { Metrics: { Name: string }[] }[] } };
    if (o._aws) emf.push({ t: Math.max(0, (o._aws.Timestamp - start) / 1000), values: o, metrics: o._aws.CloudWatchMetrics.flatMap((d) => d.Metrics.map((m) => m.Name)) });
    else {
      records.push(o);
      const at = typeof o.timestamp === "string" ? Date.parse(o.timestamp) : NaN;
      if (!Number.isNaN(at)) timed.push({ t: Math.max(0, (at - start) / 1000), values: o });
    }
  }
  const emfTotal = (metric: string): number => emf.filter((b) => b.metrics.includes(metric) && !("Reason" in b.values)).reduce((a, b) => a + Number(b.values[metric] ?? 0), 0);

  return bodyOf(stack).widgets.map((w): PageWidget => {
    const p = w.properties as Record<string, unknown>;
    const base = { title: String(p.title ?? ""), x: Number(w.x), y: Number(w.y), width: Number(w.width), height: Number(w.height) };
    if (w.type === "alarm") {
      const alarms = ((p.alarms as string[]) ?? []).map((arn) => alarmState(stack, arn, summary, emfTotal));
      return { ...base, type: "alarm", alarms };
    }
    if (w.type === "log") {
      const query = String(p.query);
      const wanted = query.includes("outcome =")
        ? records.filter((r) => r.outcome === "DeadLettered")
        : query.includes("status")
          ? []
          : records.filter((r) => r.level === "ERROR" || r.level === "CRITICAL");
      const columns = ["timestamp", "correlation_id", "service", "level", "message"];
      const rows = wanted.slice(-20).reverse().map((r) => columns.map((c) => String(r[c] ?? "")));
      // API 429s: the replays' front doors answer throttling in the summary's rejections.
      if (query.includes("status")) return { ...base, type: "metric", series: [{ label: "rejected (all errors, 429s among them)", points: flat(summary.samples, summary.rejected) }] };
      return { ...base, type: "log", columns, rows };
    }
    const series: Series[] = [];
    const unmeasured: string[] = [];
    for (const line of (p.metrics as unknown[][]) ?? []) {
      const options = (typeof line[line.length - 1] === "object" ? line[line.length - 1] : {}) as Record<string, unknown>;
      if (options.visible === false) continue;
      const label = String(options.label ?? line.slice(0, 2).join(" "));
      if (typeof line[0] !== "string") {
        if (String(options.expression).startsWith("IF(")) series.push({ label, points: drain(summary.samples) });
        else unmeasured.push(label);
        continue;
      }
      const [ns, name, ...rest] = line as string[];
      const dims: Record<string, string> = {};
      for (let i = 0; i + 1 < rest.length && typeof rest[i + 1] === "string"; i += 2) dims[rest[i]] = rest[i + 1];
      const points = figure(ns, name, dims, { stat: String(options.stat ?? p.stat ?? "Sum"), deadLetters: base.title === "Dead letters" }, summary, emf, timed);
      if (points) series.push({ label, points });
      else unmeasured.push(label);
    }
    // The replay measures from accepted to stored or delivered: shown beside the front door's and functions' latency.
    if (base.title.startsWith("Latency")) {
      for (const [label, value] of [["p50", summary.latency.p50], ["p99", summary.latency.p99]] as const) {
        series.push({ label: `accepted -> stored or delivered ${label} (replay, end to end)`, points: flat(summary.samples, value) });
      }
    }
    // The replay counts what waits in the stream or queue directly: the backlog widget shows it beside the metrics.
    if (base.title === "Backlog") series.push({ label: "waiting in the stream or queue (replay's count)", points: level(summary.samples, (x) => x.backlog) });
    const annotations = ((p.annotations as { horizontal?: { label: string; value: unknown }[] })?.horizontal ?? [])
      .filter((a) => typeof a.value === "number")
      .map((a) => ({ label: a.label, value: a.value as number }));
    return { ...base, type: "metric", series, unmeasured, annotations };
  });
}

/** Seconds to empty the backlog at the rate it was taken away: the dashboard's time-to-drain math. */
function drain(samples: readonly Sample[]): [number, number][] {
  const rate = per(samples, (s) => s.done);
  return samples.slice(1).map((s, i) => [s.t / 1000, rate[i][1] > 0 ? s.backlog / rate[i][1] : 0]);
}

function alarmState(stack: SynthesizedStack, arn: string, summary: ReplaySummary, emfTotal: (metric: string) => number): NonNullable<PageWidget["alarms"]>[number] {
  const name = /aws_cloudwatch_metric_alarm\.([^.]+)\.arn/.exec(arn)?.[1] ?? arn;
  const block = stack.json.resource.aws_cloudwatch_metric_alarm?.[name] ?? {};
  let alarmName = String(block.alarm_name ?? name);
  try {
    alarmName = String(evaluate(stack, block.alarm_name));
  } catch {
    // A name known only after apply: the Terraform address stands in.
  }
  const metric = String(block.metric_name ?? "");
  const threshold = Number(block.threshold ?? 0);
  const value =
    block.namespace === "spike-proof-serverless"
      ? emfTotal(metric)
      : metric === "ApproximateNumberOfMessagesVisible"
        ? summary.deadLettered
        : metric === "Errors"
          ? summary.failedInvocations
          : undefined;
  if (value === undefined) return { name: alarmName, state: "INSUFFICIENT_DATA", why: `${metric}: no replay figure` };
  return { name: alarmName, state: value > threshold ? "ALARM" : "OK", why: `${metric} ${value} against ${threshold}` };
}

const escape = (text: string): string => text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");

function html(title: string, summary: ReplaySummary, widgets: readonly PageWidget[]): string {
  // `<` escaped so no value can close the script element.
  const data = JSON.stringify({ widgets }).replace(/</g, "\\u003c");
  const facts = `${summary.sent} sent, ${summary.accepted} accepted, ${summary.delivered} delivered, ${summary.deadLettered} dead-lettered, ${summary.lost} lost, in ${(summary.durationMs / 1000).toFixed(1)} s`;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escape(title)}</title><style>${PAGE_STYLE}</style></head>
<body><h1>${escape(title)}</h1><p class="facts">${escape(facts)}</p><main id="grid"></main>
<script id="data" type="application/json">${data}</script>
<script>${PAGE_SCRIPT}</script></body></html>
`;
}
