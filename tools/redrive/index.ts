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
 * Exits 1 when a message had to stay in the queue, 2 on a usage error (a missing
 * option, a queue URL that is not an http(s) URL, a bad --max-messages), 0 with
 * the usage on `--help`.
 */
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { KinesisClient } from "@aws-sdk/client-kinesis";
import { SQSClient } from "@aws-sdk/client-sqs";
import { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { NodeHttpHandler } from "@smithy/node-http-handler";
import { handleKinesisEvent } from "../../handlers/kinesis-ingest/ingest";
import { numberOption, readOptions, runMain, UsageError, urlOption, type Command } from "../cli";
import { redriveDeadLetters, RedriveResult } from "./kinesis-dead-letters";

export function formatResult(r: RedriveResult): string {
  const where = r.pointer ? `${r.pointer.shardId} ${r.pointer.startSequenceNumber}..${r.pointer.endSequenceNumber}` : "-";
  return `${r.outcome.padEnd(8)} ${r.messageId} ${where} (${r.records} record(s))${r.detail ? `: ${r.detail}` : ""}`;
}

const USAGE = `usage: npm run redrive:kinesis-ingest -- --queue-url <url> --table <name> [--max-messages N] [--dry-run]
  --queue-url URL     the stack's dead_letter_queue_url output (https://sqs.<region>.amazonaws.com/<account>/<name>)
  --table NAME        the stack's table_name output
  --max-messages N    dead letters to handle at most (default 100)
  --dry-run           read each range back and report, store and delete nothing
  --help, -h          this text`;

export interface RedriveCommand {
  readonly queueUrl: string;
  readonly table: string;
  readonly maxMessages: number;
  readonly dryRun: boolean;
}

/** The command line (after `npm run redrive:kinesis-ingest --`); a UsageError for anything missing, unknown or malformed. */
export function parseArgs(argv: readonly string[]): RedriveCommand {
  let queueUrl: string | undefined;
  let table: string | undefined;
  let maxMessages = 100;
  let dryRun = false;
  for (const [name, value] of readOptions(argv, ["dry-run"], ["queue-url", "table", "max-messages"])) {
    if (value === true) dryRun = true;
    else if (name === "queue-url") queueUrl = urlOption("queue-url", value);
    else if (name === "table") {
      if (value.trim() === "") throw new UsageError("--table needs a table name");
      table = value;
    } else if (name === "max-messages") maxMessages = numberOption("max-messages", value, 1, 1_000_000, true);
    else throw new UsageError(`unknown option --${name}`);
  }
  if (queueUrl === undefined || table === undefined) {
    throw new UsageError(`${[queueUrl === undefined ? "--queue-url" : "", table === undefined ? "--table" : ""].filter(Boolean).join(" and ")} missing`);
  }
  return { queueUrl, table, maxMessages, dryRun };
}

async function main(argv: readonly string[]): Promise<number> {
  const { queueUrl, table, maxMessages, dryRun } = parseArgs(argv);
  const sqs = new SQSClient({});
  // HTTP/1.1: the same for AWS, and what local engines (kinesalite) speak.
  const kinesis = new KinesisClient({ requestHandler: new NodeHttpHandler() });
  const dynamo = new DynamoDBClient({});
  const documents = DynamoDBDocumentClient.from(dynamo);
  try {
    const results = await redriveDeadLetters({
      sqs,
      kinesis,
      queueUrl,
      handler: (event) => handleKinesisEvent(documents, table, event),
      maxMessages,
      dryRun,
    });
    for (const r of results) console.log(formatResult(r));
    const kept = results.filter((r) => r.outcome === "kept").length;
    console.log(`${results.length} dead letter(s): ${results.length - kept} ${dryRun ? "checked" : "replayed"}, ${kept} kept`);
    return kept > 0 ? 1 : 0;
  } finally {
    sqs.destroy();
    kinesis.destroy();
    dynamo.destroy();
  }
}

/** The command line, for tests that run it in-process (__tests__/script-usage.test.ts). */
export const command: Command = { name: "redrive:kinesis-ingest", usage: USAGE, main };

if (require.main === module) runMain(command.name, command.usage, command.main);
