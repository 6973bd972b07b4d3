/**
 * The kinesis-ingest stack (seed 000): every resource of the seed's Terraform
 * with its literal settings, and each fix, read from the synthesized JSON.
 */
import { ApiGatewayAccount } from "@cdktf/provider-aws/lib/api-gateway-account";
import { ApiGatewayDeployment } from "@cdktf/provider-aws/lib/api-gateway-deployment";
import { ApiGatewayIntegration } from "@cdktf/provider-aws/lib/api-gateway-integration";
import { ApiGatewayIntegrationResponse } from "@cdktf/provider-aws/lib/api-gateway-integration-response";
import { ApiGatewayMethod } from "@cdktf/provider-aws/lib/api-gateway-method";
import { ApiGatewayMethodResponse } from "@cdktf/provider-aws/lib/api-gateway-method-response";
import { ApiGatewayMethodSettings } from "@cdktf/provider-aws/lib/api-gateway-method-settings";
import { ApiGatewayRestApi } from "@cdktf/provider-aws/lib/api-gateway-rest-api";
import { ApiGatewayStage } from "@cdktf/provider-aws/lib/api-gateway-stage";
import { CloudwatchLogGroup } from "@cdktf/provider-aws/lib/cloudwatch-log-group";
import { CloudwatchMetricAlarm } from "@cdktf/provider-aws/lib/cloudwatch-metric-alarm";
import { DataAwsCallerIdentity } from "@cdktf/provider-aws/lib/data-aws-caller-identity";
import { DataAwsIamPolicyDocument } from "@cdktf/provider-aws/lib/data-aws-iam-policy-document";
import { DataAwsRegion } from "@cdktf/provider-aws/lib/data-aws-region";
import { DynamodbTable } from "@cdktf/provider-aws/lib/dynamodb-table";
import { IamRole } from "@cdktf/provider-aws/lib/iam-role";
import { IamRolePolicy } from "@cdktf/provider-aws/lib/iam-role-policy";
import { IamRolePolicyAttachment } from "@cdktf/provider-aws/lib/iam-role-policy-attachment";
import { KinesisStream } from "@cdktf/provider-aws/lib/kinesis-stream";
import { LambdaEventSourceMapping } from "@cdktf/provider-aws/lib/lambda-event-source-mapping";
import { LambdaFunction } from "@cdktf/provider-aws/lib/lambda-function";
import { SnsTopic } from "@cdktf/provider-aws/lib/sns-topic";
import { SqsQueue } from "@cdktf/provider-aws/lib/sqs-queue";
import { Testing } from "cdktf";
import { defaultDeployment } from "../config";
import { DeploymentConfig } from "../blocks/deployment";
import { KinesisIngestStack, KinesisIngestStackProps } from "../stacks/kinesis-ingest";
import { Block, blocksOf, offlineDeployment, onlyOf, Synthesized, synthesize } from "./support/synth";

const ref = (address: string) => `\${${address}}`;
const STREAM_ARN = ref("aws_kinesis_stream.stream.arn");

function kinesisIngest(deployment: DeploymentConfig, props: Omit<KinesisIngestStackProps, "deployment"> = {}): Synthesized {
  return synthesize(new KinesisIngestStack(Testing.app(), "kinesis-ingest", { deployment, ...props }));
}

describe("kinesis-ingest stack: the seed's resources", () => {
  let synth: Synthesized;
  beforeAll(() => {
    synth = kinesisIngest(defaultDeployment);
  });

  it("has the seed's data sources: region and caller identity (looked up when not supplied)", () => {
    expect(synth.text).toHaveDataSource(DataAwsRegion);
    expect(synth.text).toHaveDataSource(DataAwsCallerIdentity);
  });

  it("has the REST API with the seed's name and description", () => {
    expect(synth.text).toHaveResourceWithProperties(ApiGatewayRestApi, {
      name: "dev-kinesis-sample-api",
      description: "API connected to Kinesis Data Streams",
    });
  });

  it("has POST on the root resource, requiring an API key by default (no IAM authorization)", () => {
    expect(synth.text).toHaveResourceWithProperties(ApiGatewayMethod, {
      rest_api_id: ref("aws_api_gateway_rest_api.api.id"),
      resource_id: ref("aws_api_gateway_rest_api.api.root_resource_id"),
      http_method: "POST",
      authorization: "NONE",
      api_key_required: true,
    });
  });

  it("has the role API Gateway assumes, allowed kinesis:PutRecord on the stream only", () => {
    expect(synth.text).toHaveDataSourceWithProperties(DataAwsIamPolicyDocument, {
      statement: [
        { actions: ["sts:AssumeRole"], principals: [{ type: "Service", identifiers: ["apigateway.amazonaws.com"] }] },
      ],
    });
    expect(synth.text).toHaveResourceWithProperties(IamRole, {
      name: "dev-apigw_kinesis_role",
      assume_role_policy: ref("data.aws_iam_policy_document.api_trust.json"),
    });
    expect(synth.text).toHaveDataSourceWithProperties(DataAwsIamPolicyDocument, {
      statement: [{ actions: ["kinesis:PutRecord"], resources: [STREAM_ARN] }],
    });
    expect(synth.text).toHaveResourceWithProperties(IamRolePolicy, {
      name: "dev-apigw_kinesis_role_policy",
      role: ref("aws_iam_role.api_role.id"),
      policy: ref("data.aws_iam_policy_document.api_role_policy_document.json"),
    });
  });

  it("has the stream with one shard, encrypted with the AWS managed key (fix)", () => {
    expect(synth.text).toHaveResourceWithProperties(KinesisStream, {
      name: "dev-example-stream",
      shard_count: 1,
      encryption_type: "KMS",
      kms_key_id: "alias/aws/kinesis",
    });
  });

  it("has the AWS integration to Kinesis PutRecord in the region of data.aws_region, with the API role", () => {
    expect(synth.text).toHaveResourceWithProperties(ApiGatewayIntegration, {
      http_method: ref("aws_api_gateway_method.method.http_method"),
      integration_http_method: "POST",
      type: "AWS",
      uri: "arn:aws:apigateway:${data.aws_region.current_region.name}:kinesis:action/PutRecord",
      credentials: ref("aws_iam_role.api_role.arn"),
      request_templates: {
        "application/json":
          '{\n"StreamName": "${aws_kinesis_stream.stream.name}",\n"PartitionKey": "$context.requestId",\n"Data": "$util.base64Encode($input.body)"\n}\n',
      },
    });
  });

  it("has the seed's 200 and 400 method and integration responses", () => {
    expect(synth.text).toHaveResourceWithProperties(ApiGatewayMethodResponse, {
      status_code: "200",
      response_models: { "application/json": "Empty" },
    });
    expect(synth.text).toHaveResourceWithProperties(ApiGatewayMethodResponse, { status_code: "400" });
    expect(synth.text).toHaveResourceWithProperties(ApiGatewayIntegrationResponse, {
      status_code: ref("aws_api_gateway_method_response.method_response_200.status_code"),
      selection_pattern: "",
      response_templates: { "application/json": "" },
    });
    expect(synth.text).toHaveResourceWithProperties(ApiGatewayIntegrationResponse, {
      status_code: ref("aws_api_gateway_method_response.method_response_400.status_code"),
      selection_pattern: "4\\d{2}",
    });
  });

  it("redeploys when the integration changes, creating the new deployment before destroying the old", () => {
    const deployment = onlyOf(synth, "aws_api_gateway_deployment").body;
    const trigger = (deployment.triggers as Record<string, string>).redeployment_integration;
    expect(trigger).toMatch(/^\$\{sha1\(jsonencode\(\[.*aws_api_gateway_integration\.integration[,\]]/);
    expect(synth.text).toHaveResourceWithProperties(ApiGatewayDeployment, {
      rest_api_id: ref("aws_api_gateway_rest_api.api.id"),
      lifecycle: { create_before_destroy: true },
    });
  });

  it("has the stage dev on that deployment", () => {
    expect(synth.text).toHaveResourceWithProperties(ApiGatewayStage, {
      rest_api_id: ref("aws_api_gateway_rest_api.api.id"),
      stage_name: "dev",
      deployment_id: ref("aws_api_gateway_deployment.deployment.id"),
    });
  });

  it("has the on-demand table keyed by ID, encrypted and with point-in-time recovery (fix)", () => {
    expect(synth.text).toHaveResourceWithProperties(DynamodbTable, {
      name: "dev-example-table",
      billing_mode: "PAY_PER_REQUEST",
      hash_key: "ID",
      attribute: [{ name: "ID", type: "S" }],
      server_side_encryption: { enabled: true },
      point_in_time_recovery: { enabled: true },
    });
  });

  it("has the function (256 MB, 60 s) with its role and inline policy, named as the seed's", () => {
    expect(synth.text).toHaveResourceWithProperties(LambdaFunction, {
      function_name: "dev-kinesis_to_dynamo",
      memory_size: 256,
      timeout: 60,
      runtime: "nodejs22.x",
      handler: "index.handler",
    });
    expect(synth.text).toHaveResourceWithProperties(IamRole, { name: "dev-lambda_kinesis_to_dynamo_role" });
    expect(synth.text).toHaveResourceWithProperties(IamRolePolicy, { name: "dev-lambda_kinesis_to_dynamo_policy" });
  });

  it("packages the function with archive_file by default, as the seed", () => {
    expect(Object.keys(synth.json.data.archive_file ?? {})).toHaveLength(1);
  });

  it("has the event source mapping: stream -> function, batch 100, LATEST", () => {
    expect(synth.text).toHaveResourceWithProperties(LambdaEventSourceMapping, {
      event_source_arn: STREAM_ARN,
      function_name: ref(`aws_lambda_function.${onlyOf(synth, "aws_lambda_function").name}.arn`),
      batch_size: 100,
      starting_position: "LATEST",
    });
  });

  it("has the seed's outputs (renamed: execute_api_url, stream_arn, table_name)", () => {
    expect(synth.json.output.execute_api_url?.value).toBe(ref(`aws_api_gateway_stage.${onlyOf(synth, "aws_api_gateway_stage").name}.invoke_url`));
    expect(synth.json.output.stream_arn?.value).toBe(STREAM_ARN);
    expect(synth.json.output.table_name?.value).toBe(ref("aws_dynamodb_table.table.name"));
  });
});

describe("kinesis-ingest stack: fixes", () => {
  let synth: Synthesized;
  let handlerPolicy: Block;
  beforeAll(() => {
    synth = kinesisIngest(offlineDeployment);
    const handlerPolicyRef = Object.values(synth.json.resource.aws_iam_role_policy).find((p) => p.name === "dev-lambda_kinesis_to_dynamo_policy")?.policy;
    const documentId = /^\$\{data\.aws_iam_policy_document\.([\w-]+)\.json\}$/.exec(String(handlerPolicyRef))?.[1] ?? "";
    handlerPolicy = synth.json.data.aws_iam_policy_document[documentId];
  });

  it("maps Kinesis 5xx to a 500 with a message, and declares 429 and 500 for the 4xx template's overrides", () => {
    for (const status of ["429", "500"]) {
      expect(synth.text).toHaveResourceWithProperties(ApiGatewayMethodResponse, {
        status_code: status,
        response_models: { "application/json": "Error" },
      });
    }
    expect(synth.text).toHaveResourceWithProperties(ApiGatewayIntegrationResponse, {
      status_code: ref("aws_api_gateway_method_response.method_response_500.status_code"),
      selection_pattern: "5\\d{2}",
    });
    const templates = blocksOf(synth, "aws_api_gateway_integration_response").map(
      (r) => (r.response_templates as Record<string, string>)["application/json"],
    );
    expect(templates.filter((t) => t.includes('"message"'))).toHaveLength(2);
    expect(templates.some((t) => t.includes("$context.responseOverride.status = 429"))).toBe(true);
  });

  it("refuses bodies in other content types instead of passing them to Kinesis unmapped", () => {
    expect(synth.text).toHaveResourceWithProperties(ApiGatewayIntegration, { passthrough_behavior: "NEVER" });
  });

  it("deploys only once every method and integration response exists, and redeploys when any changes", () => {
    const deployment = onlyOf(synth, "aws_api_gateway_deployment").body;
    const trigger = (deployment.triggers as Record<string, string>).redeployment_integration;
    for (const [type, ids] of Object.entries({
      aws_api_gateway_integration_response: Object.keys(synth.json.resource.aws_api_gateway_integration_response),
      aws_api_gateway_method_response: Object.keys(synth.json.resource.aws_api_gateway_method_response),
    })) {
      for (const id of ids) {
        expect(deployment.depends_on).toContain(`${type}.${id}`);
        expect(trigger).toContain(`${type}.${id}`);
      }
    }
  });

  it("scopes the function's logs to its own log group, never arn:aws:logs:*:*:*", () => {
    expect(synth.text).not.toContain("arn:aws:logs:*:*:*");
    const statements = handlerPolicy.statement as Block[];
    const logGroupId = Object.keys(synth.json.resource.aws_cloudwatch_log_group).find((id) => id.startsWith("handler_"));
    expect(statements).toContainEqual(
      expect.objectContaining({
        actions: ["logs:CreateLogStream", "logs:PutLogEvents"],
        resources: [`\${aws_cloudwatch_log_group.${logGroupId}.arn}:*`],
      }),
    );
  });

  it("grants the function BatchWriteItem on the table, stream reads on the stream, SendMessage on the DLQ; nothing on *", () => {
    const statements = handlerPolicy.statement as { actions: string[]; resources: string[] }[];
    const dlqArn = ref(`aws_sqs_queue.${onlyOf(synth, "aws_sqs_queue").name}.arn`);
    expect(statements).toContainEqual(
      expect.objectContaining({ actions: ["dynamodb:BatchWriteItem"], resources: [ref("aws_dynamodb_table.table.arn")] }),
    );
    expect(statements).toContainEqual(
      expect.objectContaining({
        actions: expect.arrayContaining(["kinesis:GetRecords", "kinesis:GetShardIterator", "kinesis:DescribeStream", "kinesis:ListShards"]),
        resources: [STREAM_ARN],
      }),
    );
    expect(statements).toContainEqual(expect.objectContaining({ actions: ["sqs:SendMessage"], resources: [dlqArn] }));
    // The alarm topic's key policy is not an IAM policy: there, Resource "*" is the key itself.
    const keyPolicies = Object.values(synth.json.resource.aws_kms_key ?? {}).map((k) => String(k.policy));
    for (const [name, document] of Object.entries(synth.json.data.aws_iam_policy_document)) {
      const inKeyPolicy = keyPolicies.includes(ref(`data.aws_iam_policy_document.${name}.json`));
      for (const statement of document.statement as { actions: string[]; resources?: string[] }[]) {
        expect(statement.actions.filter((a) => a === "*" || a.endsWith(":*"))).toEqual([]);
        if (!inKeyPolicy) expect(statement.resources ?? []).not.toContain("*");
      }
    }
  });

  it("gives the function the table name in TABLE_NAME and the mapping's dead-letter queue in DEAD_LETTER_QUEUE_URL", () => {
    const dlq = onlyOf(synth, "aws_sqs_queue").name;
    expect(synth.text).toHaveResourceWithProperties(LambdaFunction, {
      environment: {
        variables: {
          TABLE_NAME: ref("aws_dynamodb_table.table.name"),
          // The same queue as the mapping's on-failure destination, which the role may already send to.
          DEAD_LETTER_QUEUE_URL: ref(`aws_sqs_queue.${dlq}.url`),
          FUNCTION_TIMEOUT_MS: "60000",
        },
      },
    });
    const onFailure = (onlyOf(synth, "aws_lambda_event_source_mapping").body.destination_config as { on_failure: { destination_arn: string } }).on_failure;
    expect(onFailure.destination_arn).toBe(ref(`aws_sqs_queue.${dlq}.arn`));
  });

  it("configures the mapping for partial failures, bisect, bounded retries and age, and a DLQ", () => {
    expect(synth.text).toHaveResourceWithProperties(LambdaEventSourceMapping, {
      function_response_types: ["ReportBatchItemFailures"],
      bisect_batch_on_function_error: true,
      maximum_retry_attempts: 5,
      maximum_record_age_in_seconds: 3600,
      destination_config: { on_failure: { destination_arn: ref(`aws_sqs_queue.${onlyOf(synth, "aws_sqs_queue").name}.arn`) } },
    });
    expect(synth.text).toHaveResourceWithProperties(SqsQueue, {
      name: "dev-kinesis-to-dynamo-dlq",
      sqs_managed_sse_enabled: true,
      message_retention_seconds: 1209600,
    });
  });

  it("writes stage access logs to a log group with retention, and throttles the stage", () => {
    const accessLogGroupName = "/aws/apigateway/${aws_api_gateway_rest_api.api.name}/access"; // dev-kinesis-sample-api
    expect(synth.text).toHaveResourceWithProperties(CloudwatchLogGroup, { name: accessLogGroupName, retention_in_days: 14 });
    const logGroupId = Object.entries(synth.json.resource.aws_cloudwatch_log_group).find(([, g]) => g.name === accessLogGroupName)?.[0];
    const stage = onlyOf(synth, "aws_api_gateway_stage").body;
    const accessLogs = stage.access_log_settings as { destination_arn: string; format: string };
    expect(accessLogs.destination_arn).toBe(ref(`aws_cloudwatch_log_group.${logGroupId}.arn`));
    expect(JSON.parse(accessLogs.format)).toMatchObject({
      requestId: "$context.requestId",
      status: "$context.status",
      integrationStatus: "$context.integration.status",
    });
    expect(synth.text).toHaveResourceWithProperties(ApiGatewayMethodSettings, {
      stage_name: ref(`aws_api_gateway_stage.${onlyOf(synth, "aws_api_gateway_stage").name}.stage_name`),
      method_path: "*/*",
      settings: {
        throttling_rate_limit: ref("var.throttling_rate_limit"),
        throttling_burst_limit: ref("var.throttling_burst_limit"),
        metrics_enabled: true,
        logging_level: ref("var.api_logging_level"),
        data_trace_enabled: false,
      },
    });
    expect(synth.json.variable.throttling_rate_limit).toMatchObject({ type: "number", default: 1000 });
    expect(synth.json.variable.throttling_burst_limit).toMatchObject({ type: "number", default: 2000 });
    expect(synth.json.variable.api_logging_level).toMatchObject({ default: "ERROR" });
  });

  it("sets the account's API Gateway logging role (AWS managed policy) unless manage_api_gateway_account is false", () => {
    expect(synth.json.variable.manage_api_gateway_account).toMatchObject({ type: "bool", default: true });
    const count = "${var.manage_api_gateway_account ? 1 : 0}";
    const partition = ref(`data.aws_partition.${Object.keys(synth.json.data.aws_partition ?? {})[0]}.partition`);
    expect(synth.text).toHaveResourceWithProperties(IamRole, { name: "dev-apigw-cloudwatch-logs-role", count });
    expect(synth.text).toHaveResourceWithProperties(IamRolePolicyAttachment, {
      count,
      role: "dev-apigw-cloudwatch-logs-role",
      policy_arn: `arn:${partition}:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs`,
    });
    // The supplied account id (offline) names the role's ARN.
    expect(synth.text).toHaveResourceWithProperties(ApiGatewayAccount, {
      count,
      cloudwatch_role_arn: `arn:${partition}:iam::${offlineDeployment.lookups.accountId}:role/dev-apigw-cloudwatch-logs-role`,
    });
    // Stage logging needs the setting first.
    const account = `aws_api_gateway_account.${onlyOf(synth, "aws_api_gateway_account").name}`;
    expect(onlyOf(synth, "aws_api_gateway_stage").body.depends_on).toContain(account);
    expect(onlyOf(synth, "aws_api_gateway_method_settings").body.depends_on).toContain(account);
  });

  it("alarms on iterator age, write throttling, API 5xx, the DLQ and the function, all to the stack's topic", () => {
    const alarms = blocksOf(synth, "aws_cloudwatch_metric_alarm");
    const byMetric = (namespace: string, metric: string) =>
      alarms.filter((a) => a.namespace === namespace && a.metric_name === metric);
    expect(byMetric("AWS/Kinesis", "GetRecords.IteratorAgeMilliseconds")).toHaveLength(1);
    expect(byMetric("AWS/Kinesis", "WriteProvisionedThroughputExceeded")).toHaveLength(1);
    expect(byMetric("AWS/ApiGateway", "5XXError")).toHaveLength(1);
    expect(byMetric("AWS/SQS", "ApproximateNumberOfMessagesVisible")).toHaveLength(1);
    expect(byMetric("AWS/SQS", "ApproximateAgeOfOldestMessage")).toHaveLength(1);
    expect(byMetric("AWS/Lambda", "Errors")).toHaveLength(1);
    expect(byMetric("AWS/Lambda", "Throttles")).toHaveLength(1);
    expect(synth.text).toHaveResourceWithProperties(CloudwatchMetricAlarm, {
      metric_name: "GetRecords.IteratorAgeMilliseconds",
      dimensions: { StreamName: ref("aws_kinesis_stream.stream.name") },
      threshold: 60000,
    });
    expect(synth.text).toHaveResourceWithProperties(CloudwatchMetricAlarm, {
      metric_name: "5XXError",
      dimensions: {
        ApiName: ref("aws_api_gateway_rest_api.api.name"),
        Stage: ref(`aws_api_gateway_stage.${onlyOf(synth, "aws_api_gateway_stage").name}.stage_name`),
      },
      statistic: "Average",
      period: 300,
      threshold: 0.01,
    });
    const topicArn = ref(`aws_sns_topic.${onlyOf(synth, "aws_sns_topic").name}.arn`);
    for (const alarm of alarms) expect(alarm.alarm_actions).toEqual([topicArn]);
  });

  it("uses the supplied account id instead of data.aws_caller_identity", () => {
    expect(synth.text).not.toHaveDataSource(DataAwsCallerIdentity);
  });

  it("packages the function as an asset offline (no archive provider)", () => {
    expect(synth.json.data.archive_file).toBeUndefined();
    expect(String(onlyOf(synth, "aws_lambda_function").body.filename)).toMatch(/^assets\//);
  });
});

describe("kinesis-ingest stack: props", () => {
  it("sizes the stream and the mapping from props", () => {
    const synth = kinesisIngest(offlineDeployment, {
      shardCount: 4,
      batchSize: 500,
      maximumRetryAttempts: 2,
      maximumRecordAgeSeconds: 600,
    });
    expect(synth.text).toHaveResourceWithProperties(KinesisStream, { shard_count: 4 });
    expect(synth.text).toHaveResourceWithProperties(LambdaEventSourceMapping, {
      batch_size: 500,
      maximum_retry_attempts: 2,
      maximum_record_age_in_seconds: 600,
    });
  });

  it("leaves the region's API Gateway logging setting to another stack when manageApiGatewayAccount is false", () => {
    const synth = kinesisIngest(offlineDeployment, { manageApiGatewayAccount: false });
    expect(synth.json.variable.manage_api_gateway_account).toMatchObject({ type: "bool", default: false });
  });

  it("prefixes every physical name with the environment", () => {
    const synth = kinesisIngest({ ...offlineDeployment, name: "prod" });
    expect(synth.text).toHaveResourceWithProperties(KinesisStream, { name: "prod-example-stream" });
    expect(synth.text).toHaveResourceWithProperties(DynamodbTable, { name: "prod-example-table" });
    expect(synth.text).toHaveResourceWithProperties(ApiGatewayRestApi, { name: "prod-kinesis-sample-api" });
    expect(synth.text).toHaveResourceWithProperties(LambdaFunction, { function_name: "prod-kinesis_to_dynamo" });
  });
});

describe("kinesis-ingest stack: dead letters outlive their wait (security review, issue 20)", () => {
  let synth: Synthesized;
  beforeAll(() => {
    synth = kinesisIngest(defaultDeployment);
  });

  it("keeps records 7 days by default, from a variable the plan validates against the record age + reaction window", () => {
    expect(synth.text).toHaveResourceWithProperties(KinesisStream, { retention_period: "${var.stream_retention_hours}" });
    const variable = synth.json.variable.stream_retention_hours;
    expect(variable.default).toBe(168);
    // 3600 s maximum record age + 72 h reaction window = 73 h.
    expect(JSON.stringify(variable.validation)).toContain("var.stream_retention_hours >= 73");
  });

  it("refuses at synth a retention that would expire dead-lettered records before a replay", () => {
    expect(() => kinesisIngest(defaultDeployment, { streamRetentionHours: 48 })).toThrow(/must be at least .* = 73 h/);
    expect(() => kinesisIngest(defaultDeployment, { streamRetentionHours: 24, reactionWindowHours: 24 })).toThrow(/= 25 h/);
    expect(() => kinesisIngest(defaultDeployment, { streamRetentionHours: 9000 })).toThrow(/24\.\.8760/);
    expect(() => kinesisIngest(defaultDeployment, { streamRetentionHours: 24, reactionWindowHours: 12, maximumRecordAgeSeconds: 3600 })).not.toThrow();
  });

  it("alarms on dead-letter depth through the stack's own deliverable topic", () => {
    const alarms = Object.values(synth.json.resource.aws_cloudwatch_metric_alarm ?? {});
    const depth = alarms.find((a) => a.metric_name === "ApproximateNumberOfMessagesVisible");
    expect(depth?.alarm_actions).toEqual(["${aws_sns_topic.alarms_topic_CB6504A9.arn}"]);
    expect(synth.text).toHaveResourceWithProperties(SnsTopic, {
      name: "dev-kinesis-ingest-alarms",
      kms_master_key_id: expect.stringMatching(/^\$\{aws_kms_key\./),
    });
  });

  it("protects the table from deletion unless the variable says otherwise", () => {
    expect(synth.text).toHaveResourceWithProperties(DynamodbTable, { deletion_protection_enabled: "${var.table_deletion_protection}" });
    expect(synth.json.variable.table_deletion_protection.default).toBe(true);
  });
});
