/**
 * What the planner knows about a stack, read from its synthesized Terraform
 * JSON (through the replay's reader, tools/emulator/synth.ts) with variable
 * defaults, after applying `--set` overrides: a variable name
 * (`reserved_concurrent_executions=4`) or a resource attribute by address
 * (`aws_kinesis_stream.stream.shard_count=6`). The topology is found by
 * resource types and references, not by stack id, so a new variable or
 * resource in a stack flows in without code changes here.
 */
import { existsSync } from "node:fs";
import { UsageError } from "../cli";
import * as path from "node:path";
import { Block, environmentVariables, evaluate, readStack, redrivePolicy, referenceOf, resolveLocal, SynthesizedStack } from "../emulator/synth";
import { integrationResponse, selectResponse } from "../emulator/apigateway";
import { maximumConcurrencyOf } from "../emulator/event-source";
import { evaluateCondition, HclValue, Unsupported } from "../emulator/terraform-expression";

/** A mistake in what the command was given (a `--set`, a synth output): exit status 2 with the usage (tools/cli.ts). */
export class CapacityError extends UsageError {}

export type SetValue = number | boolean | string;

/** Parses `name=value` (numbers and true/false typed, anything else a string). */
export function parseSet(text: string): [string, SetValue] {
  const m = /^([A-Za-z0-9_.-]+)=(.*)$/.exec(text);
  if (!m) throw new CapacityError(`--set expects name=value, got "${text}"`);
  const raw = m[2].trim();
  const value: SetValue = raw === "true" ? true : raw === "false" ? false : raw !== "" && Number.isFinite(Number(raw)) ? Number(raw) : raw;
  return [m[1], value];
}

/** The synthesized stack of `id` under `synthDir`, with the overrides applied to a copy. */
export function loadStack(synthDir: string, id: string, sets: readonly [string, SetValue][] = []): SynthesizedStack {
  const file = path.join(synthDir, "stacks", id, "cdk.tf.json");
  if (!existsSync(file)) throw new CapacityError(`${file} not found: run \`npm run synth\` first (or pass --synth to synthesize now)`);
  const stack = readStack(synthDir, id);
  return applySets(stack, sets);
}

interface VariableBlock {
  readonly type?: string;
  readonly default?: unknown;
  readonly validation?: readonly { readonly condition?: unknown; readonly error_message?: unknown }[];
}

/** A `--set` value as the variable's declared type takes it (`--set name=123` of a string variable is "123"). */
function typed(stackId: string, name: string, type: string | undefined, value: SetValue): SetValue {
  const shown = `"${String(value)}"`;
  switch (type?.replace(/\s+/g, "")) {
    case undefined:
    case "any":
      return value;
    case "number":
      if (typeof value !== "number") throw new CapacityError(`${stackId}: --set ${name}: the variable is a number, got ${shown}`);
      return value;
    case "bool":
      if (typeof value !== "boolean") throw new CapacityError(`${stackId}: --set ${name}: the variable is a bool (true or false), got ${shown}`);
      return value;
    case "string":
      return String(value);
    default:
      throw new CapacityError(`${stackId}: --set ${name}: the variable is a ${type}; --set takes one number, bool or string`);
  }
}

/**
 * The `--set` values typed as their variables declare, each checked against
 * its variable's `validation` blocks as `terraform plan` would: a failed
 * condition throws the variable's own error_message. Returns a sentence per
 * condition that could not be evaluated here (not checked: say so, don't pass).
 * Resource attributes (`<type>.<name>.<attribute>`) have no validation blocks
 * in the JSON and pass as given.
 */
export function checkSets(stack: SynthesizedStack, sets: readonly [string, SetValue][]): { sets: [string, SetValue][]; unchecked: string[] } {
  const variables = (stack.json.variable ?? {}) as Record<string, VariableBlock>;
  const typedSets = sets.map(([name, value]): [string, SetValue] => (name in variables ? [name, typed(stack.id, name, variables[name].type, value)] : [name, value]));
  const values = new Map<string, unknown>(Object.entries(variables).map(([name, v]) => [name, v.default]));
  for (const [name, value] of typedSets) if (name in variables) values.set(name, value);
  const lookup = (name: string): HclValue => {
    const value = values.get(name);
    if (value === undefined) throw new Unsupported(`var.${name} has no value`);
    return value as HclValue;
  };
  const unchecked: string[] = [];
  for (const [name, value] of typedSets) {
    for (const validation of variables[name]?.validation ?? []) {
      const condition = String(validation.condition);
      let ok: boolean;
      try {
        ok = evaluateCondition(condition, lookup);
      } catch (error) {
        if (error instanceof Unsupported) {
          unchecked.push(`--set ${name}=${String(value)}: its validation ${condition} was NOT checked (cannot evaluate ${error.message}); terraform plan may refuse it`);
          continue;
        }
        throw new CapacityError(`${stack.id}: --set ${name}=${String(value)}: ${String(validation.error_message ?? "invalid value")} (${error instanceof Error ? error.message : String(error)})`);
      }
      if (!ok) throw new CapacityError(`${stack.id}: --set ${name}=${String(value)}: ${String(validation.error_message ?? `fails ${condition}`)}`);
    }
  }
  return { sets: typedSets, unchecked };
}

/**
 * A copy of `stack` with `sets` applied; throws on a name that is neither a
 * variable nor an existing resource, on a value of the wrong type, and on a
 * value the variable's validation refuses (checkSets).
 */
export function applySets(stack: SynthesizedStack, sets: readonly [string, SetValue][]): SynthesizedStack {
  const json = structuredClone(stack.json) as {
    resource?: Record<string, Record<string, Block>>;
    variable?: Record<string, { default?: unknown }>;
  };
  for (const [name, value] of checkSets(stack, sets).sets) {
    if (json.variable && name in json.variable) {
      json.variable[name] = { ...json.variable[name], default: value };
      continue;
    }
    const [type, resourceName, ...attribute] = name.split(".");
    const block = json.resource?.[type]?.[resourceName];
    if (!block || attribute.length === 0) {
      const variables = Object.keys(json.variable ?? {}).join(", ") || "none";
      throw new CapacityError(`${stack.id}: unknown --set "${name}": not a variable of the stack (${variables}) nor <resource type>.<name>.<attribute> of one of its resources`);
    }
    let target: Block = block;
    for (const key of attribute.slice(0, -1)) {
      const next = target[key];
      if (next === undefined) target[key] = {};
      else if (typeof next !== "object" || next === null || Array.isArray(next)) throw new CapacityError(`${stack.id}: --set ${name}: ${key} is not a nested block`);
      target = target[key] as Block;
    }
    target[attribute[attribute.length - 1]] = value;
  }
  return { ...stack, json: json as SynthesizedStack["json"] };
}

/** A setting read from the JSON: its value and the `--set` name that changes it. */
export interface Setting {
  readonly value: number | undefined;
  /** The stack's own variable when the attribute is `${var.x}`, else the attribute's address. */
  readonly setName: string;
}

/** A numeric attribute at `attributePath` of `type.name`: literal, `${var.x}`, or a small expression. */
export function setting(stack: SynthesizedStack, type: string, name: string, attributePath: string): Setting {
  let raw: unknown = stack.json.resource?.[type]?.[name];
  for (const key of attributePath.split(".")) raw = raw === undefined || raw === null ? undefined : (raw as Block)[key];
  const variable = typeof raw === "string" ? /^\$\{var\.([A-Za-z0-9_-]+)\}$/.exec(raw) : null;
  return { value: numeric(stack, raw), setName: variable ? variable[1] : `${type}.${name}.${attributePath}` };
}

/** A number from a literal, a numeric string, `${var.x}` or an expression evaluate() admits. */
export function numeric(stack: SynthesizedStack, raw: unknown): number | undefined {
  if (raw === undefined || raw === null) return undefined;
  if (typeof raw === "number") return raw;
  if (typeof raw === "boolean") return undefined;
  const text = String(raw);
  const value = text.includes("${") ? evaluate(stack, text) : Number(text);
  const n = typeof value === "number" ? value : Number(value);
  if (!Number.isFinite(n)) throw new CapacityError(`${stack.id}: ${text} is not a number`);
  return n;
}

// ---------------------------------------------------------------- topology

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
