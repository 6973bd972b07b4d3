/**
 * Proves the synthesized stacks with Terraform itself, offline: synthesizes the
 * app with the configuration given (APP_ENV, AWS_REGION, ...: checked as synth
 * checks it) and `OFFLINE=1` (supplied lookups, asset packaging), and once
 * more with each stack's typed options flipped (`optionsOn` in the registry), then
 * `proveStacks` (scripts/terraform/prove.ts: init when needed, plan, which
 * validates) on all of them in one Terraform run; a failure is reported
 * against its stack by a plan of that stack alone.
 *
 *   npm run tf:check                 # every stack, with its defaults and with its options on
 *   npm run tf:check -- media-alb    # some stacks (each once, however often named)
 *
 * `__tests__/terraform.test.ts` proves the same stacks the same way, on the
 * synth the test run shares; without a `terraform` CLI this says so and fails.
 * Exit status 0 when every plan passed, 1 otherwise, 2 on a usage error; the
 * temporary synth folders (tf-check-*, tf-check-options-*, and the proof's
 * terraform-proof-*) are removed at the end, when a synth throws, and on
 * SIGINT / SIGTERM.
 */
import "../startup"; // as main.ts: before cdktf loads
import { existsSync } from "node:fs";
import * as path from "node:path";
import { ConfigurationError, loadDeployment } from "../config";
import type { DeploymentConfig } from "../blocks/deployment";
import { buildApp, OPTIONS_ON_STACK_IDS, STACK_IDS, type StackId } from "../main";
import { makeTempDir, removeTempDir, runMain, stackArguments, type Command } from "../tools/cli";
import { ProofResult, proveStacks, synthesizedAddresses, terraformAvailable } from "./terraform/prove";

export { terraformAvailable };

const ROOT = path.resolve(__dirname, "..");

/**
 * The environment the Terraform proof synthesizes with: the configuration given (`vars`, checked
 * as synth checks it: a ConfigurationError) with `OFFLINE=1` (supplied lookups, asset packaging
 * unless LAMBDA_PACKAGING says otherwise, provider skips); `OFFLINE` set to anything else is refused.
 */
export function offlineDeployment(vars: NodeJS.ProcessEnv = process.env): DeploymentConfig {
  const offline = vars.OFFLINE?.trim();
  if (offline !== undefined && !/^(1|true)$/i.test(offline)) {
    throw new ConfigurationError([`OFFLINE is "${offline}", but the Terraform proof plans offline (OFFLINE=1): unset OFFLINE or set it to 1`]);
  }
  return loadDeployment({ ...vars, OFFLINE: "1" });
}

/** Runs `synth` on a fresh temporary folder `<tmpdir>/<prefix>*` and returns it; the folder is removed if `synth` throws. */
export function synthInto(prefix: string, synth: (outdir: string) => void): string {
  const outdir = makeTempDir(prefix);
  try {
    synth(outdir);
  } catch (err) {
    removeTempDir(outdir);
    throw err;
  }
  return outdir;
}

/** Synthesizes every stack as `OFFLINE=1` would, into a fresh temporary folder. */
export function synthOffline(): string {
  return synthInto("tf-check-", (outdir) => buildApp(offlineDeployment(), outdir).synth());
}

/**
 * The stacks whose typed options change what is planned (`optionsOn` in the registry, main.ts), each
 * also built with every such option flipped from its default, so the offline proof covers both sides.
 */
export const OPTIONS_ON: readonly StackId[] = OPTIONS_ON_STACK_IDS;

/** Synthesizes the `optionsOn` variants of `stacks` (offline settings; each once) into a fresh temporary folder. */
export function synthOptionsOn(stacks: readonly StackId[] = OPTIONS_ON): string {
  const wanted = stacks.filter((id) => OPTIONS_ON.includes(id));
  return synthInto("tf-check-options-", (outdir) => buildApp(offlineDeployment(), outdir, { stacks: wanted, variant: "optionsOn" }).synth());
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
    removeTempDir(outdir);
  }
}

const USAGE = `usage: npm run tf:check [-- <stack>...]
  plans every stack (or the stacks named, each once) with its defaults and with its options on, offline
  stacks: ${STACK_IDS.join(", ")}
  --help, -h   this text`;

async function main(argv: readonly string[]): Promise<number> {
  const wanted = stackArguments(argv, STACK_IDS);
  offlineDeployment(); // a bad configuration stops here, before anything is synthesized
  if (!terraformAvailable()) {
    console.error("terraform CLI not found: cannot validate or plan. Install Terraform >= 1.10.");
    return 1;
  }
  const stacks = wanted.length > 0 ? wanted : [...STACK_IDS];
  const variants = stacks.filter((s) => OPTIONS_ON.includes(s));
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
  return failed ? 1 : 0;
}

/** The command line, for tests that run it in-process (__tests__/script-usage.test.ts). */
export const command: Command = { name: "tf:check", usage: USAGE, main };

if (require.main === module) runMain(command.name, command.usage, command.main, { exitOnSignals: true });
