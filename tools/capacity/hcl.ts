/**
 * Evaluates a variable's `validation` condition as Terraform would at plan
 * time, for a `--set` value: the literal HCL the stacks write
 * (blocks/variables.ts) inside `${...}`. Numbers, strings (JSON escapes,
 * no templates), true/false/null, tuples `[...]`, `var.x`, parentheses,
 * `!` and unary `-`, `* / %`, `+ -`, comparisons, `== !=`, `&& ||`, the
 * conditional `a ? b : c`, the tuple for-expression
 * `[for item in list : expr]` (with an optional `if`), and the functions
 * can, regex, contains, floor, ceil, abs, min, max, length, lower, upper,
 * trimspace, alltrue, anytrue. Anything else throws `Unsupported` (the
 * caller says the condition was not checked) rather than guessing.
 */

export type HclValue = number | string | boolean | null | readonly HclValue[];

/** The expression uses a construct this evaluator does not know: the condition is not checked. */
export class Unsupported extends Error {}

/** An evaluation error Terraform would report (and `can()` turns into false). */
class HclError extends Error {}

type Token =
  | { kind: "number"; value: number; at: number }
  | { kind: "string"; value: string; at: number }
  | { kind: "ident"; value: string; at: number }
  | { kind: "op"; value: string; at: number }
  | { kind: "end"; at: number };

const OPERATORS = ["&&", "||", "==", "!=", "<=", ">=", "<", ">", "!", "+", "-", "*", "/", "%", "(", ")", "[", "]", ",", ":", "?", ".", "{", "}", "=>"];

function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i];
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    const number = /^[0-9]+(\.[0-9]+)?([eE][+-]?[0-9]+)?/.exec(text.slice(i));
    if (number) {
      tokens.push({ kind: "number", value: Number(number[0]), at: i });
      i += number[0].length;
      continue;
    }
    const ident = /^[A-Za-z_][A-Za-z0-9_-]*/.exec(text.slice(i));
    if (ident) {
      tokens.push({ kind: "ident", value: ident[0], at: i });
      i += ident[0].length;
      continue;
    }
    if (c === '"') {
      let value = "";
      let j = i + 1;
      for (;;) {
        if (j >= text.length) throw new Unsupported(`unterminated string at ${i}`);
        const ch = text[j];
        if (ch === '"') break;
        if ((ch === "$" || ch === "%") && text[j + 1] === "{") throw new Unsupported(`a template string at ${i}`);
        if (ch === "\\") {
          const next = text[j + 1];
          const simple: Record<string, string> = { n: "\n", t: "\t", r: "\r", '"': '"', "\\": "\\" };
          if (next in simple) {
            value += simple[next];
            j += 2;
          } else if (next === "u" && /^[0-9a-fA-F]{4}$/.test(text.slice(j + 2, j + 6))) {
            value += String.fromCharCode(parseInt(text.slice(j + 2, j + 6), 16));
            j += 6;
          } else throw new Unsupported(`escape \\${next ?? ""} at ${j}`);
          continue;
        }
        value += ch;
        j++;
      }
      tokens.push({ kind: "string", value, at: i });
      i = j + 1;
      continue;
    }
    const op = OPERATORS.find((o) => text.startsWith(o, i));
    if (!op) throw new Unsupported(`"${c}" at ${i}`);
    tokens.push({ kind: "op", value: op, at: i });
    i += op.length;
  }
  tokens.push({ kind: "end", at: text.length });
  return tokens;
}

/** Parsed expression: evaluated lazily so `can()` sees its argument's errors. */
type Node = (scope: ReadonlyMap<string, HclValue>) => HclValue;

const typeName = (v: HclValue): string => (v === null ? "null" : Array.isArray(v) ? "tuple" : typeof v);

function num(v: HclValue, what: string): number {
  if (typeof v === "number") return v;
  // Terraform converts a numeric string where a number is expected.
  if (typeof v === "string" && v.trim() !== "" && Number.isFinite(Number(v))) return Number(v);
  throw new HclError(`${what}: a number is required, got ${typeName(v)}`);
}

function bool(v: HclValue, what: string): boolean {
  if (typeof v === "boolean") return v;
  if (v === "true" || v === "false") return v === "true";
  throw new HclError(`${what}: a bool is required, got ${typeName(v)}`);
}

function str(v: HclValue, what: string): string {
  if (typeof v === "string") return v;
  if (typeof v === "number" || typeof v === "boolean") return String(v);
  throw new HclError(`${what}: a string is required, got ${typeName(v)}`);
}

function list(v: HclValue, what: string): readonly HclValue[] {
  if (Array.isArray(v)) return v as readonly HclValue[];
  throw new HclError(`${what}: a list, set or tuple is required, got ${typeName(v)}`);
}

function equal(a: HclValue, b: HclValue): boolean {
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((x, i) => equal(x as HclValue, (b as readonly HclValue[])[i]));
  return a === b;
}

/** RE2 (Terraform's regex) and JavaScript agree on the patterns the stacks use; a pattern JavaScript rejects is not guessed at. */
function compile(pattern: string): RegExp {
  try {
    return new RegExp(pattern);
  } catch {
    throw new Unsupported(`the pattern ${JSON.stringify(pattern)} is not one JavaScript's RegExp reads as RE2 would`);
  }
}

const FUNCTIONS: Record<string, (args: Node[], scope: ReadonlyMap<string, HclValue>) => HclValue> = {
  can: ([arg], scope) => {
    try {
      arg(scope);
      return true;
    } catch (error) {
      if (error instanceof HclError) return false;
      throw error;
    }
  },
  regex: ([pattern, s], scope) => {
    const m = compile(str(pattern(scope), "regex")).exec(str(s(scope), "regex"));
    if (!m) throw new HclError("regex: the pattern did not match");
    return m[0];
  },
  contains: ([l, v], scope) => {
    const value = v(scope);
    return list(l(scope), "contains").some((item) => equal(item, value));
  },
  floor: ([x], scope) => Math.floor(num(x(scope), "floor")),
  ceil: ([x], scope) => Math.ceil(num(x(scope), "ceil")),
  abs: ([x], scope) => Math.abs(num(x(scope), "abs")),
  min: (args, scope) => Math.min(...args.map((a) => num(a(scope), "min"))),
  max: (args, scope) => Math.max(...args.map((a) => num(a(scope), "max"))),
  length: ([x], scope) => {
    const v = x(scope);
    return typeof v === "string" ? [...v].length : list(v, "length").length;
  },
  lower: ([x], scope) => str(x(scope), "lower").toLowerCase(),
  upper: ([x], scope) => str(x(scope), "upper").toUpperCase(),
  trimspace: ([x], scope) => str(x(scope), "trimspace").trim(),
  alltrue: ([x], scope) => list(x(scope), "alltrue").every((v) => bool(v, "alltrue")),
  anytrue: ([x], scope) => list(x(scope), "anytrue").some((v) => bool(v, "anytrue")),
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
      if (op !== "*" && y === 0) throw new HclError(`${op}: division by zero`);
      return op === "*" ? x * y : op === "/" ? x / y : x % y;
    },
  ],
];

class Parser {
  private i = 0;
  constructor(
    private readonly tokens: Token[],
    private readonly variables: (name: string) => HclValue,
  ) {}

  private peek(): Token {
    return this.tokens[this.i];
  }

  private isOp(value: string): boolean {
    const t = this.peek();
    return t.kind === "op" && t.value === value;
  }

  private expect(value: string): void {
    if (!this.isOp(value)) this.unsupported(`expected "${value}"`);
    this.i++;
  }

  private unsupported(what: string): never {
    throw new Unsupported(`${what} at ${this.peek().at}`);
  }

  parse(): Node {
    const node = this.conditional();
    if (this.peek().kind !== "end") this.unsupported("unexpected input");
    return node;
  }

  private conditional(): Node {
    const test = this.binary(0);
    if (!this.isOp("?")) return test;
    this.i++;
    const yes = this.conditional();
    this.expect(":");
    const no = this.conditional();
    return (scope) => (bool(test(scope), "?") ? yes(scope) : no(scope));
  }

  private binary(level: number): Node {
    if (level === BINARY.length) return this.unary();
    let left = this.binary(level + 1);
    const [ops, apply] = BINARY[level];
    for (;;) {
      const t = this.peek();
      if (t.kind !== "op" || !ops.includes(t.value)) return left;
      this.i++;
      const right = this.binary(level + 1);
      const l = left;
      left = (scope) => apply(l(scope), right(scope), t.value);
    }
  }

  private unary(): Node {
    if (this.isOp("!")) {
      this.i++;
      const operand = this.unary();
      return (scope) => !bool(operand(scope), "!");
    }
    if (this.isOp("-")) {
      this.i++;
      const operand = this.unary();
      return (scope) => -num(operand(scope), "-");
    }
    return this.primary();
  }

  private primary(): Node {
    const t = this.peek();
    if (t.kind === "number" || t.kind === "string") {
      this.i++;
      const value = t.value;
      return () => value;
    }
    if (this.isOp("(")) {
      this.i++;
      const inner = this.conditional();
      this.expect(")");
      return inner;
    }
    if (this.isOp("[")) return this.tuple();
    if (t.kind !== "ident") this.unsupported(`unexpected ${t.kind === "op" ? `"${t.value}"` : "end"}`);
    this.i++;
    const name = t.value;
    if (name === "true" || name === "false") return () => name === "true";
    if (name === "null") return () => null;
    if (name === "var") {
      this.expect(".");
      const v = this.peek();
      if (v.kind !== "ident") this.unsupported("expected a variable name");
      this.i++;
      this.noTraversal();
      return () => this.variables(v.value);
    }
    if (this.isOp("(")) {
      const fn = FUNCTIONS[name];
      if (!fn) this.unsupported(`the function ${name}()`);
      this.i++;
      const args: Node[] = [];
      while (!this.isOp(")")) {
        args.push(this.conditional());
        if (this.isOp(",")) this.i++;
        else if (!this.isOp(")")) this.unsupported('expected "," or ")"');
      }
      this.i++;
      return (scope) => fn(args, scope);
    }
    // A for-expression's own symbol.
    this.noTraversal();
    return (scope) => {
      if (!scope.has(name)) throw new Unsupported(`the reference ${name}`);
      return scope.get(name)!;
    };
  }

  /** `var.x.y`, `var.x[0]`: attribute and index traversals are not evaluated. */
  private noTraversal(): void {
    if (this.isOp(".") || this.isOp("[")) this.unsupported("an attribute or index traversal");
  }

  private tuple(): Node {
    this.expect("[");
    const head = this.peek();
    if (head.kind === "ident" && head.value === "for") {
      this.i++;
      const first = this.peek();
      if (first.kind !== "ident") this.unsupported("expected a symbol after for");
      this.i++;
      if (this.isOp(",")) this.unsupported("a for-expression with an index symbol");
      const inWord = this.peek();
      if (inWord.kind !== "ident" || inWord.value !== "in") this.unsupported('expected "in"');
      this.i++;
      const collection = this.conditional();
      this.expect(":");
      const body = this.conditional();
      let filter: Node | undefined;
      const next = this.peek();
      if (next.kind === "ident" && next.value === "if") {
        this.i++;
        filter = this.conditional();
      }
      this.expect("]");
      return (scope) =>
        list(collection(scope), "for").flatMap((item) => {
          const inner = new Map(scope).set(first.value, item);
          return filter && !bool(filter(inner), "for ... if") ? [] : [body(inner)];
        });
    }
    const items: Node[] = [];
    while (!this.isOp("]")) {
      items.push(this.conditional());
      if (this.isOp(",")) this.i++;
      else if (!this.isOp("]")) this.unsupported('expected "," or "]"');
    }
    this.i++;
    return (scope) => items.map((item) => item(scope));
  }
}

/**
 * The value of a validation condition (`${...}`, as cdk.tf.json holds it).
 * Returns true or false; throws Unsupported for what is not evaluated here,
 * and an Error with Terraform's complaint when evaluation fails (Terraform
 * refuses the plan then too).
 */
export function evaluateCondition(condition: string, variables: (name: string) => HclValue): boolean {
  const m = /^\$\{([\s\S]*)\}$/.exec(condition.trim());
  if (!m) throw new Unsupported("not a single ${...} expression");
  const node = new Parser(tokenize(m[1]), variables).parse();
  let value: HclValue;
  try {
    value = node(new Map());
  } catch (error) {
    if (error instanceof HclError) throw new Error(error.message);
    throw error;
  }
  if (typeof value !== "boolean") throw new Error(`the condition is ${typeName(value)}, not bool`);
  return value;
}
