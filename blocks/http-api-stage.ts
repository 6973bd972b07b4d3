import { Construct } from "constructs";
import { Apigatewayv2Api } from "@cdktf/provider-aws/lib/apigatewayv2-api";
import { Apigatewayv2Stage } from "@cdktf/provider-aws/lib/apigatewayv2-stage";
import { CloudwatchLogGroup } from "@cdktf/provider-aws/lib/cloudwatch-log-group";
import { CloudwatchMetricAlarm } from "@cdktf/provider-aws/lib/cloudwatch-metric-alarm";
import { IAlarmTopic, alarmIdPrefixOf } from "./alarm-topic";
import { AccessLogFields, StageThrottlingProps, throttlingSettings } from "./stage-settings";

/**
 * The access-log fields an HTTP API stage writes when none are given: who, what, the answer, and why
 * it failed (event-log-api's seed format, field for field, plus `userArn`: the IAM principal that
 * signed the request, so each logged call names its caller).
 */
export const DEFAULT_ACCESS_LOG_FIELDS: AccessLogFields = {
  requestId: "$context.requestId",
  userArn: "$context.identity.userArn",
  ip: "$context.identity.sourceIp",
  requestTime: "$context.requestTime",
  httpMethod: "$context.httpMethod",
  routeKey: "$context.routeKey",
  status: "$context.status",
  protocol: "$context.protocol",
  responseLength: "$context.responseLength",
  errorMessage: "$context.error.message",
  errorResponseType: "$context.error.responseType",
  authorizerError: "$context.authorizer.error",
  integrationErrorMessage: "$context.integrationErrorMessage",
};

export interface HttpApiStageProps extends StageThrottlingProps {
  /**
   * The HTTP API (apigatewayv2, protocol HTTP) the stage serves.
   * @default none: required
   */
  readonly api: Apigatewayv2Api;
  /**
   * Stage name; `$default` serves the API at its root, any other name under `/<name>`.
   * @default "$default"
   */
  readonly stageName?: string;
  /**
   * Physical name of the access-log group.
   * @default `/aws/apigateway/<api name>`
   */
  readonly accessLogGroupName?: string;
  /** Days the access logs are kept (required, so no log group is kept forever by accident). */
  readonly accessLogRetentionDays: number;
  /**
   * Fields of the JSON access-log line.
   * @default DEFAULT_ACCESS_LOG_FIELDS
   */
  readonly accessLogFormat?: AccessLogFields;
  /** The topic the 5xx-rate alarm notifies (every API stage is alarmed). */
  readonly alarms: IAlarmTopic;
  /**
   * Physical name of the 5xx-rate alarm.
   * @default `<api name>-5xx-rate`
   */
  readonly alarmName?: string;
  /**
   * The alarm fires when the share of requests answered 5xx in a minute exceeds
   * this (0..1); 0 alarms on any 5xx.
   * @default 0.05
   */
  readonly errorRateThreshold?: number;
  /**
   * Description of the alarm.
   * @default "<api name>: more than <threshold>% of requests answered 5xx in a minute"
   */
  readonly alarmDescription?: string;
}

/**
 * A deployed, logged, throttled and alarmed stage of an HTTP API:
 *
 * - an access-log group with a retention, and the stage writing one JSON line per request to it;
 * - `auto_deploy`, so every route and integration change goes live without a deployment resource;
 * - stage-wide throttling (`default_route_settings`) from two Terraform variables, tunable
 *   at plan time and validated (> 0);
 * - a CloudWatch alarm on the 5xx rate, `5xx / Count` of the stage per minute (metric math,
 *   0 when there were no requests), notifying the stack's alarm topic.
 */
export class HttpApiStage extends Construct {
  readonly stage: Apigatewayv2Stage;
  readonly accessLogGroup: CloudwatchLogGroup;
  /** Requests per second of the stage (a number, or the variable's token). */
  readonly throttlingRateLimit: number;
  readonly throttlingBurstLimit: number;
  readonly alarm: CloudwatchMetricAlarm;

  constructor(scope: Construct, id: string, props: HttpApiStageProps) {
    super(scope, id);
    const stageName = props.stageName ?? "$default";

    this.accessLogGroup = new CloudwatchLogGroup(this, "access_logs", {
      name: props.accessLogGroupName ?? `/aws/apigateway/${props.api.name}`,
      retentionInDays: props.accessLogRetentionDays,
    });

    const throttling = throttlingSettings(this, props, `the ${stageName} stage of the HTTP API (all routes together)`);
    this.throttlingRateLimit = throttling.rateLimit;
    this.throttlingBurstLimit = throttling.burstLimit;

    this.stage = new Apigatewayv2Stage(this, "stage", {
      apiId: props.api.id,
      name: stageName,
      autoDeploy: true,
      accessLogSettings: {
        destinationArn: this.accessLogGroup.arn,
        format: JSON.stringify(props.accessLogFormat ?? DEFAULT_ACCESS_LOG_FIELDS),
      },
      defaultRouteSettings: {
        throttlingRateLimit: this.throttlingRateLimit,
        throttlingBurstLimit: this.throttlingBurstLimit,
      },
    });

    // The share of requests answered 5xx in a minute: 5xx / Count of this stage (AWS/ApiGateway).
    const threshold = props.errorRateThreshold ?? 0.05;
    const stageMetric = (metricName: string) => ({
      metricName,
      namespace: "AWS/ApiGateway",
      dimensions: { ApiId: props.api.id, Stage: this.stage.name },
      period: 60,
      stat: "Sum",
    });
    this.alarm = props.alarms.alarm(`${alarmIdPrefixOf(this)}_5xx`, {
      alarmName: props.alarmName ?? `${props.api.name}-5xx-rate`,
      alarmDescription:
        props.alarmDescription ??
        `${props.api.name}: more than ${threshold * 100}% of requests answered 5xx in a minute`,
      metricQuery: [
        { id: "errors", metric: stageMetric("5xx") },
        { id: "requests", metric: stageMetric("Count") },
        { id: "rate", expression: "IF(requests > 0, errors / requests, 0)", label: "5xx rate", returnData: true },
      ],
      evaluationPeriods: 1,
      threshold,
      comparisonOperator: "GreaterThanThreshold",
    });
  }

}
