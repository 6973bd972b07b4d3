/**
 * The capacity model's components behind the buffer (./model.ts): what bounds how fast a
 * stream or queue drains, so excess waits there as a backlog: the stream's reads, the
 * consumer's concurrency, the upstream it calls, and the tables it writes.
 */
import { tableComponents } from "./components";
import { LIMITS } from "./limits";
import type { Buffer, Component, TrafficOptions } from "./model";
import { ceil, fmt } from "./numbers";
import type { QueueInfo, StreamInfo, Topology } from "./topology";

type Buffered = NonNullable<Topology["buffer"]>;

interface Drain {
  readonly buffer: Buffer;
  readonly components: Component[];
}

/** A stream's drain: GetRecords per shard, and the consumer's concurrent batches (shards x parallelization). */
function streamDrain(b: Buffered & { readonly stream: StreamInfo }, options: TrafficOptions): Drain {
  const components: Component[] = [];
  const kb = options.payloadKb;
  const batch = b.mapping.batchSize.value ?? 1;
  let buffer: Buffer;
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
  return { buffer, components };
}

/** A queue's drain: the consumer's concurrency as the SQS mapping scales it, and the upstream it delivers to. */
function queueDrain(b: Buffered & { readonly queue: QueueInfo }, options: TrafficOptions, notes: string[]): Drain {
  const components: Component[] = [];
  const kb = options.payloadKb;
  const batch = b.mapping.batchSize.value ?? 1;
  let buffer: Buffer;
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
  return { buffer, components };
}

/** Where accepted requests wait, and every component that bounds how fast they leave it. */
export function bufferDrain(b: Buffered, options: TrafficOptions, notes: string[]): Drain | undefined {
  const drain = b.stream ? streamDrain({ ...b, stream: b.stream }, options) : b.queue ? queueDrain({ ...b, queue: b.queue }, options, notes) : undefined;
  if (!drain) return undefined;
  const drainSymptom = "a growing backlog in the buffer (the consumer retries throttled writes)";
  return {
    buffer: drain.buffer,
    components: [
      ...drain.components,
      ...tableComponents(b.consumer.writes, true, 1, options, "drain", drainSymptom),
      ...tableComponents(b.consumer.reads, false, 1, options, "drain", drainSymptom),
    ],
  };
}
