import { Construct } from "constructs";
import { TerraformOutput } from "cdktf";
import { PatternProps } from "../../blocks/pattern";
import { frontDoorOutputs } from "../../blocks/rest-api-front-door";
import { ServerlessStack, ServerlessStackProps } from "../../blocks/serverless-stack";
import { KinesisIngest, KinesisIngestProps } from "../../patterns/kinesis-ingest";

export { checkStreamRetention, minimumStreamRetentionHours, STREAM_RETENTION_LIMITS } from "../../patterns/kinesis-ingest";

/** The pattern's own props; the environment decides names, lookups, packaging and the alarm topic. */
export type KinesisIngestStackProps = ServerlessStackProps & Omit<KinesisIngestProps, keyof PatternProps>;

/**
 * Seed 000 as a deployable stack: the `KinesisIngest` pattern (patterns/kinesis-ingest) with this
 * environment's names and its settings as Terraform variables, and the outputs an operator needs.
 * It owns the region's API Gateway logging setting by default (`manage_api_gateway_account = true`):
 * it is the first stack, and must log on a fresh account.
 */
export class KinesisIngestStack extends ServerlessStack {
  readonly pattern: KinesisIngest;

  constructor(scope: Construct, id: string, props: KinesisIngestStackProps) {
    super(scope, id, props);
    const { deployment: _deployment, ...patternProps } = props;
    this.pattern = new KinesisIngest(this, "Default", {
      ...patternProps,
      ...this.patternProps(),
      manageApiGatewayAccount: props.manageApiGatewayAccount ?? true,
    });
    const p = this.pattern;
    if ((props.callerAuth ?? "api-key") === "api-key") this.warnSecretsInState("kinesis-ingest's API key values");

    this.outputsOf(p);
    frontDoorOutputs(this, p.frontDoor);
    new TerraformOutput(this, "execute_api_url", {
      value: p.stage.stage.invokeUrl,
      description: "Invoke URL of the stage (execute-api): POST records here (off with a custom domain: use custom_domain_url).",
    });
    new TerraformOutput(this, "stream_arn", { value: p.streamRef.arn, description: "ARN of the Kinesis stream the API writes to." });
    new TerraformOutput(this, "table_name", { value: p.tableRef.name, description: "DynamoDB table the consumer stores the records in." });
    new TerraformOutput(this, "dead_letter_queue_url", {
      value: p.deadLetterQueue.queue.url,
      description: "Where batches that failed every retry, and records the table can never store, are described (shard and sequence range), for `npm run redrive:kinesis-ingest`.",
    });
  }
}
