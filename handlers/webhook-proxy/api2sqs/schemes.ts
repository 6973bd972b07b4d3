/**
 * How the senders people use sign their webhooks, by name (`SIGNATURE_SCHEME`):
 * what a request must carry, read without any secret (so junk is refused before
 * a secret is read), the text that was signed, and the check. node:crypto only:
 * no sender SDK in the bundle.
 *
 * | scheme | headers | signed text | check |
 * |---|---|---|---|
 * | `hmac` | `SIGNATURE_HEADER: <prefix><hex or base64>` | body | HMAC-SHA256 |
 * | `github` | `X-Hub-Signature-256: sha256=<hex>` | body | HMAC-SHA256 |
 * | `shopify` | `X-Shopify-Hmac-Sha256: <base64>` | body | HMAC-SHA256 |
 * | `slack` | `X-Slack-Signature: v0=<hex>`, `X-Slack-Request-Timestamp` | `v0:<ts>:<body>` | HMAC-SHA256 |
 * | `stripe` | `Stripe-Signature: t=<ts>,v1=<hex>[,v1=...]` | `<ts>.<body>` | HMAC-SHA256 |
 * | `standard-webhooks` | `webhook-id`, `webhook-timestamp`, `webhook-signature: v1,<base64> [v1,...]` (or `svix-*`) | `<id>.<ts>.<body>` | HMAC-SHA256, key = base64 after `whsec_` |
 * | `sendgrid` | `X-Twilio-Email-Event-Webhook-Signature: <base64 DER>`, `-Timestamp` | `<ts><body>` | ECDSA P-256 / SHA-256, public key |
 */
import { createHmac, type KeyObject, timingSafeEqual, verify } from "node:crypto";
import { headerValue } from "../../shared/headers";

export const SCHEMES = ["hmac", "github", "stripe", "standard-webhooks", "slack", "shopify", "sendgrid"] as const;
export type SchemeName = (typeof SCHEMES)[number];

/** Schemes that sign a timestamp: older or newer than the tolerance is refused. */
export const TIMESTAMPED: ReadonlySet<SchemeName> = new Set(["stripe", "standard-webhooks", "slack", "sendgrid"]);

export type SignatureEncoding = "hex" | "base64";

/** The generic scheme's settings (`hmac`); the named ones fix their own. */
export interface HmacFormat {
  readonly header: string;
  readonly prefix: string;
  readonly encoding: SignatureEncoding;
}

export const GITHUB_FORMAT: HmacFormat = { header: "x-hub-signature-256", prefix: "sha256=", encoding: "hex" };

/** What a request's signature headers say, read without any secret. */
export interface Presented {
  /** Every signature the request carries (Stripe and Standard Webhooks send several during their own rotation). */
  readonly signatures: readonly Buffer[];
  /** The bytes the sender signed. */
  readonly signedText: (body: Buffer) => Buffer;
  /** Unix seconds, for the schemes that sign one. */
  readonly timestamp?: number;
}

export type Parsed = { readonly ok: true; readonly presented: Presented } | { readonly ok: false; readonly reason: string };

type Headers = Readonly<Record<string, string | undefined>> | null | undefined;

const HEX64 = /^[0-9a-fA-F]{64}$/;
const BASE64_32 = /^[A-Za-z0-9+/]{43}=$/;
const TIMESTAMP = /^[0-9]{1,12}$/;

const bad = (reason: string): Parsed => ({ ok: false, reason });
const digest = (encoded: string, encoding: SignatureEncoding): Buffer | undefined =>
  (encoding === "hex" ? HEX64 : BASE64_32).test(encoded) ? Buffer.from(encoded, encoding) : undefined;
const prefixed = (text: string) => (body: Buffer): Buffer => Buffer.concat([Buffer.from(text, "utf8"), body]);

function bodyHmac(headers: Headers, f: HmacFormat): Parsed {
  const value = headerValue(headers, f.header);
  if (value === undefined || value === "") return bad(`missing ${f.header} header`);
  if (!value.startsWith(f.prefix)) return bad(`${f.header} does not start with "${f.prefix}"`);
  const d = digest(value.slice(f.prefix.length).trim(), f.encoding);
  if (!d) return bad(`${f.header} is not a ${f.encoding} SHA-256 digest`);
  return { ok: true, presented: { signatures: [d], signedText: (body) => body } };
}

function timestampOf(headers: Headers, name: string): number | string {
  const value = headerValue(headers, name);
  if (value === undefined || value === "") return `missing ${name} header`;
  return TIMESTAMP.test(value.trim()) ? Number(value.trim()) : `${name} is not a Unix timestamp`;
}

function slack(headers: Headers): Parsed {
  const ts = timestampOf(headers, "x-slack-request-timestamp");
  if (typeof ts === "string") return bad(ts);
  const parsed = bodyHmac(headers, { header: "x-slack-signature", prefix: "v0=", encoding: "hex" });
  if (!parsed.ok) return parsed;
  return { ok: true, presented: { ...parsed.presented, timestamp: ts, signedText: prefixed(`v0:${ts}:`) } };
}

function stripe(headers: Headers): Parsed {
  const value = headerValue(headers, "stripe-signature");
  if (value === undefined || value === "") return bad("missing stripe-signature header");
  const pairs = value.split(",").map((item) => {
    const at = item.indexOf("=");
    return at < 0 ? ["", ""] : [item.slice(0, at).trim(), item.slice(at + 1).trim()];
  });
  const times = pairs.filter(([k]) => k === "t").map(([, v]) => v);
  if (times.length !== 1 || !TIMESTAMP.test(times[0])) return bad("stripe-signature has no single t=<Unix timestamp>");
  // Other schemes (v0: test mode) are not signatures of this endpoint's secret: ignored, as Stripe's own library does.
  const signatures = pairs.filter(([k]) => k === "v1").map(([, v]) => digest(v, "hex"));
  if (signatures.length === 0) return bad("stripe-signature has no v1 signature");
  if (signatures.some((s) => s === undefined)) return bad("stripe-signature has a v1 that is not a hex SHA-256 digest");
  return { ok: true, presented: { signatures: signatures as Buffer[], timestamp: Number(times[0]), signedText: prefixed(`${times[0]}.`) } };
}

function standardWebhooks(headers: Headers): Parsed {
  // Svix sends the same scheme under svix-* names.
  const family = headerValue(headers, "webhook-signature") !== undefined ? "webhook" : headerValue(headers, "svix-signature") !== undefined ? "svix" : "webhook";
  const id = headerValue(headers, `${family}-id`);
  if (id === undefined || id === "") return bad(`missing ${family}-id header`);
  const ts = timestampOf(headers, `${family}-timestamp`);
  if (typeof ts === "string") return bad(ts);
  const value = headerValue(headers, `${family}-signature`);
  if (value === undefined || value === "") return bad(`missing ${family}-signature header`);
  const entries = value.split(" ").filter((e) => e !== "");
  // v1a (asymmetric) and later versions are another sender's business: only v1 is checked.
  const v1 = entries.filter((e) => e.startsWith("v1,")).map((e) => digest(e.slice(3), "base64"));
  if (v1.length === 0) return bad(`${family}-signature has no v1 signature`);
  if (v1.some((s) => s === undefined)) return bad(`${family}-signature has a v1 that is not a base64 SHA-256 digest`);
  return { ok: true, presented: { signatures: v1 as Buffer[], timestamp: ts, signedText: prefixed(`${id}.${ts}.`) } };
}

function sendgrid(headers: Headers): Parsed {
  const name = "x-twilio-email-event-webhook-signature";
  const ts = timestampOf(headers, "x-twilio-email-event-webhook-timestamp");
  if (typeof ts === "string") return bad(ts);
  const value = headerValue(headers, name);
  if (value === undefined || value === "") return bad(`missing ${name} header`);
  // A DER ECDSA P-256 signature is 8 to 72 bytes: 12 to 96 base64 characters.
  if (!/^[A-Za-z0-9+/]{12,96}={0,2}$/.test(value.trim())) return bad(`${name} is not a base64 ECDSA signature`);
  return { ok: true, presented: { signatures: [Buffer.from(value.trim(), "base64")], timestamp: ts, signedText: prefixed(String(headerValue(headers, "x-twilio-email-event-webhook-timestamp")).trim()) } };
}

/** The signatures a request carries under `scheme`, or why they are missing or malformed. */
export function presentedSignatures(scheme: SchemeName, headers: Headers, format: HmacFormat = GITHUB_FORMAT): Parsed {
  switch (scheme) {
    case "hmac":
      return bodyHmac(headers, format);
    case "github":
      return bodyHmac(headers, GITHUB_FORMAT);
    case "shopify":
      return bodyHmac(headers, { header: "x-shopify-hmac-sha256", prefix: "", encoding: "base64" });
    case "slack":
      return slack(headers);
    case "stripe":
      return stripe(headers);
    case "standard-webhooks":
      return standardWebhooks(headers);
    case "sendgrid":
      return sendgrid(headers);
  }
}

/** The HMAC key a shared secret stands for: Standard Webhooks' `whsec_<base64>` is base64 of the key; the others use the text. */
export function hmacKey(scheme: SchemeName, secret: string): Buffer {
  if (scheme === "standard-webhooks") return Buffer.from(secret.startsWith("whsec_") ? secret.slice(6) : secret, "base64");
  return Buffer.from(secret, "utf8");
}

/** Whether any of `secrets` signed any presented signature over `body` (constant-time comparisons, 32 bytes each). */
export function anyHmacMatches(scheme: SchemeName, presented: Presented, body: Buffer, secrets: readonly string[]): boolean {
  const text = presented.signedText(body);
  let matched = false;
  for (const secret of secrets) {
    const expected = createHmac("sha256", hmacKey(scheme, secret)).update(text).digest();
    // Every pair is compared: how far the loop got says nothing about which one matched.
    for (const given of presented.signatures) matched = timingSafeEqual(given, expected) || matched;
  }
  return matched;
}

/** Whether any of `keys` verifies the presented ECDSA signature over the signed text. */
export function anyEcdsaVerifies(presented: Presented, body: Buffer, keys: readonly KeyObject[]): boolean {
  const text = presented.signedText(body);
  return keys.some((key) =>
    presented.signatures.some((signature) => {
      try {
        return verify("sha256", text, key, signature);
      } catch {
        return false; // not a DER signature: no match
      }
    }),
  );
}

/** Why a signed timestamp is refused, or undefined when within `toleranceSeconds` of `nowSeconds`. */
export function timestampProblem(timestamp: number, nowSeconds: number, toleranceSeconds: number): string | undefined {
  const age = nowSeconds - timestamp;
  if (age > toleranceSeconds) return `timestamp ${timestamp} is stale: ${age} s old, beyond the ${toleranceSeconds} s tolerance (a delayed or replayed webhook)`;
  if (-age > toleranceSeconds) return `timestamp ${timestamp} is in the future: ${-age} s ahead, beyond the ${toleranceSeconds} s tolerance (check the sender's clock)`;
  return undefined;
}
