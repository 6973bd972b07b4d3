/** The SQS client, bounded as `aws-clients.ts` describes. */
import { SQSClient } from "@aws-sdk/client-sqs";
import { boundedClientConfig } from "./aws-clients";
import type { SdkCallBudgetOptions } from "./time-budget";

export function sqsClient(options: SdkCallBudgetOptions = {}): SQSClient {
  const { maxAttempts, requestHandler } = boundedClientConfig(options);
  return new SQSClient({ maxAttempts, requestHandler });
}
