/**
 * event-log-api's front: the IAM-authorized HTTP API, its two routes to the function,
 * the logged and throttled `$default` stage, the function's invoke permission and the
 * optional custom domain. A function, not a construct: its resources sit directly in
 * the pattern, at the addresses the stack had before the pattern existed.
 */
import { Apigatewayv2Api } from "@cdktf/provider-aws/lib/apigatewayv2-api";
import { Apigatewayv2Integration } from "@cdktf/provider-aws/lib/apigatewayv2-integration";
import { Apigatewayv2Route } from "@cdktf/provider-aws/lib/apigatewayv2-route";
import { LambdaPermission } from "@cdktf/provider-aws/lib/lambda-permission";
import { ApiCustomDomain, DomainCertificate } from "../../blocks/api-custom-domain";
import { HttpApiStage } from "../../blocks/http-api-stage";
import { NodejsFunction } from "../../blocks/lambda/nodejs-function";
import { Pattern } from "../../blocks/pattern";

/**
 * The API's routes. The seed loops over a `routeList` variable with `count`;
 * here the list is a constant, looped over at synth time: each route is its own
 * resource with a stable address (no index shift when the list changes), and
 * the same list drives the requester's policy, so the two cannot drift apart.
 */
export const EVENT_LOG_API_ROUTES = [
  { id: "get_events_route", method: "GET", path: "/events" },
  { id: "post_events_route", method: "POST", path: "/events" },
] as const;

/** The API on a host name of its own (regional, TLS 1.2). */
export interface EventLogApiDomainOptions {
  /** The host name callers use, e.g. `events.example.com` (a value or a token); drives certificate, domain and record. */
  readonly domainName: string;
  /** Public hosted zone holding the records; its id is looked up by this name unless `hostedZoneId` is given. */
  readonly zoneName: string;
  /** @default { kind: "create" }: requested and DNS-validated in the zone */
  readonly certificate?: DomainCertificate;
}

export interface EventLogHttpApi {
  readonly api: Apigatewayv2Api;
  readonly integration: Apigatewayv2Integration;
  readonly routes: Apigatewayv2Route[];
  readonly stage: HttpApiStage;
  readonly invokePermission: LambdaPermission;
  readonly domain?: ApiCustomDomain;
}

export function eventLogHttpApi(
  pattern: Pattern,
  props: {
    readonly handler: NodejsFunction;
    readonly apiName: string;
    readonly cors: { readonly allowOrigins: readonly string[]; readonly allowHeaders: readonly string[] };
    readonly throttlingRateLimit: number;
    readonly throttlingBurstLimit: number;
    readonly api5xxRateThreshold: number;
    readonly customDomain?: EventLogApiDomainOptions;
  },
): EventLogHttpApi {
  const { apiName, cors } = props;
  const api = new Apigatewayv2Api(pattern, "api", {
    name: apiName,
    protocolType: "HTTP",
    // Fix: off with a custom domain (the rule: blocks/api-custom-domain.ts).
    disableExecuteApiEndpoint: props.customDomain !== undefined,
    corsConfiguration:
      cors.allowOrigins.length > 0
        ? { allowOrigins: [...cors.allowOrigins], allowMethods: ["GET", "POST"], allowHeaders: [...cors.allowHeaders] }
        : undefined,
  });

  const integration = new Apigatewayv2Integration(pattern, "integration", {
    apiId: api.id,
    integrationType: "AWS_PROXY",
    integrationMethod: "POST",
    integrationUri: props.handler.function.invokeArn,
    payloadFormatVersion: "2.0",
  });

  const routes = EVENT_LOG_API_ROUTES.map(
    (route) =>
      new Apigatewayv2Route(pattern, route.id, {
        apiId: api.id,
        routeKey: `${route.method} ${route.path}`,
        target: `integrations/${integration.id}`,
        authorizationType: "AWS_IAM",
      }),
  );

  // Seed: `aws_apigatewayv2_stage.log_events` and `aws_cloudwatch_log_group.log_events_http_api`
  // (the seed's access-log fields, which are the stage's default; fix: a retention). Fix: the seed's
  // stage has no throttling, so one caller could spend the account's 10,000 rps and the table's single
  // write unit: stage-wide limits (settings: variables with them on); plus the 5xx-rate alarm.
  const stage = new HttpApiStage(pattern, "stage", {
    api,
    stageName: "$default",
    accessLogGroupName: `/aws/apigateway/${apiName}`,
    accessLogRetentionDays: pattern.logRetentionDays,
    alarms: pattern.alarmTopic,
    throttlingRateLimit: props.throttlingRateLimit,
    throttlingBurstLimit: props.throttlingBurstLimit,
    alarmName: `${apiName}-5xx-rate`,
    alarmDescription: `${apiName}: more than ${props.api5xxRateThreshold * 100}% of requests answered 5xx in a minute`,
    errorRateThreshold: props.api5xxRateThreshold,
  });

  const invokePermission = props.handler.allowInvoke(
    "permission",
    {
      statementId: "test-AllowExecutionFromAPIGateway",
      principal: "apigateway.amazonaws.com",
      // Fix: the seed's `/*/*` lets any route of the API invoke the function, one added later
      // included; both of its routes are on /events (any stage, GET or POST).
      sourceArn: `${api.executionArn}/*/*/events`,
    },
    pattern,
  );

  // Fix: the seed requested the certificate for one host (`samle-htttp-api...`) and registered the
  // API domain as another (`sub.domain.com`); here one host name drives certificate, domain and record.
  const domain = props.customDomain
    ? new ApiCustomDomain(pattern, "domain", {
        domainName: props.customDomain.domainName,
        hostedZoneId: pattern.hostedZoneId(props.customDomain.zoneName),
        certificate: props.customDomain.certificate ?? { kind: "create" },
        apiId: api.id,
        stage: stage.stage.id,
      })
    : undefined;
  return { api, integration, routes, stage, invokePermission, domain };
}
