import { Construct } from "constructs";
import type { IResolvable } from "cdktf";
import type { CloudwatchMetricAlarm } from "@cdktf/provider-aws/lib/cloudwatch-metric-alarm";
import { DynamodbTable, DynamodbTableConfig } from "@cdktf/provider-aws/lib/dynamodb-table";
import type { LambdaPermission } from "@cdktf/provider-aws/lib/lambda-permission";
import { LbListenerRule } from "@cdktf/provider-aws/lib/lb-listener-rule";
import { LbTargetGroup } from "@cdktf/provider-aws/lib/lb-target-group";
import { LbTargetGroupAttachment } from "@cdktf/provider-aws/lib/lb-target-group-attachment";
import { alarmIdPrefixOf, IAlarmTopic } from "../../blocks/alarm-topic";
import { consolidateProps, secureTableDefaults } from "../../blocks/defaults";
import { LambdaPackaging } from "../../blocks/deployment";
import { NodejsFunction } from "../../blocks/lambda/nodejs-function";
import { TableRef } from "../../blocks/references";
import { MEDIA_ALB_DEFAULTS } from "./defaults";

/** A table's settings a user may override (the handlers read items by one string key: the key schema is fixed). */
export type MediaAlbTableProps = Partial<Omit<DynamodbTableConfig, "hashKey" | "rangeKey" | "attribute">>;

export interface MediaEndpointProps {
  /** Physical name of the function. */
  readonly functionName: string;
  /** Physical name of the function's role. */
  readonly roleName: string;
  /** TypeScript entry of the handler. */
  readonly entry: string;
  /** The table the function reads: one the user has, or a new one (`name`, overridden by `overrides`). */
  readonly table: { readonly existing?: TableRef; readonly name: string; readonly overrides?: MediaAlbTableProps };
  /** The table's partition key (a string attribute). */
  readonly hashKey: string;
  /** Physical name of the target group (32 characters at most). */
  readonly targetGroupName: string;
  /** The HTTPS listener the rule is added to. */
  readonly listenerArn: string;
  /** The rule's priority (the seed's "rule ID"). */
  readonly priority: number;
  /** Path the rule forwards, e.g. `/media/job_id`. */
  readonly path: string;
  /** `ALLOWED_ORIGINS` of the function. */
  readonly allowedOrigins: string;
  /** `arn_suffix` of the load balancer: the `LoadBalancer` dimension of the target group's metrics. */
  readonly loadBalancerArnSuffix: string;
  /** Reserved concurrency of the function (a plan-time value): what a flood on the public ALB can take. */
  readonly reservedConcurrentExecutions: number;
  /** Where the function's and the target group's alarms go. */
  readonly alarms: IAlarmTopic;
  readonly packaging: LambdaPackaging;
  readonly logRetentionDays: number;
  /** Lambda active tracing (the pattern's `tracing`). @default false */
  readonly tracing?: boolean | IResolvable;
}

/**
 * One route of the ALB to one Lambda function reading one table: the table
 * (on-demand, encrypted, point-in-time recovery) unless the user has one, the
 * function (GetItem on that table only), a target group of type `lambda`, the
 * permission for Elastic Load Balancing scoped to that target group, the
 * attachment (after the permission: registering a target the ALB may not invoke
 * fails), the listener rule, and an alarm on the function's answers the ALB rejects.
 */
export class MediaEndpoint extends Construct {
  /** The table the endpoint created (undefined with an existing one). */
  readonly table?: DynamodbTable;
  /** The table the function reads: created or existing. */
  readonly tableRef: TableRef;
  readonly handler: NodejsFunction;
  readonly targetGroup: LbTargetGroup;
  readonly permission: LambdaPermission;
  readonly attachment: LbTargetGroupAttachment;
  readonly rule: LbListenerRule;
  readonly lambdaUserErrorAlarm: CloudwatchMetricAlarm;

  constructor(scope: Construct, id: string, props: MediaEndpointProps) {
    super(scope, id);

    // Written by the MediaConvert pipeline of the seed's previous post; read-only here.
    if (props.table.existing) {
      this.tableRef = props.table.existing;
    } else {
      this.table = new DynamodbTable(this, "table", {
        ...consolidateProps<MediaAlbTableProps>({ ...MEDIA_ALB_DEFAULTS.table, ...secureTableDefaults(this) }, props.table.overrides),
        name: props.table.overrides?.name ?? props.table.name,
        hashKey: props.hashKey,
        attribute: [{ name: props.hashKey, type: "S" }],
      });
      this.tableRef = this.table;
    }

    this.handler = new NodejsFunction(this, "handler", {
      entry: props.entry,
      functionName: props.functionName,
      roleName: props.roleName,
      packaging: props.packaging,
      logRetentionDays: props.logRetentionDays,
      alarms: props.alarms,
      tracing: props.tracing,
      statements: [{ sid: "ReadOwnTable", actions: ["dynamodb:GetItem"], resources: [this.tableRef.arn] }],
      environment: { TABLE_NAME: this.tableRef.name, ALLOWED_ORIGINS: props.allowedOrigins },
      // Fix: behind an internet-facing ALB with no rate limit, an unreserved function could take the
      // region's whole Lambda concurrency from every other function of the account.
      reservedConcurrentExecutions: props.reservedConcurrentExecutions,
    });

    this.targetGroup = new LbTargetGroup(this, "target_group", {
      name: props.targetGroupName,
      targetType: "lambda",
      // Single-value mode (the default, as the seed): events carry `headers` and
      // `queryStringParameters`, responses `headers` (see handlers/media-alb/event.ts).
      lambdaMultiValueHeadersEnabled: false,
    });

    this.permission = this.handler.allowInvoke(
      "permission",
      { statementId: "AllowExecutionFromALB", principal: "elasticloadbalancing.amazonaws.com", sourceArn: this.targetGroup.arn },
      this,
    );

    this.attachment = new LbTargetGroupAttachment(this, "attachment", {
      targetGroupArn: this.targetGroup.arn,
      targetId: this.handler.function.arn,
      dependsOn: [this.permission],
    });

    this.rule = new LbListenerRule(this, "rule", {
      listenerArn: props.listenerArn,
      priority: props.priority,
      condition: [{ pathPattern: { values: [props.path] } }],
      action: [{ type: "forward", targetGroupArn: this.targetGroup.arn }],
    });

    // LambdaUserError: the ALB could not use the function's answer or invoke it, e.g. the
    // seed's numeric header value, answered to the caller as a 502 with nothing in the function's log.
    this.lambdaUserErrorAlarm = props.alarms.countAboveZero(`${alarmIdPrefixOf(this)}_lambda_user_error`, {
      alarmName: `${props.functionName}-alb-lambda-user-error`,
      alarmDescription: `${props.targetGroupName}: the ALB rejected or could not invoke ${props.functionName} (502 to callers)`,
      namespace: "AWS/ApplicationELB",
      metricName: "LambdaUserError",
      dimensions: { TargetGroup: this.targetGroup.arnSuffix, LoadBalancer: props.loadBalancerArnSuffix },
    });
  }
}
