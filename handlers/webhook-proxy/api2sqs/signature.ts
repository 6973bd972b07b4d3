/**
 * Webhook signatures, checked before anything is queued: each sender's own
 * scheme by name (`schemes.ts`), an HMAC-SHA256 keyed with a secret shared
 * with the sender, or (SendGrid) an ECDSA signature checked with its public key.
 *
 * Configured by the environment (the stack sets it; no scheme and no secret
 * parameter = no check):
 * - `SIGNATURE_SCHEME`: `hmac` (generic, below), `github`, `stripe`,
 *   `standard-webhooks`, `slack`, `shopify` or `sendgrid`. @default "hmac"
 * - `SIGNATURE_SECRET_PARAMETER`: SSM parameter (SecureString) holding the shared
 *   secret, for every scheme but `sendgrid`. One secret per line: during a
 *   rotation, the new and the old, either verifies. The secret itself is never
 *   in the environment; `SigningSecrets` (`secrets.ts`) says when it is read.
 * - `SIGNATURE_PUBLIC_KEY` (`sendgrid`): the verification key SendGrid shows,
 *   base64 of its DER (SPKI) P-256 public key; several separated by spaces
 *   or commas during a rotation. Configuration, not a secret.
 * - `SIGNATURE_TOLERANCE_SECONDS`: how far a signed timestamp may be from now,
 *   either way (`stripe`, `standard-webhooks`, `slack`, `sendgrid`). @default 300
 * - `SIGNATURE_HEADER` / `SIGNATURE_PREFIX` / `SIGNATURE_ENCODING` (`hex` or
 *   `base64`): the generic scheme's header. @default "x-hub-signature-256" / "sha256=" / "hex"
 *
 * A request whose signature headers are missing or malformed, or whose signed
 * timestamp is out of the window, is refused before any secret is read: a
 * flood of junk costs no Parameter Store call.
 */
import { log } from "../../shared/observability";
import { createPublicKey, type KeyObject } from "node:crypto";
import type { APIGatewayProxyEventV2 } from "aws-lambda";
import { ConfigError, Environment, integer, oneOf, optionalString } from "../../shared/env";
import { errorResponse, JsonResponse } from "../../shared/http";
import { PARAMETER_READ_BUDGET_MS, readSecureParameter } from "../../shared/ssm-parameter";
import type { Deadline } from "../../shared/time-budget";
import {
  anyEcdsaVerifies,
  anyHmacMatches,
  GITHUB_FORMAT,
  type HmacFormat,
  presentedSignatures,
  type SchemeName,
  SCHEMES,
  type SignatureEncoding,
  TIMESTAMPED,
  timestampProblem,
} from "./schemes";
import { ReadSecret, SecretSource, SecretUnavailableError, SigningSecrets } from "./secrets";

export {
  FAILED_READ_RETRY_MS,
  SECRET_MAX_AGE_MS,
  SECRET_RECHECK_INTERVAL_MS,
  SECRET_TTL_MS,
  SigningSecrets,
  type ReadSecret,
} from "./secrets";
export { SCHEMES, type SchemeName, type SignatureEncoding } from "./schemes";

/** The generic scheme's header, prefix and encoding. */
export type SignatureScheme = HmacFormat;

export const DEFAULT_SCHEME: SignatureScheme = GITHUB_FORMAT;

/** Tolerance of signed timestamps when `SIGNATURE_TOLERANCE_SECONDS` is unset: Stripe's and Slack's 5 minutes. */
export const DEFAULT_TOLERANCE_SECONDS = 300;

/** Why a signature was refused (logged; the sender sees a short message). */
export type SignatureResult = { readonly ok: true } | { readonly ok: false; readonly reason: string };

/** The reason of a well-formed signature made with another secret or key (or over other bytes): the one failure a rotated secret explains. */
export const MISMATCH = "signature does not match the body";

/** The request's body bytes exactly as sent (API Gateway base64-encodes bodies it does not treat as text). */
export function rawBody(event: Pick<APIGatewayProxyEventV2, "body" | "isBase64Encoded">): Buffer {
  if (event.body === undefined || event.body === null) return Buffer.alloc(0);
  return Buffer.from(event.body, event.isBase64Encoded ? "base64" : "utf8");
}

/** The generic scheme's check of one secret (GitHub's by default); constant-time comparison of the digests. */
export function verifySignature(
  headers: APIGatewayProxyEventV2["headers"] | undefined,
  body: Buffer,
  secret: string,
  scheme: SignatureScheme,
): SignatureResult {
  const parsed = presentedSignatures("hmac", headers, scheme);
  if (!parsed.ok) return parsed;
  return anyHmacMatches("hmac", parsed.presented, body, [secret]) ? { ok: true } : { ok: false, reason: MISMATCH };
}

/** What the environment configures: the scheme, where its secret or keys come from, the timestamp window. */
export interface SignatureConfig {
  readonly scheme: SchemeName;
  /** The generic scheme's header (the named schemes fix their own). */
  readonly format: SignatureScheme;
  /** The secret's SSM parameter (every scheme but `sendgrid`). */
  readonly parameter?: string;
  /** SendGrid's verification keys. */
  readonly publicKeys?: readonly KeyObject[];
  readonly toleranceSeconds: number;
}

const parsedKeys = new Map<string, readonly KeyObject[]>();

/** `SIGNATURE_PUBLIC_KEY`: base64 DER (SPKI) P-256 keys, separated by spaces or commas; anything else is a ConfigError. */
export function publicKeysFrom(text: string): readonly KeyObject[] {
  const known = parsedKeys.get(text);
  if (known) return known;
  const items = text.split(/[\s,]+/).filter((k) => k !== "");
  if (items.length === 0) throw new ConfigError("SIGNATURE_PUBLIC_KEY", "SIGNATURE_PUBLIC_KEY is not set: the sendgrid scheme needs SendGrid's verification key (base64).");
  const keys = items.map((item, i) => {
    let key: KeyObject;
    try {
      key = createPublicKey({ key: Buffer.from(item, "base64"), format: "der", type: "spki" });
    } catch {
      throw new ConfigError("SIGNATURE_PUBLIC_KEY", `SIGNATURE_PUBLIC_KEY key ${i + 1} is not a base64 DER public key.`);
    }
    if (key.asymmetricKeyType !== "ec" || key.asymmetricKeyDetails?.namedCurve !== "prime256v1") {
      throw new ConfigError("SIGNATURE_PUBLIC_KEY", `SIGNATURE_PUBLIC_KEY key ${i + 1} is not an ECDSA P-256 key.`);
    }
    return key;
  });
  parsedKeys.set(text, keys);
  return keys;
}

/**
 * The check the environment configures, or undefined when neither a scheme nor a
 * secret parameter is set (no check). A setting the scheme cannot work with is a ConfigError (`env.ts`).
 */
export function signatureConfigFromEnv(env: Environment): SignatureConfig | undefined {
  const named = optionalString("SIGNATURE_SCHEME", { default: "" }, env);
  const parameter = optionalString("SIGNATURE_SECRET_PARAMETER", { default: "" }, env);
  if (named === "" && parameter === "") return undefined;
  const scheme = oneOf<SchemeName>("SIGNATURE_SCHEME", { values: SCHEMES, default: "hmac" }, env);
  const toleranceSeconds = integer("SIGNATURE_TOLERANCE_SECONDS", { min: 1, max: 86_400, default: DEFAULT_TOLERANCE_SECONDS }, env);
  const format: SignatureScheme =
    scheme === "hmac"
      ? {
          header: optionalString("SIGNATURE_HEADER", { default: DEFAULT_SCHEME.header }, env),
          // An empty prefix is a scheme of its own (the digest alone), not a request for the default.
          prefix: optionalString("SIGNATURE_PREFIX", { default: DEFAULT_SCHEME.prefix, keepEmpty: true }, env),
          encoding: oneOf<SignatureEncoding>("SIGNATURE_ENCODING", { values: ["hex", "base64"], default: DEFAULT_SCHEME.encoding }, env),
        }
      : DEFAULT_SCHEME;
  if (scheme === "sendgrid") return { scheme, format, publicKeys: publicKeysFrom(optionalString("SIGNATURE_PUBLIC_KEY", { default: "" }, env)), toleranceSeconds };
  if (parameter === "") throw new ConfigError("SIGNATURE_SECRET_PARAMETER", `SIGNATURE_SECRET_PARAMETER is not set: the ${scheme} scheme needs the shared secret's parameter.`);
  return { scheme, format, parameter, toleranceSeconds };
}

/** The secrets a parameter holds: one per line (a rotation: the new and the old). */
export function secretsIn(value: string): string[] {
  return value.split(/\r?\n/).filter((line) => line !== "");
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
  /** The clock signed timestamps are checked against, epoch ms. @default Date.now */
  readonly now?: () => number;
}

/** 401 with the reason, logged. */
function refused(event: APIGatewayProxyEventV2, reason: string): JsonResponse {
  log().warn("webhook_signature_rejected", { event: "webhook_signature_rejected", requestId: event.requestContext?.requestId, reason });
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
  const config = signatureConfigFromEnv(env);
  if (!config) return undefined;
  // Junk is refused here, before any secret is read.
  const parsed = presentedSignatures(config.scheme, event.headers, config.format);
  if (!parsed.ok) return refused(event, parsed.reason);
  const presented = parsed.presented;
  if (TIMESTAMPED.has(config.scheme) && presented.timestamp !== undefined) {
    const problem = timestampProblem(presented.timestamp, Math.floor((deps.now ?? Date.now)() / 1000), config.toleranceSeconds);
    if (problem !== undefined) return refused(event, problem);
  }
  const body = rawBody(event);
  if (config.publicKeys) return anyEcdsaVerifies(presented, body, config.publicKeys) ? undefined : refused(event, MISMATCH);

  const parameter = config.parameter as string;
  const read = deps.read ?? readFromSsm;
  const secrets = deps.secrets ?? containerSecrets;
  const signal = (): AbortSignal | undefined => deps.deadline?.signal(PARAMETER_READ_BUDGET_MS);
  const unavailable = (err: unknown): JsonResponse => {
    log().error("signing_secret_unavailable", { event: "signing_secret_unavailable", parameter, error: String(err) });
    const expired = err instanceof SecretUnavailableError && err.expired;
    return errorResponse(
      503,
      expired
        ? "The webhook could not be verified: the signing secret could not be refreshed in time; please retry"
        : "The webhook could not be verified; please retry",
      { "retry-after": "5" },
    );
  };
  const matches = (value: string): boolean => anyHmacMatches(config.scheme, presented, body, secretsIn(value));

  let secret: { value: string; source: SecretSource };
  try {
    secret = await secrets.current(parameter, read, signal());
  } catch (err) {
    return unavailable(err);
  }
  if (matches(secret.value)) return undefined;
  // One SSM read per request at most: a mismatch with a secret that could not be refreshed now cannot be settled.
  if (secret.source === "stale") return unavailable(new Error("signature does not match the kept secret, which could not be refreshed"));
  if (secret.source === "kept") {
    let fresh: string | undefined;
    try {
      fresh = await secrets.recheck(parameter, secret.value, read, signal());
    } catch (err) {
      return unavailable(err);
    }
    if (fresh !== undefined) {
      const verified = matches(fresh);
      log().info("signing_secret_changed", { event: "signing_secret_changed", parameter, verified });
      if (verified) return undefined;
    }
  }
  return refused(event, MISMATCH);
}
