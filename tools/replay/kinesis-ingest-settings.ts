/** What the kinesis-ingest replay reads from the synthesized stack (cdk.tf.json). */
import { integrationResponses, type IntegrationResponse } from "../emulator/apigateway";
import { readStreamMapping, type StreamMappingSettings } from "../emulator/event-source";
import type { FunctionSettings } from "../emulator/handler";
import { functionSettings } from "../emulator/resources";
import { type Block, environmentVariables, numberSetting, referenceOf, resolveLiterals, resource, resources, single, type SynthesizedStack } from "../emulator/synth";

/** What the replay read from cdk.tf.json. */
export interface IngestSettings {
  readonly template: string;
  readonly responses: IntegrationResponse[];
  readonly throttling?: { rate: number; burst: number };
  /** The method requires an API key (`api_key_required`); the client's usage plan, if any. */
  readonly apiKeyRequired: boolean;
  readonly clientPlan?: { rate: number; burst: number; dailyQuota?: number };
  readonly streamName: string;
  readonly shardCount: number;
  readonly tableName: string;
  readonly table: Block;
  readonly dlqName?: string;
  readonly mapping: StreamMappingSettings;
  readonly fn: FunctionSettings;
  readonly fnBlock: Block;
}

export function readSettings(stack: SynthesizedStack): IngestSettings {
  const [, integration] = single(stack, "aws_api_gateway_integration", (b) => String(b.uri).includes(":kinesis:action/PutRecord"));
  const templates = integration.request_templates as Record<string, string> | undefined;
  const raw = templates?.["application/json"];
  if (!raw) throw new Error("kinesis-ingest: the integration has no application/json request template");
  // Terraform interpolates the stream's name into the template before API Gateway sees it.
  const template = resolveLiterals(stack, raw);
  const responses = integrationResponses(stack);
  const settings = resources(stack, "aws_api_gateway_method_settings")[0]?.[1]?.settings as Record<string, unknown> | undefined;
  const rate = numberSetting(stack, settings?.throttling_rate_limit, "throttling_rate_limit");
  const burst = numberSetting(stack, settings?.throttling_burst_limit, "throttling_burst_limit");

  // Who may call: the method's api_key_required, and the usage plan each client's key is in (one per client, same limits).
  const [, method] = single(stack, "aws_api_gateway_method", (b) => b.http_method === "POST");
  const plan = resources(stack, "aws_api_gateway_usage_plan")[0]?.[1];
  const planThrottle = plan?.throttle_settings as Block | undefined;
  const planQuota = plan?.quota_settings as Block | undefined;
  const planRate = numberSetting(stack, planThrottle?.rate_limit, "usage plan rate_limit");
  const planBurst = numberSetting(stack, planThrottle?.burst_limit, "usage plan burst_limit");

  const [, mapping] = single(stack, "aws_lambda_event_source_mapping", (b) => referenceOf(b.event_source_arn)?.type === "aws_kinesis_stream");
  const streamRef = referenceOf(mapping.event_source_arn)!;
  const stream = resource(stack, "aws_kinesis_stream", streamRef.name);
  const fnRef = referenceOf(mapping.function_name);
  if (!fnRef || fnRef.type !== "aws_lambda_function") throw new Error("kinesis-ingest: the mapping's function is not a reference");
  const fnBlock = resource(stack, "aws_lambda_function", fnRef.name);
  const tableRef = Object.values(environmentVariables(fnBlock))
    .map(referenceOf)
    .find((r) => r?.type === "aws_dynamodb_table");
  const [, table] = tableRef ? [tableRef.name, resource(stack, "aws_dynamodb_table", tableRef.name)] : single(stack, "aws_dynamodb_table");
  const dlqRef = referenceOf(((mapping.destination_config as Block | undefined)?.on_failure as Block | undefined)?.destination_arn);

  return {
    template,
    responses,
    throttling: rate !== undefined && burst !== undefined ? { rate, burst } : undefined,
    apiKeyRequired: method.api_key_required === true,
    clientPlan:
      planRate !== undefined && planBurst !== undefined
        ? { rate: planRate, burst: planBurst, dailyQuota: numberSetting(stack, planQuota?.limit, "usage plan quota") }
        : undefined,
    streamName: String(stream.name),
    shardCount: numberSetting(stack, stream.shard_count, "shard_count") ?? 1,
    tableName: String(table.name),
    table,
    dlqName: dlqRef ? String(resource(stack, "aws_sqs_queue", dlqRef.name).name) : undefined,
    mapping: readStreamMapping(stack, mapping),
    fn: functionSettings(stack, fnBlock),
    fnBlock,
  };
}
