/**
 * Secrets from SSM Parameter Store (SecureString), for handlers that must not
 * hold a secret in their environment: the environment names the parameter,
 * the value is read once per container and kept in memory.
 */
import { GetParameterCommand, type SSMClient } from "@aws-sdk/client-ssm";
import { lazy } from "./env";
import { ssmClient } from "./ssm-client";

// One client per container, from the shared factory, built on first use (`lazy`: a bad setting is not a load crash). The read gets at most 2 s of the
// function's time (two attempts), so a slow SSM is a 503 the sender retries, not a killed invocation,
// and the rest of the time is left for queueing.
const ssm = lazy(() => ssmClient({ maxAttempts: 2, operationBudgetMs: 2000 }));

/** The decrypted value of a SecureString (or String) parameter; throws if it is missing or empty. */
export async function readSecureParameter(name: string, client: SSMClient = ssm()): Promise<string> {
  const out = await client.send(new GetParameterCommand({ Name: name, WithDecryption: true }));
  const value = out.Parameter?.Value;
  if (!value) throw new Error(`SSM parameter ${name} has no value`);
  return value;
}
