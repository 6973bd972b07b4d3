/**
 * The capacity planner (scripts/capacity): the model per component against
 * hand-computed cases, `--set` against the same change synthesized through
 * the stack class, the price table's sources and dates, and the CLI's
 * one-line errors. Stacks are synthesized in memory (Testing.synth).
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { Testing } from "cdktf";
import { defaultDeployment } from "../config";
import { STACKS } from "../main";
import { breakEven, frontDoorCost } from "../tools/capacity/cost";
import { evaluateCondition, HclValue, Unsupported } from "../tools/emulator/terraform-expression";
import { FLAG_OPTIONS, main, USAGE, VALUE_OPTIONS } from "../tools/capacity/index";
import { LIMITS } from "../tools/capacity/limits";
import { analyse } from "../tools/capacity/analysis";
import { buildModel, TrafficOptions } from "../tools/capacity/model";
import { plan, verdict } from "../tools/capacity/plan";
import { HOURS_PER_MONTH, PRICES, priceEntries, REGIONS, SECONDS_PER_MONTH, undatedOrUnsourced } from "../tools/capacity/prices";
import { formatPlan } from "../tools/capacity/report";
import { applySets, CapacityError, checkSets, parseSet } from "../tools/capacity/stack";
import { readTopology } from "../tools/capacity/topology";
import { evaluate, numberSetting, resolveLiterals, stackFromJson, type SynthesizedStack } from "../tools/emulator/synth";
import { EventLogApiStack, EventLogApiStackProps } from "../stacks/event-log-api";
import { KinesisIngestStack, KinesisIngestStackProps } from "../stacks/kinesis-ingest";
import { MediaAlbStack } from "../stacks/media-alb";
import { WebhookProxyStack, WebhookProxyStackProps } from "../stacks/webhook-proxy";

const deployment = defaultDeployment;
const asStack = (id: string, text: string): SynthesizedStack => stackFromJson(id, text);
const kinesisIngest = (props: Partial<KinesisIngestStackProps> = {}): SynthesizedStack =>
  asStack("kinesis-ingest", Testing.synth(new KinesisIngestStack(Testing.app(), "kinesis-ingest", { deployment, ...props })));
const eventLogApi = (props: Partial<EventLogApiStackProps> = {}): SynthesizedStack =>
  asStack("event-log-api", Testing.synth(new EventLogApiStack(Testing.app(), "event-log-api", { deployment, ...props })));
const webhookProxy = (props: Partial<WebhookProxyStackProps> = {}): SynthesizedStack =>
  asStack("webhook-proxy", Testing.synth(new WebhookProxyStack(Testing.app(), "webhook-proxy", { deployment, ...props })));

/** The shared usage error (tools/cli.ts): one write, `capacity: <one line>`, then the usage text; no stack trace. */
function expectUsageError(stderr: string[], message: RegExp): void {
  expect(stderr).toHaveLength(1);
  const [first, ...rest] = stderr[0].split("\n");
  expect(first).toMatch(/^capacity: /);
  expect(first).toMatch(message);
  expect(rest.join("\n")).toBe(`${USAGE}\n`);
}

const traffic = (over: Partial<TrafficOptions>): TrafficOptions => ({ rps: 1, payloadKb: 1, durationMs: 100, upstreamLatencyMs: 100, clients: 1, ...over });
const cost = { region: "ap-northeast-1" as const, requestsPerConnection: 1, responseKb: 1 };
const set = (stack: SynthesizedStack, ...lines: string[]): SynthesizedStack => applySets(stack, lines.map(parseSet));

let kinesis: SynthesizedStack;
let eventLog: SynthesizedStack;
let webhook: SynthesizedStack;

beforeAll(() => {
  kinesis = kinesisIngest();
  eventLog = eventLogApi();
  webhook = webhookProxy();
}, 120_000);

/** The stage's and each API key's throttles raised, so the stream behind them is what a case measures. */
const OPEN_FRONT_DOOR = [
  "throttling_rate_limit=5000",
  "throttling_burst_limit=5000",
  "client_throttling_rate_limit=5000",
  "client_throttling_burst_limit=5000",
  "client_daily_quota=1000000000",
];

describe("model per component, against hand-computed cases", () => {
  it("1 shard at 1,500 records/s of 2 KB: the shard's 1 MB/s is the bottleneck (512/s); 3 shards hold it, 6 a 3,000/s peak", () => {
    // Stage and per-client throttles raised so the stream is the question: 1,024 KB/s / 2 KB = 512 records/s per shard.
    const stack = set(kinesis, ...OPEN_FRONT_DOOR);
    const a = verdict(stack, traffic({ rps: 1500, payloadKb: 2 }));
    expect(a.bottleneck.id).toBe("kinesis:write");
    expect(a.bottleneck.capacity).toBe(512);
    expect(a.refusedRps).toBe(1500 - 512);
    expect(a.bottleneck.symptom).toMatch(/ProvisionedThroughputExceeded/);
    expect(verdict(set(stack, "aws_kinesis_stream.stream.shard_count=3"), traffic({ rps: 1500, payloadKb: 2 })).holds).toBe(true);
    expect(verdict(set(stack, "aws_kinesis_stream.stream.shard_count=2"), traffic({ rps: 1500, payloadKb: 2 })).holds).toBe(false);
    // A 3,000/s peak for 10 s: ceil(3000 / 512) = 6 shards, the smallest change the planner proposes.
    const p = plan(stack, traffic({ rps: 1500, payloadKb: 2, burstRps: 3000, burstSeconds: 10 }), cost);
    expect(p.fixes.sets).toContain("aws_kinesis_stream.stream.shard_count=6");
    expect(p.fixes.verified).toBe(true);
  });

  it("a saturated stream's symptom is what the stack answers: 429 from its integration response template, read from the synth", () => {
    const stack = set(kinesis, ...OPEN_FRONT_DOOR);
    const symptom = verdict(stack, traffic({ rps: 1500, payloadKb: 2 })).bottleneck.symptom;
    expect(symptom).toMatch(/^429 from the API \("Too many requests: the stream is throttling writes\. Retry with backoff\."\): PutRecord fails with ProvisionedThroughputExceededException$/);
    // The same stack with its template mapping throttling to 503 instead: the report follows the synth, it does not restate it.
    const json = structuredClone(stack.json) as { resource: Record<string, Record<string, { response_templates?: Record<string, string> }>> };
    for (const response of Object.values(json.resource.aws_api_gateway_integration_response)) {
      const template = response.response_templates?.["application/json"];
      if (template) response.response_templates!["application/json"] = template.replace("responseOverride.status = 429", "responseOverride.status = 503");
    }
    const changed = verdict(stackFromJson("kinesis-ingest", json), traffic({ rps: 1500, payloadKb: 2 })).bottleneck.symptom;
    expect(changed).toMatch(/^503 from the API /);
  });

  it("small records are bounded by 1,000 records/s per shard, not by bytes", () => {
    const a = verdict(kinesis, traffic({ rps: 100, payloadKb: 0.5 }));
    const write = a.components.find((c) => c.id === "kinesis:write")!;
    expect(write.capacity).toBe(LIMITS.kinesisShardWriteRecords.value);
  });

  it("the stream consumer drains shards x parallelization x batch / duration, and a backlog grows past it", () => {
    // 2 shards (4,000 records/s of writes at 0.5 KB... capped at 1,000 each), consumer: 2 x 1 x 100 / 0.2 s = 1,000/s.
    const stack = set(kinesis, ...OPEN_FRONT_DOOR, "aws_kinesis_stream.stream.shard_count=2");
    const a = verdict(stack, traffic({ rps: 1500, payloadKb: 0.5, durationMs: 200 }));
    const consumer = a.components.find((c) => c.id.startsWith("consumer:"))!;
    expect(consumer.capacity).toBe(1000);
    expect(a.bottleneck.id).toBe(consumer.id);
    expect(a.backlogGrowthRps).toBe(500);
    // maximum_record_age_in_seconds 3,600: the oldest waiting record reaches it after 3,600 x 1,000 / 500 s.
    expect(a.secondsToMaxAge).toBeCloseTo(7200, 6);
    expect(verdict(set(stack, "aws_lambda_event_source_mapping.trigger.parallelization_factor=2"), traffic({ rps: 1500, payloadKb: 0.5, durationMs: 200 })).holds).toBe(true);
  });

  it("event-log-api's PROVISIONED 1/1 table refuses all but 1 write/s; a burst spends its 300 s of burst capacity first", () => {
    const a = verdict(eventLog, traffic({ rps: 5 }));
    expect(a.bottleneck.id).toBe("dynamodb:dev-EventLog");
    expect(a.bottleneck.capacity).toBe(1);
    expect(a.refusedRps).toBe(4);
    // 8 requests/s for 60 s (the stage holds 10/s): 480 offered; the table admits 300 x 1 WCU of burst + 60 x 1 = 360.
    const burst = verdict(eventLog, traffic({ rps: 0, burstRps: 8, burstSeconds: 60 })).burst!;
    expect(burst.refused["apigateway:stage"]).toBe(0);
    expect(Math.abs(burst.refused["dynamodb:dev-EventLog"] - 120)).toBeLessThanOrEqual(2);
  });

  it("webhook-proxy: reserved concurrency 1 and a 100 ms upstream deliver 10/s; a burst of 100 drains in about 9 s", () => {
    const a = verdict(webhook, traffic({ rps: 20, upstreamLatencyMs: 100 }));
    const consumer = a.components.find((c) => c.id.startsWith("consumer:"))!;
    expect(consumer.capacity).toBe(10);
    expect(a.backlogGrowthRps).toBe(10);
    expect(a.notes.join("\n")).toMatch(/below the 5 batches/);
    // 100 webhooks in 1 s, then none: about 10 delivered during the second, 90 left at 10/s.
    const burst = verdict(webhook, traffic({ rps: 0, burstRps: 100, burstSeconds: 1, upstreamLatencyMs: 100 })).burst!;
    expect(Math.abs(burst.backlogPeak - 90)).toBeLessThanOrEqual(1);
    expect(burst.drainSeconds).toBeCloseTo(9, 0);
    // The upstream's own rate bounds delivery when it is lower.
    const slow = verdict(set(webhook, "reserved_concurrent_executions=10"), traffic({ rps: 20, upstreamRps: 15 }));
    expect(slow.bottleneck.id).toBe("upstream");
    expect(slow.backlogGrowthRps).toBe(5);
  });

  it("Lambda concurrency: reserved / duration / the function's share of requests", () => {
    const media = asStack("media-alb", Testing.synth(new MediaAlbStack(Testing.app(), "media-alb", { deployment })));
    const fn = readTopology(media).frontFunctions[0].fn;
    const a = verdict(set(media, `${fn.address}.reserved_concurrent_executions=10`), traffic({ rps: 150 }));
    const lambda = a.components.find((c) => c.id === `lambda:${fn.name}`)!;
    expect(lambda.capacity).toBe(10 / 0.1 / 0.5);
    expect(a.holds).toBe(true);
    expect(a.components.find((c) => c.id === "alb")!.capacity).toBe(Number.POSITIVE_INFINITY);
  });

  it("the stage throttle: rate and token bucket, refusing with 429", () => {
    // HTTP API stage 10/s, burst 20, for 10 s at 15/s: 20 + 10 x 10 = 120 admitted, 30 refused.
    const burst = verdict(set(eventLog, "aws_dynamodb_table.table.write_capacity=100"), traffic({ rps: 0, burstRps: 15, burstSeconds: 10 })).burst!;
    expect(Math.abs(burst.refused["apigateway:stage"] - 30)).toBeLessThanOrEqual(1);
    expect(analyse(buildModel(readTopology(eventLog), traffic({ rps: 1 })), traffic({ rps: 1 })).components[1].symptom).toMatch(/429/);
  });

  it("ALB vs REST API break-even, hand-computed for ap-northeast-1 (1 KB in, 1 KB out, a connection per request)", () => {
    const p = PRICES["ap-northeast-1"];
    // ALB: 730 h x $/h + 730 x $/LCU-h x r/25 (new connections dominate); REST: r x seconds/month / 1e6 x $/M.
    const alb = HOURS_PER_MONTH * p.albHour.usd;
    const perRpsAlb = (HOURS_PER_MONTH * p.albLcuHour.usd) / LIMITS.albLcuNewConnections.value;
    const perRpsRest = (SECONDS_PER_MONTH / 1e6) * p.restApiPerMillion[0].price.usd;
    const expected = alb / (perRpsRest - perRpsAlb);
    const be = breakEven("rest", traffic({}), cost, 2);
    expect(be.rps).toBeCloseTo(expected, 4);
    expect(frontDoorCost("alb", be.rps!, traffic({}), cost, 2).usdPerMonth).toBeCloseTo(frontDoorCost("rest", be.rps!, traffic({}), cost).usdPerMonth, 4);
  });
});

describe("a burst: what it adds, and the verdict with it", () => {
  it("event-log-api at 2/s with a 5/s burst for 10 s: the burst adds its 30 extra requests to the refusals, not an hour of the steady rate's", () => {
    // Steady 2/s against 1 WCU: the table's burst capacity is long spent, 1/s refused. The burst brings (5 - 2) x 10 = 30
    // more requests; the stage (10/s) passes them, the table still serves 1/s: all 30 refused on top of the steady 10.
    const a = verdict(eventLog, traffic({ rps: 2, burstRps: 5, burstSeconds: 10 }));
    const burst = a.burst!;
    expect(burst.extraRequests).toBe(30);
    expect(burst.refused["dynamodb:dev-EventLog"]).toBe(30);
    expect(burst.refused["apigateway:stage"]).toBe(0);
    expect(burst.steadyRefused).toBe(10);
    expect(burst.drainSeconds).toBe(0); // no buffer
    const text = formatPlan(plan(eventLog, traffic({ rps: 2, burstRps: 5, burstSeconds: 10 }), cost));
    expect(text).toMatch(/burst: 5 requests\/s for 10 s, 30 requests above the steady rate: 30 refused at DynamoDB dev-EventLog \(PROVISIONED writes\) \(beyond the 10 the steady rate alone has refused in those 10 s\)/);
  });

  it("kinesis-ingest stream, steady 250/s drained at 500/s: a 900/s burst for 10 s leaves 4,000 waiting, drained in 16 s, 8 s the longest wait", () => {
    // 1 shard x 100 records / 200 ms = 500/s of drain. Burst: (900 - 500) x 10 = 4,000 behind; after it, (500 - 250)/s: 16 s.
    const stack = set(kinesis, ...OPEN_FRONT_DOOR);
    const t = traffic({ rps: 250, durationMs: 200, burstRps: 900, burstSeconds: 10 });
    const a = verdict(stack, t);
    const burst = a.burst!;
    expect(Object.values(burst.refused).every((n) => n === 0)).toBe(true);
    expect(Math.abs(burst.backlogPeak - 4000)).toBeLessThanOrEqual(1);
    expect(Math.abs(burst.drainSeconds - 16)).toBeLessThanOrEqual(0.2);
    expect(burst.longestWaitS).toBeCloseTo(8, 2);
    expect(a.holds).toBe(true);
  });

  it("webhook-proxy queue, steady 20/s delivered at 10/s: the burst adds (500 - 20) x 10 = 4,800 to a backlog that never drains, not an hour's growth", () => {
    const a = verdict(webhook, traffic({ rps: 20, burstRps: 500, burstSeconds: 10 }));
    expect(a.steadyHolds).toBe(false);
    expect(Math.abs(a.burst!.backlogPeak - 4800)).toBeLessThanOrEqual(1);
    expect(a.burst!.drainSeconds).toBe(Number.POSITIVE_INFINITY);
    expect(a.burst!.longestWaitS).toBeCloseTo(480, 0);
  });

  it("kinesis-ingest at 100/s holds, its 3,000/s burst does not: the verdict says so and the smallest change holds both", () => {
    // Stage 1,000/s with a bucket of 2,000: of 30,000 requests in 10 s it passes 2,000 + 10,000 and refuses 18,000.
    const t = traffic({ rps: 100, burstRps: 3000, burstSeconds: 10 });
    const a = verdict(kinesis, t);
    expect(a.steadyHolds).toBe(true);
    expect(a.burst!.holds).toBe(false);
    expect(a.holds).toBe(false);
    expect(Math.abs(a.burst!.refused["apigateway:stage"] - 18000)).toBeLessThanOrEqual(1);
    const p = plan(kinesis, t, cost);
    const text = formatPlan(p);
    expect(text).toMatch(/^verdict: does NOT hold the burst of 3,000 requests\/s for 10 s: /m);
    expect(text).not.toMatch(/^verdict: holds/m);
    expect(p.fixes.sets).toEqual(expect.arrayContaining(["throttling_rate_limit=3000", "aws_kinesis_stream.stream.shard_count=3"]));
    expect(p.fixes.verified).toBe(true);
    expect(verdict(set(kinesis, ...p.fixes.sets), t).holds).toBe(true);
  });

  it("a burst absorbed by the stage's token bucket holds, and the verdict names it", () => {
    // Stage 1,000/s, bucket 2,000: 1,500/s for 2 s is 3,000 requests against 2,000 + 2 x 1,000: none refused.
    const t = traffic({ rps: 100, burstRps: 1500, burstSeconds: 2 });
    const stack = set(kinesis, "client_throttling_rate_limit=2000", "client_throttling_burst_limit=2000", "aws_kinesis_stream.stream.shard_count=2");
    const p = plan(stack, t, cost);
    expect(p.analysis.holds).toBe(true);
    expect(p.fixes.sets).toEqual([]);
    expect(formatPlan(p)).toMatch(/^verdict: holds 100 requests\/s \(.*\) and the burst of 1,500 requests\/s for 2 s$/m);
  });

  it("a burst whose backlog outlives the stream's maximum record age does not hold; the change drains it in time", () => {
    // Drain 1 shard x 100 / 1 s = 100/s. 1,000/s for 600 s leaves 540,000 waiting: 5,400 s > maximum_record_age 3,600 s.
    const stack = set(kinesis, ...OPEN_FRONT_DOOR);
    const t = traffic({ rps: 50, durationMs: 1000, burstRps: 1000, burstSeconds: 600 });
    const a = verdict(stack, t);
    expect(a.steadyHolds).toBe(true);
    expect(a.burst!.passesMaxAge).toBe(true);
    expect(a.burst!.longestWaitS).toBeCloseTo(5400, -1);
    expect(a.holds).toBe(false);
    // Needed: drain D with (1,000 - D) x 600 / D < 3,600, D > 143/s: parallelization 2 (200/s).
    const p = plan(stack, t, cost);
    expect(p.fixes.sets).toEqual(["aws_lambda_event_source_mapping.trigger.parallelization_factor=2"]);
    expect(p.fixes.verified).toBe(true);
  }, 30_000);
});

describe("--set checks each variable's validation, as terraform plan would", () => {
  it("refuses what the validation refuses, with the variable's own error_message", () => {
    expect(() => set(webhook, "reserved_concurrent_executions=-1")).toThrow(/reserved_concurrent_executions must be a whole number >= 1/);
    expect(() => set(webhook, "reserved_concurrent_executions=2.5")).toThrow(CapacityError);
    expect(() => set(kinesis, "stream_retention_hours=1")).toThrow(/stream_retention_hours must be a whole number in 73\.\.8760/);
    expect(() => set(kinesis, "stream_retention_hours=9000")).toThrow(CapacityError);
    expect(() => set(kinesis, "api_logging_level=DEBUG")).toThrow(/api_logging_level must be OFF, ERROR or INFO/);
    expect(() => set(webhook, "upstream=https://example.com")).toThrow(/upstream must be a host name/);
    expect(() => set(eventLog, "throttling_rate_limit=0")).toThrow(/throttling_rate_limit must be > 0/);
    // Accepted values pass, typed as declared.
    expect(set(kinesis, "stream_retention_hours=73").json.variable!.stream_retention_hours.default).toBe(73);
    expect(set(webhook, "upstream=example.com:8443/hook").json.variable!.upstream.default).toBe("example.com:8443/hook");
    expect(set(kinesis, "api_logging_level=INFO").json.variable!.api_logging_level.default).toBe("INFO");
  });

  it("refuses a value of the wrong type in one line", () => {
    expect(() => set(webhook, "reserved_concurrent_executions=abc")).toThrow(/the variable is a number, got "abc"/);
    expect(() => set(kinesis, "api_clients=a")).toThrow(/is a set\(string\)/);
  });

  it("says so when a condition cannot be evaluated, rather than passing it silently", () => {
    const json = structuredClone(webhook.json) as { variable: Record<string, { validation?: { condition: string; error_message: string }[] }> };
    json.variable.reserved_concurrent_executions.validation = [{ condition: "${startswith(tostring(var.reserved_concurrent_executions), \"1\")}", error_message: "x" }];
    const odd = { ...webhook, json: json as SynthesizedStack["json"] };
    const { unchecked } = checkSets(odd, [parseSet("reserved_concurrent_executions=2")]);
    expect(unchecked).toHaveLength(1);
    expect(unchecked[0]).toMatch(/reserved_concurrent_executions=2: its validation .* was NOT checked \(cannot evaluate the function startswith\(\)/);
    expect(plan(odd, traffic({ rps: 5 }), cost, [parseSet("reserved_concurrent_executions=2")]).analysis.notes[0]).toMatch(/NOT checked/);
  });

  it("evaluates every validation condition every stack writes (none is left unchecked)", () => {
    const sample = (type: unknown): HclValue => (type === "number" ? 1 : type === "bool" ? true : String(type).startsWith("set") || String(type).startsWith("list") ? ["a"] : "example.com");
    let conditions = 0;
    for (const entry of STACKS) {
      const id = entry.id;
      const json = JSON.parse(Testing.synth(entry.build(Testing.app(), deployment))) as { variable?: Record<string, { type?: string; default?: HclValue; validation?: { condition: string }[] }> };
      for (const [name, variable] of Object.entries(json.variable ?? {})) {
        for (const { condition } of variable.validation ?? []) {
          conditions++;
          const value = variable.default ?? sample(variable.type);
          const result = evaluateCondition(condition, (n) => (n === name ? value : (json.variable?.[n]?.default ?? null)));
          // A default always passes its own validation; a sample value just has to evaluate.
          if (variable.default !== undefined) expect([id, name, result]).toEqual([id, name, true]);
          else expect(typeof result).toBe("boolean");
        }
      }
    }
    expect(conditions).toBeGreaterThan(20);
  }, 120_000);

  it("the evaluator: the forms blocks/variables.ts writes, Terraform's semantics, and what it refuses to guess", () => {
    const vars = (x: HclValue) => (name: string): HclValue => (name === "x" ? x : null);
    expect(evaluateCondition("${var.x > 0}", vars(1))).toBe(true);
    expect(evaluateCondition("${var.x > 0}", vars(0))).toBe(false);
    expect(evaluateCondition("${var.x >= 1 && var.x <= 10 && floor(var.x) == var.x}", vars(10))).toBe(true);
    expect(evaluateCondition("${var.x >= 1 && var.x <= 10 && floor(var.x) == var.x}", vars(1.5))).toBe(false);
    expect(evaluateCondition('${can(regex("^([a-z0-9]([a-z0-9-]*[a-z0-9])?\\\\.)+[a-z]{2,63}$", var.x))}', vars("example.com"))).toBe(true);
    expect(evaluateCondition('${can(regex("^([a-z0-9]([a-z0-9-]*[a-z0-9])?\\\\.)+[a-z]{2,63}$", var.x))}', vars("examplexcom"))).toBe(false);
    expect(evaluateCondition('${contains(["OFF","ERROR","INFO"], var.x)}', vars("INFO"))).toBe(true);
    expect(evaluateCondition('${contains(["OFF","ERROR","INFO"], var.x)}', vars("info"))).toBe(false);
    expect(evaluateCondition('${alltrue([for item in var.x : can(regex("^[a-z]+$", item))])}', vars(["a", "b"]))).toBe(true);
    expect(evaluateCondition('${alltrue([for item in var.x : can(regex("^[a-z]+$", item))])}', vars(["a", "B"]))).toBe(false);
    expect(evaluateCondition("${!(var.x == 3) || -var.x < -2}", vars(3))).toBe(true);
    expect(evaluateCondition("${var.x == 1 ? true : false}", vars(1))).toBe(true);
    expect(() => evaluateCondition("${startswith(var.x, \"a\")}", vars("a"))).toThrow(Unsupported);
    expect(() => evaluateCondition("${local.limit > var.x}", vars(1))).toThrow(Unsupported);
    // Templates inside an expression: one interpolation alone keeps its type, text around it makes a string.
    expect(evaluateCondition('${var.x == "${var.x}"}', vars(1))).toBe(true);
    expect(evaluateCondition('${"v${var.x}" == "v1"}', vars(1))).toBe(true);
    expect(() => evaluateCondition('${"%{ if var.x }y%{ endif }" == "y"}', vars(true))).toThrow(Unsupported);
    expect(() => evaluateCondition('${"a${var.x}" == "a"}', vars(null))).toThrow(/interpolates null/);
    expect(() => evaluateCondition('${can(regex("(?P<n>a)", var.x))}', vars("a"))).toThrow(Unsupported);
    // A type error is Terraform's error too (it refuses the plan), not a silent pass.
    expect(() => evaluateCondition("${var.x > 0}", vars("abc"))).toThrow(/a number is required/);
  });
});

describe("the one evaluator on a stack's values (tools/emulator/terraform-expression.ts through the reader)", () => {
  const stack = stackFromJson("demo", {
    variable: { zone_name: { default: "example.com" }, origins: { default: " " }, n: { default: 3 }, clients: { default: ["b", "a", "b"] } },
    locals: { fn: "dev-${var.zone_name}" },
    resource: { aws_sqs_queue: { q: { name: "${local.fn}-queue" } }, aws_kinesis_stream: { s: { name: "dev-stream" } } },
  });

  it("templates, locals, literal attributes of other resources, functions, as Terraform reads them", () => {
    expect(evaluate(stack, '${coalesce(trimspace(var.origins), "https://${replace(var.zone_name, ".", "[.]")}")}')).toBe("https://example[.]com");
    expect(evaluate(stack, "${aws_sqs_queue.q.name}")).toBe("dev-example.com-queue");
    expect(resolveLiterals(stack, '{"StreamName": "${aws_kinesis_stream.s.name}", "n": ${var.n}}')).toBe('{"StreamName": "dev-stream", "n": 3}');
    // `$${` is a literal `${` (Velocity's formal references survive); one interpolation keeps its type.
    expect(resolveLiterals(stack, "$${input.body} ${var.n}")).toBe("${input.body} 3");
    expect(evaluate(stack, "${var.n >= 2 ? min(var.n, 2) : 20}")).toBe(2);
    expect(evaluate(stack, "${toset(var.clients)}")).toEqual(["a", "b"]);
    expect(numberSetting(stack, "${var.n * 10}", "n", { vars: { n: 5 } })).toBe(50);
  });

  it("what is known only after apply, or not evaluated here, is an error naming the expression, never a guess", () => {
    expect(() => evaluate(stack, "${aws_sqs_queue.q.arn}")).toThrow(/demo: .*aws_sqs_queue\.q\.arn.*known only after apply/);
    expect(() => evaluate(stack, "${var.missing}")).toThrow(/demo: variable missing has no default/);
    expect(() => evaluate(stack, "${path.module}/x.zip")).toThrow(/demo: cannot evaluate .*path\.module/);
    expect(() => numberSetting(stack, "${var.zone_name}", "zone")).toThrow(/zone is not a number/);
  });
});

describe("webhook-proxy: the upstream as the true bottleneck", () => {
  const t = traffic({ rps: 200, upstreamRps: 100, upstreamLatencyMs: 50 });

  it("says so in a note and never suggests more concurrency than the upstream takes", () => {
    // At 50 ms a delivery, the upstream's 100/s takes 100 x 0.05 = 5 concurrent deliveries: no more.
    const p = plan(webhook, t, cost);
    expect(p.fixes.sets).toEqual(["reserved_concurrent_executions=5"]);
    expect(p.fixes.verified).toBe(false);
    expect(p.analysis.notes.join("\n")).toMatch(/the upstream application is the bottleneck no setting of this stack changes: it takes 100 of the 200 requests\/s/);
    expect(p.fixes.notes.join("\n")).toMatch(/upstream application: the true bottleneck/);
    expect(p.fixes.notes.join("\n")).toMatch(/with it applied: the backlog grows by 100 requests\/s at .*upstream application/);
    const text = formatPlan(p);
    expect(text).not.toMatch(/reserved_concurrent_executions=(1[0-9]|[6-9])\b/);
  });

  it("without an upstream limit, the change is what the steady rate and the burst need, with no float error (220 x 0.05 = 11, not 12)", () => {
    const p = plan(webhook, traffic({ rps: 200, upstreamLatencyMs: 50, burstRps: 400, burstSeconds: 10 }), cost);
    expect(p.fixes.sets).toEqual(["reserved_concurrent_executions=11"]);
    expect(p.fixes.verified).toBe(true);
  });
});

describe("--set changes the verdict exactly as the same change synthesized", () => {
  const cases: [string, () => SynthesizedStack, () => SynthesizedStack, string, TrafficOptions][] = [
    ["kinesis-ingest shardCount 6", () => kinesis, () => kinesisIngest({ shardCount: 6 }), "aws_kinesis_stream.stream.shard_count=6", traffic({ rps: 900, payloadKb: 2 })],
    ["kinesis-ingest batchSize 10", () => kinesis, () => kinesisIngest({ batchSize: 10 }), "aws_lambda_event_source_mapping.trigger.batch_size=10", traffic({ rps: 900 })],
    ["event-log-api writeCapacity 5", () => eventLog, () => eventLogApi({ writeCapacity: 5 }), "aws_dynamodb_table.table.write_capacity=5", traffic({ rps: 5 })],
    ["event-log-api throttling 50", () => eventLog, () => eventLogApi({ throttlingRateLimit: 50 }), "throttling_rate_limit=50", traffic({ rps: 30 })],
    [
      "webhook-proxy reserved 4",
      () => webhook,
      () => webhookProxy({ reservedConcurrentExecutions: 4 }),
      "reserved_concurrent_executions=4",
      traffic({ rps: 30, burstRps: 200, burstSeconds: 5 }),
    ],
  ];
  it.each(cases)("%s", (_, base, synthesized, line, t) => {
    const before = verdict(base(), t);
    const viaSet = verdict(set(base(), line), t);
    const viaSynth = verdict(synthesized(), t);
    expect(viaSet).toEqual(viaSynth);
    expect(viaSet).not.toEqual(before); // the change matters at this traffic
  }, 60_000);

  it("refuses a name that is neither a variable nor a resource attribute", () => {
    expect(() => set(webhook, "no_such_variable=1")).toThrow(CapacityError);
    expect(() => set(webhook, "aws_sqs_queue.nope.visibility_timeout_seconds=1")).toThrow(/unknown --set/);
  });
});

describe("price table and limits", () => {
  it("every price of every region has a source page and a date read", () => {
    for (const region of REGIONS) {
      const entries = priceEntries(region);
      expect(entries.length).toBeGreaterThan(15);
      expect(undatedOrUnsourced(entries)).toEqual([]);
    }
  });

  it("every limit has a source page and a date read", () => {
    expect(undatedOrUnsourced(Object.entries(LIMITS))).toEqual([]);
  });

  it("the check catches an entry without a source or a date", () => {
    const good = priceEntries("us-east-1")[0][1];
    expect(undatedOrUnsourced([["good", good], ["no source", { ...good, source: "" }], ["no date", { ...good, read: "" }]])).toEqual(["no source", "no date"]);
  });
});

describe("CLI errors: one line, exit 2", () => {
  let stderr: string[];
  beforeEach(() => {
    stderr = [];
    jest.spyOn(process.stderr, "write").mockImplementation((chunk: string | Uint8Array) => {
      stderr.push(String(chunk));
      return true;
    });
    jest.spyOn(process.stdout, "write").mockImplementation(() => true);
  });
  afterEach(() => jest.restoreAllMocks());

  it.each([
    [["no-such-stack", "--rps", "10"], /unknown stack "no-such-stack"/],
    [["webhook-proxy", "--rps", "ten"], /--rps needs a non-negative number, got "ten"/],
    [["webhook-proxy", "--rps", "-5"], /--rps needs/],
    [["webhook-proxy", "--rps", "10", "--payload-kb", "0"], /--payload-kb needs a positive number/],
    [["webhook-proxy", "--rps", "10", "--burst", "100"], /--burst and --burst-seconds go together/],
    [["webhook-proxy", "--rps", "10", "--region", "mars-1"], /no price table for region "mars-1"/],
    [["webhook-proxy", "--rps", "10", "--synth-dir", "/nonexistent"], /not found: run `npm run synth` first/],
  ])("%j", (argv, message) => {
    expect(main(argv)).toBe(2);
    expectUsageError(stderr, message);
  });
});

describe("CLI: help, --name=value, --chart, and the flags documented", () => {
  let dir: string;
  let stdout: string[];
  let stderr: string[];
  beforeAll(() => {
    dir = mkdtempSync(path.join(tmpdir(), "capacity-cli-"));
    mkdirSync(path.join(dir, "stacks", "webhook-proxy"), { recursive: true });
    writeFileSync(path.join(dir, "stacks", "webhook-proxy", "cdk.tf.json"), JSON.stringify(webhook.json));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  beforeEach(() => {
    stdout = [];
    stderr = [];
    jest.spyOn(process.stdout, "write").mockImplementation((chunk: string | Uint8Array) => {
      stdout.push(String(chunk));
      return true;
    });
    jest.spyOn(process.stderr, "write").mockImplementation((chunk: string | Uint8Array) => {
      stderr.push(String(chunk));
      return true;
    });
  });
  afterEach(() => jest.restoreAllMocks());

  it.each([[["--help"]], [["-h"]], [["webhook-proxy", "--rps", "5", "--help"]]])("%j prints the usage and exits 0", (argv) => {
    expect(main(argv)).toBe(0);
    expect(stdout.join("")).toBe(`${USAGE}\n`);
    expect(stderr).toEqual([]);
  });

  it("no stack: the message, then the usage, exit 2", () => {
    expect(main([])).toBe(2);
    expect(stderr.join("")).toBe(`capacity: which stack? name one of ${STACKS.map((s) => s.id).join(", ")}\n${USAGE}\n`);
  });

  it.each([
    [["webhook-proxy", "--rps", "5", "--set", "reserved_concurrent_executions=abc"], /the variable is a number, got "abc"/],
    [["webhook-proxy", "--rps", "5", "--set", "reserved_concurrent_executions=-1"], /reserved_concurrent_executions must be a whole number >= 1/],
    [["webhook-proxy", "--rps", "5", "--json=yes"], /--json takes no value/],
    [["webhook-proxy", "--rps", "5", "--burst", "2", "--burst-seconds", "1"], /--burst 2 is below --rps 5/],
  ])("%j: one line, exit 2", (argv, message) => {
    expect(main([...argv, "--synth-dir", dir])).toBe(2);
    expectUsageError(stderr, message);
    expect(stdout).toEqual([]);
  });

  it("--name=value reads as --name value", () => {
    expect(main(["webhook-proxy", "--rps", "20", "--set", "reserved_concurrent_executions=3", "--synth-dir", dir])).toBe(0);
    const spaced = stdout.join("");
    stdout.length = 0;
    expect(main(["webhook-proxy", "--rps=20", "--set=reserved_concurrent_executions=3", `--synth-dir=${dir}`])).toBe(0);
    expect(stdout.join("")).toBe(spaced);
    expect(spaced).toMatch(/\(--set reserved_concurrent_executions=3\)/);
  });

  it("--chart creates its folder; a path that cannot be written fails before the report, in one line", () => {
    const chart = path.join(dir, "new", "folder", "c.svg");
    expect(main(["webhook-proxy", "--rps", "5", "--chart", chart, "--synth-dir", dir])).toBe(0);
    expect(readFileSync(chart, "utf8")).toMatch(/^<svg /);
    expect(stdout.join("")).toMatch(new RegExp(`chart: ${chart.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}\n$`));
    stdout.length = 0;
    const blocked = path.join(dir, "stacks", "webhook-proxy", "cdk.tf.json", "c.svg"); // under a file
    expect(main(["webhook-proxy", "--rps", "5", "--chart", blocked, "--synth-dir", dir])).toBe(2);
    expect(stdout).toEqual([]);
    expectUsageError(stderr, /^capacity: --chart .*: cannot write it \(/);
    expect(existsSync(blocked)).toBe(false);
  });

  it("every option the CLI accepts is in the usage text and in docs/capacity.md", () => {
    const docs = readFileSync(path.join(__dirname, "..", "docs", "capacity.md"), "utf8");
    for (const option of [...VALUE_OPTIONS, ...FLAG_OPTIONS]) {
      expect([option, USAGE.includes(option)]).toEqual([option, true]);
      const word = new RegExp(`(^|[\\s\`(\\[])${option}(?![a-z-])`, "m");
      expect([option, word.test(docs)]).toEqual([option, true]);
    }
  });
});
