/**
 * Monthly cost per component at a steady request rate, from the dated price
 * table (prices.ts), and the break-even request rate between an ALB and API
 * Gateway (REST and HTTP) in front of the same functions: seed 003's claim
 * that an ALB costs less than API Gateway under heavy traffic, in numbers.
 */
import { LIMITS } from "./limits";
import { HOURS_PER_MONTH, PRICES, Region, SECONDS_PER_MONTH, tieredCost } from "./prices";
import { FunctionInfo, TableInfo, Topology } from "./topology";
import { TrafficOptions } from "./model";

export interface CostLine {
  readonly component: string;
  readonly usdPerMonth: number;
  /** What was counted, with the unit prices. */
  readonly basis: string;
}

export interface CostOptions {
  readonly region: Region;
  /** Requests per keep-alive connection at the ALB (1: every request opens one, the worst case). */
  readonly requestsPerConnection: number;
  /** Response size, KB (ALB processed bytes). */
  readonly responseKb: number;
}

const money = (n: number): string => `$${n < 10 ? n.toFixed(2) : Math.round(n).toLocaleString("en-US")}`;

export type FrontKind = "rest" | "http" | "alb";

/** Monthly cost of the front door alone, at `rps`. */
export function frontDoorCost(kind: FrontKind, rps: number, traffic: TrafficOptions, cost: CostOptions, rulesPerRequest = 1): CostLine {
  const p = PRICES[cost.region];
  const millions = (rps * SECONDS_PER_MONTH) / 1e6;
  if (kind === "rest") {
    return { component: "API Gateway REST API", usdPerMonth: tieredCost(p.restApiPerMillion, millions), basis: `${fmt(millions)} M requests x ${p.restApiPerMillion[0].price.usd} $/M (tiered)` };
  }
  if (kind === "http") {
    const units = Math.max(1, Math.ceil(traffic.payloadKb / 512));
    return {
      component: "API Gateway HTTP API",
      usdPerMonth: tieredCost(p.httpApiPerMillion, millions * units),
      basis: `${fmt(millions * units)} M metered requests (512 KB units) x ${p.httpApiPerMillion[0].price.usd} $/M (tiered)`,
    };
  }
  const newConnections = rps / cost.requestsPerConnection;
  const gbPerHour = (rps * 3600 * (traffic.payloadKb + cost.responseKb)) / 1024 / 1024;
  const paidRules = Math.max(0, rulesPerRequest - LIMITS.albFreeRules.value);
  const lcu = Math.max(
    newConnections / LIMITS.albLcuNewConnections.value,
    (newConnections * 60) / LIMITS.albLcuActiveConnections.value,
    gbPerHour / LIMITS.albLcuLambdaGbPerHour.value,
    (paidRules * rps) / LIMITS.albLcuRuleEvaluations.value,
  );
  return {
    component: "Application Load Balancer",
    usdPerMonth: HOURS_PER_MONTH * (p.albHour.usd + lcu * p.albLcuHour.usd),
    basis: `${HOURS_PER_MONTH} h x (${p.albHour.usd} $/h + ${fmt(lcu)} LCU x ${p.albLcuHour.usd} $/LCU-h); LCU from ${fmt(newConnections)} new connections/s (${cost.requestsPerConnection} request(s) per connection), ${fmt(gbPerHour)} GB/h`,
  };
}

function fmt(n: number): string {
  return n >= 100 ? Math.round(n).toLocaleString("en-US") : String(+n.toFixed(3));
}

function lambdaCost(fn: FunctionInfo, invocationsPerSecond: number, durationMs: number, region: Region): CostLine {
  const p = PRICES[region];
  const perMonth = invocationsPerSecond * SECONDS_PER_MONTH;
  const gbSeconds = perMonth * (durationMs / 1000) * (fn.memoryMb / 1024);
  const gbPrice = fn.arm ? p.lambdaGbSecondArm.usd : p.lambdaGbSecondX86.usd;
  return {
    component: `Lambda ${fn.name}`,
    usdPerMonth: (perMonth / 1e6) * p.lambdaRequestPerMillion.usd + gbSeconds * gbPrice,
    basis: `${fmt(perMonth / 1e6)} M invocations x ${p.lambdaRequestPerMillion.usd} $/M + ${fmt(gbSeconds)} GB-s (${fn.memoryMb} MB x ${durationMs} ms) x ${gbPrice} $/GB-s`,
  };
}

function tableCost(table: TableInfo, write: boolean, itemsPerSecond: number, kb: number, region: Region): CostLine {
  const p = PRICES[region];
  if (!table.onDemand) {
    const wcu = table.writeCapacity.value ?? 1;
    const rcu = table.readCapacity.value ?? 1;
    return {
      component: `DynamoDB ${table.name}`,
      usdPerMonth: HOURS_PER_MONTH * (wcu * p.dynamodbWcuHour.usd + rcu * p.dynamodbRcuHour.usd),
      basis: `PROVISIONED ${wcu} WCU x ${p.dynamodbWcuHour.usd} + ${rcu} RCU x ${p.dynamodbRcuHour.usd} $/h, ${HOURS_PER_MONTH} h (whatever the traffic)`,
    };
  }
  const units = Math.max(1, Math.ceil(kb / (write ? LIMITS.dynamodbWriteUnitKb.value : LIMITS.dynamodbReadUnitKb.value)));
  const millions = (itemsPerSecond * SECONDS_PER_MONTH * units) / 1e6;
  const unitPrice = write ? p.dynamodbWriteRequestUnitPerMillion.usd : p.dynamodbReadRequestUnitPerMillion.usd;
  return {
    component: `DynamoDB ${table.name}`,
    usdPerMonth: millions * unitPrice,
    basis: `${fmt(millions)} M ${write ? "write" : "read (strongly consistent, an upper bound)"} request units x ${unitPrice} $/M`,
  };
}

/** Monthly cost of every priced component at a steady `traffic.rps`. */
export function monthlyCost(topology: Topology, traffic: TrafficOptions, cost: CostOptions): CostLine[] {
  const p = PRICES[cost.region];
  const rps = traffic.rps;
  const kb = traffic.payloadKb;
  const lines: CostLine[] = [];
  const front = topology.front;
  lines.push(frontDoorCost(front.kind, rps, traffic, cost, front.kind === "alb" ? front.rulesPerRequest : 1));
  if (topology.directStream && !(topology.buffer?.stream?.address === topology.directStream.address)) {
    lines.push(streamCost(topology.directStream.shards.value ?? 1, rps, kb, cost.region));
  }
  for (const { fn, share } of topology.frontFunctions) {
    lines.push(lambdaCost(fn, rps * share, traffic.durationMs, cost.region));
    for (const t of fn.writes) lines.push(tableCost(t, true, rps * share, kb, cost.region));
    for (const t of fn.reads) lines.push(tableCost(t, false, rps * share, kb, cost.region));
    if (fn.translate) {
      const millionChars = (rps * share * SECONDS_PER_MONTH * kb * 1024) / 1e6;
      lines.push({
        component: "Amazon Translate",
        usdPerMonth: millionChars * p.translatePerMillionCharacters.usd,
        basis: `${fmt(millionChars)} M characters (${kb} KB of text per request) x ${p.translatePerMillionCharacters.usd} $/M`,
      });
    }
  }
  const b = topology.buffer;
  if (b) {
    const batch = b.mapping.batchSize.value ?? 1;
    if (b.stream) lines.push(streamCost(b.stream.shards.value ?? 1, rps, kb, cost.region));
    if (b.queue) {
      // Per message: one SendMessage; per batch: one ReceiveMessage and one DeleteMessageBatch; 64 KB chunks.
      const chunks = Math.max(1, Math.ceil(kb / 64));
      const requestsPerSecond = rps * chunks * (1 + 2 / batch);
      const millions = (requestsPerSecond * SECONDS_PER_MONTH) / 1e6;
      lines.push({
        component: `SQS ${b.queue.address.split(".")[1]}`,
        usdPerMonth: millions * p.sqsRequestPerMillion.usd,
        basis: `${fmt(millions)} M requests (send + receive and delete per batch of ${batch}; empty polls not counted) x ${p.sqsRequestPerMillion.usd} $/M`,
      });
    }
    const consumerMs = b.consumer.upstream ? traffic.upstreamLatencyMs : traffic.durationMs;
    lines.push(lambdaCost(b.consumer, rps / batch, consumerMs, cost.region));
    for (const t of b.consumer.writes) lines.push(tableCost(t, true, rps, kb, cost.region));
    for (const t of b.consumer.reads) lines.push(tableCost(t, false, rps, kb, cost.region));
  }
  return lines;
}

function streamCost(shards: number, rps: number, kb: number, region: Region): CostLine {
  const p = PRICES[region];
  const putUnits = Math.max(1, Math.ceil(kb / 25));
  const millions = (rps * SECONDS_PER_MONTH * putUnits) / 1e6;
  return {
    component: "Kinesis stream",
    usdPerMonth: shards * HOURS_PER_MONTH * p.kinesisShardHour.usd + millions * p.kinesisPutUnitPerMillion.usd,
    basis: `${shards} shard(s) x ${HOURS_PER_MONTH} h x ${p.kinesisShardHour.usd} $/h + ${fmt(millions)} M PUT units x ${p.kinesisPutUnitPerMillion.usd} $/M`,
  };
}

export interface BreakEven {
  readonly a: FrontKind;
  readonly b: FrontKind;
  /** Request rate above which `b` costs less than `a` (undefined: never within 0..100,000 requests/s). */
  readonly rps?: number;
  readonly usdPerMonth?: number;
}

/** The request rate at which the ALB and an API Gateway type cost the same, by bisection. */
export function breakEven(apiKind: "rest" | "http", traffic: TrafficOptions, cost: CostOptions, rulesPerRequest: number): BreakEven {
  const diff = (rps: number): number => frontDoorCost(apiKind, rps, traffic, cost).usdPerMonth - frontDoorCost("alb", rps, traffic, cost, rulesPerRequest).usdPerMonth;
  let lo = 1e-6;
  let hi = 100_000;
  if (diff(hi) <= 0) return { a: apiKind, b: "alb" };
  if (diff(lo) > 0) return { a: apiKind, b: "alb", rps: 0, usdPerMonth: frontDoorCost("alb", 0, traffic, cost, rulesPerRequest).usdPerMonth };
  for (let i = 0; i < 200; i++) {
    const mid = (lo + hi) / 2;
    if (diff(mid) > 0) hi = mid;
    else lo = mid;
  }
  return { a: apiKind, b: "alb", rps: hi, usdPerMonth: frontDoorCost("alb", hi, traffic, cost, rulesPerRequest).usdPerMonth };
}

export { money };
