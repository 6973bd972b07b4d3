/**
 * The one reader of synthesized Terraform JSON (`cdktf.out/stacks/<id>/cdk.tf.json`), for the
 * tools and the tests alike (__tests__/support/synth.ts re-exports it): what the replays, `npm
 * run local`, `npm run capacity` and the bench know about a stack, they read here, never from
 * the stack's TypeScript: blocks by type, name or construct path, settings evaluated as
 * Terraform would (./terraform-expression.ts, with variable defaults or tfvars-like values),
 * and the bundled handler code that `cdktf deploy` would upload.
 */
import { existsSync, readFileSync } from "node:fs";
import * as path from "node:path";
import { inflateRawSync } from "node:zlib";
import { makeTempDir, removeTempDir } from "../cli";
import type { DeploymentConfig } from "../../blocks/deployment";
import { loadDeployment } from "../../config";
import type { StackId } from "../../main";
import { evaluateTemplate, type HclValue, type Reference, type Scope } from "./terraform-expression";

/** One resource, data or variable block of cdk.tf.json (attributes as Terraform JSON has them). */
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
  readonly variable: Record<string, Block & { readonly type?: string; readonly default?: unknown; readonly validation?: Condition[] }>;
  readonly output: Record<string, Block>;
  readonly locals: Record<string, unknown>;
  readonly check: Record<string, { readonly assert: Condition[] }>;
  /** Provider name -> its configurations. */
  readonly provider: Record<string, Block[]>;
  /** The `terraform` block: backend, required providers. */
  readonly terraform: Block;
}

/** cdk.tf.json text (or its parsed object), with every `StackJson` section present; other sections (`moved`) kept. */
export function parseStackJson(text: string | object): StackJson {
  const parsed = (typeof text === "string" ? JSON.parse(text) : text) as Partial<StackJson>;
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

export interface SynthesizedStack {
  readonly id: string;
  /** Folder holding cdk.tf.json (asset paths are relative to it). */
  readonly dir: string;
  readonly json: StackJson;
}

/** A stack from its cdk.tf.json text or object (`Testing.synth`'s, say); `dir` is where its assets are. */
export function stackFromJson(id: string, json: string | object, dir = ""): SynthesizedStack {
  return { id, dir, json: parseStackJson(json) };
}

/**
 * Synthesizes the app's `stacks` (default: all) with `deployment`, the configuration the command
 * loaded (default: `loadDeployment()`, which throws on a bad one), into a fresh temporary folder and returns it (removed when synth
 * throws, and at exit if the caller has not: `removeTempDir`).
 */
export function synthApp(deployment?: DeploymentConfig, stacks?: readonly StackId[]): string {
  // Loaded here: readers of an existing synth output (npm run local) start without the app's stacks.
  const { buildApp } = require("../../main") as typeof import("../../main");
  const outdir = makeTempDir("replay-synth-");
  try {
    buildApp(deployment ?? loadDeployment(), outdir, { stacks }).synth();
  } catch (err) {
    removeTempDir(outdir);
    throw err;
  }
  return outdir;
}

/**
 * How a synth output differs from the configuration a command was given explicitly (`APP_ENV`,
 * `AWS_REGION`, `LAMBDA_PACKAGING` set in `vars`), as one sentence; undefined when they agree.
 * Reading another deployment's output would report, serve or replay the wrong resources.
 */
export function configurationMismatch(stack: SynthesizedStack, deployment: DeploymentConfig, vars: NodeJS.ProcessEnv = process.env): string | undefined {
  const aws = stack.json.provider.aws?.find((p) => p.alias === undefined);
  const tags = (aws?.default_tags as { tags?: Record<string, unknown> }[] | undefined)?.[0]?.tags;
  const packaging = Object.keys(stack.json.data.archive_file ?? {}).length > 0 ? "archive" : "asset";
  const differences = [
    vars.APP_ENV !== undefined && tags?.environment !== deployment.name ? `APP_ENV=${String(tags?.environment)}` : undefined,
    vars.AWS_REGION !== undefined && aws?.region !== deployment.region ? `AWS_REGION=${String(aws?.region)}` : undefined,
    vars.LAMBDA_PACKAGING !== undefined && packaging !== deployment.lambdaPackaging ? `LAMBDA_PACKAGING=${packaging}` : undefined,
  ].filter((d): d is string => d !== undefined);
  if (differences.length === 0) return undefined;
  return `${path.join(stack.dir, "cdk.tf.json")} was synthesized with ${differences.join(", ")}, not the configuration given (${differences
    .map((d) => d.split("=")[0])
    .map((name) => `${name}=${vars[name] ?? ""}`)
    .join(", ")}): synthesize it with that configuration first (npm run synth)`;
}

export function readStack(synthDir: string, id: string): SynthesizedStack {
  const dir = path.join(synthDir, "stacks", id);
  const file = path.join(dir, "cdk.tf.json");
  if (!existsSync(file)) throw new Error(`${file} not found: synthesize first (npm run synth) or omit --synth-dir`);
  return stackFromJson(id, readFileSync(file, "utf8"), dir);
}

// ---------------------------------------------------------------------------------------------
// Blocks: by type, name, filter or construct path.

/** What the lookups read: a synthesized stack (anything with its `json`) or the JSON itself. */
export type Source = { readonly json: StackJson } | StackJson;

const jsonOf = (s: Source): StackJson => ("json" in s ? s.json : s);

/** A block found by a lookup: its address (`type.name`, `data.type.name`), its name and body. */
export interface Found {
  readonly ref: string;
  readonly name: string;
  readonly body: Block;
}

type Kind = "resource" | "data";

function entriesOf(s: Source, type: string, kind: Kind): Found[] {
  const prefix = kind === "data" ? "data." : "";
  return Object.entries(jsonOf(s)[kind][type] ?? {}).map(([name, body]) => ({ ref: `${prefix}${type}.${name}`, name, body }));
}

function exactlyOne(found: Found[], what: string, id?: string): Found {
  if (found.length !== 1) {
    throw new Error(`${id ? `${id}: ` : ""}expected one ${what}, found ${found.length}${found.length ? `: ${found.map((f) => f.ref).join(", ")}` : ""}`);
  }
  return found[0];
}

/** `[name, block]` of every resource of `type`. */
export function resources(stack: Source, type: string): [string, Block][] {
  return entriesOf(stack, type, "resource").map((f) => [f.name, f.body]);
}

/** The resource `type.name`; throws when there is none. */
export function resource(stack: SynthesizedStack, type: string, name: string): Block {
  const block = stack.json.resource[type]?.[name];
  if (!block) throw new Error(`${stack.id}: no ${type}.${name} in cdk.tf.json`);
  return block;
}

/** The one resource of `type` matching `filter`: `[name, block]`; throws when none or several match. */
export function single(stack: SynthesizedStack, type: string, filter: (block: Block, name: string) => boolean = () => true): [string, Block] {
  const found = exactlyOne(
    entriesOf(stack, type, "resource").filter((f) => filter(f.body, f.name)),
    `${type}${filter.length ? " matching" : ""}`,
    stack.id,
  );
  return [found.name, found.body];
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

/** An `aws_lambda_function` block's `environment.variables` (none: empty), as written in cdk.tf.json. */
export function environmentVariables(fn: Block): Record<string, unknown> {
  return ((fn.environment as Block | undefined)?.variables ?? {}) as Record<string, unknown>;
}

// ---------------------------------------------------------------------------------------------
// Values, as Terraform evaluates them (./terraform-expression.ts).

/** A Terraform reference `${type.name.attr}` (or inside a larger expression) in `value`. */
const REFERENCE = /\$\{(?:data\.)?([a-z0-9_]+)\.([A-Za-z0-9_-]+)(?:\[0\])?\.([a-z_]+)\}/;

/** `{ type, name, attribute }` of the first reference in `value`, if any. */
export function referenceOf(value: unknown): { type: string; name: string; attribute: string } | undefined {
  if (typeof value !== "string") return undefined;
  const m = REFERENCE.exec(value);
  return m ? { type: m[1], name: m[2], attribute: m[3] } : undefined;
}

export interface ValueOptions {
  /** Variable values in place of their defaults, as a tfvars file gives them. */
  readonly vars?: Readonly<Record<string, unknown>>;
  /** A resource attribute's local value (the local engines' URL of a queue), tried before cdk.tf.json's literal one. */
  readonly resolve?: (ref: Reference) => string | undefined;
}

/**
 * What a stack's expressions see: variables (`vars`, else their defaults), its locals, and
 * resource attributes (`resolve`, else their literal value in cdk.tf.json); an attribute
 * known only after apply (an id, an ARN) is an error.
 */
export function stackScope(stack: SynthesizedStack, options: ValueOptions = {}, depth = 0): Scope {
  if (depth > 20) throw new Error(`${stack.id}: values refer to each other in a cycle`);
  const inner = (text: unknown): HclValue => (typeof text === "string" ? evaluateTemplate(text, stackScope(stack, options, depth + 1)) : (text as HclValue));
  return {
    variable: (name) => {
      if (options.vars && name in options.vars) return options.vars[name] as HclValue;
      const variable = stack.json.variable[name];
      if (!variable || variable.default === undefined) throw new Error(`${stack.id}: variable ${name} has no default`);
      return variable.default as HclValue;
    },
    local: (name) => {
      if (!(name in stack.json.locals)) throw new Error(`${stack.id}: local.${name} is not defined`);
      return inner(stack.json.locals[name]);
    },
    reference: (ref) => {
      const local = options.resolve?.(ref);
      if (local !== undefined) return local;
      const literal = (ref.data ? stack.json.data : stack.json.resource)[ref.type]?.[ref.name]?.[ref.attribute];
      if (typeof literal === "string" || typeof literal === "number" || typeof literal === "boolean") return inner(literal);
      throw new Error(`${stack.id}: \${${ref.text}} has no literal value in cdk.tf.json (known only after apply)`);
    },
  };
}

/** A value of cdk.tf.json as Terraform evaluates it (a string is a template); anything not a string as it is. */
export function evaluate(stack: SynthesizedStack, value: unknown, options: ValueOptions = {}): unknown {
  if (typeof value !== "string") return value;
  try {
    return evaluateTemplate(value, stackScope(stack, options));
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    throw new Error(message.startsWith(`${stack.id}: `) ? message : `${stack.id}: cannot evaluate ${JSON.stringify(value)} locally (${message})`);
  }
}

/** A string value: references to literal attributes and `${var.x}` resolved (`${aws_kinesis_stream.stream.name}` -> its name). */
export function resolveLiterals(stack: SynthesizedStack, value: string, options: ValueOptions = {}): string {
  const result = evaluate(stack, value, options);
  if (typeof result === "string" || typeof result === "number" || typeof result === "boolean") return String(result);
  throw new Error(`${stack.id}: ${JSON.stringify(value)} is not a string but ${JSON.stringify(result)}`);
}

/** `${local.x}` (or any expression) to its value; a literal as it is. */
export const resolveLocal = (stack: SynthesizedStack, value: unknown): unknown => evaluate(stack, value);

/** A number setting: a literal, a numeric string, or an expression (`${var.x}`, `${min(var.x, 10)}`). */
export function numberSetting(stack: SynthesizedStack, value: unknown, what: string, options: ValueOptions = {}): number | undefined {
  if (value === undefined || value === null) return undefined;
  const resolved = evaluate(stack, value, options);
  const n = typeof resolved === "number" ? resolved : Number(resolved);
  if (typeof resolved === "boolean" || resolved === "" || !Number.isFinite(n)) throw new Error(`${stack.id}: ${what} is not a number: ${JSON.stringify(value)}`);
  return n;
}

/**
 * A queue's redrive policy: `jsonencode({deadLetterTargetArn = aws_sqs_queue.x.arn,
 * maxReceiveCount = <expr>})` or JSON text. Returns the dead-letter queue's
 * Terraform name and the count (with `vars` overriding variable defaults).
 */
export function redrivePolicy(stack: SynthesizedStack, queue: Block, vars: Readonly<Record<string, unknown>> = {}): { deadLetterQueue: string; maxReceiveCount: number } | undefined {
  if (queue.redrive_policy === undefined) return undefined;
  const redrive = String(queue.redrive_policy);
  const dlqRef = /aws_sqs_queue\.([A-Za-z0-9_-]+)\.arn/.exec(redrive);
  const countExpr = /"?maxReceiveCount"?\s*[=:]\s*("?)([^,}]+?)\1\s*[,}]/.exec(redrive);
  if (!dlqRef || !countExpr) throw new Error(`${stack.id}: a redrive policy without a DLQ reference and maxReceiveCount: ${redrive}`);
  return { deadLetterQueue: dlqRef[1], maxReceiveCount: numberSetting(stack, "${" + countExpr[2] + "}", "maxReceiveCount", { vars }) ?? 0 };
}

/** A function's bundle: where synth wrote it (`index.js`, or the asset's `code.zip`) and its `index.js` text. */
export interface FunctionCode {
  /** The file synth wrote: `index.js` (archive packaging) or the zip holding it (asset packaging). */
  readonly file: string;
  /** The bundled `index.js` itself (read out of the zip for asset packaging). */
  readonly code: Buffer;
}

/**
 * The bundled `index.js` of a Lambda function: its `filename` points at an
 * `archive_file` whose `source_dir` is the bundle folder (archive packaging),
 * or at a zip asset (asset packaging), whose single `index.js` entry is read.
 */
export function functionCode(stack: SynthesizedStack, fn: Block): FunctionCode {
  const filename = fn.filename;
  const archive = referenceOf(filename);
  if (archive && archive.type === "archive_file") {
    const data = stack.json.data?.archive_file?.[archive.name];
    const sourceDir = data?.source_dir;
    if (typeof sourceDir !== "string") throw new Error(`${stack.id}: archive_file.${archive.name} has no source_dir`);
    const file = path.join(stack.dir, sourceDir, "index.js");
    return { file, code: readFileSync(file) };
  }
  if (typeof filename === "string" && filename.endsWith(".zip")) {
    const zip = readFileSync(path.join(stack.dir, filename));
    return { file: path.join(stack.dir, filename), code: unzipSingle(zip, "index.js") };
  }
  throw new Error(`${stack.id}: cannot find the code of function ${String(fn.function_name)}`);
}

/** Whether `data` is a zip archive (starts with a local file header). */
export const isZip = (data: Buffer): boolean => data.length >= 4 && data.readUInt32LE(0) === 0x04034b50;

/** Reads one stored or deflated entry of a zip (the deterministic zips have a single `index.js`). */
export function unzipSingle(zip: Buffer, name: string): Buffer {
  let offset = 0;
  while (offset + 30 <= zip.length && zip.readUInt32LE(offset) === 0x04034b50) {
    const method = zip.readUInt16LE(offset + 8);
    const compressed = zip.readUInt32LE(offset + 18);
    const nameLength = zip.readUInt16LE(offset + 26);
    const extraLength = zip.readUInt16LE(offset + 28);
    const entryName = zip.subarray(offset + 30, offset + 30 + nameLength).toString("utf8");
    const start = offset + 30 + nameLength + extraLength;
    const data = zip.subarray(start, start + compressed);
    if (entryName === name) return method === 0 ? Buffer.from(data) : inflateRawSync(data);
    offset = start + compressed;
  }
  throw new Error(`${name} not found in the zip`);
}

/** The folder replays copy handler code into (fresh per run, so every run loads fresh modules); removed at exit if not before (`removeTempDir`). */
export function scratchDir(prefix: string): string {
  return makeTempDir(prefix);
}
