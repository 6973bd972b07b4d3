/**
 * A consumer's own app, as an infrastructure engineer would write it: one plain
 * TerraformStack with its own provider and backend, and the package's patterns in
 * it, two of one kind side by side. The account and region are given, so
 * Terraform plans it without calling AWS.
 */
import { App, LocalBackend, TerraformOutput, TerraformStack } from "cdktf";
import { Construct } from "constructs";
import { AwsProvider } from "@cdktf/provider-aws/lib/provider";
import { KinesisIngest, WebhookProxy } from "spike-proof-serverless-cdktf";

const where = { accountId: "123456789012", region: "eu-west-1" };

export class ConsumerStack extends TerraformStack {
  readonly orders: KinesisIngest;
  readonly clicks: KinesisIngest;
  readonly hooks: WebhookProxy;

  constructor(scope: Construct, id: string) {
    super(scope, id);
    new AwsProvider(this, "aws", {
      region: where.region,
      skipCredentialsValidation: true,
      skipRequestingAccountId: true,
      skipMetadataApiCheck: "true",
      skipRegionValidation: true,
    });
    new LocalBackend(this, { path: "consumer.tfstate" });

    this.orders = new KinesisIngest(this, "orders", where);
    // The second one shares the first one's alarm topic, and takes bigger batches.
    this.clicks = new KinesisIngest(this, "clicks", { ...where, existingAlarmTopic: this.orders.alarmTopic, batchSize: 500 });
    this.hooks = new WebhookProxy(this, "hooks", { ...where, upstream: "hooks.example.com/receive" });

    // Outputs are the app's: the patterns declare none.
    new TerraformOutput(this, "orders_stream", { value: this.orders.streamRef.name, description: "the orders stream" });
    new TerraformOutput(this, "clicks_stream", { value: this.clicks.streamRef.name, description: "the clicks stream" });
    new TerraformOutput(this, "hooks_url", { value: this.hooks.webhookUrl, description: "where senders post webhooks" });
  }
}

if (require.main === module) {
  const app = new App();
  new ConsumerStack(app, "consumer");
  app.synth();
}
