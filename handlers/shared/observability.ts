/**
 * One log shape and the outcome metrics, for every handler: Powertools for
 * AWS Lambda (TypeScript) Logger and Metrics, behind a small API so a handler
 * never builds a log line or an EMF blob itself.
 *
 * Every line is one JSON object with `level`, `message`, `timestamp`,
 * `service` (the stack), `function_request_id` (Lambda's request id),
 * `correlation_id` (the request's id from the front door, `correlation.ts`),
 * `cold_start`, plus the call's fields. The request-scoped keys are passed on
 * each call, never kept in the shared Logger: the local emulators run several
 * invocations of one module at once, and a key set for one would land on another's line.
 *
 * Metrics are EMF blobs Powertools writes to stdout: namespace
 * `METRICS_NAMESPACE`, dimensions `service` and `FunctionName` (plus
 * `Reason` or `StatusClass` from a fixed set, `outcomes.ts`), flushed once
 * per invocation (`Telemetry.run`). Not `console.log`: with Lambda's JSON log
 * format on, a console line is wrapped into the `message` field of Lambda's
 * own JSON and is never turned into a metric.
 *
 * Where lines go: in Lambda, Powertools' own Console on stdout/stderr. With
 * `POWERTOOLS_DEV` set (the tests and the in-process emulators, which
 * capture the global console), the global console, still one compact line
 * (Powertools would indent it); `POWERTOOLS_METRICS_DISABLED=false` keeps the
 * metrics on in that mode. The log level: Lambda's application log level
 * (`AWS_LAMBDA_LOG_LEVEL`, set by the function's `logging_config`), else `POWERTOOLS_LOG_LEVEL`, else INFO.
 */
import { AsyncLocalStorage } from "node:async_hooks";
import type { Context } from "aws-lambda";
import { Logger, LogItem, LogLevelThreshold } from "@aws-lambda-powertools/logger";
import { Metrics, MetricUnit } from "@aws-lambda-powertools/metrics";
import { isDevMode } from "@aws-lambda-powertools/commons/utils/env";
import {
  CORRELATION_FIELD,
  DEAD_LETTER_REASONS,
  type DeadLetterReason,
  DIMENSIONS,
  METRICS_NAMESPACE,
  type Outcome,
  OUTCOME_FIELD,
  OUTCOMES,
  type Service,
  type StatusClass,
} from "./outcomes";

/** What a log call may add: plain JSON values, or an Error (written as name, message, stack). */
export type LogFields = Readonly<Record<string, unknown>>;

/** Powertools' Logger writing one compact line per record in dev mode too (line-based sinks read it). */
class LineLogger extends Logger {
  protected override printLog(logLevel: number, log: LogItem): void {
    if (!isDevMode()) return super.printLog(logLevel, log);
    log.prepareForPrint();
    const line = JSON.stringify(log.getAttributes(), this.getJsonReplacer());
    if (logLevel >= LogLevelThreshold.ERROR) console.error(line);
    else if (logLevel >= LogLevelThreshold.WARN) console.warn(line);
    else console.log(line);
  }
}

/** A Lambda context, or what a direct call (a test, a tool) has of one. */
export type InvocationContext = Pick<Context, "awsRequestId" | "functionName"> | undefined;

/** The request id of a call with no Lambda context (a direct call from a test or a tool). */
export const NO_REQUEST_ID = "no-context";
/** The function name of a line written outside any invocation. */
export const NO_FUNCTION_NAME = "unknown";
/** The correlation id of a line written outside any request. */
export const NO_CORRELATION_ID = "none";

/** The invocation (or record) being handled: shared helpers log into it without being handed it. */
const current = new AsyncLocalStorage<Scope>();
let fallback: Telemetry | undefined;

/**
 * The scope of the invocation or record being handled (`Telemetry.run`,
 * `Scope.within`); outside one, a scope of service `POWERTOOLS_SERVICE_NAME`
 * (else `unknown`) with no request or correlation id.
 */
export function log(): Scope {
  const scope = current.getStore();
  if (scope) return scope;
  fallback ??= new Telemetry((process.env.POWERTOOLS_SERVICE_NAME || "unknown") as Service);
  return fallback.outside();
}

/** What a line says about an outcome (the field the dashboards' queries filter on). */
export function outcomeField(outcome: Outcome): LogFields {
  return { [OUTCOME_FIELD]: outcome };
}

/** Logs and counts for one request (or one record of a batch): every line carries its ids. */
export class Scope {
  constructor(
    private readonly telemetry: Telemetry,
    /** The id that follows the request from the front door to the stored item. */
    readonly correlationId: string,
    /** Lambda's id of this invocation. */
    readonly requestId: string,
    private readonly coldStart: boolean,
    private readonly functionName: string = NO_FUNCTION_NAME,
    private readonly startedMs: number = Date.now(),
  ) {}

  /** The same invocation, about another record (its own correlation id). */
  forRecord(correlationId: string): Scope {
    return new Scope(this.telemetry, correlationId, this.requestId, this.coldStart, this.functionName, this.startedMs);
  }

  /** Milliseconds since the invocation began (its lines' `duration_ms` at the end). */
  elapsedMs(): number {
    return Date.now() - this.startedMs;
  }

  debug(message: string, fields: LogFields = {}): void {
    this.telemetry.logger.debug(message, this.keys(fields));
  }
  info(message: string, fields: LogFields = {}): void {
    this.telemetry.logger.info(message, this.keys(fields));
  }
  warn(message: string, fields: LogFields = {}): void {
    this.telemetry.logger.warn(message, this.keys(fields));
  }
  error(message: string, fields: LogFields = {}): void {
    this.telemetry.logger.error(message, this.keys(fields));
  }

  /** Adds `count` to an outcome metric (flushed at the end of the invocation). */
  count(outcome: Exclude<Outcome, typeof OUTCOMES.deadLettered | typeof OUTCOMES.upstreamDeliveries>, count = 1): void {
    if (count > 0) this.telemetry.metrics.addMetric(outcome, MetricUnit.Count, count);
  }

  /** Runs `work` with this scope as the current one (`log()`), e.g. one record of a batch. */
  within<T>(work: () => T): T {
    return current.run(this, work);
  }

  /** One dead-lettered record: `DeadLettered` in total (with the invocation's other counts) and by `Reason` (a blob of its own). */
  deadLettered(reason: DeadLetterReason): void {
    this.telemetry.metrics.addMetric(OUTCOMES.deadLettered, MetricUnit.Count, 1);
    const single = this.telemetry.metrics.singleMetric();
    single.addDimensions({ [DIMENSIONS.reason]: reason });
    single.addMetric(OUTCOMES.deadLettered, MetricUnit.Count, 1);
  }

  /** One upstream delivery, by the class of its answer. */
  delivery(statusClass: StatusClass): void {
    const single = this.telemetry.metrics.singleMetric();
    single.addDimension(DIMENSIONS.statusClass, statusClass);
    single.addMetric(OUTCOMES.upstreamDeliveries, MetricUnit.Count, 1);
  }

  private keys(fields: LogFields): LogFields {
    return {
      ...fields,
      [CORRELATION_FIELD]: this.correlationId,
      function_request_id: this.requestId,
      function_name: this.functionName,
      cold_start: this.coldStart,
    };
  }
}

/** A DynamoDB error's name (or a handler's own refusal) as one of the fixed dead-letter reasons. */
export function deadLetterReason(name: string): DeadLetterReason {
  switch (name) {
    case "ValidationException":
      return "ItemRefused";
    case "ItemCollectionSizeLimitExceededException":
      return "ItemCollectionFull";
    case "ItemTooLarge":
      return "ItemTooLarge";
    case "MalformedMessageError":
      return "MalformedMessage";
    default:
      return (DEAD_LETTER_REASONS as readonly string[]).includes(name) ? (name as DeadLetterReason) : "Other";
  }
}

/** An HTTP status as its class; `undefined` (no answer) is `none`. */
export function statusClassOf(status: number | undefined): StatusClass {
  if (status === undefined || status < 200 || status > 599) return "none";
  return `${Math.floor(status / 100)}xx` as StatusClass;
}

/** One function's logger and metrics, built once per container at module load (cheap: no I/O). */
export class Telemetry {
  readonly logger: Logger;
  readonly metrics: Metrics;
  private coldStart = true;
  /** The `FunctionName` default dimension set: set again, Powertools warns in plain text on every warm invocation. */
  private dimensionedAs?: string;

  constructor(readonly service: Service) {
    this.logger = new LineLogger({ serviceName: service });
    this.metrics = new Metrics({ namespace: METRICS_NAMESPACE, serviceName: service });
  }

  /** The scope of one invocation; the first of a container is its cold start (also the `ColdStart` metric). */
  begin(context: InvocationContext, correlationId: string): Scope {
    const coldStart = this.coldStart;
    this.coldStart = false;
    const functionName = context?.functionName;
    if (functionName) {
      // Powertools' own ColdStart metric first: dimensions service and function_name only.
      if (coldStart) this.metrics.captureColdStartMetric(functionName);
      if (functionName !== this.dimensionedAs) this.metrics.setDefaultDimensions({ [DIMENSIONS.functionName]: functionName });
      this.dimensionedAs = functionName;
    }
    return new Scope(this, correlationId, context?.awsRequestId ?? NO_REQUEST_ID, coldStart, functionName ?? NO_FUNCTION_NAME);
  }

  /** A scope outside any invocation (module load, a direct call in a test or a tool). */
  outside(): Scope {
    return new Scope(this, NO_CORRELATION_ID, NO_REQUEST_ID, false);
  }

  /** Writes the invocation's stored metrics as one EMF blob (nothing when none were counted). */
  flush(): void {
    if (this.metrics.hasStoredMetrics()) this.metrics.publishStoredMetrics();
  }

  /** Runs one invocation in its scope; the metrics are flushed however it ends. */
  async run<T>(context: InvocationContext, correlationId: string, work: (scope: Scope) => Promise<T>): Promise<T> {
    const scope = this.begin(context, correlationId);
    try {
      return await current.run(scope, () => work(scope));
    } finally {
      this.flush();
    }
  }
}
