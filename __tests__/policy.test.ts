/**
 * The policy suite: every rule in `policy/rules.ts` over every resource of
 * every synthesized stack. A failure names the stack, the resource and the rule.
 * The second half proves each rule can fail, on a small known-bad stack.
 */
import { STACK_IDS } from "../main";
import { Rule, rules, StackJson } from "./policy/rules";
import { readSynthesizedStack } from "./support/synth";

describe("policy suite over the synthesized stacks", () => {
  const stacks = new Map<string, StackJson>();

  // The run's shared synth (support/global-setup.ts): defaults plus an alarm e-mail.
  beforeAll(() => {
    for (const id of STACK_IDS) stacks.set(id, readSynthesizedStack<StackJson>("app", id));
  });

  const cases = STACK_IDS.flatMap((stack) => rules.map((rule): [string, string, Rule] => [stack, rule.id, rule]));
  test.each(cases)("%s: %s", (stack, _id, rule) => {
    const violations = rule.check(stacks.get(stack) as StackJson).map((v) => `[${stack}] ${v.resource}: ${rule.id}: ${v.detail}`);
    expect(violations).toEqual([]);
  });
});

/** Known-bad stacks, one per rule: each rule must report at least one violation. */
const bad: Record<string, StackJson> = {
  "iam-no-wildcard-action": {
    data: { aws_iam_policy_document: { d: { statement: [{ actions: ["s3:*"], resources: ["arn:aws:s3:::b"] }] } } },
  },
  "iam-no-star-resource": {
    resource: {
      aws_iam_policy: { p: { policy: JSON.stringify({ Statement: [{ Effect: "Allow", Action: "dynamodb:PutItem", Resource: "*" }] }) } },
    },
  },
  "iam-no-any-log-group": {
    data: { aws_iam_policy_document: { d: { statement: [{ actions: ["logs:PutLogEvents"], resources: ["arn:aws:logs:*:*:*"] }] } } },
  },
  "iam-managed-policies-allow-listed": {
    resource: {
      aws_iam_role_policy_attachment: { a: { role: "r", policy_arn: "arn:aws:iam::aws:policy/AdministratorAccess" } },
    },
  },
  "lambda-permission-source-arn": { resource: { aws_lambda_permission: { p: { principal: "apigateway.amazonaws.com" } } } },
  "sqs-encrypted": { resource: { aws_sqs_queue: { q: { name: "q" } } } },
  "kinesis-encrypted": { resource: { aws_kinesis_stream: { s: { name: "s", shard_count: 1 } } } },
  "dynamodb-encrypted-and-recoverable": { resource: { aws_dynamodb_table: { t: { name: "t" } } } },
  "s3-encrypted-private-tls-only": { resource: { aws_s3_bucket: { b: { bucket: "b" } } } },
  "tls-custom-domains": {
    resource: { aws_apigatewayv2_domain_name: { d: { domain_name_configuration: { security_policy: "TLS_1_0" } } } },
  },
  "tls-listeners": {
    resource: { aws_lb_listener: { l: { protocol: "HTTP", default_action: [{ type: "forward" }] } } },
  },
  "alb-hardened-and-logged": { resource: { aws_lb: { lb: { name: "lb" } } } },
  "log-retention": { resource: { aws_cloudwatch_log_group: { g: { name: "/aws/lambda/x" } } } },
  "api-stage-logged-and-throttled": { resource: { aws_apigatewayv2_stage: { s: { name: "$default" } } } },
  "async-partial-batch-failures": { resource: { aws_lambda_event_source_mapping: { m: { batch_size: 10 } } } },
  "async-stream-failure-handling": {
    resource: {
      aws_lambda_event_source_mapping: {
        m: { event_source_arn: "${aws_kinesis_stream.s.arn}", function_response_types: ["ReportBatchItemFailures"] },
      },
    },
  },
  "async-queue-redrive-and-visibility": {
    resource: {
      aws_sqs_queue: { q: { name: "q", visibility_timeout_seconds: 30 } },
      aws_lambda_function: { f: { timeout: 30 } },
      aws_lambda_event_source_mapping: {
        m: { event_source_arn: "${aws_sqs_queue.q.arn}", function_name: "${aws_lambda_function.f.arn}" },
      },
    },
  },
  "alarms-wired": { resource: { aws_cloudwatch_metric_alarm: { a: { metric_name: "Errors" } } } },
  "default-tags": { provider: { aws: [{ region: "ap-northeast-1" }] } },
};

describe("each rule catches what it guards", () => {
  test("every rule has a known-bad case", () => {
    expect(Object.keys(bad).sort()).toEqual(rules.map((r) => r.id).sort());
  });

  test.each(rules.map((r): [string, Rule] => [r.id, r]))("%s reports the bad case", (id, rule) => {
    expect(rule.check(bad[id]).length).toBeGreaterThan(0);
  });

  test("the allow-listed actions may use Resource \"*\"; others may not", () => {
    const rule = rules.find((r) => r.id === "iam-no-star-resource") as Rule;
    const doc = (actions: string[]): StackJson => ({
      data: { aws_iam_policy_document: { d: { statement: [{ actions, resources: ["*"] }] } } },
    });
    expect(rule.check(doc(["comprehend:DetectDominantLanguage"]))).toEqual([]);
    expect(rule.check(doc(["comprehend:DetectDominantLanguage", "dynamodb:Scan"]))).toHaveLength(1);
  });
});
