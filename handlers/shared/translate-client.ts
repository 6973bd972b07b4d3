/** The Amazon Translate client, bounded as `aws-clients.ts` describes. */
import { TranslateClient } from "@aws-sdk/client-translate";
import { boundedClientConfig } from "./aws-clients";
import type { SdkCallBudgetOptions } from "./time-budget";

export function translateClient(options: SdkCallBudgetOptions = {}): TranslateClient {
  const { maxAttempts, requestHandler } = boundedClientConfig(options);
  return new TranslateClient({ maxAttempts, requestHandler });
}
