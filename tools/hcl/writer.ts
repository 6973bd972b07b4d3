/**
 * Terraform JSON (what cdktf synthesizes) -> Terraform native syntax (HCL), for `npm run synth:hcl`.
 *
 * Why our own writer: cdktf 0.21's HCL renderer drops backslash escapes (`"4\d{2}"` is invalid
 * HCL), drops falsy variable defaults (`0`, `false`, `""`, `[]`) and writes quoted references
 * (deprecated). The JSON is the configuration Terraform plans; this writer states it again in
 * native syntax, rule for rule:
 *
 * - A JSON string is a template in both syntaxes: re-escaped as ./template.ts says.
 * - Where JSON holds literals only (variable defaults, descriptions, backend settings), `${` and
 *   `%{` are escaped so they stay text.
 * - Whether an object is a nested block or an attribute value is not in the JSON: Terraform
 *   decides from the provider schema, and so does this writer (`BlockShape`, from
 *   `terraform providers schema -json`, see `schema.ts`).
 * - References in `depends_on`, `lifecycle.ignore_changes` and `provider` become bare traversals.
 *
 * Output is correct but not pretty; `terraform fmt` aligns it afterwards.
 */

import { literalString, parseTemplate, quotedTemplate, templateExpression } from "./template";

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };

/** Which keys of a block are nested blocks (everything else is an attribute), recursively. */
export interface BlockShape {
  readonly blocks: Readonly<Record<string, NestedBlock>>;
}
export interface NestedBlock {
  /** Terraform's nesting mode: `map` blocks carry a label per entry; the others none. */
  readonly nesting: "single" | "group" | "list" | "set" | "map";
  readonly shape: BlockShape;
}

/** Block shapes per provider-local name: resource and data source types, and providers. */
export interface ProviderShapes {
  readonly resources: Readonly<Record<string, BlockShape>>;
  readonly dataSources: Readonly<Record<string, BlockShape>>;
  readonly providers: Readonly<Record<string, BlockShape>>;
}

const NO_BLOCKS: BlockShape = { blocks: {} };

export { literalString, parseTemplate, templateExpression } from "./template";

// ---------------------------------------------------------------- values

/** Object keys written bare (HCL would take dashes too, but `Content-Type = ...` reads as a subtraction). */
const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;

type StringStyle = (text: string) => string;

/** Any JSON value as an HCL expression; strings through `style` (template or literal). */
export function valueExpression(value: Json, style: StringStyle = templateExpression, indent = ""): string {
  if (value === null) return "null";
  if (typeof value === "string") return style(value);
  if (typeof value === "number" || typeof value === "boolean") return String(value);
  const inner = `${indent}  `;
  if (Array.isArray(value)) {
    if (value.length === 0) return "[]";
    return `[\n${value.map((v) => `${inner}${valueExpression(v, style, inner)},`).join("\n")}\n${indent}]`;
  }
  const entries = Object.entries(value);
  if (entries.length === 0) return "{}";
  const lines = entries.map(([k, v]) => `${inner}${objectKey(k, style)} = ${valueExpression(v, style, inner)}`);
  return `{\n${lines.join("\n")}\n${indent}}`;
}

/** An object key: bare if it is a plain name, else quoted (a bare expression there would not be a key). */
function objectKey(key: string, style: StringStyle): string {
  if (IDENTIFIER.test(key) && !["null", "true", "false"].includes(key)) return key;
  return style === literalString ? literalString(key) : quotedTemplate(parseTemplate(key));
}

/** A reference written as a string in JSON (`"aws_iam_role.x"` or `"${aws_iam_role.x}"`) as a bare traversal. */
function reference(text: string): string {
  const m = /^\$\{(.*)\}$/s.exec(text);
  return m ? m[1] : text;
}

// ---------------------------------------------------------------- blocks

class Writer {
  private readonly lines: string[] = [];

  line(indent: string, text: string): void {
    this.lines.push(`${indent}${text}`);
  }

  attribute(indent: string, name: string, expression: string): void {
    this.line(indent, `${name} = ${expression}`);
  }

  /** `header { ... }` with `fill` writing the body one level deeper. */
  block(indent: string, header: string, fill: (inner: string) => void): void {
    this.line(indent, `${header} {`);
    fill(`${indent}  `);
    this.line(indent, "}");
  }

  text(): string {
    return `${this.lines.join("\n")}\n`;
  }
}

function asObject(value: Json, where: string): JsonObject {
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    throw new Error(`${where}: expected an object, got ${JSON.stringify(value)}`);
  }
  return value;
}

/** A JSON value that holds one or more block bodies (a list in JSON, or a single object). */
function blockBodies(value: Json, where: string): JsonObject[] {
  return (Array.isArray(value) ? value : [value]).map((v, i) => asObject(v, `${where}[${i}]`));
}

/** Keys Terraform itself gives meaning to in a resource or data block (not in nested blocks). */
const META_ARGUMENTS = new Set(["depends_on", "provider", "lifecycle", "provisioner", "connection"]);

/**
 * The body of a resource, data source or provider block (`topLevel`: meta-arguments apply), or
 * of a nested block in one.
 */
function writeBody(w: Writer, indent: string, body: JsonObject, shape: BlockShape, where: string, topLevel = false): void {
  for (const [key, value] of Object.entries(body)) {
    if (key === "//" || value === null) continue; // cdktf metadata; null means "not set"
    const nested = shape.blocks[key];
    if (nested) {
      writeNestedBlocks(w, indent, key, value, nested, `${where}.${key}`);
      continue;
    }
    if (key === "dynamic") {
      writeDynamic(w, indent, asObject(value, `${where}.dynamic`), shape, where);
    } else if (!topLevel || !META_ARGUMENTS.has(key)) {
      w.attribute(indent, key, valueExpression(value, templateExpression, indent));
    } else if (key === "depends_on") {
      w.attribute(indent, key, `[${(value as string[]).map(reference).join(", ")}]`);
    } else if (key === "provider") {
      w.attribute(indent, key, reference(value as string));
    } else if (key === "lifecycle") {
      writeLifecycle(w, indent, asObject(value, `${where}.lifecycle`));
    } else {
      throw new Error(`${where}: ${key} blocks are not supported by the HCL export`);
    }
  }
}

function writeNestedBlocks(w: Writer, indent: string, name: string, value: Json, nested: NestedBlock, where: string): void {
  if (nested.nesting === "map") {
    for (const [label, body] of Object.entries(asObject(value, where))) {
      for (const b of blockBodies(body, `${where}.${label}`)) {
        w.block(indent, `${name} ${literalString(label)}`, (inner) => writeBody(w, inner, b, nested.shape, where));
      }
    }
    return;
  }
  for (const b of blockBodies(value, where)) {
    w.block(indent, name, (inner) => writeBody(w, inner, b, nested.shape, where));
  }
}

function writeLifecycle(w: Writer, indent: string, lifecycle: JsonObject): void {
  w.block(indent, "lifecycle", (inner) => {
    for (const [key, value] of Object.entries(lifecycle)) {
      if (key === "ignore_changes" || key === "replace_triggered_by") {
        const refs = value === "all" ? "all" : `[${(value as string[]).map(reference).join(", ")}]`;
        w.attribute(inner, key, refs);
      } else if (key === "precondition" || key === "postcondition") {
        for (const c of blockBodies(value, key)) w.block(inner, key, (i2) => writeCondition(w, i2, c));
      } else {
        w.attribute(inner, key, valueExpression(value, templateExpression, inner));
      }
    }
  });
}

function writeDynamic(w: Writer, indent: string, dynamic: JsonObject, shape: BlockShape, where: string): void {
  for (const [name, spec] of Object.entries(dynamic)) {
    const { for_each: forEach, iterator, labels, content } = asObject(spec, `${where}.dynamic.${name}`);
    const nested = shape.blocks[name];
    if (!nested) throw new Error(`${where}: dynamic "${name}" is not a nested block of this type`);
    w.block(indent, `dynamic ${literalString(name)}`, (inner) => {
      w.attribute(inner, "for_each", valueExpression(forEach, templateExpression, inner));
      if (typeof iterator === "string") w.attribute(inner, "iterator", reference(iterator));
      if (labels !== undefined) w.attribute(inner, "labels", valueExpression(labels, templateExpression, inner));
      w.block(inner, "content", (i2) => writeBody(w, i2, asObject(content, `${where}.dynamic.${name}.content`), nested.shape, where));
    });
  }
}

/** `condition` is an expression, `error_message` a template (variable validation, check assert, pre/postcondition). */
function writeCondition(w: Writer, indent: string, body: JsonObject): void {
  for (const [key, value] of Object.entries(body)) {
    w.attribute(indent, key, valueExpression(value, templateExpression, indent));
  }
}

// ---------------------------------------------------------------- top level

function writeTerraformBlock(w: Writer, terraform: JsonObject): void {
  w.block("", "terraform", (inner) => {
    for (const [key, value] of Object.entries(terraform)) {
      if (key === "required_providers") {
        w.block(inner, key, (i2) => {
          for (const [name, req] of Object.entries(asObject(value, key))) {
            w.attribute(i2, name, valueExpression(req, literalString, i2));
          }
        });
      } else if (key === "backend") {
        for (const [type, settings] of Object.entries(asObject(value, key))) {
          w.block(inner, `backend ${literalString(type)}`, (i2) => {
            for (const [k, v] of Object.entries(asObject(settings, `backend.${type}`))) {
              w.attribute(i2, k, valueExpression(v, literalString, i2));
            }
          });
        }
      } else if (key === "cloud") {
        throw new Error("terraform.cloud is not supported by the HCL export");
      } else {
        w.attribute(inner, key, valueExpression(value, literalString, inner));
      }
    }
  });
}

function writeVariable(w: Writer, name: string, variable: JsonObject): void {
  w.block("", `variable ${literalString(name)}`, (inner) => {
    for (const [key, value] of Object.entries(variable)) {
      if (key === "type") w.attribute(inner, key, reference(value as string));
      else if (key === "validation") {
        for (const v of blockBodies(value, `variable.${name}.validation`)) {
          w.block(inner, "validation", (i2) => writeCondition(w, i2, v));
        }
      } else w.attribute(inner, key, valueExpression(value, literalString, inner)); // default, description: literals
    }
  });
}

function writeOutput(w: Writer, name: string, output: JsonObject): void {
  w.block("", `output ${literalString(name)}`, (inner) => {
    for (const [key, value] of Object.entries(output)) {
      if (key === "value") w.attribute(inner, key, valueExpression(value, templateExpression, inner));
      else if (key === "depends_on") w.attribute(inner, key, `[${(value as string[]).map(reference).join(", ")}]`);
      else if (key === "precondition") {
        for (const c of blockBodies(value, key)) w.block(inner, key, (i2) => writeCondition(w, i2, c));
      } else w.attribute(inner, key, valueExpression(value, literalString, inner));
    }
  });
}

function writeCheck(w: Writer, name: string, check: JsonObject, shapes: ProviderShapes): void {
  w.block("", `check ${literalString(name)}`, (inner) => {
    for (const [key, value] of Object.entries(check)) {
      if (key === "assert") {
        for (const a of blockBodies(value, `check.${name}.assert`)) w.block(inner, "assert", (i2) => writeCondition(w, i2, a));
      } else if (key === "data") {
        writeTyped(w, inner, "data", asObject(value, `check.${name}.data`), shapes.dataSources);
      } else throw new Error(`check.${name}: ${key} is not supported by the HCL export`);
    }
  });
}

function writeTyped(
  w: Writer,
  indent: string,
  keyword: "resource" | "data",
  byType: JsonObject,
  shapes: Readonly<Record<string, BlockShape>>,
): void {
  for (const [type, byName] of Object.entries(byType)) {
    const shape = shapes[type];
    if (!shape) throw new Error(`no provider schema for ${keyword} type ${type}`);
    for (const [name, body] of Object.entries(asObject(byName, `${keyword}.${type}`))) {
      w.line("", "");
      w.block(indent, `${keyword} ${literalString(type)} ${literalString(name)}`, (inner) =>
        writeBody(w, inner, asObject(body, `${keyword}.${type}.${name}`), shape, `${keyword}.${type}.${name}`, true),
      );
    }
  }
}

/** The order a person would write a root module in (JSON keeps cdktf's alphabetical order). */
const SECTION_ORDER = ["terraform", "provider", "variable", "locals", "data", "resource", "check", "output"];
function sectionRank(section: string): number {
  const rank = SECTION_ORDER.indexOf(section);
  return rank === -1 ? SECTION_ORDER.length : rank;
}

/** A whole `cdk.tf.json` document as the text of an equivalent `.tf` file. */
export function jsonToHcl(document: JsonObject, shapes: ProviderShapes): string {
  const w = new Writer();
  w.line("", "# Written by `npm run synth:hcl` from cdktf's Terraform JSON; equivalent to it, resource for resource.");
  const sections = Object.keys(document)
    .filter((s) => s !== "//") // cdktf metadata (construct paths), not configuration
    .sort((a, b) => sectionRank(a) - sectionRank(b));
  for (const section of sections) {
    const body = asObject(document[section], section);
    if (section !== "data" && section !== "resource") w.line("", "");
    switch (section) {
      case "terraform":
        writeTerraformBlock(w, body);
        break;
      case "provider":
        for (const [name, instances] of Object.entries(body)) {
          const shape = shapes.providers[name] ?? NO_BLOCKS;
          for (const p of blockBodies(instances, `provider.${name}`)) {
            w.block("", `provider ${literalString(name)}`, (inner) => writeBody(w, inner, p, shape, `provider.${name}`));
          }
        }
        break;
      case "variable":
        for (const [name, v] of Object.entries(body)) writeVariable(w, name, asObject(v, `variable.${name}`));
        break;
      case "locals":
        w.block("", "locals", (inner) => {
          for (const [name, v] of Object.entries(body)) w.attribute(inner, name, valueExpression(v, templateExpression, inner));
        });
        break;
      case "output":
        for (const [name, o] of Object.entries(body)) writeOutput(w, name, asObject(o, `output.${name}`));
        break;
      case "check":
        for (const [name, c] of Object.entries(body)) writeCheck(w, name, asObject(c, `check.${name}`), shapes);
        break;
      case "data":
        writeTyped(w, "", "data", body, shapes.dataSources);
        break;
      case "resource":
        writeTyped(w, "", "resource", body, shapes.resources);
        break;
      default:
        throw new Error(`top-level "${section}" is not supported by the HCL export`);
    }
  }
  return w.text();
}
