import { Construct } from "constructs";
import { CloudwatchMetricAlarm, CloudwatchMetricAlarmConfig } from "@cdktf/provider-aws/lib/cloudwatch-metric-alarm";
import { SnsTopic } from "@cdktf/provider-aws/lib/sns-topic";
import { SnsTopicSubscription } from "@cdktf/provider-aws/lib/sns-topic-subscription";

export interface AlarmTopicProps {
  /** Physical name of the SNS topic. */
  readonly topicName: string;
  /** E-mail subscribed to the topic. @default no subscription */
  readonly email?: string;
}

/** What one alarm watches; every alarm notifies the topic on ALARM and on OK. */
export type AlarmProps = Omit<
  CloudwatchMetricAlarmConfig,
  "alarmActions" | "okActions" | "alarmName" | "treatMissingData"
> & {
  /** Physical alarm name. */
  readonly alarmName: string;
  /** @default "notBreaching": no data means nothing is failing */
  readonly treatMissingData?: string;
};

/**
 * The SNS topic a stack's alarms notify (encrypted with the AWS managed SNS
 * key), and a factory for alarms wired to it, so no alarm is left without an action.
 */
export class AlarmTopic extends Construct {
  readonly topic: SnsTopic;

  constructor(scope: Construct, id: string, props: AlarmTopicProps) {
    super(scope, id);
    this.topic = new SnsTopic(this, "topic", { name: props.topicName, kmsMasterKeyId: "alias/aws/sns" });
    if (props.email) {
      new SnsTopicSubscription(this, "email", { topicArn: this.topic.arn, protocol: "email", endpoint: props.email });
    }
  }

  /** A CloudWatch alarm that notifies this topic. `id` is a short, stable noun. */
  alarm(id: string, props: AlarmProps): CloudwatchMetricAlarm {
    return new CloudwatchMetricAlarm(this, id, {
      treatMissingData: "notBreaching",
      ...props,
      alarmActions: [this.topic.arn],
      okActions: [this.topic.arn],
    });
  }
}
