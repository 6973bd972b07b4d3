/**
 * Lambda entry of mediaConvertJobIdToStatusApi (behind the ALB, or an HTTP API):
 * `GET /media/status?job_id=<id>` -> `{ success, job_status, progress_rate, ... }`.
 *
 * Configuration is read once, at start-up: an unset TABLE_NAME or a malformed
 * ALLOWED_ORIGINS pattern fails the init with a clear message.
 */
import type { ALBResult, APIGatewayProxyStructuredResultV2, Context } from "aws-lambda";
import { dynamoDocumentClient } from "../../shared/dynamodb-client";
import { Deadline } from "../../shared/time-budget";
import { loadConfig, serve } from "../api";
import { FrontDoorEvent } from "../event";
import { jobIdToStatus } from "../status";

const config = loadConfig(process.env);
// Timeouts and retries sized to the function's timeout (FUNCTION_TIMEOUT_MS).
const client = dynamoDocumentClient();
const endpoint = jobIdToStatus(client, config.tableName);

export async function handler(event: FrontDoorEvent, context?: Context): Promise<ALBResult & APIGatewayProxyStructuredResultV2> {
  const deadline = Deadline.of(context);
  return serve(event, config, endpoint, () => deadline.signal());
}
