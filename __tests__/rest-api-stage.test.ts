/**
 * The shared REST API constructs on their own: `RestApiStage` (access logs,
 * throttling variables, method settings, 5xx alarm) and `ApiGatewayAccountLogging`
 * (the region's API Gateway logging role and account setting).
 */
import { TerraformStack, Testing } from "cdktf";
import { ApiGatewayAccount } from "@cdktf/provider-aws/lib/api-gateway-account";
import { ApiGatewayDeployment } from "@cdktf/provider-aws/lib/api-gateway-deployment";
import { ApiGatewayMethodSettings } from "@cdktf/provider-aws/lib/api-gateway-method-settings";
import { ApiGatewayRestApi } from "@cdktf/provider-aws/lib/api-gateway-rest-api";
import { ApiGatewayStage } from "@cdktf/provider-aws/lib/api-gateway-stage";
import { CloudwatchLogGroup } from "@cdktf/provider-aws/lib/cloudwatch-log-group";
import { CloudwatchMetricAlarm } from "@cdktf/provider-aws/lib/cloudwatch-metric-alarm";
import { DataAwsPartition } from "@cdktf/provider-aws/lib/data-aws-partition";
import { IamRole } from "@cdktf/provider-aws/lib/iam-role";
import { IamRolePolicyAttachment } from "@cdktf/provider-aws/lib/iam-role-policy-attachment";
import { AwsProvider } from "@cdktf/provider-aws/lib/provider";
import { AlarmTopic } from "../blocks/alarm-topic";
import { ApiGatewayAccountLogging, ApiGatewayAccountLoggingProps } from "../blocks/api-gateway-account-logging";
import { DEFAULT_REST_ACCESS_LOG_FIELDS, RestApiStage, RestApiStageProps } from "../blocks/rest-api-stage";
import { VARIABLES_CONTEXT } from "../blocks/variables";
import { Block, onlyOf, Synthesized, synthesize } from "./support/synth";

type StageOptions = Omit<RestApiStageProps, "api" | "deployment" | "alarms" | "accountLogging" | "accessLogRetentionDays">;

/**
 * A stack with a REST API, its deployment, an alarm topic and the constructs under test:
 * `stages` (id -> options) and, when `logging` is given, the account setting (passed to every stage).
 */
function synth(stages: Record<string, StageOptions>, logging?: Omit<ApiGatewayAccountLoggingProps, "roleName" | "accountId">): Synthesized {
  const stack = new TerraformStack(Testing.app(), "test");
  // Settings as Terraform variables, as in a deployable stack (plain values are the default: see the last test).
  stack.node.setContext(VARIABLES_CONTEXT, { prefix: "" });
  new AwsProvider(stack, "aws", { region: "ap-northeast-1" });
  const api = new ApiGatewayRestApi(stack, "api", { name: "dev-test-api" });
  const deployment = new ApiGatewayDeployment(stack, "deployment", { restApiId: api.id });
  const alarms = new AlarmTopic(stack, "alarms", { topicName: "dev-alarms" });
  const accountLogging = logging
    ? new ApiGatewayAccountLogging(stack, "account_logging", { roleName: "dev-apigw-logs", accountId: "123456789012", ...logging })
    : undefined;
  for (const [id, options] of Object.entries(stages)) {
    new RestApiStage(stack, id, { api, deployment, alarms, accountLogging, accessLogRetentionDays: 14, ...options });
  }
  return synthesize(stack);
}

describe("RestApiStage with its defaults", () => {
  let s: Synthesized;
  beforeAll(() => {
    s = synth({ stage: { stageName: "dev" } });
  });

  it("writes one JSON access-log line per request to a log group with retention, named after the API", () => {
    const logGroup = onlyOf(s, CloudwatchLogGroup.tfResourceType);
    expect(logGroup.body).toMatchObject({ name: "/aws/apigateway/${aws_api_gateway_rest_api.api.name}/access", retention_in_days: 14 });
    expect(s.text).toHaveResourceWithProperties(ApiGatewayStage, {
      rest_api_id: "${aws_api_gateway_rest_api.api.id}",
      deployment_id: "${aws_api_gateway_deployment.deployment.id}",
      stage_name: "dev",
      access_log_settings: { destination_arn: `\${${logGroup.ref}.arn}`, format: JSON.stringify(DEFAULT_REST_ACCESS_LOG_FIELDS) },
    });
  });

  it("throttles every method from two validated variables, metrics on, execution logs and data trace off", () => {
    const stage = onlyOf(s, ApiGatewayStage.tfResourceType);
    expect(s.text).toHaveResourceWithProperties(ApiGatewayMethodSettings, {
      stage_name: `\${${stage.ref}.stage_name}`,
      method_path: "*/*",
      settings: {
        throttling_rate_limit: "${var.throttling_rate_limit}",
        throttling_burst_limit: "${var.throttling_burst_limit}",
        metrics_enabled: true,
        logging_level: "OFF",
        data_trace_enabled: false,
      },
    });
    expect(s.json.variable.throttling_rate_limit).toMatchObject({
      type: "number",
      default: 100,
      description: expect.any(String),
      validation: [{ condition: "${var.throttling_rate_limit > 0}", error_message: "throttling_rate_limit must be > 0." }],
    });
    expect(s.json.variable.throttling_burst_limit).toMatchObject({
      type: "number",
      default: 200,
      validation: [{ condition: "${var.throttling_burst_limit > 0}", error_message: "throttling_burst_limit must be > 0." }],
    });
  });

  it("alarms on the stage's 5xx rate (5XXError average over 5 minutes > 5 %) to the topic", () => {
    const stage = onlyOf(s, ApiGatewayStage.tfResourceType);
    const topic = onlyOf(s, "aws_sns_topic");
    expect(s.text).toHaveResourceWithProperties(CloudwatchMetricAlarm, {
      alarm_name: "${aws_api_gateway_rest_api.api.name}-5xx",
      namespace: "AWS/ApiGateway",
      metric_name: "5XXError",
      dimensions: { ApiName: "${aws_api_gateway_rest_api.api.name}", Stage: `\${${stage.ref}.stage_name}` },
      statistic: "Average",
      period: 300,
      evaluation_periods: 1,
      threshold: 0.05,
      comparison_operator: "GreaterThanThreshold",
      alarm_actions: [`\${${topic.ref}.arn}`],
      ok_actions: [`\${${topic.ref}.arn}`],
    });
  });

  it("waits for nothing when the account setting is managed elsewhere", () => {
    expect(onlyOf(s, ApiGatewayStage.tfResourceType).body.depends_on).toBeUndefined();
    expect(onlyOf(s, ApiGatewayMethodSettings.tfResourceType).body.depends_on).toBeUndefined();
    expect(s.text).not.toHaveResource(ApiGatewayAccount);
  });
});

describe("RestApiStage with a stack's choices", () => {
  it("takes stage name, description, log group, format, limits, logging level and alarm settings from props", () => {
    const format = { requestId: "$context.requestId", status: "$context.status" };
    const s = synth({
      stage: {
        stageName: "v1",
        description: "the v1 stage",
        accessLogGroupName: "/custom/access",
        accessLogFormat: format,
        throttlingRateLimit: 10,
        throttlingBurstLimit: 20,
        loggingLevel: "ERROR",
        alarmName: "dev-test-api-5xx",
        alarmDescription: "records not accepted",
        errorRateThreshold: 0.01,
      },
    });
    expect(s.text).toHaveResourceWithProperties(CloudwatchLogGroup, { name: "/custom/access" });
    expect(onlyOf(s, ApiGatewayStage.tfResourceType).body).toMatchObject({
      stage_name: "v1",
      description: "the v1 stage",
      access_log_settings: { format: JSON.stringify(format) },
    });
    expect(onlyOf(s, ApiGatewayMethodSettings.tfResourceType).body).toMatchObject({
      settings: { logging_level: "ERROR", data_trace_enabled: false, metrics_enabled: true },
    });
    expect(s.json.variable.throttling_rate_limit).toMatchObject({ default: 10 });
    expect(s.json.variable.throttling_burst_limit).toMatchObject({ default: 20 });
    expect(s.text).toHaveResourceWithProperties(CloudwatchMetricAlarm, {
      alarm_name: "dev-test-api-5xx",
      alarm_description: "records not accepted",
      threshold: 0.01,
    });
  });

  it("gives two stages of one stack their own variables (prefix) and alarms", () => {
    const s = synth({ stage: { stageName: "dev" }, canary: { stageName: "canary", variablePrefix: "canary_" } });
    expect(Object.keys(s.json.variable).sort()).toEqual([
      "canary_throttling_burst_limit",
      "canary_throttling_rate_limit",
      "throttling_burst_limit",
      "throttling_rate_limit",
    ]);
    const canary = Object.values(s.json.resource[ApiGatewayMethodSettings.tfResourceType]).find((m) =>
      String(m.stage_name).startsWith("${aws_api_gateway_stage.canary_"),
    );
    expect(canary?.settings).toMatchObject({
      throttling_rate_limit: "${var.canary_throttling_rate_limit}",
      throttling_burst_limit: "${var.canary_throttling_burst_limit}",
    });
    expect(Object.keys(s.json.resource[CloudwatchMetricAlarm.tfResourceType])).toHaveLength(2);
  });
});

describe("ApiGatewayAccountLogging", () => {
  let s: Synthesized;
  beforeAll(() => {
    s = synth({ stage: { stageName: "dev" } }, {});
  });

  it("is switched by manage_api_gateway_account, off unless the owning stack asks", () => {
    expect(s.json.variable.manage_api_gateway_account).toMatchObject({ type: "bool", default: false, description: expect.any(String) });
    expect(synth({}, { manageByDefault: true }).json.variable.manage_api_gateway_account).toMatchObject({ default: true });
    const count = "${var.manage_api_gateway_account ? 1 : 0}";
    for (const type of [IamRole.tfResourceType, IamRolePolicyAttachment.tfResourceType, ApiGatewayAccount.tfResourceType]) {
      expect(onlyOf(s, type).body.count).toBe(count);
    }
  });

  it("creates the role API Gateway assumes, with AWS's managed push-to-CloudWatch policy", () => {
    const role = onlyOf(s, IamRole.tfResourceType);
    expect(role.body.name).toBe("dev-apigw-logs");
    const trust = JSON.parse(String(role.body.assume_role_policy)) as { Statement: Block[] };
    expect(trust.Statement).toEqual([{ Effect: "Allow", Principal: { Service: "apigateway.amazonaws.com" }, Action: "sts:AssumeRole" }]);
    expect(s.text).toHaveDataSource(DataAwsPartition);
    const partitionId = Object.keys(s.json.data.aws_partition)[0];
    expect(onlyOf(s, IamRolePolicyAttachment.tfResourceType).body).toMatchObject({
      role: "dev-apigw-logs",
      policy_arn: `arn:\${data.aws_partition.${partitionId}.partition}:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs`,
      depends_on: [role.ref],
    });
  });

  it("names the role by an ARN built from its name (no counted resource read by index), after the policy is attached", () => {
    const partitionId = Object.keys(s.json.data.aws_partition)[0];
    const attachment = onlyOf(s, IamRolePolicyAttachment.tfResourceType);
    expect(onlyOf(s, ApiGatewayAccount.tfResourceType).body).toEqual(
      expect.objectContaining({
        cloudwatch_role_arn: `arn:\${data.aws_partition.${partitionId}.partition}:iam::123456789012:role/dev-apigw-logs`,
        depends_on: [attachment.ref],
      }),
    );
    expect(s.text).not.toContain("[0]");
  });

  it("makes the stage and its method settings wait for the account setting", () => {
    const account = onlyOf(s, ApiGatewayAccount.tfResourceType);
    expect(onlyOf(s, ApiGatewayStage.tfResourceType).body.depends_on).toEqual([account.ref]);
    expect(onlyOf(s, ApiGatewayMethodSettings.tfResourceType).body.depends_on).toEqual([account.ref]);
  });
});

test("the access log records each request's TLS version (execute-api endpoints still accept TLS 1.0)", () => {
  expect(DEFAULT_REST_ACCESS_LOG_FIELDS.tlsVersion).toBe("$context.tlsVersion");
});

describe("RestApiStage without variables (a pattern's default)", () => {
  const plainStage = (options: StageOptions) => {
    const stack = new TerraformStack(Testing.app(), "plain");
    new AwsProvider(stack, "aws", { region: "ap-northeast-1" });
    const api = new ApiGatewayRestApi(stack, "api", { name: "dev-test-api" });
    const deployment = new ApiGatewayDeployment(stack, "deployment", { restApiId: api.id });
    const alarms = new AlarmTopic(stack, "alarms", { topicName: "dev-alarms", accountId: "123456789012" });
    new RestApiStage(stack, "stage", { api, deployment, alarms, accessLogRetentionDays: 14, ...options });
    return synthesize(stack);
  };

  it("writes the settings as plain values and declares no variable, so two instances never clash", () => {
    const s = plainStage({ stageName: "dev", throttlingRateLimit: 7, throttlingBurstLimit: 9 });
    expect(s.json.variable).toEqual({});
    expect(s.text).toHaveResourceWithProperties(ApiGatewayMethodSettings, { settings: expect.objectContaining({ throttling_rate_limit: 7, throttling_burst_limit: 9 }) });
  });

  it("refuses at synth a value the variable's validation would refuse at plan", () => {
    expect(() => plainStage({ stageName: "dev", throttlingRateLimit: 0 })).toThrow("plain/stage: throttling_rate_limit must be > 0, got 0.");
  });
});
