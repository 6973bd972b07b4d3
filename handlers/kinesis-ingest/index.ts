/**
 * Lambda entry of the `kinesis-ingest` consumer (event source mapping on the
 * stream, ReportBatchItemFailures): stores each record in the table named by
 * `TABLE_NAME`. The logic lives in `./ingest`.
 *
 * The client makes one attempt per call (`maxAttempts: 1`): the writer retries
 * a chunk itself, as a batch, with jittered backoff and within the
 * invocation's deadline, so SDK retries would only multiply the calls.
 */
import type { Context, KinesisStreamBatchResponse, KinesisStreamEvent } from "aws-lambda";
import { dynamoDocumentClient } from "../shared/dynamodb-client";
import { Deadline } from "../shared/time-budget";
import { handleKinesisEvent, tableNameFromEnv } from "./ingest";

const documentClient = dynamoDocumentClient({ maxAttempts: 1 });

export async function handler(event: KinesisStreamEvent, context?: Context): Promise<KinesisStreamBatchResponse> {
  return handleKinesisEvent(documentClient, tableNameFromEnv(), event, { budget: Deadline.of(context) });
}
