/**
 * Lambda entry of the `kinesis-ingest` consumer (event source mapping on the
 * stream, ReportBatchItemFailures): stores each record in the table named by
 * `TABLE_NAME`. The logic lives in `./ingest`.
 *
 * The client makes one attempt per call (`maxAttempts: 1`): the writer retries
 * a chunk itself, as a batch, with jittered backoff and within the
 * invocation's deadline, so SDK retries would only multiply the calls.
 *
 * A missing or invalid setting (`../shared/env`) is logged as `config_error`
 * and fails the invocation: Lambda retries the whole batch, nothing is
 * dropped, and the function's Errors alarm fires.
 */
import type { Context, KinesisStreamBatchResponse, KinesisStreamEvent } from "aws-lambda";
import { dynamoDocumentClient } from "../shared/dynamodb-client";
import { lazy, readSettings, requiredString } from "../shared/env";
import { Deadline } from "../shared/time-budget";
import { handleKinesisEvent } from "./ingest";

const documentClient = lazy(() => dynamoDocumentClient({ maxAttempts: 1 }));

export async function handler(event: KinesisStreamEvent, context?: Context): Promise<KinesisStreamBatchResponse> {
  const { tableName, budget } = readSettings(() => ({ tableName: requiredString("TABLE_NAME"), budget: Deadline.of(context) }));
  return handleKinesisEvent(documentClient(), tableName, event, { budget });
}
