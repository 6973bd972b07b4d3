/**
 * The app: configuration, then one line per stack. Start reading here.
 *
 *   npm run synth                      -> cdktf.out/stacks/<id>/cdk.tf.json
 *   npx cdktf deploy <id>              -> deploy one stack
 */
import { App } from "cdktf";
import { loadEnvironment } from "./config";
import { EnvironmentConfig } from "./constructs/environment";
import { EventLogApiStack } from "./stacks/event-log-api";
import { KinesisIngestStack } from "./stacks/kinesis-ingest";
import { MediaAlbStack } from "./stacks/media-alb";
import { TranslateApiStack } from "./stacks/translate-api";
import { WebhookProxyStack } from "./stacks/webhook-proxy";

/** The ids `cdktf synth` writes under `cdktf.out/stacks/`; fixed, scripts rely on them. */
export const STACK_IDS = ["kinesis-ingest", "event-log-api", "webhook-proxy", "media-alb", "translate-api"] as const;

export function buildApp(env: EnvironmentConfig = loadEnvironment(), outdir?: string): App {
  const app = new App({ outdir });
  new KinesisIngestStack(app, "kinesis-ingest", { env }); // seed 000: REST API -> Kinesis -> Lambda -> DynamoDB
  new EventLogApiStack(app, "event-log-api", { env }); // seed 001: HTTP API + Lambda + DynamoDB, IAM auth, custom domain
  new WebhookProxyStack(app, "webhook-proxy", { env }); // seed 002: HTTP API -> Lambda -> SQS -> rate-limited Lambda -> upstream
  new MediaAlbStack(app, "media-alb", { env }); // seed 003: ALB -> two Lambdas -> DynamoDB
  new TranslateApiStack(app, "translate-api", { env }); // seed 004: REST API -> Lambda -> Translate, history in DynamoDB
  return app;
}

if (require.main === module) {
  // cdktf records a stack trace for every token; mapped through tsx's source maps they cost ~0.4 s per synth.
  process.setSourceMapsEnabled(false);
  buildApp().synth();
}
