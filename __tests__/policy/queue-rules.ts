/**
 * The policy suite's rules for SQS queues that hold callers' requests
 * (issue 26): how long a message may wait, and who may read it. Part of
 * `rules` in `rules.ts`; each has a known-bad case here, which
 * `policy.test.ts` runs with the others.
 */
import type { Rule, StackJson, Violation } from "./rules";

/** SQS's longest retention: 14 days. */
export const MAX_RETENTION_SECONDS = 1_209_600;

type Body = Record<string, unknown>;

const resourcesOf = (stack: StackJson, type: string): [string, Body][] =>
  Object.entries(stack.resource?.[type] ?? {}).map(([name, body]) => [name, body]);

const asArray = <T>(value: T | T[] | undefined): T[] => (value === undefined ? [] : Array.isArray(value) ? value : [value]);

/** Whether `value` refers to the queue `name` (`${aws_sqs_queue.<name>.<attribute>}`). */
const refersToQueue = (value: unknown, name: string): boolean => typeof value === "string" && value.includes(`aws_sqs_queue.${name}.`);

export const queueRules: readonly Rule[] = [
  {
    id: "sqs-retention-alarmed",
    description:
      "every SQS queue keeps messages SQS's maximum (14 days), and an alarm on its ApproximateAgeOfOldestMessage fires at half that or sooner, so nothing expires unseen",
    check: (stack) => {
      const alarms = resourcesOf(stack, "aws_cloudwatch_metric_alarm").map(([, a]) => a);
      return resourcesOf(stack, "aws_sqs_queue").flatMap(([name, queue]): Violation[] => {
        const address = `aws_sqs_queue.${name}`;
        const retention = Number(queue.message_retention_seconds ?? 345_600);
        const v: Violation[] = [];
        if (retention !== MAX_RETENTION_SECONDS) {
          v.push({ resource: address, detail: `message_retention_seconds is ${retention}, not ${MAX_RETENTION_SECONDS} (SQS deletes older messages unseen)` });
        }
        const watched = alarms.some(
          (a) =>
            a.metric_name === "ApproximateAgeOfOldestMessage" &&
            refersToQueue((a.dimensions as Body | undefined)?.QueueName, name) &&
            Number(a.threshold) <= retention / 2 &&
            asArray(a.alarm_actions as string[] | undefined).length > 0,
        );
        if (!watched) v.push({ resource: address, detail: "no ApproximateAgeOfOldestMessage alarm (with actions) at half the retention or sooner" });
        return v;
      });
    },
  },
];

/** A known-bad stack per rule above. */
export const queueRuleBadCases: Record<string, StackJson> = {
  "sqs-retention-alarmed": {
    resource: {
      aws_sqs_queue: { q: { name: "q" } },
      aws_cloudwatch_metric_alarm: {
        late: { metric_name: "ApproximateAgeOfOldestMessage", dimensions: { QueueName: "${aws_sqs_queue.q.name}" }, threshold: 300_000, alarm_actions: ["t"] },
      },
    },
  },
};
