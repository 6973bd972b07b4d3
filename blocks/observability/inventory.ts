/**
 * What a construct subtree holds that a dashboard shows: functions, queues,
 * streams, tables, APIs with their stages, load balancers and alarms, read
 * from the construct tree when asked (at synth, through `Lazy`), so a
 * resource added after the dashboard appears on it by itself.
 *
 * Names are the literal inputs where the stack gave one (the dashboard
 * then reads as written), else the resource's attribute as a Terraform
 * reference. Links between resources (a stage's API, a mapping's stream, a
 * queue's dead-letter queue) are found by resolving both references.
 */
import { IConstruct } from "constructs";
import { DefaultTokenResolver, Op, StringConcat, Token, Tokenization } from "cdktf";
import { ApiGatewayRestApi } from "@cdktf/provider-aws/lib/api-gateway-rest-api";
import { ApiGatewayStage } from "@cdktf/provider-aws/lib/api-gateway-stage";
import { Apigatewayv2Api } from "@cdktf/provider-aws/lib/apigatewayv2-api";
import { Apigatewayv2Stage } from "@cdktf/provider-aws/lib/apigatewayv2-stage";
import { CloudwatchLogGroup } from "@cdktf/provider-aws/lib/cloudwatch-log-group";
import { CloudwatchMetricAlarm } from "@cdktf/provider-aws/lib/cloudwatch-metric-alarm";
import { DynamodbTable } from "@cdktf/provider-aws/lib/dynamodb-table";
import { KinesisStream } from "@cdktf/provider-aws/lib/kinesis-stream";
import { LambdaEventSourceMapping } from "@cdktf/provider-aws/lib/lambda-event-source-mapping";
import { LambdaFunction } from "@cdktf/provider-aws/lib/lambda-function";
import { Lb } from "@cdktf/provider-aws/lib/lb";
import { SqsQueue } from "@cdktf/provider-aws/lib/sqs-queue";

/** A number the dashboard shows: a literal, or a Terraform expression (a variable) written into the body unquoted. */
export type NumberValue = number | { readonly terraform: string };

export interface FunctionInfo {
  readonly name: string;
  readonly logGroupName: string;
  readonly timeoutMs: NumberValue;
  /** Undefined when unreserved (the account's limit applies). */
  readonly reservedConcurrency?: NumberValue;
}

export interface QueueInfo {
  readonly name: string;
  /** A dead-letter queue: another queue's redrive target or a mapping's on-failure destination. */
  readonly deadLetter: boolean;
}

export interface ApiInfo {
  readonly kind: "rest" | "http";
  /** REST: the API's name (`ApiName`); HTTP: its id (`ApiId`). */
  readonly dimension: { readonly name: "ApiName" | "ApiId"; readonly value: string };
  readonly stages: readonly { readonly name: string; readonly accessLogGroupName?: string }[];
}

export interface Inventory {
  readonly functions: readonly FunctionInfo[];
  readonly queues: readonly QueueInfo[];
  readonly streams: readonly string[];
  readonly tables: readonly string[];
  readonly apis: readonly ApiInfo[];
  /** `LoadBalancer` dimension values (`arn_suffix`) of application load balancers. */
  readonly loadBalancers: readonly string[];
  /** Alarm ARNs. */
  readonly alarms: readonly string[];
}

/** Lambda's default timeout, when a function sets none. */
const DEFAULT_TIMEOUT_S = 3;

type Resolve = (value: unknown) => unknown;

function numberValue(value: number | undefined, resolve: Resolve, factor = 1): NumberValue | undefined {
  if (value === undefined) return undefined;
  if (!Token.isUnresolved(value)) return value * factor;
  const resolved = resolve(value);
  if (typeof resolved === "number") return resolved * factor;
  return { terraform: Token.asString(factor === 1 ? value : Op.mul(value, factor)) };
}

/** Everything of interest under `roots` (their whole subtrees). */
export function inventoryOf(roots: readonly IConstruct[]): Inventory {
  const nodes = [...new Set(roots.flatMap((root) => root.node.findAll()))];
  const resolver = new DefaultTokenResolver(new StringConcat());
  const resolve: Resolve = (value) => Tokenization.resolve(value, { scope: roots[0], resolver, preparing: false });
  const same = (a: unknown, b: unknown): boolean => a !== undefined && b !== undefined && resolve(a) === resolve(b);
  const of = <T>(type: abstract new (...args: never[]) => T): T[] => nodes.filter((n): n is IConstruct & T => n instanceof type);

  const logGroups = of(CloudwatchLogGroup);
  const logGroupName = (arn: string | undefined): string | undefined => {
    const group = logGroups.find((g) => same(g.arn, arn));
    return group ? (group.nameInput ?? group.name) : undefined;
  };

  const functions = of(LambdaFunction).map((fn): FunctionInfo => {
    const name = fn.functionNameInput ?? fn.functionName;
    return {
      name,
      logGroupName: `/aws/lambda/${name}`,
      timeoutMs: numberValue(fn.timeoutInput ?? DEFAULT_TIMEOUT_S, resolve, 1000) ?? DEFAULT_TIMEOUT_S * 1000,
      reservedConcurrency: numberValue(fn.reservedConcurrentExecutionsInput, resolve),
    };
  });

  const mappings = of(LambdaEventSourceMapping);
  const sqsQueues = of(SqsQueue);
  const queues = sqsQueues.map((queue): QueueInfo => {
    // A redrive policy is a jsonencode() expression: the target's ARN appears in it as a bare reference.
    const arnReference = String(resolve(queue.arn)).replace(/^\$\{(.*)\}$/, "$1");
    const redriveTarget = sqsQueues.some(
      (other) => other !== queue && other.redrivePolicyInput !== undefined && String(resolve(other.redrivePolicyInput)).includes(arnReference),
    );
    const onFailure = mappings.some((m) => same(m.destinationConfig.onFailure.destinationArnInput, queue.arn));
    return { name: queue.nameInput ?? queue.name, deadLetter: redriveTarget || onFailure };
  });

  const restStages = of(ApiGatewayStage);
  const httpStages = of(Apigatewayv2Stage);
  const apis: ApiInfo[] = [
    ...of(ApiGatewayRestApi).map((api): ApiInfo => ({
      kind: "rest",
      dimension: { name: "ApiName", value: api.nameInput ?? api.name },
      stages: restStages
        .filter((s) => same(s.restApiIdInput, api.id))
        .map((s) => ({ name: s.stageNameInput ?? s.stageName, accessLogGroupName: logGroupName(s.accessLogSettingsInput?.destinationArn) })),
    })),
    ...of(Apigatewayv2Api)
      .filter((api) => (api.protocolTypeInput ?? "HTTP") === "HTTP")
      .map((api): ApiInfo => ({
        kind: "http",
        dimension: { name: "ApiId", value: api.id },
        stages: httpStages
          .filter((s) => same(s.apiIdInput, api.id))
          .map((s) => ({ name: s.nameInput ?? s.name, accessLogGroupName: logGroupName(s.accessLogSettingsInput?.destinationArn) })),
      })),
  ];

  return {
    functions,
    queues,
    streams: of(KinesisStream).map((s) => s.nameInput ?? s.name),
    tables: of(DynamodbTable).map((t) => t.nameInput ?? t.name),
    apis,
    loadBalancers: of(Lb)
      .filter((lb) => (lb.loadBalancerTypeInput ?? "application") === "application")
      .map((lb) => lb.arnSuffix),
    alarms: of(CloudwatchMetricAlarm).map((a) => a.arn),
  };
}
