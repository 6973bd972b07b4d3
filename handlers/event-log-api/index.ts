/**
 * Lambda entry of `GET /events` and `POST /events` (HTTP API, payload 2.0).
 * Parses nothing itself: the logic lives in `events.ts`.
 *
 * Environment: `TABLE_NAME` (the `EventLog` table), read on each call so tests can set it.
 */
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from "aws-lambda";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { errorResponse } from "../shared/http";
import { handleRequest } from "./events";

// Module scope: one client per container, reused across invocations.
const db = DynamoDBDocumentClient.from(new DynamoDBClient({}));

export async function handler(event: APIGatewayProxyEventV2): Promise<APIGatewayProxyStructuredResultV2> {
  const tableName = process.env.TABLE_NAME;
  if (!tableName) {
    console.error("TABLE_NAME is not set");
    return errorResponse(500, "Internal server error");
  }
  return handleRequest(event, { db, tableName });
}
