/**
 * The values, errors and functions of the Terraform-expression evaluator
 * (./terraform-expression.ts): Terraform's conversions (a numeric string where a
 * number is needed, ...), its operators by precedence, and the functions the
 * stacks' expressions call.
 */

export type HclValue = number | string | boolean | null | readonly HclValue[] | { readonly [key: string]: HclValue };

/** The expression uses a construct this evaluator does not know. */
export class Unsupported extends Error {}

/** An evaluation error Terraform would report too (and `can()` turns into false). */
export class EvaluationError extends Error {}

/** A resource or data source attribute an expression refers to. */
export interface Reference {
  readonly data: boolean;
  readonly type: string;
  readonly name: string;
  readonly attribute: string;
  /** As written: `aws_sqs_queue.queue.url`. */
  readonly text: string;
}

/** What an expression may refer to; a kind of reference the scope lacks is Unsupported. */
export interface Scope {
  readonly variable: (name: string) => HclValue;
  readonly local?: (name: string) => HclValue;
  readonly reference?: (ref: Reference) => HclValue;
}

/** Parsed expression: evaluated lazily, so `can()` sees its argument's errors. */
export type Node = (scope: Scope, symbols: ReadonlyMap<string, HclValue>) => HclValue;

export const typeName = (v: HclValue): string => (v === null ? "null" : Array.isArray(v) ? "tuple" : typeof v === "object" ? "object" : typeof v);

export function num(v: HclValue, what: string): number {
  if (typeof v === "number") return v;
  // Terraform converts a numeric string where a number is expected.
  if (typeof v === "string" && v.trim() !== "" && Number.isFinite(Number(v))) return Number(v);
  throw new EvaluationError(`${what}: a number is required, got ${typeName(v)}`);
}

export function bool(v: HclValue, what: string): boolean {
  if (typeof v === "boolean") return v;
  if (v === "true" || v === "false") return v === "true";
  throw new EvaluationError(`${what}: a bool is required, got ${typeName(v)}`);
}

export function str(v: HclValue, what: string): string {
  if (typeof v === "string") return v;
  if (typeof v === "number" || typeof v === "boolean") return String(v);
  throw new EvaluationError(`${what}: a string is required, got ${typeName(v)}`);
}

export function list(v: HclValue, what: string): readonly HclValue[] {
  if (Array.isArray(v)) return v as readonly HclValue[];
  throw new EvaluationError(`${what}: a list, set or tuple is required, got ${typeName(v)}`);
}

export function equal(a: HclValue, b: HclValue): boolean {
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((x, i) => equal(x as HclValue, (b as readonly HclValue[])[i]));
  return a === b;
}

/** RE2 (Terraform's regex) and JavaScript agree on the patterns the stacks use; a pattern JavaScript rejects is not guessed at. */
export function compile(pattern: string, flags = ""): RegExp {
  try {
    return new RegExp(pattern, flags);
  } catch {
    throw new Unsupported(`the pattern ${JSON.stringify(pattern)} is not one JavaScript's RegExp reads as RE2 would`);
  }
}

type Fn = (args: Node[], scope: Scope, symbols: ReadonlyMap<string, HclValue>) => HclValue;
const each = (args: Node[], scope: Scope, symbols: ReadonlyMap<string, HclValue>): HclValue[] => args.map((a) => a(scope, symbols));

export const FUNCTIONS: Record<string, Fn> = {
  can: ([arg], scope, symbols) => {
    try {
      arg(scope, symbols);
      return true;
    } catch (error) {
      if (error instanceof EvaluationError) return false;
      throw error;
    }
  },
  regex: (args, scope, symbols) => {
    const [pattern, s] = each(args, scope, symbols);
    const m = compile(str(pattern, "regex")).exec(str(s, "regex"));
    if (!m) throw new EvaluationError("regex: the pattern did not match");
    return m[0];
  },
  contains: (args, scope, symbols) => {
    const [l, v] = each(args, scope, symbols);
    return list(l, "contains").some((item) => equal(item, v));
  },
  floor: ([x], scope, symbols) => Math.floor(num(x(scope, symbols), "floor")),
  ceil: ([x], scope, symbols) => Math.ceil(num(x(scope, symbols), "ceil")),
  abs: ([x], scope, symbols) => Math.abs(num(x(scope, symbols), "abs")),
  min: (args, scope, symbols) => Math.min(...each(args, scope, symbols).map((a) => num(a, "min"))),
  max: (args, scope, symbols) => Math.max(...each(args, scope, symbols).map((a) => num(a, "max"))),
  length: ([x], scope, symbols) => {
    const v = x(scope, symbols);
    if (v !== null && typeof v === "object" && !Array.isArray(v)) return Object.keys(v).length;
    return typeof v === "string" ? [...v].length : list(v, "length").length;
  },
  lower: ([x], scope, symbols) => str(x(scope, symbols), "lower").toLowerCase(),
  upper: ([x], scope, symbols) => str(x(scope, symbols), "upper").toUpperCase(),
  trimspace: ([x], scope, symbols) => str(x(scope, symbols), "trimspace").trim(),
  alltrue: ([x], scope, symbols) => list(x(scope, symbols), "alltrue").every((v) => bool(v, "alltrue")),
  anytrue: ([x], scope, symbols) => list(x(scope, symbols), "anytrue").some((v) => bool(v, "anytrue")),
  // The first argument that is neither null nor an empty string.
  coalesce: (args, scope, symbols) => {
    const found = each(args, scope, symbols).find((a) => a !== null && a !== "");
    if (found === undefined) throw new EvaluationError("coalesce: no non-null, non-empty argument");
    return found;
  },
  // A plain substring, unless the pattern is /regex/.
  replace: (args, scope, symbols) => {
    const [s, from, to] = each(args, scope, symbols).map((a) => str(a, "replace"));
    return /^\/.*\/$/.test(from) ? s.replace(compile(from.slice(1, -1), "g"), to) : s.split(from).join(to);
  },
  // A set of strings, as Terraform orders it (lexically).
  toset: ([x], scope, symbols) => [...new Set(list(x(scope, symbols), "toset").map((v) => str(v, "toset")))].sort(),
  tostring: ([x], scope, symbols) => str(x(scope, symbols), "tostring"),
  tonumber: ([x], scope, symbols) => num(x(scope, symbols), "tonumber"),
};

/** Binary operators by precedence, loosest first. */
export const BINARY: [string[], (a: HclValue, b: HclValue, op: string) => HclValue][] = [
  [["||"], (a, b) => bool(a, "||") || bool(b, "||")],
  [["&&"], (a, b) => bool(a, "&&") && bool(b, "&&")],
  [["==", "!="], (a, b, op) => (op === "==" ? equal(a, b) : !equal(a, b))],
  [
    ["<", "<=", ">", ">="],
    (a, b, op) => {
      const x = num(a, op);
      const y = num(b, op);
      return op === "<" ? x < y : op === "<=" ? x <= y : op === ">" ? x > y : x >= y;
    },
  ],
  [["+", "-"], (a, b, op) => (op === "+" ? num(a, op) + num(b, op) : num(a, op) - num(b, op))],
  [
    ["*", "/", "%"],
    (a, b, op) => {
      const x = num(a, op);
      const y = num(b, op);
      if (op !== "*" && y === 0) throw new EvaluationError(`${op}: division by zero`);
      return op === "*" ? x * y : op === "/" ? x / y : x % y;
    },
  ],
];
