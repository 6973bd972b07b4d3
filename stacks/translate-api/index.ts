import { Construct } from "constructs";
import { TerraformOutput } from "cdktf";
import { PatternProps } from "../../blocks/pattern";
import { frontDoorOutputs } from "../../blocks/rest-api-front-door";
import { ServerlessStack, ServerlessStackProps } from "../../blocks/serverless-stack";
import { TranslateApi, TranslateApiProps } from "../../patterns/translate-api";

/**
 * The pattern's own props; the environment decides names, lookups, packaging and the alarm topic.
 * `stageName` defaults to the environment name (`dev` by default, the hands-on's stage).
 */
export type TranslateApiStackProps = ServerlessStackProps & Omit<TranslateApiProps, keyof PatternProps>;

/**
 * Seed 004 as a deployable stack: the `TranslateApi` pattern (patterns/translate-api) with this
 * environment's names, its stage named after the environment, its settings as Terraform variables,
 * and the outputs an operator needs.
 */
export class TranslateApiStack extends ServerlessStack {
  readonly pattern: TranslateApi;

  constructor(scope: Construct, id: string, props: TranslateApiStackProps) {
    super(scope, id, props);
    const { deployment, ...patternProps } = props;
    this.pattern = new TranslateApi(this, "Default", {
      ...patternProps,
      ...this.patternProps(),
      stageName: props.stageName ?? deployment.name,
    });
    const p = this.pattern;
    if ((props.callerAuth ?? "api-key") === "api-key") this.warnSecretsInState("translate-api's API key values");

    this.outputsOf(p);
    frontDoorOutputs(this, p.frontDoor);
    const invokeUrl = p.stage.stage.invokeUrl;
    new TerraformOutput(this, "execute_api_url", {
      value: invokeUrl,
      description: "Invoke URL of the stage (execute-api; off with a custom domain: use custom_domain_url).",
    });
    new TerraformOutput(this, "translate_url", { value: `${invokeUrl}/translate`, description: "GET ?input_text=... or POST {\"input_text\": ...}" });
    new TerraformOutput(this, "mock_url", { value: `${invokeUrl}/mock`, description: "GET: fixed JSON from the MOCK integration" });
    new TerraformOutput(this, "table_name", { value: p.tableRef.name, description: "DynamoDB table holding the translation history." });
  }
}
