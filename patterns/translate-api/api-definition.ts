/**
 * The literal parts of the REST API, kept apart from the resources so the
 * pattern reads as wiring and the redeploy trigger can hash them in one piece.
 */

/** Language code pattern shared by the body model (the handler applies the same rule). */
const LANGUAGE_CODE = "^[A-Za-z]{2}(-[A-Za-z]{2})?$";

/**
 * `POST /translate` body (JSON Schema draft 4, what API Gateway models speak).
 * `maxLength` counts characters; the handler also enforces Translate's
 * 10,000-byte UTF-8 limit, which a schema cannot express.
 */
export const TRANSLATE_REQUEST_SCHEMA = {
  $schema: "http://json-schema.org/draft-04/schema#",
  title: "TranslateRequest",
  type: "object",
  required: ["input_text"],
  additionalProperties: false,
  properties: {
    input_text: { type: "string", minLength: 1, maxLength: 10000 },
    source: { type: "string", pattern: `^(auto|${LANGUAGE_CODE.slice(1, -1)})$` },
    target: { type: "string", pattern: LANGUAGE_CODE },
  },
} as const;

/**
 * `GET /translate` query string: `input_text` required (the request validator
 * answers 400 before Lambda runs when it is missing), `source` / `target` optional.
 */
export const TRANSLATE_QUERY_PARAMETERS: Record<string, boolean> = {
  "method.request.querystring.input_text": true,
  "method.request.querystring.source": false,
  "method.request.querystring.target": false,
};

/** The MOCK integration's request template: tells the mock which status to answer (the hands-on's). */
export const MOCK_REQUEST_TEMPLATE = '{"statusCode": 200}';

/** What `GET /mock` answers by default: the same shape as `/translate`, so clients can be built against it. */
export const DEFAULT_MOCK_RESPONSE: Readonly<Record<string, string>> = {
  output_text: "Hello, this is a mock response from API Gateway",
  source_language: "ja",
  target_language: "en",
};
