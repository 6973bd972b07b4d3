import { Construct } from "constructs";
import { Fn, ITerraformDependable, TerraformOutput, Token } from "cdktf";
import { ApiGatewayDeployment } from "@cdktf/provider-aws/lib/api-gateway-deployment";
import { ApiGatewayIntegration } from "@cdktf/provider-aws/lib/api-gateway-integration";
import { ApiGatewayIntegrationResponse } from "@cdktf/provider-aws/lib/api-gateway-integration-response";
import { ApiGatewayMethod } from "@cdktf/provider-aws/lib/api-gateway-method";
import { ApiGatewayMethodResponse } from "@cdktf/provider-aws/lib/api-gateway-method-response";
import { ApiGatewayRestApi } from "@cdktf/provider-aws/lib/api-gateway-rest-api";
import { DataAwsIamPolicyDocument } from "@cdktf/provider-aws/lib/data-aws-iam-policy-document";
import { DynamodbTable } from "@cdktf/provider-aws/lib/dynamodb-table";
import { IamRole } from "@cdktf/provider-aws/lib/iam-role";
import { IamRolePolicy } from "@cdktf/provider-aws/lib/iam-role-policy";
import { KinesisStream } from "@cdktf/provider-aws/lib/kinesis-stream";
import { LambdaEventSourceMapping } from "@cdktf/provider-aws/lib/lambda-event-source-mapping";
import { ClientLimits, methodAuthorization } from "../../blocks/api-key-clients";
import { DeadLetterQueue } from "../../blocks/dead-letter-queue";
import { secureTableDefaults } from "../../blocks/defaults";
import { NodejsFunction } from "../../blocks/lambda/nodejs-function";
import { RestApiFrontDoor, restApiFrontDoor, RestApiFrontDoorOptions } from "../../blocks/rest-api-front-door";
import { RestApiStage, restApiStackStage } from "../../blocks/rest-api-stage";
import { ServerlessStack, ServerlessStackProps } from "../../blocks/serverless-stack";
import { wholeNumberVariable } from "../../blocks/variables";
import { checkStreamRetention, minimumStreamRetentionHours, STREAM_RETENTION_LIMITS } from "./retention";
import {
  CLIENT_ERROR_TEMPLATE,
  PUT_RECORD_REQUEST_TEMPLATE,
  SERVER_ERROR_TEMPLATE,
} from "./templates";

export interface KinesisIngestStackProps extends ServerlessStackProps, RestApiFrontDoorOptions {
  /** Shards of the stream; each takes 1,000 records or 1 MB per second. @default 1 (the seed) */
  readonly shardCount?: number;
  /** Records per Lambda invocation. @default 100 (the seed) */
  readonly batchSize?: number;
  /** Retries of a failed batch (after bisecting) before its records go to the dead-letter queue. @default 5 */
  readonly maximumRetryAttempts?: number;
  /**
   * Records older than this (seconds) go to the dead-letter queue instead of the
   * function. The stream's retention must exceed it plus the reaction window, so a replay can still read them.
   * @default 3600
   */
  readonly maximumRecordAgeSeconds?: number;
  /**
   * Default of the `stream_retention_hours` variable: how long the stream keeps records, so long how
   * long a dead-letter pointer (shard + sequence range, not the data) can be replayed. 24..8760.
   * @default 168 (7 days: a failure on Friday evening is still replayable on Monday)
   */
  readonly streamRetentionHours?: number;
  /**
   * Time the team needs between the dead-letter alarm and a replay (`npm run redrive:kinesis-ingest`), in hours.
   * The synth and the plan refuse a retention shorter than the maximum record age plus this window.
   * @default 72 (a weekend and a working day)
   */
  readonly reactionWindowHours?: number;
  /** The stream's GetRecords.IteratorAgeMilliseconds that raises an alarm: the consumer is behind. @default 60000 */
  readonly iteratorAgeAlarmMs?: number;
  /** Share of requests answered 5xx (0..1, per 5 minutes) that raises an alarm. @default 0.01 */
  readonly api5xxRateThreshold?: number;
  /**
   * Default of the `manage_api_gateway_account` variable: this stack sets the region's
   * API Gateway logging role (see `ApiGatewayAccountLogging`).
   * @default true: the first stack deployed must work on a fresh account
   */
  readonly manageApiGatewayAccount?: boolean;
  /**
   * Defaults of the per-client limits (`client_*` variables), below the stage's 1,000/2,000.
   * @default 500 requests/s, burst 1,000, 500,000 requests a day per client
   */
  readonly clientLimits?: ClientLimits;
}

export { checkStreamRetention, minimumStreamRetentionHours, STREAM_RETENTION_LIMITS } from "./retention";

/**
 * Seed 000, the spike buffer: a REST API writes each POST body straight into
 * a Kinesis stream (AWS integration, no Lambda in the request path); a Lambda
 * function polls the stream and stores the records in DynamoDB. Spikes land in
 * the stream, and the consumer drains it at its own pace.
 *
 *   POST /dev  ->  API Gateway (PutRecord, base64 body)  ->  Kinesis  ->  Lambda  ->  DynamoDB
 *                                                                          \-> SQS dead-letter queue
 */
export class KinesisIngestStack extends ServerlessStack {
  readonly api: ApiGatewayRestApi;
  readonly stage: RestApiStage;
  readonly stream: KinesisStream;
  readonly table: DynamodbTable;
  readonly handler: NodejsFunction;
  readonly deadLetterQueue: DeadLetterQueue;
  readonly frontDoor: RestApiFrontDoor;

  constructor(scope: Construct, id: string, props: KinesisIngestStackProps) {
    super(scope, id, props);
    const callerAuth = props.callerAuth ?? "api-key";
    // seed: data "aws_caller_identity" "current" (declared, not used by the seed): looked up
    // unless supplied; here it names the logging role's ARN (step 5).

    // ---- Plan-time settings (the stage's throttling and logging variables come with restApiStackStage) ----
    // Checked at synth (and the variable again at plan): a dead-letter pointer must outlive its records' wait.
    const maximumRecordAgeSeconds = props.maximumRecordAgeSeconds ?? 3600;
    const reactionWindowHours = props.reactionWindowHours ?? 72;
    const retentionHours = props.streamRetentionHours ?? 168;
    checkStreamRetention({ retentionHours, maximumRecordAgeSeconds, reactionWindowHours });
    const minimumRetention = minimumStreamRetentionHours({ maximumRecordAgeSeconds, reactionWindowHours });
    const streamRetention = wholeNumberVariable(this, "stream_retention_hours", {
      default: retentionHours,
      min: minimumRetention,
      max: STREAM_RETENTION_LIMITS.max,
      description:
        `Hours the stream keeps records: how long a dead-letter pointer can be replayed. At least the maximum record age ` +
        `(${maximumRecordAgeSeconds} s) + the ${reactionWindowHours} h reaction window; at most ${STREAM_RETENTION_LIMITS.max}.`,
      errorMessage: `stream_retention_hours must be a whole number in ${minimumRetention}..${STREAM_RETENTION_LIMITS.max} (maximum record age + reaction window).`,
    });

    // ---- 1) API Gateway -----------------------------------------------------
    this.api = new ApiGatewayRestApi(this, "api", {
      name: this.name("kinesis-sample-api"),
      description: "API connected to Kinesis Data Streams",
      // Fix: with a custom domain, the execute-api endpoint would bypass the domain's TLS policy.
      disableExecuteApiEndpoint: props.customDomain !== undefined,
    });
    const method = new ApiGatewayMethod(this, "method", {
      restApiId: this.api.id,
      resourceId: this.api.rootResourceId,
      httpMethod: "POST",
      // Fix: the seed's `authorization = "NONE"` let anyone fill the stream; callers are identified (callerAuth).
      ...methodAuthorization(callerAuth),
    });

    // ---- 2) The role API Gateway assumes to call Kinesis ----------------------
    const apiTrust = new DataAwsIamPolicyDocument(this, "api_trust", {
      statement: [
        { actions: ["sts:AssumeRole"], principals: [{ type: "Service", identifiers: ["apigateway.amazonaws.com"] }] },
      ],
    });
    const apiRole = new IamRole(this, "api_role", {
      name: this.name("apigw_kinesis_role"),
      assumeRolePolicy: apiTrust.json,
    });

    // ---- 3) The stream --------------------------------------------------------
    // Fix: encrypted at rest with the AWS managed key (the seed leaves the stream unencrypted).
    // The key policy of alias/aws/kinesis lets the producer and consumer roles use it through Kinesis,
    // so neither needs a kms: statement.
    this.stream = new KinesisStream(this, "stream", {
      name: this.name("example-stream"),
      shardCount: props.shardCount ?? 1,
      // Fix: the seed keeps the default 24 h; a dead-letter pointer is only as good as the records it points to.
      retentionPeriod: streamRetention.numberValue,
      encryptionType: "KMS",
      kmsKeyId: "alias/aws/kinesis",
    });

    const apiPolicyDocument = new DataAwsIamPolicyDocument(this, "api_role_policy_document", {
      statement: [{ actions: ["kinesis:PutRecord"], resources: [this.stream.arn] }],
    });
    const apiRolePolicy = new IamRolePolicy(this, "api_role_policy", {
      name: this.name("apigw_kinesis_role_policy"),
      role: apiRole.id,
      policy: apiPolicyDocument.json,
    });

    // ---- 4) API Gateway -> Kinesis PutRecord ------------------------------------
    const integration = new ApiGatewayIntegration(this, "integration", {
      restApiId: this.api.id,
      resourceId: this.api.rootResourceId,
      httpMethod: method.httpMethod,
      integrationHttpMethod: "POST",
      type: "AWS",
      uri: `arn:aws:apigateway:${this.regionName}:kinesis:action/PutRecord`,
      credentials: apiRole.arn,
      // Kinesis takes the record as base64 (`Data`); sent as raw JSON it answers 400 (the seed's lesson).
      requestTemplates: { "application/json": PUT_RECORD_REQUEST_TEMPLATE(this.stream.name) },
      // Fix: a body in another content type is refused (415) instead of being passed to Kinesis unmapped,
      // where it could only fail. Clients send `Content-Type: application/json`, as the seed's client does.
      passthroughBehavior: "NEVER",
      // The role must be allowed to PutRecord before the first request goes through.
      dependsOn: [apiRolePolicy],
    });

    // Every method and integration response of POST /: the same API, resource and method.
    const onMethod = { restApiId: this.api.id, resourceId: this.api.rootResourceId, httpMethod: method.httpMethod };
    const methodResponse = (statusCode: string, model: "Empty" | "Error") =>
      new ApiGatewayMethodResponse(this, `method_response_${statusCode}`, {
        ...onMethod,
        statusCode,
        responseModels: { "application/json": model },
      });
    const integrationResponse = (
      status: string,
      to: { response: ApiGatewayMethodResponse; selectionPattern: string; template: string; dependsOn: ITerraformDependable[] },
    ) =>
      new ApiGatewayIntegrationResponse(this, `integration_response_${status}`, {
        ...onMethod,
        statusCode: to.response.statusCode,
        selectionPattern: to.selectionPattern,
        responseTemplates: { "application/json": to.template },
        dependsOn: to.dependsOn,
      });

    // 200: PutRecord succeeded; the body is Kinesis's answer ({ SequenceNumber, ShardId }), as in the seed.
    const ok = methodResponse("200", "Empty");
    // Fix: every status is declared before its integration response refers to it (the seed leaves that
    // order to chance), and Kinesis 4xx and 5xx each have a pattern, so the empty default pattern of the
    // 200 response only ever catches 2xx: no failed PutRecord reaches the client as 200.
    const okIntegration = integrationResponse("200", { response: ok, selectionPattern: "", template: "", dependsOn: [integration] });
    const clientError = methodResponse("400", "Error");
    // Statuses the 4xx template sets with $context.responseOverride.status (Kinesis throttling and
    // configuration faults also come back as 400); declared so the API's contract lists them.
    const throttled = methodResponse("429", "Error");
    const serverError = methodResponse("500", "Error");
    // Fix: the seed answers every Kinesis 4xx as an empty 400. Throttling (Kinesis answers it 400) becomes
    // 429 so clients back off and retry; a stream or key fault becomes 500 (the API's fault, and alarmed).
    const clientErrorIntegration = integrationResponse("400", {
      response: clientError,
      selectionPattern: "4\\d{2}",
      template: CLIENT_ERROR_TEMPLATE,
      dependsOn: [integration, throttled, serverError],
    });
    // Fix (missing in the seed): Kinesis 5xx (InternalFailure, ServiceUnavailable) -> 500 with a message.
    const serverErrorIntegration = integrationResponse("500", {
      response: serverError,
      selectionPattern: "5\\d{2}",
      template: SERVER_ERROR_TEMPLATE,
      dependsOn: [integration],
    });

    // ---- 5) Deployment and stage ----------------------------------------------
    const routing = [method, integration, ok, okIntegration, clientError, clientErrorIntegration, throttled, serverError, serverErrorIntegration];
    const deployment = new ApiGatewayDeployment(this, "deployment", {
      restApiId: this.api.id,
      // As the seed: a change to the integration redeploys. Fix: its responses count too (the seed's
      // trigger ignores them, so an edited response template never reached the stage).
      triggers: {
        redeployment_integration: Fn.sha1(Fn.jsonencode(routing.map((resource) => Token.asAny(resource.fqn)))),
      },
      lifecycle: { createBeforeDestroy: true },
      // Fix: the seed waits for the integration only, so the first deployment could miss its responses.
      dependsOn: routing,
    });

    // The seed's stage and commented-out method settings: access logs, throttling below what one shard
    // takes (1,000 records/s), metrics, and error-level execution logs (the seed's commented-out INFO +
    // data trace would log every request body), plus the API 5xx-rate alarm.
    this.stage = restApiStackStage(this, {
      api: this.api,
      deployment,
      stageName: "dev",
      throttlingRateLimit: 1000,
      throttlingBurstLimit: 2000,
      // The seed's commented-out CloudWatch role + aws_api_gateway_account: access logs need the region's
      // API Gateway account setting to name a role that may write logs. This stack owns it by default
      // (`manage_api_gateway_account = true`): it is the first stack, and must log on a fresh account.
      accountLogging: { roleName: this.name("apigw-cloudwatch-logs-role"), manageByDefault: props.manageApiGatewayAccount ?? true },
      alarmName: this.name("kinesis-sample-api-5xx"),
      alarmDescription: "Share of API requests answered 5xx (records not accepted).",
      errorRateThreshold: props.api5xxRateThreshold ?? 0.01,
    });

    // ---- Custom domain, callers (one API key and usage plan per client, or IAM), optional web ACL ----
    this.frontDoor = restApiFrontDoor(this, {
      ...props,
      api: this.api,
      stage: this.stage,
      name: this.name("kinesis-sample-api"),
      limits: { rateLimit: 500, burstLimit: 1000, dailyQuota: 500_000, ...props.clientLimits },
      invokePath: "POST/",
    });

    // ---- 6) Table ---------------------------------------------------------------
    // Fix: encrypted and with point-in-time recovery (the seed sets neither).
    this.table = new DynamodbTable(this, "table", {
      name: this.name("example-table"),
      billingMode: "PAY_PER_REQUEST",
      hashKey: "ID",
      attribute: [{ name: "ID", type: "S" }],
      ...secureTableDefaults(this),
    });

    // ---- 7) Lambda: Kinesis -> DynamoDB -----------------------------------------
    this.deadLetterQueue = new DeadLetterQueue(this, "dead_letter_queue", {
      queueName: this.name("kinesis-to-dynamo-dlq"),
    });
    this.handler = new NodejsFunction(this, "handler", {
      entry: "handlers/kinesis-ingest/index.ts",
      functionName: this.name("kinesis_to_dynamo"),
      roleName: this.name("lambda_kinesis_to_dynamo_role"),
      packaging: this.env.lambdaPackaging,
      logRetentionDays: this.env.logRetentionDays,
      alarms: this.alarms,
      rolePolicy: { kind: "inline", name: this.name("lambda_kinesis_to_dynamo_policy") },
      memorySize: 256,
      timeout: 60,
      // Fix: the table name comes from the stack (the seed hard-codes 'example-table' in the handler).
      // The DLQ's URL: a record the table can never store is dead-lettered by the handler at once
      // (one on-failure-shaped message per record), so it does not hold the shard for every retry.
      environment: { TABLE_NAME: this.table.name, DEAD_LETTER_QUEUE_URL: this.deadLetterQueue.queue.url },
      description: "Stores the records of the ingest stream in DynamoDB",
      // Fix: logs only to its own log group (granted by NodejsFunction; the seed grants arn:aws:logs:*:*:*).
      statements: [
        // BatchWriteItem replaces the seed's PutItem: 25 items per call.
        { sid: "WriteTable", actions: ["dynamodb:BatchWriteItem"], resources: [this.table.arn] },
        {
          sid: "ReadStream",
          actions: [
            "kinesis:GetRecords",
            "kinesis:GetShardIterator",
            "kinesis:DescribeStream",
            "kinesis:DescribeStreamSummary",
            "kinesis:ListShards",
          ],
          resources: [this.stream.arn],
        },
        // The mapping's on-failure destination is sent with the function's role; the handler sends
        // its own per-record dead letters (records the table can never store) with it too.
        { sid: "SendToDeadLetterQueue", actions: ["sqs:SendMessage"], resources: [this.deadLetterQueue.queue.arn] },
      ],
    });

    // Fix: partial batch failures, bisect-on-error, bounded retries and age, and a dead-letter queue,
    // so one poison record never blocks the shard (the seed retries it until it expires from the stream).
    // A record the table can never store does not even wait for the retries: the handler dead-letters it.
    new LambdaEventSourceMapping(this, "trigger", {
      eventSourceArn: this.stream.arn,
      functionName: this.handler.function.arn,
      batchSize: props.batchSize ?? 100,
      startingPosition: "LATEST",
      functionResponseTypes: ["ReportBatchItemFailures"],
      bisectBatchOnFunctionError: true,
      maximumRetryAttempts: props.maximumRetryAttempts ?? 5,
      maximumRecordAgeInSeconds: maximumRecordAgeSeconds,
      destinationConfig: { onFailure: { destinationArn: this.deadLetterQueue.queue.arn } },
    });

    // ---- Alarms (besides the stage's, the function's and the dead-letter queue's) ----
    const streamDimensions = { StreamName: this.stream.name };
    this.alarms.alarm("iterator_age", {
      alarmName: this.name("example-stream-iterator-age"),
      alarmDescription: `Records wait in the stream longer than ${props.iteratorAgeAlarmMs ?? 60000} ms: the consumer is behind or failing.`,
      namespace: "AWS/Kinesis",
      metricName: "GetRecords.IteratorAgeMilliseconds",
      dimensions: streamDimensions,
      statistic: "Maximum",
      period: 60,
      evaluationPeriods: 5,
      threshold: props.iteratorAgeAlarmMs ?? 60000,
      comparisonOperator: "GreaterThanThreshold",
    });
    this.alarms.countAboveZero("write_throttles", {
      alarmName: this.name("example-stream-write-throttles"),
      alarmDescription: `PutRecord throttled: clients got 429; add shards or lower the stage's throttling.`,
      namespace: "AWS/Kinesis",
      metricName: "WriteProvisionedThroughputExceeded",
      dimensions: streamDimensions,
    });

    // ---- 8) Outputs ---------------------------------------------------------------
    new TerraformOutput(this, "execute_api_url", {
      value: this.stage.stage.invokeUrl,
      description: "Invoke URL of the stage (execute-api): POST records here (off with a custom domain: use custom_domain_url).",
    });
    new TerraformOutput(this, "stream_arn", { value: this.stream.arn, description: "ARN of the Kinesis stream the API writes to." });
    new TerraformOutput(this, "table_name", { value: this.table.name, description: "DynamoDB table the consumer stores the records in." });
    new TerraformOutput(this, "dead_letter_queue_url", {
      value: this.deadLetterQueue.queue.url,
      description: "Where batches that failed every retry, and records the table can never store, are described (shard and sequence range), for `npm run redrive:kinesis-ingest`.",
    });
  }
}
