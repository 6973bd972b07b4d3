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

import {
  BINARY,
  bool,
  EvaluationError,
  FUNCTIONS,
  type HclValue,
  type Node,
  num,
  type Reference,
  type Scope,
  str,
  typeName,
  list,
  Unsupported,
} from "./terraform-functions";

export { EvaluationError, Unsupported, type HclValue, type Reference, type Scope } from "./terraform-functions";

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
