/** `WebhookProxy` as a user composes it: in a plain TerraformStack, with only the upstream, twice, and on a queue they have. */
import { SqsQueue } from "@cdktf/provider-aws/lib/sqs-queue";
import { WebhookProxy } from "../patterns/webhook-proxy";
import { blocksOf, policyStatements, synthesize } from "./support/synth";
import { expectSelfContained, userStack } from "./support/patterns";

describe("WebhookProxy with only its upstream", () => {
  const stack = userStack();
  const hooks = new WebhookProxy(stack, "hooks", { upstream: "app.example.com/webhooks" });
  const { json, text } = synthesize(stack);

  test("declares no provider, backend, variable, output or check, and serves on execute-api (no domain given)", () => {
    expectSelfContained(json);
    expect(json.check).toEqual({});
    expect(blocksOf(json, "aws_apigatewayv2_domain_name")).toEqual([]);
    expect(blocksOf(json, "aws_apigatewayv2_api")[0].disable_execute_api_endpoint).toBe(false);
    expect(hooks.webhookUrl).toBe(hooks.executeApiUrl);
  });

  test("settings are literal: the upstream, the signature scheme, the concurrency, no scaling cap at 1", () => {
    const fns = blocksOf(json, "aws_lambda_function");
    const env = (name: string) => (fns.find((f) => String(f.function_name).includes(name))?.environment as { variables: Record<string, unknown> }).variables;
    expect(env("sqs2upstream").UPSTREAM).toBe("app.example.com/webhooks");
    expect(env("api2sqs").SIGNATURE_SCHEME).toBe("hmac");
    expect(env("api2sqs").SIGNATURE_SECRET_PARAMETER).toBe("/mine-hooks/webhook-proxy/signing-secret");
    expect(blocksOf(json, "aws_lambda_event_source_mapping")[0].scaling_config).toBeUndefined();
    expect(text).toHaveResourceWithProperties(SqsQueue, { name: "mine-hooks-proxy-queue", message_retention_seconds: 1209600 });
  });

  test("refuses a bad upstream and SendGrid without its key at synth", () => {
    expect(() => new WebhookProxy(userStack(), "x", { upstream: "https://app.example.com" })).toThrow("upstream must be a host name");
    expect(() => new WebhookProxy(userStack(), "x", { upstream: "app.example.com", signature: { scheme: "sendgrid" } })).toThrow("needs publicKey");
  });
});

describe("two WebhookProxy in one stack, and one on an existing queue", () => {
  test("two instances: distinct names, one scaling cap each when reserved >= 2", () => {
    const stack = userStack();
    new WebhookProxy(stack, "a", { upstream: "a.example.com" });
    new WebhookProxy(stack, "b", { upstream: "b.example.com", reservedConcurrentExecutions: 4 });
    const { json } = synthesize(stack);
    const queues = blocksOf(json, "aws_sqs_queue").map((q) => q.name);
    expect(new Set(queues).size).toBe(4);
    expect(blocksOf(json, "aws_lambda_event_source_mapping").map((m) => m.scaling_config)).toEqual(expect.arrayContaining([undefined, { maximum_concurrency: 4 }]));
  });

  test("an existing queue: no queue, DLQ or queue key is created; both functions are granted on its ARN only", () => {
    const stack = userStack();
    const queue = { name: "mine", arn: "arn:aws:sqs:eu-west-1:123456789012:mine", url: "https://sqs.eu-west-1.amazonaws.com/123456789012/mine" };
    new WebhookProxy(stack, "hooks", { upstream: "app.example.com", existingQueue: queue });
    const { json } = synthesize(stack);
    expect(blocksOf(json, "aws_sqs_queue")).toEqual([]);
    expect(blocksOf(json, "aws_kms_key")).toHaveLength(1); // the alarm topic's only
    expect(policyStatements(json, "hooks_api2sqs_policy_document").find((s) => s.sid === "SendToProxyQueue")?.resources).toEqual([queue.arn]);
    expect(policyStatements(json, "hooks_sqs2upstream_policy_document").find((s) => s.sid === "ConsumeProxyQueue")?.resources).toEqual([queue.arn]);
    expect(() => new WebhookProxy(userStack(), "x", { upstream: "a.example.com", existingQueue: queue, queueProps: { delaySeconds: 1 } })).toThrow(
      "either existingQueue or queueProps, not both.",
    );
  });
});
