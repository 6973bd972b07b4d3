/**
 * The shared API-edge constructs: HttpApiStage (access-log group, logged and
 * throttled stage, throttling variables, 5xx-rate alarm) and
 * DnsValidatedCertificate (ACM certificate, validation CNAMEs, validation).
 */
import { Testing } from "cdktf";
import { AcmCertificate } from "@cdktf/provider-aws/lib/acm-certificate";
import { AcmCertificateValidation } from "@cdktf/provider-aws/lib/acm-certificate-validation";
import { Apigatewayv2Api } from "@cdktf/provider-aws/lib/apigatewayv2-api";
import { Apigatewayv2Stage } from "@cdktf/provider-aws/lib/apigatewayv2-stage";
import { CloudwatchLogGroup } from "@cdktf/provider-aws/lib/cloudwatch-log-group";
import { CloudwatchMetricAlarm } from "@cdktf/provider-aws/lib/cloudwatch-metric-alarm";
import { LbListener } from "@cdktf/provider-aws/lib/lb-listener";
import { Route53Record } from "@cdktf/provider-aws/lib/route53-record";
import { defaultDeployment } from "../config";
import { DnsValidatedCertificate } from "../blocks/dns-validated-certificate";
import { DEFAULT_ACCESS_LOG_FIELDS, HttpApiStage, HttpApiStageProps } from "../blocks/http-api-stage";
import { AlarmTopic } from "../blocks/alarm-topic";
import { ServerlessStack } from "../blocks/serverless-stack";
import { onlyOf, Synthesized, synthesize } from "./support/synth";

/** A stack with an HTTP API, an alarm topic and HttpApiStage(s) with the given props. */
function stageStack(...stages: Partial<Omit<HttpApiStageProps, "api" | "alarms">>[]): Synthesized {
  const stack = new ServerlessStack(Testing.app(), "stage-test", { deployment: defaultDeployment });
  const api = new Apigatewayv2Api(stack, "api", { name: "dev-orders-api", protocolType: "HTTP" });
  const alarms = new AlarmTopic(stack, "alarms", { topicName: "dev-test-alarms", accountId: "123456789012" });
  stages.forEach((props, i) => {
    new HttpApiStage(stack, i === 0 ? "stage" : `stage_${i}`, { api, alarms, accessLogRetentionDays: 14, ...props });
  });
  return synthesize(stack);
}

describe("HttpApiStage with its defaults", () => {
  let built: Synthesized;
  let stageRef: string;
  let logGroupRef: string;
  beforeAll(() => {
    built = stageStack({});
    stageRef = onlyOf(built, "aws_apigatewayv2_stage").ref;
    logGroupRef = onlyOf(built, "aws_cloudwatch_log_group").ref;
  });

  test("access-log group /aws/apigateway/<api name> with the given retention", () => {
    expect(built.text).toHaveResourceWithProperties(CloudwatchLogGroup, {
      name: "/aws/apigateway/${aws_apigatewayv2_api.api.name}",
      retention_in_days: 14,
    });
  });

  test("$default stage: auto-deploy, JSON access logs to the group, throttling from the two variables", () => {
    expect(built.text).toHaveResourceWithProperties(Apigatewayv2Stage, {
      api_id: "${aws_apigatewayv2_api.api.id}",
      name: "$default",
      auto_deploy: true,
      access_log_settings: {
        destination_arn: `\${${logGroupRef}.arn}`,
        format: JSON.stringify(DEFAULT_ACCESS_LOG_FIELDS),
      },
      default_route_settings: {
        throttling_rate_limit: "${var.throttling_rate_limit}",
        throttling_burst_limit: "${var.throttling_burst_limit}",
      },
    });
  });

  test("throttling variables: stable names (not construct paths), defaults, described, validated > 0", () => {
    const variables = built.json.variable ?? {};
    expect(Object.keys(variables).sort()).toEqual(["throttling_burst_limit", "throttling_rate_limit"]);
    expect(variables.throttling_rate_limit).toMatchObject({ type: "number", default: 100 });
    expect(variables.throttling_burst_limit).toMatchObject({ type: "number", default: 200 });
    for (const name of ["throttling_rate_limit", "throttling_burst_limit"]) {
      expect(String(variables[name].description)).toContain("$default stage");
      expect(variables[name].validation).toEqual([
        { condition: `\${var.${name} > 0}`, error_message: `${name} must be > 0.` },
      ]);
    }
  });

  test("5xx-rate alarm: 5xx / Count of this stage per minute (0 without requests), > 5%, to the topic", () => {
    const metric = (metric_name: string) => ({
      metric_name,
      namespace: "AWS/ApiGateway",
      dimensions: { ApiId: "${aws_apigatewayv2_api.api.id}", Stage: `\${${stageRef}.name}` },
      period: 60,
      stat: "Sum",
    });
    const topicRef = onlyOf(built, "aws_sns_topic").ref;
    expect(built.text).toHaveResourceWithProperties(CloudwatchMetricAlarm, {
      alarm_name: "${aws_apigatewayv2_api.api.name}-5xx-rate",
      alarm_description: "${aws_apigatewayv2_api.api.name}: more than 5% of requests answered 5xx in a minute",
      metric_query: [
        { id: "errors", metric: metric("5xx") },
        { id: "requests", metric: metric("Count") },
        { id: "rate", expression: "IF(requests > 0, errors / requests, 0)", label: "5xx rate", return_data: true },
      ],
      evaluation_periods: 1,
      threshold: 0.05,
      comparison_operator: "GreaterThanThreshold",
      treat_missing_data: "notBreaching",
      alarm_actions: [`\${${topicRef}.arn}`],
      ok_actions: [`\${${topicRef}.arn}`],
    });
  });
});

describe("HttpApiStage with a stack's literal settings", () => {
  const format = { requestId: "$context.requestId", status: "$context.status" };
  let built: Synthesized;
  beforeAll(() => {
    built = stageStack({
      stageName: "dev-orders",
      accessLogGroupName: "/aws/api_gw/dev-orders-api",
      accessLogRetentionDays: 1,
      accessLogFormat: format,
      throttlingRateLimit: 1000,
      throttlingBurstLimit: 2000,
      alarmName: "dev-orders-api-5xx",
      alarmDescription: "Any 5xx is a lost order.",
      errorRateThreshold: 0,
    });
  });

  test("the given stage name, log group name, retention and access-log format (in key order)", () => {
    expect(built.text).toHaveResourceWithProperties(CloudwatchLogGroup, {
      name: "/aws/api_gw/dev-orders-api",
      retention_in_days: 1,
    });
    expect(built.text).toHaveResourceWithProperties(Apigatewayv2Stage, {
      name: "dev-orders",
      access_log_settings: expect.objectContaining({ format: '{"requestId":"$context.requestId","status":"$context.status"}' }),
    });
  });

  test("the throttling defaults and the alarm's name, description and threshold follow the props", () => {
    expect(built.json.variable?.throttling_rate_limit).toMatchObject({ default: 1000 });
    expect(built.json.variable?.throttling_burst_limit).toMatchObject({ default: 2000 });
    expect(built.text).toHaveResourceWithProperties(CloudwatchMetricAlarm, {
      alarm_name: "dev-orders-api-5xx",
      alarm_description: "Any 5xx is a lost order.",
      threshold: 0,
    });
  });
});

describe("HttpApiStage: two stages in one stack", () => {
  test("a variable prefix keeps their throttling variables apart; each has its own log group and alarm", () => {
    const { json } = stageStack(
      { stageName: "v1", accessLogGroupName: "/aws/apigateway/v1", alarmName: "v1-5xx-rate" },
      { stageName: "v2", accessLogGroupName: "/aws/apigateway/v2", alarmName: "v2-5xx-rate", variablePrefix: "v2_" },
    );
    expect(Object.keys(json.variable ?? {}).sort()).toEqual([
      "throttling_burst_limit",
      "throttling_rate_limit",
      "v2_throttling_burst_limit",
      "v2_throttling_rate_limit",
    ]);
    const v2 = Object.values(json.resource.aws_apigatewayv2_stage).find((s) => s.name === "v2");
    expect(v2?.default_route_settings).toEqual({
      throttling_rate_limit: "${var.v2_throttling_rate_limit}",
      throttling_burst_limit: "${var.v2_throttling_burst_limit}",
    });
    expect(Object.keys(json.resource.aws_cloudwatch_log_group)).toHaveLength(2);
    const alarmNames = Object.values(json.resource.aws_cloudwatch_metric_alarm).map((a) => a.alarm_name);
    expect(alarmNames.sort()).toEqual(["v1-5xx-rate", "v2-5xx-rate"]);
  });
});

describe("DnsValidatedCertificate", () => {
  let built: Synthesized;
  let certificate: DnsValidatedCertificate;
  beforeAll(() => {
    const stack = new ServerlessStack(Testing.app(), "certificate-test", { deployment: defaultDeployment });
    certificate = new DnsValidatedCertificate(stack, "certificate", { domainName: "api.example.com", hostedZoneId: "Z123" });
    // A user of the ARN, as a listener or API domain name would be.
    new LbListener(stack, "listener", {
      loadBalancerArn: "arn:aws:elasticloadbalancing:ap-northeast-1:123456789012:loadbalancer/app/x/1",
      port: 443,
      protocol: "HTTPS",
      certificateArn: certificate.certificateArn,
      defaultAction: [{ type: "fixed-response", fixedResponse: { statusCode: "404", contentType: "text/plain" } }],
    });
    built = synthesize(stack);
  });

  test("the certificate: the host name, DNS validation, replaced create-before-destroy", () => {
    expect(built.text).toHaveResourceWithProperties(AcmCertificate, {
      domain_name: "api.example.com",
      validation_method: "DNS",
      lifecycle: { create_before_destroy: true },
    });
  });

  test("one CNAME per validation option (for_each keyed by domain name), TTL 60, overwrite, in the zone", () => {
    const certRef = onlyOf(built, "aws_acm_certificate").ref;
    const record = onlyOf(built, "aws_route53_record").body;
    expect(record.for_each).toBe(`\${{ for key, val in tolist(${certRef}.domain_validation_options): val.domain_name => val }}`);
    expect(built.text).toHaveResourceWithProperties(Route53Record, {
      zone_id: "Z123",
      name: "${each.value.resource_record_name}",
      type: "${each.value.resource_record_type}",
      records: ["${each.value.resource_record_value}"],
      ttl: 60,
      allow_overwrite: true,
    });
  });

  test("the validation waits for every record's FQDN; certificateArn is the validation's, so users wait too", () => {
    const certRef = onlyOf(built, "aws_acm_certificate").ref;
    const recordRef = onlyOf(built, "aws_route53_record").ref;
    const { ref: validationRef, body: validation } = onlyOf(built, "aws_acm_certificate_validation");
    expect(built.text).toHaveResourceWithProperties(AcmCertificateValidation, { certificate_arn: `\${${certRef}.arn}` });
    expect(validation.validation_record_fqdns).toBe(`\${[ for key, val in ${recordRef}: val.fqdn]}`);
    expect(built.text).toHaveResourceWithProperties(LbListener, { certificate_arn: `\${${validationRef}.certificate_arn}` });
    expect(certificate.validation).toBeInstanceOf(AcmCertificateValidation);
    expect(certificate.certificate).toBeInstanceOf(AcmCertificate);
  });
});
