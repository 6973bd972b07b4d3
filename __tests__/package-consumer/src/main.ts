/**
 * A consumer's own app, as an infrastructure engineer would write it: one plain
 * TerraformStack with its own provider and backend, the package's constructs in it.
 */
import { App, LocalBackend, TerraformOutput, TerraformStack } from "cdktf";
import { Construct } from "constructs";
import { AwsProvider } from "@cdktf/provider-aws/lib/provider";
import { NodejsFunction } from "spike-proof-serverless-cdktf";

export class ConsumerStack extends TerraformStack {
  readonly orders: NodejsFunction;
  readonly clicks: NodejsFunction;
  readonly hooks: NodejsFunction;

  constructor(scope: Construct, id: string) {
    super(scope, id);
    new AwsProvider(this, "aws", {
      region: "eu-west-1",
      skipCredentialsValidation: true,
      skipRequestingAccountId: true,
      skipMetadataApiCheck: "true",
      skipRegionValidation: true,
    });
    new LocalBackend(this, { path: "consumer.tfstate" });
    this.orders = new NodejsFunction(this, "orders", { entry: "handlers/kinesis-ingest/index.ts", functionName: "orders", roleName: "orders-role" });
    this.clicks = new NodejsFunction(this, "clicks", { entry: "handlers/kinesis-ingest/index.ts", functionName: "clicks", roleName: "clicks-role" });
    this.hooks = new NodejsFunction(this, "hooks", { entry: "handlers/webhook-proxy/api2sqs/index.ts", functionName: "hooks", roleName: "hooks-role" });
    new TerraformOutput(this, "orders_function", { value: this.orders.function.arn, description: "the orders function" });
  }
}

if (require.main === module) {
  const app = new App();
  new ConsumerStack(app, "consumer");
  app.synth();
}
