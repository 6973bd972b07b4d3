import { Construct } from "constructs";
import { TerraformOutput } from "cdktf";
import { PatternProps } from "../../blocks/pattern";
import { ServerlessStack, ServerlessStackProps } from "../../blocks/serverless-stack";
import { WebhookProxy, WebhookProxyProps } from "../../patterns/webhook-proxy";
import { requiredVariables } from "./variables";

export * from "../../patterns/webhook-proxy";
export { PRINCIPAL_ARN_PATTERN, QUEUE_KEY_ADMIN_ACTIONS, READ_ACTIONS } from "../../patterns/webhook-proxy/queue-security";

/** The pattern's own props but the upstream and domain (the stack's required variables); the environment decides the rest. */
export type WebhookProxyStackProps = ServerlessStackProps & Omit<WebhookProxyProps, keyof PatternProps | "upstream" | "customDomain"> & Pick<PatternProps, "logRetentionDays">;

/**
 * Seed 002 as a deployable stack: the `WebhookProxy` pattern (patterns/webhook-proxy) on the seed's
 * custom domain, with the seed's variables (`upstream`, `zone_id`, `domain_cert_arn`, `domain_name`,
 * no defaults) and its settings as Terraform variables.
 */
export class WebhookProxyStack extends ServerlessStack {
  readonly pattern: WebhookProxy;

  constructor(scope: Construct, id: string, props: WebhookProxyStackProps) {
    super(scope, id, props);
    const { deployment: _deployment, ...patternProps } = props;
    const required = requiredVariables(this);
    this.pattern = new WebhookProxy(this, "Default", {
      ...patternProps,
      ...this.patternProps(),
      // Fix: the seed keeps 1 day, too short to investigate abuse of an unauthenticated endpoint; as the other stacks.
      logRetentionDays: props.logRetentionDays ?? this.deployment.logRetentionDays,
      // The seed's secret path named after the environment.
      signature: props.signature === false ? false : { secretParameterName: `/${this.deployment.name}/webhook-proxy/signing-secret`, ...props.signature },
      upstream: required.upstream.stringValue,
      customDomain: { domainName: required.domainName.stringValue, hostedZoneId: required.zoneId.stringValue, certificateArn: required.domainCertArn.stringValue },
    });
    const p = this.pattern;
    this.outputsOf(p);
    new TerraformOutput(this, "webhook_url", { value: p.webhookUrl, description: "Where webhook senders POST." });
    new TerraformOutput(this, "execute_api_url", {
      value: p.executeApiUrl,
      description: "The stage's execute-api URL (disabled: webhooks arrive on the custom domain); for reference.",
    });
    new TerraformOutput(this, "queue_url", { value: p.queueRef.url, description: "SQS queue buffering the webhooks for sqs2upstream." });
    if (p.deadLetterQueue) {
      new TerraformOutput(this, "dead_letter_queue_url", {
        value: p.deadLetterQueue.queue.url,
        description: "Webhooks that could not be delivered; replay them once the upstream is fixed.",
      });
    }
  }
}
