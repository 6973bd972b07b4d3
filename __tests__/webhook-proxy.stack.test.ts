/**
 * The webhook-proxy stack (seed 002): every seed resource with its literal
 * settings, the seed's variables, and each fix (DLQ + redrive, partial batch
 * failures, maximum concurrency vs reserved concurrency, least privilege,
 * synth-time timing checks, encryption, stage logs and throttling, alarms).
 */
import { Testing } from "cdktf";
import { AcmCertificate } from "@cdktf/provider-aws/lib/acm-certificate";
import { Apigatewayv2Api } from "@cdktf/provider-aws/lib/apigatewayv2-api";
import { Apigatewayv2ApiMapping } from "@cdktf/provider-aws/lib/apigatewayv2-api-mapping";
import { Apigatewayv2DomainName } from "@cdktf/provider-aws/lib/apigatewayv2-domain-name";
import { Apigatewayv2Integration } from "@cdktf/provider-aws/lib/apigatewayv2-integration";
import { Apigatewayv2Route } from "@cdktf/provider-aws/lib/apigatewayv2-route";
import { Apigatewayv2Stage } from "@cdktf/provider-aws/lib/apigatewayv2-stage";
import { CloudwatchLogGroup } from "@cdktf/provider-aws/lib/cloudwatch-log-group";
import { CloudwatchMetricAlarm } from "@cdktf/provider-aws/lib/cloudwatch-metric-alarm";
import { DataAwsIamPolicy } from "@cdktf/provider-aws/lib/data-aws-iam-policy";
import { DataAwsIamPolicyDocument } from "@cdktf/provider-aws/lib/data-aws-iam-policy-document";
import { IamPolicy } from "@cdktf/provider-aws/lib/iam-policy";
import { IamRole } from "@cdktf/provider-aws/lib/iam-role";
import { IamRolePolicyAttachment } from "@cdktf/provider-aws/lib/iam-role-policy-attachment";
import { LambdaEventSourceMapping } from "@cdktf/provider-aws/lib/lambda-event-source-mapping";
import { LambdaFunction } from "@cdktf/provider-aws/lib/lambda-function";
import { LambdaPermission } from "@cdktf/provider-aws/lib/lambda-permission";
import { Route53Record } from "@cdktf/provider-aws/lib/route53-record";
import { SqsQueue } from "@cdktf/provider-aws/lib/sqs-queue";
import { defaultDeployment } from "../config";
import {
  ACCESS_LOG_FORMAT,
  HEADER_LIST_PATTERN,
  QUEUE_RETENTION_ALARM_SECONDS,
  QUEUE_RETENTION_SECONDS,
  API2SQS_P99_MS,
  api2sqsConcurrencyFor,
  CERTIFICATE_ARN_PATTERN,
  checkQueueTiming,
  UPSTREAM_PATTERN,
  WebhookProxyStack,
  WebhookProxyStackProps,
  ZONE_ID_PATTERN,
} from "../stacks/webhook-proxy";
import { byPath, findOne, metricDimensionsOf, StackJson, suppliedDeployment, synthesize } from "./support/synth";

function build(props: Partial<WebhookProxyStackProps> = {}): {
  stack: WebhookProxyStack;
  synth: string;
  json: StackJson;
} {
  const stack = new WebhookProxyStack(Testing.app(), "webhook-proxy", { deployment: suppliedDeployment, ...props });
  const { text, json } = synthesize(stack);
  return { stack, synth: text, json };
}

function warnings(stack: WebhookProxyStack): string[] {
  return stack.node
    .findAll()
    .flatMap((c) => c.node.metadata)
    .filter((m) => m.type === "@cdktf/warn")
    .map((m) => String(m.data));
}

describe("webhook-proxy with the seed's defaults", () => {
  let synth: string;
  let json: StackJson;
  let stack: WebhookProxyStack;
  let queueRef: string;

  beforeAll(() => {
    ({ stack, synth, json } = build());
    queueRef = "${aws_sqs_queue.queue.arn}";
  });

  describe("variables (the seed's six, plus stage throttling)", () => {
    test("no app_env: the environment is APP_ENV alone, so the queue has no tag of its own (default tags say environment)", () => {
      expect(json.variable).not.toHaveProperty("app_env");
      expect(json.resource.aws_sqs_queue.queue).not.toHaveProperty("tags");
      expect(synth).toHaveResourceWithProperties(SqsQueue, { name: "dev-proxy-queue" });
    });

    test("upstream, zone_id, domain_cert_arn, domain_name have no default (example.tfvars supplies them) and a description", () => {
      for (const name of ["upstream", "zone_id", "domain_cert_arn", "domain_name"]) {
        expect(json.variable[name]).toMatchObject({ type: "string" });
        expect(json.variable[name]).not.toHaveProperty("default");
        expect(String(json.variable[name].description).length).toBeGreaterThan(20);
      }
    });

    test("reserved_concurrent_executions defaults to the seed's 1 and must be a whole number >= 1", () => {
      expect(json.variable.reserved_concurrent_executions).toMatchObject({ type: "number", default: 1 });
      expect(json.variable.reserved_concurrent_executions.validation?.[0].condition).toBe(
        "${var.reserved_concurrent_executions >= 1 && floor(var.reserved_concurrent_executions) == var.reserved_concurrent_executions}"
      );
    });

    test("upstream admits a host with optional port and base path, never a scheme", () => {
      expect(json.variable.upstream.validation?.[0].condition).toContain("var.upstream");
      const re = new RegExp(UPSTREAM_PATTERN);
      for (const ok of [
        "example.com",
        "api.example.co.jp",
        "example.com:8443",
        "example.com/hooks/sendgrid",
        "localhost",
      ]) {
        expect(re.test(ok)).toBe(true);
      }
      for (const bad of ["https://example.com", "example.com?x=1", "-bad.example.com", "", "example.com/a b"]) {
        expect(re.test(bad)).toBe(false);
      }
    });

    test("zone_id and domain_cert_arn are checked for their form", () => {
      expect(new RegExp(ZONE_ID_PATTERN).test("Z0123456789ABCDEFGHIJ")).toBe(true);
      expect(new RegExp(ZONE_ID_PATTERN).test("zone_id")).toBe(false);
      expect(new RegExp(CERTIFICATE_ARN_PATTERN).test("arn:aws:acm:ap-northeast-1:123456789012:certificate/abc")).toBe(
        true
      );
      expect(new RegExp(CERTIFICATE_ARN_PATTERN).test("arn_of_domain_cert")).toBe(false);
      expect(json.variable.zone_id.validation?.[0].condition).toContain("var.zone_id");
      expect(json.variable.domain_cert_arn.validation?.[0].condition).toContain("var.domain_cert_arn");
    });

    test("stage throttling is set by variables with defaults, each > 0", () => {
      expect(json.variable.throttling_rate_limit).toMatchObject({ type: "number", default: 1000 });
      expect(json.variable.throttling_burst_limit).toMatchObject({ type: "number", default: 2000 });
      for (const name of ["throttling_rate_limit", "throttling_burst_limit"]) {
        expect(json.variable[name].validation).toEqual([
          { condition: `\${var.${name} > 0}`, error_message: `${name} must be > 0.` },
        ]);
      }
    });
  });

  describe("Lambda functions, roles and policies (seed Lambda.tf)", () => {
    test("the seed's locals hold the function names with the environment", () => {
      expect(json.locals).toMatchObject({
        function_name_sqs2upstream: "dev-lambda_proxy_sqs2upstream",
        function_name_api2sqs: "dev-lambda_proxy_api2sqs",
      });
    });

    test("both functions: 128 MB, 3 s, publish, index.handler, current Node runtime", () => {
      for (const name of ["api2sqs", "sqs2upstream"]) {
        expect(synth).toHaveResourceWithProperties(LambdaFunction, {
          function_name: `\${local.function_name_${name}}`,
          handler: "index.handler",
          runtime: "nodejs22.x",
          memory_size: 128,
          timeout: 3,
          publish: true,
        });
      }
    });

    test("sqs2upstream: reserved concurrency from the variable, UPSTREAM and a delivery timeout below the function's", () => {
      expect(synth).toHaveResourceWithProperties(LambdaFunction, {
        function_name: "${local.function_name_sqs2upstream}",
        reserved_concurrent_executions: "${var.reserved_concurrent_executions}",
        // MAX_RECEIVE_COUNT: the redrive policy's maxReceiveCount, the same expression.
        environment: { variables: { UPSTREAM: "${var.upstream}", UPSTREAM_TIMEOUT_MS: "2000", FUNCTION_TIMEOUT_MS: "3000", MAX_RECEIVE_COUNT: "${(var.reserved_concurrent_executions >= 2) ? 5 : 20}" } },
      });
    });

    test("api2sqs: SQS_URL of the queue and the queue's message size; reserved concurrency from its variable (fix: the seed leaves it unreserved)", () => {
      const fn = byPath(json, "aws_lambda_function", "api2sqs/function").body;
      expect(fn.environment).toEqual({
        variables: {
          SQS_URL: "${aws_sqs_queue.queue.url}",
          MAX_MESSAGE_BYTES: "262144",
          FUNCTION_TIMEOUT_MS: "3000",
          FORWARD_HEADERS: "${var.forwarded_headers}",
          // The signature check (on by default): the secret's parameter name, never the secret.
          SIGNATURE_SCHEME: "${var.signature_scheme}",
          SIGNATURE_SECRET_PARAMETER: "${var.signing_secret_parameter}",
          SIGNATURE_PUBLIC_KEY: "${var.signature_public_key}",
          SIGNATURE_TOLERANCE_SECONDS: "${var.signature_tolerance_seconds}",
          SIGNATURE_HEADER: "${var.signature_header}",
          SIGNATURE_PREFIX: "${var.signature_prefix}",
          SIGNATURE_ENCODING: "${var.signature_encoding}",
        },
      });
      expect(fn.reserved_concurrent_executions).toBe("${var.api2sqs_reserved_concurrent_executions}");
    });

    test("api2sqs's reserved concurrency is sized to the stage: rate x p99 x 2 and burst x p99, a whole number >= 1", () => {
      const expected = api2sqsConcurrencyFor({ rateLimit: 1000, burstLimit: 2000 });
      expect(expected).toBe(Math.ceil(Math.max((1000 * 2 * API2SQS_P99_MS) / 1000, (2000 * API2SQS_P99_MS) / 1000)));
      expect(json.variable.api2sqs_reserved_concurrent_executions).toMatchObject({ type: "number", default: expected });
      expect(json.variable.api2sqs_reserved_concurrent_executions.validation?.[0].condition).toBe(
        "${var.api2sqs_reserved_concurrent_executions >= 1 && floor(var.api2sqs_reserved_concurrent_executions) == var.api2sqs_reserved_concurrent_executions}",
      );
      // The variables can drift apart at plan time: a check block says so.
      const check = (json as unknown as { check: Record<string, { assert: { condition: string }[] }> }).check.api2sqs_concurrency_fits_stage;
      // The stage's limits as plan-time variables, or as literals where the stage takes plain values.
      expect(check.assert[0].condition).toMatch(
        /^\$\{var\.api2sqs_reserved_concurrent_executions >= ceil\(max\((var\.throttling_rate_limit|1000) \* 200 \/ 1000, (var\.throttling_burst_limit|2000) \* 100 \/ 1000\)\)\}$/,
      );
    });

    test("log groups of both functions, the environment's retention (fix: the seed keeps 1 day)", () => {
      for (const name of ["api2sqs", "sqs2upstream"]) {
        expect(synth).toHaveResourceWithProperties(CloudwatchLogGroup, {
          name: `/aws/lambda/\${local.function_name_${name}}`,
          retention_in_days: defaultDeployment.logRetentionDays,
        });
      }
    });

    test("the two roles share the seed's one trust policy", () => {
      expect(synth).toHaveDataSourceWithProperties(DataAwsIamPolicyDocument, {
        statement: [
          { actions: ["sts:AssumeRole"], principals: [{ type: "Service", identifiers: ["lambda.amazonaws.com"] }] },
        ],
      });
      const trust = "${data.aws_iam_policy_document.lambda_assume_role.json}";
      expect(synth).toHaveResourceWithProperties(IamRole, {
        name: "dev-lambda_proxy-sqs2upstream",
        assume_role_policy: trust,
      });
      expect(synth).toHaveResourceWithProperties(IamRole, {
        name: "dev-lambda_proxy-api2sqs",
        assume_role_policy: trust,
      });
      expect(Object.keys(json.data.aws_iam_policy_document).filter((k) => k.includes("assume"))).toEqual([
        "lambda_assume_role",
      ]);
    });

    test("managed policies with the seed's names, each attached to its role", () => {
      expect(synth).toHaveResourceWithProperties(IamPolicy, { name: "dev-sqs2upstream_policy" });
      expect(synth).toHaveResourceWithProperties(IamPolicy, { name: "dev-api2sqs_policy" });
      const policyId = byPath(json, "aws_iam_policy", "sqs2upstream/policy").name;
      const roleId = byPath(json, "aws_iam_role", "sqs2upstream/role").name;
      expect(synth).toHaveResourceWithProperties(IamRolePolicyAttachment, {
        role: `\${aws_iam_role.${roleId}.name}`,
        policy_arn: `\${aws_iam_policy.${policyId}.arn}`,
      });
    });

    test("fix: no AWS managed policy on sqs2upstream (the seed's VPC access role; it has no vpc_config)", () => {
      const attachments = Object.values(json.resource.aws_iam_role_policy_attachment ?? {}).map((a) => String(a.policy_arn));
      expect(attachments.length).toBeGreaterThan(0); // the customer managed policies are attached
      expect(attachments.filter((arn) => arn.startsWith("arn:aws:iam::aws:policy/"))).toEqual([]);
    });

    test("least privilege: sqs2upstream receives, deletes and reads attributes on its queue only", () => {
      const doc = byPath(json, "aws_iam_policy_document", "sqs2upstream/policy_document", "data").body;
      expect(doc.statement).toContainEqual({
        sid: "ConsumeProxyQueue",
        actions: ["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes"],
        resources: [queueRef],
      });
    });

    test("least privilege: api2sqs may only send to the queue (the seed also let it delete)", () => {
      const doc = byPath(json, "aws_iam_policy_document", "api2sqs/policy_document", "data").body;
      const sqsActions = (doc.statement as { actions: string[] }[])
        .flatMap((s) => s.actions)
        .filter((a) => a.startsWith("sqs:"));
      expect(sqsActions).toEqual(["sqs:SendMessage"]);
      expect(doc.statement).toContainEqual({
        sid: "SendToProxyQueue",
        actions: ["sqs:SendMessage"],
        resources: [queueRef],
      });
    });

    test("the seed's AWSLambdaBasicExecutionRole lookup is replaced by a log statement scoped to each function's group", () => {
      // No AWS call at plan time, no logs on Resource "*".
      expect(synth).not.toHaveDataSource(DataAwsIamPolicy);
      for (const name of ["api2sqs", "sqs2upstream"]) {
        const groupId = byPath(json, "aws_cloudwatch_log_group", `${name}/log_group`).name;
        const doc = byPath(json, "aws_iam_policy_document", `${name}/policy_document`, "data").body;
        expect(doc.statement).toContainEqual({
          sid: "WriteOwnLogGroup",
          actions: ["logs:CreateLogStream", "logs:PutLogEvents"],
          resources: [`\${aws_cloudwatch_log_group.${groupId}.arn}:*`],
        });
      }
    });
  });

  describe("queue, DLQ and event source mapping (seed sqs.tf + fixes)", () => {
    test("the queue: seed name, encrypted, visibility 30 s (>= 6 x 3 s), pinned message size, 14 days' retention (fix: SQS's default is 4)", () => {
      expect(synth).toHaveResourceWithProperties(SqsQueue, {
        name: "dev-proxy-queue",
        kms_master_key_id: "${aws_kms_key.queue_key.arn}",
        visibility_timeout_seconds: 30,
        max_message_size: 262144,
        message_retention_seconds: QUEUE_RETENTION_SECONDS,
      });
      expect(QUEUE_RETENTION_SECONDS).toBe(14 * 86400);
    });

    test("an alarm on the oldest webhook's age at half the retention, to the stack's topic, well before SQS deletes it", () => {
      const alarm = findOne(json, "aws_cloudwatch_metric_alarm", (a) => a.alarm_name === "dev-proxy-queue-oldest-near-retention").body;
      expect(alarm).toMatchObject({
        namespace: "AWS/SQS",
        metric_name: "ApproximateAgeOfOldestMessage",
        dimensions: { QueueName: "${aws_sqs_queue.queue.name}" },
        statistic: "Maximum",
        comparison_operator: "GreaterThanThreshold",
        threshold: QUEUE_RETENTION_ALARM_SECONDS,
        alarm_actions: [`\${aws_sns_topic.${byPath(json, "aws_sns_topic", "alarms/topic").name}.arn}`],
      });
      const retention = Number(json.resource.aws_sqs_queue.queue.message_retention_seconds);
      expect(Number(alarm.threshold)).toBeLessThanOrEqual(retention / 2);
    });

    test("forwarded_headers: an allow-list of header names, empty (all but the deny-list) by default, from the prop", () => {
      const re = new RegExp(HEADER_LIST_PATTERN);
      expect(["", "content-type", "content-type,x-hub-signature-256,x-github-delivery"].every((v) => re.test(v))).toBe(true);
      expect(["Content-Type", "a,,b", "a, b", "a,", "x y"].some((v) => re.test(v))).toBe(false);
      expect(json.variable.forwarded_headers).toMatchObject({ type: "string", default: "" });
      expect(json.variable.forwarded_headers.validation?.[0].condition).toContain("var.forwarded_headers");
      expect(build({ forwardedHeaders: ["content-type", "x-hub-signature-256"] }).json.variable.forwarded_headers.default).toBe(
        "content-type,x-hub-signature-256",
      );
    });

    test("redrive to the DLQ; bounded receive count, generous while polling cannot be capped", () => {
      const dlqId = byPath(json, "aws_sqs_queue", "dlq/queue").name;
      expect(json.resource.aws_sqs_queue.queue.redrive_policy).toBe(
        `\${jsonencode({"deadLetterTargetArn" = aws_sqs_queue.${dlqId}.arn, "maxReceiveCount" = (var.reserved_concurrent_executions >= 2) ? 5 : 20})}`
      );
    });

    test("the DLQ: encrypted (the stack's queue key, webhook-proxy.queue-security.test.ts), kept 14 days, with depth and age alarms", () => {
      expect(synth).toHaveResourceWithProperties(SqsQueue, {
        name: "dev-proxy-queue-dlq",
        kms_master_key_id: "${aws_kms_key.queue_key.arn}",
        message_retention_seconds: 1209600,
      });
      expect(synth).toHaveResourceWithProperties(CloudwatchMetricAlarm, {
        alarm_name: "dev-proxy-queue-dlq-not-empty",
      });
      expect(synth).toHaveResourceWithProperties(CloudwatchMetricAlarm, {
        alarm_name: "dev-proxy-queue-dlq-oldest-message-age",
      });
    });

    test("the mapping: batch 1 (seed), queue -> sqs2upstream ARN, partial batch failures", () => {
      const fnId = byPath(json, "aws_lambda_function", "sqs2upstream/function").name;
      expect(synth).toHaveResourceWithProperties(LambdaEventSourceMapping, {
        batch_size: 1,
        event_source_arn: queueRef,
        function_name: `\${aws_lambda_function.${fnId}.arn}`,
        function_response_types: ["ReportBatchItemFailures"],
      });
    });

    test("maximum concurrency = reserved concurrency (capped at 1000) when reserved >= 2, decided at plan time", () => {
      const mapping = json.resource.aws_lambda_event_source_mapping.mapping;
      expect(mapping).not.toHaveProperty("scaling_config");
      expect(mapping.dynamic).toEqual({
        scaling_config: {
          for_each:
            "${(var.reserved_concurrent_executions >= 2) ? [min(var.reserved_concurrent_executions, 1000)] : []}",
          content: { maximum_concurrency: "${scaling_config.value}" },
        },
      });
    });

    test("a plan-time check warns when reserved concurrency is 1 (polling not capped)", () => {
      const assertion = json.check.sqs2upstream_concurrency_cap.assert[0];
      expect(assertion.condition).toBe("${(var.reserved_concurrent_executions >= 2)}");
      expect(assertion.error_message).toMatch(/minimum maximum concurrency \(2\)/);
    });

    test("and a synth-time warning, since the default (the seed's 1) cannot be capped", () => {
      expect(warnings(stack).join("\n")).toMatch(
        /reserved_concurrent_executions defaults to 1.*maxReceiveCount is raised to 20/
      );
    });
  });

  describe("HTTP API (seed api_gateway.tf)", () => {
    test("the API, HTTP protocol, seed name", () => {
      expect(synth).toHaveResourceWithProperties(Apigatewayv2Api, {
        name: "dev-gateway_api_proxy",
        protocol_type: "HTTP",
      });
    });

    test("the stage: seed name, auto deploy, the seed's access-log format into its log group, throttled", () => {
      const logGroupId = byPath(json, "aws_cloudwatch_log_group", "stage/access_logs").name;
      const stage = byPath(json, "aws_apigatewayv2_stage", "stage").body;
      expect(synth).toHaveResourceWithProperties(Apigatewayv2Stage, {
        api_id: "${aws_apigatewayv2_api.api.id}",
        name: "dev-gateway_state_proxy",
        auto_deploy: true,
        access_log_settings: {
          destination_arn: `\${aws_cloudwatch_log_group.${logGroupId}.arn}`,
          format: JSON.stringify(ACCESS_LOG_FORMAT),
        },
        default_route_settings: {
          throttling_rate_limit: "${var.throttling_rate_limit}",
          throttling_burst_limit: "${var.throttling_burst_limit}",
        },
      });
      const format = JSON.parse((stage.access_log_settings as { format: string }).format) as Record<string, string>;
      expect(format).toEqual(ACCESS_LOG_FORMAT);
      expect(Object.keys(format)).toEqual([
        "requestId",
        "sourceIp",
        "requestTime",
        "protocol",
        "httpMethod",
        "resourcePath",
        "routeKey",
        "status",
        "responseLength",
        "integrationErrorMessage",
      ]);
    });

    test("the API log group: /aws/api_gw/<api name>, the environment's retention (fix: the seed keeps 1 day)", () => {
      expect(synth).toHaveResourceWithProperties(CloudwatchLogGroup, {
        name: "/aws/api_gw/${aws_apigatewayv2_api.api.name}",
        retention_in_days: defaultDeployment.logRetentionDays,
      });
    });

    test("AWS_PROXY integration to api2sqs (payload 2.0 for the raw query string) and route POST /", () => {
      const fnId = byPath(json, "aws_lambda_function", "api2sqs/function").name;
      expect(synth).toHaveResourceWithProperties(Apigatewayv2Integration, {
        integration_uri: `\${aws_lambda_function.${fnId}.invoke_arn}`,
        integration_type: "AWS_PROXY",
        integration_method: "POST",
        payload_format_version: "2.0",
      });
      expect(synth).toHaveResourceWithProperties(Apigatewayv2Route, {
        route_key: "POST /",
        target: "integrations/${aws_apigatewayv2_integration.integration.id}",
      });
    });

    test("the Lambda permission, with the seed's statement id and a source ARN on this API", () => {
      const fnId = byPath(json, "aws_lambda_function", "api2sqs/function").name;
      expect(synth).toHaveResourceWithProperties(LambdaPermission, {
        statement_id: "AllowExecutionFromAPIGateway",
        action: "lambda:InvokeFunction",
        function_name: `\${aws_lambda_function.${fnId}.function_name}`,
        principal: "apigateway.amazonaws.com",
        source_arn: "${aws_apigatewayv2_api.api.execution_arn}/*/POST/",
      });
    });

    test("custom domain with the given certificate: REGIONAL, TLS 1.2; mapping to the stage", () => {
      expect(synth).toHaveResourceWithProperties(Apigatewayv2DomainName, {
        domain_name: "${var.domain_name}",
        domain_name_configuration: {
          certificate_arn: "${var.domain_cert_arn}",
          endpoint_type: "REGIONAL",
          security_policy: "TLS_1_2",
        },
      });
      expect(synth).toHaveResourceWithProperties(Apigatewayv2ApiMapping, {
        api_id: "${aws_apigatewayv2_api.api.id}",
        stage: `\${aws_apigatewayv2_stage.${byPath(json, "aws_apigatewayv2_stage", "stage").name}.id}`,
      });
      expect(synth).not.toHaveResource(AcmCertificate); // the seed's certificate exists already
    });

    test("the alias A record in the given zone, evaluating target health (seed)", () => {
      const domainId = byPath(json, "aws_apigatewayv2_domain_name", "domain/domain_name").name;
      expect(synth).toHaveResourceWithProperties(Route53Record, {
        name: `\${aws_apigatewayv2_domain_name.${domainId}.domain_name}`,
        type: "A",
        zone_id: "${var.zone_id}",
        alias: {
          evaluate_target_health: true,
          name: `\${aws_apigatewayv2_domain_name.${domainId}.domain_name_configuration[0].target_domain_name}`,
          zone_id: `\${aws_apigatewayv2_domain_name.${domainId}.domain_name_configuration[0].hosted_zone_id}`,
        },
      });
    });
  });

  describe("alarms", () => {
    const topic = (json: StackJson): string =>
      `\${aws_sns_topic.${byPath(json, "aws_sns_topic", "alarms/topic").name}.arn}`;

    test("errors and throttles of both functions, API 5xx, queue backlog age: all notify the stack's topic", () => {
      const names = Object.values(json.resource.aws_cloudwatch_metric_alarm).map((a) => a.alarm_name);
      expect(names).toEqual(
        expect.arrayContaining([
          "${local.function_name_api2sqs}-errors",
          "${local.function_name_api2sqs}-throttles",
          "${local.function_name_sqs2upstream}-errors",
          "${local.function_name_sqs2upstream}-throttles",
          "dev-gateway_api_proxy-5xx",
          "dev-proxy-queue-backlog-age",
        ])
      );
      for (const alarm of Object.values(json.resource.aws_cloudwatch_metric_alarm)) {
        expect(alarm.alarm_actions).toEqual([topic(json)]);
      }
      // HttpApiStage's 5xx/Count rate (http-api-stage.test.ts) of this stack's stage; threshold 0: any 5xx (a webhook not queued) alarms.
      expect(synth).toHaveResourceWithProperties(CloudwatchMetricAlarm, {
        alarm_name: "dev-gateway_api_proxy-5xx",
        threshold: 0,
        comparison_operator: "GreaterThanThreshold",
        evaluation_periods: 1,
      });
      const stageId = byPath(json, "aws_apigatewayv2_stage", "stage").name;
      const stage = { ApiId: "${aws_apigatewayv2_api.api.id}", Stage: `\${aws_apigatewayv2_stage.${stageId}.name}` };
      const rateAlarm = findOne(json, "aws_cloudwatch_metric_alarm", (a) => a.alarm_name === "dev-gateway_api_proxy-5xx").body;
      expect(metricDimensionsOf(rateAlarm)).toEqual([stage, stage]);
      expect(synth).toHaveResourceWithProperties(CloudwatchMetricAlarm, {
        alarm_name: "dev-proxy-queue-backlog-age",
        metric_name: "ApproximateAgeOfOldestMessage",
        dimensions: { QueueName: "${aws_sqs_queue.queue.name}" },
        threshold: 900,
      });
    });
  });

  test("outputs: the webhook URL, the API endpoint, both queue URLs", () => {
    expect(json.output.webhook_url.value).toBe("https://${var.domain_name}/");
    expect(Object.keys(json.output).sort()).toEqual([
      "alarm_topic_arn",
      "dead_letter_queue_url",
      "execute_api_url",
      "queue_url",
      "webhook_url",
    ]);
  });
});

describe("webhook-proxy with props", () => {
  test("reserved concurrency >= 2 by default: no synth warning; the variable's default follows", () => {
    const { stack, json } = build({ reservedConcurrentExecutions: 4 });
    expect(json.variable.reserved_concurrent_executions.default).toBe(4);
    expect(warnings(stack).filter((w) => w.includes("reserved_concurrent_executions"))).toEqual([]);
  });

  test("receive counts, batching and timeouts are configurable", () => {
    const { synth, json } = build({
      maxReceiveCount: 3,
      throttledMaxReceiveCount: 50,
      batchSize: 5,
      maximumBatchingWindowSeconds: 10,
      functionTimeoutSeconds: 10,
      visibilityTimeoutSeconds: 70,
    });
    expect(String(json.resource.aws_sqs_queue.queue.redrive_policy)).toContain("? 3 : 50");
    expect(synth).toHaveResourceWithProperties(LambdaEventSourceMapping, {
      batch_size: 5,
      maximum_batching_window_in_seconds: 10,
    });
    expect(synth).toHaveResourceWithProperties(SqsQueue, { name: "dev-proxy-queue", visibility_timeout_seconds: 70 });
    expect(synth).toHaveResourceWithProperties(LambdaFunction, {
      function_name: "${local.function_name_sqs2upstream}",
      timeout: 10,
      environment: { variables: { UPSTREAM: "${var.upstream}", UPSTREAM_TIMEOUT_MS: "9000", FUNCTION_TIMEOUT_MS: "10000", MAX_RECEIVE_COUNT: "${(var.reserved_concurrent_executions >= 2) ? 3 : 50}" } },
    });
  });

  test("a batch whose deliveries cannot all fit in the function timeout is a synth warning", () => {
    const { stack } = build({ batchSize: 5 });
    expect(warnings(stack).join("\n")).toMatch(/5 records x 2000 ms upstream timeout exceed the 3 s function timeout/);
  });
});

describe("synth-time checks fail synth with the reason", () => {
  test("api2sqs's reserved concurrency below what the stage admits", () => {
    expect(() => build({ api2sqsReservedConcurrency: 50 })).toThrow(/api2sqs's reserved concurrency \(50\) is below what the stage admits: .* = 200/);
    expect(() => build({ api2sqsReservedConcurrency: 50, throttlingRateLimit: 200, throttlingBurstLimit: 400 })).not.toThrow();
    // Lower limits size the default with them.
    expect(build({ throttlingRateLimit: 100, throttlingBurstLimit: 200 }).json.variable.api2sqs_reserved_concurrent_executions.default).toBe(20);
  });


  test("visibility timeout below 6 x the function timeout", () => {
    expect(() => build({ visibilityTimeoutSeconds: 17 })).toThrow(
      /visibility timeout \(17 s\) must be at least 6 x the sqs2upstream timeout \(3 s\) \+ the batching window \(0 s\) = 18 s/
    );
  });

  test("the batching window counts too", () => {
    expect(() => build({ visibilityTimeoutSeconds: 30, maximumBatchingWindowSeconds: 13 })).toThrow(/= 31 s/);
    expect(() => build({ visibilityTimeoutSeconds: 31, maximumBatchingWindowSeconds: 13 })).not.toThrow();
  });

  test("an upstream timeout not below the function timeout", () => {
    expect(() => build({ upstreamTimeoutMs: 3000 })).toThrow(/upstream timeout \(3000 ms\) must be positive and below/);
  });

  test("a batch above 10 without a batching window", () => {
    expect(() => build({ batchSize: 20 })).toThrow(/needs a maximum batching window/);
  });

  test("checkQueueTiming accepts the seed's timing", () => {
    expect(() =>
      checkQueueTiming({
        visibilityTimeoutSeconds: 30,
        functionTimeoutSeconds: 3,
        maximumBatchingWindowSeconds: 0,
        upstreamTimeoutMs: 2000,
      })
    ).not.toThrow();
  });
});
