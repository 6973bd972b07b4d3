/**
 * Webhook signatures: an HMAC-SHA256 of the raw request body, keyed with a
 * secret shared with the sender, checked before anything is queued. Third
 * parties cannot sign with SigV4, but most sign their bodies this way:
 * GitHub (`X-Hub-Signature-256: sha256=<hex>`), and with another header,
 * prefix or encoding many others (base64 signatures, no prefix, ...).
 *
 * Configured by the environment (the stack sets it; unset = no check):
 * - `SIGNATURE_SECRET_PARAMETER`: SSM parameter (SecureString) holding the secret.
 *   The secret itself is never in the environment; it is read once per container.
 * - `SIGNATURE_HEADER` @default "x-hub-signature-256"
 * - `SIGNATURE_PREFIX` @default "sha256="
 * - `SIGNATURE_ENCODING`: `hex` or `base64`. @default "hex"
 *
 * Schemes that also sign a timestamp (Stripe, Slack) need the timestamp in the
 * signed text and a replay window; see the stack README ("Signed webhooks").
 */
import { createHmac, timingSafeEqual } from "node:crypto";
import type { APIGatewayProxyEventV2 } from "aws-lambda";
import { Environment, oneOf, optionalString } from "../../shared/env";
import { errorResponse, headerValue, JsonResponse } from "../../shared/http";
import { readSecureParameter } from "../../shared/ssm-parameter";

export type SignatureEncoding = "hex" | "base64";

export interface SignatureScheme {
  /** Request header carrying the signature (matched case-insensitively). */
  readonly header: string;
  /** Text before the encoded HMAC in the header value, e.g. `sha256=`; may be empty. */
  readonly prefix: string;
  readonly encoding: SignatureEncoding;
}

export const DEFAULT_SCHEME: SignatureScheme = { header: "x-hub-signature-256", prefix: "sha256=", encoding: "hex" };

/** Why a signature was refused (logged; the sender sees a short message). */
export type SignatureResult = { readonly ok: true } | { readonly ok: false; readonly reason: string };

const ENCODED = { hex: /^[0-9a-fA-F]{64}$/, base64: /^[A-Za-z0-9+/]{43}=$/ } as const;

/** The request's body bytes exactly as sent (API Gateway base64-encodes bodies it does not treat as text). */
export function rawBody(event: Pick<APIGatewayProxyEventV2, "body" | "isBase64Encoded">): Buffer {
  if (event.body === undefined || event.body === null) return Buffer.alloc(0);
  return Buffer.from(event.body, event.isBase64Encoded ? "base64" : "utf8");
}

/** Checks the signature header against the HMAC-SHA256 of `body`; constant-time comparison of the digests. */
export function verifySignature(
  headers: APIGatewayProxyEventV2["headers"] | undefined,
  body: Buffer,
  secret: string,
  scheme: SignatureScheme,
): SignatureResult {
  const value = headerValue(headers, scheme.header);
  if (value === undefined || value === "") return { ok: false, reason: `missing ${scheme.header} header` };
  if (!value.startsWith(scheme.prefix)) return { ok: false, reason: `${scheme.header} does not start with "${scheme.prefix}"` };
  const encoded = value.slice(scheme.prefix.length).trim();
  if (!ENCODED[scheme.encoding].test(encoded)) return { ok: false, reason: `${scheme.header} is not a ${scheme.encoding} SHA-256 digest` };
  const given = Buffer.from(encoded, scheme.encoding);
  const expected = createHmac("sha256", secret).update(body).digest();
  // Both are 32 bytes here (checked above), as timingSafeEqual requires.
  return timingSafeEqual(given, expected) ? { ok: true } : { ok: false, reason: "signature does not match the body" };
}

/**
 * The scheme the environment configures, or undefined when no secret parameter is set (no check).
 * An invalid `SIGNATURE_ENCODING` is a ConfigError (`env.ts`).
 */
export function schemeFromEnv(env: Environment): (SignatureScheme & { readonly parameter: string }) | undefined {
  const parameter = optionalString("SIGNATURE_SECRET_PARAMETER", { default: "" }, env);
  if (parameter === "") return undefined;
  return {
    parameter,
    header: optionalString("SIGNATURE_HEADER", { default: DEFAULT_SCHEME.header }, env),
    // An empty prefix is a scheme of its own (the digest alone), not a request for the default.
    prefix: optionalString("SIGNATURE_PREFIX", { default: DEFAULT_SCHEME.prefix, keepEmpty: true }, env),
    encoding: oneOf<SignatureEncoding>("SIGNATURE_ENCODING", { values: ["hex", "base64"], default: DEFAULT_SCHEME.encoding }, env),
  };
}

/** The secret, read once per container (cold start) and kept; a failed read is retried on the next request. */
const secrets = new Map<string, Promise<string>>();
function secretOf(parameter: string, read: (name: string) => Promise<string>): Promise<string> {
  let secret = secrets.get(parameter);
  if (!secret) {
    secret = read(parameter);
    secrets.set(parameter, secret);
    secret.catch(() => secrets.delete(parameter));
  }
  return secret;
}

/**
 * The answer refusing `event`, or undefined when it may be queued (signed
 * correctly, or no check configured): 401 `{ message }` for a bad or missing
 * signature; 503 when the secret cannot be read (the sender retries later).
 */
export async function rejectUnsigned(
  event: APIGatewayProxyEventV2,
  env: Environment = process.env,
  read: (name: string) => Promise<string> = readSecureParameter,
): Promise<JsonResponse | undefined> {
  const scheme = schemeFromEnv(env);
  if (!scheme) return undefined;
  let secret: string;
  try {
    secret = await secretOf(scheme.parameter, read);
  } catch (err) {
    console.error(JSON.stringify({ event: "signing_secret_unavailable", parameter: scheme.parameter, error: String(err) }));
    return errorResponse(503, "The webhook could not be verified; please retry", { "retry-after": "5" });
  }
  const result = verifySignature(event.headers, rawBody(event), secret, scheme);
  if (result.ok) return undefined;
  console.warn(JSON.stringify({ event: "webhook_signature_rejected", requestId: event.requestContext?.requestId, reason: result.reason }));
  return errorResponse(401, `Invalid webhook signature: ${result.reason}`);
}
