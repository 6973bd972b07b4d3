/**
 * webhook-proxy's front half: the HTTP API (payload 2.0), its throttled, logged
 * stage, the one `POST /` route to api2sqs, and the custom domain. A function, not a
 * construct: its resources sit directly in the pattern, at the addresses the stack
 * had before the pattern existed.
 */
import { TerraformStack } from "cdktf";
import { Apigatewayv2Api } from "@cdktf/provider-aws/lib/apigatewayv2-api";
import { Apigatewayv2Integration } from "@cdktf/provider-aws/lib/apigatewayv2-integration";
import { Apigatewayv2Route } from "@cdktf/provider-aws/lib/apigatewayv2-route";
import { ApiCustomDomain } from "../../blocks/api-custom-domain";
import { declareEntryPoint } from "../../blocks/entry-points";
import { HttpApiStage } from "../../blocks/http-api-stage";
import { NodejsFunction } from "../../blocks/lambda/nodejs-function";
import { Pattern } from "../../blocks/pattern";
import { AccessLogFields, throttlingSettingNames } from "../../blocks/stage-settings";
import { settingReference, variableOptionsOf } from "../../blocks/variables";
import type { WebhookDomain } from "./props";
import { API2SQS_P99_MS, api2sqsConcurrencyCondition } from "./timing";

/** The seed's access-log format of the HTTP API stage (field for field). */
export const ACCESS_LOG_FORMAT: AccessLogFields = {
  requestId: "$context.requestId",
  sourceIp: "$context.identity.sourceIp",
  requestTime: "$context.requestTime",
  protocol: "$context.protocol",
  httpMethod: "$context.httpMethod",
  resourcePath: "$context.resourcePath",
  routeKey: "$context.routeKey",
  status: "$context.status",
  responseLength: "$context.responseLength",
  integrationErrorMessage: "$context.integrationErrorMessage",
};

export interface WebhookFrontDoor {
  readonly api: Apigatewayv2Api;
  readonly stage: HttpApiStage;
  readonly domain?: ApiCustomDomain;
  readonly webhookUrl: string;
  readonly executeApiUrl: string;
}

export function webhookFrontDoor(
  pattern: Pattern,
  props: {
    readonly api2sqs: NodejsFunction;
    readonly signed: boolean;
    readonly stageLimits: { readonly rateLimit: number; readonly burstLimit: number };
    /** `var.<...>` of api2sqs's reserved concurrency when it is a variable: the plan-time check compares it with the stage's. */
    readonly frontReservedRef?: string;
    readonly customDomain?: WebhookDomain;
  },
): WebhookFrontDoor {
  const api = new Apigatewayv2Api(pattern, "api", {
    name: pattern.name("gateway_api_proxy"),
    protocolType: "HTTP",
    // Fix: off with a custom domain (the rule: blocks/api-custom-domain.ts).
    disableExecuteApiEndpoint: props.customDomain !== undefined,
  });
  // Seed: `aws_apigatewayv2_stage.gw_state_proxy` and `aws_cloudwatch_log_group.gw_lg_proxy` (retention 1 day;
  // fix: the pattern's retention, to investigate abuse of an unauthenticated endpoint). Fix: stage-wide throttling.
  // The 5xx alarm is the shared 5xx/Count rate; threshold 0 keeps "any 5xx in a minute alarms":
  // each 5xx is a webhook that was not queued.
  const stage = new HttpApiStage(pattern, "stage", {
    api,
    stageName: pattern.name("gateway_state_proxy"),
    accessLogGroupName: `/aws/api_gw/${api.name}`,
    accessLogRetentionDays: pattern.logRetentionDays,
    accessLogFormat: ACCESS_LOG_FORMAT,
    throttlingRateLimit: props.stageLimits.rateLimit,
    throttlingBurstLimit: props.stageLimits.burstLimit,
    alarms: pattern.alarmTopic,
    alarmName: `${pattern.name("gateway_api_proxy")}-5xx`,
    alarmDescription: "The webhook API answered 5xx: webhooks were not queued (senders should retry).",
    errorRateThreshold: 0,
  });
  // Plan-time warning when the throttling variables admit more than api2sqs's reservation takes (synth checked the defaults).
  const names = throttlingSettingNames({});
  const [rateRef, burstRef] = [settingReference(pattern, names.rateLimit), settingReference(pattern, names.burstLimit)];
  if (props.frontReservedRef && rateRef && burstRef) {
    TerraformStack.of(pattern).addOverride(`check.${variableOptionsOf(pattern)?.prefix ?? ""}api2sqs_concurrency_fits_stage`, {
      assert: [
        {
          condition: api2sqsConcurrencyCondition(props.frontReservedRef, rateRef, burstRef),
          error_message:
            `api2sqs_reserved_concurrent_executions is below throttling_rate_limit x ${API2SQS_P99_MS} ms x 2 or throttling_burst_limit x ${API2SQS_P99_MS} ms: ` +
            "the stage admits webhooks api2sqs cannot take at once (throttled: 5xx, the senders retry). Raise it or lower the stage's limits.",
        },
      ],
    });
  }
  const integration = new Apigatewayv2Integration(pattern, "integration", {
    apiId: api.id,
    integrationUri: props.api2sqs.function.invokeArn,
    integrationType: "AWS_PROXY",
    integrationMethod: "POST",
    // Seed: unset (1.0). 2.0 carries the raw query string exactly (rawQueryString), which 1.0 loses.
    payloadFormatVersion: "2.0",
  });
  const route = new Apigatewayv2Route(pattern, "route", { apiId: api.id, routeKey: "POST /", target: `integrations/${integration.id}` });
  // Senders are third parties: no SigV4, no JWT. They are identified by the signature api2sqs checks.
  declareEntryPoint(
    route,
    props.signed
      ? {
          caller: "signature",
          reason:
            "api2sqs verifies the sender's signature (signature_scheme: an HMAC-SHA256 with the shared secret, or SendGrid's ECDSA " +
            "with its public key) before queueing",
        }
      : { caller: "public", reason: "signature check turned off (signature: false); the stage throttling is the only limit" },
  );
  props.api2sqs.allowInvoke(
    "api_permission",
    {
      statementId: "AllowExecutionFromAPIGateway",
      principal: "apigateway.amazonaws.com",
      // Fix: the seed's `/*/*` lets any route of the API invoke the function, one added later
      // included; its one route is `POST /` (any stage: `<stage>/<method><path>`).
      sourceArn: `${api.executionArn}/*/POST/`,
    },
    pattern,
  );

  // Custom domain: existing certificate and hosted zone, as in the seed.
  const domain = props.customDomain
    ? new ApiCustomDomain(pattern, "domain", {
        domainName: props.customDomain.domainName,
        hostedZoneId: props.customDomain.hostedZoneId,
        certificate: { kind: "existing", certificateArn: props.customDomain.certificateArn },
        apiId: api.id,
        stage: stage.stage.id,
        evaluateTargetHealth: true,
      })
    : undefined;
  const executeApiUrl = `${api.apiEndpoint}/${stage.stage.name}/`;
  return { api, stage, domain, webhookUrl: props.customDomain ? `https://${props.customDomain.domainName}/` : executeApiUrl, executeApiUrl };
}
