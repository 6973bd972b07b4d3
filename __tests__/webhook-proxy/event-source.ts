/**
 * SQS messages as the event source mapping hands them to `sqs2upstream`: the
 * emulator's `sqsEvent` (the one `npm run local` and the replays use), plus
 * the message attributes the mapping passes on (the correlation id's).
 */
import type { Message } from "@aws-sdk/client-sqs";
import type { SQSMessageAttributes, SQSRecord } from "aws-lambda";
import { sqsEvent } from "../../tools/emulator/event-source";

export const TEST_QUEUE_ARN = "arn:aws:sqs:ap-northeast-1:123456789012:webhook-proxy-test";

export function recordsOf(messages: readonly Message[], queueArn = TEST_QUEUE_ARN): SQSRecord[] {
  return sqsEvent(messages, queueArn, "test").Records.map((record, i) => {
    const attributes: SQSMessageAttributes = {};
    for (const [name, a] of Object.entries(messages[i].MessageAttributes ?? {})) {
      attributes[name] = { stringValue: a.StringValue, dataType: a.DataType ?? "String", stringListValues: [], binaryListValues: [] };
    }
    return { ...record, messageAttributes: attributes };
  });
}
