/**
 * What a replay measures and how it reports it: counters, a time series
 * sampled every `intervalMs` (for the chart), latency percentiles, the
 * summary table, and a progress bar on stderr when it is a terminal.
 */

/** One sample of the time series: cumulative counts and the backlog at `t` ms after the start. */
export interface Sample {
  readonly t: number;
  /** Requests answered by the front door so far (accepted or not). */
  readonly arrived: number;
  /** Records written / webhooks delivered so far (unique). */
  readonly done: number;
  /** Records / messages waiting in the buffer (stream or queue) at `t`. */
  readonly backlog: number;
  /** Dead-lettered so far. */
  readonly deadLettered: number;
}

export interface Latency {
  readonly p50: number;
  readonly p90: number;
  readonly p99: number;
  readonly max: number;
}

export interface ReplaySummary {
  readonly stack: string;
  readonly settings: Record<string, number | string | boolean>;
  readonly sent: number;
  readonly accepted: number;
  /** Answered with an error by the front door (the client would retry). */
  readonly rejected: number;
  /** Written to the table (kinesis-ingest) or delivered upstream (webhook-proxy), each counted once. */
  readonly delivered: number;
  /** Extra writes / deliveries of something already written or delivered. */
  readonly duplicates: number;
  readonly deadLettered: number;
  /** Accepted, yet neither delivered nor dead-lettered. Must be 0. */
  readonly lost: number;
  /** Handler invocations, and how many failed as a whole (error or timeout). */
  readonly invocations: number;
  readonly failedInvocations: number;
  /** Invocations still running at the function's timeout (Lambda kills them; they report nothing). Must be 0. */
  readonly timedOutInvocations?: number;
  /** Largest number of concurrent handler invocations (kinesis) or upstream requests (webhook). */
  readonly maxConcurrency: number;
  /** The bound `maxConcurrency` must respect, from the synthesized stack. */
  readonly concurrencyLimit?: number;
  readonly durationMs: number;
  /** Accepted requests per second while sending. */
  readonly acceptRate: number;
  /** Delivered per second, from the first request to the last delivery. */
  readonly throughput: number;
  /** From the request being accepted to its record written / webhook delivered, ms. */
  readonly latency: Latency;
  /** Notable facts (faults injected, engine quirks worked around). */
  readonly notes: readonly string[];
  readonly samples: readonly Sample[];
}

export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return 0;
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[index];
}

export function latencyOf(values: readonly number[]): Latency {
  const sorted = [...values].sort((a, b) => a - b);
  return {
    p50: percentile(sorted, 50),
    p90: percentile(sorted, 90),
    p99: percentile(sorted, 99),
    max: sorted.length ? sorted[sorted.length - 1] : 0,
  };
}

/** Samples `read()` every `intervalMs` until stopped; the progress bar is drawn from the same samples. */
export class Recorder {
  readonly samples: Sample[] = [];
  private readonly start = Date.now();
  private timer?: NodeJS.Timeout;

  constructor(
    private readonly read: () => Omit<Sample, "t">,
    private readonly progress?: Progress,
    intervalMs = 100,
  ) {
    this.sample();
    this.timer = setInterval(() => this.sample(), intervalMs);
    this.timer.unref();
  }

  elapsed(): number {
    return Date.now() - this.start;
  }

  sample(): void {
    const s = { t: this.elapsed(), ...this.read() };
    this.samples.push(s);
    this.progress?.draw(s);
  }

  stop(): Sample[] {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    this.sample();
    this.progress?.end();
    return this.samples;
  }
}

/** A one-line progress bar on stderr, drawn only when stderr is a terminal. */
export class Progress {
  private readonly enabled: boolean;

  constructor(
    private readonly total: number,
    private readonly label: string,
    enabled = Boolean(process.stderr.isTTY),
  ) {
    this.enabled = enabled;
  }

  draw(s: Sample): void {
    if (!this.enabled) return;
    const width = 30;
    const finished = s.done + s.deadLettered;
    const filled = Math.min(width, Math.round((finished / Math.max(1, this.total)) * width));
    const bar = "#".repeat(filled) + "-".repeat(width - filled);
    process.stderr.write(
      `\r${this.label} [${bar}] sent ${s.arrived}/${this.total}  done ${s.done}  dlq ${s.deadLettered}  backlog ${s.backlog}  ${(s.t / 1000).toFixed(1)}s `,
    );
  }

  end(): void {
    if (this.enabled) process.stderr.write("\n");
  }
}

const fmt = (n: number, digits = 0): string => n.toLocaleString("en-US", { maximumFractionDigits: digits, minimumFractionDigits: digits });

/** The summary as an aligned two-column table. */
export function formatSummary(s: ReplaySummary): string {
  const deliveredLabel = s.stack === "kinesis-ingest" ? "written (table)" : "delivered (upstream)";
  const rows: [string, string][] = [
    ["sent", fmt(s.sent)],
    ["accepted", fmt(s.accepted)],
    ["rejected", fmt(s.rejected)],
    [deliveredLabel, fmt(s.delivered)],
    ["duplicates", fmt(s.duplicates)],
    ["dead-lettered", fmt(s.deadLettered)],
    ["lost", fmt(s.lost)],
    ["invocations (failed)", `${fmt(s.invocations)} (${fmt(s.failedInvocations)})`],
    ...(s.timedOutInvocations !== undefined ? ([["invocations killed by timeout", fmt(s.timedOutInvocations)]] as [string, string][]) : []),
    [
      s.stack === "kinesis-ingest" ? "max concurrent invocations" : "max concurrent upstream requests",
      s.concurrencyLimit !== undefined ? `${s.maxConcurrency} (limit ${s.concurrencyLimit})` : String(s.maxConcurrency),
    ],
    ["accept rate", `${fmt(s.acceptRate, 1)} req/s`],
    ["throughput", `${fmt(s.throughput, 1)} /s`],
    ["latency p50 / p90 / p99", `${fmt(s.latency.p50)} / ${fmt(s.latency.p90)} / ${fmt(s.latency.p99)} ms`],
    ["duration", `${fmt(s.durationMs / 1000, 2)} s`],
  ];
  const settings = Object.entries(s.settings)
    .map(([k, v]) => `${k}=${v}`)
    .join(" ");
  const width = Math.max(...rows.map(([k]) => k.length));
  const lines = [`replay ${s.stack}  (${settings})`, ...rows.map(([k, v]) => `  ${k.padEnd(width)}  ${v}`)];
  for (const note of s.notes) lines.push(`  note: ${note}`);
  lines.push(`  result: ${resultLine(s)}`);
  return lines.join("\n");
}

/**
 * The verdict, as `passed` (tools/replay/index.ts) decides it: OK means nothing
 * accepted was lost (every request written / delivered, or dead-lettered), no
 * invocation was killed by its timeout and the concurrency limit held. It says
 * how much was delivered and dead-lettered, and plainly when nothing was delivered.
 */
export function resultLine(s: ReplaySummary): string {
  const timedOut = s.timedOutInvocations ?? 0;
  const verb = s.stack === "kinesis-ingest" ? "written" : "delivered";
  if (s.lost > 0) return `FAILED, ${s.lost} lost`;
  if (timedOut > 0) return `FAILED, nothing lost but ${timedOut} invocation(s) killed by their timeout`;
  if (s.concurrencyLimit !== undefined && s.maxConcurrency > s.concurrencyLimit) {
    return `FAILED, nothing lost but ${s.maxConcurrency} concurrent ${s.stack === "kinesis-ingest" ? "invocations" : "upstream requests"}, above the limit of ${s.concurrencyLimit}`;
  }
  const counts = [`${fmt(s.delivered)} ${verb}`, `${fmt(s.deadLettered)} dead-lettered`, ...(s.rejected > 0 ? [`${fmt(s.rejected)} rejected at the front door`] : [])];
  const but = s.accepted === 0 ? ", but nothing was accepted" : s.delivered === 0 ? `, but nothing was ${verb}` : "";
  return `OK: nothing lost (${counts.join(", ")})${but}`;
}
