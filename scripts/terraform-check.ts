/**
 * Proves the synthesized stacks with Terraform itself, offline: synthesizes the
 * app with `OFFLINE=1` settings (supplied lookups, asset packaging), and once
 * more with each stack's typed options flipped (`OPTIONS_ON`), then
 * `proveStacks` (scripts/terraform/prove.ts: init when needed, plan, which
 * validates) on all of them in one Terraform run; a failure is reported
 * against its stack by a plan of that stack alone.
 *
 *   npm run tf:check                 # every stack, with its defaults and with its options on
 *   npm run tf:check -- media-alb    # some stacks
 *
 * `__tests__/terraform.test.ts` proves the same stacks the same way, on the
 * synth the test run shares; without a `terraform` CLI this says so and fails.
 */
import "../startup"; // as main.ts: before cdktf loads
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { App } from "cdktf";
import { loadEnvironment } from "../config";
import { buildApp, STACK_IDS } from "../main";
import { KinesisIngestStack } from "../stacks/kinesis-ingest";
import { MediaAlbStack } from "../stacks/media-alb";
import { TranslateApiStack } from "../stacks/translate-api";
import { WebhookProxyStack } from "../stacks/webhook-proxy";
import { ProofResult, proveStacks, synthesizedAddresses, terraformAvailable } from "./terraform/prove";

export { terraformAvailable };

const ROOT = path.resolve(__dirname, "..");

/** The environment the Terraform proof synthesizes with: `OFFLINE=1` (supplied lookups, asset packaging, provider skips). */
export const offlineEnvironment = () => loadEnvironment({ OFFLINE: "1" });

/** Synthesizes every stack as `OFFLINE=1` would, into a fresh temporary folder. */
export function synthOffline(): string {
  const outdir = mkdtempSync(path.join(tmpdir(), "tf-check-"));
  buildApp(offlineEnvironment(), outdir).synth();
  return outdir;
}

/**
 * The stacks whose typed options change what is planned, each built with every
 * such option flipped from its default (the callers' alternatives, the web
 * ACLs, the REST APIs' custom domains), so the offline proof covers both sides.
 */
export const OPTIONS_ON: Readonly<Record<string, (app: App, env: ReturnType<typeof loadEnvironment>) => void>> = {
  "kinesis-ingest": (app, env) =>
    new KinesisIngestStack(app, "kinesis-ingest", {
      env,
      callerAuth: "iam",
      webAcl: {},
      customDomain: { domainName: "ingest.example.com", zoneName: "example.com" },
    }),
  "webhook-proxy": (app, env) => new WebhookProxyStack(app, "webhook-proxy", { env, signature: false }),
  "media-alb": (app, env) => new MediaAlbStack(app, "media-alb", { env, webAcl: {} }),
  "translate-api": (app, env) =>
    new TranslateApiStack(app, "translate-api", {
      env,
      callerAuth: "iam",
      webAcl: {},
      customDomain: { domainName: "translate.example.com", zoneName: "example.com" },
    }),
};

/** Synthesizes the `OPTIONS_ON` variants (offline settings) into a fresh temporary folder. */
export function synthOptionsOn(stacks: readonly string[] = Object.keys(OPTIONS_ON)): string {
  const outdir = mkdtempSync(path.join(tmpdir(), "tf-check-options-"));
  const app = new App({ outdir });
  const env = offlineEnvironment();
  for (const id of stacks) OPTIONS_ON[id]?.(app, env);
  app.synth();
  return outdir;
}

export interface PlanResult extends ProofResult {
  readonly stack: string;
  /** `type.name` of every unconditional resource in cdk.tf.json (a `count` may plan to zero). */
  readonly synthesized: readonly string[];
}

/** A stack's example.tfvars, when it has one: the values a stack without defaults needs to plan. */
export function exampleVarFiles(stack: string): string[] {
  const file = path.join(ROOT, "stacks", stack, "example.tfvars");
  return existsSync(file) ? [file] : [];
}

/** Stacks of one synth output. */
export interface PlanTarget {
  readonly outdir: string;
  readonly stacks: readonly string[];
}

/** Proves the stacks of several synth outputs in one Terraform run (scripts/terraform/prove.ts); the results per target, in order. */
export async function planTogether(targets: readonly PlanTarget[]): Promise<PlanResult[][]> {
  const folders = targets.flatMap(({ outdir, stacks }) => stacks.map((stack) => ({ stack, dir: path.join(outdir, "stacks", stack) })));
  const results = await proveStacks(
    folders.map((f) => f.dir),
    { varFiles: (dir) => exampleVarFiles(path.basename(dir)) },
  );
  let next = 0;
  return targets.map(({ stacks }) =>
    stacks.map(() => {
      const { stack, dir } = folders[next];
      return { ...results[next++], stack, synthesized: synthesizedAddresses(dir) };
    }),
  );
}

/** One line per stack: what the plan creates, measured against what cdk.tf.json declares. */
export function summaryLine(r: PlanResult): string {
  const missing = r.synthesized.filter((a) => !r.planned.includes(a));
  if (!r.ok) return `FAIL ${r.stack}: terraform failed (output below)`;
  const extra = r.planned.length - (r.synthesized.length - missing.length);
  if (missing.length > 0) {
    return `FAIL ${r.stack}: ${missing.length} of the ${r.synthesized.length} resources in cdk.tf.json not in the plan: ${missing.join(", ")}`;
  }
  return (
    `ok   ${r.stack}: the plan creates all ${r.synthesized.length} resources of cdk.tf.json` +
    (extra > 0 ? `, and ${extra} more with count/for_each (${r.planned.length} in all)` : "")
  );
}

/** Runs `fn` on an offline synth in a temporary folder, and removes the folder afterwards. */
export function withOfflineSynth<T>(fn: (outdir: string) => Promise<T>): Promise<T> {
  return withSynth(synthOffline, fn);
}

/** Runs `fn` on the folder `synth` writes, and removes the folder afterwards. */
export async function withSynth<T>(synth: () => string, fn: (outdir: string) => Promise<T>): Promise<T> {
  const outdir = synth();
  try {
    return await fn(outdir);
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const wanted = process.argv.slice(2);
  const unknown = wanted.filter((s) => !(STACK_IDS as readonly string[]).includes(s));
  if (unknown.length > 0) {
    console.error(`tf:check: unknown stack ${unknown.map((s) => `"${s}"`).join(", ")}; the stacks are ${STACK_IDS.join(", ")}`);
    process.exit(2);
  }
  if (!terraformAvailable()) {
    console.error("terraform CLI not found: cannot validate or plan. Install Terraform >= 1.10.");
    process.exit(1);
  }
  const stacks = wanted.length > 0 ? wanted : [...STACK_IDS];
  const variants = stacks.filter((s) => s in OPTIONS_ON);
  const start = Date.now();
  const labels = ["defaults", "options on"];
  const results = await withSynth(synthOffline, (defaults) =>
    withSynth(
      () => synthOptionsOn(variants),
      (optionsOn) =>
        planTogether([
          { outdir: defaults, stacks },
          { outdir: optionsOn, stacks: variants },
        ]),
    ),
  );
  let failed = 0;
  results.forEach((set, i) => {
    for (const r of set) {
      const timing = r.batchSize > 1 ? "" : ` (${(r.ms / 1000).toFixed(1)} s${r.initialized ? ", with init" : ""})`;
      const line = summaryLine(r).replace(` ${r.stack}:`, ` ${r.stack} (${labels[i]}):`) + timing;
      if (line.startsWith("FAIL")) failed++;
      console.log(line);
      if (!r.ok) console.log(r.log);
    }
  });
  const batch = results.flat().find((r) => r.batchSize > 1);
  const how = batch ? `in one Terraform run (${(batch.ms / 1000).toFixed(1)} s${batch.initialized ? ", with init" : ""})` : "one Terraform run each";
  console.log(`${stacks.length + variants.length} plan(s) ${how}; ${((Date.now() - start) / 1000).toFixed(1)} s in all`);
  process.exit(failed ? 1 : 0);
}

if (require.main === module) void main();
