/**
 * Replays kinesis-ingest's dead letters against the account the AWS environment
 * (credentials, AWS_REGION, optional AWS_ENDPOINT_URL_*) points to:
 *
 *   npm run redrive:kinesis-ingest -- --queue-url <dead_letter_queue_url> --table <table_name output>
 *                                     [--max-messages 100] [--dry-run]
 *
 * Both values are outputs of the stack (`cdktf output kinesis-ingest`). The records are
 * stored by the consumer's own logic (`handlers/kinesis-ingest/ingest.ts`), from this
 * machine: the caller needs kinesis:GetShardIterator/GetRecords on the stream,
 * dynamodb:BatchWriteItem on the table, sqs:ReceiveMessage/DeleteMessage on the queue.
 * Exits 1 when a message had to stay in the queue, 2 on a usage error.
 */
import { parseArgs } from "node:util";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { KinesisClient } from "@aws-sdk/client-kinesis";
import { SQSClient } from "@aws-sdk/client-sqs";
import { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { NodeHttpHandler } from "@smithy/node-http-handler";
import { handleKinesisEvent } from "../../handlers/kinesis-ingest/ingest";
import { redriveDeadLetters, RedriveResult } from "./kinesis-dead-letters";

export function formatResult(r: RedriveResult): string {
  const where = r.pointer ? `${r.pointer.shardId} ${r.pointer.startSequenceNumber}..${r.pointer.endSequenceNumber}` : "-";
  return `${r.outcome.padEnd(8)} ${r.messageId} ${where} (${r.records} record(s))${r.detail ? `: ${r.detail}` : ""}`;
}

async function main(): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      options: {
        "queue-url": { type: "string" },
        table: { type: "string" },
        "max-messages": { type: "string", default: "100" },
        "dry-run": { type: "boolean", default: false },
      },
      strict: true,
    }));
  } catch (err) {
    console.error((err as Error).message);
    return 2;
  }
  const maxMessages = Number(values["max-messages"]);
  if (!values["queue-url"] || !values.table || !(Number.isInteger(maxMessages) && maxMessages > 0)) {
    console.error("usage: npm run redrive:kinesis-ingest -- --queue-url <url> --table <name> [--max-messages N] [--dry-run]");
    return 2;
  }
  const sqs = new SQSClient({});
  // HTTP/1.1: the same for AWS, and what local engines (kinesalite) speak.
  const kinesis = new KinesisClient({ requestHandler: new NodeHttpHandler() });
  const dynamo = new DynamoDBClient({});
  const documents = DynamoDBDocumentClient.from(dynamo);
  const table = values.table;
  try {
    const results = await redriveDeadLetters({
      sqs,
      kinesis,
      queueUrl: values["queue-url"],
      handler: (event) => handleKinesisEvent(documents, table, event),
      maxMessages,
      dryRun: values["dry-run"],
    });
    for (const r of results) console.log(formatResult(r));
    const kept = results.filter((r) => r.outcome === "kept").length;
    console.log(`${results.length} dead letter(s): ${results.length - kept} ${values["dry-run"] ? "checked" : "replayed"}, ${kept} kept`);
    return kept > 0 ? 1 : 0;
  } finally {
    sqs.destroy();
    kinesis.destroy();
    dynamo.destroy();
  }
}

if (require.main === module) {
  main().then(
    (code) => process.exit(code),
    (err: unknown) => {
      console.error(err instanceof Error ? err.message : String(err));
      process.exit(1);
    },
  );
}
