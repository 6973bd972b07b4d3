/**
 * The capacity model's components in front of the buffer (./model.ts): what refuses
 * excess, so the client sees an error: the API Gateway account and stage throttles,
 * usage plans, the ALB, a stream written straight from the API, the front functions
 * and their tables (and Amazon Translate).
 */
import { LIMITS } from "./limits";
import type { Component, Stage, TrafficOptions } from "./model";
import { ceil, fmt } from "./numbers";
import type { FrontDoor, FunctionInfo, TableInfo, Topology } from "./topology";

export function lambdaComponent(fn: FunctionInfo, share: number, options: TrafficOptions, durationMs: number, symptom: string, stage: Stage): Component {
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

export function tableComponents(tables: TableInfo[], write: boolean, share: number, options: TrafficOptions, stage: Stage, symptom: string): Component[] {
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

/** The front door's throttles (API Gateway account, stage, usage plans) or the ALB. */
export function frontDoorComponents(front: FrontDoor, options: TrafficOptions, notes: string[]): Component[] {
  const components: Component[] = [];
  const kb = options.payloadKb;
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
  return components;
}

/** The stream the API writes to directly (kinesis-ingest's PutRecord integration): its shards' write limits. */
export function directStreamComponents(topology: Topology, options: TrafficOptions, notes: string[]): Component[] {
  const components: Component[] = [];
  const kb = options.payloadKb;
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
  return components;
}

/** The functions the front door invokes synchronously, their tables and Amazon Translate. */
export function frontFunctionComponents(topology: Topology, options: TrafficOptions, notes: string[]): Component[] {
  const components: Component[] = [];
  const kb = options.payloadKb;
  const front = topology.front;
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
  return components;
}
