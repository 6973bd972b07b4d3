import { Construct } from "constructs";
import { IResolvable } from "cdktf";
import { ApiGatewayDeployment } from "@cdktf/provider-aws/lib/api-gateway-deployment";
import { ApiGatewayMethodSettings } from "@cdktf/provider-aws/lib/api-gateway-method-settings";
import { ApiGatewayRestApi } from "@cdktf/provider-aws/lib/api-gateway-rest-api";
import { ApiGatewayStage } from "@cdktf/provider-aws/lib/api-gateway-stage";
import { CloudwatchLogGroup } from "@cdktf/provider-aws/lib/cloudwatch-log-group";
import { CloudwatchMetricAlarm } from "@cdktf/provider-aws/lib/cloudwatch-metric-alarm";
import { IAlarmTopic, alarmIdPrefixOf } from "./alarm-topic";
import { AccessLogFields, apiLoggingLevelSetting, StageThrottlingProps, throttlingSettings } from "./stage-settings";
import { ApiGatewayAccountLogging } from "./api-gateway-account-logging";
import { variableOptionsOf } from "./variables";

/**
 * The access-log fields of a REST API stage (the project's one set for REST APIs; field names as
 * the HTTP API set's): who, what, the answer, how long it took, and why it failed. "Who" is the
 * caller the method identified: the API key's id (never the key) or the IAM principal's ARN, so a
 * leaked or abused key can be traced to its client before it is revoked.
 */
export const DEFAULT_REST_ACCESS_LOG_FIELDS: AccessLogFields = {
  requestId: "$context.requestId",
  extendedRequestId: "$context.extendedRequestId",
  apiKeyId: "$context.identity.apiKeyId",
  userArn: "$context.identity.userArn",
  ip: "$context.identity.sourceIp",
  userAgent: "$context.identity.userAgent",
  requestTime: "$context.requestTime",
  httpMethod: "$context.httpMethod",
  resourcePath: "$context.resourcePath",
  status: "$context.status",
  protocol: "$context.protocol",
  // The execute-api endpoint also accepts TLS 1.0 (no setting in the pinned provider): the log shows who uses it.
  tlsVersion: "$context.tlsVersion",
  responseLength: "$context.responseLength",
  responseLatency: "$context.responseLatency",
  integrationStatus: "$context.integration.status",
  integrationLatency: "$context.integration.latency",
  integrationError: "$context.integration.error",
  errorMessage: "$context.error.message",
  validationError: "$context.error.validationErrorString",
};

export interface RestApiStageProps extends StageThrottlingProps {
  /** X-Ray tracing of the stage's requests (a literal or a `bool` variable's value). @default false */
  readonly tracing?: boolean | IResolvable;
  /**
   * The REST API (API Gateway v1) the stage serves.
   * @default none: required
   */
  readonly api: ApiGatewayRestApi;
  /**
   * The deployment the stage points at.
   * @default none: required
   */
  readonly deployment: ApiGatewayDeployment;
  /**
   * Stage name; the invoke URL ends with it.
   * @default none: required
   */
  readonly stageName: string;
  /**
   * Description of the stage.
   * @default none
   */
  readonly description?: string;
  /**
   * Physical name of the access-log group.
   * @default `/aws/apigateway/<api name>/access`
   */
  readonly accessLogGroupName?: string;
  /** Days the access logs are kept (required, so no log group is kept forever by accident). */
  readonly accessLogRetentionDays: number;
  /**
   * Fields of the JSON access-log line (field name -> `$context` variable), written in key order.
   * @default DEFAULT_REST_ACCESS_LOG_FIELDS
   */
  readonly accessLogFormat?: AccessLogFields;
  /**
   * Execution logging of every method: `OFF`, `ERROR` or `INFO` (a literal or a
   * variable's value). Data trace (full request and response bodies) is always off.
   * @default "OFF": access logs hold what operators need, execution logs at INFO copy request data
   */
  readonly loggingLevel?: string;
  /**
   * The region's API Gateway logging setting, when this stack manages it: the stage
   * and its method settings wait for it, since logging is refused until it names a role.
   * @default none: the setting is managed elsewhere (or by another stack)
   */
  readonly accountLogging?: ApiGatewayAccountLogging;
  /** The topic the 5xx-rate alarm notifies (every API stage is alarmed). */
  readonly alarms: IAlarmTopic;
  /**
   * Physical name of the 5xx-rate alarm.
   * @default `<api name>-5xx`
   */
  readonly alarmName?: string;
  /**
   * The alarm fires when the share of requests answered 5xx in 5 minutes (the
   * average of the stage's `5XXError` metric) exceeds this (0..1).
   * @default 0.05
   */
  readonly errorRateThreshold?: number;
  /**
   * Description of the alarm.
   * @default "<api name>: share of requests answered 5xx > <threshold>"
   */
  readonly alarmDescription?: string;
}

/**
 * A logged, throttled and alarmed stage of a REST API:
 *
 * - an access-log group with a retention, and the stage writing one JSON line per request to it;
 * - method settings on every method (`*\/*`): throttling from two Terraform variables,
 *   tunable at plan time and validated (> 0), CloudWatch metrics on, execution logging
 *   at `loggingLevel`, data trace off (it would log request and response bodies);
 * - a CloudWatch alarm on the stage's 5xx rate (`5XXError`, average over 5 minutes),
 *   notifying the stack's alarm topic;
 * - when given the account logging setting, the stage and its settings wait for it.
 */
export class RestApiStage extends Construct {
  readonly stage: ApiGatewayStage;
  readonly accessLogGroup: CloudwatchLogGroup;
  readonly methodSettings: ApiGatewayMethodSettings;
  /** Requests per second of each method (a number, or the variable's token). */
  readonly throttlingRateLimit: number;
  readonly throttlingBurstLimit: number;
  readonly alarm: CloudwatchMetricAlarm;

  constructor(scope: Construct, id: string, props: RestApiStageProps) {
    super(scope, id);
    const account = props.accountLogging ? [props.accountLogging.account] : undefined;

    const throttling = throttlingSettings(this, props, `each method of the ${props.stageName} stage of the REST API`);
    this.throttlingRateLimit = throttling.rateLimit;
    this.throttlingBurstLimit = throttling.burstLimit;

    this.accessLogGroup = new CloudwatchLogGroup(this, "access_logs", {
      name: props.accessLogGroupName ?? `/aws/apigateway/${props.api.name}/access`,
      retentionInDays: props.accessLogRetentionDays,
    });
    this.stage = new ApiGatewayStage(this, "stage", {
      restApiId: props.api.id,
      deploymentId: props.deployment.id,
      stageName: props.stageName,
      description: props.description,
      // Off unless asked: X-Ray bills per trace recorded (docs/operations.md, "Tracing").
      xrayTracingEnabled: props.tracing === false ? undefined : props.tracing,
      accessLogSettings: {
        destinationArn: this.accessLogGroup.arn,
        format: JSON.stringify(props.accessLogFormat ?? DEFAULT_REST_ACCESS_LOG_FIELDS),
      },
      dependsOn: account,
    });
    this.methodSettings = new ApiGatewayMethodSettings(this, "method_settings", {
      restApiId: props.api.id,
      stageName: this.stage.stageName,
      methodPath: "*/*",
      settings: {
        throttlingRateLimit: this.throttlingRateLimit,
        throttlingBurstLimit: this.throttlingBurstLimit,
        metricsEnabled: true,
        loggingLevel: props.loggingLevel ?? "OFF",
        dataTraceEnabled: false,
      },
      dependsOn: account,
    });

    const threshold = props.errorRateThreshold ?? 0.05;
    this.alarm = props.alarms.alarm(`${alarmIdPrefixOf(this)}_5xx`, {
      alarmName: props.alarmName ?? `${props.api.name}-5xx`,
      alarmDescription: props.alarmDescription ?? `${props.api.name}: share of requests answered 5xx > ${threshold}`,
      namespace: "AWS/ApiGateway",
      metricName: "5XXError",
      dimensions: { ApiName: props.api.name, Stage: this.stage.stageName },
      statistic: "Average",
      period: 300,
      evaluationPeriods: 1,
      threshold,
      comparisonOperator: "GreaterThanThreshold",
    });
  }

}

/** The region's API Gateway logging setting, as a REST API pattern takes part in it. */
export interface StackAccountLoggingOptions {
  /** Physical name of the logging role (pass `this.name(...)`). */
  readonly roleName: string;
  readonly accountId: string;
  /**
   * Whether to own the region's setting (with variables on, the default of
   * `manage_api_gateway_account`). A literal `false` creates none of it.
   */
  readonly manageByDefault: boolean;
}

export interface RestApiStackStageProps extends Omit<RestApiStageProps, "accountLogging" | "loggingLevel"> {
  readonly accountLogging: StackAccountLoggingOptions;
}

/**
 * What every REST API stack puts in front of its deployment, in the stack's scope
 * (ids `account_logging`, `api_logging_level`, `stage`): the region's logging
 * setting (`ApiGatewayAccountLogging`, owned by one stack per region), execution
 * logging from the `api_logging_level` variable (ERROR by default: errors without
 * request bodies), and the logged, throttled, alarmed stage.
 */
export function restApiStackStage(scope: Construct, props: RestApiStackStageProps): RestApiStage {
  // An account-wide singleton: with variables on it is the variable's to decide, else made only when asked for.
  const wanted = props.accountLogging.manageByDefault || variableOptionsOf(scope) !== undefined;
  const accountLogging = wanted ? new ApiGatewayAccountLogging(scope, "account_logging", props.accountLogging) : undefined;
  return new RestApiStage(scope, "stage", {
    ...props,
    loggingLevel: apiLoggingLevelSetting(scope),
    accountLogging,
  });
}
