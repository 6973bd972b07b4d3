/**
 * Lambda entry of `GET /events` and `POST /events` (HTTP API, payload 2.0).
 * Parses nothing itself: the logic lives in `events.ts`.
 *
 * Environment (`../shared/env`), read on each call inside the error boundary,
 * so a missing setting is a logged `config_error` and a 500, and tests can set it:
 * `TABLE_NAME` (the `EventLog` table); `FUNCTION_TIMEOUT_MS` sizes the client and the deadline.
 */
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from "aws-lambda";
import { dynamoDocumentClient } from "../shared/dynamodb-client";
import { lazy, requiredString } from "../shared/env";
import { apiGatewayCorrelationId, withCorrelationHeader } from "../shared/correlation";
import { answer } from "../shared/http";
import { Telemetry } from "../shared/observability";
import { Deadline } from "../shared/time-budget";
import { handleRequest } from "./events";

// One client per container, built on first use and reused; timeouts and retries sized to the function's.
const db = lazy(() => dynamoDocumentClient());
const telemetry = new Telemetry("event-log-api");

export async function handler(event: APIGatewayProxyEventV2, context?: Context): Promise<APIGatewayProxyStructuredResultV2> {
  const correlationId = apiGatewayCorrelationId(event);
  return telemetry.run(context, correlationId, async (scope) => {
    const response = await answer(async () => {
      const tableName = requiredString("TABLE_NAME");
      const deadline = Deadline.of(context);
      return handleRequest(event, { db: db(), tableName, signal: () => deadline.signal(), correlationId });
    });
    scope.info(`${event.routeKey ?? "?"} ${response.statusCode}`, { event: "answered", route: event.routeKey, status: response.statusCode, duration_ms: scope.elapsedMs() });
    return withCorrelationHeader(response, correlationId);
  });
}
