/**
 * Webhook signatures: an HMAC-SHA256 of the raw request body, keyed with a
 * secret shared with the sender, checked before anything is queued. Third
 * parties cannot sign with SigV4, but most sign their bodies this way:
 * GitHub (`X-Hub-Signature-256: sha256=<hex>`), and with another header,
 * prefix or encoding many others (base64 signatures, no prefix, ...).
 *
 * Configured by the environment (the stack sets it; unset = no check):
 * - `SIGNATURE_SECRET_PARAMETER`: SSM parameter (SecureString) holding the secret.
 *   The secret itself is never in the environment; it is read on a container's
 *   first request and kept for `SECRET_TTL_MS`, and read again on a signature
 *   mismatch (at most once per `SECRET_RECHECK_INTERVAL_MS`), so a rotated
 *   secret is taken up without a deployment (`SigningSecrets`).
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
import { PARAMETER_READ_BUDGET_MS, readSecureParameter } from "../../shared/ssm-parameter";
import type { Deadline } from "../../shared/time-budget";

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
  return timingSafeEqual(given, expected) ? { ok: true } : { ok: false, reason: MISMATCH };
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

/** How long a secret read from SSM is used before it is read again: a rotated (or revoked) secret leaves warm containers within this. */
export const SECRET_TTL_MS = 5 * 60_000;
/**
 * A signature mismatch re-reads the secret (it may have been rotated) at most
 * this often per container and parameter, so a flood of badly signed requests
 * is at most one SSM call a minute per container, not one per request.
 */
export const SECRET_RECHECK_INTERVAL_MS = 10_000;

/** Reads a secret parameter; aborts when `signal` fires. */
export type ReadSecret = (name: string, signal?: AbortSignal) => Promise<string>;

const readFromSsm: ReadSecret = (name, signal) => readSecureParameter(name, { signal });

/**
 * The signing secrets this container knows, per parameter: read on first use,
 * kept `ttlMs`, re-read after a mismatch at most once per `recheckIntervalMs`.
 * A failed read is never kept: with nothing known, the next request reads again.
 */
export class SigningSecrets {
  private readonly known = new Map<string, { value: string; readAt: number }>();
  private readonly lastRecheck = new Map<string, { at: number; failed: boolean }>();
  private readonly inflight = new Map<string, Promise<string>>();
  private readonly now: () => number;
  private readonly ttlMs: number;
  private readonly recheckIntervalMs: number;

  constructor(options: { now?: () => number; ttlMs?: number; recheckIntervalMs?: number } = {}) {
    this.now = options.now ?? Date.now;
    this.ttlMs = options.ttlMs ?? SECRET_TTL_MS;
    this.recheckIntervalMs = options.recheckIntervalMs ?? SECRET_RECHECK_INTERVAL_MS;
  }

  /**
   * The secret to verify with: the known one while it is fresh, otherwise read
   * now. When an expired one cannot be refreshed, it is kept (SSM being down
   * is no reason to refuse every webhook) and the refresh is tried again after
   * `recheckIntervalMs`; with none known, the read's error is thrown.
   * `source`: `kept` (no read now), `read` (just read: a recheck could tell
   * nothing new) or `stale` (the refresh failed: the current secret is unknown).
   */
  async current(parameter: string, read: ReadSecret, signal?: AbortSignal): Promise<{ value: string; source: "kept" | "read" | "stale" }> {
    const known = this.known.get(parameter);
    if (known && this.now() - known.readAt < this.ttlMs) return { value: known.value, source: "kept" };
    try {
      return { value: await this.read(parameter, read, signal), source: "read" };
    } catch (err) {
      if (!known) throw err;
      known.readAt = this.now() - this.ttlMs + this.recheckIntervalMs;
      console.warn(JSON.stringify({ event: "signing_secret_refresh_failed", parameter, error: String(err) }));
      return { value: known.value, source: "stale" };
    }
  }

  /**
   * After a signature mismatch with `used`: the secret read anew, when it is
   * another one (rotated); undefined when it is the same, or when the last
   * recheck of this parameter, less than `recheckIntervalMs` ago, read it.
   * Throws when the read fails, and for the rest of the interval after a failed
   * one (a failing SSM is not called once per request, and what it would have
   * said stays unknown: the caller answers 503, never a 401 it cannot back).
   */
  async recheck(parameter: string, used: string, read: ReadSecret, signal?: AbortSignal): Promise<string | undefined> {
    const last = this.lastRecheck.get(parameter);
    if (last !== undefined && this.now() - last.at < this.recheckIntervalMs) {
      if (last.failed) throw new Error("the last re-read of the secret failed less than the recheck interval ago");
      return undefined;
    }
    const entry = { at: this.now(), failed: true };
    this.lastRecheck.set(parameter, entry);
    const fresh = await this.read(parameter, read, signal);
    entry.failed = false;
    return fresh !== used ? fresh : undefined;
  }

  /** One read per parameter at a time; the value is known from now on. */
  private read(parameter: string, read: ReadSecret, signal?: AbortSignal): Promise<string> {
    let pending = this.inflight.get(parameter);
    if (!pending) {
      pending = read(parameter, signal).then((value) => {
        this.known.set(parameter, { value, readAt: this.now() });
        return value;
      });
      const settled = (): void => void this.inflight.delete(parameter);
      pending.then(settled, settled);
      this.inflight.set(parameter, pending);
    }
    return pending;
  }
}

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

/**
 * The answer refusing `event`, or undefined when it may be queued (signed
 * correctly, or no check configured): 401 `{ message }` for a bad or missing
 * signature; 503 when the secret cannot be read (the sender retries later).
 * A well-formed signature that does not match is checked once more against
 * the secret read anew (`SigningSecrets.recheck`) before the 401: after a
 * rotation, a warm container accepts the new secret's signatures at once.
 * When that cannot be settled (the read fails), the answer is 503, not 401.
 * At most one SSM read per request, bounded by `deps.deadline`.
 */
export async function rejectUnsigned(
  event: APIGatewayProxyEventV2,
  env: Environment = process.env,
  deps: SignatureDeps = {},
): Promise<JsonResponse | undefined> {
  const scheme = schemeFromEnv(env);
  if (!scheme) return undefined;
  const read = deps.read ?? readFromSsm;
  const secrets = deps.secrets ?? containerSecrets;
  const signal = (): AbortSignal | undefined => deps.deadline?.signal(PARAMETER_READ_BUDGET_MS);
  const unavailable = (err: unknown): JsonResponse => {
    console.error(JSON.stringify({ event: "signing_secret_unavailable", parameter: scheme.parameter, error: String(err) }));
    return errorResponse(503, "The webhook could not be verified; please retry", { "retry-after": "5" });
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
  if (result.ok) return undefined;
  console.warn(JSON.stringify({ event: "webhook_signature_rejected", requestId: event.requestContext?.requestId, reason: result.reason }));
  return errorResponse(401, `Invalid webhook signature: ${result.reason}`);
}
