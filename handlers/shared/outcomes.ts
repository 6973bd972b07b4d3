/**
 * The names the handlers' outcome metrics and correlation ids go by, shared
 * by the handlers (`observability.ts` writes them) and the stacks' dashboards
 * and alarms (`blocks/observability/`, which read them at synth). Plain
 * constants: no SDK, no Powertools, so synth can import them for free.
 *
 * Dimensions come from this allow-list only (`DIMENSIONS`): the stack, the
 * function (Lambda's name for it) and, for two metrics, a value from a fixed
 * set. Never a request id or anything a caller sends: each distinct value is
 * a new custom metric, billed monthly.
 */

/** The stacks, as `service` of every log line and metric (the folder under `handlers/`). */
export const SERVICES = ["kinesis-ingest", "event-log-api", "webhook-proxy", "media-alb", "translate-api"] as const;
export type Service = (typeof SERVICES)[number];

/** The CloudWatch namespace of every outcome metric (the project's name). */
export const METRICS_NAMESPACE = "spike-proof-serverless";

/** The dimension keys a metric may carry, and nothing else. */
export const DIMENSIONS = {
  /** The stack: Powertools' `service` dimension. */
  service: "service",
  /** The function's name, from Lambda's context (environment-prefixed, so dev and prod never mix). */
  functionName: "FunctionName",
  /** Why a record was dead-lettered: one of `DEAD_LETTER_REASONS`. */
  reason: "Reason",
  /** The upstream's answer class: one of `STATUS_CLASSES`. */
  statusClass: "StatusClass",
  /** Powertools' own `ColdStart` metric's (with `service`): the function's name. */
  coldStartFunction: "function_name",
} as const;

/** What the handlers decide, one metric each (unit Count). */
export const OUTCOMES = {
  /** kinesis-ingest: records written to the table. */
  stored: "RecordsStored",
  /** Records (Kinesis) or messages (SQS) reported in `batchItemFailures`: the source delivers them again. */
  retryReported: "RecordsReportedForRetry",
  /** Records sent to a dead-letter queue: by the handler itself, or (webhook-proxy) failed on their last receive, so SQS moves them; also by `Reason`. Alarmed. */
  deadLettered: "DeadLettered",
  /** Work stopped because the invocation's time budget ran out: the rest is reported or answered 503/504. Alarmed. */
  budgetExhausted: "BudgetExhausted",
  /** webhook-proxy: a header no HTTP client can send, left out of a delivery. */
  headersDropped: "HeadersDropped",
  /** translate-api: a translation answered but not recorded in the history table. Alarmed. */
  historyWriteFailed: "HistoryWriteFailed",
  /** webhook-proxy: deliveries to the upstream, by `StatusClass`. */
  upstreamDeliveries: "UpstreamDeliveries",
} as const;
export type Outcome = (typeof OUTCOMES)[keyof typeof OUTCOMES];

/** Outcomes that mean loss or degradation: each gets an alarm (`blocks/observability/outcome-alarms.ts`). */
export const ALARMED_OUTCOMES = [OUTCOMES.deadLettered, OUTCOMES.budgetExhausted, OUTCOMES.historyWriteFailed] as const;

/** The fixed set of dead-letter reasons (anything else is `Other`). */
export const DEAD_LETTER_REASONS = [
  /** The item is over DynamoDB's 400 KB, refused before writing. */
  "ItemTooLarge",
  /** DynamoDB refused the item alone (`ValidationException`: a bad attribute). */
  "ItemRefused",
  /** DynamoDB's item collection for the key is full (`ItemCollectionSizeLimitExceededException`). */
  "ItemCollectionFull",
  /** A queue message that is not one of ours (webhook-proxy: or holds text no request can carry). */
  "MalformedMessage",
  /** webhook-proxy: a webhook's last receive ended without a 2xx from the upstream (an error answer, none in time, or no time to try). */
  "NotDelivered",
  "Other",
] as const;
export type DeadLetterReason = (typeof DEAD_LETTER_REASONS)[number];

/** The upstream's answer, by class; `none` when it did not answer (network error, timeout). */
export const STATUS_CLASSES = ["2xx", "3xx", "4xx", "5xx", "none"] as const;
export type StatusClass = (typeof STATUS_CLASSES)[number];

/** The response header every HTTP handler returns the correlation id in. */
export const CORRELATION_HEADER = "x-correlation-id";
/** The SQS message attribute that carries it from api2sqs to sqs2upstream. */
export const CORRELATION_ATTRIBUTE = "correlationId";
/** The log field every line carries it in (Powertools Logger's own name). */
export const CORRELATION_FIELD = "correlation_id";
/** The log field naming the outcome a line reports (`outcome: "DeadLettered"`): the dashboards' Logs Insights widgets filter on it. */
export const OUTCOME_FIELD = "outcome";
