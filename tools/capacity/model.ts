/**
 * The capacity model: each component on a stack's data path as a capacity
 * in client requests per second, from the synthesized settings and the
 * service limits (limits.ts). Components before the buffer (stream or queue)
 * refuse what exceeds them, so the client sees an error; components after it
 * bound how fast the buffer drains, so excess waits there as a backlog.
 */
import { LIMITS, LimitName } from "./limits";
import { FunctionInfo, TableInfo, Topology } from "./stack";

export interface TrafficOptions {
  /** Steady request rate, requests/s. */
  readonly rps: number;
  /** Request rate during a burst, requests/s (with burstSeconds). */
  readonly burstRps?: number;
  readonly burstSeconds?: number;
  /** Request payload, KB (one request = one record / message / item of this size). */
  readonly payloadKb: number;
  /** Duration of one Lambda invocation, ms (a batch for stream consumers). */
  readonly durationMs: number;
  /** What the upstream of webhook-proxy accepts, requests/s (undefined: not limited). */
  readonly upstreamRps?: number;
  /** How long the upstream takes to answer one request, ms (the consumer's invocation duration). */
  readonly upstreamLatencyMs: number;
  /** API keys sharing the traffic evenly (usage plans limit each key). */
  readonly clients: number;
}

export type Stage = "front" | "drain";

export interface Component {
  readonly id: string;
  readonly name: string;
  /** front: excess is refused (client sees `symptom`); drain: excess waits in the buffer. */
  readonly stage: Stage;
  /** Client requests per second it holds in steady state (Infinity: no limit). */
  readonly capacity: number;
  /** Extra requests a token bucket admits at once above the rate (front only). */
  readonly bucket: number;
  /** Capacity at `t` seconds into a burst, when the service scales up gradually. */
  readonly capacityAt?: (t: number) => number;
  /** How the capacity is computed, with the numbers. */
  readonly basis: string;
  readonly symptom: string;
  readonly limits: readonly LimitName[];
  /** `--set` lines that make the component hold `target` requests/s, or a sentence why no setting can. */
  readonly fix: (target: number) => string[] | string;
  /** Share of the client requests this component sees (two ALB targets: 0.5 each). */
  readonly share: number;
}

export interface Buffer {
  readonly kind: "stream" | "queue";
  readonly address: string;
  /** Oldest a record / message may get before it leaves unprocessed (seconds) and where it goes. */
  readonly maxAgeS?: number;
  readonly maxAgeNote?: string;
}

export interface Model {
  readonly components: Component[];
  readonly buffer?: Buffer;
  readonly notes: string[];
}

/** Math.ceil, forgiving the last bits of float error (220 x 0.05 is 11.000000000000002, and needs 11). */
const ceil = (x: number): number => Math.ceil(x - 1e-9 * Math.max(1, Math.abs(x)));
const fmt = (n: number): string => (Number.isFinite(n) ? (n >= 100 ? Math.round(n).toLocaleString("en-US") : String(+n.toFixed(2))) : "unlimited");

function lambdaComponent(fn: FunctionInfo, share: number, options: TrafficOptions, durationMs: number, symptom: string, stage: Stage): Component {
  const d = durationMs / 1000;
  const limit = fn.reserved.value ?? LIMITS.lambdaAccountConcurrency.value;
  const capacity = limit / d / share;
  const warm = Math.min(limit, options.rps * share * d);
  const scalePerSecond = LIMITS.lambdaScalingPer10s.value / 10;
  return {
    id: `lambda:${fn.name}`,
    name: `Lambda ${fn.name}`,
    stage,
    capacity,
    bucket: 0,
    capacityAt: (t) => Math.min(limit, warm + LIMITS.lambdaScalingPer10s.value + scalePerSecond * t) / d / share,
    basis:
      `${fn.reserved.value !== undefined ? `reserved concurrency ${limit}` : `account concurrency ${fmt(limit)} (unreserved, shared by every function in the account)`}` +
      ` / ${durationMs} ms per invocation${share < 1 ? ` / ${share} of requests` : ""}; scales by ${LIMITS.lambdaScalingPer10s.value} environments per 10 s`,
    symptom,
    limits: ["lambdaAccountConcurrency", "lambdaScalingPer10s"],
    fix: (target) => {
      const needed = ceil(target * share * d);
      if (fn.reserved.value !== undefined) return [`${fn.reserved.setName}=${needed}`];
      if (needed <= LIMITS.lambdaAccountConcurrency.value) return `holds within the account pool if other functions leave ${needed} free; or reserve it: ${fn.reserved.setName}=${needed}`;
      return `needs ${needed} concurrent executions: above the account default of ${LIMITS.lambdaAccountConcurrency.value}, a Service Quotas increase, not a stack setting`;
    },
    share,
  };
}

function tableComponents(tables: TableInfo[], write: boolean, share: number, options: TrafficOptions, stage: Stage, symptom: string): Component[] {
  return tables.map((table) => {
    const unitKb = write ? LIMITS.dynamodbWriteUnitKb.value : LIMITS.dynamodbReadUnitKb.value;
    const units = Math.max(1, ceil(options.payloadKb / unitKb));
    const what = write ? "write" : "read";
    if (table.onDemand) {
      const max = LIMITS.dynamodbOnDemandTableMax.value;
      return {
        id: `dynamodb:${table.name}`,
        name: `DynamoDB ${table.name} (on-demand ${what}s)`,
        stage,
        capacity: max / units / share,
        bucket: 0,
        basis: `on-demand: ${fmt(max)} ${what} units/s per table (account quota) / ${units} unit(s) per item${share < 1 ? ` / ${share} of requests` : ""}; instantly up to double the previous peak`,
        symptom,
        limits: ["dynamodbOnDemandTableMax", write ? "dynamodbWriteUnitKb" : "dynamodbReadUnitKb"],
        fix: () => `the table quota of ${fmt(max)} units/s is an account quota (Service Quotas), not a stack setting`,
        share,
      } satisfies Component;
    }
    const provisioned = (write ? table.writeCapacity : table.readCapacity).value ?? 1;
    const partition = write ? LIMITS.dynamodbPartitionWcu.value : LIMITS.dynamodbPartitionRcu.value;
    const setName = (write ? table.writeCapacity : table.readCapacity).setName;
    return {
      id: `dynamodb:${table.name}`,
      name: `DynamoDB ${table.name} (PROVISIONED ${what}s)`,
      stage,
      capacity: provisioned / units / share,
      bucket: (LIMITS.dynamodbBurstSeconds.value * provisioned) / units / share,
      basis:
        `PROVISIONED ${provisioned} ${write ? "WCU" : "RCU"} / ${units} unit(s) per item${share < 1 ? ` / ${share} of requests` : ""};` +
        ` up to ${LIMITS.dynamodbBurstSeconds.value} s of unused capacity as burst (best effort); one ${table.hashKey} value takes at most ${fmt(partition)} units/s`,
      symptom,
      limits: ["dynamodbBurstSeconds", write ? "dynamodbPartitionWcu" : "dynamodbPartitionRcu", write ? "dynamodbWriteUnitKb" : "dynamodbReadUnitKb"],
      fix: (target) => {
        const needed = ceil(target * units * share);
        const lines = [`${setName}=${needed}`];
        return needed > partition ? `${lines[0]} (or ${table.billingSetName}=PAY_PER_REQUEST); above ${fmt(partition)} units/s the partition key ${table.hashKey} needs more distinct values` : lines;
      },
      share,
    } satisfies Component;
  });
}

/** The components of a stack's data path, in the order a request meets them. */
export function buildModel(topology: Topology, options: TrafficOptions): Model {
  const components: Component[] = [];
  const notes: string[] = [];
  const kb = options.payloadKb;
  const front = topology.front;

  if (front.kind === "rest" || front.kind === "http") {
    const api = front.kind === "rest" ? "REST API" : "HTTP API";
    components.push({
      id: "apigateway:account",
      name: "API Gateway account throttle",
      stage: "front",
      capacity: LIMITS.apiGatewayAccountRate.value,
      bucket: LIMITS.apiGatewayAccountBurst.value,
      basis: `${fmt(LIMITS.apiGatewayAccountRate.value)} requests/s, burst ${fmt(LIMITS.apiGatewayAccountBurst.value)}, shared by every API of the account in the region`,
      symptom: "429 Too Many Requests (account throttle)",
      limits: ["apiGatewayAccountRate", "apiGatewayAccountBurst"],
      fix: () => "an account quota (Service Quotas L-8A5B8E43), not a stack setting",
      share: 1,
    });
    const rate = front.rate.value ?? LIMITS.apiGatewayAccountRate.value;
    const burst = front.burst.value ?? LIMITS.apiGatewayAccountBurst.value;
    components.push({
      id: "apigateway:stage",
      name: `${api} stage throttle`,
      stage: "front",
      capacity: rate,
      bucket: burst,
      basis: `${front.rate.setName} = ${fmt(rate)} requests/s, ${front.burst.setName} = ${fmt(burst)}${front.kind === "rest" ? " (method_path */*: per method)" : ""}`,
      symptom: "429 Too Many Requests from the stage",
      limits: [],
      fix: (target) => {
        const lines = [`${front.rate.setName}=${ceil(target)}`];
        if (burst < target) lines.push(`${front.burst.setName}=${ceil(target)}`);
        return lines;
      },
      share: 1,
    });
    if (front.kind === "rest") {
      for (const plan of front.usagePlans) {
        if (plan.rate.value === undefined) continue;
        const perKey = plan.rate.value;
        components.push({
          id: `usage-plan:${plan.address}`,
          name: `usage plan ${plan.address.split(".")[1]} (per API key)`,
          stage: "front",
          capacity: perKey * options.clients,
          bucket: (plan.burst.value ?? perKey) * options.clients,
          basis: `${plan.rate.setName} = ${fmt(perKey)} requests/s per key x ${options.clients} key(s) (--clients)`,
          symptom: "429 Too Many Requests to the key over its rate (or over its quota until the period resets)",
          limits: [],
          fix: (target) => [`${plan.rate.setName}=${ceil(target / options.clients)}`],
          share: 1,
        });
      }
    }
    if (kb > LIMITS.apiGatewayPayloadKb.value) notes.push(`a ${kb} KB payload is above API Gateway's ${LIMITS.apiGatewayPayloadKb.value} KB: every request is refused (413)`);
  } else {
    components.push({
      id: "alb",
      name: "Application Load Balancer",
      stage: "front",
      capacity: LIMITS.albRequestRate.value,
      bucket: 0,
      basis: "no request-rate quota: the ALB scales by LCUs; a sudden many-fold spike can see 503s while it scales (LCU reservation pre-provisions)",
      symptom: "503 while the load balancer scales out",
      limits: ["albRequestRate"],
      fix: () => "not a stack setting (LCU reservation is an account-side request)",
      share: 1,
    });
    if (kb > LIMITS.albLambdaBodyKb.value) notes.push(`a ${kb} KB body is above the ${LIMITS.albLambdaBodyKb.value} KB an ALB passes to a Lambda target: every request fails`);
  }

  if (topology.directStream) {
    const stream = topology.directStream;
    const shards = stream.shards.value ?? 1;
    const perShard = Math.min(LIMITS.kinesisShardWriteRecords.value, LIMITS.kinesisShardWriteKb.value / kb);
    components.push({
      id: "kinesis:write",
      name: `Kinesis ${stream.address.split(".")[1]} writes`,
      stage: "front",
      capacity: stream.onDemand ? 4 * LIMITS.kinesisShardWriteKb.value / kb : shards * perShard,
      bucket: 0,
      basis: stream.onDemand
        ? "ON_DEMAND: 4 MB/s at creation, scaling with traffic"
        : `${shards} shard(s) x min(${fmt(LIMITS.kinesisShardWriteRecords.value)} records/s, ${fmt(LIMITS.kinesisShardWriteKb.value)} KB/s / ${kb} KB) = ${fmt(shards * perShard)} records/s`,
      symptom: topology.streamThrottled
        ? `${topology.streamThrottled.status} from the API ("${topology.streamThrottled.message}"): PutRecord fails with ProvisionedThroughputExceededException`
        : "PutRecord fails with ProvisionedThroughputExceededException",
      limits: ["kinesisShardWriteRecords", "kinesisShardWriteKb"],
      fix: (target) => [`${stream.shards.setName}=${ceil(target / perShard)}`],
      share: 1,
    });
    if (kb > LIMITS.kinesisRecordKb.value) notes.push(`a ${kb} KB record is above Kinesis's ${LIMITS.kinesisRecordKb.value} KB: every request is refused`);
  }

  const frontSymptom = front.kind === "alb" ? "502/503 from the ALB (the Lambda target is throttled)" : "5xx from the API (the Lambda invocation is throttled)";
  for (const { fn, share } of topology.frontFunctions) {
    components.push(lambdaComponent(fn, share, options, options.durationMs, frontSymptom, "front"));
    const throttledTable = "503 (Retry-After: 1) from the handler once the SDK's retries give up (ProvisionedThroughputExceededException)";
    // translate-api's one write is its history, bookkeeping with a budget of its own: a throttled table loses the item, not the answer.
    const throttledWrite = fn.translate ? "history items lost: the translation is still answered 200, HISTORY_WRITE_FAILED logged and alarmed" : throttledTable;
    components.push(...tableComponents(fn.writes, true, share, options, "front", throttledWrite));
    components.push(...tableComponents(fn.reads, false, share, options, "front", throttledTable));
    if (fn.translate) {
      components.push({
        id: "translate",
        name: "Amazon Translate (TranslateText)",
        stage: "front",
        capacity: LIMITS.translateRequestRate.value,
        bucket: 0,
        basis: "no published request-rate quota (AWS: scales to serve traffic; sustained throttling -> AWS Support)",
        symptom: "503 (Retry-After: 1) from the handler on ThrottlingException",
        limits: ["translateRequestRate", "translateMaxInputBytes"],
        fix: () => "not a stack setting",
        share,
      });
      if (kb * 1024 > LIMITS.translateMaxInputBytes.value) notes.push(`a ${kb} KB text is above TranslateText's ${LIMITS.translateMaxInputBytes.value} bytes: every request fails`);
    }
  }

  let buffer: Buffer | undefined;
  const b = topology.buffer;
  if (b) {
    const batch = b.mapping.batchSize.value ?? 1;
    if (b.stream) {
      const shards = b.stream.shards.value ?? 1;
      const par = b.mapping.parallelization.value ?? 1;
      buffer = {
        kind: "stream",
        address: b.stream.address,
        maxAgeS: b.mapping.maxRecordAgeS ?? (b.stream.retentionHours.value ?? 24) * 3600,
        maxAgeNote: b.mapping.maxRecordAgeS
          ? `maximum_record_age_in_seconds = ${b.mapping.maxRecordAgeS}: older records skip the function and go to the on-failure destination (DLQ)`
          : `stream retention ${(b.stream.retentionHours.value ?? 24)} h: older records are lost`,
      };
      const readPerShard = Math.min(LIMITS.kinesisShardReadKb.value / kb, LIMITS.kinesisShardGetRecordsPerSecond.value * LIMITS.kinesisGetRecordsMaxRecords.value);
      components.push({
        id: "kinesis:read",
        name: `Kinesis ${b.stream.address.split(".")[1]} reads`,
        stage: "drain",
        capacity: shards * readPerShard,
        bucket: 0,
        basis: `${shards} shard(s) x ${fmt(LIMITS.kinesisShardReadKb.value)} KB/s / ${kb} KB (${LIMITS.kinesisShardGetRecordsPerSecond.value} GetRecords/s per shard)`,
        symptom: "a growing backlog in the stream (IteratorAge rises)",
        limits: ["kinesisShardReadKb", "kinesisShardGetRecordsPerSecond"],
        fix: (target) => [`${b.stream!.shards.setName}=${ceil(target / readPerShard)}`],
        share: 1,
      });
      const d = options.durationMs / 1000;
      const concurrency = shards * par;
      const reservedCap = b.consumer.reserved.value;
      const effective = reservedCap !== undefined ? Math.min(concurrency, reservedCap) : concurrency;
      components.push({
        id: `consumer:${b.consumer.name}`,
        name: `Lambda ${b.consumer.name} (stream consumer)`,
        stage: "drain",
        capacity: (effective * batch) / d,
        bucket: 0,
        basis: `${shards} shard(s) x parallelization_factor ${par} = ${concurrency} concurrent batch(es)${reservedCap !== undefined ? ` (reserved ${reservedCap})` : ""} x ${batch} records / ${options.durationMs} ms`,
        symptom: "a growing backlog in the stream (IteratorAge rises)",
        limits: ["kinesisMaxParallelizationFactor"],
        fix: (target) => {
          const batchesNeeded = ceil((target * d) / batch);
          const parNeeded = ceil(batchesNeeded / shards);
          if (parNeeded <= LIMITS.kinesisMaxParallelizationFactor.value) return [`${b.mapping.parallelization.setName}=${parNeeded}`];
          return [`${b.stream!.shards.setName}=${ceil(batchesNeeded / LIMITS.kinesisMaxParallelizationFactor.value)}`, `${b.mapping.parallelization.setName}=${LIMITS.kinesisMaxParallelizationFactor.value}`];
        },
        share: 1,
      });
    } else if (b.queue) {
      const q = b.queue;
      buffer = {
        kind: "queue",
        address: q.address,
        maxAgeS: q.retentionS,
        maxAgeNote: `message_retention_seconds = ${q.retentionS}: older messages are deleted`,
      };
      if (kb > q.maxMessageKb) notes.push(`a ${kb} KB body is above the queue's ${q.maxMessageKb} KB: the front function refuses it (413)`);
      const consumerMs = b.consumer.upstream ? options.upstreamLatencyMs : options.durationMs;
      const d = consumerMs / 1000;
      const reserved = b.consumer.reserved.value;
      const caps = [LIMITS.sqsEventSourceMaxConcurrency.value, reserved, b.mapping.maximumConcurrency].filter((n): n is number => n !== undefined);
      const concurrency = Math.min(...caps);
      const start = LIMITS.sqsEventSourceInitialConcurrency.value;
      const perSecond = LIMITS.sqsEventSourceScalingPerMinute.value / 60;
      const warm = Math.min(concurrency, (options.rps * d) / batch);
      /** Concurrent deliveries the upstream takes (at most --upstream-rps), when it is limited. */
      const upstreamMax = b.consumer.upstream && options.upstreamRps !== undefined ? Math.max(1, Math.floor((options.upstreamRps * d) / batch + 1e-9)) : undefined;
      components.push({
        id: `consumer:${b.consumer.name}`,
        name: `Lambda ${b.consumer.name} (queue consumer)`,
        stage: "drain",
        capacity: (concurrency * batch) / d,
        bucket: 0,
        capacityAt: (t) => (Math.min(concurrency, Math.max(start, warm) + perSecond * t) * batch) / d,
        basis:
          `concurrency min(${[reserved !== undefined ? `reserved ${reserved}` : undefined, b.mapping.maximumConcurrency !== undefined ? `maximum_concurrency ${b.mapping.maximumConcurrency}` : undefined, `mapping ${LIMITS.sqsEventSourceMaxConcurrency.value}`].filter(Boolean).join(", ")}) = ${concurrency}` +
          ` x ${batch} message(s) / ${consumerMs} ms${b.consumer.upstream ? " (upstream latency)" : ""}; pollers start at ${start} and add ${LIMITS.sqsEventSourceScalingPerMinute.value}/min`,
        symptom: "a growing backlog in the queue (ApproximateAgeOfOldestMessage rises)",
        limits: ["sqsEventSourceInitialConcurrency", "sqsEventSourceScalingPerMinute", "sqsEventSourceMaxConcurrency"],
        fix: (target) => {
          let needed = ceil((target * d) / batch);
          // Never more concurrent deliveries than the upstream takes: the excess is refused there, retried, and dead-lettered.
          const capped = upstreamMax !== undefined && needed > upstreamMax;
          if (capped) needed = upstreamMax;
          if (needed > LIMITS.sqsEventSourceMaxConcurrency.value) return `needs ${needed} concurrent batches: above the mapping's ${LIMITS.sqsEventSourceMaxConcurrency.value}; raise ${b.mapping.batchSize.setName}`;
          const lines: string[] = [];
          if (reserved !== undefined && reserved < needed) lines.push(`${b.consumer.reserved.setName}=${needed}`);
          if (b.mapping.maximumConcurrency !== undefined && b.mapping.maximumConcurrency < needed && b.mapping.maximumConcurrencySetName) lines.push(`${b.mapping.maximumConcurrencySetName}=${needed}`);
          if (lines.length > 0) return lines;
          return capped
            ? `already delivers ${fmt((concurrency * batch) / d)}/s, as much as the upstream takes (${fmt(options.upstreamRps ?? 0)}/s): more concurrency would not help`
            : `needs ${needed} concurrent executions from the account pool`;
        },
        share: 1,
      });
      if (reserved !== undefined && reserved < start) {
        notes.push(
          `reserved concurrency ${reserved} is below the ${start} batches the SQS mapping polls at once: throttled batches return to the queue and count as receives, ` +
            `so under a long backlog a message can reach maxReceiveCount ${q.maxReceiveCount ?? "?"} (about ${q.visibilityS} s x ${q.maxReceiveCount ?? "?"} = ${q.visibilityS * (q.maxReceiveCount ?? 1)} s of waiting) and go to the DLQ undelivered`,
        );
      }
      if (b.consumer.upstream) {
        const upstream = options.upstreamRps ?? Number.POSITIVE_INFINITY;
        const keep =
          upstreamMax !== undefined
            ? `keep ${b.consumer.reserved.setName} at or below ${upstreamMax} (${upstreamMax} x ${batch} message(s) / ${consumerMs} ms = ${fmt((upstreamMax * batch) / d)}/s): ` +
              "more concurrent deliveries only send it requests it refuses, retried after the visibility timeout and sent to the DLQ after maxReceiveCount receives"
            : `keep ${b.consumer.reserved.setName} at or below what it takes`;
        const peak = Math.max(options.rps, options.burstRps ?? 0);
        if (upstream < options.rps || (upstream <= options.rps && peak > options.rps)) {
          notes.push(
            `the upstream application is the bottleneck no setting of this stack changes: it takes ${fmt(upstream)} of the ${fmt(options.rps)} requests/s` +
              (upstream < options.rps ? `, so the queue grows by at least ${fmt(options.rps - upstream)} requests/s whatever the consumer's concurrency` : `, so a burst's backlog never drains`) +
              `; ${keep}`,
          );
        }
        components.push({
          id: "upstream",
          name: "upstream application",
          stage: "drain",
          capacity: upstream,
          bucket: 0,
          basis: options.upstreamRps === undefined ? "not given (--upstream-rps)" : `--upstream-rps ${fmt(upstream)}`,
          symptom: "a growing backlog in the queue; failed deliveries retry after the visibility timeout and reach the DLQ after maxReceiveCount",
          limits: [],
          fix: () =>
            `the true bottleneck: it takes ${fmt(upstream)} of the ${fmt(options.rps)} requests/s${upstream >= options.rps ? " and nothing more to drain a burst" : ""}; no setting of this stack holds it, only an upstream that takes more` +
            (upstreamMax !== undefined ? ` (the consumer's concurrency stops at ${upstreamMax}, what it takes)` : ""),
          share: 1,
        });
      }
    }
    const drainSymptom = "a growing backlog in the buffer (the consumer retries throttled writes)";
    components.push(...tableComponents(b.consumer.writes, true, 1, options, "drain", drainSymptom));
    components.push(...tableComponents(b.consumer.reads, false, 1, options, "drain", drainSymptom));
  }
  return { components, buffer, notes };
}

// ---------------------------------------------------------------- analysis

export interface ComponentResult {
  readonly id: string;
  readonly name: string;
  readonly stage: Stage;
  readonly capacity: number;
  readonly utilisation: number;
  readonly basis: string;
  readonly symptom: string;
}

export interface BurstResult {
  readonly burstRps: number;
  readonly burstSeconds: number;
  /** Requests the burst brings above the steady rate: (burstRps - rps) x burstSeconds. */
  readonly extraRequests: number;
  /**
   * Requests refused because of the burst, per front component id: refused
   * with the burst minus refused at the steady rate alone over the same time
   * (what the burst adds, not the steady rate's own refusals).
   */
  readonly refused: Record<string, number>;
  /** Requests the steady rate alone refuses during the burst's seconds (left out of `refused`). */
  readonly steadyRefused: number;
  /** Backlog the burst adds in the buffer (above the steady rate's own), at its peak. */
  readonly backlogPeak: number;
  /** Seconds after the burst ends until that added backlog is gone (Infinity: never; 0 without a buffer). */
  readonly drainSeconds: number;
  /** Longest wait the burst adds in the buffer, seconds (added backlog / drain rate). */
  readonly longestWaitS: number;
  /** The burst's waiting requests pass the buffer's maximum age (lost, or sent to the DLQ). */
  readonly passesMaxAge: boolean;
  /** Nothing refused, nothing past the maximum age, and the backlog drains. */
  readonly holds: boolean;
}

export interface Analysis {
  readonly components: ComponentResult[];
  /** The steady rate holds and so does the burst, if any: nothing refused or lost, no backlog that grows or never drains. */
  readonly holds: boolean;
  /** The steady rate alone holds: nothing refused, the backlog does not grow. */
  readonly steadyHolds: boolean;
  readonly bottleneck: { id: string; name: string; capacity: number; symptom: string; stage: Stage };
  /** Requests/s refused at steady state (front bottleneck). */
  readonly refusedRps: number;
  /** Backlog growth, requests/s (drain bottleneck). */
  readonly backlogGrowthRps: number;
  /** Seconds until waiting records exceed the buffer's maximum age (growing backlog only). */
  readonly secondsToMaxAge?: number;
  readonly burst?: BurstResult;
  readonly notes: string[];
}

const minBy = <T>(items: T[], f: (t: T) => number): T => items.reduce((a, b) => (f(b) < f(a) ? b : a));

export function analyse(model: Model, options: TrafficOptions): Analysis {
  const { rps } = options;
  const components = model.components.map((c) => ({
    id: c.id,
    name: c.name,
    stage: c.stage,
    capacity: c.capacity,
    utilisation: rps / c.capacity,
    basis: c.basis,
    symptom: c.symptom,
  }));
  const fronts = model.components.filter((c) => c.stage === "front");
  const drains = model.components.filter((c) => c.stage === "drain");
  const frontCap = Math.min(...fronts.map((c) => c.capacity));
  const drainCap = drains.length > 0 ? Math.min(...drains.map((c) => c.capacity)) : Number.POSITIVE_INFINITY;
  const accepted = Math.min(rps, frontCap);
  const bottleneck = minBy(model.components, (c) => c.capacity);
  const refusedRps = Math.max(0, rps - frontCap);
  const backlogGrowthRps = model.buffer ? Math.max(0, accepted - drainCap) : 0;
  const secondsToMaxAge = backlogGrowthRps > 0 && model.buffer?.maxAgeS !== undefined ? (model.buffer.maxAgeS * drainCap) / backlogGrowthRps : undefined;
  const steadyHolds = refusedRps === 0 && backlogGrowthRps === 0;
  const burst = options.burstRps !== undefined && options.burstSeconds !== undefined ? simulateBurst(model, options) : undefined;
  return {
    components,
    holds: steadyHolds && (burst?.holds ?? true),
    steadyHolds,
    bottleneck: { id: bottleneck.id, name: bottleneck.name, capacity: bottleneck.capacity, symptom: bottleneck.symptom, stage: bottleneck.stage },
    refusedRps,
    backlogGrowthRps,
    secondsToMaxAge,
    burst,
    notes: model.notes,
  };
}

interface Run {
  /** Tokens left in each front component's bucket. */
  readonly tokens: number[];
  /** Requests refused so far, per front component. */
  readonly refused: number[];
  backlog: number;
}

/**
 * What a burst adds: `burstRps` for `burstSeconds`, then the steady `rps`,
 * stepped beside the steady rate alone from the same start, and the
 * difference reported. The start is the steady state: a front component
 * the steady rate overflows has spent its token bucket, the others are full.
 * Front components pass what their bucket admits (refusing the rest); the
 * buffer takes what passes and drains at the smallest drain capacity. The
 * two runs are stepped until they agree again (or an hour after the burst),
 * so neither an hour of the steady rate's own refusals nor its own growing
 * backlog is counted as the burst's.
 */
export function simulateBurst(model: Model, options: TrafficOptions): BurstResult {
  const { rps } = options;
  const burstRps = options.burstRps!;
  const burstSeconds = options.burstSeconds!;
  const fronts = model.components.filter((c) => c.stage === "front");
  const drains = model.components.filter((c) => c.stage === "drain");
  const fine = Math.min(0.1, Math.max(0.0005, burstSeconds / 200));
  const capAt = (c: Component, t: number): number => (c.capacityAt ? Math.min(c.capacity, c.capacityAt(t)) : c.capacity);
  const drainAt = (t: number): number => (drains.length > 0 ? Math.min(...drains.map((c) => capAt(c, t))) : Number.POSITIVE_INFINITY);
  const start = (): Run => {
    let flow = rps;
    const tokens = fronts.map((c) => {
      const rate = capAt(c, 0);
      const spent = flow > rate;
      flow = Math.min(flow, rate);
      return spent ? 0 : c.bucket;
    });
    return { tokens, refused: fronts.map(() => 0), backlog: 0 };
  };
  const step = (run: Run, t: number, dt: number, arrivals: number): void => {
    let flow = arrivals;
    fronts.forEach((c, i) => {
      const rate = capAt(c, t);
      const available = Math.min(run.tokens[i] + rate * dt, c.bucket + rate * dt);
      const pass = Math.min(flow, available);
      run.tokens[i] = available - pass;
      run.refused[i] += flow - pass;
      flow = pass;
    });
    if (!model.buffer) return;
    run.backlog += flow;
    run.backlog -= Math.min(run.backlog, drainAt(t) * dt);
  };
  const total = (run: Run): number => run.refused.reduce((a, b) => a + b, 0);
  const same = (a: number, b: number, scale: number): boolean => a === b || Math.abs(a - b) <= 1e-9 * (1 + scale);

  const withBurst = start();
  const steady = start();
  const horizon = burstSeconds + 3600;
  let t = 0;
  let peak = 0;
  let longestWait = 0;
  let steadyRefused = 0;
  let drainSeconds: number | undefined = model.buffer ? undefined : 0;
  while (t < horizon) {
    // Fine steps through the burst; after it, steps grow with the time since (at most 0.1 s).
    const dt = t < burstSeconds ? fine : Math.max(fine, Math.min(0.1, (t - burstSeconds) / 200));
    const inBurst = Math.min(dt, Math.max(0, burstSeconds - t));
    const steadyBefore = total(steady);
    step(withBurst, t, dt, burstRps * inBurst + rps * (dt - inBurst));
    step(steady, t, dt, rps * dt);
    steadyRefused += ((total(steady) - steadyBefore) * inBurst) / dt;
    t += dt;
    const extra = withBurst.backlog - steady.backlog;
    const drainRate = drainAt(t);
    peak = Math.max(peak, extra);
    if (drainRate > 0 && Number.isFinite(drainRate)) longestWait = Math.max(longestWait, extra / drainRate);
    if (t < burstSeconds - 1e-9) continue;
    if (drainSeconds === undefined && extra <= 1e-6 * Math.max(1, steady.backlog)) drainSeconds = Math.max(0, t - burstSeconds);
    if (drainSeconds !== undefined && fronts.every((c, i) => same(withBurst.tokens[i], steady.tokens[i], c.bucket))) break;
  }
  if (drainSeconds === undefined) {
    // Past the simulated hour: the added backlog drains at (drain - steady arrivals) if positive.
    const drainCap = drains.length > 0 ? Math.min(...drains.map((c) => c.capacity)) : Number.POSITIVE_INFINITY;
    const net = drainCap - Math.min(rps, ...fronts.map((c) => c.capacity));
    drainSeconds = net > 0 ? t - burstSeconds + (withBurst.backlog - steady.backlog) / net : Number.POSITIVE_INFINITY;
  }
  const refused: Record<string, number> = Object.fromEntries(fronts.map((c, i) => [c.id, Math.max(0, Math.round(withBurst.refused[i] - steady.refused[i]))]));
  const passesMaxAge = model.buffer?.maxAgeS !== undefined && longestWait > model.buffer.maxAgeS;
  return {
    burstRps,
    burstSeconds,
    extraRequests: Math.max(0, (burstRps - rps) * burstSeconds),
    refused,
    steadyRefused: Math.round(steadyRefused),
    backlogPeak: Math.round(peak),
    drainSeconds,
    longestWaitS: longestWait,
    passesMaxAge,
    holds: Object.values(refused).every((n) => n === 0) && Number.isFinite(drainSeconds) && !passesMaxAge,
  };
}

/**
 * The first component on the path (in the order a request meets it) that
 * cannot hold the traffic, skipping `skip`, with the rate it must hold.
 * Front components: short of the steady rate, or refusing part of the
 * burst (`burst`, the simulated one; without it, short of the burst rate);
 * they must hold the peak rate. Drain components: short of the steady rate,
 * or, with a burst, not faster than it (the backlog never drains) or so slow
 * that the burst's backlog passes the buffer's maximum age; they must hold a
 * little more than the steady rate (a backlog only shrinks if the drain is
 * faster than arrivals), or what drains the burst within the maximum age.
 */
export function firstShort(
  model: Model,
  options: TrafficOptions,
  skip: ReadonlySet<string> = new Set(),
  burst?: BurstResult,
): { component: Component; target: number } | undefined {
  const peak = Math.max(options.rps, options.burstRps ?? 0);
  const bursting = peak > options.rps && options.burstSeconds !== undefined;
  const drains = model.components.filter((c) => c.stage === "drain");
  const slowestDrain = drains.length > 0 ? minBy(drains, (c) => c.capacity) : undefined;
  for (const c of model.components) {
    if (skip.has(c.id)) continue;
    if (c.stage === "front") {
      const short = c.capacity < options.rps || (burst ? (burst.refused[c.id] ?? 0) > 0 : c.capacity < peak);
      if (short) return { component: c, target: peak };
      continue;
    }
    if (c.capacity < options.rps || (bursting && c.capacity <= options.rps)) return { component: c, target: bursting ? options.rps * 1.1 : options.rps };
    if (burst?.passesMaxAge && c === slowestDrain && model.buffer?.maxAgeS !== undefined) {
      // The added backlog (A - D) x S waits (A - D) x S / D: under the maximum age M when D > A x S / (M + S).
      const admitted = Math.min(peak, ...model.components.filter((f) => f.stage === "front").map((f) => f.capacity));
      const needed = (admitted * options.burstSeconds!) / (model.buffer.maxAgeS + options.burstSeconds!);
      return { component: c, target: Math.max(options.rps * 1.1, needed * 1.05) };
    }
  }
  return undefined;
}
