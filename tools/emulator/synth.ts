/**
 * What the replay knows about a stack, it reads from the synthesized
 * Terraform JSON (`cdktf.out/stacks/<id>/cdk.tf.json`), never from the stack's
 * TypeScript: settings (batch size, retries, timeouts, concurrency, redrive),
 * the API's mapping template, and the bundled handler code that `cdktf deploy`
 * would upload.
 */
import { existsSync, readFileSync } from "node:fs";
import * as path from "node:path";
import { inflateRawSync } from "node:zlib";
import { makeTempDir, removeTempDir } from "../cli";

/** One resource or data block of cdk.tf.json (attributes as Terraform JSON has them). */
export type Block = Record<string, unknown>;

export interface SynthesizedStack {
  readonly id: string;
  /** Folder holding cdk.tf.json (asset paths are relative to it). */
  readonly dir: string;
  readonly json: {
    readonly resource?: Record<string, Record<string, Block>>;
    readonly data?: Record<string, Record<string, Block>>;
    readonly variable?: Record<string, { readonly default?: unknown }>;
  };
}

/**
 * Synthesizes the whole app (archive packaging: the bundled `index.js` stays a
 * folder next to cdk.tf.json) into a fresh temporary folder and returns it
 * (removed when synth throws, and at exit if the caller has not: `removeTempDir`).
 */
export function synthApp(): string {
  // Loaded here: readers of an existing synth output (npm run local) start without the whole app.
  const { loadEnvironment } = require("../../config") as typeof import("../../config");
  const { buildApp } = require("../../main") as typeof import("../../main");
  const outdir = makeTempDir("replay-synth-");
  try {
    buildApp(loadEnvironment({ LAMBDA_PACKAGING: "archive" }), outdir).synth();
  } catch (err) {
    removeTempDir(outdir);
    throw err;
  }
  return outdir;
}

export function readStack(synthDir: string, id: string): SynthesizedStack {
  const dir = path.join(synthDir, "stacks", id);
  const file = path.join(dir, "cdk.tf.json");
  if (!existsSync(file)) throw new Error(`${file} not found: synthesize first (npm run synth) or omit --synth-dir`);
  return { id, dir, json: JSON.parse(readFileSync(file, "utf8")) as SynthesizedStack["json"] };
}

/** `[name, block]` of every resource of `type`. */
export function resources(stack: SynthesizedStack, type: string): [string, Block][] {
  return Object.entries(stack.json.resource?.[type] ?? {});
}

export function resource(stack: SynthesizedStack, type: string, name: string): Block {
  const block = stack.json.resource?.[type]?.[name];
  if (!block) throw new Error(`${stack.id}: no ${type}.${name} in cdk.tf.json`);
  return block;
}

/** The one resource of `type` matching `filter`; throws when none or several match. */
export function single(stack: SynthesizedStack, type: string, filter: (block: Block, name: string) => boolean = () => true): [string, Block] {
  const found = resources(stack, type).filter(([name, block]) => filter(block, name));
  if (found.length !== 1) {
    throw new Error(`${stack.id}: expected one ${type}${filter.length ? " matching" : ""}, found ${found.length}`);
  }
  return found[0];
}

/** A Terraform reference `${type.name.attr}` (or inside a larger expression) in `value`. */
const REFERENCE = /\$\{(?:data\.)?([a-z0-9_]+)\.([A-Za-z0-9_-]+)(?:\[0\])?\.([a-z_]+)\}/;

/** `{ type, name, attribute }` of the first reference in `value`, if any. */
export function referenceOf(value: unknown): { type: string; name: string; attribute: string } | undefined {
  if (typeof value !== "string") return undefined;
  const m = REFERENCE.exec(value);
  return m ? { type: m[1], name: m[2], attribute: m[3] } : undefined;
}

/** Resolves `${var.x}` to the variable's default (what an apply without tfvars uses). */
export function variableDefault(stack: SynthesizedStack, value: unknown): unknown {
  if (typeof value !== "string") return value;
  const m = /^\$\{var\.([A-Za-z0-9_-]+)\}$/.exec(value);
  if (!m) return value;
  const variable = stack.json.variable?.[m[1]];
  if (!variable || variable.default === undefined) throw new Error(`${stack.id}: variable ${m[1]} has no default`);
  return variable.default;
}

/** A number setting: a literal, a numeric string, or a variable with a default. */
export function numberSetting(stack: SynthesizedStack, value: unknown, what: string): number | undefined {
  if (value === undefined || value === null) return undefined;
  const resolved = variableDefault(stack, value);
  const n = typeof resolved === "number" ? resolved : Number(resolved);
  if (!Number.isFinite(n)) throw new Error(`${stack.id}: ${what} is not a number: ${JSON.stringify(value)}`);
  return n;
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

/**
 * Replaces each reference `${type.name.attr}` in `value` by that attribute's
 * literal value in cdk.tf.json (a stream's `name`, a method response's
 * `status_code`), as Terraform would at apply time; `${var.x}` by its default.
 * Throws on a reference to a value only known after apply (an id or ARN).
 */
export function resolveLiterals(stack: SynthesizedStack, value: string): string {
  return value.replace(/\$\{(?:(data)\.)?([a-z0-9_]+)\.([A-Za-z0-9_-]+)\.([a-z_]+)\}/g, (whole, data: string | undefined, type: string, name: string, attr: string) => {
    const literal = (data ? stack.json.data : stack.json.resource)?.[type]?.[name]?.[attr];
    if (typeof literal === "string" || typeof literal === "number") return resolveLiterals(stack, String(literal));
    throw new Error(`${stack.id}: ${whole} has no literal value in cdk.tf.json`);
  }).replace(/\$\{var\.([A-Za-z0-9_-]+)\}/g, (whole) => String(variableDefault(stack, whole)));
}

/**
 * Evaluates the small Terraform expressions the stacks use for settings
 * (`(var.x >= 2) ? 5 : 20`, `min(var.x, 1000)`, `[...]`, `[]`), with
 * `vars` overriding variable defaults (as a tfvars file would). Anything
 * else is refused rather than guessed.
 */
export function evaluate(stack: SynthesizedStack, expression: string, vars: Record<string, number> = {}): unknown {
  const body = expression.trim().replace(/^\$\{([\s\S]*)\}$/, "$1");
  const substituted = body
    .replace(/var\.([A-Za-z0-9_]+)/g, (_, name: string) => {
      const value = name in vars ? vars[name] : variableDefault(stack, `\${var.${name}}`);
      if (typeof value !== "number") throw new Error(`${stack.id}: var.${name} is not a number`);
      return String(value);
    })
    .replace(/\bmin\(/g, "Math.min(")
    .replace(/\bmax\(/g, "Math.max(");
  if (!/^(?:[\s\d.()?:<>=!&|,[\]+\-*/]|Math\.min|Math\.max)*$/.test(substituted)) {
    throw new Error(`${stack.id}: cannot evaluate the expression ${expression}`);
  }
  return new Function(`return (${substituted});`)() as unknown;
}

/** `${local.x}` to the local's literal value. */
export function resolveLocal(stack: SynthesizedStack, value: unknown): unknown {
  if (typeof value !== "string") return value;
  const m = /^\$\{local\.([A-Za-z0-9_]+)\}$/.exec(value);
  if (!m) return value;
  const locals = (stack.json as { locals?: Record<string, unknown> }).locals ?? {};
  if (!(m[1] in locals)) throw new Error(`${stack.id}: local.${m[1]} is not defined`);
  return locals[m[1]];
}

/**
 * A queue's redrive policy: `jsonencode({deadLetterTargetArn = aws_sqs_queue.x.arn,
 * maxReceiveCount = <expr>})` or JSON text. Returns the dead-letter queue's
 * Terraform name and the count (with `vars` overriding variable defaults).
 */
export function redrivePolicy(stack: SynthesizedStack, queue: Block, vars: Record<string, number> = {}): { deadLetterQueue: string; maxReceiveCount: number } | undefined {
  if (queue.redrive_policy === undefined) return undefined;
  const redrive = String(queue.redrive_policy);
  const dlqRef = /aws_sqs_queue\.([A-Za-z0-9_-]+)\.arn/.exec(redrive);
  const countExpr = /"?maxReceiveCount"?\s*[=:]\s*("?)([^,}]+?)\1\s*[,}]/.exec(redrive);
  if (!dlqRef || !countExpr) throw new Error(`${stack.id}: a redrive policy without a DLQ reference and maxReceiveCount: ${redrive}`);
  return { deadLetterQueue: dlqRef[1], maxReceiveCount: Number(evaluate(stack, countExpr[2], vars)) };
}

/** An `aws_lambda_function` block's `environment.variables` (none: empty), as written in cdk.tf.json. */
export function environmentVariables(fn: Block): Record<string, unknown> {
  return ((fn.environment as Block | undefined)?.variables ?? {}) as Record<string, unknown>;
}
