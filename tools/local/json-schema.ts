/**
 * The JSON Schema (draft 4) keywords API Gateway request models in this
 * project use: type, required, properties, additionalProperties (boolean),
 * minLength, maxLength, pattern, enum. A schema with another keyword is
 * refused when checked, rather than half-validated.
 */
const KNOWN = new Set(["$schema", "title", "description", "type", "required", "properties", "additionalProperties", "minLength", "maxLength", "pattern", "enum"]);

type Schema = Record<string, unknown>;

const typeOf = (value: unknown): string =>
  value === null ? "null" : Array.isArray(value) ? "array" : typeof value === "number" && Number.isInteger(value) ? "integer" : typeof value;

/** Error messages (empty: valid). */
export function validateJsonSchema(schema: unknown, value: unknown, at = "$"): string[] {
  const s = schema as Schema;
  for (const key of Object.keys(s)) if (!KNOWN.has(key)) throw new Error(`request model keyword "${key}" is not checked locally`);
  const errors: string[] = [];
  if (typeof s.type === "string") {
    const actual = typeOf(value);
    const ok = actual === s.type || (s.type === "number" && actual === "integer");
    if (!ok) return [`${at}: expected ${s.type}, got ${actual}`];
  }
  if (Array.isArray(s.enum) && !s.enum.includes(value)) errors.push(`${at}: not one of ${JSON.stringify(s.enum)}`);
  if (typeof value === "string") {
    const length = [...value].length;
    if (typeof s.minLength === "number" && length < s.minLength) errors.push(`${at}: shorter than ${s.minLength}`);
    if (typeof s.maxLength === "number" && length > s.maxLength) errors.push(`${at}: longer than ${s.maxLength}`);
    if (typeof s.pattern === "string" && !new RegExp(s.pattern, "u").test(value)) errors.push(`${at}: does not match ${s.pattern}`);
  }
  if (value && typeof value === "object" && !Array.isArray(value)) {
    const object = value as Record<string, unknown>;
    const properties = (s.properties ?? {}) as Record<string, unknown>;
    for (const name of (s.required as string[] | undefined) ?? []) if (!(name in object)) errors.push(`${at}: required property "${name}" is missing`);
    for (const [name, v] of Object.entries(object)) {
      if (name in properties) errors.push(...validateJsonSchema(properties[name], v, `${at}.${name}`));
      else if (s.additionalProperties === false) errors.push(`${at}: property "${name}" is not allowed`);
    }
  }
  return errors;
}
