/**
 * The event-log-api stack (seed 001): every seed resource with its literal
 * settings, each fix, and the custom domain switched on and off.
 */
import { Testing } from "cdktf";
import { AcmCertificate } from "@cdktf/provider-aws/lib/acm-certificate";
import { AcmCertificateValidation } from "@cdktf/provider-aws/lib/acm-certificate-validation";
import { Apigatewayv2Api } from "@cdktf/provider-aws/lib/apigatewayv2-api";
import { Apigatewayv2ApiMapping } from "@cdktf/provider-aws/lib/apigatewayv2-api-mapping";
import { Apigatewayv2DomainName } from "@cdktf/provider-aws/lib/apigatewayv2-domain-name";
import { Apigatewayv2Integration } from "@cdktf/provider-aws/lib/apigatewayv2-integration";
import { Apigatewayv2Route } from "@cdktf/provider-aws/lib/apigatewayv2-route";
import { Apigatewayv2Stage } from "@cdktf/provider-aws/lib/apigatewayv2-stage";
import { CloudwatchLogGroup } from "@cdktf/provider-aws/lib/cloudwatch-log-group";
import { CloudwatchMetricAlarm } from "@cdktf/provider-aws/lib/cloudwatch-metric-alarm";
import { DataAwsRoute53Zone } from "@cdktf/provider-aws/lib/data-aws-route53-zone";
import { DynamodbTable } from "@cdktf/provider-aws/lib/dynamodb-table";
import { IamPolicy } from "@cdktf/provider-aws/lib/iam-policy";
import { IamRole } from "@cdktf/provider-aws/lib/iam-role";
import { IamRolePolicyAttachment } from "@cdktf/provider-aws/lib/iam-role-policy-attachment";
import { IamUser } from "@cdktf/provider-aws/lib/iam-user";
import { IamUserPolicyAttachment } from "@cdktf/provider-aws/lib/iam-user-policy-attachment";
import { LambdaFunction } from "@cdktf/provider-aws/lib/lambda-function";
import { LambdaPermission } from "@cdktf/provider-aws/lib/lambda-permission";
import { Route53Record } from "@cdktf/provider-aws/lib/route53-record";
import { SnsTopic } from "@cdktf/provider-aws/lib/sns-topic";
import { defaultDeployment, offlineLookups } from "../config";
import { DeploymentConfig } from "../blocks/deployment";
import { EventLogApiStack, EventLogApiStackProps } from "../stacks/event-log-api";
import { Block, blocksOf, findOne, metricDimensionsOf, onlyOf, statementsOf, suppliedDeployment, Synthesized, synthesize } from "./support/synth";

function synth(props: Partial<EventLogApiStackProps> = {}, deployment: DeploymentConfig = defaultDeployment): Synthesized {
  return synthesize(new EventLogApiStack(Testing.app(), "event-log-api", { deployment, ...props }));
}

describe("event-log-api: defaults reproduce the seed", () => {
  let s: Synthesized;
  beforeAll(() => {
    s = synth();
  });

  test("EventLog table: PROVISIONED 1/1, date + time keys, as the seed; plus SSE and PITR (fix)", () => {
    expect(s.text).toHaveResourceWithProperties(DynamodbTable, {
      name: "dev-EventLog",
      billing_mode: "PROVISIONED",
      read_capacity: 1,
      write_capacity: 1,
      hash_key: "date",
      range_key: "time",
      attribute: [
        { name: "date", type: "S" },
        { name: "time", type: "S" },
      ],
      server_side_encryption: { enabled: true },
      point_in_time_recovery: { enabled: true },
    });
  });

  test("function: current Node.js runtime, bundled handler with the hash of the zip it uploads (fix)", () => {
    const fn = onlyOf(s, "aws_lambda_function").body;
    expect(s.text).toHaveResourceWithProperties(LambdaFunction, {
      function_name: "dev-log-events",
      runtime: "nodejs22.x",
      handler: "index.handler",
      environment: { variables: { TABLE_NAME: `\${${onlyOf(s, "aws_dynamodb_table").ref}.name}`, FUNCTION_TIMEOUT_MS: "3000" } },
    });
    // The seed hashed `data.archive_file.lambda_function`, which does not exist; here both come from one archive.
    const archive = Object.keys(s.json.data?.archive_file ?? {});
    expect(archive).toHaveLength(1);
    expect(fn.filename).toBe(`\${data.archive_file.${archive[0]}.output_path}`);
    expect(fn.source_code_hash).toBe(`\${data.archive_file.${archive[0]}.output_base64sha256}`);
    const dependsOn = fn.depends_on as string[];
    expect(dependsOn).toEqual(
      expect.arrayContaining([onlyOf(s, "aws_iam_role_policy_attachment").ref, expect.stringMatching(/^aws_cloudwatch_log_group\.handler/)]),
    );
  });

  test("function log group /aws/lambda/<name> with a retention", () => {
    expect(s.text).toHaveResourceWithProperties(CloudwatchLogGroup, { name: "/aws/lambda/dev-log-events", retention_in_days: 14 });
  });

  test("role, managed policy (seed description kept) and attachment", () => {
    expect(s.text).toHaveResourceWithProperties(IamRole, { name: "dev-event-log-log-events-lambda-function-role" });
    expect(s.text).toHaveResourceWithProperties(IamPolicy, {
      name: "dev-log-events-lambda-function-policy",
      description: "IAM policy for log events Lambda function.",
    });
    const policy = Object.entries(s.json.resource.aws_iam_policy).find(([, p]) => p.name === "dev-log-events-lambda-function-policy")!;
    expect(s.text).toHaveResourceWithProperties(IamRolePolicyAttachment, {
      policy_arn: `\${aws_iam_policy.${policy[0]}.arn}`,
      role: expect.stringMatching(/^\$\{aws_iam_role\.handler_role_\w+\.name\}$/),
    });
  });

  test("handler policy: logs on its own group only, DynamoDB on the table only, just the actions it calls (fix)", () => {
    const policy = Object.values(s.json.resource.aws_iam_policy).find((p) => p.name === "dev-log-events-lambda-function-policy")!;
    const statements = statementsOf(s, policy.policy as string);
    const tableArn = `\${${onlyOf(s, "aws_dynamodb_table").ref}.arn}`;
    expect(statements).toEqual([
      {
        sid: "WriteOwnLogGroup",
        actions: ["logs:CreateLogStream", "logs:PutLogEvents"],
        resources: [expect.stringMatching(/^\$\{aws_cloudwatch_log_group\.handler_log_group_\w+\.arn\}:\*$/)],
      },
      { sid: "ReadWriteEventLog", actions: ["dynamodb:PutItem", "dynamodb:Query", "dynamodb:Scan"], resources: [tableArn] },
    ]);
    expect(s.text).not.toContain("logs:CreateLogGroup");
    expect(s.text).not.toContain("dynamodb:GetItem");
  });

  test("HTTP API with the seed's CORS settings", () => {
    expect(s.text).toHaveResourceWithProperties(Apigatewayv2Api, {
      name: "dev-log-events-http-api",
      protocol_type: "HTTP",
      cors_configuration: { allow_origins: ["*"], allow_methods: ["GET", "POST"], allow_headers: ["*"] },
    });
  });

  test("AWS_PROXY integration, POST, payload 2.0, to the function", () => {
    expect(s.text).toHaveResourceWithProperties(Apigatewayv2Integration, {
      api_id: "${aws_apigatewayv2_api.api.id}",
      integration_type: "AWS_PROXY",
      integration_method: "POST",
      integration_uri: `\${${onlyOf(s, "aws_lambda_function").ref}.invoke_arn}`,
      payload_format_version: "2.0",
    });
  });

  test("exactly the two routes, both AWS_IAM, both to the integration", () => {
    const routes = blocksOf(s, "aws_apigatewayv2_route");
    expect(routes.map((r) => r.route_key).sort()).toEqual(["GET /events", "POST /events"]);
    for (const key of ["GET /events", "POST /events"]) {
      expect(s.text).toHaveResourceWithProperties(Apigatewayv2Route, {
        api_id: "${aws_apigatewayv2_api.api.id}",
        route_key: key,
        authorization_type: "AWS_IAM",
        target: "integrations/${aws_apigatewayv2_integration.integration.id}",
      });
    }
  });

  test("$default stage: auto-deploy, the seed's access-log format, throttling from variables (fix)", () => {
    const accessLogs = Object.entries(s.json.resource.aws_cloudwatch_log_group)
      .filter(([, g]) => g.name === "/aws/apigateway/dev-log-events-http-api")
      .map(([name]) => `aws_cloudwatch_log_group.${name}`);
    expect(accessLogs).toHaveLength(1);
    expect(s.text).toHaveResourceWithProperties(CloudwatchLogGroup, {
      name: "/aws/apigateway/dev-log-events-http-api",
      retention_in_days: 14,
    });
    expect(s.text).toHaveResourceWithProperties(Apigatewayv2Stage, {
      api_id: "${aws_apigatewayv2_api.api.id}",
      name: "$default",
      auto_deploy: true,
      access_log_settings: expect.objectContaining({ destination_arn: `\${${accessLogs[0]}.arn}` }),
      default_route_settings: {
        throttling_rate_limit: "${var.throttling_rate_limit}",
        throttling_burst_limit: "${var.throttling_burst_limit}",
      },
    });
    const stage = onlyOf(s, "aws_apigatewayv2_stage").body;
    const format = JSON.parse((stage.access_log_settings as Block).format as string) as Record<string, string>;
    // The seed's twelve fields, plus the caller (added: IAM identifies every caller; the log names them).
    expect(format).toEqual({
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
    });
    expect(s.json.variable?.throttling_rate_limit).toMatchObject({
      type: "number",
      default: 10,
      validation: [{ condition: "${var.throttling_rate_limit > 0}", error_message: "throttling_rate_limit must be > 0." }],
    });
    expect(s.json.variable?.throttling_burst_limit).toMatchObject({
      type: "number",
      default: 20,
      validation: [{ condition: "${var.throttling_burst_limit > 0}", error_message: "throttling_burst_limit must be > 0." }],
    });
  });

  test("Lambda permission for API Gateway: seed statement id, scoped to the API's execution ARN", () => {
    expect(s.text).toHaveResourceWithProperties(LambdaPermission, {
      statement_id: "test-AllowExecutionFromAPIGateway",
      action: "lambda:InvokeFunction",
      principal: "apigateway.amazonaws.com",
      function_name: `\${${onlyOf(s, "aws_lambda_function").ref}.function_name}`,
      source_arn: "${aws_apigatewayv2_api.api.execution_arn}/*/*/events",
    });
  });

  test("hosted zone looked up by the naked domain (seed's var.domain_name), which has no default", () => {
    expect(s.text).toHaveDataSourceWithProperties(DataAwsRoute53Zone, { name: "${var.domain_name}" });
    expect(s.json.variable?.domain_name).toMatchObject({ type: "string" });
    expect(s.json.variable?.domain_name).not.toHaveProperty("default");
    expect(s.json.variable?.api_subdomain).toMatchObject({ type: "string", default: "sample-http-api" });
  });

  test("one host name drives certificate, API domain and alias record (fix)", () => {
    const host = "${var.api_subdomain}.${var.domain_name}";
    expect(s.text).toHaveResourceWithProperties(AcmCertificate, { domain_name: host, validation_method: "DNS" });
    expect(s.text).toHaveResourceWithProperties(Apigatewayv2DomainName, {
      domain_name: host,
      domain_name_configuration: {
        certificate_arn: `\${${onlyOf(s, "aws_acm_certificate_validation").ref}.certificate_arn}`,
        endpoint_type: "REGIONAL",
        security_policy: "TLS_1_2",
      },
    });
    const domain = onlyOf(s, "aws_apigatewayv2_domain_name").ref;
    expect(s.text).toHaveResourceWithProperties(Route53Record, { name: `\${${domain}.domain_name}`, type: "A" });
  });

  test("validation CNAMEs: one per domain_validation_options entry (iterator, no index), TTL 60, overwrite", () => {
    const zone = onlyOf(s, "aws_route53_zone", "data").ref;
    const cert = onlyOf(s, "aws_acm_certificate").ref;
    const records = blocksOf(s, "aws_route53_record").filter((r) => r.for_each !== undefined);
    expect(records).toHaveLength(1);
    const record = records[0];
    expect(record.for_each).toContain(`${cert}.domain_validation_options`);
    expect(record).toMatchObject({
      zone_id: `\${${zone}.zone_id}`,
      ttl: 60,
      allow_overwrite: true,
      name: "${each.value.resource_record_name}",
      type: "${each.value.resource_record_type}",
      records: ["${each.value.resource_record_value}"],
    });
  });

  test("certificate validation waits for the records; the domain waits for the validation", () => {
    const validation = onlyOf(s, "aws_acm_certificate_validation");
    expect(s.text).toHaveResourceWithProperties(AcmCertificateValidation, {
      certificate_arn: `\${${onlyOf(s, "aws_acm_certificate").ref}.arn}`,
    });
    expect(validation.body.validation_record_fqdns).toMatch(/aws_route53_record\.domain_certificate_validation_record_\w+.*fqdn/);
    const domain = onlyOf(s, "aws_apigatewayv2_domain_name").body;
    expect(domain.depends_on).toEqual([validation.ref]);
  });

  test("API mapping of the $default stage at the domain's root; alias record to the regional endpoint", () => {
    const domain = onlyOf(s, "aws_apigatewayv2_domain_name").ref;
    expect(s.text).toHaveResourceWithProperties(Apigatewayv2ApiMapping, {
      api_id: "${aws_apigatewayv2_api.api.id}",
      domain_name: `\${${domain}.id}`,
      stage: `\${${onlyOf(s, "aws_apigatewayv2_stage").ref}.id}`,
    });
    expect(s.text).toHaveResourceWithProperties(Route53Record, {
      type: "A",
      zone_id: `\${${onlyOf(s, "aws_route53_zone", "data").ref}.zone_id}`,
      alias: {
        name: `\${${domain}.domain_name_configuration[0].target_domain_name}`,
        zone_id: `\${${domain}.domain_name_configuration[0].hosted_zone_id}`,
        evaluate_target_health: false,
      },
    });
  });

  test("requester: execute-api:Invoke on exactly the two routes (region and account from data sources)", () => {
    const policy = Object.values(s.json.resource.aws_iam_policy).find((p) => p.name === "dev-api-gateway-log-event-requester-policy")!;
    expect(policy).toBeDefined();
    const prefix = "arn:aws:execute-api:${data.aws_region.current_region.name}:${data.aws_caller_identity.current_identity.account_id}:${aws_apigatewayv2_api.api.id}";
    expect(statementsOf(s, policy.policy as string)).toEqual([
      { sid: "InvokeEventRoutes", actions: ["execute-api:Invoke"], resources: [`${prefix}/*/GET/events`, `${prefix}/*/POST/events`] },
    ]);
    expect(s.text).toHaveResourceWithProperties(IamUser, { name: "dev-api-gateway-log-event-requester" });
    expect(s.text).toHaveResourceWithProperties(IamUserPolicyAttachment, {
      user: "${aws_iam_user.requester.name}",
      policy_arn: "${aws_iam_policy.requester_policy.arn}",
    });
  });

  test("alarms: API 5xx rate of the stage, function errors and throttles, all to the stack's topic", () => {
    const topic = onlyOf(s, "aws_sns_topic");
    expect(s.text).toHaveResourceWithProperties(SnsTopic, { name: "dev-event-log-api-alarms" });
    const actions = [`\${${topic.ref}.arn}`];
    expect(s.text).toHaveResourceWithProperties(CloudwatchMetricAlarm, {
      alarm_name: "dev-log-events-http-api-5xx-rate",
      alarm_description: "dev-log-events-http-api: more than 5% of requests answered 5xx in a minute",
      threshold: 0.05,
      comparison_operator: "GreaterThanThreshold",
      alarm_actions: actions,
    });
    // The rate query is HttpApiStage's (http-api-stage.test.ts); here, that it reads this stack's stage.
    const stage = { ApiId: "${aws_apigatewayv2_api.api.id}", Stage: `\${${onlyOf(s, "aws_apigatewayv2_stage").ref}.name}` };
    expect(metricDimensionsOf(findOne(s, "aws_cloudwatch_metric_alarm", (a) => a.alarm_name === "dev-log-events-http-api-5xx-rate").body)).toEqual([stage, stage]);
    for (const metric of ["Errors", "Throttles"]) {
      expect(s.text).toHaveResourceWithProperties(CloudwatchMetricAlarm, {
        namespace: "AWS/Lambda",
        metric_name: metric,
        dimensions: { FunctionName: `\${${onlyOf(s, "aws_lambda_function").ref}.function_name}` },
        alarm_actions: actions,
      });
    }
  });

  test("outputs: default endpoint and the custom domain URL", () => {
    expect(s.json.output?.execute_api_url).toMatchObject({ value: "${aws_apigatewayv2_api.api.api_endpoint}" });
    expect(s.json.output?.custom_domain_url?.value).toMatch(/^https:\/\/\$\{aws_apigatewayv2_domain_name\.\w+\.domain_name\}\/events$/);
  });
});

describe("event-log-api: custom domain switched off", () => {
  let s: Synthesized;
  beforeAll(() => {
    s = synth({ customDomain: false });
  });

  test("no certificate, domain, mapping, records, zone lookup or domain variables", () => {
    for (const type of ["aws_acm_certificate", "aws_acm_certificate_validation", "aws_apigatewayv2_domain_name", "aws_apigatewayv2_api_mapping", "aws_route53_record"]) {
      expect(s.json.resource[type]).toBeUndefined();
    }
    expect(s.json.data?.aws_route53_zone).toBeUndefined();
    expect(s.json.variable?.domain_name).toBeUndefined();
    expect(s.json.variable?.api_subdomain).toBeUndefined();
    expect(s.json.output?.custom_domain_url).toBeUndefined();
  });

  test("the API itself is unchanged: two IAM routes, stage, permission, requester", () => {
    expect(blocksOf(s, "aws_apigatewayv2_route")).toHaveLength(2);
    expect(s.text).toHaveResource(Apigatewayv2Stage);
    expect(s.text).toHaveResource(LambdaPermission);
    expect(s.text).toHaveResource(IamUser);
    expect(s.json.output?.execute_api_url).toBeDefined();
  });
});

describe("event-log-api: supplied lookups and options", () => {
  let s: Synthesized;
  beforeAll(() => {
    s = synth(
      {
        corsAllowOrigins: ["https://app.example.com"],
        corsAllowHeaders: ["authorization", "content-type", "x-amz-date", "x-amz-security-token", "x-amz-content-sha256"],
        throttlingRateLimit: 5,
        throttlingBurstLimit: 7,
        apiSubdomain: "events",
        readCapacity: 5,
        writeCapacity: 2,
      },
      suppliedDeployment,
    );
  });

  test("the supplied hosted zone id replaces the zone lookup", () => {
    expect(s.json.data?.aws_route53_zone).toBeUndefined();
    // Both records: the API's alias and the certificate's validation records.
    expect(blocksOf(s, "aws_route53_record").map((record) => record.zone_id)).toEqual([offlineLookups.hostedZoneId, offlineLookups.hostedZoneId]);
    expect(s.json.variable?.api_subdomain).toMatchObject({ default: "events" });
  });

  test("the requester may invoke exactly the two route ARNs (GET and POST /events), built with the supplied account id", () => {
    expect(s.json.data?.aws_caller_identity).toBeUndefined();
    const policy = Object.values(s.json.resource.aws_iam_policy).find((p) => p.name === "dev-api-gateway-log-event-requester-policy")!;
    const statements = statementsOf(s, policy.policy);
    expect(statements).toHaveLength(1);
    const api = `arn:aws:execute-api:\${data.aws_region.current_region.name}:${offlineLookups.accountId}:\${aws_apigatewayv2_api.api.id}`;
    // Exactly the API's two routes, in any stage: nothing broader.
    expect(statements[0].resources).toEqual([`${api}/*/GET/events`, `${api}/*/POST/events`]);
  });

  test("CORS, throttling defaults and capacity follow the props", () => {
    expect(s.text).toHaveResourceWithProperties(Apigatewayv2Api, {
      cors_configuration: {
        allow_origins: ["https://app.example.com"],
        allow_methods: ["GET", "POST"],
        allow_headers: ["authorization", "content-type", "x-amz-date", "x-amz-security-token", "x-amz-content-sha256"],
      },
    });
    expect(s.json.variable?.throttling_rate_limit).toMatchObject({ default: 5 });
    expect(s.json.variable?.throttling_burst_limit).toMatchObject({ default: 7 });
    expect(s.text).toHaveResourceWithProperties(DynamodbTable, { read_capacity: 5, write_capacity: 2 });
  });
});

describe("event-log-api: no CORS, no requester user", () => {
  let s: Synthesized;
  beforeAll(() => {
    s = synth({ corsAllowOrigins: [], requesterUser: false }, suppliedDeployment);
  });

  test("an empty origin list drops the CORS configuration", () => {
    expect(onlyOf(s, "aws_apigatewayv2_api").body.cors_configuration).toBeUndefined();
  });

  test("the requester policy stays (to attach to roles); the user and its attachment go", () => {
    expect(s.text).toHaveResourceWithProperties(IamPolicy, { name: "dev-api-gateway-log-event-requester-policy" });
    expect(s.json.resource.aws_iam_user).toBeUndefined();
    expect(s.json.resource.aws_iam_user_policy_attachment).toBeUndefined();
  });
});

describe("event-log-api: the requester as a role (issue 26)", () => {
  const trustedPrincipalArns = ["arn:aws:iam::123456789012:role/reporting"];
  let s: Synthesized;
  beforeAll(() => {
    s = synth({ requester: { role: { trustedPrincipalArns } } }, suppliedDeployment);
  });

  test("a role the named principals assume holds the requester policy; no user", () => {
    expect(s.json.resource.aws_iam_user).toBeUndefined();
    expect(s.text).toHaveResourceWithProperties(IamRole, { name: "dev-api-gateway-log-event-requester" });
    expect(s.text).toHaveResourceWithProperties(IamRolePolicyAttachment, {
      role: "${aws_iam_role.requester_role.name}",
      policy_arn: "${aws_iam_policy.requester_policy.arn}",
    });
    const trust = findOne(s, "aws_iam_policy_document", (_body, name) => name === "requester_role_trust", "data").body;
    expect(trust.statement).toEqual([
      { sid: "TrustedCallersAssume", actions: ["sts:AssumeRole"], principals: [{ type: "AWS", identifiers: trustedPrincipalArns }] },
    ]);
  });

  test("outputs the role's ARN instead of the user's name", () => {
    expect(s.json.output?.requester_role_arn).toMatchObject({ value: "${aws_iam_role.requester_role.arn}" });
    expect(s.json.output?.requester_user_name).toBeUndefined();
    expect(s.json.output?.requester_policy_arn).toBeDefined();
  });

  test("requesterUser and requester together are refused, naming both", () => {
    expect(() => synth({ requesterUser: false, requester: "none" })).toThrow("event-log-api: either requesterUser or requester, not both.");
  });
});
