/**
 * Lambda entry of the `kinesis-ingest` consumer (event source mapping on the
 * stream, ReportBatchItemFailures): stores each record in the table named by
 * `TABLE_NAME`. The logic lives in `./ingest`.
 *
 * `DEAD_LETTER_QUEUE_URL` (set by the stack: the mapping's on-failure queue)
 * is where a record the table can never store is sent at once, one message per
 * record in the shape of Lambda's own on-failure record (`./dead-letter`),
 * instead of being reported until the retries run out. Unset, such a record
 * is reported as any other (the mapping retries, then sends its pointer);
 * a value that is not an http(s) URL is a ConfigError.
 *
 * The DynamoDB client makes one attempt per call (`maxAttempts: 1`): the writer
 * retries a chunk itself, as a batch, with jittered backoff and within the
 * invocation's deadline, so SDK retries would only multiply the calls. The SQS
 * client keeps the shared default (2 attempts, sized to the function's time);
 * each send also takes the deadline's signal.
 *
 * A missing or invalid setting (`../shared/env`) is logged as `config_error`
 * and fails the invocation: Lambda retries the whole batch, nothing is
 * dropped, and the function's Errors alarm fires.
 */
import type { Context, KinesisStreamBatchResponse, KinesisStreamEvent } from "aws-lambda";
import { dynamoDocumentClient } from "../shared/dynamodb-client";
import { ConfigError, Environment, lazy, optionalString, readSettings, requiredString } from "../shared/env";
import { sqsClient } from "../shared/sqs-client";
import { Telemetry } from "../shared/observability";
import { Deadline } from "../shared/time-budget";
import { sqsDeadLetterSender } from "./dead-letter";
import { handleKinesisEvent } from "./ingest";

const documentClient = lazy(() => dynamoDocumentClient({ maxAttempts: 1 }));
const queueClient = lazy(() => sqsClient());
const telemetry = new Telemetry("kinesis-ingest");

/** `DEAD_LETTER_QUEUE_URL`: an http(s) URL, or undefined when unset or empty. */
export function deadLetterQueueUrl(env: Environment = process.env): string | undefined {
  const value = optionalString("DEAD_LETTER_QUEUE_URL", { default: "" }, env);
  if (value === "") return undefined;
  let url: URL | undefined;
  try {
    url = new URL(value);
  } catch {
    url = undefined;
  }
  if (!url || (url.protocol !== "https:" && url.protocol !== "http:")) {
    throw new ConfigError("DEAD_LETTER_QUEUE_URL", `DEAD_LETTER_QUEUE_URL must be an SQS queue URL (https://...), got "${value.slice(0, 60)}".`);
  }
  return value;
}

/** Lines about the batch carry the invocation's id as their correlation id; lines about one record, its request's (the partition key). */
export async function handler(event: KinesisStreamEvent, context?: Context): Promise<KinesisStreamBatchResponse> {
  return telemetry.run(context, context?.awsRequestId ?? "batch", () => handle(event, context));
}

async function handle(event: KinesisStreamEvent, context?: Context): Promise<KinesisStreamBatchResponse> {
  const { tableName, queueUrl, budget } = readSettings(() => ({
    tableName: requiredString("TABLE_NAME"),
    queueUrl: deadLetterQueueUrl(),
    budget: Deadline.of(context),
  }));
  return handleKinesisEvent(documentClient(), tableName, event, {
    budget,
    deadLetters: queueUrl === undefined ? undefined : sqsDeadLetterSender(queueClient(), queueUrl),
    invocation: { functionArn: context?.invokedFunctionArn, requestId: context?.awsRequestId, executedVersion: context?.functionVersion },
  });
}
