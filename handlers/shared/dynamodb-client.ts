/** The DynamoDB document client, bounded as `aws-clients.ts` describes. */
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { boundedClientConfig } from "./aws-clients";
import type { SdkCallBudgetOptions } from "./time-budget";

export function dynamoDocumentClient(options: SdkCallBudgetOptions = {}): DynamoDBDocumentClient {
  const { maxAttempts, requestHandler } = boundedClientConfig(options);
  return DynamoDBDocumentClient.from(new DynamoDBClient({ maxAttempts, requestHandler }));
}
