import { Construct } from "constructs";
import { Annotations, Fn, IResolvable, Op, TerraformLocal, TerraformStack, Token } from "cdktf";
import { Apigatewayv2Api } from "@cdktf/provider-aws/lib/apigatewayv2-api";
import { CloudwatchMetricAlarm } from "@cdktf/provider-aws/lib/cloudwatch-metric-alarm";
import { DataAwsIamPolicyDocument } from "@cdktf/provider-aws/lib/data-aws-iam-policy-document";
import { LambdaEventSourceMapping } from "@cdktf/provider-aws/lib/lambda-event-source-mapping";
import { SqsQueue } from "@cdktf/provider-aws/lib/sqs-queue";
import { ApiCustomDomain } from "../../blocks/api-custom-domain";
import { DeadLetterQueue } from "../../blocks/dead-letter-queue";
import { consolidateProps, exclusive, QUEUE_DEFAULTS } from "../../blocks/defaults";
import { HttpApiStage } from "../../blocks/http-api-stage";
import { NodejsFunction } from "../../blocks/lambda/nodejs-function";
import { Pattern } from "../../blocks/pattern";
import { QueueRef } from "../../blocks/references";
import { settingReference, variableOptionsOf } from "../../blocks/variables";
import { webhookFrontDoor } from "./front-door";
import type { WebhookProxyProps } from "./props";
import { QueueSecurity } from "./queue-security";
import { checkUpstream, QUEUE_RETENTION_ALARM_SECONDS, QUEUE_RETENTION_SECONDS, WEBHOOK_PROXY_DEFAULTS, webhookProxySettings } from "./settings";
import { signatureSettings } from "./signature";
import { api2sqsConcurrencyFor, checkFrontDoorConcurrency, checkQueueTiming, MAX_MAXIMUM_CONCURRENCY, MIN_MAXIMUM_CONCURRENCY } from "./timing";
import { observe, Observed } from "../../blocks/observability";

export * from "./settings";
export { PARAMETER_NAME_PATTERN, PUBLIC_KEYS_PATTERN } from "./signature";
export type { SignatureSettings, WebhookSignatureOptions } from "./signature";
export { API2SQS_P99_MS, api2sqsConcurrencyFor, checkQueueTiming, MAX_MAXIMUM_CONCURRENCY, MIN_MAXIMUM_CONCURRENCY } from "./timing";
export { ACCESS_LOG_FORMAT } from "./front-door";
export type { WebhookDomain, WebhookProxyProps, WebhookQueueProps } from "./props";

/**
 * Seed 002, a webhook spike proxy: HTTP API (custom domain) -> Lambda
 * `api2sqs` -> SQS -> Lambda `sqs2upstream` (reserved concurrency) -> the
 * upstream application over HTTPS. A burst of webhooks reaches the upstream at
 * a bounded concurrency, and none is lost: failed deliveries return to the
 * queue and end in a DLQ. See README.md.
 */
export class WebhookProxy extends Pattern {
  /** Its dashboard (none with `dashboard: false`) and the alarms on its handlers' outcome metrics (blocks/observability). */
  readonly observability: Observed;
  /** The queue the pattern created (undefined with `existingQueue`). */
  readonly queue?: SqsQueue;
  /** The queue in use: created or existing. */
  readonly queueRef: QueueRef;
  /** Where undeliverable webhooks end (undefined with `existingQueue`: its redrive is the user's). */
  readonly deadLetterQueue?: DeadLetterQueue;
  readonly api2sqs: NodejsFunction;
  readonly sqs2upstream: NodejsFunction;
  readonly mapping: LambdaEventSourceMapping;
  readonly api: Apigatewayv2Api;
  readonly stage: HttpApiStage;
  /** The custom domain (with `customDomain`). */
  readonly domain?: ApiCustomDomain;
  /** Customer managed key and queue policies (undefined with `existingQueue`). */
  readonly queueSecurity?: QueueSecurity;
  /** Where senders POST: the custom domain, or the stage's execute-api URL. */
  readonly webhookUrl: string;
  /** The stage's execute-api URL (disabled with a custom domain). */
  readonly executeApiUrl: string;
  readonly backlogAgeAlarm: CloudwatchMetricAlarm;
  readonly retentionAlarm: CloudwatchMetricAlarm;

  constructor(scope: Construct, id: string, props: WebhookProxyProps) {
    super(scope, id, props);
    exclusive(this, { existingQueue: props.existingQueue, queueProps: props.queueProps });
    checkUpstream(this, props.upstream);
    const functionTimeout = props.functionTimeoutSeconds ?? 3;
    const upstreamTimeoutMs = props.upstreamTimeoutMs ?? functionTimeout * 1000 - 1000;
    const queueSettings = consolidateProps({ ...WEBHOOK_PROXY_DEFAULTS.queue, visibilityTimeoutSeconds: props.visibilityTimeoutSeconds ?? 30, maxMessageSize: props.maxMessageBytes ?? 262_144 }, props.queueProps);
    const visibilityTimeout = queueSettings.visibilityTimeoutSeconds ?? 30;
    const batchSize = props.batchSize ?? 1;
    const batchingWindow = props.maximumBatchingWindowSeconds ?? 0;
    const maxMessageBytes = queueSettings.maxMessageSize ?? 262_144;
    const defaultReserved = props.reservedConcurrentExecutions ?? 1;
    const stageLimits = { rateLimit: props.throttlingRateLimit ?? 1000, burstLimit: props.throttlingBurstLimit ?? 2000 };
    const api2sqsReserved = props.api2sqsReservedConcurrency ?? api2sqsConcurrencyFor(stageLimits);

    // Checked here, at synth, not in review: a violation fails `cdktf synth` with the reason.
    checkQueueTiming({ visibilityTimeoutSeconds: visibilityTimeout, functionTimeoutSeconds: functionTimeout, maximumBatchingWindowSeconds: batchingWindow, upstreamTimeoutMs });
    checkFrontDoorConcurrency({ reserved: api2sqsReserved, ...stageLimits });
    if (batchSize > 10 && batchingWindow === 0) {
      throw new Error(`webhook-proxy: a batch size of ${batchSize} (> 10) needs a maximum batching window > 0.`);
    }
    if (batchSize * upstreamTimeoutMs > functionTimeout * 1000) {
      // Deliveries run one after another: with a hanging upstream the last records of a batch are
      // never tried, yet each such receive counts towards maxReceiveCount.
      Annotations.of(this).addWarning(
        `webhook-proxy: ${batchSize} records x ${upstreamTimeoutMs} ms upstream timeout exceed the ` +
          `${functionTimeout} s function timeout; a slow upstream leaves records of a batch untried.`,
      );
    }
    if (defaultReserved < MIN_MAXIMUM_CONCURRENCY) {
      Annotations.of(this).addWarning(
        `reserved_concurrent_executions defaults to ${defaultReserved} (the seed's), below the event source ` +
          `mapping's minimum maximum concurrency (${MIN_MAXIMUM_CONCURRENCY}): the mapping is not capped, ` +
          `throttled invocations spend receives, and maxReceiveCount is raised to ` +
          `${props.throttledMaxReceiveCount ?? 20}. See stacks/webhook-proxy/README.md#concurrency-reserved-vs-maximum.`,
      );
    }

    const { reserved, frontReserved, forwardHeaders } = webhookProxySettings(this, {
      reserved: defaultReserved,
      api2sqsReserved,
      forwardedHeaders: props.forwardedHeaders ?? [],
    });
    // The seed's locals: function names with the environment.
    const sqs2upstreamName = new TerraformLocal(this, "function_name_sqs2upstream", this.name("lambda_proxy_sqs2upstream"));
    const api2sqsName = new TerraformLocal(this, "function_name_api2sqs", this.name("lambda_proxy_api2sqs"));

    // Reserved concurrency >= 2: cap the mapping's polling at it (AWS's remedy for throttled SQS
    // invocations). Reserved concurrency 1: no cap exists (minimum 2), so allow more receives.
    const capped: boolean | IResolvable = Token.isUnresolved(reserved) ? Op.gte(reserved, MIN_MAXIMUM_CONCURRENCY) : reserved >= MIN_MAXIMUM_CONCURRENCY;
    const whenCapped = <T>(yes: T, no: T): T => (typeof capped === "boolean" ? (capped ? yes : no) : (Fn.conditional(capped, yes, no) as T));

    // Queue (+ fix: DLQ, redrive, encryption, visibility timeout).
    if (props.existingQueue) {
      this.queueRef = props.existingQueue;
    } else {
      this.deadLetterQueue = new DeadLetterQueue(this, "dlq", { queueName: this.name("proxy-queue-dlq"), alarms: this.alarmTopic });
      this.queue = new SqsQueue(this, "queue", {
        ...QUEUE_DEFAULTS,
        ...queueSettings,
        name: this.name("proxy-queue"),
        redrivePolicy: Fn.jsonencode({
          deadLetterTargetArn: this.deadLetterQueue.queue.arn,
          maxReceiveCount: whenCapped(props.maxReceiveCount ?? 5, props.throttledMaxReceiveCount ?? 20),
        }),
      });
      this.queueRef = this.queue;
    }

    // The seed's one trust policy, shared by both roles.
    const assumeRole = new DataAwsIamPolicyDocument(this, "lambda_assume_role", {
      statement: [{ actions: ["sts:AssumeRole"], principals: [{ type: "Service", identifiers: ["lambda.amazonaws.com"] }] }],
    });
    /*
     * Seed: `data "aws_iam_policy" "lambda_execution_policy"` (AWSLambdaBasicExecutionRole) merged
     * into both policy documents. Not reproduced: it is an AWS call at plan time (no offline plan),
     * and it grants logs:CreateLogGroup/CreateLogStream/PutLogEvents on Resource "*". Its intent,
     * "the function may write its logs", is met by NodejsFunction's own statement in each policy
     * document: logs:CreateLogStream and logs:PutLogEvents on that function's log group only.
     */
    const common = { ...this.functionDefaults, assumeRolePolicy: assumeRole.json, memorySize: 128, timeout: functionTimeout, publish: true };

    // Signed webhooks: the secret stays in SSM; the function's environment only names it.
    const signature = props.signature === false ? undefined : signatureSettings(this, props.signature ?? {});
    this.api2sqs = new NodejsFunction(this, "api2sqs", {
      ...common,
      entry: "handlers/webhook-proxy/api2sqs/index.ts",
      functionName: api2sqsName.asString,
      roleName: this.name("lambda_proxy-api2sqs"),
      rolePolicy: { kind: "managed", name: this.name("api2sqs_policy") },
      // Fix: the seed also granted sqs:DeleteMessage and sqs:GetQueueAttributes; api2sqs only sends.
      statements: [{ sid: "SendToProxyQueue", actions: ["sqs:SendMessage"], resources: [this.queueRef.arn] }, ...(signature?.statements ?? [])],
      // Fix: the seed leaves it unreserved; a flood of junk then takes every unreserved function's concurrency.
      reservedConcurrentExecutions: frontReserved,
      environment: { SQS_URL: this.queueRef.url, MAX_MESSAGE_BYTES: String(maxMessageBytes), FORWARD_HEADERS: forwardHeaders, ...signature?.environment },
      description: "Webhook proxy: queues each received webhook (raw bytes, headers, path, query) and answers 202.",
    });
    if (signature?.precondition) this.api2sqs.function.addOverride("lifecycle.precondition", [signature.precondition]);

    this.sqs2upstream = new NodejsFunction(this, "sqs2upstream", {
      ...common,
      entry: "handlers/webhook-proxy/sqs2upstream/index.ts",
      functionName: sqs2upstreamName.asString,
      roleName: this.name("lambda_proxy-sqs2upstream"),
      rolePolicy: { kind: "managed", name: this.name("sqs2upstream_policy") },
      statements: [{ sid: "ConsumeProxyQueue", actions: ["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes"], resources: [this.queueRef.arn] }],
      // Fix: no AWSLambdaVPCAccessExecutionRole (the seed attaches it): the function has no vpc_config, and the
      // policy grants log writes to any log group and ENI create/delete on "*".
      reservedConcurrentExecutions: reserved,
      environment: { UPSTREAM: props.upstream, UPSTREAM_TIMEOUT_MS: String(upstreamTimeoutMs), ...(this.queue ? { MAX_RECEIVE_COUNT: String(whenCapped(props.maxReceiveCount ?? 5, props.throttledMaxReceiveCount ?? 20)) } : {}) },
      description: "Webhook proxy: replays queued webhooks to the upstream at a bounded concurrency.",
    });

    // Fix: a customer managed key and queue policies: only the two roles read or write the webhooks.
    if (this.queue && this.deadLetterQueue) {
      this.queueSecurity = new QueueSecurity(this, {
        queue: this.queue,
        deadLetterQueue: this.deadLetterQueue.queue,
        producer: this.api2sqs.role,
        consumer: this.sqs2upstream.role,
        operatorArns: props.queueOperatorArns,
      });
    }

    // Event source mapping (+ fix: partial batch failures, maximum concurrency).
    this.mapping = new LambdaEventSourceMapping(this, "mapping", {
      batchSize,
      eventSourceArn: this.queueRef.arn,
      functionName: this.sqs2upstream.function.arn,
      functionResponseTypes: ["ReportBatchItemFailures"],
      maximumBatchingWindowInSeconds: batchingWindow > 0 ? batchingWindow : undefined,
      scalingConfig: capped === true ? { maximumConcurrency: Math.min(reserved, MAX_MAXIMUM_CONCURRENCY) } : undefined,
    });
    if (typeof capped !== "boolean") {
      // scaling_config only when reserved >= 2, decided at plan time from the variable: a dynamic block.
      this.mapping.addOverride("dynamic.scaling_config", {
        for_each: Fn.conditional(capped, [Fn.min([reserved, MAX_MAXIMUM_CONCURRENCY])], []),
        content: { maximum_concurrency: "${scaling_config.value}" },
      });
      // Plan-time warning (Terraform `check`, never blocks) for the value actually planned.
      TerraformStack.of(this).addOverride(`check.${variableOptionsOf(this)?.prefix ?? ""}sqs2upstream_concurrency_cap`, {
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
    }

    const front = webhookFrontDoor(this, {
      api2sqs: this.api2sqs,
      signed: signature !== undefined,
      stageLimits,
      frontReservedRef: settingReference(this, "api2sqs_reserved_concurrent_executions"),
      customDomain: props.customDomain,
    });
    this.api = front.api;
    this.stage = front.stage;
    this.domain = front.domain;
    this.webhookUrl = front.webhookUrl;
    this.executeApiUrl = front.executeApiUrl;

    // Alarms beyond those DeadLetterQueue, NodejsFunction and HttpApiStage add.
    const backlogAge = props.backlogAgeAlarmSeconds ?? 900;
    const queueAge = { namespace: "AWS/SQS", metricName: "ApproximateAgeOfOldestMessage", dimensions: { QueueName: this.queueRef.name }, statistic: "Maximum", period: 300, evaluationPeriods: 1, comparisonOperator: "GreaterThanThreshold" };
    this.backlogAgeAlarm = this.alarmTopic.alarm(this.alarmId("queue_age"), {
      ...queueAge,
      alarmName: `${this.name("proxy-queue")}-backlog-age`,
      alarmDescription: `The oldest queued webhook waits for more than ${backlogAge} s: the upstream falls behind.`,
      threshold: backlogAge,
    });
    // Fix: a webhook kept past the retention is deleted unseen; alarm at half of it, days before.
    this.retentionAlarm = this.alarmTopic.alarm(this.alarmId("queue_retention"), {
      ...queueAge,
      alarmName: `${this.name("proxy-queue")}-oldest-near-retention`,
      alarmDescription:
        `The oldest queued webhook is older than ${QUEUE_RETENTION_ALARM_SECONDS / 86400} days; SQS deletes it unseen at ` +
        `${QUEUE_RETENTION_SECONDS / 86400} days (message_retention_seconds). Drain the backlog: raise reserved_concurrent_executions or fix the upstream.`,
      threshold: QUEUE_RETENTION_ALARM_SECONDS,
    });
    this.observability = observe(this, { service: "webhook-proxy", dashboard: props.dashboard });
  }
}
