/**
 * The bench's consumer figures: kinesis-ingest's bundled handler (BatchWriteItem) against the
 * seed's algorithm (one PutItem per record), items/s on the same dynalite (scripts/bench.ts, figure 2).
 */
import { randomUUID } from "node:crypto";
import { rmSync } from "node:fs";
import type { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DynamoDBDocumentClient, PutCommand } from "@aws-sdk/lib-dynamodb";
import type { KinesisStreamBatchResponse, KinesisStreamEvent } from "aws-lambda";
import { ACCOUNT_ID, awsEnv, dynamoClient, Engine, REGION, setProcessEnv, startDynalite } from "../../tools/emulator/engines";
import { kinesisEvent, type ShardRecord } from "../../tools/emulator/event-source";
import { createTable } from "../../tools/emulator/resources";
import { captureConsole, invoke, loadHandler } from "../../tools/emulator/handler";
import { functionCode, readStack, resources, scratchDir } from "../../tools/emulator/synth";
import { median } from "./stats";

/** The seed's Python handler, in TypeScript: one PutItem per record, in order, random UUID ids. */
async function seedAlgorithm(client: DynamoDBDocumentClient, table: string, event: KinesisStreamEvent): Promise<void> {
  for (const record of event.Records) {
    const text = Buffer.from(record.kinesis.data, "base64").toString("utf8");
    let data: Record<string, unknown>;
    try {
      data = JSON.parse(text) as Record<string, unknown>;
    } catch {
      data = { message: text };
    }
    await client.send(new PutCommand({ TableName: table, Item: { ID: randomUUID(), Message: data.message ?? "NoMessage" } }));
  }
}

/** `count` records of the seed's send_api.py bodies on one shard, as the mapping hands them on. */
function kinesisRecords(count: number): ShardRecord[] {
  const base = BigInt("49680500974175709359476434820507794021671814323270320130");
  return Array.from({ length: count }, (_, i) => ({
    shardId: "shardId-000000000000",
    record: {
      PartitionKey: randomUUID(),
      SequenceNumber: String(base + BigInt(i)),
      Data: Buffer.from(`{"index": ${i}, "message": "Test message ${i}"}`),
      ApproximateArrivalTimestamp: new Date(),
    },
  }));
}

export interface ConsumerResult {
  readonly records: number;
  readonly batchSize: number;
  readonly handlerItemsPerS: number;
  readonly seedItemsPerS: number;
  readonly ratio: number;
}

export async function benchConsumer(outdir: string, runs: number, count: number): Promise<ConsumerResult> {
  const stack = readStack(outdir, "kinesis-ingest");
  const [, mapping] = resources(stack, "aws_lambda_event_source_mapping")[0];
  const fnName = /aws_lambda_function\.([A-Za-z0-9_-]+)\.arn/.exec(String(mapping.function_name))![1];
  const fn = stack.json.resource!.aws_lambda_function[fnName];
  const batchSize = Number(mapping.batch_size);
  const records = kinesisRecords(count);
  const batches: KinesisStreamEvent[] = [];
  const streamArn = `arn:aws:kinesis:${REGION}:${ACCOUNT_ID}:stream/bench`;
  for (let i = 0; i < records.length; i += batchSize) batches.push(kinesisEvent(records.slice(i, i + batchSize), streamArn, `arn:aws:iam::${ACCOUNT_ID}:role/bench`));

  const engines: Engine[] = [];
  const restore: (() => void)[] = [];
  try {
    const dynalite = await startDynalite();
    engines.push(dynalite);
    restore.push(setProcessEnv({ ...awsEnv({ dynamodb: dynalite }), TABLE_NAME: "bench-handler-0" }));
    restore.push(captureConsole(() => undefined));
    const scratch = scratchDir("bench-kinesis-");
    restore.push(() => rmSync(scratch, { recursive: true, force: true }));
    const handler = loadHandler<KinesisStreamEvent, KinesisStreamBatchResponse | void>(functionCode(stack, fn).file, scratch, "kinesis");
    const raw: DynamoDBClient = dynamoClient(dynalite);
    const doc = DynamoDBDocumentClient.from(raw);
    const fnSettings = { functionName: "bench", timeoutMs: 60_000, memoryMb: 256 };
    // The stack's table: hash key ID (a string).
    const newTable = (name: string): Promise<void> => createTable(raw, { name, hash_key: "ID", attribute: [{ name: "ID", type: "S" }] });

    const ours: number[] = [];
    const seed: number[] = [];
    for (let r = 0; r < runs; r++) {
      // Fresh tables per run, so neither side writes into a table the other filled.
      const seedTable = `bench-seed-${r}`;
      const ourTable = `bench-handler-${r}`;
      await newTable(seedTable);
      await newTable(ourTable);
      process.env.TABLE_NAME = ourTable;
      const order = r % 2 === 0 ? ["seed", "ours"] : ["ours", "seed"];
      for (const side of order) {
        const start = process.hrtime.bigint();
        for (const event of batches) {
          if (side === "seed") await seedAlgorithm(doc, seedTable, event);
          else {
            const out = await invoke(handler, fnSettings, event);
            if (out && out.batchItemFailures.length > 0) throw new Error("the handler reported failures in the bench");
          }
        }
        const s = Number(process.hrtime.bigint() - start) / 1e9;
        (side === "seed" ? seed : ours).push(count / s);
      }
      process.stderr.write(`  consumer run ${r + 1}/${runs}: handler ${ours[r].toFixed(0)} items/s, seed ${seed[r].toFixed(0)} items/s\n`);
    }
    const handlerItemsPerS = median(ours);
    const seedItemsPerS = median(seed);
    return { records: count, batchSize, handlerItemsPerS, seedItemsPerS, ratio: handlerItemsPerS / seedItemsPerS };
  } finally {
    for (const undo of restore.reverse()) undo();
    await Promise.all(engines.map((e) => e.stop()));
  }
}

