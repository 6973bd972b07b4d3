/**
 * Secrets from SSM Parameter Store (SecureString), for handlers that must not
 * hold a secret in their environment: the environment names the parameter,
 * the value is read once per container and kept in memory.
 */
import { GetParameterCommand, SSMClient } from "@aws-sdk/client-ssm";

// Module scope: one client per container. Two attempts: a cold start must not spend the function's 3 s on retries.
const ssm = new SSMClient({ maxAttempts: 2 });

/** The decrypted value of a SecureString (or String) parameter; throws if it is missing or empty. */
export async function readSecureParameter(name: string, client: SSMClient = ssm): Promise<string> {
  const out = await client.send(new GetParameterCommand({ Name: name, WithDecryption: true }));
  const value = out.Parameter?.Value;
  if (!value) throw new Error(`SSM parameter ${name} has no value`);
  return value;
}
