/**
 * The stack the planner reads: its synthesized Terraform JSON (tools/emulator/synth.ts)
 * with `--set` overrides applied, each a variable name (`reserved_concurrent_executions=4`,
 * typed and checked against its validation as `terraform plan` would) or a resource
 * attribute by address (`aws_kinesis_stream.stream.shard_count=6`), and the numeric
 * settings read from it. Its data path: ./topology.ts.
 */
import { existsSync } from "node:fs";
import { UsageError } from "../cli";
import * as path from "node:path";
import { Block, evaluate, readStack, SynthesizedStack } from "../emulator/synth";
import { evaluateCondition, HclValue, Unsupported } from "../emulator/terraform-expression";

/** A mistake in what the command was given (a `--set`, a synth output): exit status 2 with the usage (tools/cli.ts). */
export class CapacityError extends UsageError {}

export type SetValue = number | boolean | string;

/** Parses `name=value` (numbers and true/false typed, anything else a string). */
export function parseSet(text: string): [string, SetValue] {
  const m = /^([A-Za-z0-9_.-]+)=(.*)$/.exec(text);
  if (!m) throw new CapacityError(`--set expects name=value, got "${text}"`);
  const raw = m[2].trim();
  const value: SetValue = raw === "true" ? true : raw === "false" ? false : raw !== "" && Number.isFinite(Number(raw)) ? Number(raw) : raw;
  return [m[1], value];
}

/** The synthesized stack of `id` under `synthDir`, with the overrides applied to a copy. */
export function loadStack(synthDir: string, id: string, sets: readonly [string, SetValue][] = []): SynthesizedStack {
  const file = path.join(synthDir, "stacks", id, "cdk.tf.json");
  if (!existsSync(file)) throw new CapacityError(`${file} not found: run \`npm run synth\` first (or pass --synth to synthesize now)`);
  const stack = readStack(synthDir, id);
  return applySets(stack, sets);
}

interface VariableBlock {
  readonly type?: string;
  readonly default?: unknown;
  readonly validation?: readonly { readonly condition?: unknown; readonly error_message?: unknown }[];
}

/** A `--set` value as the variable's declared type takes it (`--set name=123` of a string variable is "123"). */
function typed(stackId: string, name: string, type: string | undefined, value: SetValue): SetValue {
  const shown = `"${String(value)}"`;
  switch (type?.replace(/\s+/g, "")) {
    case undefined:
    case "any":
      return value;
    case "number":
      if (typeof value !== "number") throw new CapacityError(`${stackId}: --set ${name}: the variable is a number, got ${shown}`);
      return value;
    case "bool":
      if (typeof value !== "boolean") throw new CapacityError(`${stackId}: --set ${name}: the variable is a bool (true or false), got ${shown}`);
      return value;
    case "string":
      return String(value);
    default:
      throw new CapacityError(`${stackId}: --set ${name}: the variable is a ${type}; --set takes one number, bool or string`);
  }
}

/**
 * The `--set` values typed as their variables declare, each checked against
 * its variable's `validation` blocks as `terraform plan` would: a failed
 * condition throws the variable's own error_message. Returns a sentence per
 * condition that could not be evaluated here (not checked: say so, don't pass).
 * Resource attributes (`<type>.<name>.<attribute>`) have no validation blocks
 * in the JSON and pass as given.
 */
export function checkSets(stack: SynthesizedStack, sets: readonly [string, SetValue][]): { sets: [string, SetValue][]; unchecked: string[] } {
  const variables = (stack.json.variable ?? {}) as Record<string, VariableBlock>;
  const typedSets = sets.map(([name, value]): [string, SetValue] => (name in variables ? [name, typed(stack.id, name, variables[name].type, value)] : [name, value]));
  const values = new Map<string, unknown>(Object.entries(variables).map(([name, v]) => [name, v.default]));
  for (const [name, value] of typedSets) if (name in variables) values.set(name, value);
  const lookup = (name: string): HclValue => {
    const value = values.get(name);
    if (value === undefined) throw new Unsupported(`var.${name} has no value`);
    return value as HclValue;
  };
  const unchecked: string[] = [];
  for (const [name, value] of typedSets) {
    for (const validation of variables[name]?.validation ?? []) {
      const condition = String(validation.condition);
      let ok: boolean;
      try {
        ok = evaluateCondition(condition, lookup);
      } catch (error) {
        if (error instanceof Unsupported) {
          unchecked.push(`--set ${name}=${String(value)}: its validation ${condition} was NOT checked (cannot evaluate ${error.message}); terraform plan may refuse it`);
          continue;
        }
        throw new CapacityError(`${stack.id}: --set ${name}=${String(value)}: ${String(validation.error_message ?? "invalid value")} (${error instanceof Error ? error.message : String(error)})`);
      }
      if (!ok) throw new CapacityError(`${stack.id}: --set ${name}=${String(value)}: ${String(validation.error_message ?? `fails ${condition}`)}`);
    }
  }
  return { sets: typedSets, unchecked };
}

/**
 * A copy of `stack` with `sets` applied; throws on a name that is neither a
 * variable nor an existing resource, on a value of the wrong type, and on a
 * value the variable's validation refuses (checkSets).
 */
export function applySets(stack: SynthesizedStack, sets: readonly [string, SetValue][]): SynthesizedStack {
  const json = structuredClone(stack.json) as {
    resource?: Record<string, Record<string, Block>>;
    variable?: Record<string, { default?: unknown }>;
  };
  for (const [name, value] of checkSets(stack, sets).sets) {
    if (json.variable && name in json.variable) {
      json.variable[name] = { ...json.variable[name], default: value };
      continue;
    }
    const [type, resourceName, ...attribute] = name.split(".");
    const block = json.resource?.[type]?.[resourceName];
    if (!block || attribute.length === 0) {
      const variables = Object.keys(json.variable ?? {}).join(", ") || "none";
      throw new CapacityError(`${stack.id}: unknown --set "${name}": not a variable of the stack (${variables}) nor <resource type>.<name>.<attribute> of one of its resources`);
    }
    let target: Block = block;
    for (const key of attribute.slice(0, -1)) {
      const next = target[key];
      if (next === undefined) target[key] = {};
      else if (typeof next !== "object" || next === null || Array.isArray(next)) throw new CapacityError(`${stack.id}: --set ${name}: ${key} is not a nested block`);
      target = target[key] as Block;
    }
    target[attribute[attribute.length - 1]] = value;
  }
  return { ...stack, json: json as SynthesizedStack["json"] };
}

/** A setting read from the JSON: its value and the `--set` name that changes it. */
export interface Setting {
  readonly value: number | undefined;
  /** The stack's own variable when the attribute is `${var.x}`, else the attribute's address. */
  readonly setName: string;
}

/** A numeric attribute at `attributePath` of `type.name`: literal, `${var.x}`, or a small expression. */
export function setting(stack: SynthesizedStack, type: string, name: string, attributePath: string): Setting {
  let raw: unknown = stack.json.resource?.[type]?.[name];
  for (const key of attributePath.split(".")) raw = raw === undefined || raw === null ? undefined : (raw as Block)[key];
  const variable = typeof raw === "string" ? /^\$\{var\.([A-Za-z0-9_-]+)\}$/.exec(raw) : null;
  return { value: numeric(stack, raw), setName: variable ? variable[1] : `${type}.${name}.${attributePath}` };
}

/** A number from a literal, a numeric string, `${var.x}` or an expression evaluate() admits. */
export function numeric(stack: SynthesizedStack, raw: unknown): number | undefined {
  if (raw === undefined || raw === null) return undefined;
  if (typeof raw === "number") return raw;
  if (typeof raw === "boolean") return undefined;
  const text = String(raw);
  const value = text.includes("${") ? evaluate(stack, text) : Number(text);
  const n = typeof value === "number" ? value : Number(value);
  if (!Number.isFinite(n)) throw new CapacityError(`${stack.id}: ${text} is not a number`);
  return n;
}
