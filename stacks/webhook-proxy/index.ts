import { Construct } from "constructs";
import { ServerlessStack, ServerlessStackProps } from "../../constructs/serverless-stack";

export type WebhookProxyStackProps = ServerlessStackProps;

/** Seed 002. (Placeholder: being built.) */
export class WebhookProxyStack extends ServerlessStack {
  constructor(scope: Construct, id: string, props: WebhookProxyStackProps) {
    super(scope, id, props);
  }
}
