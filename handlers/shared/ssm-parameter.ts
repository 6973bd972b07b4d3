/**
 * Secrets from SSM Parameter Store (SecureString), for handlers that must not
 * hold a secret in their environment: the environment names the parameter,
 * the value is read once per container and kept in memory.
 */
import { GetParameterCommand, SSMClient } from "@aws-sdk/client-ssm";
import { NodeHttpHandler } from "@smithy/node-http-handler";

// Module scope: one client per container. Its budget fits a 3 s function: two attempts of at most
// 1 s each (0.5 s to connect), so a slow SSM is a 503 the sender retries, not a killed invocation.
const ssm = new SSMClient({
  maxAttempts: 2,
  requestHandler: new NodeHttpHandler({ connectionTimeout: 500, requestTimeout: 1000, throwOnRequestTimeout: true }),
});

/** The decrypted value of a SecureString (or String) parameter; throws if it is missing or empty. */
export async function readSecureParameter(name: string, client: SSMClient = ssm): Promise<string> {
  const out = await client.send(new GetParameterCommand({ Name: name, WithDecryption: true }));
  const value = out.Parameter?.Value;
  if (!value) throw new Error(`SSM parameter ${name} has no value`);
  return value;
}
