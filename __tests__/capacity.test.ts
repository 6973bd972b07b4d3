/**
 * The capacity planner (scripts/capacity): the model per component against
 * hand-computed cases, `--set` against the same change synthesized through
 * the stack class, the price table's sources and dates, and the CLI's
 * one-line errors. Stacks are synthesized in memory (Testing.synth).
 */
import { Testing } from "cdktf";
import { defaultEnvironment } from "../config";
import { breakEven, frontDoorCost } from "../scripts/capacity/cost";
import { main } from "../scripts/capacity/index";
import { LIMITS } from "../scripts/capacity/limits";
import { analyse, buildModel, TrafficOptions } from "../scripts/capacity/model";
import { plan, verdict } from "../scripts/capacity/plan";
import { HOURS_PER_MONTH, PRICES, priceEntries, REGIONS, SECONDS_PER_MONTH, undatedOrUnsourced } from "../scripts/capacity/prices";
import { applySets, CapacityError, parseSet, readTopology } from "../scripts/capacity/stack";
import type { SynthesizedStack } from "../scripts/replay/synth";
import { EventLogApiStack, EventLogApiStackProps } from "../stacks/event-log-api";
import { KinesisIngestStack, KinesisIngestStackProps } from "../stacks/kinesis-ingest";
import { MediaAlbStack } from "../stacks/media-alb";
import { WebhookProxyStack, WebhookProxyStackProps } from "../stacks/webhook-proxy";

const env = defaultEnvironment;
const asStack = (id: string, text: string): SynthesizedStack => ({ id, dir: "", json: JSON.parse(text) as SynthesizedStack["json"] });
const kinesisIngest = (props: Partial<KinesisIngestStackProps> = {}): SynthesizedStack =>
  asStack("kinesis-ingest", Testing.synth(new KinesisIngestStack(Testing.app(), "kinesis-ingest", { env, ...props })));
const eventLogApi = (props: Partial<EventLogApiStackProps> = {}): SynthesizedStack =>
  asStack("event-log-api", Testing.synth(new EventLogApiStack(Testing.app(), "event-log-api", { env, ...props })));
const webhookProxy = (props: Partial<WebhookProxyStackProps> = {}): SynthesizedStack =>
  asStack("webhook-proxy", Testing.synth(new WebhookProxyStack(Testing.app(), "webhook-proxy", { env, ...props })));

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
    const media = asStack("media-alb", Testing.synth(new MediaAlbStack(Testing.app(), "media-alb", { env })));
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
    expect(stderr).toHaveLength(1);
    expect(stderr[0]).toMatch(message);
    expect(stderr[0].trim().split("\n")).toHaveLength(1);
  });
});
