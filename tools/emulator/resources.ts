/**
 * A stack's resources made again on the local engines, from their cdk.tf.json
 * blocks: what the replays and `npm run local` (tools/local/runtime.ts) both
 * create, read one way.
 */
import { type AttributeDefinition, CreateTableCommand, type DynamoDBClient, type KeySchemaElement } from "@aws-sdk/client-dynamodb";
import { CreateStreamCommand, DescribeStreamSummaryCommand, type KinesisClient } from "@aws-sdk/client-kinesis";
import type { FunctionSettings } from "./handler";
import { type Block, numberSetting, resolveLocal, type SynthesizedStack } from "./synth";
import { sleep } from "./util";

/** What the local invoke needs of an `aws_lambda_function` block (Lambda's defaults: 3 s, 128 MB). */
export function functionSettings(stack: SynthesizedStack, fn: Block): FunctionSettings {
  return {
    functionName: String(resolveLocal(stack, fn.function_name)),
    timeoutMs: (numberSetting(stack, fn.timeout, "timeout") ?? 3) * 1000,
    memoryMb: numberSetting(stack, fn.memory_size, "memory_size") ?? 128,
  };
}

/** An `aws_dynamodb_table` block's key schema and the definitions of its key attributes. */
export function tableKeys(table: Block): { keySchema: KeySchemaElement[]; attributes: AttributeDefinition[] } {
  const keySchema: KeySchemaElement[] = [{ AttributeName: String(table.hash_key), KeyType: "HASH" }];
  if (table.range_key) keySchema.push({ AttributeName: String(table.range_key), KeyType: "RANGE" });
  const attributes = ((table.attribute as { name: string; type: string }[] | undefined) ?? [])
    .filter((a) => keySchema.some((k) => k.AttributeName === a.name))
    .map((a) => ({ AttributeName: a.name, AttributeType: a.type as "S" | "N" | "B" }));
  return { keySchema, attributes };
}

/** Creates the table on demand (the engine ignores capacity), named as the block names it. */
export async function createTable(client: DynamoDBClient, table: Block): Promise<void> {
  const { keySchema, attributes } = tableKeys(table);
  await client.send(new CreateTableCommand({ TableName: String(table.name), KeySchema: keySchema, AttributeDefinitions: attributes, BillingMode: "PAY_PER_REQUEST" }));
}

/** Creates the stream and waits until it is ACTIVE. */
export async function createStream(client: KinesisClient, streamName: string, shardCount: number): Promise<void> {
  await client.send(new CreateStreamCommand({ StreamName: streamName, ShardCount: shardCount }));
  while ((await client.send(new DescribeStreamSummaryCommand({ StreamName: streamName }))).StreamDescriptionSummary?.StreamStatus !== "ACTIVE") await sleep(20);
}
