/**
 * SigV4 verification of `AWS_IAM` routes against the local credentials: the
 * expected signature is computed by @smithy/signature-v4 (the AWS SDK's own
 * signer) over exactly the headers the client signed, and compared in
 * constant time. A signed `x-amz-content-sha256` must match the body. Every
 * refusal is the 403 API Gateway gives, with a message saying why.
 */
import { createHash, createHmac, randomBytes, timingSafeEqual, type Hash, type Hmac } from "node:crypto";
import { SignatureV4 } from "@smithy/signature-v4";
import type { Checksum, HttpRequest, SourceData } from "@smithy/types";
import { header, type LocalRequest } from "./server";

export interface LocalCredentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
}

/** Fresh credentials per run, printed at start. */
export function newCredentials(): LocalCredentials {
  return { accessKeyId: `AKIALOCAL${randomBytes(6).toString("hex").toUpperCase()}`, secretAccessKey: randomBytes(20).toString("base64url") };
}

const toBuffer = (data: SourceData): Buffer => (typeof data === "string" ? Buffer.from(data, "utf8") : Buffer.from(data as Uint8Array));

/** SHA-256 and HMAC-SHA-256 on node:crypto, in the shape the signer takes. */
export class NodeSha256 implements Checksum {
  private hash: Hash | Hmac;
  constructor(private readonly secret?: SourceData) {
    this.hash = this.fresh();
  }
  private fresh(): Hash | Hmac {
    return this.secret === undefined ? createHash("sha256") : createHmac("sha256", toBuffer(this.secret));
  }
  update(data: Uint8Array): void {
    this.hash.update(data);
  }
  async digest(): Promise<Uint8Array> {
    return new Uint8Array(this.hash.digest());
  }
  reset(): void {
    this.hash = this.fresh();
  }
}

export type Verdict = { ok: true } | { ok: false; message: string };

const AUTH = /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request, ?SignedHeaders=([a-z0-9;-]+), ?Signature=([0-9a-f]{64})$/;

/** Checks a request signed for `service` in `region` (the stack's) with `credentials`. */
export async function verifySigV4(req: LocalRequest, credentials: LocalCredentials, region: string, service = "execute-api"): Promise<Verdict> {
  const authorization = header(req, "authorization");
  if (!authorization) return { ok: false, message: "Missing Authentication Token" };
  const m = AUTH.exec(authorization.trim());
  if (!m) return { ok: false, message: "Authorization header requires 'Credential', 'SignedHeaders' and 'Signature' (AWS4-HMAC-SHA256)" };
  const [, accessKeyId, , signedRegion, signedService, signedHeaderList, signature] = m;
  if (accessKeyId !== credentials.accessKeyId) return { ok: false, message: "The security token included in the request is invalid." };
  if (signedRegion !== region || signedService !== service) return { ok: false, message: `Credential should be scoped to a valid region and service ('${region}', '${service}')` };
  const amzDate = header(req, "x-amz-date");
  const dm = amzDate ? /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(amzDate) : null;
  if (!dm) return { ok: false, message: "Signed requests need an X-Amz-Date header (yyyyMMddTHHmmssZ)" };
  const signingDate = new Date(Date.UTC(+dm[1], +dm[2] - 1, +dm[3], +dm[4], +dm[5], +dm[6]));
  if (Math.abs(Date.now() - signingDate.getTime()) > 15 * 60_000) return { ok: false, message: "Signature expired: the request time is more than 15 minutes from now" };
  const signedHeaders = signedHeaderList.split(";");
  if (!signedHeaders.includes("host")) return { ok: false, message: "'Host' must be a signed header" };

  // The body's hash: if the client signed a declared hash, it must be the body's.
  const bodyHash = createHash("sha256").update(req.body).digest("hex");
  const declared = header(req, "x-amz-content-sha256");
  if (declared !== undefined && declared !== "UNSIGNED-PAYLOAD" && declared !== bodyHash) {
    return { ok: false, message: "The provided 'x-amz-content-sha256' header does not match what was computed." };
  }
  if (declared === "UNSIGNED-PAYLOAD") return { ok: false, message: "Unsigned payloads are not accepted here" };

  const headers: Record<string, string> = {};
  for (const name of signedHeaders) {
    const value = header(req, name);
    if (value === undefined) return { ok: false, message: `Signed header '${name}' is missing` };
    headers[name] = value;
  }
  const query: Record<string, string | string[]> = {};
  for (const [k, v] of req.url.searchParams) {
    const prior = query[k];
    query[k] = prior === undefined ? v : Array.isArray(prior) ? [...prior, v] : [prior, v];
  }
  const request: HttpRequest = {
    method: req.method,
    protocol: "http:",
    hostname: req.url.hostname,
    port: req.url.port ? Number(req.url.port) : undefined,
    path: decodeURIComponent(req.url.pathname),
    query,
    headers,
    body: req.body,
  };
  const signer = new SignatureV4({ credentials, region, service, sha256: NodeSha256, uriEscapePath: true, applyChecksum: false });
  const signed = await signer.sign(request, { signingDate, signableHeaders: new Set(signedHeaders) });
  const expected = /Signature=([0-9a-f]{64})/.exec(String(signed.headers.authorization ?? signed.headers.Authorization))?.[1] ?? "";
  const ok = expected.length === signature.length && timingSafeEqual(Buffer.from(expected), Buffer.from(signature));
  return ok ? { ok: true } : { ok: false, message: "The request signature we calculated does not match the signature you provided." };
}
