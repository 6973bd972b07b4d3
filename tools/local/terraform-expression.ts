/**
 * Evaluates the string expressions the stacks put in function environments
 * (`${coalesce(trimspace(var.allowed_origins), "https://...${replace(var.zone_name, ".", "[.]")}")}`)
 * as Terraform would with the variables' defaults: template strings, string
 * literals, `var.x`, and the functions coalesce, trimspace, replace, lower,
 * upper. Anything else is refused with the expression in the message.
 */
import { type SynthesizedStack, variableDefault } from "../emulator/synth";

type Value = string;

const FUNCTIONS: Record<string, (args: Value[]) => Value> = {
  coalesce: (args) => args.find((a) => a !== "") ?? "",
  trimspace: ([s]) => s.trim(),
  // Terraform's replace: a plain substring unless the pattern is /regex/.
  replace: ([s, from, to]) => (/^\/.*\/$/.test(from) ? s.replace(new RegExp(from.slice(1, -1), "g"), to) : s.split(from).join(to)),
  lower: ([s]) => s.toLowerCase(),
  upper: ([s]) => s.toUpperCase(),
};

class Parser {
  private i = 0;
  constructor(
    private readonly stack: SynthesizedStack,
    private readonly text: string,
  ) {}

  fail(what: string): never {
    throw new Error(`${this.stack.id}: cannot evaluate ${JSON.stringify(this.text)} locally (${what} at ${this.i})`);
  }

  /** Template text up to `end` (a closing quote, or the end of input), with `${...}` interpolations. */
  template(end: string | undefined): Value {
    let out = "";
    while (this.i < this.text.length) {
      const c = this.text[this.i];
      if (end !== undefined && c === end) return out;
      if (c === "\\" && end !== undefined) {
        const next = this.text[this.i + 1];
        out += next === "n" ? "\n" : next === "t" ? "\t" : next;
        this.i += 2;
      } else if (this.text.startsWith("${", this.i)) {
        this.i += 2;
        out += this.expression();
        this.skip();
        if (this.text[this.i] !== "}") this.fail("expected }");
        this.i++;
      } else {
        out += c;
        this.i++;
      }
    }
    if (end !== undefined) this.fail("unterminated string");
    return out;
  }

  skip(): void {
    while (/\s/.test(this.text[this.i] ?? "")) this.i++;
  }

  expression(): Value {
    this.skip();
    if (this.text[this.i] === '"') {
      this.i++;
      const value = this.template('"');
      this.i++;
      return value;
    }
    const m = /^[A-Za-z_][A-Za-z0-9_.]*/.exec(this.text.slice(this.i));
    if (!m) this.fail("expected an expression");
    this.i += m[0].length;
    if (m[0].startsWith("var.")) return String(variableDefault(this.stack, `\${${m[0]}}`));
    const fn = FUNCTIONS[m[0]];
    this.skip();
    if (!fn || this.text[this.i] !== "(") this.fail(`unsupported ${m[0]}`);
    this.i++;
    const args: Value[] = [];
    for (;;) {
      this.skip();
      if (this.text[this.i] === ")") break;
      args.push(this.expression());
      this.skip();
      if (this.text[this.i] === ",") this.i++;
      else if (this.text[this.i] !== ")") this.fail("expected , or )");
    }
    this.i++;
    return fn(args);
  }
}

/** A Terraform template string (an attribute value of cdk.tf.json) to its value. */
export function evaluateTemplate(stack: SynthesizedStack, text: string): string {
  return new Parser(stack, text).template(undefined);
}
