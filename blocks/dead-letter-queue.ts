import { Construct } from "constructs";
import { SqsQueue } from "@cdktf/provider-aws/lib/sqs-queue";
import { IAlarmTopic, alarmIdPrefixOf } from "./alarm-topic";
import { QUEUE_DEFAULTS } from "./defaults";

export interface DeadLetterQueueProps {
  /** Physical queue name. */
  readonly queueName: string;
  /** Where the depth and age alarms go. */
  readonly alarms: IAlarmTopic;
  /** Seconds a failed message is kept. @default 1209600 (14 days, the SQS maximum) */
  readonly messageRetentionSeconds?: number;
  /** Oldest-message age that raises an alarm, in seconds. @default 3600 */
  readonly maxAgeSeconds?: number;
}

/**
 * Where failed messages or records end up instead of being dropped: an
 * encrypted SQS queue (messages kept 14 days by default), with alarms on depth
 * > 0 and on the age of its oldest message, so a failure is seen before it expires.
 *
 * Copying it: with alarm-topic.ts and defaults.ts.
 */
export class DeadLetterQueue extends Construct {
  readonly queue: SqsQueue;

  constructor(scope: Construct, id: string, props: DeadLetterQueueProps) {
    super(scope, id);
    this.queue = new SqsQueue(this, "queue", {
      ...QUEUE_DEFAULTS,
      name: props.queueName,
      messageRetentionSeconds: props.messageRetentionSeconds ?? 1209600,
    });
    const dimensions = { QueueName: this.queue.name };
    const alarms = props.alarms;
    alarms.alarm(`${alarmIdPrefixOf(this)}_depth`, {
      alarmName: `${props.queueName}-not-empty`,
      alarmDescription: `Messages in ${props.queueName}: deliveries failed and wait for a replay.`,
      namespace: "AWS/SQS",
      metricName: "ApproximateNumberOfMessagesVisible",
      dimensions,
      statistic: "Maximum",
      period: 60,
      evaluationPeriods: 1,
      threshold: 0,
      comparisonOperator: "GreaterThanThreshold",
    });
    alarms.alarm(`${alarmIdPrefixOf(this)}_age`, {
      alarmName: `${props.queueName}-oldest-message-age`,
      alarmDescription: `The oldest message in ${props.queueName} is older than ${props.maxAgeSeconds ?? 3600} s.`,
      namespace: "AWS/SQS",
      metricName: "ApproximateAgeOfOldestMessage",
      dimensions,
      statistic: "Maximum",
      period: 300,
      evaluationPeriods: 1,
      threshold: props.maxAgeSeconds ?? 3600,
      comparisonOperator: "GreaterThanThreshold",
    });
  }
}
