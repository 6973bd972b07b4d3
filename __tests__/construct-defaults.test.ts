/**
 * Defaults in the base layer: what a construct takes from its ServerlessStack
 * unless told otherwise, the shared secure settings, and the one style of
 * validated variables.
 */
import { Construct } from "constructs";
import { TerraformStack, Testing } from "cdktf";
import { CloudwatchLogGroup } from "@cdktf/provider-aws/lib/cloudwatch-log-group";
import { CloudwatchMetricAlarm } from "@cdktf/provider-aws/lib/cloudwatch-metric-alarm";
import { DynamodbTable } from "@cdktf/provider-aws/lib/dynamodb-table";
import { LambdaFunction } from "@cdktf/provider-aws/lib/lambda-function";
import { LambdaPermission } from "@cdktf/provider-aws/lib/lambda-permission";
import { defaultDeployment } from "../config";
import { AlarmTopic } from "../blocks/alarm-topic";
import { DeadLetterQueue } from "../blocks/dead-letter-queue";
import { secureTableDefaults, TABLE_DELETION_PROTECTION_VARIABLE } from "../blocks/defaults";
import { NodejsFunction } from "../blocks/lambda/nodejs-function";
import { Pattern } from "../blocks/pattern";
import { ServerlessStack } from "../blocks/serverless-stack";
import { enumVariable, hclString, patternVariable, positiveNumberVariable, wholeNumberVariable } from "../blocks/variables";

const ENTRY = "__tests__/fixtures/hello-handler.ts";

type Json = {
  resource: Record<string, Record<string, Record<string, unknown>>>;
  variable?: Record<string, { validation?: { condition: string; error_message: string }[]; default?: unknown }>;
  output?: Record<string, { value: string; description?: string }>;
};

describe("a ServerlessStack's defaults", () => {
  const deployment = { ...defaultDeployment, lambdaPackaging: "asset" as const, logRetentionDays: 30 };
  const stack = new ServerlessStack(Testing.app(), "defaults", { deployment });
  // The stack passes its settings: the construct takes nothing from it by itself.
  const alarms = new AlarmTopic(stack, "alarms", { topicName: "dev-test-alarms", accountId: "123456789012" });
  const fn = new NodejsFunction(stack, "handler", {
    entry: ENTRY,
    functionName: "dev-hello",
    roleName: "dev-hello-role",
    packaging: deployment.lambdaPackaging,
    logRetentionDays: deployment.logRetentionDays,
    alarms,
  });
  fn.allowInvoke("api_permission", {
    statementId: "AllowApi",
    principal: "apigateway.amazonaws.com",
    sourceArn: "arn:aws:execute-api:ap-northeast-1:123456789012:abc/*/*",
  });
  new DynamodbTable(stack, "table", { name: "dev-t", billingMode: "PAY_PER_REQUEST", hashKey: "k", attribute: [{ name: "k", type: "S" }], ...secureTableDefaults(stack) });
  new DynamodbTable(stack, "other", { name: "dev-u", billingMode: "PAY_PER_REQUEST", hashKey: "k", attribute: [{ name: "k", type: "S" }], ...secureTableDefaults(stack) });
  const synth = Testing.synth(stack);
  const json = JSON.parse(synth) as Json;

  test("NodejsFunction keeps the log retention it is given and alarms on the topic it is given", () => {
    expect(synth).toHaveResourceWithProperties(CloudwatchLogGroup, { name: "/aws/lambda/dev-hello", retention_in_days: 30 });
    const alarms = Object.values(json.resource[CloudwatchMetricAlarm.tfResourceType]);
    expect(alarms.map((a) => a.metric_name).sort()).toEqual(["Errors", "Throttles"]);
    for (const alarm of alarms) {
      expect(alarm).toMatchObject({ statistic: "Sum", threshold: 0, comparison_operator: "GreaterThanThreshold", evaluation_periods: 1, period: 60 });
      expect(alarm.alarm_actions).toEqual([expect.stringMatching(/^\$\{aws_sns_topic\.alarms_topic_\w+\.arn\}$/)]);
    }
  });

  test("NodejsFunction packages as it is told (asset: no archive provider)", () => {
    expect(synth).not.toContain("archive_file");
    expect(synth).toHaveResourceWithProperties(LambdaFunction, { filename: expect.stringContaining("assets/") });
  });

  test("allowInvoke: one principal, one source, at the stack's address", () => {
    expect(json.resource[LambdaPermission.tfResourceType]).toHaveProperty("api_permission");
    expect(synth).toHaveResourceWithProperties(LambdaPermission, {
      statement_id: "AllowApi",
      action: "lambda:InvokeFunction",
      principal: "apigateway.amazonaws.com",
      source_arn: "arn:aws:execute-api:ap-northeast-1:123456789012:abc/*/*",
      function_name: expect.stringContaining("aws_lambda_function.handler_function_"),
    });
  });

  test("secure table defaults: encryption, point-in-time recovery, one deletion-protection variable for all tables", () => {
    for (const table of Object.values(json.resource.aws_dynamodb_table)) {
      expect(table).toMatchObject({
        server_side_encryption: { enabled: true },
        point_in_time_recovery: { enabled: true },
        deletion_protection_enabled: `\${var.${TABLE_DELETION_PROTECTION_VARIABLE}}`,
      });
    }
    expect(json.variable?.[TABLE_DELETION_PROTECTION_VARIABLE]?.default).toBe(true);
  });
});

test("NodejsFunction in any stack, given nothing: asset packaging, 14 days of logs, no alarms (its documented defaults)", () => {
  const stack = new TerraformStack(Testing.app(), "plain");
  new NodejsFunction(stack, "handler", { entry: ENTRY, functionName: "f", roleName: "r" });
  const synth = Testing.synth(stack);
  expect(synth).toHaveResourceWithProperties(CloudwatchLogGroup, { name: "/aws/lambda/f", retention_in_days: 14 });
  expect(synth).toHaveResourceWithProperties(LambdaFunction, { filename: expect.stringContaining("assets/") });
  expect(synth).not.toContain("archive_file");
  expect(synth).not.toHaveResource(CloudwatchMetricAlarm);
});

describe("validated variables: one style, literal HCL conditions under stable names", () => {
  const stack = new TerraformStack(Testing.app(), "vars");
  patternVariable(stack, "domain_name", { pattern: "^[a-z]+\\.[a-z]{2,}$", description: "d" });
  enumVariable(stack, "level", { values: ["OFF", "ERROR"], default: "ERROR", description: "l" });
  positiveNumberVariable(stack, "rate", 10, "r");
  wholeNumberVariable(stack, "hours", { default: 24, min: 24, max: 8760, description: "h" });
  const json = JSON.parse(Testing.synth(stack)) as Json;
  const condition = (name: string) => json.variable?.[name]?.validation?.[0].condition;

  test("pattern: can(regex(...)) with the pattern as an HCL string (backslashes escaped)", () => {
    expect(condition("domain_name")).toBe('${can(regex("^[a-z]+\\\\.[a-z]{2,}$", var.domain_name))}');
    expect(json.variable?.domain_name?.validation?.[0].error_message).toMatch(/domain_name must match/);
  });

  test("enum, positive and whole numbers", () => {
    expect(condition("level")).toBe('${contains(["OFF","ERROR"], var.level)}');
    expect(condition("rate")).toBe("${var.rate > 0}");
    expect(condition("hours")).toBe("${var.hours >= 24 && var.hours <= 8760 && floor(var.hours) == var.hours}");
  });

  test("a pattern that would start a template is refused", () => {
    expect(() => hclString("^${x}$")).toThrow(/not a literal HCL string/);
  });
});

describe("validated variables are declared once per stack", () => {
  test("a second declaration of a name is refused, naming the construct (not merged into one variable)", () => {
    const stack = new TerraformStack(Testing.app(), "twice");
    wholeNumberVariable(stack, "throttling_rate_limit", { default: 5, min: 1, description: "first" });
    const scope = new Construct(stack, "another_stage");
    expect(() => wholeNumberVariable(scope, "throttling_rate_limit", { default: 500, min: 1, description: "second" })).toThrow(
      /twice\/another_stage: the Terraform variable "throttling_rate_limit" is already declared in this stack/,
    );
    // Another stack has its own names.
    expect(() => wholeNumberVariable(new TerraformStack(Testing.app(), "other"), "throttling_rate_limit", { default: 5, min: 1, description: "x" })).not.toThrow();
  });
});

describe("alarms added to the stack's topic", () => {
  test("two functions with one id in different scopes get alarms of their own (ids from their paths)", () => {
    const deployment = { ...defaultDeployment, lambdaPackaging: "asset" as const };
    const stack = new ServerlessStack(Testing.app(), "paths", { deployment });
    const topic = new AlarmTopic(stack, "alarms", { topicName: "dev-test-alarms", accountId: "123456789012" });
    for (const scope of ["first", "second"]) {
      new NodejsFunction(new Construct(stack, scope), "handler", { entry: ENTRY, functionName: `dev-${scope}`, roleName: `dev-${scope}-role`, alarms: topic });
    }
    const alarms = (JSON.parse(Testing.synth(stack)) as Json).resource.aws_cloudwatch_metric_alarm;
    const names = Object.values(alarms).map((alarm) => alarm.alarm_name);
    expect(names).toEqual(expect.arrayContaining(["dev-first-errors", "dev-first-throttles", "dev-second-errors", "dev-second-throttles"]));
    expect(Object.keys(alarms).filter((id) => /^alarms_(first|second)_handler_(errors|throttles)/.test(id))).toHaveLength(4);
  });
});

describe("outside a ServerlessStack", () => {
  test("a building block takes what it needs as props: it works in a plain TerraformStack", () => {
    const plain = new TerraformStack(Testing.app(), "plain");
    const topic = new AlarmTopic(plain, "alarms", { topicName: "t", accountId: "123456789012" });
    expect(() => new DeadLetterQueue(plain, "dlq_with_topic", { queueName: "q", alarms: topic })).not.toThrow();
  });
});

describe("a pattern's hosted zone", () => {
  class Probe extends Pattern {
    constructor(scope: Construct, id: string) {
      super(scope, id, { accountId: "123456789012" });
    }
  }
  test("looked up once by name (data.aws_route53_zone `zone`, public); another name is refused", () => {
    const stack = new TerraformStack(Testing.app(), "zones");
    const probe = new Probe(stack, "probe");
    probe.hostedZoneId("example.com");
    probe.hostedZoneId("example.com");
    expect(() => probe.hostedZoneId("example.org")).toThrow("zones/probe: a pattern has one hosted zone; asked for example.org after example.com");
    const zones = (JSON.parse(Testing.synth(stack)) as { data: Record<string, Record<string, Record<string, unknown>>> }).data.aws_route53_zone;
    expect(Object.values(zones)).toEqual([{ name: "example.com", private_zone: false }]);
  });
});
