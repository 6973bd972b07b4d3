/**
 * The one place tests synthesize stacks and read the result:
 * - the app as synthesized once per test run by global-setup.ts
 *   (`readSynthesizedStack`, `sharedSynthDir`): suites that need only the
 *   default app read it here rather than synthesizing the whole app again;
 * - one stack with props or a construct under test (`synthesize`, cdktf
 *   `Testing.synth`), in the offline environment (`suppliedEnvironment`,
 *   `offlineEnvironment`) or the defaults;
 * - lookups in the synthesized JSON: blocks by type, by construct path, the
 *   only one of a type, and IAM policy statements.
 */
import { readFileSync } from "node:fs";
import * as path from "node:path";
import { TerraformStack, Testing } from "cdktf";
import { defaultEnvironment, offlineLookups } from "../../config";
import { EnvironmentConfig } from "../../blocks/environment";

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
  return parseStackJson(readFileSync(path.join(sharedSynthDir(kind), "stacks", stack, "cdk.tf.json"), "utf8")) as unknown as T;
}

/** Every lookup supplied and Lambda code as assets: synthesizes with no AWS account and no archive provider. */
export const suppliedEnvironment: EnvironmentConfig = { ...defaultEnvironment, lookups: offlineLookups, lambdaPackaging: "asset" };

/** What `OFFLINE=1` loads: the supplied lookups, asset packaging, and `offline` set. */
export const offlineEnvironment: EnvironmentConfig = { ...suppliedEnvironment, offline: true };

/** One resource, data or variable block of cdk.tf.json. */
export type Block = Record<string, unknown>;

/** A condition of a variable's `validation` or a `check` block's `assert`. */
export interface Condition {
  readonly condition: string;
  readonly error_message: string;
}

/** A stack's cdk.tf.json, each top-level section present (empty when the stack has none). */
export interface StackJson {
  readonly resource: Record<string, Record<string, Block>>;
  readonly data: Record<string, Record<string, Block>>;
  readonly variable: Record<string, Block & { readonly default?: unknown; readonly validation?: Condition[] }>;
  readonly output: Record<string, Block>;
  readonly locals: Record<string, unknown>;
  readonly check: Record<string, { readonly assert: Condition[] }>;
  /** Provider name -> its configurations. */
  readonly provider: Record<string, Block[]>;
  /** The `terraform` block: backend, required providers. */
  readonly terraform: Block;
}

export interface Synthesized {
  /** The JSON text `Testing.synth` returns, what the cdktf matchers take. */
  readonly text: string;
  readonly json: StackJson;
}

/** cdk.tf.json text, parsed, with every `StackJson` section present; other sections (`moved`) kept. */
export function parseStackJson(text: string): StackJson {
  const parsed = JSON.parse(text) as Partial<StackJson>;
  return {
    ...parsed,
    resource: parsed.resource ?? {},
    data: parsed.data ?? {},
    variable: parsed.variable ?? {},
    output: parsed.output ?? {},
    locals: parsed.locals ?? {},
    check: parsed.check ?? {},
    provider: parsed.provider ?? {},
    terraform: parsed.terraform ?? {},
  };
}

/** Synthesizes one stack (built on `Testing.app()`) with cdktf's `Testing.synth`. */
export function synthesize(stack: TerraformStack): Synthesized {
  const text = Testing.synth(stack);
  return { text, json: parseStackJson(text) };
}

/** A block found by a lookup: its address (`type.name`, `data.type.name`), its name and body. */
export interface Found {
  readonly ref: string;
  readonly name: string;
  readonly body: Block;
}

type Kind = "resource" | "data";

/** What the lookups below read: a synthesized stack or its JSON. */
export type Source = Synthesized | StackJson;

const jsonOf = (s: Source): StackJson => ("text" in s ? s.json : s);

function entriesOf(s: Source, type: string, kind: Kind): Found[] {
  const prefix = kind === "data" ? "data." : "";
  return Object.entries(jsonOf(s)[kind][type] ?? {}).map(([name, body]) => ({ ref: `${prefix}${type}.${name}`, name, body }));
}

function exactlyOne(found: Found[], what: string): Found {
  if (found.length !== 1) throw new Error(`expected one ${what}, found ${found.length}${found.length ? `: ${found.map((f) => f.ref).join(", ")}` : ""}`);
  return found[0];
}

/** Every block of a type (none: an empty list). */
export function blocksOf(s: Source, type: string, kind: Kind = "resource"): Block[] {
  return entriesOf(s, type, kind).map((f) => f.body);
}

/** The only block of a type; fails unless there is exactly one. */
export function onlyOf(s: Source, type: string, kind: Kind = "resource"): Found {
  return exactlyOne(entriesOf(s, type, kind), type);
}

/** The one block of a type matching `where`; fails unless exactly one matches. */
export function findOne(s: Source, type: string, where: (body: Block, name: string) => boolean, kind: Kind = "resource"): Found {
  return exactlyOne(
    entriesOf(s, type, kind).filter((f) => where(f.body, f.name)),
    `${type} to match`,
  );
}

/**
 * The one block of a type at construct path `constructPath` under the stack
 * (`api2sqs/function`): its name is the path with `_` for `/`, plus cdktf's
 * hash suffix for children of constructs.
 */
export function byPath(s: Source, type: string, constructPath: string, kind: Kind = "resource"): Found {
  const name = new RegExp(`^${constructPath.replace(/\//g, "_")}(_[0-9A-F]{8})?$`);
  return exactlyOne(
    entriesOf(s, type, kind).filter((f) => name.test(f.name)),
    `${type} at ${constructPath}`,
  );
}

/** The block `type.name`; fails when there is none. */
export function blockAt(s: Source, type: string, name: string, kind: Kind = "resource"): Block {
  const body = jsonOf(s)[kind][type]?.[name];
  if (!body) throw new Error(`no ${kind === "data" ? "data." : ""}${type}.${name} in the synthesized stack`);
  return body;
}

/** A statement of an `aws_iam_policy_document` data source, as cdk.tf.json has it. */
/** The dimensions of each metric a metric-math alarm (`metric_query`) reads, in query order. */
export function metricDimensionsOf(alarm: Block): unknown[] {
  const queries = (alarm.metric_query ?? []) as { metric?: { dimensions?: unknown } }[];
  return queries.flatMap((query) => (query.metric ? [query.metric.dimensions] : []));
}

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
