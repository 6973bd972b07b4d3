/**
 * Reads a synthesized `aws_cloudwatch_dashboard` back and checks it against
 * its stack: every function, queue, stream, table, API and ALB of the stack
 * is on it, and nothing on it names a metric, dimension, alarm or log group
 * the stack does not have. Returns the problems (empty: covered).
 */
import { DEAD_LETTER_REASONS, DIMENSIONS, METRICS_NAMESPACE, OUTCOMES, STATUS_CLASSES } from "../../handlers/shared/outcomes";
import type { StackJson } from "./synth";

/** The metrics each namespace may name, and the dimensions they take. */
const KNOWN: Record<string, { readonly metrics: readonly string[]; readonly dimensions: readonly string[] }> = {
  "AWS/Lambda": { metrics: ["Errors", "Throttles", "ConcurrentExecutions", "Duration", "Invocations"], dimensions: ["FunctionName"] },
  "AWS/SQS": {
    metrics: ["NumberOfMessagesSent", "ApproximateNumberOfMessagesVisible", "ApproximateAgeOfOldestMessage", "NumberOfMessagesDeleted"],
    dimensions: ["QueueName"],
  },
  "AWS/Kinesis": { metrics: ["IncomingRecords", "WriteProvisionedThroughputExceeded", "GetRecords.IteratorAgeMilliseconds"], dimensions: ["StreamName"] },
  "AWS/DynamoDB": { metrics: ["ThrottledRequests"], dimensions: ["TableName", "Operation"] },
  "AWS/ApiGateway": { metrics: ["Count", "5XXError", "5xx", "Latency"], dimensions: ["ApiName", "ApiId", "Stage"] },
  "AWS/ApplicationELB": {
    metrics: ["RequestCount", "HTTPCode_ELB_5XX_Count", "HTTPCode_Target_5XX_Count", "TargetResponseTime"],
    dimensions: ["LoadBalancer"],
  },
  [METRICS_NAMESPACE]: { metrics: Object.values(OUTCOMES), dimensions: Object.values(DIMENSIONS) },
};

interface Widget {
  readonly type: string;
  readonly properties: { readonly metrics?: unknown[][]; readonly alarms?: string[]; readonly query?: string };
}

/** The dashboard body as JSON: numbers known only at plan (`"value":${var.x}`) replaced by 0. */
export function parseDashboardBody(body: string): { widgets: Widget[] } {
  return JSON.parse(body.replace(/:\$\{[^}"]*\}/g, ":0")) as { widgets: Widget[] };
}

const values = (json: StackJson, type: string, attribute: string): string[] =>
  Object.values(json.resource[type] ?? {}).map((block) => String(block[attribute]));
const references = (json: StackJson, type: string, attribute: string, where: (block: Record<string, unknown>) => boolean = () => true): string[] =>
  Object.entries(json.resource[type] ?? {})
    .filter(([, block]) => where(block))
    .map(([name]) => `\${${type}.${name}.${attribute}}`);

/** Problems of the stack's one dashboard; `service` is its outcome metrics' `service` dimension. */
export function dashboardProblems(json: StackJson, service: string): string[] {
  const dashboards = Object.values(json.resource.aws_cloudwatch_dashboard ?? {});
  if (dashboards.length !== 1) return [`expected one aws_cloudwatch_dashboard, found ${dashboards.length}`];
  const { widgets } = parseDashboardBody(String(dashboards[0].dashboard_body));
  const problems: string[] = [];

  // What the stack has, by the dimension that names it.
  const has: Record<string, string[]> = {
    FunctionName: values(json, "aws_lambda_function", "function_name"),
    QueueName: values(json, "aws_sqs_queue", "name"),
    StreamName: values(json, "aws_kinesis_stream", "name"),
    TableName: values(json, "aws_dynamodb_table", "name"),
    ApiName: values(json, "aws_api_gateway_rest_api", "name"),
    ApiId: references(json, "aws_apigatewayv2_api", "id", (b) => (b.protocol_type ?? "HTTP") === "HTTP"),
    LoadBalancer: references(json, "aws_lb", "arn_suffix", (b) => (b.load_balancer_type ?? "application") === "application"),
    Stage: [...values(json, "aws_api_gateway_stage", "stage_name"), ...values(json, "aws_apigatewayv2_stage", "name")],
    Operation: ["PutItem", "BatchWriteItem", "GetItem", "Query", "Scan", "UpdateItem", "DeleteItem"],
    [DIMENSIONS.service]: [service],
    [DIMENSIONS.reason]: [...DEAD_LETTER_REASONS],
    [DIMENSIONS.statusClass]: [...STATUS_CLASSES],
  };
  has[DIMENSIONS.functionName] = has.FunctionName;

  const seen = new Map<string, Set<string>>();
  for (const widget of widgets) {
    for (const line of widget.properties.metrics ?? []) {
      if (typeof line[0] !== "string") continue; // a math expression over the lines above
      const [namespace, metric, ...rest] = line as string[];
      const known = KNOWN[namespace];
      if (!known) {
        problems.push(`unknown namespace ${namespace}`);
        continue;
      }
      if (!known.metrics.includes(metric)) problems.push(`${namespace} has no metric ${metric}`);
      const dims = rest.filter((part) => typeof part === "string");
      for (let i = 0; i + 1 < dims.length; i += 2) {
        const [name, value] = [dims[i], dims[i + 1]];
        if (!known.dimensions.includes(name)) problems.push(`${namespace} ${metric} has no dimension ${name}`);
        else if (!(has[name] ?? []).includes(value)) problems.push(`${namespace} ${metric} names ${name} ${value}, which the stack does not have`);
        (seen.get(name) ?? seen.set(name, new Set()).get(name)!).add(value);
      }
    }
  }
  for (const name of ["FunctionName", "QueueName", "StreamName", "TableName", "ApiName", "ApiId", "LoadBalancer"]) {
    for (const value of has[name]) if (!seen.get(name)?.has(value)) problems.push(`${name} ${value} is missing from the dashboard`);
  }

  const alarms = references(json, "aws_cloudwatch_metric_alarm", "arn");
  const listed = widgets.flatMap((w) => w.properties.alarms ?? []);
  for (const arn of listed) if (!alarms.includes(arn)) problems.push(`alarm ${arn} is not the stack's`);
  for (const arn of alarms) if (!listed.includes(arn)) problems.push(`alarm ${arn} is missing from the alarm-status widget`);

  const logGroups = values(json, "aws_cloudwatch_log_group", "name");
  for (const query of widgets.flatMap((w) => (w.properties.query ? [w.properties.query] : []))) {
    for (const [, group] of query.matchAll(/SOURCE '([^']+)'/g)) if (!logGroups.includes(group)) problems.push(`log group ${group} is not the stack's`);
  }
  return problems;
}
