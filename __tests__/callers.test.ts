/**
 * Who may call each stack, and how much one caller may send (issue 18):
 * API keys with a usage plan per client on the REST APIs (default), IAM as the
 * alternative, the webhook signature check's settings and least-privilege
 * access to its secret, and the optional WAF web ACL with its associations.
 * Each variant is synthesized once per describe.
 */
import { Testing } from "cdktf";
import { ApiGatewayApiKey } from "@cdktf/provider-aws/lib/api-gateway-api-key";
import { ApiGatewayMethod } from "@cdktf/provider-aws/lib/api-gateway-method";
import { ApiGatewayUsagePlan } from "@cdktf/provider-aws/lib/api-gateway-usage-plan";
import { ApiGatewayUsagePlanKey } from "@cdktf/provider-aws/lib/api-gateway-usage-plan-key";
import { Wafv2WebAcl } from "@cdktf/provider-aws/lib/wafv2-web-acl";
import { Wafv2WebAclAssociation } from "@cdktf/provider-aws/lib/wafv2-web-acl-association";
import { ENTRY_POINT_CALLERS_LOCAL } from "../blocks/entry-points";
import { BODY_SIZE_RULE } from "../blocks/rate-limit-web-acl";
import { KinesisIngestStack } from "../stacks/kinesis-ingest";
import { MediaAlbStack } from "../stacks/media-alb";
import { TranslateApiStack } from "../stacks/translate-api";
import { PARAMETER_NAME_PATTERN, WebhookProxyStack } from "../stacks/webhook-proxy";
import { Block, blocksOf, PolicyStatement, policyStatements, suppliedDeployment, Synthesized, synthesize } from "./support/synth";

const deployment = suppliedDeployment;

/** The statements of the policy document of a NodejsFunction (`<id>/policy_document`). */
const statementsOf = (s: Synthesized, functionId: string): PolicyStatement[] => policyStatements(s, `${functionId}_policy_document`);

describe.each([
  ["kinesis-ingest", (app: ReturnType<typeof Testing.app>, props = {}) => new KinesisIngestStack(app, "kinesis-ingest", { deployment, ...props }), ["POST"], { rate: 500, burst: 1000, quota: 500_000 }],
  ["translate-api", (app: ReturnType<typeof Testing.app>, props = {}) => new TranslateApiStack(app, "translate-api", { deployment, ...props }), ["GET", "POST"], { rate: 1, burst: 2, quota: 200 }],
] as const)("%s: callers", (_id, make, methods, limits) => {
  describe("default: API keys", () => {
    let s: Synthesized;
    beforeAll(() => {
      s = synthesize(make(Testing.app()));
    });

    test("every method with a backend requires an API key; the MOCK route alone stays open", () => {
      const integrations = blocksOf(s, "aws_api_gateway_integration");
      for (const [name, method] of Object.entries(s.json.resource.aws_api_gateway_method)) {
        const mock = integrations.some((i) => i.type === "MOCK" && String(i.http_method).includes(`aws_api_gateway_method.${name}.`));
        expect({ name, required: method.api_key_required === true }).toEqual({ name, required: !mock });
      }
      for (const httpMethod of methods) {
        expect(s.text).toHaveResourceWithProperties(ApiGatewayMethod, { http_method: httpMethod, authorization: "NONE", api_key_required: true });
      }
    });

    test("one key, usage plan and membership per client, from the api_clients variable", () => {
      expect(s.json.variable.api_clients).toMatchObject({ type: "set(string)", default: ["default"] });
      for (const type of [ApiGatewayApiKey, ApiGatewayUsagePlan, ApiGatewayUsagePlanKey]) {
        expect(s.text).toHaveResourceWithProperties(type, { for_each: "${toset(var.api_clients)}" });
      }
      expect(s.text).toHaveResourceWithProperties(ApiGatewayUsagePlanKey, { key_type: "API_KEY" });
      const [key] = blocksOf(s, "aws_api_gateway_api_key");
      expect(key).toMatchObject({ enabled: true, name: expect.stringContaining("${each.value}") });
      expect(key).not.toHaveProperty("value"); // AWS generates it
    });

    test("each plan covers the stage with the client's rate, burst and daily quota (variables)", () => {
      const [plan] = blocksOf(s, "aws_api_gateway_usage_plan");
      expect(plan.api_stages).toEqual([
        { api_id: "${aws_api_gateway_rest_api.api.id}", stage: expect.stringMatching(/^\$\{aws_api_gateway_stage\.stage_\w+\.stage_name\}$/) },
      ]);
      expect(plan.throttle_settings).toEqual({ rate_limit: "${var.client_throttling_rate_limit}", burst_limit: "${var.client_throttling_burst_limit}" });
      expect(plan.quota_settings).toEqual({ limit: "${var.client_daily_quota}", period: "DAY" });
      expect(s.json.variable.client_throttling_rate_limit).toMatchObject({ type: "number", default: limits.rate });
      expect(s.json.variable.client_throttling_burst_limit).toMatchObject({ type: "number", default: limits.burst });
      expect(s.json.variable.client_daily_quota).toMatchObject({ type: "number", default: limits.quota });
    });

    test("the stage throttling (method_settings on */*, from the stage variables) stays the ceiling: its defaults at or above one client's", () => {
      const [settings, ...more] = blocksOf(s, "aws_api_gateway_method_settings");
      expect(more).toEqual([]);
      expect(settings).toMatchObject({
        method_path: "*/*",
        settings: { throttling_rate_limit: "${var.throttling_rate_limit}", throttling_burst_limit: "${var.throttling_burst_limit}" },
      });
      const defaultOf = (name: string): number => {
        const value: unknown = s.json.variable[name]?.default;
        if (typeof value !== "number") throw new Error(`variable ${name} has no number default`);
        return value;
      };
      expect(defaultOf("throttling_rate_limit")).toBeGreaterThanOrEqual(defaultOf("client_throttling_rate_limit"));
      expect(defaultOf("throttling_burst_limit")).toBeGreaterThanOrEqual(defaultOf("client_throttling_burst_limit"));
    });

    test("the keys are a sensitive output, client name -> key", () => {
      expect(s.json.output.api_keys).toMatchObject({
        sensitive: true,
        value: expect.stringMatching(/^\$\{\{ for name, key in aws_api_gateway_api_key\.\w+ : name => key\.value \}\}$/),
      });
    });

    test("no web ACL by default", () => {
      expect(s.json.resource.aws_wafv2_web_acl).toBeUndefined();
      expect(s.json.resource.aws_wafv2_web_acl_association).toBeUndefined();
    });
  });

  describe("callerAuth: iam, with the web ACL", () => {
    let s: Synthesized;
    beforeAll(() => {
      s = synthesize(make(Testing.app(), { callerAuth: "iam", webAcl: { rateLimitPer5Minutes: 600 } }));
    });

    test("methods with a backend take SigV4 (AWS_IAM); no keys, plans or key output", () => {
      for (const httpMethod of methods) {
        expect(s.text).toHaveResourceWithProperties(ApiGatewayMethod, { http_method: httpMethod, authorization: "AWS_IAM" });
      }
      for (const method of blocksOf(s, "aws_api_gateway_method")) expect(method.api_key_required).not.toBe(true);
      expect(s.json.resource.aws_api_gateway_api_key).toBeUndefined();
      expect(s.json.resource.aws_api_gateway_usage_plan).toBeUndefined();
      expect(s.json.output.api_keys).toBeUndefined();
      expect(s.json.output.execute_api_arn?.value).toEqual(expect.stringContaining("${aws_api_gateway_rest_api.api.execution_arn}/"));
    });

    test("a regional web ACL: managed common rules (body size only counted) and a per-IP rate limit", () => {
      expect(s.text).toHaveResourceWithProperties(Wafv2WebAcl, { scope: "REGIONAL", default_action: { allow: {} } });
      const [acl] = blocksOf(s, "aws_wafv2_web_acl");
      const rules = acl.rule as Block[];
      expect(rules).toHaveLength(2);
      expect(rules[0]).toMatchObject({
        override_action: { none: {} },
        statement: {
          managed_rule_group_statement: {
            vendor_name: "AWS",
            name: "AWSManagedRulesCommonRuleSet",
            rule_action_override: [{ name: BODY_SIZE_RULE, action_to_use: { count: {} } }],
          },
        },
      });
      expect(rules[1]).toMatchObject({
        action: { block: {} },
        statement: { rate_based_statement: { limit: "${var.waf_rate_limit}", aggregate_key_type: "IP", evaluation_window_sec: 300 } },
      });
      expect(s.json.variable.waf_rate_limit).toMatchObject({ type: "number", default: 600 });
    });

    test("the web ACL is associated with the stage", () => {
      expect(s.text).toHaveResourceWithProperties(Wafv2WebAclAssociation, {
        resource_arn: expect.stringMatching(/^\$\{aws_api_gateway_stage\.stage_\w+\.arn\}$/),
        web_acl_arn: expect.stringMatching(/^\$\{aws_wafv2_web_acl\.\w+\.arn\}$/),
      });
    });
  });
});

describe("webhook-proxy: signed webhooks", () => {
  const make = (signature?: ConstructorParameters<typeof WebhookProxyStack>[2]["signature"]) =>
    synthesize(new WebhookProxyStack(Testing.app(), "webhook-proxy", { deployment, signature }));

  describe("default: GitHub-style signatures checked by api2sqs", () => {
    let s: Synthesized;
    beforeAll(() => {
      s = make();
    });

    test("the environment names the secret's parameter, never the secret", () => {
      const api2sqs = blocksOf(s, "aws_lambda_function").find((f) => String(f.function_name).includes("api2sqs")) as Block;
      const variables = (api2sqs.environment as { variables: Record<string, string> }).variables;
      expect(variables).toMatchObject({
        SIGNATURE_SECRET_PARAMETER: "${var.signing_secret_parameter}",
        SIGNATURE_HEADER: "${var.signature_header}",
        SIGNATURE_PREFIX: "${var.signature_prefix}",
        SIGNATURE_ENCODING: "${var.signature_encoding}",
      });
      expect(s.json.variable.signing_secret_parameter).toMatchObject({ default: "/dev/webhook-proxy/signing-secret" });
      expect(s.json.variable.signature_header).toMatchObject({ default: "x-hub-signature-256" });
      expect(s.json.variable.signature_prefix).toMatchObject({ default: "sha256=" });
      expect(s.json.variable.signature_encoding).toMatchObject({ default: "hex" });
      expect(s.json.resource.aws_ssm_parameter).toBeUndefined(); // the secret stays out of Terraform state
    });

    test("api2sqs may read that one parameter, nothing else; no kms statement with the AWS managed key", () => {
      const statements = statementsOf(s, "api2sqs");
      expect(statements).toContainEqual({
        sid: "ReadSigningSecret",
        actions: ["ssm:GetParameter"],
        resources: ["arn:aws:ssm:${data.aws_region.current_region.name}:123456789012:parameter${var.signing_secret_parameter}"],
      });
      expect(statements.flatMap((st) => st.actions ?? []).filter((a) => a.startsWith("kms:"))).toEqual([]);
    });

    test("the route is declared signature-checked", () => {
      expect(s.json.locals[ENTRY_POINT_CALLERS_LOCAL]).toEqual({
        "aws_apigatewayv2_route.route": { caller: "signature", reason: expect.stringContaining("HMAC-SHA256") },
      });
    });
  });

  test("the parameter name validation admits full paths only (and is valid RE2: no repeat count above 1000)", () => {
    const pattern = new RegExp(PARAMETER_NAME_PATTERN);
    expect(["/dev/webhook-proxy/signing-secret", "/a", "/team.x/hook_1-b"].filter((n) => pattern.test(n))).toHaveLength(3);
    expect(["dev/secret", "", "/with space", "/arn:aws"].filter((n) => pattern.test(n))).toEqual([]);
    expect(PARAMETER_NAME_PATTERN).not.toMatch(/\{\d+,\d{4,}\}/);
  });

  test("a customer managed key adds kms:Decrypt on that key only; header, prefix and encoding are configurable", () => {
    const key = "arn:aws:kms:ap-northeast-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab";
    const s = make({ kmsKeyArn: key, header: "x-signature", prefix: "", encoding: "base64", secretParameterName: "/hooks/secret" });
    expect(statementsOf(s, "api2sqs")).toContainEqual({ sid: "DecryptSigningSecret", actions: ["kms:Decrypt"], resources: [key] });
    expect(s.json.variable.signature_header).toMatchObject({ default: "x-signature" });
    expect(s.json.variable.signature_prefix).toMatchObject({ default: "" });
    expect(s.json.variable.signature_encoding).toMatchObject({ default: "base64" });
    expect(s.json.variable.signing_secret_parameter).toMatchObject({ default: "/hooks/secret" });
  });

  test("signature: false: no check, no SSM access, and the route declared public with a reason", () => {
    const s = make(false);
    expect(s.json.variable.signing_secret_parameter).toBeUndefined();
    expect(statementsOf(s, "api2sqs").flatMap((st) => st.actions)).not.toContain("ssm:GetParameter");
    expect(s.json.locals[ENTRY_POINT_CALLERS_LOCAL]).toEqual({
      "aws_apigatewayv2_route.route": { caller: "public", reason: expect.stringContaining("signature: false") },
    });
  });
});

describe("media-alb: public on purpose, web ACL optional", () => {
  test("default: the HTTPS listener is declared public with a reason, and there is no web ACL", () => {
    const s = synthesize(new MediaAlbStack(Testing.app(), "media-alb", { deployment }));
    expect(s.json.locals[ENTRY_POINT_CALLERS_LOCAL]).toEqual({
      "aws_lb_listener.https_listener": { caller: "public", reason: expect.stringContaining("read-only") },
    });
    expect(s.json.resource.aws_wafv2_web_acl).toBeUndefined();
  });

  test("webAcl: a web ACL associated with the load balancer", () => {
    const s = synthesize(new MediaAlbStack(Testing.app(), "media-alb", { deployment, webAcl: {} }));
    expect(s.text).toHaveResourceWithProperties(Wafv2WebAcl, { scope: "REGIONAL" });
    expect(s.text).toHaveResourceWithProperties(Wafv2WebAclAssociation, { resource_arn: "${aws_lb.load_balancer.arn}" });
    expect(s.json.variable.waf_rate_limit).toMatchObject({ default: 1000 });
  });
});
