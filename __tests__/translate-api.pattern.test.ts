/**
 * `TranslateApi` as a user composes it: in a plain TerraformStack of their own,
 * with no props, twice side by side, and on a history table they already have.
 */
import { readdirSync, readFileSync } from "node:fs";
import * as path from "node:path";
import { TerraformDataSource, TerraformResource, TerraformStack, TerraformVariable } from "cdktf";
import { DynamodbTable } from "@cdktf/provider-aws/lib/dynamodb-table";
import { CloudwatchMetricAlarm } from "@cdktf/provider-aws/lib/cloudwatch-metric-alarm";
import { TranslateApi } from "../patterns/translate-api";
import { environmentVariables } from "../tools/emulator/synth";
import { blocksOf, policyStatements, StackJson, Synthesized, synthesize } from "./support/synth";
import { userStack, physicalNames, expectSelfContained } from "./support/patterns";

/** Named only within their API: they repeat across instances. */
const PER_API = new Set(["aws_api_gateway_request_validator", "aws_api_gateway_model"]);

/** Blocks in the JSON against constructs in the tree: a key two constructs share would merge them silently. */
function blockCounts(stack: TerraformStack, json: StackJson): { json: number[]; tree: number[] } {
  const count = (byType: Record<string, Record<string, unknown>> | undefined): number =>
    Object.values(byType ?? {}).reduce((n, byName) => n + Object.keys(byName).length, 0);
  const all = stack.node.findAll();
  return {
    json: [count(json.resource), count(json.data), Object.keys(json.variable).length],
    tree: [
      all.filter((c) => c instanceof TerraformResource).length,
      all.filter((c) => c instanceof TerraformDataSource).length,
      all.filter((c) => c instanceof TerraformVariable).length,
    ],
  };
}

describe("TranslateApi with no props in a plain stack", () => {
  let s: Synthesized;
  beforeAll(() => {
    const stack = userStack();
    new TranslateApi(stack, "orders");
    s = synthesize(stack);
  });

  test("synthesizes with the user's provider only: no provider, backend, variable or output of its own", () => {
    expectSelfContained(s.json);
  });

  test("takes no account-wide singleton: no API Gateway account setting or its role", () => {
    expect(blocksOf(s.json, "aws_api_gateway_account")).toEqual([]);
    expect(physicalNames(s.json, PER_API).some((name) => name.includes("apigateway-cloudwatch"))).toBe(false);
  });

  test("names everything from the construct path (mine-orders-...), settings as literal values", () => {
    expect(s.text).toHaveResourceWithProperties(DynamodbTable, {
      name: "mine-orders-translate-history",
      deletion_protection_enabled: true,
      ttl: { attribute_name: "expires_at", enabled: true },
    });
    const names = physicalNames(s.json, PER_API);
    expect(names).toEqual(
      expect.arrayContaining([
        "aws_lambda_function:mine-orders-translate-function",
        "aws_api_gateway_rest_api:mine-orders-translate-api",
        "aws_sns_topic:mine-orders-alarms",
        "aws_cloudwatch_metric_alarm:mine-orders-translate-function-history-write-failed",
      ]),
    );
    expect(names.filter((name) => !name.includes("mine-orders-"))).toEqual([]);
    const [fn] = blocksOf(s.json, "aws_lambda_function");
    expect(environmentVariables(fn)).toMatchObject({ HISTORY_TTL_DAYS: "30", HISTORY_WRITE_BUDGET_MS: "1000" });
    expect(blocksOf(s.json, "aws_api_gateway_stage")[0].stage_name).toBe("dev");
    const [settings] = blocksOf(s.json, "aws_api_gateway_method_settings");
    expect(settings.settings).toMatchObject({ throttling_rate_limit: 10, throttling_burst_limit: 20 });
  });

  test("alarms on failed history writes on its own function's dimension (two instances never share the alarm)", () => {
    expect(s.text).toHaveResourceWithProperties(CloudwatchMetricAlarm, {
      metric_name: "HistoryWriteFailed",
      dimensions: { FunctionName: "mine-orders-translate-function", service: "translate-api" },
    });
  });

  test("refuses a setting its variable's validation would refuse, at synth", () => {
    expect(() => new TranslateApi(userStack(), "orders", { historyTtlDays: -1 })).toThrow("mine/orders: history_ttl_days must be a whole number >= 0, got -1.");
    expect(() => new TranslateApi(userStack(), "orders", { throttlingRateLimit: 0 })).toThrow(/throttling_rate_limit must be > 0/);
  });

  test("reaches up to no stack: its files never name ServerlessStack", () => {
    const dir = path.join(__dirname, "..", "patterns", "translate-api");
    const sources = readdirSync(dir).filter((file) => file.endsWith(".ts"));
    expect(sources.length).toBeGreaterThan(0);
    expect(sources.filter((file) => /ServerlessStack|serverless-stack/.test(readFileSync(path.join(dir, file), "utf8")))).toEqual([]);
  });
});

describe("two TranslateApi in one stack", () => {
  test("never collide: distinct physical names, outcome alarm dimensions, permissions, zone lookups and keys", () => {
    const stack = userStack();
    const domain = (name: string) => ({ domainName: `${name}.example.com`, zoneName: "example.com" });
    new TranslateApi(stack, "orders", { customDomain: domain("orders") });
    new TranslateApi(stack, "support", { namePrefix: "sup", customDomain: domain("support"), hostedZoneId: "Z0123456789" });
    const { json } = synthesize(stack);
    const names = physicalNames(json, PER_API);
    expect(new Set(names).size).toBe(names.length);
    expect(names.filter((n) => n.startsWith("aws_dynamodb_table:"))).toEqual(["aws_dynamodb_table:mine-orders-translate-history", "aws_dynamodb_table:sup-translate-history"]);
    const historyAlarms = blocksOf(json, "aws_cloudwatch_metric_alarm").filter((a) => a.metric_name === "HistoryWriteFailed");
    expect(historyAlarms.map((a) => (a.dimensions as { FunctionName: string }).FunctionName).sort()).toEqual(["mine-orders-translate-function", "sup-translate-function"]);
    expect(blocksOf(json, "aws_lambda_permission")).toHaveLength(2);
    // Only the instance without a supplied zone id looks its zone up.
    expect(blocksOf(json, "aws_route53_zone", "data")).toHaveLength(1);
    const counts = blockCounts(stack, json);
    expect(counts.json).toEqual(counts.tree);
  });

  test("share one alarm topic when given, each alarm named for its own instance", () => {
    const stack = userStack();
    const first = new TranslateApi(stack, "orders");
    new TranslateApi(stack, "support", { existingAlarmTopic: first.alarmTopic });
    const { json } = synthesize(stack);
    expect(blocksOf(json, "aws_sns_topic")).toHaveLength(1);
    const alarms = blocksOf(json, "aws_cloudwatch_metric_alarm");
    expect(alarms).toHaveLength(10); // per instance: 5xx rate, function errors and throttles, budget exhausted, history write failed
    const topicArn = `\${aws_sns_topic.${Object.keys(json.resource.aws_sns_topic)[0]}.arn}`;
    expect(alarms.filter((a) => JSON.stringify(a.alarm_actions) !== JSON.stringify([topicArn]))).toEqual([]);
    expect(new Set(alarms.map((a) => a.alarm_name)).size).toBe(alarms.length);
  });

  test("declare their settings as variables under their own prefixes when asked", () => {
    const stack = userStack();
    new TranslateApi(stack, "orders", { variables: { prefix: "orders_" } });
    new TranslateApi(stack, "support", { variables: { prefix: "support_" } });
    const { json } = synthesize(stack);
    const names = Object.keys(json.variable);
    expect(names).toEqual(
      expect.arrayContaining([
        "orders_history_ttl_days",
        "support_history_ttl_days",
        "orders_throttling_rate_limit",
        "orders_table_deletion_protection",
        "support_manage_api_gateway_account",
      ]),
    );
    expect(names.filter((n) => !n.startsWith("orders_") && !n.startsWith("support_"))).toEqual([]);
    const counts = blockCounts(stack, json);
    expect(counts.json).toEqual(counts.tree);
  });
});

describe("TranslateApi on a history table the user has", () => {
  const table = { name: "translations", arn: "arn:aws:dynamodb:eu-west-1:123456789012:table/translations" };

  test("creates no table, writes to the given one, and grants on its ARN only", () => {
    const stack = userStack();
    const pattern = new TranslateApi(stack, "orders", { existingTable: table });
    const { json } = synthesize(stack);
    expect(blocksOf(json, "aws_dynamodb_table")).toEqual([]);
    expect(pattern.table).toBeUndefined();
    expect(pattern.tableRef).toBe(table);
    const statements = policyStatements(json, "orders_handler_policy_document");
    expect(statements.find((s) => s.sid === "WriteHistory")?.resources).toEqual([table.arn]);
    const tableStatements = statements.filter((s) => (s.actions ?? []).some((action) => action.startsWith("dynamodb:")));
    expect(tableStatements.flatMap((s) => s.resources)).toEqual([table.arn]);
    expect(environmentVariables(blocksOf(json, "aws_lambda_function")[0]).TABLE_NAME).toBe(table.name);
  });

  test("refuses an existing table together with overrides of a new one, naming both", () => {
    expect(() => new TranslateApi(userStack(), "orders", { existingTable: table, tableProps: { billingMode: "PROVISIONED" } })).toThrow(
      "mine/orders: either existingTable or tableProps, not both.",
    );
  });

  test("merges table overrides over the defaults: the user's value wins, the others stay", () => {
    const stack = userStack();
    new TranslateApi(stack, "orders", { tableProps: { name: "my-history", billingMode: "PROVISIONED", readCapacity: 5, writeCapacity: 5 } });
    const { text } = synthesize(stack);
    expect(text).toHaveResourceWithProperties(DynamodbTable, {
      name: "my-history",
      billing_mode: "PROVISIONED",
      read_capacity: 5,
      hash_key: "timestamp",
      point_in_time_recovery: { enabled: true },
      server_side_encryption: { enabled: true },
      ttl: { attribute_name: "expires_at", enabled: true },
    });
  });
});
