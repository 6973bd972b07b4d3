import { Construct } from "constructs";
import { Lazy, TerraformStack } from "cdktf";
import { CloudwatchMetricAlarm, CloudwatchMetricAlarmConfig } from "@cdktf/provider-aws/lib/cloudwatch-metric-alarm";
import { DataAwsCallerIdentity } from "@cdktf/provider-aws/lib/data-aws-caller-identity";
import { DataAwsIamPolicyDocument } from "@cdktf/provider-aws/lib/data-aws-iam-policy-document";
import { KmsAlias } from "@cdktf/provider-aws/lib/kms-alias";
import { KmsKey } from "@cdktf/provider-aws/lib/kms-key";
import { SnsTopic } from "@cdktf/provider-aws/lib/sns-topic";
import { SnsTopicSubscription } from "@cdktf/provider-aws/lib/sns-topic-subscription";

export interface AlarmTopicProps {
  /** Physical name of the SNS topic (and of its key's alias): one per stack, so include the stack's id. */
  readonly topicName: string;
  /**
   * The account that owns the key and whose alarms may use it (`aws:SourceAccount`).
   * @default looked up with `data.aws_caller_identity` (pass the stack's `accountId` to share one)
   */
  readonly accountId?: string;
  /** E-mail subscribed to the topic. @default no subscription */
  readonly email?: string;
  /**
   * Names of the alarms that may publish (a wildcard pattern, e.g. `dev-*`): the key policy's
   * `aws:SourceArn` condition, besides `aws:SourceAccount`.
   * @default any alarm of the account
   */
  readonly alarmNamePattern?: string;
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

/** What a "count above zero" alarm watches: one metric whose sum over a period must stay 0. */
export interface CountAlarmProps {
  /** Physical alarm name. */
  readonly alarmName: string;
  readonly alarmDescription: string;
  readonly namespace: string;
  readonly metricName: string;
  readonly dimensions?: Record<string, string>;
  /** Seconds. @default 60 */
  readonly period?: number;
}

/**
 * Key administration by the account (IAM policies decide who), named rather than `kms:*`:
 * what Terraform needs to manage the key and an operator to inspect, rotate or retire it.
 */
export const KEY_ADMIN_ACTIONS: readonly string[] = [
  "kms:DescribeKey",
  "kms:GetKeyPolicy",
  "kms:PutKeyPolicy",
  "kms:GetKeyRotationStatus",
  "kms:EnableKeyRotation",
  "kms:ListKeyRotations",
  "kms:ListResourceTags",
  "kms:TagResource",
  "kms:UntagResource",
  "kms:UpdateKeyDescription",
  "kms:CreateAlias",
  "kms:DeleteAlias",
  "kms:UpdateAlias",
  "kms:ScheduleKeyDeletion",
  "kms:CancelKeyDeletion",
  // A person with IAM permission may publish a test notification (`aws sns publish`).
  "kms:GenerateDataKey",
  "kms:Decrypt",
];

/** What SNS asks of a publisher's key use on an encrypted topic (AWS docs: "Enable compatibility between event sources ... and encrypted topics"). */
export const PUBLISHER_KEY_ACTIONS: readonly string[] = ["kms:GenerateDataKey", "kms:Decrypt"];

/**
 * The id prefix of the alarms a construct adds to its stack's topic: its path
 * below the stack, `_`-joined (`handler`, `job_id_handler`). Alarms live in the
 * topic's scope, not the construct's, so the path, unique in the stack, keeps
 * their ids (Terraform addresses) unique where two constructs share an id.
 */
export function alarmIdPrefixOf(construct: Construct): string {
  const below = construct.node.scopes.slice(TerraformStack.of(construct).node.scopes.length);
  // `Default` is left out, as cdktf leaves it out of addresses: a pattern placed as a stack's `Default` keeps them.
  return below
    .map((scope) => scope.node.id)
    .filter((id) => id !== "Default")
    .join("_");
}

/** Where alarms go: a topic and a factory for alarms wired to it (`AlarmTopic`, or one the user has: `ExistingAlarmTopic`). */
export interface IAlarmTopic {
  readonly topicArn: string;
  /** A CloudWatch alarm that notifies this topic. `id` is a short, stable noun. */
  alarm(id: string, props: AlarmProps): CloudwatchMetricAlarm;
  /** An alarm on any occurrence: the metric's sum over one period is above zero (errors, throttles, failed writes). */
  countAboveZero(id: string, props: CountAlarmProps): CloudwatchMetricAlarm;
  /** Where the topic's key admits alarms by name: let these names publish too. @default absent: any alarm of the account may */
  allowAlarmsNamed?(pattern: string): void;
}

/** Alarms wired to `topicArn`, made in `scope` (the alarm resources' home). */
abstract class AlarmFactory extends Construct implements IAlarmTopic {
  abstract readonly topicArn: string;

  alarm(id: string, props: AlarmProps): CloudwatchMetricAlarm {
    return new CloudwatchMetricAlarm(this, id, {
      treatMissingData: "notBreaching",
      ...props,
      alarmActions: [this.topicArn],
      okActions: [this.topicArn],
    });
  }

  countAboveZero(id: string, props: CountAlarmProps): CloudwatchMetricAlarm {
    return this.alarm(id, {
      ...props,
      statistic: "Sum",
      period: props.period ?? 60,
      evaluationPeriods: 1,
      threshold: 0,
      comparisonOperator: "GreaterThanThreshold",
    });
  }
}

/**
 * A topic the user already has, by ARN: alarms are made here and notify it. Its
 * key policy (if encrypted) must let CloudWatch use the key, as `AlarmTopic`'s does.
 */
export class ExistingAlarmTopic extends AlarmFactory {
  constructor(
    scope: Construct,
    id: string,
    readonly topicArn: string,
  ) {
    super(scope, id);
  }
}

/**
 * The SNS topic a stack's alarms notify, and a factory for alarms wired to it,
 * so no alarm is left without an action.
 *
 * Encrypted with a customer managed key (rotated yearly) whose policy lets
 * CloudWatch alarms of this account use it. Fix: the AWS managed key
 * (`alias/aws/sns`) cannot be shared with CloudWatch, so an alarm publishing to a
 * topic encrypted with it fails silently and notifies nobody.
 */
export class AlarmTopic extends AlarmFactory {
  readonly topic: SnsTopic;
  private readonly alarmNamePatterns: string[] = [];
  readonly key: KmsKey;

  constructor(scope: Construct, id: string, props: AlarmTopicProps) {
    super(scope, id);
    const accountId = props.accountId ?? new DataAwsCallerIdentity(this, "account").accountId;
    if (props.alarmNamePattern) this.alarmNamePatterns.push(props.alarmNamePattern);
    const keyPolicy = new DataAwsIamPolicyDocument(this, "key_policy", {
      statement: [
        {
          sid: "AccountAdministersKey",
          principals: [{ type: "AWS", identifiers: [`arn:aws:iam::${accountId}:root`] }],
          actions: [...KEY_ADMIN_ACTIONS],
          // In a key policy, "*" is this key.
          resources: ["*"],
        },
        // No stack routes EventBridge rules to the topic; one that does adds events.amazonaws.com the same way.
        {
          sid: "CloudWatchAlarmsPublish",
          principals: [{ type: "Service", identifiers: ["cloudwatch.amazonaws.com"] }],
          actions: [...PUBLISHER_KEY_ACTIONS],
          resources: ["*"],
          // Only this account's alarms, and of those only the ones named like this topic's (confused deputy protection).
          condition: [
            { test: "StringEquals", variable: "aws:SourceAccount", values: [accountId] },
            ...(props.alarmNamePattern
              ? [
                  {
                    test: "ArnLike",
                    variable: "aws:SourceArn",
                    // Lazy: a pattern sharing this topic adds its own names (allowAlarmsNamed) after the topic exists.
                    values: Lazy.listValue({ produce: () => this.alarmNamePatterns.map((names) => `arn:aws:cloudwatch:*:${accountId}:alarm:${names}`) }),
                  },
                ]
              : []),
          ],
        },
      ],
    });
    this.key = new KmsKey(this, "key", {
      description: `Encrypts the SNS topic ${props.topicName}; CloudWatch alarms of this account may use it`,
      enableKeyRotation: true,
      deletionWindowInDays: 30,
      policy: keyPolicy.json,
    });
    new KmsAlias(this, "key_alias", { name: `alias/${props.topicName}`, targetKeyId: this.key.keyId });
    this.topic = new SnsTopic(this, "topic", { name: props.topicName, kmsMasterKeyId: this.key.arn });
    if (props.email) {
      new SnsTopicSubscription(this, "email", { topicArn: this.topic.arn, protocol: "email", endpoint: props.email });
    }
  }

  get topicArn(): string {
    return this.topic.arn;
  }

  /**
   * Lets alarms named like `pattern` (e.g. `orders-*`) publish too, where the key policy is
   * bounded by name (`alarmNamePattern`): another pattern sharing the topic calls it.
   */
  allowAlarmsNamed(pattern: string): void {
    if (this.alarmNamePatterns.length > 0 && !this.alarmNamePatterns.includes(pattern)) this.alarmNamePatterns.push(pattern);
  }
}
