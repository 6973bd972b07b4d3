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

/** `${data.aws_iam_policy_document.<name>.json}` -> that document's statements. */
function documentStatements(stack: StackJson, ref: unknown): Body[] {
  const name = /data\.aws_iam_policy_document\.([\w-]+)\.json/.exec(String(ref ?? ""))?.[1];
  return name === undefined ? [] : asArray(stack.data?.aws_iam_policy_document?.[name]?.statement as Body[] | undefined);
}

const conditionsOf = (st: Body): Body[] => asArray(st.condition as Body[] | undefined);

/** Queues a Lambda event source mapping consumes (they hold callers' requests), with the DLQs their redrive policies name. */
function consumedQueues(stack: StackJson): string[] {
  const names = new Set<string>();
  for (const [, m] of resourcesOf(stack, "aws_lambda_event_source_mapping")) {
    const name = /aws_sqs_queue\.([\w-]+)\./.exec(String(m.event_source_arn ?? ""))?.[1];
    if (name === undefined) continue;
    names.add(name);
    const dlq = /aws_sqs_queue\.([\w-]+)\.arn/.exec(String(stack.resource?.aws_sqs_queue?.[name]?.redrive_policy ?? ""))?.[1];
    if (dlq !== undefined) names.add(dlq);
  }
  return [...names];
}

/** What a consumed queue (or its DLQ) must have: its own key, a policy that denies plain HTTP and other readers, a bounded redrive source. */
function privateQueueViolations(stack: StackJson, name: string, isDeadLetter: boolean): Violation[] {
  const address = `aws_sqs_queue.${name}`;
  const queue = stack.resource?.aws_sqs_queue?.[name] ?? {};
  const v: Violation[] = [];
  const keyName = /aws_kms_key\.([\w-]+)\./.exec(String(queue.kms_master_key_id ?? ""))?.[1];
  const key = keyName === undefined ? undefined : stack.resource?.aws_kms_key?.[keyName];
  if (!key) v.push({ resource: address, detail: "not encrypted with a customer managed key of the stack (kms_master_key_id)" });
  else {
    if (key.enable_key_rotation !== true) v.push({ resource: `aws_kms_key.${keyName}`, detail: "enable_key_rotation is not true" });
    // Use of the key is granted to named principals only, never to the account (whose IAM policies could then grant anyone).
    const broad = documentStatements(stack, key.policy).filter(
      (st) =>
        (st.effect ?? "Allow") === "Allow" &&
        asArray(st.actions as string[] | undefined).some((a) => a === "kms:Decrypt" || a === "kms:*") &&
        asArray(st.principals as Body[] | undefined).some((p) => asArray(p.identifiers as string[] | undefined).some((id) => id === "*" || id.endsWith(":root"))),
    );
    if (broad.length > 0) v.push({ resource: `aws_kms_key.${keyName}`, detail: "the key policy lets the account (or anyone) decrypt: IAM policies could grant any principal the queued messages" });
  }
  const policies = resourcesOf(stack, "aws_sqs_queue_policy").filter(([, p]) => refersToQueue(p.queue_url, name));
  const statements = policies.flatMap(([, p]) => documentStatements(stack, p.policy)).filter((st) => st.effect === "Deny");
  const tls = statements.some((st) => conditionsOf(st).some((c) => c.test === "Bool" && c.variable === "aws:SecureTransport" && asArray(c.values as string[]).includes("false")));
  if (!tls) v.push({ resource: address, detail: "no queue policy denying aws:SecureTransport = false" });
  const readers = statements.some(
    (st) =>
      asArray(st.actions as string[] | undefined).includes("sqs:ReceiveMessage") &&
      conditionsOf(st).some((c) => c.test === "ArnNotEquals" && c.variable === "aws:PrincipalArn"),
  );
  if (!readers) v.push({ resource: address, detail: "no queue policy denying sqs:ReceiveMessage to principals other than its readers (aws:PrincipalArn)" });
  if (isDeadLetter) {
    const allow = resourcesOf(stack, "aws_sqs_queue_redrive_allow_policy").find(([, p]) => refersToQueue(p.queue_url, name))?.[1];
    const text = String(allow?.redrive_allow_policy ?? queue.redrive_allow_policy ?? "");
    if (!/byQueue/.test(text)) v.push({ resource: address, detail: "dead-letter queue without a byQueue redrive_allow_policy" });
  }
  return v;
}

export const queueRules: readonly Rule[] = [
  {
    id: "sqs-consumed-queues-private",
    description:
      "a queue a function consumes, and its DLQ, use a customer managed key (rotated, use granted to named principals only), a queue policy denying plain HTTP and other principals' receive, and the DLQ a byQueue redrive_allow_policy",
    check: (stack) => {
      const dlqs = new Set(
        resourcesOf(stack, "aws_sqs_queue").flatMap(([, q]) => [/aws_sqs_queue\.([\w-]+)\.arn/.exec(String(q.redrive_policy ?? ""))?.[1] ?? []].flat()),
      );
      return consumedQueues(stack).flatMap((name) => privateQueueViolations(stack, name, dlqs.has(name)));
    },
  },
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
  "sqs-consumed-queues-private": {
    resource: {
      aws_sqs_queue: { q: { name: "q", sqs_managed_sse_enabled: true } },
      aws_lambda_event_source_mapping: { m: { event_source_arn: "${aws_sqs_queue.q.arn}" } },
    },
  },
  "sqs-retention-alarmed": {
    resource: {
      aws_sqs_queue: { q: { name: "q" } },
      aws_cloudwatch_metric_alarm: {
        late: { metric_name: "ApproximateAgeOfOldestMessage", dimensions: { QueueName: "${aws_sqs_queue.q.name}" }, threshold: 300_000, alarm_actions: ["t"] },
      },
    },
  },
};
