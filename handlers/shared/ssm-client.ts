/** The SSM client, bounded as `aws-clients.ts` describes. */
import { SSMClient } from "@aws-sdk/client-ssm";
import { boundedClientConfig } from "./aws-clients";
import type { SdkCallBudgetOptions } from "./time-budget";

export function ssmClient(options: SdkCallBudgetOptions = {}): SSMClient {
  const { maxAttempts, requestHandler } = boundedClientConfig(options);
  return new SSMClient({ maxAttempts, requestHandler });
}
