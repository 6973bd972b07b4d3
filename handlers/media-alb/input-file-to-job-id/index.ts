/**
 * Lambda entry of mediaConvertInputFileToJobIdApi (behind the ALB, or an HTTP API):
 * `GET /media/job_id?input_file=<name>` -> `{ success, job_id }`.
 *
 * Configuration is read once, at start-up: an unset TABLE_NAME or a malformed
 * ALLOWED_ORIGINS pattern fails the init with a clear message.
 */
import type { ALBResult, APIGatewayProxyStructuredResultV2 } from "aws-lambda";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { loadConfig, serve } from "../api";
import { FrontDoorEvent } from "../event";
import { inputFileToJobId } from "../job-id";

const config = loadConfig(process.env);
const client = DynamoDBDocumentClient.from(new DynamoDBClient({}));
const endpoint = inputFileToJobId(client, config.tableName);

export async function handler(event: FrontDoorEvent): Promise<ALBResult & APIGatewayProxyStructuredResultV2> {
  return serve(event, config, endpoint);
}
