/**
 * Lambda entry behind API Gateway (REST, Lambda proxy): `GET /translate?input_text=...`
 * and `POST /translate` with `{"input_text": ...}`. Thin: parse the event,
 * call the logic in `translate.ts`, let `answer` turn errors into 4xx / 500.
 *
 * The SDK clients live at module scope, so a warm container reuses them and
 * their connections (the seed's note: global scope survives warm starts).
 * Endpoints come from the standard SDK settings (`AWS_ENDPOINT_URL_DYNAMODB`
 * in tests, pointing at dynalite).
 */
import { randomUUID } from "node:crypto";
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from "aws-lambda";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { TranslateClient } from "@aws-sdk/client-translate";
import { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { answer } from "../shared/http";
import { readConfig } from "./config";
import { parseRequest } from "./request";
import { translateAndRecord } from "./translate";

const translate = new TranslateClient({});
const documents = DynamoDBDocumentClient.from(new DynamoDBClient({}));

export async function handler(event: APIGatewayProxyEvent): Promise<APIGatewayProxyResult> {
  return answer(async () =>
    translateAndRecord(parseRequest(event), {
      translate,
      documents,
      config: readConfig(),
      now: () => new Date(),
      newId: randomUUID,
    }),
  );
}
