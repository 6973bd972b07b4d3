/**
 * Lambda entry of the `kinesis-ingest` consumer (event source mapping on the
 * stream, ReportBatchItemFailures): stores each record in the table named by
 * `TABLE_NAME`. The logic lives in `./ingest`.
 */
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import type { KinesisStreamHandler } from "aws-lambda";
import { handleKinesisEvent, tableNameFromEnv } from "./ingest";

const documentClient = DynamoDBDocumentClient.from(new DynamoDBClient({}));

export const handler: KinesisStreamHandler = async (event) =>
  handleKinesisEvent(documentClient, tableNameFromEnv(), event);
