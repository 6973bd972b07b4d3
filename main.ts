/**
 * The app: configuration, then the stack registry, one line per stack. Start reading here.
 *
 *   npm run synth                      -> cdktf.out/stacks/<id>/cdk.tf.json
 *   npx cdktf deploy <id>              -> deploy one stack
 *
 * The registry is the one list of stacks: the app, the policy suite, the Terraform
 * proof, the address guard and the bench derive from it (README "How to add a stack").
 */
import "./startup"; // first: settings that must hold before cdktf loads
import { readFileSync } from "node:fs";
import * as path from "node:path";
import { App } from "cdktf";
import { Construct } from "constructs";
import { loadEnvironment, loadEnvironmentOrExit } from "./config";
import { EnvironmentConfig } from "./blocks/environment";
import { ServerlessStack, ServerlessStackProps } from "./blocks/serverless-stack";
import { EventLogApiStack } from "./stacks/event-log-api";
import { KinesisIngestStack } from "./stacks/kinesis-ingest";
import { MediaAlbStack } from "./stacks/media-alb";
import { TranslateApiStack } from "./stacks/translate-api";
import { WebhookProxyStack } from "./stacks/webhook-proxy";

export interface StackEntry {
  /** The id `cdktf synth` writes under `cdktf.out/stacks/`: fixed, users and scripts rely on it. */
  readonly id: string;
  /** The seed the stack reproduces: `../shared/seeds/<seed>.txt`, beside this project (not in it). */
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
  // Every stack with its defaults; to set a stack's props, construct it here with them (`{ env, ...props }`).
  for (const { Stack, id } of STACKS) new Stack(app, id, { env });
  return app;
}

/** The warnings and errors constructs attached (`Annotations`), on stderr, as `cdktf synth` prints them for `npm run synth`. */
function reportAnnotations(outdir: string): void {
  const manifest = JSON.parse(readFileSync(path.join(outdir, "manifest.json"), "utf8")) as {
    stacks: Record<string, { annotations?: { constructPath: string; level: string; message: string }[] }>;
  };
  for (const stack of Object.values(manifest.stacks)) {
    for (const { level, constructPath, message } of stack.annotations ?? []) {
      if (level !== "@cdktf/info") console.error(`[${level.replace("@cdktf/", "").toUpperCase()}] ${constructPath}: ${message}`);
    }
  }
}

if (require.main === module) {
  const app = buildApp(loadEnvironmentOrExit());
  app.synth();
  // The cdktf CLI (which passes CDKTF_CONTEXT_JSON) prints them itself.
  if (process.env.CDKTF_CONTEXT_JSON === undefined) reportAnnotations(app.outdir);
}
