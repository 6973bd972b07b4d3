/**
 * The app: configuration, then the stack registry, one entry per stack. Start reading here.
 *
 *   npm run synth                      -> cdktf.out/stacks/<id>/cdk.tf.json
 *   npx cdktf deploy <id>              -> deploy one stack
 *
 * The registry is the one list of stacks: the app, the policy suite, the Terraform proofs,
 * the address guard, the bench, `npm run local`, `npm run replay` and `npm run capacity`
 * derive from it (README "How to add a pattern and its stack"). An entry names the stack, what each tool
 * does with it (`local`, `replay`, `optionsOn`) and the typed options the app builds it
 * with (`props`): set options there, never in a tool.
 */
import "./startup"; // first: settings that must hold before cdktf loads
import { readFileSync } from "node:fs";
import * as path from "node:path";
import { App, TerraformStack } from "cdktf";
import type { Construct } from "constructs";
import { loadDeployment, loadDeploymentOrExit } from "./config";
import type { DeploymentConfig } from "./blocks/deployment";

/** What every stack's props hold: the deployment configuration (config.ts). */
interface BaseProps {
  readonly deployment: DeploymentConfig;
}

/** A stack class as the app constructs it: `new Stack(app, id, { deployment, ...props })`. */
export type StackClass<P extends BaseProps = BaseProps> = new (scope: Construct, id: string, props: P) => TerraformStack;

/** A stack's typed options: its props but `deployment`, which the app passes. */
export type StackOptions<P extends BaseProps> = Omit<P, "deployment">;

/** Which of an entry's option sets a stack is built with: the app's (`props`), or `optionsOn` over them. */
export type StackVariant = "props" | "optionsOn";

interface StackDefinition<Id extends string, P extends BaseProps> {
  /** The id `cdktf synth` writes under `cdktf.out/stacks/`: fixed, users and scripts rely on it. */
  readonly id: Id;
  /** The seed the stack reproduces: `../shared/seeds/<seed>.txt`, beside this project (not in it). */
  readonly seed: string;
  readonly summary: string;
  /** The stack class, required on first use: commands that only read a synth output never load the stacks. */
  readonly load: () => StackClass<P>;
  /** The options the app builds the stack with. @default {} (the stack's defaults) */
  readonly props?: NoInfer<StackOptions<P>>;
  /** Every option that changes what is planned, flipped from its default (merged over `props`): the Terraform proofs plan this variant too. */
  readonly optionsOn?: NoInfer<StackOptions<P>>;
  /** `npm run local` serves it (tools/local). */
  readonly local: boolean;
  /** `npm run replay` replays its seed's spike experiment (tools/replay). */
  readonly replay: boolean;
}

export interface StackEntry<Id extends string = string, P extends BaseProps = BaseProps> extends StackDefinition<Id, P> {
  /** The stack class (`load()`). */
  readonly Stack: StackClass<P>;
  /** Constructs the stack in `scope` with `deployment` and the variant's options. */
  build(scope: Construct, deployment: DeploymentConfig, variant?: StackVariant): TerraformStack;
}

/** One registry entry: the options are checked against the stack's own props. */
function stack<const Id extends string, P extends BaseProps, const Local extends boolean, const Replay extends boolean>(
  definition: StackDefinition<Id, P> & { readonly local: Local; readonly replay: Replay },
): StackEntry<Id, P> & { readonly local: Local; readonly replay: Replay } {
  return {
    ...definition,
    get Stack() {
      return definition.load();
    },
    build(scope, deployment, variant = "props") {
      const options = variant === "optionsOn" ? { ...definition.props, ...definition.optionsOn } : definition.props;
      // `Omit<P, "deployment">` plus `deployment` is P; TypeScript cannot see it through the generic.
      return new (definition.load())(scope, definition.id, { deployment, ...options } as P);
    },
  };
}

export const STACKS = [
  stack({
    id: "kinesis-ingest",
    seed: "000_76a5c6c6641af9d2",
    summary: "REST API -> Kinesis -> Lambda -> DynamoDB",
    load: () => (require("./stacks/kinesis-ingest") as typeof import("./stacks/kinesis-ingest")).KinesisIngestStack,
    optionsOn: { callerAuth: "iam", webAcl: {}, customDomain: { domainName: "ingest.example.com", zoneName: "example.com" }, tracing: true },
    local: true,
    replay: true,
  }),
  stack({
    id: "event-log-api",
    seed: "001_853a449f176f28b3",
    summary: "HTTP API + Lambda + DynamoDB, IAM auth, custom domain",
    load: () => (require("./stacks/event-log-api") as typeof import("./stacks/event-log-api")).EventLogApiStack,
    optionsOn: { requester: { role: { trustedPrincipalArns: ["arn:aws:iam::123456789012:role/event-readers"] } }, tracing: true },
    local: true,
    replay: false,
  }),
  stack({
    id: "webhook-proxy",
    seed: "002_5d43d35772f1aa67",
    summary: "HTTP API -> Lambda -> SQS -> rate-limited Lambda -> upstream",
    load: () => (require("./stacks/webhook-proxy") as typeof import("./stacks/webhook-proxy")).WebhookProxyStack,
    optionsOn: { signature: false },
    local: true,
    replay: true,
  }),
  stack({
    id: "media-alb",
    seed: "003_4d9388c3e551ab79",
    summary: "ALB -> two Lambdas -> DynamoDB",
    load: () => (require("./stacks/media-alb") as typeof import("./stacks/media-alb")).MediaAlbStack,
    optionsOn: { webAcl: {} },
    local: true,
    replay: false,
  }),
  stack({
    id: "translate-api",
    seed: "004_38981d2f4f3d4ecf",
    summary: "REST API -> Lambda -> Translate, history in DynamoDB",
    load: () => (require("./stacks/translate-api") as typeof import("./stacks/translate-api")).TranslateApiStack,
    optionsOn: { callerAuth: "iam", webAcl: {}, customDomain: { domainName: "translate.example.com", zoneName: "example.com" }, tracing: true },
    local: true,
    replay: false,
  }),
] as const;

type Entry = (typeof STACKS)[number];
export type StackId = Entry["id"];
export const STACK_IDS: readonly StackId[] = STACKS.map((entry) => entry.id);

/** The stacks `npm run local` serves. */
export type LocalStackId = Extract<Entry, { readonly local: true }>["id"];
export const LOCAL_STACK_IDS: readonly LocalStackId[] = STACKS.filter((e): e is Extract<Entry, { readonly local: true }> => e.local).map((e) => e.id);

/** The stacks with a replay of their seed's spike experiment. */
export type ReplayStackId = Extract<Entry, { readonly replay: true }>["id"];
export const REPLAY_STACK_IDS: readonly ReplayStackId[] = STACKS.filter((e): e is Extract<Entry, { readonly replay: true }> => e.replay).map((e) => e.id);

/** The stacks with typed options that change the plan (`optionsOn`). */
export const OPTIONS_ON_STACK_IDS: readonly StackId[] = STACKS.filter((e) => "optionsOn" in e).map((e) => e.id);

export interface AppOptions {
  /** The stacks to build, in the registry's order (each once). @default every stack */
  readonly stacks?: readonly StackId[];
  /** @default "props" */
  readonly variant?: StackVariant;
}

export function buildApp(deployment: DeploymentConfig = loadDeployment(), outdir?: string, options: AppOptions = {}): App {
  const app = new App({ outdir });
  const wanted = options.stacks && new Set<string>(options.stacks);
  for (const entry of STACKS) if (!wanted || wanted.has(entry.id)) entry.build(app, deployment, options.variant);
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
  const app = buildApp(loadDeploymentOrExit());
  app.synth();
  // The cdktf CLI (which passes CDKTF_CONTEXT_JSON) prints them itself.
  if (process.env.CDKTF_CONTEXT_JSON === undefined) reportAnnotations(app.outdir);
}
