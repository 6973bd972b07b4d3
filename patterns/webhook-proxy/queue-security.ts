/**
 * Who may read the queued webhooks. They hold the senders' bodies and
 * signature headers (each a replay token) and `authorization`: with
 * SQS-managed encryption and no queue policy, any principal of the account
 * allowed `sqs:ReceiveMessage` could read them. Here both queues use a
 * customer managed key only the two function roles (and named operators) may
 * use, and only through SQS; queue policies deny everyone else receive,
 * delete and (main queue) send, and anyone plain HTTP; the DLQ takes
 * redrives from the main queue only.
 */
import { DataAwsIamPolicyDocument } from "@cdktf/provider-aws/lib/data-aws-iam-policy-document";
import type { IamRole } from "@cdktf/provider-aws/lib/iam-role";
import { KmsAlias } from "@cdktf/provider-aws/lib/kms-alias";
import { KmsKey } from "@cdktf/provider-aws/lib/kms-key";
import { SqsQueue } from "@cdktf/provider-aws/lib/sqs-queue";
import { SqsQueuePolicy } from "@cdktf/provider-aws/lib/sqs-queue-policy";
import { SqsQueueRedriveAllowPolicy } from "@cdktf/provider-aws/lib/sqs-queue-redrive-allow-policy";
import { Fn, Token } from "cdktf";
import { KEY_ADMIN_ACTIONS } from "../../blocks/alarm-topic";
import type { Pattern } from "../../blocks/pattern";
import { patternSetSetting, settingReference } from "../../blocks/variables";

/** What `queue_operator_arns` admits: IAM role or user ARNs of this partition. */
export const PRINCIPAL_ARN_PATTERN = "^arn:aws[a-z-]*:iam::[0-9]{12}:(role|user)/[A-Za-z0-9+=,.@_/-]+$";

/** Key administration without use: the account's IAM policies cannot grant anyone decryption of the queued webhooks. */
export const QUEUE_KEY_ADMIN_ACTIONS: readonly string[] = KEY_ADMIN_ACTIONS.filter((a) => a !== "kms:GenerateDataKey" && a !== "kms:Decrypt");

/** What reading a queue takes; denied to all but the queue's readers. */
export const READ_ACTIONS: readonly string[] = ["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:ChangeMessageVisibility", "sqs:PurgeQueue"];

export interface QueueSecurityProps {
  readonly queue: SqsQueue;
  readonly deadLetterQueue: SqsQueue;
  /** api2sqs's role: sends (SQS asks it for GenerateDataKey and Decrypt). */
  readonly producer: IamRole;
  /** sqs2upstream's role: receives and deletes (Decrypt). */
  readonly consumer: IamRole;
  /** Default of `queue_operator_arns`. @default [] */
  readonly operatorArns?: readonly string[];
}

/** Encrypts both queues with the stack's own key and attaches their policies. */
export class QueueSecurity {
  readonly key: KmsKey;

  constructor(stack: Pattern, props: QueueSecurityProps) {
    const operators = patternSetSetting(stack, "queue_operator_arns", [...(props.operatorArns ?? [])], {
      pattern: PRINCIPAL_ARN_PATTERN,
      description:
        "IAM roles or users that may read, redrive and purge both webhook queues (their key and queue policies " +
        "name them): whoever starts a DLQ redrive. Empty: only the two functions and the account root.",
      errorMessage: "queue_operator_arns must be IAM role or user ARNs (arn:aws:iam::<account>:role/<name>).",
    });
    const operatorList = Token.asList(Fn.tolist(operators));
    const root = `arn:aws:iam::${stack.accountId}:root`;
    const viaSqs = [{ test: "StringEquals", variable: "kms:ViaService", values: [`sqs.${stack.regionName}.amazonaws.com`] }];

    const keyPolicy = new DataAwsIamPolicyDocument(stack, "queue_key_policy", {
      statement: [
        { sid: "AccountAdministersKey", principals: [{ type: "AWS", identifiers: [root] }], actions: [...QUEUE_KEY_ADMIN_ACTIONS], resources: ["*"] },
        {
          sid: "ProducerEncryptsViaSqs",
          principals: [{ type: "AWS", identifiers: [props.producer.arn] }],
          actions: ["kms:GenerateDataKey", "kms:Decrypt"],
          resources: ["*"],
          condition: viaSqs,
        },
        {
          sid: "ConsumerDecryptsViaSqs",
          principals: [{ type: "AWS", identifiers: [props.consumer.arn] }],
          actions: ["kms:Decrypt"],
          resources: ["*"],
          condition: viaSqs,
        },
      ],
    });
    // Operators only when named: a statement with no principal is not a valid key policy.
    const operatorsRef = settingReference(stack, "queue_operator_arns");
    const operatorStatement = {
      principals: [{ type: "AWS", identifiers: operatorsRef ? `\${${operatorsRef}}` : [...operators] }],
      actions: ["kms:GenerateDataKey", "kms:Decrypt"],
      resources: ["*"],
      condition: viaSqs,
    };
    if (operatorsRef) {
      keyPolicy.addOverride("dynamic.statement", {
        for_each: `\${length(${operatorsRef}) > 0 ? ["OperatorsRedriveViaSqs"] : []}`,
        content: { sid: "${statement.value}", ...operatorStatement },
      });
    } else if (operators.length > 0) {
      keyPolicy.addOverride("dynamic.statement", { for_each: ["OperatorsRedriveViaSqs"], content: { sid: "${statement.value}", ...operatorStatement } });
    }
    this.key = new KmsKey(stack, "queue_key", {
      description: `Encrypts ${stack.name("proxy-queue")} and its DLQ: webhook bodies and signature headers`,
      enableKeyRotation: true,
      deletionWindowInDays: 30,
      policy: keyPolicy.json,
    });
    new KmsAlias(stack, "queue_key_alias", { name: `alias/${stack.name("webhook-proxy-queues")}`, targetKeyId: this.key.keyId });
    for (const q of [props.queue, props.deadLetterQueue]) {
      q.resetSqsManagedSseEnabled();
      q.kmsMasterKeyId = this.key.arn;
      // One data key per producer for 5 minutes (SQS's default, stated): KMS calls stay few in a burst.
      q.kmsDataKeyReusePeriodSeconds = 300;
    }

    const everyone = [{ type: "*", identifiers: ["*"] }];
    const deny = (queue: SqsQueue, sid: string, actions: readonly string[], allowed: string[]) => ({
      sid,
      effect: "Deny",
      principals: everyone,
      actions: [...actions],
      resources: [queue.arn],
      condition: [{ test: "ArnNotEquals", variable: "aws:PrincipalArn", values: allowed }],
    });
    const tlsOnly = (queue: SqsQueue) => ({
      sid: "DenyPlainHttp",
      effect: "Deny",
      principals: everyone,
      actions: ["sqs:*"],
      resources: [queue.arn],
      condition: [{ test: "Bool", variable: "aws:SecureTransport", values: ["false"] }],
    });
    const readers = (...arns: string[]): string[] => Token.asList(Fn.concat([[...arns, root], operatorList]));
    const policies: [string, SqsQueue, ReturnType<typeof deny>[]][] = [
      [
        "queue",
        props.queue,
        [
          deny(props.queue, "OnlyTheConsumerReads", READ_ACTIONS, readers(props.consumer.arn)),
          // A webhook sent past api2sqs would skip the signature check.
          deny(props.queue, "OnlyTheProducerSends", ["sqs:SendMessage"], readers(props.producer.arn)),
        ],
      ],
      ["dlq", props.deadLetterQueue, [deny(props.deadLetterQueue, "OnlyOperatorsRead", READ_ACTIONS, readers())]],
    ];
    for (const [id, queue, statements] of policies) {
      const doc = new DataAwsIamPolicyDocument(stack, `${id}_policy_document`, { statement: [tlsOnly(queue), ...statements] });
      new SqsQueuePolicy(stack, `${id}_policy`, { queueUrl: queue.url, policy: doc.json });
    }
    new SqsQueueRedriveAllowPolicy(stack, "dlq_redrive_allow", {
      queueUrl: props.deadLetterQueue.url,
      redriveAllowPolicy: Fn.jsonencode({ redrivePermission: "byQueue", sourceQueueArns: [props.queue.arn] }),
    });
  }
}
