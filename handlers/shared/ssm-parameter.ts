/**
 * Secrets from SSM Parameter Store (SecureString), for handlers that must not
 * hold a secret in their environment: the environment names the parameter,
 * the caller decides how long to keep the value (api2sqs: `signature.ts`).
 */
import { GetParameterCommand, type SSMClient } from "@aws-sdk/client-ssm";
import { lazy } from "./env";
import { ssmClient } from "./ssm-client";

/**
 * The share of the function's time one read may take, attempts and backoff
 * included: a slow or throttled SSM is a 503 the sender retries, not a killed
 * invocation, and the rest of the time is left for the work (queueing).
 */
export const PARAMETER_READ_BUDGET_MS = 2000;

// One client per container, from the shared factory, built on first use (`lazy`: a bad setting is not a load crash).
// Two attempts sized to fit PARAMETER_READ_BUDGET_MS with the longest backoff between them (`sdkCallBudget`):
// with 1000 ms of backoff allowed, each attempt gets 500 ms.
const ssm = lazy(() => ssmClient({ maxAttempts: 2, operationBudgetMs: PARAMETER_READ_BUDGET_MS }));

export interface ReadParameterOptions {
  /**
   * Aborts the read (attempts and backoff) when it fires: the invocation's
   * `deadline.signal(PARAMETER_READ_BUDGET_MS)`. @default none
   */
  readonly signal?: AbortSignal;
  /** @default the shared, bounded SSM client */
  readonly client?: SSMClient;
}

/** The decrypted value of a SecureString (or String) parameter; throws if it is missing or empty, or when `signal` fires. */
export async function readSecureParameter(name: string, options: ReadParameterOptions = {}): Promise<string> {
  const client = options.client ?? ssm();
  const out = await client.send(new GetParameterCommand({ Name: name, WithDecryption: true }), { abortSignal: options.signal });
  const value = out.Parameter?.Value;
  if (!value) throw new Error(`SSM parameter ${name} has no value`);
  return value;
}
