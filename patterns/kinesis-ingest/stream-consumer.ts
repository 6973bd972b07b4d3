/**
 * kinesis-ingest's back half: the function that drains the stream into the table,
 * its event source mapping (partial batch failures, bisecting, bounded retries and
 * age, a dead-letter queue) and the stream's alarms. A function, not a construct:
 * its resources sit directly in the pattern, at the addresses the stack had before.
 */
import { CloudwatchMetricAlarm } from "@cdktf/provider-aws/lib/cloudwatch-metric-alarm";
import { LambdaEventSourceMapping } from "@cdktf/provider-aws/lib/lambda-event-source-mapping";
import { DeadLetterQueue } from "../../blocks/dead-letter-queue";
import { NodejsFunction } from "../../blocks/lambda/nodejs-function";
import { Pattern } from "../../blocks/pattern";
import { StreamRef, TableRef } from "../../blocks/references";

export interface StreamConsumer {
  readonly handler: NodejsFunction;
  readonly eventSourceMapping: LambdaEventSourceMapping;
  readonly deadLetterQueue: DeadLetterQueue;
  readonly iteratorAgeAlarm: CloudwatchMetricAlarm;
  readonly writeThrottlesAlarm: CloudwatchMetricAlarm;
}

export function streamConsumer(
  pattern: Pattern,
  props: {
    readonly stream: StreamRef;
    readonly table: TableRef;
    readonly batchSize: number;
    readonly maximumRetryAttempts: number;
    readonly maximumRecordAgeSeconds: number;
    readonly iteratorAgeAlarmMs: number;
  },
): StreamConsumer {
  const alarms = pattern.alarmTopic;
  const deadLetterQueue = new DeadLetterQueue(pattern, "dead_letter_queue", {
    queueName: pattern.name("kinesis-to-dynamo-dlq"),
    alarms,
  });
  const handler = new NodejsFunction(pattern, "handler", {
    ...pattern.functionDefaults,
    entry: "handlers/kinesis-ingest/index.ts",
    functionName: pattern.name("kinesis_to_dynamo"),
    roleName: pattern.name("lambda_kinesis_to_dynamo_role"),
    rolePolicy: { kind: "inline", name: pattern.name("lambda_kinesis_to_dynamo_policy") },
    memorySize: 256,
    timeout: 60,
    // Fix: the table name comes from the stack (the seed hard-codes 'example-table' in the handler).
    // The DLQ's URL: a record the table can never store is dead-lettered by the handler at once
    // (one on-failure-shaped message per record), so it does not hold the shard for every retry.
    environment: { TABLE_NAME: props.table.name, DEAD_LETTER_QUEUE_URL: deadLetterQueue.queue.url },
    description: "Stores the records of the ingest stream in DynamoDB",
    // Fix: logs only to its own log group (granted by NodejsFunction; the seed grants arn:aws:logs:*:*:*).
    statements: [
      // BatchWriteItem replaces the seed's PutItem: 25 items per call.
      { sid: "WriteTable", actions: ["dynamodb:BatchWriteItem"], resources: [props.table.arn] },
      {
        sid: "ReadStream",
        actions: [
          "kinesis:GetRecords",
          "kinesis:GetShardIterator",
          "kinesis:DescribeStream",
          "kinesis:DescribeStreamSummary",
          "kinesis:ListShards",
        ],
        resources: [props.stream.arn],
      },
      // The mapping's on-failure destination is sent with the function's role; the handler sends
      // its own per-record dead letters (records the table can never store) with it too.
      { sid: "SendToDeadLetterQueue", actions: ["sqs:SendMessage"], resources: [deadLetterQueue.queue.arn] },
    ],
  });

  // Fix: partial batch failures, bisect-on-error, bounded retries and age, and a dead-letter queue,
  // so one poison record never blocks the shard (the seed retries it until it expires from the stream).
  // A record the table can never store does not even wait for the retries: the handler dead-letters it.
  const eventSourceMapping = new LambdaEventSourceMapping(pattern, "trigger", {
    eventSourceArn: props.stream.arn,
    functionName: handler.function.arn,
    batchSize: props.batchSize,
    startingPosition: "LATEST",
    functionResponseTypes: ["ReportBatchItemFailures"],
    bisectBatchOnFunctionError: true,
    maximumRetryAttempts: props.maximumRetryAttempts,
    maximumRecordAgeInSeconds: props.maximumRecordAgeSeconds,
    destinationConfig: { onFailure: { destinationArn: deadLetterQueue.queue.arn } },
  });

  // Alarms besides the stage's, the function's and the dead-letter queue's.
  const streamDimensions = { StreamName: props.stream.name };
  const iteratorAgeAlarm = alarms.alarm(pattern.alarmId("iterator_age"), {
    alarmName: pattern.name("example-stream-iterator-age"),
    alarmDescription: `Records wait in the stream longer than ${props.iteratorAgeAlarmMs} ms: the consumer is behind or failing.`,
    namespace: "AWS/Kinesis",
    metricName: "GetRecords.IteratorAgeMilliseconds",
    dimensions: streamDimensions,
    statistic: "Maximum",
    period: 60,
    evaluationPeriods: 5,
    threshold: props.iteratorAgeAlarmMs,
    comparisonOperator: "GreaterThanThreshold",
  });
  const writeThrottlesAlarm = alarms.countAboveZero(pattern.alarmId("write_throttles"), {
    alarmName: pattern.name("example-stream-write-throttles"),
    alarmDescription: `PutRecord throttled: clients got 429; add shards or lower the stage's throttling.`,
    namespace: "AWS/Kinesis",
    metricName: "WriteProvisionedThroughputExceeded",
    dimensions: streamDimensions,
  });
  return { handler, eventSourceMapping, deadLetterQueue, iteratorAgeAlarm, writeThrottlesAlarm };
}
