/**
 * A stack's CloudWatch dashboard body from its inventory (`inventory.ts`):
 * the spike on the first row (ingress, throttles, API 429s, concurrency,
 * backlog, dead letters, alarm status), then errors, latency, duration
 * against the timeout and the handlers' outcome metrics, then Logs
 * Insights tables of the latest dead letters and failures with their
 * correlation ids. Plain functions: the HTML replay page lays out the same widgets.
 */
import { CORRELATION_FIELD, DIMENSIONS, METRICS_NAMESPACE, OUTCOMES, STATUS_CLASSES } from "../../handlers/shared/outcomes";
import type { Inventory, NumberValue } from "./inventory";

/** One metric line: `[namespace, name, dimension, value, ..., options]`, or a math expression. */
export type MetricLine = readonly (string | Readonly<Record<string, unknown>>)[];

export interface MetricWidget {
  readonly type: "metric";
  readonly x: number;
  readonly y: number;
  readonly width: number;
  readonly height: number;
  readonly properties: {
    readonly title: string;
    readonly region: string;
    readonly metrics: readonly MetricLine[];
    readonly view: "timeSeries";
    readonly stat: string;
    readonly period: number;
    readonly annotations?: { readonly horizontal: readonly { readonly label: string; readonly value: NumberValue }[] };
    readonly yAxis?: Readonly<Record<string, unknown>>;
  };
}

export interface AlarmWidget {
  readonly type: "alarm";
  readonly x: number;
  readonly y: number;
  readonly width: number;
  readonly height: number;
  readonly properties: { readonly title: string; readonly alarms: readonly string[] };
}

export interface LogWidget {
  readonly type: "log";
  readonly x: number;
  readonly y: number;
  readonly width: number;
  readonly height: number;
  readonly properties: { readonly title: string; readonly region: string; readonly query: string; readonly view: "table" | "timeSeries" };
}

export type Widget = MetricWidget | AlarmWidget | LogWidget;

export interface DashboardOptions {
  readonly region: string;
  /** The `service` dimension of the handlers' outcome metrics: the stack (`handlers/<service>/`). */
  readonly service: string;
  /** The account's concurrency limit, shown for functions without reserved concurrency. @default 1000 */
  readonly accountConcurrency?: number;
}

/** Seconds per data point. */
const PERIOD = 60;
/** The log widgets' page. */
const LATEST = 20;
/** What the handlers log with a dead letter (`observability.ts`: `outcome` field). */
export const DEAD_LETTER_FILTER = `outcome = "${OUTCOMES.deadLettered}"`;

/** DynamoDB item operations whose ThrottledRequests the throttle widget sums per table. */
const TABLE_OPERATIONS = ["PutItem", "BatchWriteItem", "GetItem", "Query", "Scan", "UpdateItem", "DeleteItem"] as const;

type Placed<W extends Widget> = Omit<W, "x" | "y" | "width" | "height">;
type AnyPlaced = Placed<MetricWidget> | Placed<AlarmWidget> | Placed<LogWidget>;

/** The widgets of one dashboard, laid out on CloudWatch's 24-column grid. */
export function dashboardWidgets(inv: Inventory, options: DashboardOptions): Widget[] {
  const region = options.region;
  const metric = (title: string, metrics: MetricLine[], stat = "Sum", extra: Partial<MetricWidget["properties"]> = {}): Placed<MetricWidget> => ({
    type: "metric",
    properties: { title, region, metrics, view: "timeSeries", stat, period: PERIOD, ...extra },
  });
  const fnLine = (name: string, fn: string, options: Record<string, unknown> = {}): MetricLine => ["AWS/Lambda", name, "FunctionName", fn, { label: `${fn} ${name}`, ...options }];
  const outcome = (name: string, fn: string, extra: readonly string[] = [], label = `${fn} ${name}`): MetricLine => [
    METRICS_NAMESPACE,
    name,
    DIMENSIONS.service,
    options.service,
    DIMENSIONS.functionName,
    fn,
    ...extra,
    { label },
  ];
  const liveQueues = inv.queues.filter((q) => !q.deadLetter);
  const deadLetterQueues = inv.queues.filter((q) => q.deadLetter);
  const apiLines = (metricName: (kind: "rest" | "http") => string, stat?: string): MetricLine[] =>
    inv.apis.flatMap((api) =>
      api.stages.map((stage): MetricLine => [
        "AWS/ApiGateway",
        metricName(api.kind),
        api.dimension.name,
        api.dimension.value,
        "Stage",
        stage.name,
        { label: `${stage.name} ${metricName(api.kind)}${stat ? ` ${stat}` : ""}`, ...(stat ? { stat } : {}) },
      ]),
    );

  // ---- Row 1: the spike ----
  const ingress = metric("Ingress: requests and records in", [
    ...apiLines(() => "Count"),
    ...inv.loadBalancers.map((lb): MetricLine => ["AWS/ApplicationELB", "RequestCount", "LoadBalancer", lb, { label: "ALB RequestCount" }]),
    ...inv.streams.map((s): MetricLine => ["AWS/Kinesis", "IncomingRecords", "StreamName", s, { label: `${s} IncomingRecords` }]),
    ...liveQueues.map((q): MetricLine => ["AWS/SQS", "NumberOfMessagesSent", "QueueName", q.name, { label: `${q.name} sent` }]),
  ]);

  const tableThrottles = inv.tables.flatMap((table, t): MetricLine[] => [
    ...TABLE_OPERATIONS.map((op, o): MetricLine => ["AWS/DynamoDB", "ThrottledRequests", "TableName", table, "Operation", op, { id: `t${t}o${o}`, visible: false }]),
    [{ expression: `SUM([${TABLE_OPERATIONS.map((_, o) => `t${t}o${o}`).join(",")}])`, label: `${table} ThrottledRequests`, id: `t${t}` }],
  ]);
  const throttles = metric("Throttles", [
    ...inv.functions.map((fn) => fnLine("Throttles", fn.name)),
    ...inv.streams.map((s): MetricLine => ["AWS/Kinesis", "WriteProvisionedThroughputExceeded", "StreamName", s, { label: `${s} WriteProvisionedThroughputExceeded` }]),
    ...tableThrottles,
  ]);

  const accessLogs = inv.apis.flatMap((api) => api.stages.flatMap((s) => (s.accessLogGroupName ? [s.accessLogGroupName] : [])));
  const api429: Placed<LogWidget> | undefined =
    accessLogs.length === 0
      ? undefined
      : {
          type: "log",
          properties: {
            title: "API 429s (access logs)",
            region,
            view: "timeSeries",
            query: `${sources(accessLogs)} | filter status = "429" or status = 429 | stats count(*) as throttled by bin(1m)`,
          },
        };

  const concurrency = metric(
    "Concurrency against its limit",
    inv.functions.map((fn) => fnLine("ConcurrentExecutions", fn.name, { stat: "Maximum" })),
    "Maximum",
    {
      annotations: {
        horizontal: inv.functions.map((fn) =>
          fn.reservedConcurrency === undefined
            ? { label: `${fn.name}: account limit`, value: options.accountConcurrency ?? 1000 }
            : { label: `${fn.name}: reserved`, value: fn.reservedConcurrency },
        ),
      },
    },
  );

  const backlog = metric(
    "Backlog",
    [
      ...inv.streams.map((s): MetricLine => ["AWS/Kinesis", "GetRecords.IteratorAgeMilliseconds", "StreamName", s, { label: `${s} iterator age (ms)`, stat: "Maximum", yAxis: "right" }]),
      ...liveQueues.flatMap((q, i): MetricLine[] => [
        ["AWS/SQS", "ApproximateNumberOfMessagesVisible", "QueueName", q.name, { id: `v${i}`, label: `${q.name} visible`, stat: "Maximum" }],
        ["AWS/SQS", "ApproximateAgeOfOldestMessage", "QueueName", q.name, { label: `${q.name} age of oldest (s)`, stat: "Maximum", yAxis: "right" }],
        ["AWS/SQS", "NumberOfMessagesDeleted", "QueueName", q.name, { id: `d${i}`, visible: false }],
        // Time to drain: what is waiting over the rate it is being taken away (cdk-monitoring-constructs' math).
        [{ expression: `IF(d${i} > 0, v${i} / (d${i} / PERIOD(d${i})), 0)`, label: `${q.name} time to drain (s)`, id: `drain${i}`, yAxis: "right" }],
      ]),
    ],
    "Sum",
  );

  const deadLetters = metric("Dead letters", [
    ...deadLetterQueues.map((q): MetricLine => ["AWS/SQS", "ApproximateNumberOfMessagesVisible", "QueueName", q.name, { label: `${q.name} waiting`, stat: "Maximum" }]),
    ...inv.functions.map((fn) => outcome(OUTCOMES.deadLettered, fn.name)),
  ]);

  const alarms: Placed<AlarmWidget> = { type: "alarm", properties: { title: "Alarms", alarms: inv.alarms.slice(0, 100) } };

  // ---- Row 2: errors, latency, duration against the timeout ----
  const errors = metric("Errors", [
    ...inv.functions.map((fn) => fnLine("Errors", fn.name)),
    ...apiLines((kind) => (kind === "rest" ? "5XXError" : "5xx")),
    ...inv.loadBalancers.flatMap((lb): MetricLine[] => [
      ["AWS/ApplicationELB", "HTTPCode_ELB_5XX_Count", "LoadBalancer", lb, { label: "ALB 5XX (its own)" }],
      ["AWS/ApplicationELB", "HTTPCode_Target_5XX_Count", "LoadBalancer", lb, { label: "ALB 5XX (targets)" }],
    ]),
    ...inv.functions.flatMap((fn) => [outcome(OUTCOMES.budgetExhausted, fn.name), outcome(OUTCOMES.historyWriteFailed, fn.name)]),
  ]);
  const latency = metric(
    "Latency p50 / p99 (ms)",
    [
      ...["p50", "p99"].flatMap((p) => apiLines(() => "Latency", p)),
      ...inv.loadBalancers.flatMap((lb) => ["p50", "p99"].map((p): MetricLine => ["AWS/ApplicationELB", "TargetResponseTime", "LoadBalancer", lb, { label: `ALB TargetResponseTime ${p} (s)`, stat: p, yAxis: "right" }])),
      ...inv.functions.flatMap((fn) => ["p50", "p99"].map((p) => fnLine("Duration", fn.name, { stat: p, label: `${fn.name} Duration ${p}` }))),
    ],
    "p99",
  );
  const duration = metric(
    "Duration against the timeout (ms)",
    inv.functions.map((fn) => fnLine("Duration", fn.name, { stat: "Maximum", label: `${fn.name} Duration max` })),
    "Maximum",
    { annotations: { horizontal: inv.functions.map((fn) => ({ label: `${fn.name} timeout`, value: fn.timeoutMs })) } },
  );

  // ---- Row 3: what the handlers decided, and the latest dead letters and failures ----
  const outcomes = metric("Outcomes", [
    ...inv.functions.flatMap((fn) => [outcome(OUTCOMES.stored, fn.name), outcome(OUTCOMES.retryReported, fn.name), outcome(OUTCOMES.headersDropped, fn.name)]),
    ...inv.functions.flatMap((fn) => STATUS_CLASSES.map((c) => outcome(OUTCOMES.upstreamDeliveries, fn.name, [DIMENSIONS.statusClass, c], `${fn.name} upstream ${c}`))),
  ]);
  const functionLogs = sources(inv.functions.map((fn) => fn.logGroupName));
  const fields = `fields @timestamp, ${CORRELATION_FIELD}, service, level, message`;
  const latestDeadLetters: Placed<LogWidget> = {
    type: "log",
    properties: { title: "Latest dead letters", region, view: "table", query: `${functionLogs} | ${fields}, reason | filter ${DEAD_LETTER_FILTER} | sort @timestamp desc | limit ${LATEST}` },
  };
  const latestFailures: Placed<LogWidget> = {
    type: "log",
    properties: { title: "Latest failures", region, view: "table", query: `${functionLogs} | ${fields}, error.message | filter level = "ERROR" or level = "CRITICAL" | sort @timestamp desc | limit ${LATEST}` },
  };

  // A metric widget with no line is refused by CloudWatch (PutDashboard: `metrics` is required): left out.
  const drawn = (widgets: AnyPlaced[]): AnyPlaced[] => widgets.filter((w) => w.type !== "metric" || w.properties.metrics.length > 0);
  const firstRow = drawn([ingress, throttles, ...(api429 ? [api429] : []), concurrency, backlog, deadLetters, alarms]);
  return [
    ...row(firstRow, 0, 6),
    ...row(drawn([errors, latency, duration]), 6, 6),
    ...(inv.functions.length > 0 ? row([outcomes, latestDeadLetters, latestFailures], 12, 6) : []),
  ];
}

/** `SOURCE` clauses of a Logs Insights query in a dashboard widget. */
function sources(groups: readonly string[]): string {
  return groups.map((g) => `SOURCE '${g}'`).join(" | ");
}

/** Widgets side by side across the 24 columns, the last one taking what is left. */
function row(widgets: readonly AnyPlaced[], y: number, height: number): Widget[] {
  const width = Math.floor(24 / widgets.length);
  return widgets.map((w, i): Widget => ({ ...w, x: i * width, y, width: i === widgets.length - 1 ? 24 - i * width : width, height }) as Widget);
}

/**
 * The body as JSON text. A number known only at plan (a variable) is written
 * unquoted as a Terraform interpolation (`${var.x}`), so the body is JSON once
 * Terraform has put the number in.
 */
export function dashboardBody(widgets: readonly Widget[]): string {
  const expressions: string[] = [];
  const text = JSON.stringify({ widgets }, (_key, value: unknown) => {
    if (typeof value === "object" && value !== null && "terraform" in value) {
      expressions.push(String((value as { terraform: unknown }).terraform));
      return `@@number${expressions.length - 1}@@`;
    }
    return value;
  });
  // The expression is a token's text (cdktf resolves it to `${var.x}` or `${(var.x * 1000)}`).
  return text.replace(/"@@number(\d+)@@"/g, (_m, i: string) => expressions[Number(i)]);
}
