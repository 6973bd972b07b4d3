/**
 * The one place tests synthesize stacks; they read the result with the tools' reader
 * (tools/emulator/synth.ts, re-exported here), the same code the replays, `npm run local`
 * and `npm run capacity` read it with:
 * - the app as synthesized once per test run by global-setup.ts
 *   (`readSynthesizedStack`, `sharedSynthDir`): suites that need only the
 *   default app read it here rather than synthesizing the whole app again;
 * - one stack with props or a construct under test (`synthesize`, cdktf
 *   `Testing.synth`), in the offline environment (`suppliedDeployment`,
 *   `offlineDeployment`) or the defaults;
 * - lookups in the synthesized JSON (the reader's): blocks by type, by construct path, the
 *   only one of a type; and here, IAM policy statements and alarm dimensions.
 */
import { readdirSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { TerraformStack, Testing } from "cdktf";
import { defaultDeployment, offlineLookups } from "../../config";
import { DeploymentConfig } from "../../blocks/deployment";
import { type Block, blockAt, findOne, parseStackJson, readStack, type Source, type StackJson } from "../../tools/emulator/synth";

export { blockAt, blocksOf, byPath, findOne, onlyOf, parseStackJson } from "../../tools/emulator/synth";
export type { Block, Condition, Found, Source, StackJson } from "../../tools/emulator/synth";

export const SHARED_SYNTH_ENV = "SHARED_SYNTH_DIR";

/**
 * `app`: default environment (archive packaging) with an alarm e-mail;
 * `offline`: `OFFLINE=1` (supplied lookups, asset packaging), for `terraform plan`.
 */
export type SharedSynth = "app" | "offline";

/** The synth output folder (`<dir>/stacks/<id>/cdk.tf.json`) of that configuration. */
export function sharedSynthDir(kind: SharedSynth): string {
  const root = process.env[SHARED_SYNTH_ENV];
  if (!root) throw new Error(`${SHARED_SYNTH_ENV} is not set: run the tests through jest (jest.config.js globalSetup)`);
  return path.join(root, kind);
}

/** A stack's parsed cdk.tf.json from that synth (as `StackJson`, or a reader's own view of it). */
export function readSynthesizedStack<T = StackJson>(kind: SharedSynth, stack: string): T {
  return readStack(sharedSynthDir(kind), stack).json as unknown as T;
}

/** Every lookup supplied and Lambda code as assets: synthesizes with no AWS account and no archive provider. */
export const suppliedDeployment: DeploymentConfig = { ...defaultDeployment, lookups: offlineLookups, lambdaPackaging: "asset" };

/** What `OFFLINE=1` loads: the supplied lookups, asset packaging, and `offline` set. */
export const offlineDeployment: DeploymentConfig = { ...suppliedDeployment, offline: true };

export interface Synthesized {
  /** The JSON text `Testing.synth` returns, what the cdktf matchers take. */
  readonly text: string;
  readonly json: StackJson;
}

/**
 * cdktf's `Testing.app()` (and `Testing.fullSynth`) make a `cdktf.outdir.*` folder in the
 * temporary folder per call and never remove it: thousands per `npm test`. The ones made
 * since `sinceMs` (epoch ms; the run's start) are listed here for global-teardown.ts to remove.
 * A concurrent run's own go too: cdktf writes such a folder only as it makes it.
 */
export function testingOutdirsSince(sinceMs: number): string[] {
  const dir = tmpdir();
  return readdirSync(dir)
    .filter((name) => name.startsWith("cdktf.outdir."))
    .map((name) => path.join(dir, name))
    .filter((folder) => {
      try {
        return createdMs(folder) >= sinceMs;
      } catch {
        return false; // removed meanwhile
      }
    });
}

/** When a file was made: its birth time, or (a file system without one) its modification time. */
export function createdMs(file: string): number {
  const stat = statSync(file);
  return stat.birthtimeMs > 0 ? stat.birthtimeMs : stat.mtimeMs;
}

/** Synthesizes one stack (built on `Testing.app()`) with cdktf's `Testing.synth`. */
export function synthesize(stack: TerraformStack): Synthesized {
  const text = Testing.synth(stack);
  return { text, json: parseStackJson(text) };
}

/** The dimensions of each metric a metric-math alarm (`metric_query`) reads, in query order. */
export function metricDimensionsOf(alarm: Block): unknown[] {
  const queries = (alarm.metric_query ?? []) as { metric?: { dimensions?: unknown } }[];
  return queries.flatMap((query) => (query.metric ? [query.metric.dimensions] : []));
}

/** A statement of an `aws_iam_policy_document` data source, as cdk.tf.json has it. */
export interface PolicyStatement {
  readonly sid?: string;
  readonly effect?: string;
  readonly actions?: string[];
  readonly resources?: string[];
  readonly principals?: { type: string; identifiers: string[] }[];
  readonly condition?: { test: string; variable: string; values: string[] }[];
}

/** The statements of the policy document a policy attribute refers to (`${data.aws_iam_policy_document.<name>.json}`). */
export function statementsOf(s: Source, policyRef: unknown): PolicyStatement[] {
  const name = /^\$\{data\.aws_iam_policy_document\.([^.]+)\.json\}$/.exec(String(policyRef))?.[1];
  if (!name) throw new Error(`${String(policyRef)} refers to no policy document`);
  return blockAt(s, "aws_iam_policy_document", name, "data").statement as PolicyStatement[];
}

/** The statements of the one policy document whose name starts with `namePrefix` (`<function id>_policy_document`). */
export function policyStatements(s: Source, namePrefix: string): PolicyStatement[] {
  return findOne(s, "aws_iam_policy_document", (_body, name) => name.startsWith(namePrefix), "data").body.statement as PolicyStatement[];
}
