/**
 * The app: configuration, then the stack registry, one line per stack. Start reading here.
 *
 *   npm run synth                      -> cdktf.out/stacks/<id>/cdk.tf.json
 *   npx cdktf deploy <id>              -> deploy one stack
 *
 * The registry is the one list of stacks: the app, the policy suite, the Terraform
 * proof, the address guard, the replays and the bench all derive from it.
 */
import "./startup"; // first: settings that must hold before cdktf loads
import { App } from "cdktf";
import { Construct } from "constructs";
import { loadEnvironment, loadEnvironmentOrExit } from "./config";
import { EnvironmentConfig } from "./constructs/environment";
import { ServerlessStack, ServerlessStackProps } from "./constructs/serverless-stack";
import { EventLogApiStack } from "./stacks/event-log-api";
import { KinesisIngestStack } from "./stacks/kinesis-ingest";
import { MediaAlbStack } from "./stacks/media-alb";
import { TranslateApiStack } from "./stacks/translate-api";
import { WebhookProxyStack } from "./stacks/webhook-proxy";

export interface StackEntry {
  /** The id `cdktf synth` writes under `cdktf.out/stacks/`: fixed, users and scripts rely on it. */
  readonly id: string;
  /** The seed document in `shared/seeds/` the stack reproduces. */
  readonly seed: string;
  readonly summary: string;
  readonly Stack: new (scope: Construct, id: string, props: ServerlessStackProps) => ServerlessStack;
}

export const STACKS = [
  { id: "kinesis-ingest", seed: "000_76a5c6c6641af9d2", Stack: KinesisIngestStack, summary: "REST API -> Kinesis -> Lambda -> DynamoDB" },
  { id: "event-log-api", seed: "001_853a449f176f28b3", Stack: EventLogApiStack, summary: "HTTP API + Lambda + DynamoDB, IAM auth, custom domain" },
  { id: "webhook-proxy", seed: "002_5d43d35772f1aa67", Stack: WebhookProxyStack, summary: "HTTP API -> Lambda -> SQS -> rate-limited Lambda -> upstream" },
  { id: "media-alb", seed: "003_4d9388c3e551ab79", Stack: MediaAlbStack, summary: "ALB -> two Lambdas -> DynamoDB" },
  { id: "translate-api", seed: "004_38981d2f4f3d4ecf", Stack: TranslateApiStack, summary: "REST API -> Lambda -> Translate, history in DynamoDB" },
] as const satisfies readonly StackEntry[];

export type StackId = (typeof STACKS)[number]["id"];
export const STACK_IDS: readonly StackId[] = STACKS.map((entry) => entry.id);

export function buildApp(env: EnvironmentConfig = loadEnvironment(), outdir?: string): App {
  const app = new App({ outdir });
  for (const { Stack, id } of STACKS) new Stack(app, id, { env });
  return app;
}

if (require.main === module) buildApp(loadEnvironmentOrExit()).synth();
