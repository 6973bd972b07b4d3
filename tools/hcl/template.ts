/**
 * Terraform JSON strings as HCL strings, for the HCL writer (./writer.ts): a JSON string is a
 * template in both syntaxes; only the string-literal escaping differs, so the literal parts
 * are re-escaped and the `${...}` / `%{...}` parts are copied verbatim. A string that is one
 * interpolation and nothing else becomes the bare expression.
 */

export type TemplatePart = { kind: "literal"; text: string } | { kind: "code"; text: string };

/**
 * Splits a template (the text of a JSON string) into literal text and `${...}` / `%{...}` parts.
 * `$${` and `%%{` are escapes for a literal `${` / `%{` and stay as they are.
 */
export function parseTemplate(source: string): TemplatePart[] {
  const parts: TemplatePart[] = [];
  let literal = "";
  let i = 0;
  while (i < source.length) {
    const two = source.slice(i, i + 2);
    const three = source.slice(i, i + 3);
    if (three === "$${" || three === "%%{") {
      literal += three;
      i += 3;
    } else if (two === "${" || two === "%{") {
      if (literal) parts.push({ kind: "literal", text: literal });
      literal = "";
      const end = closingBrace(source, i + 2);
      parts.push({ kind: "code", text: source.slice(i, end + 1) });
      i = end + 1;
    } else {
      literal += source[i];
      i += 1;
    }
  }
  if (literal) parts.push({ kind: "literal", text: literal });
  return parts;
}

/** Index of the `}` that closes an interpolation whose expression starts at `start`. */
function closingBrace(source: string, start: number): number {
  let depth = 0;
  let i = start;
  while (i < source.length) {
    const c = source[i];
    if (c === '"') {
      i = endOfQuoted(source, i + 1);
      continue;
    }
    if (c === "{") depth += 1;
    if (c === "}") {
      if (depth === 0) return i;
      depth -= 1;
    }
    i += 1;
  }
  throw new Error(`unterminated interpolation in template: ${source}`);
}

/** Index just past the `"` that ends a quoted string inside an expression (which may nest templates). */
function endOfQuoted(source: string, start: number): number {
  let i = start;
  while (i < source.length) {
    const c = source[i];
    const three = source.slice(i, i + 3);
    if (c === "\\") i += 2;
    else if (three === "$${" || three === "%%{") i += 3;
    else if (source.startsWith("${", i) || source.startsWith("%{", i)) i = closingBrace(source, i + 2) + 1;
    else if (c === '"') return i + 1;
    else i += 1;
  }
  throw new Error(`unterminated string in expression: ${source}`);
}

/** Escapes literal text for a quoted HCL string (template escapes such as `$${` are left alone). */
function escapeLiteral(text: string): string {
  return text.replace(/[\\"\n\r\t\u0000-\u001f\u007f]/g, (c) => {
    switch (c) {
      case "\\":
        return "\\\\";
      case '"':
        return '\\"';
      case "\n":
        return "\\n";
      case "\r":
        return "\\r";
      case "\t":
        return "\\t";
      default:
        return `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`;
    }
  });
}

/** A JSON-syntax template as an HCL expression: a bare expression if it is only one interpolation. */
export function templateExpression(source: string): string {
  const parts = parseTemplate(source);
  if (parts.length === 1 && parts[0].kind === "code" && parts[0].text.startsWith("${")) {
    const inner = parts[0].text.slice(2, -1);
    // `${~ x ~}` strip markers mean nothing outside a template; keep the template then.
    if (!inner.startsWith("~") && !inner.endsWith("~")) return inner.includes("\n") ? `(${inner})` : inner;
  }
  return quotedTemplate(parts);
}

export function quotedTemplate(parts: readonly TemplatePart[]): string {
  return `"${parts.map((p) => (p.kind === "literal" ? escapeLiteral(p.text) : p.text)).join("")}"`;
}

/** Text that must stay text (variable defaults, descriptions, backend settings): no interpolation. */
export function literalString(text: string): string {
  return `"${escapeLiteral(text).replace(/([$%])\{/g, (_m, sign: string) => `${sign}${sign}{`)}"`;
}
