/**
 * AWS service limits the capacity model uses, one named constant each, with
 * the documentation page it comes from and the date it was read. Account
 * quotas are defaults (a Service Quotas increase raises them); the stacks
 * cannot set them, so the planner says so instead of offering a `--set`.
 */

export interface Limit {
  readonly value: number;
  readonly unit: string;
  /** AWS documentation page the value is read from. */
  readonly source: string;
  /** ISO date the page was read. */
  readonly read: string;
}

const READ = "2026-11-28";
const APIGW_QUOTAS = "https://docs.aws.amazon.com/apigateway/latest/developerguide/limits.html";
const KINESIS_QUOTAS = "https://docs.aws.amazon.com/streams/latest/dev/service-sizes-and-limits.html";
const LAMBDA_SCALING = "https://docs.aws.amazon.com/lambda/latest/dg/scaling-behavior.html";
const LAMBDA_QUOTAS = "https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html";
const LAMBDA_SQS_SCALING = "https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-scaling.html";
const LAMBDA_KINESIS = "https://docs.aws.amazon.com/lambda/latest/dg/with-kinesis.html";
const DYNAMODB_BURST = "https://repost.aws/knowledge-center/dynamodb-spiky-workloads-short-intervals";
const DYNAMODB_ON_DEMAND_MAX = "https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/on-demand-capacity-mode-max-throughput.html";
const DYNAMODB_QUOTAS = "https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/ServiceQuotas.html";
const SQS_QUOTAS = "https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/quotas-messages.html";
const ALB_QUOTAS = "https://docs.aws.amazon.com/elasticloadbalancing/latest/application/load-balancer-limits.html";
const ALB_LAMBDA = "https://docs.aws.amazon.com/elasticloadbalancing/latest/application/lambda-functions.html";
const ELB_PRICING = "https://aws.amazon.com/elasticloadbalancing/pricing/";
const TRANSLATE_QUOTAS = "https://docs.aws.amazon.com/translate/latest/dg/what-is-limits.html";

const limit = (value: number, unit: string, source: string): Limit => ({ value, unit, source, read: READ });

export const LIMITS = {
  /** Requests per second across all APIs of an account in a region (ap-northeast-1 and us-east-1). */
  apiGatewayAccountRate: limit(10_000, "requests/s per account per region", APIGW_QUOTAS),
  /** The account's token-bucket size; set by AWS from the rate, not by customers. */
  apiGatewayAccountBurst: limit(5_000, "requests (bucket size)", APIGW_QUOTAS),
  /** Largest request payload of a REST or HTTP API. */
  apiGatewayPayloadKb: limit(10_240, "KB per request", APIGW_QUOTAS),

  kinesisShardWriteRecords: limit(1_000, "records/s per shard (write)", KINESIS_QUOTAS),
  kinesisShardWriteKb: limit(1_024, "KB/s per shard (write)", KINESIS_QUOTAS),
  kinesisShardReadKb: limit(2_048, "KB/s per shard (read, shared by all standard consumers)", KINESIS_QUOTAS),
  kinesisShardGetRecordsPerSecond: limit(5, "GetRecords calls/s per shard", KINESIS_QUOTAS),
  kinesisGetRecordsMaxRecords: limit(10_000, "records per GetRecords call", KINESIS_QUOTAS),
  kinesisRecordKb: limit(1_024, "KB per record (data blob)", KINESIS_QUOTAS),
  /** Concurrent batches per shard of a Kinesis event source mapping (1..10). */
  kinesisMaxParallelizationFactor: limit(10, "concurrent batches per shard", LAMBDA_KINESIS),

  lambdaAccountConcurrency: limit(1_000, "concurrent executions per account per region", LAMBDA_QUOTAS),
  /** Each function can add 1,000 execution environments every 10 seconds (refilled continuously). */
  lambdaScalingPer10s: limit(1_000, "new execution environments per function per 10 s", LAMBDA_SCALING),
  lambdaSyncPayloadKb: limit(6_144, "KB per synchronous invocation payload", LAMBDA_QUOTAS),

  sqsEventSourceInitialConcurrency: limit(5, "concurrent batches when messages appear", LAMBDA_SQS_SCALING),
  sqsEventSourceScalingPerMinute: limit(300, "added concurrent batches per minute", LAMBDA_SQS_SCALING),
  sqsEventSourceMaxConcurrency: limit(1_000, "concurrent batches per event source mapping", LAMBDA_SQS_SCALING),
  /** Standard queues: nearly unlimited API calls per second. */
  sqsStandardThroughput: limit(Number.POSITIVE_INFINITY, "messages/s (standard queue: nearly unlimited)", SQS_QUOTAS),
  sqsMessageKb: limit(256, "KB per message", SQS_QUOTAS),

  /** Unused provisioned capacity DynamoDB keeps for bursts (best effort). */
  dynamodbBurstSeconds: limit(300, "seconds of unused provisioned capacity", DYNAMODB_BURST),
  dynamodbPartitionWcu: limit(1_000, "WCU per partition (one partition key value)", DYNAMODB_BURST),
  dynamodbPartitionRcu: limit(3_000, "RCU per partition (one partition key value)", DYNAMODB_BURST),
  dynamodbOnDemandTableMax: limit(40_000, "read or write request units/s per on-demand table (account quota)", DYNAMODB_ON_DEMAND_MAX),
  dynamodbItemKb: limit(400, "KB per item", DYNAMODB_QUOTAS),
  dynamodbWriteUnitKb: limit(1, "KB per write unit", DYNAMODB_QUOTAS),
  dynamodbReadUnitKb: limit(4, "KB per strongly consistent read unit", DYNAMODB_QUOTAS),

  /** No request-rate quota: an ALB scales on its own (a sudden 10x spike may see 503s while it does). */
  albRequestRate: limit(Number.POSITIVE_INFINITY, "requests/s (no fixed quota; scales with load)", ALB_QUOTAS),
  albLambdaBodyKb: limit(1_024, "KB request or response body for Lambda targets", ALB_LAMBDA),
  albLcuNewConnections: limit(25, "new connections/s per LCU", ELB_PRICING),
  albLcuActiveConnections: limit(3_000, "active connections/min per LCU", ELB_PRICING),
  albLcuLambdaGbPerHour: limit(0.4, "GB/h processed per LCU (Lambda targets)", ELB_PRICING),
  albLcuRuleEvaluations: limit(1_000, "rule evaluations/s per LCU", ELB_PRICING),
  albFreeRules: limit(10, "rules processed per request at no charge", ELB_PRICING),

  /** Amazon Translate publishes no request-rate quota for TranslateText ("scales to serve customer traffic"). */
  translateRequestRate: limit(Number.POSITIVE_INFINITY, "requests/s (no published quota)", TRANSLATE_QUOTAS),
  translateMaxInputBytes: limit(10_000, "bytes of text per TranslateText request", TRANSLATE_QUOTAS),
} as const satisfies Record<string, Limit>;

export type LimitName = keyof typeof LIMITS;
