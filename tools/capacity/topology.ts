/**
 * What the planner knows about a stack's data path, read from its synthesized Terraform
 * JSON (tools/emulator/synth.ts) after `--set` overrides (./stack.ts): the front door, the
 * functions it invokes, the stream or queue that buffers requests and its consumer. Found
 * by resource types and references, not by stack id, so a new variable or resource in a
 * stack flows in without code changes here.
 */
import { Block, environmentVariables, redrivePolicy, referenceOf, resolveLocal, SynthesizedStack } from "../emulator/synth";
import { integrationResponse, selectResponse } from "../emulator/apigateway";
import { maximumConcurrencyOf } from "../emulator/event-source";
import { CapacityError, numeric, Setting, setting } from "./stack";

export interface TableInfo {
  readonly address: string;
  readonly name: string;
  readonly onDemand: boolean;
  readonly readCapacity: Setting;
  readonly writeCapacity: Setting;
  readonly hashKey: string;
  readonly billingSetName: string;
}

export interface FunctionInfo {
  readonly address: string;
  readonly name: string;
  readonly memoryMb: number;
  readonly timeoutS: number;
  readonly arm: boolean;
  readonly reserved: Setting;
  /** Tables the function writes to (its policy allows a write action on them). */
  readonly writes: TableInfo[];
  /** Tables the function only reads. */
  readonly reads: TableInfo[];
  /** Calls an upstream over HTTP (an `UPSTREAM` environment variable). */
  readonly upstream: boolean;
  /** Calls Amazon Translate (its policy allows translate:TranslateText). */
  readonly translate: boolean;
}

export type FrontDoor =
  | { readonly kind: "rest"; readonly address: string; readonly rate: Setting; readonly burst: Setting; readonly usagePlans: UsagePlan[] }
  | { readonly kind: "http"; readonly address: string; readonly rate: Setting; readonly burst: Setting }
  | { readonly kind: "alb"; readonly address: string; readonly rulesPerRequest: number };

export interface UsagePlan {
  readonly address: string;
  readonly rate: Setting;
  readonly burst: Setting;
}

export interface StreamInfo {
  readonly address: string;
  readonly shards: Setting;
  readonly onDemand: boolean;
  readonly retentionHours: Setting;
}

/** An answer of the API to its client: status and message. */
export interface ClientAnswer {
  readonly status: number;
  readonly message: string;
}

/** Kinesis's answer to a PutRecord over the shard's limits (HTTP 400, awsJson 1.1). */
const KINESIS_THROTTLED = JSON.stringify({
  __type: "ProvisionedThroughputExceededException",
  message: "Rate exceeded for shard shardId-000000000000 in stream stream under account 123456789012.",
});

/**
 * What the REST API answers when Kinesis throttles the integration's PutRecord: the integration
 * responses of the integration's method, played by the emulator (selection pattern, template,
 * status override), so the report cannot drift from the stack.
 */
function throttledAnswer(stack: SynthesizedStack, integration: Block): ClientAnswer {
  const sameMethod = (b: Block): boolean => b.rest_api_id === integration.rest_api_id && b.resource_id === integration.resource_id && b.http_method === integration.http_method;
  const responses = resourcesOf(stack, "aws_api_gateway_integration_response")
    .filter(([, b]) => sameMethod(b))
    .map(([, b]) => integrationResponse(stack, b));
  const { status, body } = selectResponse(responses, 400, KINESIS_THROTTLED, "capacity");
  let message = body;
  try {
    message = String((JSON.parse(body) as { message?: unknown }).message ?? body);
  } catch {
    // not JSON: the body as it is
  }
  return { status, message: message.trim() };
}

export interface QueueInfo {
  readonly address: string;
  readonly visibilityS: number;
  readonly retentionS: number;
  readonly maxReceiveCount?: number;
  readonly maxMessageKb: number;
}

export interface MappingInfo {
  readonly address: string;
  readonly batchSize: Setting;
  readonly parallelization: Setting;
  /** SQS only: maximum concurrency of the mapping (undefined: none). */
  readonly maximumConcurrency?: number;
  /** The `--set` name that changes maximum concurrency, when it is a plain attribute. */
  readonly maximumConcurrencySetName?: string;
  readonly windowS: number;
  readonly maxRecordAgeS?: number;
}

export interface Topology {
  readonly stackId: string;
  readonly front: FrontDoor;
  /** Functions the front door invokes synchronously, with their share of requests. */
  readonly frontFunctions: { fn: FunctionInfo; share: number }[];
  /** REST API writing straight to Kinesis (AWS integration). */
  readonly directStream?: StreamInfo;
  /** What that API answers a client when the stream throttles a write, as its integration responses map it. */
  readonly streamThrottled?: ClientAnswer;
  /** Where accepted requests wait: a stream or a queue. */
  readonly buffer?: { readonly stream?: StreamInfo; readonly queue?: QueueInfo; readonly mapping: MappingInfo; readonly consumer: FunctionInfo };
  readonly variables: string[];
}

const refName = (value: unknown, type: string): string | undefined => {
  const ref = referenceOf(value);
  return ref && ref.type === type ? ref.name : undefined;
};

function resourcesOf(stack: SynthesizedStack, type: string): [string, Block][] {
  return Object.entries(stack.json.resource?.[type] ?? {});
}

function tableInfo(stack: SynthesizedStack, name: string): TableInfo {
  const block = stack.json.resource!.aws_dynamodb_table[name];
  const billing = String(block.billing_mode ?? "PROVISIONED");
  const billingVar = typeof block.billing_mode === "string" ? /^\$\{var\.([A-Za-z0-9_-]+)\}$/.exec(block.billing_mode) : null;
  const billingValue = billingVar ? String(stack.json.variable?.[billingVar[1]]?.default) : billing;
  return {
    address: `aws_dynamodb_table.${name}`,
    name: String(resolveLocal(stack, block.name)),
    onDemand: billingValue === "PAY_PER_REQUEST",
    readCapacity: setting(stack, "aws_dynamodb_table", name, "read_capacity"),
    writeCapacity: setting(stack, "aws_dynamodb_table", name, "write_capacity"),
    hashKey: String(block.hash_key),
    billingSetName: billingVar ? billingVar[1] : `aws_dynamodb_table.${name}.billing_mode`,
  };
}

/** All policy text attached to a role (inline, attached, and the policy documents they reference). */
function rolePolicyText(stack: SynthesizedStack, roleName: string): string {
  const texts: string[] = [];
  const documentOf = (policy: unknown): void => {
    texts.push(JSON.stringify(policy));
    const ref = /\$\{data\.aws_iam_policy_document\.([A-Za-z0-9_-]+)\.json\}/.exec(String(policy));
    if (ref) texts.push(JSON.stringify(stack.json.data?.aws_iam_policy_document?.[ref[1]] ?? {}));
  };
  for (const [, p] of resourcesOf(stack, "aws_iam_role_policy")) if (refName(p.role, "aws_iam_role") === roleName) documentOf(p.policy);
  for (const [, a] of resourcesOf(stack, "aws_iam_role_policy_attachment")) {
    if (refName(a.role, "aws_iam_role") !== roleName) continue;
    const policyName = refName(a.policy_arn, "aws_iam_policy");
    if (policyName) documentOf(stack.json.resource?.aws_iam_policy?.[policyName]?.policy);
  }
  return texts.join("\n");
}

function functionInfo(stack: SynthesizedStack, name: string): FunctionInfo {
  const fn = stack.json.resource!.aws_lambda_function[name];
  const env = environmentVariables(fn);
  const policy = rolePolicyText(stack, refName(fn.role, "aws_iam_role") ?? "");
  const writes: TableInfo[] = [];
  const reads: TableInfo[] = [];
  for (const value of Object.values(env)) {
    const table = refName(value, "aws_dynamodb_table");
    if (!table) continue;
    const info = tableInfo(stack, table);
    if (/dynamodb:(PutItem|BatchWriteItem|UpdateItem)/.test(policy)) writes.push(info);
    else reads.push(info);
  }
  const architectures = (fn.architectures as string[] | undefined) ?? ["x86_64"];
  return {
    address: `aws_lambda_function.${name}`,
    name: String(resolveLocal(stack, fn.function_name)),
    memoryMb: numeric(stack, fn.memory_size) ?? 128,
    timeoutS: numeric(stack, fn.timeout) ?? 3,
    arm: architectures.includes("arm64"),
    reserved: reservedConcurrency(stack, name),
    writes,
    reads,
    upstream: "UPSTREAM" in env,
    translate: /translate:TranslateText/.test(policy),
  };
}

/** Reserved concurrency: -1 is the AWS provider's "unreserved" (its default), as if not set. */
function reservedConcurrency(stack: SynthesizedStack, name: string): Setting {
  const reserved = setting(stack, "aws_lambda_function", name, "reserved_concurrent_executions");
  if (reserved.value === -1) return { ...reserved, value: undefined };
  if (reserved.value !== undefined && (reserved.value < 0 || !Number.isInteger(reserved.value))) {
    throw new CapacityError(`${stack.id}: ${reserved.setName} = ${reserved.value}: reserved concurrency is a whole number >= 0 (or -1: unreserved)`);
  }
  return reserved;
}

function streamInfo(stack: SynthesizedStack, name: string): StreamInfo {
  const block = stack.json.resource!.aws_kinesis_stream[name];
  const mode = (block.stream_mode_details as Block | undefined)?.stream_mode;
  return {
    address: `aws_kinesis_stream.${name}`,
    shards: setting(stack, "aws_kinesis_stream", name, "shard_count"),
    onDemand: mode === "ON_DEMAND",
    retentionHours: setting(stack, "aws_kinesis_stream", name, "retention_period"),
  };
}

function queueInfo(stack: SynthesizedStack, name: string): QueueInfo {
  const q = stack.json.resource!.aws_sqs_queue[name];
  return {
    address: `aws_sqs_queue.${name}`,
    visibilityS: numeric(stack, q.visibility_timeout_seconds) ?? 30,
    retentionS: numeric(stack, q.message_retention_seconds) ?? 345_600,
    maxReceiveCount: redrivePolicy(stack, q)?.maxReceiveCount,
    maxMessageKb: (numeric(stack, q.max_message_size) ?? 262_144) / 1024,
  };
}

function mappingInfo(stack: SynthesizedStack, name: string, sqs: boolean): MappingInfo {
  const m = stack.json.resource!.aws_lambda_event_source_mapping[name];
  const { value: maximumConcurrency, dynamic } = maximumConcurrencyOf(stack, m);
  const maximumConcurrencySetName = dynamic ? undefined : `aws_lambda_event_source_mapping.${name}.scaling_config.maximum_concurrency`;
  return {
    address: `aws_lambda_event_source_mapping.${name}`,
    batchSize: { ...setting(stack, "aws_lambda_event_source_mapping", name, "batch_size"), value: numeric(stack, m.batch_size) ?? (sqs ? 10 : 100) },
    parallelization: {
      ...setting(stack, "aws_lambda_event_source_mapping", name, "parallelization_factor"),
      value: numeric(stack, m.parallelization_factor) ?? 1,
    },
    maximumConcurrency,
    maximumConcurrencySetName,
    windowS: numeric(stack, m.maximum_batching_window_in_seconds) ?? 0,
    maxRecordAgeS: numeric(stack, m.maximum_record_age_in_seconds),
  };
}

/** Finds the data path of a stack from its resources. */
export function readTopology(stack: SynthesizedStack): Topology {
  const variables = Object.keys(stack.json.variable ?? {});
  const frontFunctions: { fn: FunctionInfo; share: number }[] = [];
  let front: FrontDoor | undefined;
  let directStream: StreamInfo | undefined;
  let streamThrottled: ClientAnswer | undefined;

  const restApi = resourcesOf(stack, "aws_api_gateway_rest_api")[0];
  const httpStage = resourcesOf(stack, "aws_apigatewayv2_stage")[0];
  const alb = resourcesOf(stack, "aws_lb").find(([, b]) => (b.load_balancer_type ?? "application") === "application");
  if (restApi) {
    const [settingsName] = resourcesOf(stack, "aws_api_gateway_method_settings")[0] ?? [];
    const usagePlans = resourcesOf(stack, "aws_api_gateway_usage_plan").map(([name]) => ({
      address: `aws_api_gateway_usage_plan.${name}`,
      rate: setting(stack, "aws_api_gateway_usage_plan", name, "throttle_settings.rate_limit"),
      burst: setting(stack, "aws_api_gateway_usage_plan", name, "throttle_settings.burst_limit"),
    }));
    front = {
      kind: "rest",
      address: `aws_api_gateway_rest_api.${restApi[0]}`,
      rate: settingsName ? setting(stack, "aws_api_gateway_method_settings", settingsName, "settings.throttling_rate_limit") : { value: undefined, setName: "" },
      burst: settingsName ? setting(stack, "aws_api_gateway_method_settings", settingsName, "settings.throttling_burst_limit") : { value: undefined, setName: "" },
      usagePlans,
    };
    // The data path: non-MOCK integrations; a Lambda proxy or the Kinesis AWS integration.
    const targets = resourcesOf(stack, "aws_api_gateway_integration").filter(([, b]) => b.type !== "MOCK");
    const lambdas = new Set<string>();
    for (const [, b] of targets) {
      const fn = refName(b.uri, "aws_lambda_function");
      if (fn) lambdas.add(fn);
      else if (/:kinesis:action\/Put/.test(String(b.uri))) {
        const stream = resourcesOf(stack, "aws_kinesis_stream")[0];
        if (stream) directStream = streamInfo(stack, stream[0]);
        streamThrottled = throttledAnswer(stack, b);
      }
    }
    for (const fn of lambdas) frontFunctions.push({ fn: functionInfo(stack, fn), share: 1 / lambdas.size });
  } else if (httpStage) {
    const [stageName] = httpStage;
    front = {
      kind: "http",
      address: `aws_apigatewayv2_stage.${stageName}`,
      rate: setting(stack, "aws_apigatewayv2_stage", stageName, "default_route_settings.throttling_rate_limit"),
      burst: setting(stack, "aws_apigatewayv2_stage", stageName, "default_route_settings.throttling_burst_limit"),
    };
    const lambdas = new Set(resourcesOf(stack, "aws_apigatewayv2_integration").map(([, b]) => refName(b.integration_uri, "aws_lambda_function")).filter((n): n is string => !!n));
    for (const fn of lambdas) frontFunctions.push({ fn: functionInfo(stack, fn), share: 1 / lambdas.size });
  } else if (alb) {
    const rules = resourcesOf(stack, "aws_lb_listener_rule").length;
    front = { kind: "alb", address: `aws_lb.${alb[0]}`, rulesPerRequest: rules };
    const lambdas = resourcesOf(stack, "aws_lb_target_group_attachment").map(([, b]) => refName(b.target_id, "aws_lambda_function")).filter((n): n is string => !!n);
    for (const fn of lambdas) frontFunctions.push({ fn: functionInfo(stack, fn), share: 1 / lambdas.length });
  }
  if (!front) throw new CapacityError(`${stack.id}: no API Gateway stage or Application Load Balancer found in cdk.tf.json`);

  let buffer: Topology["buffer"];
  for (const [name, m] of resourcesOf(stack, "aws_lambda_event_source_mapping")) {
    const stream = refName(m.event_source_arn, "aws_kinesis_stream");
    const queue = refName(m.event_source_arn, "aws_sqs_queue");
    const consumer = refName(m.function_name, "aws_lambda_function");
    if (!consumer || (!stream && !queue)) continue;
    buffer = {
      stream: stream ? streamInfo(stack, stream) : undefined,
      queue: queue ? queueInfo(stack, queue) : undefined,
      mapping: mappingInfo(stack, name, !!queue),
      consumer: functionInfo(stack, consumer),
    };
  }
  return { stackId: stack.id, front, frontFunctions, directStream, streamThrottled, buffer, variables };
}
