/**
 * From an API Gateway (REST, Lambda proxy) event to a validated translation
 * request. Pure functions: no SDK, no environment, so every rule is testable
 * on its own. API Gateway's request validators already reject the obvious
 * cases (missing `input_text`, a body that breaks the model); these checks
 * hold for direct invocations too, and cover what a validator cannot see
 * (byte length, lone surrogates).
 */
import type { APIGatewayProxyEvent } from "aws-lambda";
import { bodyText, ClientError, hasLoneSurrogate, headerValue, parseJsonObject } from "../shared/http";

/** Amazon Translate's real-time limit for TranslateText: 10,000 bytes of UTF-8. */
export const MAX_TEXT_BYTES = 10_000;
/** The hands-on translates Japanese to English. */
export const DEFAULT_SOURCE_LANGUAGE = "ja";
export const DEFAULT_TARGET_LANGUAGE = "en";
/** `source=auto`: Amazon Translate detects the language (it calls Amazon Comprehend for us). */
export const AUTO = "auto";
/** Largest POST body read: 10,000 bytes of text, JSON-escaped as `\uXXXX` at worst, plus the other fields. */
export const MAX_BODY_BYTES = 64 * 1024;

/** Translate's codes: two letters, optionally a region or script variant (`zh-TW`, `fa-AF`, `es-MX`). */
const LANGUAGE_CODE = /^[a-z]{2}(-[a-z]{2})?$/i;
const FIELDS = ["input_text", "source", "target"] as const;
type Field = (typeof FIELDS)[number];

export interface TranslateRequest {
  readonly text: string;
  /** A language code, or `auto`. */
  readonly source: string;
  readonly target: string;
}

/** Raw field values as the caller sent them (undefined when absent). */
type RawFields = Partial<Record<Field, unknown>>;

/** The request a GET (query string) or POST (JSON body) event carries; anything else is a 4xx ClientError. */
export function parseRequest(event: APIGatewayProxyEvent): TranslateRequest {
  switch (event.httpMethod) {
    case "GET":
      return validate(fromQuery(event));
    case "POST":
      return validate(fromBody(event));
    default:
      throw new ClientError(405, `Method ${event.httpMethod} is not allowed; use GET or POST`);
  }
}

/**
 * `?input_text=a&input_text=b`: the last value counts, the project's one rule
 * for repeated parameters (`lastQueryValues` in `../shared/http`); it is the
 * value a REST API's `queryStringParameters` holds, and the last of `multiValueQueryStringParameters`.
 */
function fromQuery(event: APIGatewayProxyEvent): RawFields {
  const single = event.queryStringParameters ?? {};
  const multi = event.multiValueQueryStringParameters ?? {};
  const fields: RawFields = {};
  for (const name of FIELDS) {
    const values = multi[name];
    fields[name] = values && values.length > 0 ? values[values.length - 1] : (single[name] ?? undefined);
  }
  return fields;
}

function fromBody(event: APIGatewayProxyEvent): RawFields {
  const contentType = headerValue(event.headers, "content-type");
  if (contentType !== undefined && contentType.split(";")[0].trim().toLowerCase() !== "application/json") {
    throw new ClientError(415, "Content-Type must be application/json");
  }
  const body = parseJsonObject(bodyText(event.body, event.isBase64Encoded), MAX_BODY_BYTES);
  const unknown = Object.keys(body).filter((key) => !(FIELDS as readonly string[]).includes(key));
  if (unknown.length > 0) {
    throw new ClientError(400, `Unknown field(s) ${unknown.map((k) => `"${k}"`).join(", ")}; expected ${FIELDS.join(", ")}`);
  }
  return { input_text: body.input_text, source: body.source, target: body.target };
}

function validate(fields: RawFields): TranslateRequest {
  const text = fields.input_text;
  if (text === undefined || text === null) throw new ClientError(400, '"input_text" is required');
  if (typeof text !== "string") throw new ClientError(400, '"input_text" must be a string');
  if (text.trim() === "") throw new ClientError(400, '"input_text" must not be empty');
  if (hasLoneSurrogate(text)) throw new ClientError(400, '"input_text" is not valid Unicode (lone surrogate)');
  const bytes = Buffer.byteLength(text, "utf8");
  if (bytes > MAX_TEXT_BYTES) {
    throw new ClientError(400, `"input_text" is ${bytes} bytes; Amazon Translate accepts at most ${MAX_TEXT_BYTES} bytes of UTF-8`);
  }

  const source = languageCode("source", fields.source, DEFAULT_SOURCE_LANGUAGE, true);
  const target = languageCode("target", fields.target, DEFAULT_TARGET_LANGUAGE, false);
  if (source === target) throw new ClientError(400, `"source" and "target" are both "${source}"; nothing to translate`);
  return { text, source, target };
}

/** A normalized code (`ZH-tw` -> `zh-TW`), the default when absent, or a 400 naming the field. */
function languageCode(field: "source" | "target", value: unknown, fallback: string, autoAllowed: boolean): string {
  if (value === undefined || value === null) return fallback;
  const example = autoAllowed ? '"auto" or a language code such as "ja" or "zh-TW"' : 'a language code such as "en" or "zh-TW"';
  if (typeof value !== "string") throw new ClientError(400, `"${field}" must be ${example}`);
  if (autoAllowed && value.toLowerCase() === AUTO) return AUTO;
  if (!LANGUAGE_CODE.test(value)) throw new ClientError(400, `"${field}" must be ${example}, got "${value.slice(0, 20)}"`);
  const [language, variant] = value.split("-");
  return variant === undefined ? language.toLowerCase() : `${language.toLowerCase()}-${variant.toUpperCase()}`;
}
