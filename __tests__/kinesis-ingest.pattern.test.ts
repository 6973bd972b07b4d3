/**
 * `KinesisIngest` as a user composes it: in a plain TerraformStack of their own,
 * with no props, twice side by side, and on a stream and table they already have.
 */
import { DynamodbTable } from "@cdktf/provider-aws/lib/dynamodb-table";
import { KinesisStream } from "@cdktf/provider-aws/lib/kinesis-stream";
import { KinesisIngest } from "../patterns/kinesis-ingest";
import { blocksOf, policyStatements, Synthesized, synthesize } from "./support/synth";
import { userStack, physicalNames, expectSelfContained } from "./support/patterns";

describe("KinesisIngest with no props in a plain stack", () => {
  let s: Synthesized;
  beforeAll(() => {
    const stack = userStack();
    new KinesisIngest(stack, "orders");
    s = synthesize(stack);
  });

  test("synthesizes with the user's provider only: no provider, backend, variable or output of its own", () => {
    expectSelfContained(s.json);
  });

  test("takes no account-wide singleton: no API Gateway account setting or its role", () => {
    expect(blocksOf(s.json, "aws_api_gateway_account")).toEqual([]);
    expect(physicalNames(s.json).some((name) => name.includes("apigw-cloudwatch-logs-role"))).toBe(false);
  });

  test("names everything from the construct path (mine-orders-...), values literal", () => {
    expect(s.text).toHaveResourceWithProperties(KinesisStream, { name: "mine-orders-example-stream", retention_period: 168 });
    expect(s.text).toHaveResourceWithProperties(DynamodbTable, { name: "mine-orders-example-table", deletion_protection_enabled: true });
    expect(physicalNames(s.json).filter((name) => !name.includes("mine-orders-"))).toEqual([]);
  });
});

describe("two KinesisIngest in one stack", () => {
  test("never collide: distinct physical names, alarm ids and addresses", () => {
    const stack = userStack();
    new KinesisIngest(stack, "orders");
    new KinesisIngest(stack, "payments", { namePrefix: "pay" });
    const { json } = synthesize(stack);
    const names = physicalNames(json);
    expect(new Set(names).size).toBe(names.length);
    expect(names.filter((n) => n.startsWith("aws_kinesis_stream:"))).toEqual(
      expect.arrayContaining(["aws_kinesis_stream:mine-orders-example-stream", "aws_kinesis_stream:pay-example-stream"]),
    );
  });

  test("share one alarm topic when given, and one pattern's alarms stay apart from the other's", () => {
    const stack = userStack();
    const first = new KinesisIngest(stack, "orders");
    new KinesisIngest(stack, "payments", { existingAlarmTopic: first.alarmTopic });
    const { json } = synthesize(stack);
    expect(blocksOf(json, "aws_sns_topic")).toHaveLength(1);
    const alarms = blocksOf(json, "aws_cloudwatch_metric_alarm");
    // The topic's key admits alarms by name: the second pattern's names too, or its alarms could not publish.
    const keyPolicy = Object.values(json.data.aws_iam_policy_document).find((d) => JSON.stringify(d).includes("cloudwatch.amazonaws.com"));
    const sourceArns = (keyPolicy?.statement as { condition?: { variable: string; values: string[] }[] }[]).flatMap((st) => st.condition ?? []).find((c) => c.variable === "aws:SourceArn")?.values;
    expect(sourceArns).toEqual([expect.stringMatching(/:alarm:mine-orders-\*$/), expect.stringMatching(/:alarm:mine-payments-\*$/)]);
    const topic = Object.keys(json.resource.aws_sns_topic)[0];
    expect(alarms.length).toBeGreaterThan(10);
    for (const alarm of alarms) expect(alarm.alarm_actions).toEqual([`\${aws_sns_topic.${topic}.arn}`]);
    expect(new Set(alarms.map((a) => a.alarm_name)).size).toBe(alarms.length);
  });

  test("declare their variables under their own prefixes when asked", () => {
    const stack = userStack();
    new KinesisIngest(stack, "orders", { variables: { prefix: "orders_" } });
    new KinesisIngest(stack, "payments", { variables: { prefix: "payments_" } });
    const names = Object.keys(synthesize(stack).json.variable);
    expect(names).toEqual(expect.arrayContaining(["orders_stream_retention_hours", "payments_stream_retention_hours", "orders_throttling_rate_limit"]));
    expect(names.filter((n) => !n.startsWith("orders_") && !n.startsWith("payments_"))).toEqual([]);
  });
});

describe("KinesisIngest on a stream and table the user has", () => {
  const stream = { name: "orders-stream", arn: "arn:aws:kinesis:eu-west-1:123456789012:stream/orders-stream" };
  const table = { name: "orders", arn: "arn:aws:dynamodb:eu-west-1:123456789012:table/orders" };

  test("creates neither, and grants on the given ARNs only", () => {
    const stack = userStack();
    new KinesisIngest(stack, "orders", { existingStream: stream, existingTable: table });
    const { json } = synthesize(stack);
    expect(blocksOf(json, "aws_kinesis_stream")).toEqual([]);
    expect(blocksOf(json, "aws_dynamodb_table")).toEqual([]);
    const consumer = policyStatements(json, "orders_handler_policy_document");
    expect(consumer.find((s) => s.sid === "WriteTable")?.resources).toEqual([table.arn]);
    expect(consumer.find((s) => s.sid === "ReadStream")?.resources).toEqual([stream.arn]);
    expect(blocksOf(json, "aws_lambda_event_source_mapping")[0].event_source_arn).toBe(stream.arn);
  });

  test("refuses an existing resource together with overrides of a new one, naming both", () => {
    expect(() => new KinesisIngest(userStack(), "orders", { existingTable: table, tableProps: { billingMode: "PROVISIONED" } })).toThrow(
      "mine/orders: either existingTable or tableProps, not both.",
    );
    expect(() => new KinesisIngest(userStack(), "orders", { existingStream: stream, streamProps: { shardCount: 2 } })).toThrow(
      "either existingStream or streamProps, not both.",
    );
  });

  test("merges overrides over the defaults: the user's value wins, the others stay", () => {
    const stack = userStack();
    new KinesisIngest(stack, "orders", { tableProps: { billingMode: "PROVISIONED", readCapacity: 5, writeCapacity: 5 }, streamProps: { shardCount: 3 } });
    const { text } = synthesize(stack);
    expect(text).toHaveResourceWithProperties(DynamodbTable, { billing_mode: "PROVISIONED", point_in_time_recovery: { enabled: true } });
    expect(text).toHaveResourceWithProperties(KinesisStream, { shard_count: 3, encryption_type: "KMS" });
  });
});

test("tracing (off by default) turns on Lambda active tracing and the REST stage's X-Ray, and only then grants X-Ray writes", () => {
  const off = synthesize((() => { const s = userStack(); new KinesisIngest(s, "orders"); return s; })()).json;
  expect(blocksOf(off, "aws_lambda_function")[0].tracing_config).toBeUndefined();
  expect(blocksOf(off, "aws_api_gateway_stage")[0].xray_tracing_enabled).toBeUndefined();
  const stack = userStack();
  new KinesisIngest(stack, "orders", { tracing: true });
  const { json } = synthesize(stack);
  expect(blocksOf(json, "aws_lambda_function")[0].tracing_config).toEqual({ mode: "Active" });
  expect(blocksOf(json, "aws_api_gateway_stage")[0].xray_tracing_enabled).toBe(true);
  expect(policyStatements(json, "orders_handler_policy_document").flatMap((s) => s.actions ?? [])).toEqual(expect.arrayContaining(["xray:PutTraceSegments"]));
});

test("with variables on, tracing is the bool variable <prefix>tracing (default: the prop), deciding mode, stage X-Ray and the X-Ray statement at plan time", () => {
  const stack = userStack();
  new KinesisIngest(stack, "orders", { tracing: true, variables: { prefix: "orders_" } });
  const { json } = synthesize(stack);
  expect(json.variable?.orders_tracing).toEqual(expect.objectContaining({ type: "bool", default: true }));
  expect(blocksOf(json, "aws_lambda_function")[0].tracing_config).toEqual({ mode: '${var.orders_tracing ? "Active" : "PassThrough"}' });
  expect(blocksOf(json, "aws_api_gateway_stage")[0].xray_tracing_enabled).toBe("${var.orders_tracing}");
  expect(policyStatements(json, "orders_handler_policy_document").flatMap((s) => s.actions ?? [])).not.toContain("xray:PutTraceSegments");
  const doc = Object.entries(json.data?.aws_iam_policy_document ?? {}).find(([name]) => name.startsWith("orders_handler_policy_document"))?.[1];
  expect(doc?.dynamic).toEqual({
    statement: expect.objectContaining({ for_each: '${var.orders_tracing ? ["WriteTraces"] : []}', content: expect.objectContaining({ resources: ["*"] }) }),
  });
});
