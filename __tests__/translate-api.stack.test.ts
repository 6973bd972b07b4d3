/**
 * The translate-api stack (seed 004): every resource of the hands-on with its
 * settings, each fix, the operator variables, alarms and outputs.
 */
import { Testing } from "cdktf";
import { ApiGatewayAccount } from "@cdktf/provider-aws/lib/api-gateway-account";
import { ApiGatewayDeployment } from "@cdktf/provider-aws/lib/api-gateway-deployment";
import { ApiGatewayIntegration } from "@cdktf/provider-aws/lib/api-gateway-integration";
import { ApiGatewayIntegrationResponse } from "@cdktf/provider-aws/lib/api-gateway-integration-response";
import { ApiGatewayMethod } from "@cdktf/provider-aws/lib/api-gateway-method";
import { ApiGatewayMethodResponse } from "@cdktf/provider-aws/lib/api-gateway-method-response";
import { ApiGatewayMethodSettings } from "@cdktf/provider-aws/lib/api-gateway-method-settings";
import { ApiGatewayModel } from "@cdktf/provider-aws/lib/api-gateway-model";
import { ApiGatewayRequestValidator } from "@cdktf/provider-aws/lib/api-gateway-request-validator";
import { ApiGatewayResource } from "@cdktf/provider-aws/lib/api-gateway-resource";
import { ApiGatewayRestApi } from "@cdktf/provider-aws/lib/api-gateway-rest-api";
import { ApiGatewayStage } from "@cdktf/provider-aws/lib/api-gateway-stage";
import { CloudwatchLogGroup } from "@cdktf/provider-aws/lib/cloudwatch-log-group";
import { CloudwatchMetricAlarm } from "@cdktf/provider-aws/lib/cloudwatch-metric-alarm";
import { DataAwsCallerIdentity } from "@cdktf/provider-aws/lib/data-aws-caller-identity";
import { DynamodbTable } from "@cdktf/provider-aws/lib/dynamodb-table";
import { IamRole } from "@cdktf/provider-aws/lib/iam-role";
import { IamRolePolicy } from "@cdktf/provider-aws/lib/iam-role-policy";
import { IamRolePolicyAttachment } from "@cdktf/provider-aws/lib/iam-role-policy-attachment";
import { LambdaFunction } from "@cdktf/provider-aws/lib/lambda-function";
import { LambdaPermission } from "@cdktf/provider-aws/lib/lambda-permission";
import { SnsTopic } from "@cdktf/provider-aws/lib/sns-topic";
import { defaultDeployment } from "../config";
import { DeploymentConfig } from "../blocks/deployment";
import { TranslateApiStack, TranslateApiStackProps } from "../stacks/translate-api";
import { Block, blockAt, blocksOf, byPath, Found, onlyOf, suppliedDeployment, Synthesized, synthesize } from "./support/synth";

function synth(props: Partial<TranslateApiStackProps> = {}, deployment: DeploymentConfig = suppliedDeployment): Synthesized {
  return synthesize(new TranslateApiStack(Testing.app(), "translate-api", { deployment, ...props }));
}

/** `${data.aws_partition.<id>.partition}`: the partition the account-logging construct looks up. */
function partitionOf(s: Synthesized): string {
  return `\${${onlyOf(s, "aws_partition", "data").ref}.partition}`;
}

describe("translate-api stack (defaults)", () => {
  let s: Synthesized;
  let fn: Found;
  beforeAll(() => {
    s = synth();
    fn = byPath(s, LambdaFunction.tfResourceType, "handler_function");
  });

  describe("history table (the hands-on's translate-history)", () => {
    it("is named with the environment, on demand, keyed by timestamp", () => {
      expect(s.text).toHaveResourceWithProperties(DynamodbTable, {
        name: "dev-translate-history",
        billing_mode: "PAY_PER_REQUEST",
        hash_key: "timestamp",
        attribute: [{ name: "timestamp", type: "S" }],
      });
    });

    it("is encrypted, recoverable to a point in time, and has TTL on expires_at", () => {
      expect(s.text).toHaveResourceWithProperties(DynamodbTable, {
        server_side_encryption: { enabled: true },
        point_in_time_recovery: { enabled: true },
        ttl: { attribute_name: "expires_at", enabled: true },
      });
    });
  });

  describe("function", () => {
    it("runs the TypeScript handler on nodejs22.x with the table and TTL from the stack", () => {
      expect(fn.body).toMatchObject({
        function_name: "dev-translate-function",
        runtime: "nodejs22.x",
        handler: "index.handler",
        memory_size: 128,
        timeout: 10,
        environment: {
          variables: {
            TABLE_NAME: "${aws_dynamodb_table.table.name}",
            HISTORY_TTL_DAYS: "${var.history_ttl_days}",
            // The time budgets: the function's timeout, and the history write's own short share of it.
            HISTORY_WRITE_BUDGET_MS: "1000",
            FUNCTION_TIMEOUT_MS: "10000",
          },
        },
      });
      expect(fn.body.source_code_hash).toMatch(/^[A-Za-z0-9+/]{43}=$/);
    });

    it("refuses a history budget that would leave Translate less than its minimum (the handler's own rule)", () => {
      // 3 s: margin 300 ms, Translate 1000 ms -> at most 1700 ms of history.
      expect(() => synth({ functionTimeoutSeconds: 3, historyWriteBudgetMs: 1700 })).not.toThrow();
      expect(() => synth({ functionTimeoutSeconds: 3, historyWriteBudgetMs: 1701 })).toThrow(/historyWriteBudgetMs must be a whole number from 1 to 1700/);
      expect(() => synth({ functionTimeoutSeconds: 1 })).toThrow(/historyWriteBudgetMs must be a whole number from 1 to -100 with a 1 s timeout/);
    });

    it("has a log group with the environment's retention, and a role named for it", () => {
      expect(s.text).toHaveResourceWithProperties(CloudwatchLogGroup, {
        name: "/aws/lambda/dev-translate-function",
        retention_in_days: 14,
      });
      expect(s.text).toHaveResourceWithProperties(IamRole, { name: "dev-translate-function-role" });
    });

    it("may call TranslateText and DetectDominantLanguage (only * exists for them) and PutItem on the history table only", () => {
      const policy = byPath(s, IamRolePolicy.tfResourceType, "handler_policy").body;
      const docName = /^\$\{data\.aws_iam_policy_document\.([^.]+)\.json\}$/.exec(String(policy.policy))![1];
      const statements = (s.json.data!.aws_iam_policy_document[docName].statement as Array<Block>).map((st) => ({
        sid: st.sid,
        actions: st.actions,
        resources: st.resources,
      }));
      expect(statements).toEqual([
        { sid: "WriteOwnLogGroup", actions: ["logs:CreateLogStream", "logs:PutLogEvents"], resources: [expect.stringMatching(/^\$\{aws_cloudwatch_log_group\.handler_log_group_[A-F0-9]+\.arn\}:\*$/)] },
        { sid: "TranslateText", actions: ["translate:TranslateText"], resources: ["*"] },
        { sid: "DetectSourceLanguage", actions: ["comprehend:DetectDominantLanguage"], resources: ["*"] },
        { sid: "WriteHistory", actions: ["dynamodb:PutItem"], resources: ["${aws_dynamodb_table.table.arn}"] },
      ]);
    });
  });

  describe("REST API", () => {
    it("is the hands-on's translate-api, edge-optimized", () => {
      expect(s.text).toHaveResourceWithProperties(ApiGatewayRestApi, {
        name: "dev-translate-api",
        endpoint_configuration: { types: ["EDGE"] },
      });
    });

    it("has /translate and /mock under the root", () => {
      for (const [name, pathPart] of [
        ["translate_resource", "translate"],
        ["mock_resource", "mock"],
      ]) {
        expect(blockAt(s, ApiGatewayResource.tfResourceType, name)).toMatchObject({
          rest_api_id: "${aws_api_gateway_rest_api.api.id}",
          parent_id: "${aws_api_gateway_rest_api.api.root_resource_id}",
          path_part: pathPart,
        });
      }
    });

    it("GET /translate requires input_text and validates query parameters before Lambda runs", () => {
      expect(blockAt(s, ApiGatewayRequestValidator.tfResourceType, "query_validator")).toMatchObject({
        validate_request_parameters: true,
        validate_request_body: false,
      });
      expect(blockAt(s, ApiGatewayMethod.tfResourceType, "get_method")).toMatchObject({
        resource_id: "${aws_api_gateway_resource.translate_resource.id}",
        http_method: "GET",
        authorization: "NONE",
        request_validator_id: "${aws_api_gateway_request_validator.query_validator.id}",
        request_parameters: {
          "method.request.querystring.input_text": true,
          "method.request.querystring.source": false,
          "method.request.querystring.target": false,
        },
      });
    });

    it("POST /translate validates the JSON body against the TranslateRequest model", () => {
      expect(blockAt(s, ApiGatewayRequestValidator.tfResourceType, "body_validator")).toMatchObject({
        validate_request_parameters: false,
        validate_request_body: true,
      });
      expect(blockAt(s, ApiGatewayMethod.tfResourceType, "post_method")).toMatchObject({
        resource_id: "${aws_api_gateway_resource.translate_resource.id}",
        http_method: "POST",
        authorization: "NONE",
        request_validator_id: "${aws_api_gateway_request_validator.body_validator.id}",
        request_models: { "application/json": "${aws_api_gateway_model.request_model.name}" },
      });
      const model = blockAt(s, ApiGatewayModel.tfResourceType, "request_model");
      expect(model).toMatchObject({ name: "TranslateRequest", content_type: "application/json" });
      const schema = JSON.parse(String(model.schema)) as { required: string[]; additionalProperties: boolean; properties: Record<string, Block> };
      expect(schema.required).toEqual(["input_text"]);
      expect(schema.additionalProperties).toBe(false);
      expect(schema.properties.input_text).toEqual({ type: "string", minLength: 1, maxLength: 10000 });
      const source = new RegExp(String(schema.properties.source.pattern));
      const target = new RegExp(String(schema.properties.target.pattern));
      expect(["auto", "ja", "zh-TW"].every((code) => source.test(code))).toBe(true);
      expect(["japanese", "", "ja_JP"].some((code) => source.test(code))).toBe(false);
      expect(target.test("en") && !target.test("auto")).toBe(true);
    });

    it("both /translate methods are Lambda proxy integrations of the function", () => {
      for (const [name, method] of [
        ["get_integration", "get_method"],
        ["post_integration", "post_method"],
      ]) {
        expect(blockAt(s, ApiGatewayIntegration.tfResourceType, name)).toMatchObject({
          resource_id: "${aws_api_gateway_resource.translate_resource.id}",
          http_method: `\${aws_api_gateway_method.${method}.http_method}`,
          type: "AWS_PROXY",
          integration_http_method: "POST",
          uri: `\${${fn.ref}.invoke_arn}`,
        });
      }
    });

    it("GET /mock is a MOCK integration answering fixed JSON through its integration response", () => {
      expect(blockAt(s, ApiGatewayMethod.tfResourceType, "mock_method")).toMatchObject({
        resource_id: "${aws_api_gateway_resource.mock_resource.id}",
        http_method: "GET",
        authorization: "NONE",
      });
      expect(blockAt(s, ApiGatewayIntegration.tfResourceType, "mock_integration")).toMatchObject({
        type: "MOCK",
        request_templates: { "application/json": '{"statusCode": 200}' },
        passthrough_behavior: "NEVER",
      });
      expect(blockAt(s, ApiGatewayMethodResponse.tfResourceType, "mock_method_response")).toMatchObject({
        http_method: "${aws_api_gateway_method.mock_method.http_method}",
        status_code: "200",
        response_models: { "application/json": "Empty" },
      });
      const integrationResponse = blockAt(s, ApiGatewayIntegrationResponse.tfResourceType, "mock_integration_response");
      expect(integrationResponse).toMatchObject({
        http_method: "${aws_api_gateway_integration.mock_integration.http_method}",
        status_code: "${aws_api_gateway_method_response.mock_method_response.status_code}",
      });
      const template = (integrationResponse.response_templates as Record<string, string>)["application/json"];
      expect(JSON.parse(template)).toEqual({ output_text: expect.any(String), source_language: "ja", target_language: "en" });
    });

    it("lets only this API invoke the function, on /translate", () => {
      expect(s.text).toHaveResourceWithProperties(LambdaPermission, {
        action: "lambda:InvokeFunction",
        principal: "apigateway.amazonaws.com",
        function_name: `\${${fn.ref}.function_name}`,
        source_arn: "${aws_api_gateway_rest_api.api.execution_arn}/*/*/translate",
      });
    });
  });

  describe("deployment and stage", () => {
    it("redeploys when any API resource changes, creating the new deployment first", () => {
      const deployment = blockAt(s, ApiGatewayDeployment.tfResourceType, "deployment");
      expect(deployment.lifecycle).toEqual({ create_before_destroy: true });
      const trigger = String((deployment.triggers as Record<string, string>).redeployment);
      expect(trigger).toMatch(/^\$\{sha1\(jsonencode\(\[.*\]\)\)\}$/);
      for (const ref of [
        "aws_api_gateway_resource.translate_resource.id",
        "aws_api_gateway_resource.mock_resource.id",
        "aws_api_gateway_request_validator.query_validator.id",
        "aws_api_gateway_request_validator.body_validator.id",
        "aws_api_gateway_model.request_model.id",
        "aws_api_gateway_method.get_method.id",
        "aws_api_gateway_method.post_method.id",
        "aws_api_gateway_method.mock_method.id",
        "aws_api_gateway_integration.get_integration.id",
        "aws_api_gateway_integration.post_integration.id",
        "aws_api_gateway_integration.mock_integration.id",
        "aws_api_gateway_method_response.mock_method_response.id",
        "aws_api_gateway_integration_response.mock_integration_response.id",
      ]) {
        expect(trigger).toContain(ref);
      }
      expect(deployment.depends_on).toEqual(
        expect.arrayContaining([
          "aws_api_gateway_integration.get_integration",
          "aws_api_gateway_integration.post_integration",
          "aws_api_gateway_integration.mock_integration",
          "aws_api_gateway_integration_response.mock_integration_response",
        ]),
      );
    });

    it("the stage (named after the environment) writes JSON access logs to a log group with retention", () => {
      const stage = byPath(s, ApiGatewayStage.tfResourceType, "stage").body;
      const logGroup = byPath(s, CloudwatchLogGroup.tfResourceType, "stage_access_logs");
      expect(stage).toMatchObject({
        rest_api_id: "${aws_api_gateway_rest_api.api.id}",
        stage_name: "dev",
        description: "translate-api stage",
        deployment_id: "${aws_api_gateway_deployment.deployment.id}",
        access_log_settings: { destination_arn: `\${${logGroup.ref}.arn}` },
      });
      const format = JSON.parse(String((stage.access_log_settings as Block).format)) as Record<string, string>;
      expect(format).toMatchObject({ requestId: "$context.requestId", status: "$context.status", validationError: "$context.error.validationErrorString" });
      expect(logGroup.body).toMatchObject({
        name: "/aws/apigateway/${aws_api_gateway_rest_api.api.name}/access", // dev-translate-api
        retention_in_days: 14,
      });
    });

    it("throttles every method with the plan-time limits, metrics on, execution logs from a variable (default ERROR)", () => {
      const stage = byPath(s, ApiGatewayStage.tfResourceType, "stage");
      expect(byPath(s, ApiGatewayMethodSettings.tfResourceType, "stage_method_settings").body).toMatchObject({
        stage_name: `\${${stage.ref}.stage_name}`,
        method_path: "*/*",
        settings: {
          throttling_rate_limit: "${var.throttling_rate_limit}",
          throttling_burst_limit: "${var.throttling_burst_limit}",
          metrics_enabled: true,
          logging_level: "${var.api_logging_level}",
          data_trace_enabled: false,
        },
      });
      expect(s.json.variable?.api_logging_level).toMatchObject({ type: "string", default: "ERROR" });
      expect(s.json.variable?.throttling_rate_limit).toMatchObject({ type: "number", default: 10, description: expect.any(String) });
      expect(s.json.variable?.throttling_burst_limit).toMatchObject({ type: "number", default: 20, description: expect.any(String) });
    });
  });

  describe("API Gateway account CloudWatch role (region-wide setting)", () => {
    it("is off by default, switchable at plan time, and the stage waits for it", () => {
      expect(s.json.variable?.manage_api_gateway_account).toMatchObject({ type: "bool", default: false, description: expect.any(String) });
      const count = "${var.manage_api_gateway_account ? 1 : 0}";
      const partition = partitionOf(s);
      const role = byPath(s, IamRole.tfResourceType, "account_logging_role");
      const attachment = byPath(s, IamRolePolicyAttachment.tfResourceType, "account_logging_policy");
      const account = byPath(s, ApiGatewayAccount.tfResourceType, "account_logging_account");
      expect(account.body).toMatchObject({
        count,
        cloudwatch_role_arn: `arn:${partition}:iam::123456789012:role/dev-translate-api-apigateway-cloudwatch`,
        depends_on: [attachment.ref],
      });
      expect(role.body).toMatchObject({ count, name: "dev-translate-api-apigateway-cloudwatch" });
      const trust = JSON.parse(String(role.body.assume_role_policy)) as {
        Statement: Array<{ Principal: { Service: string }; Action: string }>;
      };
      expect(trust.Statement).toEqual([expect.objectContaining({ Principal: { Service: "apigateway.amazonaws.com" }, Action: "sts:AssumeRole" })]);
      expect(attachment.body).toMatchObject({
        count,
        role: "dev-translate-api-apigateway-cloudwatch",
        policy_arn: `arn:${partition}:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs`,
        depends_on: [role.ref],
      });
      expect(byPath(s, ApiGatewayStage.tfResourceType, "stage").body.depends_on).toEqual([account.ref]);
      expect(byPath(s, ApiGatewayMethodSettings.tfResourceType, "stage_method_settings").body.depends_on).toEqual([account.ref]);
    });

    it("uses the supplied account id (no caller-identity lookup offline)", () => {
      expect(s.text).not.toHaveDataSource(DataAwsCallerIdentity);
    });
  });

  describe("history TTL", () => {
    it("is a plan-time variable, default 30 days (fix: the hands-on keeps anonymous callers' text forever), validated as whole days >= 0", () => {
      expect(s.json.variable?.history_ttl_days).toMatchObject({
        type: "number",
        default: 30,
        description: expect.any(String),
        validation: [expect.objectContaining({ condition: expect.stringContaining("var.history_ttl_days >= 0") })],
      });
    });
  });

  describe("alarms", () => {
    it("go to the stack's encrypted SNS topic", () => {
      expect(s.text).toHaveResourceWithProperties(SnsTopic, {
        name: "dev-translate-api-alarms",
        kms_master_key_id: expect.stringMatching(/^\$\{aws_kms_key\./), // deliverable: not alias/aws/sns
      });
      const alarms = Object.values(s.json.resource[CloudwatchMetricAlarm.tfResourceType]);
      expect(alarms).toHaveLength(5); // the function's errors, throttles, budget exhausted, history write failed; the API 5xx rate
      for (const alarm of alarms) {
        expect(alarm.alarm_actions).toEqual([expect.stringMatching(/^\$\{aws_sns_topic\.alarms_topic_[A-F0-9]+\.arn\}$/)]);
      }
    });

    it("watch the API's 5xx rate on this stage", () => {
      expect(s.text).toHaveResourceWithProperties(CloudwatchMetricAlarm, {
        alarm_name: "dev-translate-api-5xx",
        namespace: "AWS/ApiGateway",
        metric_name: "5XXError",
        dimensions: { ApiName: "${aws_api_gateway_rest_api.api.name}", Stage: `\${${byPath(s, ApiGatewayStage.tfResourceType, "stage").ref}.stage_name}` },
        statistic: "Average",
        period: 300,
        threshold: 0.05,
        comparison_operator: "GreaterThanThreshold",
      });
    });

    it("watch the function's errors and throttles", () => {
      for (const metric of ["Errors", "Throttles"]) {
        expect(s.text).toHaveResourceWithProperties(CloudwatchMetricAlarm, {
          alarm_name: `dev-translate-function-${metric.toLowerCase()}`,
          namespace: "AWS/Lambda",
          metric_name: metric,
          dimensions: { FunctionName: `\${${fn.ref}.function_name}` },
        });
      }
    });

    it("turn a failed history write (answered 200) into an alarm on the handler's HistoryWriteFailed metric (EMF), no log filter", () => {
      expect(blocksOf(s.json, "aws_cloudwatch_log_metric_filter")).toEqual([]);
      expect(s.text).toHaveResourceWithProperties(CloudwatchMetricAlarm, {
        alarm_name: "dev-translate-function-history-write-failed",
        namespace: "spike-proof-serverless",
        metric_name: "HistoryWriteFailed",
        dimensions: { FunctionName: "dev-translate-function", service: "translate-api" },
        statistic: "Sum",
        threshold: 0,
        comparison_operator: "GreaterThanThreshold",
      });
    });
  });

  it("outputs the execute-api URLs and the table name", () => {
    const invokeUrl = `\${${byPath(s, ApiGatewayStage.tfResourceType, "stage").ref}.invoke_url}`;
    expect(s.json.output).toMatchObject({
      execute_api_url: { value: invokeUrl },
      translate_url: { value: `${invokeUrl}/translate` },
      mock_url: { value: `${invokeUrl}/mock` },
      table_name: { value: "${aws_dynamodb_table.table.name}" },
    });
  });
});

describe("translate-api stack (props set, AWS lookups live)", () => {
  let s: Synthesized;
  let base: Synthesized;
  beforeAll(() => {
    s = synth(
      {
        stageName: "v1",
        throttlingRateLimit: 50,
        throttlingBurstLimit: 100,
        historyTtlDays: 90,
        manageApiGatewayAccount: true,
        mockResponse: { output_text: "Good morning", source_language: "ja", target_language: "en" },
        api5xxRateThreshold: 0.01,
        memorySize: 256,
        functionTimeoutSeconds: 15,
      },
      { ...defaultDeployment, name: "prod", lambdaPackaging: "asset" },
    );
    base = synth({}, { ...defaultDeployment, name: "prod", lambdaPackaging: "asset" });
  });

  it("props become the variables' defaults", () => {
    expect(s.json.variable).toMatchObject({
      throttling_rate_limit: { default: 50 },
      throttling_burst_limit: { default: 100 },
      history_ttl_days: { default: 90 },
      manage_api_gateway_account: { default: true },
    });
  });

  it("names follow the environment; stage, memory, timeout and alarm threshold follow the props", () => {
    expect(s.text).toHaveResourceWithProperties(DynamodbTable, { name: "prod-translate-history" });
    expect(s.text).toHaveResourceWithProperties(ApiGatewayRestApi, { name: "prod-translate-api" });
    expect(s.text).toHaveResourceWithProperties(ApiGatewayStage, { stage_name: "v1" });
    expect(s.text).toHaveResourceWithProperties(LambdaFunction, { function_name: "prod-translate-function", memory_size: 256, timeout: 15 });
    expect(s.text).toHaveResourceWithProperties(CloudwatchMetricAlarm, { alarm_name: "prod-translate-api-5xx", threshold: 0.01 });
  });

  it("the mock answers the configured JSON, and changing it changes the redeploy trigger", () => {
    const template = (blockAt(s, ApiGatewayIntegrationResponse.tfResourceType, "mock_integration_response").response_templates as Record<string, string>)["application/json"];
    expect(JSON.parse(template)).toEqual({ output_text: "Good morning", source_language: "ja", target_language: "en" });
    const trigger = (x: Synthesized): string =>
      String((blockAt(x, ApiGatewayDeployment.tfResourceType, "deployment").triggers as Record<string, string>).redeployment);
    expect(trigger(s)).not.toEqual(trigger(base));
  });

  it("without a supplied account id, the role ARN comes from data.aws_caller_identity", () => {
    expect(s.text).toHaveDataSource(DataAwsCallerIdentity);
    expect(byPath(s, ApiGatewayAccount.tfResourceType, "account_logging_account").body.cloudwatch_role_arn).toBe(
      `arn:${partitionOf(s)}:iam::\${data.aws_caller_identity.current_identity.account_id}:role/prod-translate-api-apigateway-cloudwatch`,
    );
  });
});
