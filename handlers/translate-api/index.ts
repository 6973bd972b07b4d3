/**
 * Lambda entry behind API Gateway (REST, Lambda proxy): `GET /translate?input_text=...`
 * and `POST /translate` with `{"input_text": ...}`. Thin: parse the event,
 * call the logic in `translate.ts`, let `answer` turn errors into 4xx / 500.
 *
 * The SDK clients are built once per container (on first use) and kept at
 * module scope, so a warm container reuses them and their connections (the
 * seed's note: global scope survives warm starts).
 * Endpoints come from the standard SDK settings (`AWS_ENDPOINT_URL_DYNAMODB`
 * in tests, pointing at dynalite).
 *
 * Time: the history write has its own short budget (`HISTORY_WRITE_BUDGET_MS`);
 * the translation gets the function's time minus that budget and the safety
 * margin, so a silent Translate is a 504 and a silent history table a logged
 * HISTORY_WRITE_FAILED with the translation still answered 200, both in time.
 */
import { randomUUID } from "node:crypto";
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from "aws-lambda";
import { dynamoDocumentClient } from "../shared/dynamodb-client";
import { lazy } from "../shared/env";
import { apiGatewayCorrelationId, withCorrelationHeader } from "../shared/correlation";
import { answer } from "../shared/http";
import { Telemetry } from "../shared/observability";
import { Deadline, functionTimeoutMs, safetyMarginMs } from "../shared/time-budget";
import { translateClient } from "../shared/translate-client";
import { historyWriteBudgetMs, readConfig } from "./config";
import { parseRequest } from "./request";
import { translateAndRecord } from "./translate";

// Built on first use, inside the error boundary: a bad setting is a logged config_error and a 500, not a load crash.
const clients = lazy(() => {
  const historyBudgetMs = historyWriteBudgetMs();
  const timeoutMs = functionTimeoutMs();
  return {
    historyBudgetMs,
    translate: translateClient({ operationBudgetMs: timeoutMs - safetyMarginMs(timeoutMs) - historyBudgetMs }),
    // One attempt: the history is bookkeeping, never worth a retry that could delay the answer.
    documents: dynamoDocumentClient({ maxAttempts: 1, operationBudgetMs: historyBudgetMs }),
  };
});

const telemetry = new Telemetry("translate-api");

export async function handler(event: APIGatewayProxyEvent, context?: Context): Promise<APIGatewayProxyResult> {
  const correlationId = apiGatewayCorrelationId(event);
  return telemetry.run(context, correlationId, async (scope) => {
    const response = await answer(
      async () => {
        const { historyBudgetMs, translate, documents } = clients();
        const deadline = Deadline.of(context);
        return translateAndRecord(parseRequest(event), {
          translate,
          documents,
          config: readConfig(),
          now: () => new Date(),
          newId: randomUUID,
          correlationId,
          signals: {
            translate: () => deadline.signal(deadline.leftMs() - historyBudgetMs),
            history: () => deadline.signal(historyBudgetMs),
          },
        });
      },
      {},
      "Amazon Translate",
    );
    scope.info(`${event.httpMethod} ${response.statusCode}`, { event: "answered", method: event.httpMethod, status: response.statusCode, duration_ms: scope.elapsedMs() });
    return withCorrelationHeader(response, correlationId);
  });
}
