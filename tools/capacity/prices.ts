/**
 * On-demand list prices (USD) per region, each with the pricing page it was
 * read from and the date. Free tiers are ignored on purpose: the planner
 * answers "what does this traffic cost", not "what does a new account pay".
 * Data transfer out, CloudWatch logs and metrics, KMS requests and S3 access
 * logs are not priced (see NOT_PRICED).
 */

export interface Price {
  readonly usd: number;
  readonly unit: string;
  readonly source: string;
  /** ISO date the page was read. */
  readonly read: string;
}

/** A tiered price: `upTo` requests per month at `usd` per million, then the next tier. */
export interface Tier {
  readonly upToMillions: number;
  readonly price: Price;
}

export interface RegionPrices {
  readonly restApiPerMillion: readonly Tier[];
  readonly httpApiPerMillion: readonly Tier[];
  readonly albHour: Price;
  readonly albLcuHour: Price;
  readonly lambdaRequestPerMillion: Price;
  readonly lambdaGbSecondX86: Price;
  readonly lambdaGbSecondArm: Price;
  readonly kinesisShardHour: Price;
  readonly kinesisPutUnitPerMillion: Price;
  readonly sqsRequestPerMillion: Price;
  readonly dynamodbWriteRequestUnitPerMillion: Price;
  readonly dynamodbReadRequestUnitPerMillion: Price;
  readonly dynamodbWcuHour: Price;
  readonly dynamodbRcuHour: Price;
  readonly translatePerMillionCharacters: Price;
}

export const PRICES_READ = "2026-11-28";
const APIGW = "https://aws.amazon.com/api-gateway/pricing/";
const ELB = "https://aws.amazon.com/elasticloadbalancing/pricing/";
const LAMBDA = "https://aws.amazon.com/lambda/pricing/";
const KINESIS = "https://aws.amazon.com/kinesis/data-streams/pricing/";
const SQS = "https://aws.amazon.com/sqs/pricing/";
const DYNAMODB_ON_DEMAND = "https://aws.amazon.com/dynamodb/pricing/on-demand/";
const DYNAMODB_PROVISIONED = "https://aws.amazon.com/dynamodb/pricing/provisioned/";
const TRANSLATE = "https://aws.amazon.com/translate/pricing/";

const price = (usd: number, unit: string, source: string): Price => ({ usd, unit, source, read: PRICES_READ });
const tier = (upToMillions: number, usd: number, unit: string, source: string): Tier => ({ upToMillions, price: price(usd, unit, source) });

export const REGIONS = ["ap-northeast-1", "us-east-1"] as const;
export type Region = (typeof REGIONS)[number];

export const PRICES: Record<Region, RegionPrices> = {
  "ap-northeast-1": {
    restApiPerMillion: [
      tier(333, 4.25, "per million REST API calls, first 333 M/month", APIGW),
      tier(1_000, 3.53, "per million REST API calls, next 667 M/month", APIGW),
      tier(20_000, 3.0, "per million REST API calls, next 19 B/month", APIGW),
      tier(Number.POSITIVE_INFINITY, 1.91, "per million REST API calls, over 20 B/month", APIGW),
    ],
    httpApiPerMillion: [
      tier(300, 1.29, "per million HTTP API calls (512 KB units), first 300 M/month", APIGW),
      tier(Number.POSITIVE_INFINITY, 1.16, "per million HTTP API calls (512 KB units), over 300 M/month", APIGW),
    ],
    albHour: price(0.0243, "per Application Load Balancer hour", ELB),
    albLcuHour: price(0.008, "per LCU-hour", ELB),
    lambdaRequestPerMillion: price(0.2, "per million requests", LAMBDA),
    lambdaGbSecondX86: price(0.0000166667, "per GB-second (x86)", LAMBDA),
    lambdaGbSecondArm: price(0.0000133334, "per GB-second (Arm)", LAMBDA),
    kinesisShardHour: price(0.0195, "per shard-hour (provisioned)", KINESIS),
    kinesisPutUnitPerMillion: price(0.0215, "per million PUT payload units (25 KB)", KINESIS),
    sqsRequestPerMillion: price(0.4, "per million standard queue requests (64 KB chunks)", SQS),
    dynamodbWriteRequestUnitPerMillion: price(0.715, "per million write request units (on-demand)", DYNAMODB_ON_DEMAND),
    dynamodbReadRequestUnitPerMillion: price(0.1425, "per million read request units (on-demand)", DYNAMODB_ON_DEMAND),
    dynamodbWcuHour: price(0.000742, "per WCU-hour (provisioned)", DYNAMODB_PROVISIONED),
    dynamodbRcuHour: price(0.0001484, "per RCU-hour (provisioned)", DYNAMODB_PROVISIONED),
    translatePerMillionCharacters: price(15, "per million characters (standard real-time translation)", TRANSLATE),
  },
  "us-east-1": {
    restApiPerMillion: [
      tier(333, 3.5, "per million REST API calls, first 333 M/month", APIGW),
      tier(1_000, 2.8, "per million REST API calls, next 667 M/month", APIGW),
      tier(20_000, 2.38, "per million REST API calls, next 19 B/month", APIGW),
      tier(Number.POSITIVE_INFINITY, 1.51, "per million REST API calls, over 20 B/month", APIGW),
    ],
    httpApiPerMillion: [
      tier(300, 1.0, "per million HTTP API calls (512 KB units), first 300 M/month", APIGW),
      tier(Number.POSITIVE_INFINITY, 0.9, "per million HTTP API calls (512 KB units), over 300 M/month", APIGW),
    ],
    albHour: price(0.0225, "per Application Load Balancer hour", ELB),
    albLcuHour: price(0.008, "per LCU-hour", ELB),
    lambdaRequestPerMillion: price(0.2, "per million requests", LAMBDA),
    lambdaGbSecondX86: price(0.0000166667, "per GB-second (x86)", LAMBDA),
    lambdaGbSecondArm: price(0.0000133334, "per GB-second (Arm)", LAMBDA),
    kinesisShardHour: price(0.015, "per shard-hour (provisioned)", KINESIS),
    kinesisPutUnitPerMillion: price(0.014, "per million PUT payload units (25 KB)", KINESIS),
    sqsRequestPerMillion: price(0.4, "per million standard queue requests (64 KB chunks)", SQS),
    dynamodbWriteRequestUnitPerMillion: price(0.625, "per million write request units (on-demand)", DYNAMODB_ON_DEMAND),
    dynamodbReadRequestUnitPerMillion: price(0.125, "per million read request units (on-demand)", DYNAMODB_ON_DEMAND),
    dynamodbWcuHour: price(0.00065, "per WCU-hour (provisioned)", DYNAMODB_PROVISIONED),
    dynamodbRcuHour: price(0.00013, "per RCU-hour (provisioned)", DYNAMODB_PROVISIONED),
    translatePerMillionCharacters: price(15, "per million characters (standard real-time translation)", TRANSLATE),
  },
};

export const PRICING_NOTES = [
  "free tiers ignored",
  `prices as published on the AWS pricing pages cited per entry, read ${PRICES_READ}`,
  "not priced: data transfer out, CloudWatch logs/metrics/alarms, KMS requests, S3 access logs, Route 53, ACM (free)",
];

/** Every price of a region with its name, for listing and for the test that each has a source and a date. */
export function priceEntries(region: Region): [string, Price][] {
  const out: [string, Price][] = [];
  for (const [name, value] of Object.entries(PRICES[region])) {
    if (Array.isArray(value)) (value as Tier[]).forEach((t, i) => out.push([`${name}[${i}]`, t.price]));
    else out.push([name, value as Price]);
  }
  return out;
}

/** Monthly cost of `millions` requests on a tiered price. */
export function tieredCost(tiers: readonly Tier[], millions: number): number {
  let cost = 0;
  let from = 0;
  for (const t of tiers) {
    if (millions <= from) break;
    const inTier = Math.min(millions, t.upToMillions) - from;
    cost += inTier * t.price.usd;
    from = t.upToMillions;
  }
  return cost;
}

export const HOURS_PER_MONTH = 730;
export const SECONDS_PER_MONTH = HOURS_PER_MONTH * 3600;

/** Names of entries without an https source page or an ISO date read (the test fails on any). */
export function undatedOrUnsourced(entries: readonly [string, { readonly source?: string; readonly read?: string }][]): string[] {
  return entries.filter(([, p]) => !/^https:\/\/\S+$/.test(p.source ?? "") || !/^\d{4}-\d{2}-\d{2}$/.test(p.read ?? "")).map(([name]) => name);
}
