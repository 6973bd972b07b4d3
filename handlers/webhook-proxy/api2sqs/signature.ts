/**
 * Webhook signatures: an HMAC-SHA256 of the raw request body, keyed with a
 * secret shared with the sender, checked before anything is queued. Third
 * parties cannot sign with SigV4, but most sign their bodies this way:
 * GitHub (`X-Hub-Signature-256: sha256=<hex>`), and with another header,
 * prefix or encoding many others (base64 signatures, no prefix, ...).
 *
 * Configured by the environment (the stack sets it; unset = no check):
 * - `SIGNATURE_SECRET_PARAMETER`: SSM parameter (SecureString) holding the secret.
 *   The secret itself is never in the environment; `SigningSecrets` (`secrets.ts`)
 *   says when it is read.
 * - `SIGNATURE_HEADER` @default "x-hub-signature-256"
 * - `SIGNATURE_PREFIX` @default "sha256="
 * - `SIGNATURE_ENCODING`: `hex` or `base64`. @default "hex"
 *
 * A request whose signature header is missing or malformed is refused before
 * any secret is read: a flood of junk costs no Parameter Store call.
 */
import { createHmac, timingSafeEqual } from "node:crypto";
import type { APIGatewayProxyEventV2 } from "aws-lambda";
import { Environment, oneOf, optionalString } from "../../shared/env";
import { errorResponse, headerValue, JsonResponse } from "../../shared/http";
import { PARAMETER_READ_BUDGET_MS, readSecureParameter } from "../../shared/ssm-parameter";
import type { Deadline } from "../../shared/time-budget";
import { ReadSecret, SecretUnavailableError, SigningSecrets } from "./secrets";

export {
  FAILED_READ_RETRY_MS,
  SECRET_MAX_AGE_MS,
  SECRET_RECHECK_INTERVAL_MS,
  SECRET_TTL_MS,
  SigningSecrets,
  type ReadSecret,
} from "./secrets";

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

/** The reason of a well-formed signature made with another secret (or over other bytes): the one failure a rotated secret explains. */
export const MISMATCH = "signature does not match the body";

/** The request's body bytes exactly as sent (API Gateway base64-encodes bodies it does not treat as text). */
export function rawBody(event: Pick<APIGatewayProxyEventV2, "body" | "isBase64Encoded">): Buffer {
  if (event.body === undefined || event.body === null) return Buffer.alloc(0);
  return Buffer.from(event.body, event.isBase64Encoded ? "base64" : "utf8");
}

/** The signature the request carries, or why it is not a well-formed one; needs no secret. */
export function presentedSignature(
  headers: APIGatewayProxyEventV2["headers"] | undefined,
  scheme: SignatureScheme,
): { readonly ok: true; readonly digest: Buffer } | { readonly ok: false; readonly reason: string } {
  const value = headerValue(headers, scheme.header);
  if (value === undefined || value === "") return { ok: false, reason: `missing ${scheme.header} header` };
  if (!value.startsWith(scheme.prefix)) return { ok: false, reason: `${scheme.header} does not start with "${scheme.prefix}"` };
  const encoded = value.slice(scheme.prefix.length).trim();
  if (!ENCODED[scheme.encoding].test(encoded)) return { ok: false, reason: `${scheme.header} is not a ${scheme.encoding} SHA-256 digest` };
  return { ok: true, digest: Buffer.from(encoded, scheme.encoding) };
}

/** Checks the signature header against the HMAC-SHA256 of `body`; constant-time comparison of the digests. */
export function verifySignature(
  headers: APIGatewayProxyEventV2["headers"] | undefined,
  body: Buffer,
  secret: string,
  scheme: SignatureScheme,
): SignatureResult {
  const presented = presentedSignature(headers, scheme);
  if (!presented.ok) return presented;
  const expected = createHmac("sha256", secret).update(body).digest();
  // Both are 32 bytes (the format check), as timingSafeEqual requires.
  return timingSafeEqual(presented.digest, expected) ? { ok: true } : { ok: false, reason: MISMATCH };
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

const readFromSsm: ReadSecret = (name, signal) => readSecureParameter(name, { signal });

/** This container's secrets (module scope: kept across warm invocations). */
const containerSecrets = new SigningSecrets();

export interface SignatureDeps {
  /** Reads the secret parameter. @default SSM (`readSecureParameter`) */
  readonly read?: ReadSecret;
  /** The invocation's deadline: each read gets at most PARAMETER_READ_BUDGET_MS of its time left. @default none (the client's own bounds) */
  readonly deadline?: Deadline;
  /** @default the container's */
  readonly secrets?: SigningSecrets;
}

/** 401 with the reason, logged. */
function refused(event: APIGatewayProxyEventV2, reason: string): JsonResponse {
  console.warn(JSON.stringify({ event: "webhook_signature_rejected", requestId: event.requestContext?.requestId, reason }));
  return errorResponse(401, `Invalid webhook signature: ${reason}`);
}

/**
 * The answer refusing `event`, or undefined when it may be queued (signed
 * correctly, or no check configured): 401 `{ message }` for a missing,
 * malformed or wrong signature; 503 when the secret cannot be read (the
 * sender retries later). The signature's form is checked before any secret
 * is read. A well-formed signature that does not match is checked once more
 * against the secret read anew (`SigningSecrets.recheck`) before the 401:
 * after a rotation, a warm container accepts the new secret's signatures at
 * once. When that cannot be settled (the read fails), the answer is 503, not
 * 401. At most one SSM read per request, bounded by `deps.deadline`.
 */
export async function rejectUnsigned(
  event: APIGatewayProxyEventV2,
  env: Environment = process.env,
  deps: SignatureDeps = {},
): Promise<JsonResponse | undefined> {
  const scheme = schemeFromEnv(env);
  if (!scheme) return undefined;
  // Junk is refused here, before any secret is read.
  const presented = presentedSignature(event.headers, scheme);
  if (!presented.ok) return refused(event, presented.reason);

  const read = deps.read ?? readFromSsm;
  const secrets = deps.secrets ?? containerSecrets;
  const signal = (): AbortSignal | undefined => deps.deadline?.signal(PARAMETER_READ_BUDGET_MS);
  const unavailable = (err: unknown): JsonResponse => {
    console.error(JSON.stringify({ event: "signing_secret_unavailable", parameter: scheme.parameter, error: String(err) }));
    const expired = err instanceof SecretUnavailableError && err.expired;
    return errorResponse(
      503,
      expired
        ? "The webhook could not be verified: the signing secret could not be refreshed in time; please retry"
        : "The webhook could not be verified; please retry",
      { "retry-after": "5" },
    );
  };

  let secret: { value: string; source: "kept" | "read" | "stale" };
  try {
    secret = await secrets.current(scheme.parameter, read, signal());
  } catch (err) {
    return unavailable(err);
  }
  const body = rawBody(event);
  let result = verifySignature(event.headers, body, secret.value, scheme);
  // One SSM read per request at most: a mismatch with a secret that could not be refreshed now cannot be settled.
  if (!result.ok && result.reason === MISMATCH && secret.source === "stale") {
    return unavailable(new Error("signature does not match the kept secret, which could not be refreshed"));
  }
  if (!result.ok && result.reason === MISMATCH && secret.source === "kept") {
    let fresh: string | undefined;
    try {
      fresh = await secrets.recheck(scheme.parameter, secret.value, read, signal());
    } catch (err) {
      return unavailable(err);
    }
    if (fresh !== undefined) {
      result = verifySignature(event.headers, body, fresh, scheme);
      console.log(JSON.stringify({ event: "signing_secret_changed", parameter: scheme.parameter, verified: result.ok }));
    }
  }
  return result.ok ? undefined : refused(event, result.reason);
}
