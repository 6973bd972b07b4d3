/**
 * The policy suite: every rule in `policy/rules.ts` over every resource of
 * every synthesized stack. A failure names the stack, the resource and the rule.
 * The second half proves each rule can fail, on a small known-bad stack.
 */
import { STACK_IDS } from "../main";
import { queueRuleBadCases } from "./policy/queue-rules";
import { reviewRuleBadCases } from "./policy/review-rules";
import { environmentRules, Rule, rules, StackJson } from "./policy/rules";
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

  test.each(environmentRules.map((rule): [string, (typeof environmentRules)[number]] => [rule.id, rule]))("all stacks: %s", (_id, rule) => {
    expect(rule.check(stacks).map((v) => `${v.resource}: ${rule.id}: ${v.detail}`)).toEqual([]);
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
  "entry-points-identify-callers": {
    resource: {
      aws_api_gateway_method: { open: { authorization: "NONE", http_method: "POST" } },
      aws_api_gateway_integration: { i: { http_method: "${aws_api_gateway_method.open.http_method}", type: "AWS_PROXY" } },
    },
  },
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
  "alarm-topic-deliverable": {
    resource: {
      aws_sns_topic: { t: { name: "alarms", kms_master_key_id: "alias/aws/sns" } },
      aws_cloudwatch_metric_alarm: { a: { alarm_actions: ["${aws_sns_topic.t.arn}"] } },
    },
  },
  "dynamodb-deletion-protection": { resource: { aws_dynamodb_table: { t: { name: "t", deletion_protection_enabled: false } } } },
  "custom-domain-only-endpoint": {
    resource: {
      aws_api_gateway_rest_api: { api: { name: "api" } },
      aws_api_gateway_base_path_mapping: { m: { api_id: "${aws_api_gateway_rest_api.api.id}", domain_name: "api.example.com" } },
    },
  },
  "public-functions-reserved-concurrency": {
    resource: {
      aws_lambda_function: { f: { function_name: "f" } },
      aws_lb_target_group_attachment: { a: { target_group_arn: "${aws_lb_target_group.t.arn}", target_id: "${aws_lambda_function.f.arn}" } },
    },
  },
  "default-tags": { provider: { aws: [{ region: "ap-northeast-1" }] } },
  ...queueRuleBadCases,
  ...reviewRuleBadCases,
};

/** A topic encrypted with a key of the stack whose policy has `statement`. */
function topicWithKeyPolicy(statement: Record<string, unknown>[]): StackJson {
  return {
    data: { aws_iam_policy_document: { kp: { statement } } },
    resource: {
      aws_kms_key: { k: { enable_key_rotation: true, policy: "${data.aws_iam_policy_document.kp.json}" } },
      aws_sns_topic: { t: { name: "alarms", kms_master_key_id: "${aws_kms_key.k.arn}" } },
      aws_cloudwatch_metric_alarm: { a: { alarm_actions: ["${aws_sns_topic.t.arn}"] } },
    },
  };
}

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

  test("an alarm topic's key must let CloudWatch of this account (only) use it", () => {
    const rule = rules.find((r) => r.id === "alarm-topic-deliverable") as Rule;
    const cloudWatch = { type: "Service", identifiers: ["cloudwatch.amazonaws.com"] };
    const scoped = [{ test: "StringEquals", variable: "aws:SourceAccount", values: ["123456789012"] }];
    const grant = { principals: [cloudWatch], actions: ["kms:GenerateDataKey*", "kms:Decrypt"], resources: ["*"], condition: scoped };
    expect(rule.check(topicWithKeyPolicy([grant]))).toEqual([]);
    // Missing Decrypt, or not scoped to the account: not deliverable (or a confused deputy).
    expect(rule.check(topicWithKeyPolicy([{ ...grant, actions: ["kms:GenerateDataKey"] }]))).toHaveLength(1);
    expect(rule.check(topicWithKeyPolicy([{ ...grant, condition: undefined }]))).toHaveLength(1);
  });

  test("an API's Lambda permission names its routes: any stage, method or path alone is not enough", () => {
    const rule = rules.find((r) => r.id === "lambda-permission-source-arn") as Rule;
    const permission = (principal: string, source_arn: string): StackJson => ({ resource: { aws_lambda_permission: { p: { principal, source_arn } } } });
    const api = "${aws_apigatewayv2_api.api.execution_arn}";
    expect(rule.check(permission("apigateway.amazonaws.com", `${api}/*/*/events`))).toEqual([]);
    expect(rule.check(permission("apigateway.amazonaws.com", `${api}/*/POST/`))).toEqual([]);
    expect(rule.check(permission("apigateway.amazonaws.com", `${api}/*/*`))).toHaveLength(1);
    expect(rule.check(permission("apigateway.amazonaws.com", `${api}/*`))).toHaveLength(1);
    // A target group ARN ends as it ends.
    expect(rule.check(permission("elasticloadbalancing.amazonaws.com", "${aws_lb_target_group.t.arn}"))).toEqual([]);
  });

  test("a bucket is TLS-only by a Deny on aws:SecureTransport = false, not by the words appearing", () => {
    const rule = rules.find((r) => r.id === "s3-encrypted-private-tls-only") as Rule;
    const bucket = (statement: Record<string, unknown>): StackJson => ({
      data: { aws_iam_policy_document: { d: { statement: [statement] } } },
      resource: {
        aws_s3_bucket: { b: { bucket: "b" } },
        aws_s3_bucket_server_side_encryption_configuration: { e: { bucket: "${aws_s3_bucket.b.id}" } },
        aws_s3_bucket_public_access_block: {
          p: { bucket: "${aws_s3_bucket.b.id}", block_public_acls: true, block_public_policy: true, ignore_public_acls: true, restrict_public_buckets: true },
        },
        aws_s3_bucket_policy: { bp: { bucket: "${aws_s3_bucket.b.id}", policy: "${data.aws_iam_policy_document.d.json}" } },
      },
    });
    const tls = { test: "Bool", variable: "aws:SecureTransport", values: ["false"] };
    const deny = { effect: "Deny", actions: ["s3:*"], resources: ["*"], principals: [{ type: "*", identifiers: ["*"] }], condition: [tls] };
    expect(rule.check(bucket(deny))).toEqual([]);
    expect(rule.check(bucket({ ...deny, effect: "Allow" }))).toHaveLength(1);
    expect(rule.check(bucket({ ...deny, condition: [{ ...tls, values: ["true"] }] }))).toHaveLength(1);
  });

  test("in a key policy, Resource \"*\" is the key; elsewhere it is every resource", () => {
    const rule = rules.find((r) => r.id === "iam-no-star-resource") as Rule;
    const statement = [{ actions: ["kms:Decrypt"], resources: ["*"] }];
    expect(rule.check(topicWithKeyPolicy(statement))).toEqual([]);
    expect(rule.check({ data: { aws_iam_policy_document: { d: { statement } } } })).toHaveLength(1);
  });
});

describe("each environment rule catches what it guards", () => {
  const topic = (name: string): StackJson => ({ resource: { aws_sns_topic: { alarms: { name } } } });

  test("physical-names-unique: two stacks, one topic name", () => {
    const rule = environmentRules.find((r) => r.id === "physical-names-unique") as (typeof environmentRules)[number];
    expect(rule.check(new Map([["a", topic("dev-alarms")], ["b", topic("dev-alarms")]]))).toHaveLength(1);
    expect(rule.check(new Map([["a", topic("dev-a-alarms")], ["b", topic("dev-b-alarms")]]))).toEqual([]);
  });

  test("physical-names-unique resolves names built from another resource's name", () => {
    const rule = environmentRules.find((r) => r.id === "physical-names-unique") as (typeof environmentRules)[number];
    const stack = (fn: string): StackJson => ({
      resource: {
        aws_lambda_function: { f: { function_name: fn } },
        aws_cloudwatch_log_group: { g: { name: "/aws/lambda/${aws_lambda_function.f.function_name}" } },
      },
    });
    expect(rule.check(new Map([["a", stack("dev-f")], ["b", stack("dev-f")]]))).toHaveLength(2);
    expect(rule.check(new Map([["a", stack("dev-f")], ["b", stack("dev-g")]]))).toEqual([]);
  });
});

describe("entry-points-identify-callers", () => {
  const rule = rules.find((r) => r.id === "entry-points-identify-callers") as Rule;
  const method = (body: Record<string, unknown>, integrationType = "AWS_PROXY"): StackJson => ({
    resource: {
      aws_api_gateway_method: { m: { http_method: "GET", ...body } },
      aws_api_gateway_integration: { i: { http_method: "${aws_api_gateway_method.m.http_method}", type: integrationType } },
    },
  });
  const route = (declaration?: Record<string, string>, environment: Record<string, string> = {}): StackJson => ({
    locals: declaration ? { entry_point_callers: { "aws_apigatewayv2_route.r": declaration } } : undefined,
    resource: {
      aws_apigatewayv2_route: { r: { route_key: "POST /", target: "integrations/${aws_apigatewayv2_integration.i.id}" } },
      aws_apigatewayv2_integration: { i: { integration_uri: "${aws_lambda_function.f.invoke_arn}" } },
      aws_lambda_function: { f: { environment: { variables: environment } } },
    },
  });

  test("an API key, IAM or a MOCK integration pass; an open method does not", () => {
    expect(rule.check(method({ authorization: "NONE", api_key_required: true }))).toEqual([]);
    expect(rule.check(method({ authorization: "AWS_IAM" }))).toEqual([]);
    expect(rule.check(method({ authorization: "NONE" }, "MOCK"))).toEqual([]);
    expect(rule.check(method({ authorization: "NONE" }))).toHaveLength(1);
  });

  test("a route declared public needs a reason; one declared signature-checked needs its function's secret", () => {
    expect(rule.check(route())).toHaveLength(1);
    expect(rule.check(route({ caller: "public", reason: "read-only" }))).toEqual([]);
    expect(rule.check(route({ caller: "public", reason: " " }))).toHaveLength(1);
    expect(rule.check(route({ caller: "signature", reason: "HMAC of the body" }))).toHaveLength(1);
    expect(rule.check(route({ caller: "signature", reason: "HMAC of the body" }, { SIGNATURE_SECRET_PARAMETER: "/s" }))).toEqual([]);
  });

  test("a listener that only redirects needs nothing; one that forwards must be declared", () => {
    const listener = (type: string): StackJson => ({ resource: { aws_lb_listener: { l: { default_action: [{ type }] } } } });
    expect(rule.check(listener("redirect"))).toEqual([]);
    expect(rule.check(listener("fixed-response"))).toHaveLength(1);
  });
});
