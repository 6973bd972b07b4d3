/**
 * Lambda entry of `GET /events` and `POST /events` (HTTP API, payload 2.0).
 * Parses nothing itself: the logic lives in `events.ts`.
 *
 * Environment: `TABLE_NAME` (the `EventLog` table), read on each call so tests can set it;
 * `FUNCTION_TIMEOUT_MS` (the function's timeout) sizes the client and the deadline.
 */
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from "aws-lambda";
import { dynamoDocumentClient } from "../shared/dynamodb-client";
import { errorResponse } from "../shared/http";
import { Deadline } from "../shared/time-budget";
import { handleRequest } from "./events";

// Module scope: one client per container, reused across invocations; timeouts and retries sized to the function's.
const db = dynamoDocumentClient();

export async function handler(event: APIGatewayProxyEventV2, context?: Context): Promise<APIGatewayProxyStructuredResultV2> {
  const tableName = process.env.TABLE_NAME;
  if (!tableName) {
    console.error("TABLE_NAME is not set");
    return errorResponse(500, "Internal server error");
  }
  const deadline = Deadline.of(context);
  return handleRequest(event, { db, tableName, signal: () => deadline.signal() });
}
