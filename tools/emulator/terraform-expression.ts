/**
 * The one Terraform-expression evaluator of the tools: the values of cdk.tf.json's strings as
 * Terraform reads them, with what a caller knows (`Scope`: variables, locals, resource
 * attributes). A string is a template: text with `${...}` interpolations (`$${` is a literal
 * `${`); one interpolation alone is its value, of any type. Inside: numbers, strings (escapes,
 * templates), true/false/null, tuples `[...]`, `var.x`, `local.x`, `<type>.<name>.<attr>` and
 * `data.<type>.<name>.<attr>`, parentheses, `!` and unary `-`, `* / %`, `+ -`, comparisons,
 * `== !=`, `&& ||`, `a ? b : c`, `[for item in list : expr if cond]`, and the functions in
 * FUNCTIONS. Anything else throws `Unsupported` (the caller says it was not evaluated) rather
 * than guessing; a failure Terraform would report throws `EvaluationError` (`can()` catches it).
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
type Node = (scope: Scope, symbols: ReadonlyMap<string, HclValue>) => HclValue;

const typeName = (v: HclValue): string => (v === null ? "null" : Array.isArray(v) ? "tuple" : typeof v === "object" ? "object" : typeof v);

function num(v: HclValue, what: string): number {
  if (typeof v === "number") return v;
  // Terraform converts a numeric string where a number is expected.
  if (typeof v === "string" && v.trim() !== "" && Number.isFinite(Number(v))) return Number(v);
  throw new EvaluationError(`${what}: a number is required, got ${typeName(v)}`);
}

function bool(v: HclValue, what: string): boolean {
  if (typeof v === "boolean") return v;
  if (v === "true" || v === "false") return v === "true";
  throw new EvaluationError(`${what}: a bool is required, got ${typeName(v)}`);
}

function str(v: HclValue, what: string): string {
  if (typeof v === "string") return v;
  if (typeof v === "number" || typeof v === "boolean") return String(v);
  throw new EvaluationError(`${what}: a string is required, got ${typeName(v)}`);
}

function list(v: HclValue, what: string): readonly HclValue[] {
  if (Array.isArray(v)) return v as readonly HclValue[];
  throw new EvaluationError(`${what}: a list, set or tuple is required, got ${typeName(v)}`);
}

function equal(a: HclValue, b: HclValue): boolean {
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((x, i) => equal(x as HclValue, (b as readonly HclValue[])[i]));
  return a === b;
}

/** RE2 (Terraform's regex) and JavaScript agree on the patterns the stacks use; a pattern JavaScript rejects is not guessed at. */
function compile(pattern: string, flags = ""): RegExp {
  try {
    return new RegExp(pattern, flags);
  } catch {
    throw new Unsupported(`the pattern ${JSON.stringify(pattern)} is not one JavaScript's RegExp reads as RE2 would`);
  }
}

type Fn = (args: Node[], scope: Scope, symbols: ReadonlyMap<string, HclValue>) => HclValue;
const each = (args: Node[], scope: Scope, symbols: ReadonlyMap<string, HclValue>): HclValue[] => args.map((a) => a(scope, symbols));

const FUNCTIONS: Record<string, Fn> = {
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

const BINARY: [string[], (a: HclValue, b: HclValue, op: string) => HclValue][] = [
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
const OPERATORS = ["&&", "||", "==", "!=", "<=", ">=", "<", ">", "!", "+", "-", "*", "/", "%", "(", ")", "[", "]", ",", ":", "?", ".", "{", "}", "=>"];
const SIMPLE_ESCAPES: Record<string, string> = { n: "\n", t: "\t", r: "\r", '"': '"', "\\": "\\" };

type Token = { kind: "number"; value: number } | { kind: "ident"; value: string } | { kind: "op"; value: string } | { kind: "quote" } | { kind: "end" };

/** A template value: one interpolation alone keeps its type; anything else is text. */
function templateNode(parts: (string | Node)[]): Node {
  if (parts.length === 1 && typeof parts[0] !== "string") return parts[0];
  return (scope, symbols) =>
    parts
      .map((part) => {
        if (typeof part === "string") return part;
        const value = part(scope, symbols);
        if (value === null) throw new EvaluationError("a template interpolates null");
        return str(value, "template");
      })
      .join("");
}

class Parser {
  private i = 0;
  /** The symbols of the for-expressions being parsed. */
  private readonly symbols = new Set<string>();
  constructor(private readonly text: string) {}

  private unsupported(what: string): never {
    throw new Unsupported(`${what} at ${this.i}`);
  }

  private skip(): void {
    while (/\s/.test(this.text[this.i] ?? "")) this.i++;
  }

  /** The next token, not consumed. */
  private peek(): Token {
    this.skip();
    const rest = this.text.slice(this.i);
    if (rest === "") return { kind: "end" };
    if (rest[0] === '"') return { kind: "quote" };
    const number = /^[0-9]+(\.[0-9]+)?([eE][+-]?[0-9]+)?/.exec(rest);
    if (number) return { kind: "number", value: Number(number[0]) };
    const ident = /^[A-Za-z_][A-Za-z0-9_-]*/.exec(rest);
    if (ident) return { kind: "ident", value: ident[0] };
    const op = OPERATORS.find((o) => rest.startsWith(o));
    if (!op) this.unsupported(`"${rest[0]}"`);
    return { kind: "op", value: op };
  }

  private take(): Token {
    const t = this.peek();
    if (t.kind === "number") this.i += /^[0-9]+(\.[0-9]+)?([eE][+-]?[0-9]+)?/.exec(this.text.slice(this.i))![0].length;
    else if (t.kind === "ident" || t.kind === "op") this.i += t.value.length;
    else if (t.kind === "quote") this.i++;
    return t;
  }

  private isOp(value: string): boolean {
    const t = this.peek();
    return t.kind === "op" && t.value === value;
  }

  private isWord(value: string): boolean {
    const t = this.peek();
    return t.kind === "ident" && t.value === value;
  }

  private expect(value: string): void {
    if (!this.isOp(value)) this.unsupported(`expected "${value}"`);
    this.take();
  }

  private name(what: string): string {
    const t = this.take();
    if (t.kind !== "ident") this.unsupported(`expected ${what}`);
    return t.value;
  }

  /**
   * Template text up to `end` (a closing quote; undefined: the end of the input, as in a JSON
   * string) with its interpolations. Quoted strings take HCL's backslash escapes; JSON's were decoded already.
   */
  template(end: '"' | undefined): Node {
    const parts: (string | Node)[] = [];
    let text = "";
    while (this.i < this.text.length && this.text[this.i] !== end) {
      const c = this.text[this.i];
      if ((c === "$" || c === "%") && this.text.startsWith(`${c}${c}{`, this.i)) {
        text += `${c}{`;
        this.i += 3;
      } else if (c === "%" && this.text[this.i + 1] === "{") {
        this.unsupported("a template directive %{...}");
      } else if (c === "$" && this.text[this.i + 1] === "{") {
        this.i += 2;
        if (this.text[this.i] === "~") this.unsupported("a strip marker");
        if (text) parts.push(text);
        text = "";
        parts.push(this.conditional());
        this.expect("}");
      } else if (c === "\\" && end !== undefined) {
        const next = this.text[this.i + 1];
        if (next in SIMPLE_ESCAPES) {
          text += SIMPLE_ESCAPES[next];
          this.i += 2;
        } else if (next === "u" && /^[0-9a-fA-F]{4}$/.test(this.text.slice(this.i + 2, this.i + 6))) {
          text += String.fromCharCode(parseInt(this.text.slice(this.i + 2, this.i + 6), 16));
          this.i += 6;
        } else this.unsupported(`the escape \\${next ?? ""}`);
      } else {
        text += c;
        this.i++;
      }
    }
    if (end !== undefined) {
      if (this.i >= this.text.length) this.unsupported("an unterminated string");
      this.i++;
    }
    if (text || parts.length === 0) parts.push(text);
    return templateNode(parts);
  }

  conditional(): Node {
    const test = this.binary(0);
    if (!this.isOp("?")) return test;
    this.take();
    const yes = this.conditional();
    this.expect(":");
    const no = this.conditional();
    return (scope, symbols) => (bool(test(scope, symbols), "?") ? yes(scope, symbols) : no(scope, symbols));
  }

  private binary(level: number): Node {
    if (level === BINARY.length) return this.unary();
    let left = this.binary(level + 1);
    const [ops, apply] = BINARY[level];
    for (;;) {
      const t = this.peek();
      if (t.kind !== "op" || !ops.includes(t.value)) return left;
      this.take();
      const right = this.binary(level + 1);
      const l = left;
      left = (scope, symbols) => apply(l(scope, symbols), right(scope, symbols), t.value);
    }
  }

  private unary(): Node {
    if (this.isOp("!") || this.isOp("-")) {
      const { value } = this.take() as { value: string };
      const operand = this.unary();
      return value === "!" ? (scope, symbols) => !bool(operand(scope, symbols), "!") : (scope, symbols) => -num(operand(scope, symbols), "-");
    }
    return this.primary();
  }

  private primary(): Node {
    const t = this.peek();
    if (t.kind === "number") {
      this.take();
      return () => t.value;
    }
    if (t.kind === "quote") {
      this.take();
      return this.template('"');
    }
    if (this.isOp("(")) {
      this.take();
      const inner = this.conditional();
      this.expect(")");
      return inner;
    }
    if (this.isOp("[")) return this.tuple();
    if (t.kind !== "ident") this.unsupported(`unexpected ${t.kind === "op" ? `"${t.value}"` : "end"}`);
    this.take();
    const name = t.value;
    if (name === "true" || name === "false") return () => name === "true";
    if (name === "null") return () => null;
    if (this.isOp("(")) return this.call(name);
    if (this.symbols.has(name)) {
      this.noTraversal();
      return (_scope, symbols) => symbols.get(name)!;
    }
    if (name === "var" || name === "local") return this.named(name);
    if (name === "data" || (/_/.test(name) && this.isOp("."))) return this.reference(name);
    this.unsupported(`the reference ${name}`);
  }

  private call(name: string): Node {
    const fn = FUNCTIONS[name];
    if (!fn) this.unsupported(`the function ${name}()`);
    this.take();
    const args: Node[] = [];
    while (!this.isOp(")")) {
      args.push(this.conditional());
      if (this.isOp(",")) this.take();
      else if (!this.isOp(")")) this.unsupported('expected "," or ")"');
    }
    this.take();
    return (scope, symbols) => fn(args, scope, symbols);
  }

  private named(kind: "var" | "local"): Node {
    this.expect(".");
    const name = this.name(`a ${kind === "var" ? "variable" : "local"} name`);
    this.noTraversal();
    if (kind === "var") return (scope) => scope.variable(name);
    return (scope) => {
      if (!scope.local) throw new Unsupported(`local.${name} (no locals here)`);
      return scope.local(name);
    };
  }

  /** `<type>.<name>[N].<attribute>` or `data.<type>.<name>.<attribute>` (an index is taken as the one instance). */
  private reference(first: string): Node {
    const data = first === "data";
    this.expect(".");
    const type = data ? this.name("a data source type") : first;
    if (data) this.expect(".");
    const name = this.name("a resource name");
    if (this.isOp("[")) {
      this.take();
      if (this.take().kind !== "number") this.unsupported("an index other than a number");
      this.expect("]");
    }
    this.expect(".");
    const attribute = this.name("an attribute");
    this.noTraversal();
    const ref: Reference = { data, type, name, attribute, text: `${data ? "data." : ""}${type}.${name}.${attribute}` };
    return (scope) => {
      if (!scope.reference) throw new Unsupported(`the reference ${ref.text}`);
      return scope.reference(ref);
    };
  }

  /** `var.x.y`, `var.x[0]`: attribute and index traversals are not evaluated. */
  private noTraversal(): void {
    if (this.isOp(".") || this.isOp("[")) this.unsupported("an attribute or index traversal");
  }

  private tuple(): Node {
    this.expect("[");
    if (this.isWord("for")) {
      this.take();
      const symbol = this.name("a symbol after for");
      if (this.isOp(",")) this.unsupported("a for-expression with an index symbol");
      if (!this.isWord("in")) this.unsupported('expected "in"');
      this.take();
      const collection = this.conditional();
      this.expect(":");
      const shadowed = this.symbols.has(symbol);
      this.symbols.add(symbol);
      const body = this.conditional();
      let filter: Node | undefined;
      if (this.isWord("if")) {
        this.take();
        filter = this.conditional();
      }
      if (!shadowed) this.symbols.delete(symbol);
      this.expect("]");
      return (scope, symbols) =>
        list(collection(scope, symbols), "for").flatMap((item) => {
          const inner = new Map(symbols).set(symbol, item);
          return filter && !bool(filter(scope, inner), "for ... if") ? [] : [body(scope, inner)];
        });
    }
    const items: Node[] = [];
    while (!this.isOp("]")) {
      items.push(this.conditional());
      if (this.isOp(",")) this.take();
      else if (!this.isOp("]")) this.unsupported('expected "," or "]"');
    }
    this.take();
    return (scope, symbols) => items.map((item) => item(scope, symbols));
  }
}

/** A string of cdk.tf.json (an attribute, a default, a condition) to its value, as Terraform would evaluate it in `scope`. */
export function evaluateTemplate(text: string, scope: Scope): HclValue {
  return new Parser(text).template(undefined)(scope, new Map());
}

/**
 * The value of a validation condition (`${...}`, as cdk.tf.json holds it). Returns true or false;
 * throws Unsupported for what is not evaluated here, and an Error with Terraform's complaint when
 * evaluation fails (Terraform refuses the plan then too).
 */
export function evaluateCondition(condition: string, variables: (name: string) => HclValue): boolean {
  let value: HclValue;
  try {
    value = evaluateTemplate(condition.trim(), { variable: variables });
  } catch (error) {
    if (error instanceof EvaluationError) throw new Error(error.message);
    throw error;
  }
  if (typeof value !== "boolean") throw new Error(`the condition is ${typeName(value)}, not bool`);
  return value;
}
