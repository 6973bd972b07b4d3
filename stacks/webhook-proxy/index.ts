import { Construct } from "constructs";
import { Annotations, Fn, Op, TerraformLocal, TerraformOutput, TerraformVariable, Token } from "cdktf";
import { Apigatewayv2Api } from "@cdktf/provider-aws/lib/apigatewayv2-api";
import { Apigatewayv2Integration } from "@cdktf/provider-aws/lib/apigatewayv2-integration";
import { Apigatewayv2Route } from "@cdktf/provider-aws/lib/apigatewayv2-route";
import { DataAwsIamPolicyDocument } from "@cdktf/provider-aws/lib/data-aws-iam-policy-document";
import { LambdaEventSourceMapping } from "@cdktf/provider-aws/lib/lambda-event-source-mapping";
import { SqsQueue } from "@cdktf/provider-aws/lib/sqs-queue";
import { ApiCustomDomain } from "../../blocks/api-custom-domain";
import { DeadLetterQueue } from "../../blocks/dead-letter-queue";
import { QUEUE_DEFAULTS } from "../../blocks/defaults";
import { declareEntryPoint } from "../../blocks/entry-points";
import { HttpApiStage } from "../../blocks/http-api-stage";
import { AccessLogFields } from "../../blocks/stage-settings";
import { NodejsFunction } from "../../blocks/lambda/nodejs-function";
import { ServerlessStack } from "../../blocks/serverless-stack";
import type { WebhookProxyStackProps } from "./props";
import { signatureSettings } from "./signature";
import { QueueSecurity } from "./queue-security";
import { stackVariables } from "./variables";
import {
  API2SQS_P99_MS,
  api2sqsConcurrencyCondition,
  api2sqsConcurrencyFor,
  checkFrontDoorConcurrency,
  checkQueueTiming,
  MAX_MAXIMUM_CONCURRENCY,
  MIN_MAXIMUM_CONCURRENCY,
} from "./timing";

/** The seed's access-log format of the HTTP API stage (field for field). */
export const ACCESS_LOG_FORMAT: AccessLogFields = {
  requestId: "$context.requestId",
  sourceIp: "$context.identity.sourceIp",
  requestTime: "$context.requestTime",
  protocol: "$context.protocol",
  httpMethod: "$context.httpMethod",
  resourcePath: "$context.resourcePath",
  routeKey: "$context.routeKey",
  status: "$context.status",
  responseLength: "$context.responseLength",
  integrationErrorMessage: "$context.integrationErrorMessage",
};

/** The proxy queue's `message_retention_seconds`: SQS's maximum, 14 days. */
export const QUEUE_RETENTION_SECONDS = 1_209_600;
/** Age of the oldest queued webhook that raises the retention alarm: half the retention, a week to act. */
export const QUEUE_RETENTION_ALARM_SECONDS = QUEUE_RETENTION_SECONDS / 2;

export { PARAMETER_NAME_PATTERN } from "./signature";
export { CERTIFICATE_ARN_PATTERN, HEADER_LIST_PATTERN, UPSTREAM_PATTERN, ZONE_ID_PATTERN } from "./variables";
export { API2SQS_P99_MS, api2sqsConcurrencyFor, checkQueueTiming, MAX_MAXIMUM_CONCURRENCY, MIN_MAXIMUM_CONCURRENCY } from "./timing";
export type { WebhookSignatureOptions } from "./signature";
export type { WebhookProxyStackProps } from "./props";

/**
 * Seed 002, a webhook spike proxy: HTTP API (custom domain) -> Lambda
 * `api2sqs` -> SQS -> Lambda `sqs2upstream` (reserved concurrency) -> the
 * upstream application over HTTPS. A burst of webhooks reaches the upstream at
 * a bounded concurrency, and none is lost: failed deliveries return to the
 * queue and end in a DLQ. See README.md.
 */
export class WebhookProxyStack extends ServerlessStack {
  readonly queue: SqsQueue;
  readonly deadLetterQueue: DeadLetterQueue;
  readonly api2sqs: NodejsFunction;
  readonly sqs2upstream: NodejsFunction;
  readonly mapping: LambdaEventSourceMapping;
  readonly api: Apigatewayv2Api;
  readonly stage: HttpApiStage;
  readonly domain: ApiCustomDomain;
  readonly queueSecurity: QueueSecurity;

  constructor(scope: Construct, id: string, props: WebhookProxyStackProps) {
    super(scope, id, props);

    const functionTimeout = props.functionTimeoutSeconds ?? 3;
    const upstreamTimeoutMs = props.upstreamTimeoutMs ?? functionTimeout * 1000 - 1000;
    const visibilityTimeout = props.visibilityTimeoutSeconds ?? 30;
    const batchSize = props.batchSize ?? 1;
    const batchingWindow = props.maximumBatchingWindowSeconds ?? 0;
    const maxMessageBytes = props.maxMessageBytes ?? 262_144;
    // Fix: the seed keeps 1 day, too short to investigate abuse of an unauthenticated endpoint; as the other stacks.
    const logRetentionDays = props.logRetentionDays ?? props.env.logRetentionDays;
    const defaultReserved = props.reservedConcurrentExecutions ?? 1;
    const stageLimits = { rateLimit: props.throttlingRateLimit ?? 1000, burstLimit: props.throttlingBurstLimit ?? 2000 };
    const api2sqsReserved = props.api2sqsReservedConcurrency ?? api2sqsConcurrencyFor(stageLimits);

    // Checked here, at synth, not in review: a violation fails `cdktf synth` with the reason.
    checkQueueTiming({
      visibilityTimeoutSeconds: visibilityTimeout,
      functionTimeoutSeconds: functionTimeout,
      maximumBatchingWindowSeconds: batchingWindow,
      upstreamTimeoutMs,
    });
    checkFrontDoorConcurrency({ reserved: api2sqsReserved, ...stageLimits });
    if (batchSize > 10 && batchingWindow === 0) {
      throw new Error(`webhook-proxy: a batch size of ${batchSize} (> 10) needs a maximum batching window > 0.`);
    }
    if (batchSize * upstreamTimeoutMs > functionTimeout * 1000) {
      // Deliveries run one after another: with a hanging upstream the last records of a batch are
      // never tried, yet each such receive counts towards maxReceiveCount.
      Annotations.of(this).addWarning(
        `webhook-proxy: ${batchSize} records x ${upstreamTimeoutMs} ms upstream timeout exceed the ` +
          `${functionTimeout} s function timeout; a slow upstream leaves records of a batch untried.`
      );
    }
    if (defaultReserved < MIN_MAXIMUM_CONCURRENCY) {
      Annotations.of(this).addWarning(
        `reserved_concurrent_executions defaults to ${defaultReserved} (the seed's), below the event source ` +
          `mapping's minimum maximum concurrency (${MIN_MAXIMUM_CONCURRENCY}): the mapping is not capped, ` +
          `throttled invocations spend receives, and maxReceiveCount is raised to ` +
          `${props.throttledMaxReceiveCount ?? 20}. See stacks/webhook-proxy/README.md#concurrency-reserved-vs-maximum.`
      );
    }

    // ---- Variables: the seed's, minus app_env (variables.ts). HttpApiStage adds throttling_*, signatureSettings
    // signing_secret_parameter and signature_*. ----
    const { upstream, reserved, frontReserved, forwardHeaders, zoneId, domainCertArn, domainName } = stackVariables(this, {
      reserved: defaultReserved,
      api2sqsReserved,
      forwardedHeaders: props.forwardedHeaders ?? [],
    });
    // The seed's locals: function names with the environment.
    const sqs2upstreamName = new TerraformLocal(
      this,
      "function_name_sqs2upstream",
      this.name("lambda_proxy_sqs2upstream")
    );
    const api2sqsName = new TerraformLocal(this, "function_name_api2sqs", this.name("lambda_proxy_api2sqs"));

    // Reserved concurrency >= 2: cap the mapping's polling at it (AWS's remedy for throttled SQS
    // invocations). Reserved concurrency 1: no cap exists (minimum 2), so allow more receives.
    const capped = Op.gte(reserved.numberValue, MIN_MAXIMUM_CONCURRENCY);

    // ---- Queue (+ fix: DLQ, redrive, encryption, visibility timeout) ----
    this.deadLetterQueue = new DeadLetterQueue(this, "dlq", {
      queueName: this.name("proxy-queue-dlq"),
      alarms: this.alarms,
    });
    this.queue = new SqsQueue(this, "queue", {
      ...QUEUE_DEFAULTS,
      name: this.name("proxy-queue"),
      visibilityTimeoutSeconds: visibilityTimeout,
      maxMessageSize: maxMessageBytes,
      // Fix: SQS's default (4 days) deletes a long backlog's webhooks unseen; 14 days is its maximum.
      messageRetentionSeconds: QUEUE_RETENTION_SECONDS,
      redrivePolicy: Fn.jsonencode({
        deadLetterTargetArn: this.deadLetterQueue.queue.arn,
        maxReceiveCount: Fn.conditional(capped, props.maxReceiveCount ?? 5, props.throttledMaxReceiveCount ?? 20),
      }),
    });

    // ---- Functions ----
    // The seed's one trust policy, shared by both roles.
    const assumeRole = new DataAwsIamPolicyDocument(this, "lambda_assume_role", {
      statement: [
        { actions: ["sts:AssumeRole"], principals: [{ type: "Service", identifiers: ["lambda.amazonaws.com"] }] },
      ],
    });
    /*
     * Seed: `data "aws_iam_policy" "lambda_execution_policy"` (AWSLambdaBasicExecutionRole) merged
     * into both policy documents. Not reproduced: it is an AWS call at plan time (no offline plan),
     * and it grants logs:CreateLogGroup/CreateLogStream/PutLogEvents on Resource "*". Its intent,
     * "the function may write its logs", is met by NodejsFunction's own statement in each policy
     * document: logs:CreateLogStream and logs:PutLogEvents on that function's log group only
     * (Terraform creates the group, so CreateLogGroup is not needed).
     */
    const common = {
      packaging: this.env.lambdaPackaging,
      logRetentionDays,
      alarms: this.alarms,
      assumeRolePolicy: assumeRole.json,
      memorySize: 128,
      timeout: functionTimeout,
      publish: true,
    };

    // ---- Signed webhooks: the secret stays in SSM; the function's environment only names it ----
    const signature = props.signature === false ? undefined : signatureSettings(this, props.signature ?? {});

    this.api2sqs = new NodejsFunction(this, "api2sqs", {
      ...common,
      entry: "handlers/webhook-proxy/api2sqs/index.ts",
      functionName: api2sqsName.asString,
      roleName: this.name("lambda_proxy-api2sqs"),
      rolePolicy: { kind: "managed", name: this.name("api2sqs_policy") },
      // Fix: the seed also granted sqs:DeleteMessage and sqs:GetQueueAttributes; api2sqs only sends.
      statements: [
        { sid: "SendToProxyQueue", actions: ["sqs:SendMessage"], resources: [this.queue.arn] },
        ...(signature?.statements ?? []),
      ],
      // Fix: the seed leaves it unreserved; a flood of junk then takes every unreserved function's concurrency.
      reservedConcurrentExecutions: frontReserved.numberValue,
      environment: {
        SQS_URL: this.queue.url,
        MAX_MESSAGE_BYTES: String(maxMessageBytes),
        FORWARD_HEADERS: forwardHeaders.stringValue,
        ...signature?.environment,
      },
      description: "Webhook proxy: queues each received webhook (raw bytes, headers, path, query) and answers 202.",
    });
    if (signature) {
      // SendGrid's scheme cannot verify anything without its key: the plan fails, not every webhook.
      this.api2sqs.function.addOverride("lifecycle.precondition", [
        {
          condition: '${var.signature_scheme != "sendgrid" || length(trimspace(var.signature_public_key)) > 0}',
          error_message: "signature_scheme is sendgrid: set signature_public_key to SendGrid's verification key (Mail Settings > Signed Event Webhook).",
        },
      ]);
    }

    this.sqs2upstream = new NodejsFunction(this, "sqs2upstream", {
      ...common,
      entry: "handlers/webhook-proxy/sqs2upstream/index.ts",
      functionName: sqs2upstreamName.asString,
      roleName: this.name("lambda_proxy-sqs2upstream"),
      rolePolicy: { kind: "managed", name: this.name("sqs2upstream_policy") },
      statements: [
        {
          sid: "ConsumeProxyQueue",
          actions: ["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes"],
          resources: [this.queue.arn],
        },
      ],
      // Fix: no AWSLambdaVPCAccessExecutionRole (the seed attaches it): the function has no vpc_config, and the
      // policy grants log writes to any log group and ENI create/delete on "*".
      reservedConcurrentExecutions: reserved.numberValue,
      environment: { UPSTREAM: upstream.stringValue, UPSTREAM_TIMEOUT_MS: String(upstreamTimeoutMs) },
      description: "Webhook proxy: replays queued webhooks to the upstream at a bounded concurrency.",
    });

    // ---- Fix: a customer managed key and queue policies: only the two roles read or write the webhooks ----
    this.queueSecurity = new QueueSecurity(this, {
      queue: this.queue,
      deadLetterQueue: this.deadLetterQueue.queue,
      producer: this.api2sqs.role,
      consumer: this.sqs2upstream.role,
      operatorArns: props.queueOperatorArns,
    });

    // ---- Event source mapping (+ fix: partial batch failures, maximum concurrency) ----
    this.mapping = new LambdaEventSourceMapping(this, "mapping", {
      batchSize,
      eventSourceArn: this.queue.arn,
      functionName: this.sqs2upstream.function.arn,
      functionResponseTypes: ["ReportBatchItemFailures"],
      maximumBatchingWindowInSeconds: batchingWindow > 0 ? batchingWindow : undefined,
    });
    // scaling_config only when reserved >= 2, decided at plan time from the variable: a dynamic block.
    this.mapping.addOverride("dynamic.scaling_config", {
      for_each: Fn.conditional(capped, [Fn.min([reserved.numberValue, MAX_MAXIMUM_CONCURRENCY])], []),
      content: { maximum_concurrency: "${scaling_config.value}" },
    });
    // Plan-time warning (Terraform `check`, never blocks) for the value actually planned.
    this.addOverride("check.sqs2upstream_concurrency_cap", {
      assert: [
        {
          condition: capped,
          error_message:
            "reserved_concurrent_executions is 1, below the minimum maximum concurrency (2) of the SQS event " +
            "source mapping: polling is not capped, throttled invocations spend receives, and maxReceiveCount " +
            "is raised to compensate. Set it to 2 or more to cap polling (see the stack README).",
        },
      ],
    });

    // ---- HTTP API (+ fix: stage throttling, payload 2.0 for the raw query string) ----
    this.api = new Apigatewayv2Api(this, "api", {
      name: this.name("gateway_api_proxy"),
      protocolType: "HTTP",
      // Fix: webhooks arrive on the custom domain (TLS 1.2); the default execute-api endpoint would bypass it.
      disableExecuteApiEndpoint: true,
    });
    // Seed: `aws_apigatewayv2_stage.gw_state_proxy` and `aws_cloudwatch_log_group.gw_lg_proxy` (retention 1 day).
    // Fix: stage-wide throttling from the `throttling_rate_limit` / `throttling_burst_limit` variables.
    // The 5xx alarm is the shared 5xx/Count rate; threshold 0 keeps "any 5xx in a minute alarms":
    // each 5xx is a webhook that was not queued.
    this.stage = new HttpApiStage(this, "stage", {
      api: this.api,
      stageName: this.name("gateway_state_proxy"),
      accessLogGroupName: `/aws/api_gw/${this.api.name}`,
      accessLogRetentionDays: logRetentionDays,
      accessLogFormat: ACCESS_LOG_FORMAT,
      throttlingRateLimit: stageLimits.rateLimit,
      throttlingBurstLimit: stageLimits.burstLimit,
      alarms: this.alarms,
      alarmName: `${this.name("gateway_api_proxy")}-5xx`,
      alarmDescription: "The webhook API answered 5xx: webhooks were not queued (senders should retry).",
      errorRateThreshold: 0,
    });
    // Plan-time warning when the throttling variables admit more than api2sqs's reservation takes.
    const planValue = (v: TerraformVariable | number): string | undefined =>
      v instanceof TerraformVariable ? `var.${v.friendlyUniqueId}` : Token.isUnresolved(v) ? undefined : String(v);
    const [reservedHcl, rateHcl, burstHcl] = [frontReserved, this.stage.throttlingRateLimit, this.stage.throttlingBurstLimit].map(planValue);
    if (reservedHcl !== undefined && rateHcl !== undefined && burstHcl !== undefined) {
      this.addOverride("check.api2sqs_concurrency_fits_stage", {
        assert: [
          {
            condition: api2sqsConcurrencyCondition(reservedHcl, rateHcl, burstHcl),
            error_message:
              `api2sqs_reserved_concurrent_executions is below throttling_rate_limit x ${API2SQS_P99_MS} ms x 2 or throttling_burst_limit x ${API2SQS_P99_MS} ms: ` +
              "the stage admits webhooks api2sqs cannot take at once (throttled: 5xx, the senders retry). Raise it or lower the stage's limits.",
          },
        ],
      });
    }
    const integration = new Apigatewayv2Integration(this, "integration", {
      apiId: this.api.id,
      integrationUri: this.api2sqs.function.invokeArn,
      integrationType: "AWS_PROXY",
      integrationMethod: "POST",
      // Seed: unset (1.0). 2.0 carries the raw query string exactly (rawQueryString), which 1.0 loses.
      payloadFormatVersion: "2.0",
    });
    const route = new Apigatewayv2Route(this, "route", {
      apiId: this.api.id,
      routeKey: "POST /",
      target: `integrations/${integration.id}`,
    });
    // Senders are third parties: no SigV4, no JWT. They are identified by the signature api2sqs checks.
    declareEntryPoint(
      route,
      signature
        ? {
            caller: "signature",
            reason:
              "api2sqs verifies the sender's signature (signature_scheme: an HMAC-SHA256 with the shared secret, or SendGrid's ECDSA " +
              "with its public key) before queueing",
          }
        : { caller: "public", reason: "signature check turned off (signature: false); the stage throttling is the only limit" },
    );
    this.api2sqs.allowInvoke("api_permission", {
      statementId: "AllowExecutionFromAPIGateway",
      principal: "apigateway.amazonaws.com",
      // Fix: the seed's `/*/*` lets any route of the API invoke the function, one added later
      // included; its one route is `POST /` (any stage: `<stage>/<method><path>`).
      sourceArn: `${this.api.executionArn}/*/POST/`,
    });

    // ---- Custom domain: existing certificate and hosted zone, as in the seed ----
    this.domain = new ApiCustomDomain(this, "domain", {
      domainName: domainName.stringValue,
      hostedZoneId: zoneId.stringValue,
      certificate: { kind: "existing", certificateArn: domainCertArn.stringValue },
      apiId: this.api.id,
      stage: this.stage.stage.id,
      evaluateTargetHealth: true,
    });

    // ---- Alarms beyond those DeadLetterQueue, NodejsFunction and HttpApiStage add ----
    const backlogAge = props.backlogAgeAlarmSeconds ?? 900;
    this.alarms.alarm("queue_age", {
      alarmName: `${this.name("proxy-queue")}-backlog-age`,
      alarmDescription: `The oldest queued webhook waits for more than ${backlogAge} s: the upstream falls behind.`,
      namespace: "AWS/SQS",
      metricName: "ApproximateAgeOfOldestMessage",
      dimensions: { QueueName: this.queue.name },
      statistic: "Maximum",
      period: 300,
      evaluationPeriods: 1,
      threshold: backlogAge,
      comparisonOperator: "GreaterThanThreshold",
    });

    // Fix: a webhook kept past the retention is deleted unseen; alarm at half of it, days before.
    this.alarms.alarm("queue_retention", {
      alarmName: `${this.name("proxy-queue")}-oldest-near-retention`,
      alarmDescription:
        `The oldest queued webhook is older than ${QUEUE_RETENTION_ALARM_SECONDS / 86400} days; SQS deletes it unseen at ` +
        `${QUEUE_RETENTION_SECONDS / 86400} days (message_retention_seconds). Drain the backlog: raise reserved_concurrent_executions or fix the upstream.`,
      namespace: "AWS/SQS",
      metricName: "ApproximateAgeOfOldestMessage",
      dimensions: { QueueName: this.queue.name },
      statistic: "Maximum",
      period: 300,
      evaluationPeriods: 1,
      threshold: QUEUE_RETENTION_ALARM_SECONDS,
      comparisonOperator: "GreaterThanThreshold",
    });

    new TerraformOutput(this, "webhook_url", {
      value: `https://${domainName.stringValue}/`,
      description: "Where webhook senders POST.",
    });
    new TerraformOutput(this, "execute_api_url", {
      value: `${this.api.apiEndpoint}/${this.stage.stage.name}/`,
      description: "The stage's execute-api URL (disabled: webhooks arrive on the custom domain); for reference.",
    });
    new TerraformOutput(this, "queue_url", { value: this.queue.url, description: "SQS queue buffering the webhooks for sqs2upstream." });
    new TerraformOutput(this, "dead_letter_queue_url", {
      value: this.deadLetterQueue.queue.url,
      description: "Webhooks that could not be delivered; replay them once the upstream is fixed.",
    });
  }
}
