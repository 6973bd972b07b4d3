/** Signed webhooks: each sender's scheme by name; HMAC secrets stay in SSM (the function's environment only names them), SendGrid's public key is configuration. */
import { Token } from "cdktf";
import type { IamStatement } from "../../blocks/lambda/nodejs-function";
import type { Pattern } from "../../blocks/pattern";
import { enumSetting, patternSetting, settingReference, stringSetting, wholeNumberSetting } from "../../blocks/variables";
import { SCHEMES, type SchemeName } from "../../handlers/webhook-proxy/api2sqs/schemes";

/** What `signature_public_key` admits: base64 keys separated by single spaces, or nothing. */
export const PUBLIC_KEYS_PATTERN = "^([A-Za-z0-9+/]+={0,2}( [A-Za-z0-9+/]+={0,2})*)?$";

/** What the `signing_secret_parameter` variable admits: a full path (the ARN is built from it). No `{n,m}` above 1000: RE2 refuses it. */
export const PARAMETER_NAME_PATTERN = "^/[A-Za-z0-9_./-]+$";

/** How webhook senders sign (with variables on, the defaults of the `signature_*` variables), and where the secret lives. */
export interface WebhookSignatureOptions {
  /**
   * Default of `signature_scheme`: the sender's own scheme (`github`, `stripe`,
   * `standard-webhooks`, `slack`, `shopify`, `sendgrid`), or `hmac`: a body HMAC with
   * `header`, `prefix` and `encoding` below.
   * @default "hmac" (with its defaults: GitHub's x-hub-signature-256: sha256=<hex>)
   */
  readonly scheme?: SchemeName;
  /**
   * Default of `signature_public_key` (`sendgrid`): the verification key SendGrid shows
   * (Mail Settings > Signed Event Webhook), base64; two during a key change.
   * @default none (required with the sendgrid scheme: the plan fails without it)
   */
  readonly publicKey?: string | readonly string[];
  /** Default of `signature_tolerance_seconds`: how far a signed timestamp may be from now. @default 300 */
  readonly toleranceSeconds?: number;
  /**
   * Default of `signing_secret_parameter`: the SSM parameter (SecureString, created by you,
   * outside Terraform so the secret never enters the state) holding the shared secret.
   * @default "/<namePrefix>/webhook-proxy/signing-secret"
   */
  readonly secretParameterName?: string;
  /** Default of `signature_header` (scheme `hmac`). @default "x-hub-signature-256" (GitHub) */
  readonly header?: string;
  /** Default of `signature_prefix`: text before the digest in the header. @default "sha256=" (GitHub) */
  readonly prefix?: string;
  /** Default of `signature_encoding`: `hex` or `base64`. @default "hex" */
  readonly encoding?: "hex" | "base64";
  /**
   * ARN of the customer managed KMS key encrypting the parameter: api2sqs may `kms:Decrypt` with
   * it. Not needed with the default `alias/aws/ssm` key, whose key policy already admits SSM's callers.
   * @default none
   */
  readonly kmsKeyArn?: string;
}

/** What the signature settings give api2sqs. */
export interface SignatureSettings {
  readonly environment: Record<string, string>;
  readonly statements: IamStatement[];
  readonly scheme: string;
  /** The plan-time check (a `lifecycle.precondition` of api2sqs) when the scheme and key are variables. */
  readonly precondition?: { readonly condition: string; readonly error_message: string };
}

/** The signature check's settings (variables in a deployable stack), and what api2sqs gets from them: environment and IAM statements. */
export function signatureSettings(
  pattern: Pattern,
  options: WebhookSignatureOptions,
): SignatureSettings {
  const scheme = enumSetting<SchemeName>(pattern, "signature_scheme", options.scheme ?? "hmac", {
    values: SCHEMES,
    description:
      "How the senders sign: github, stripe, standard-webhooks, slack, shopify, sendgrid, or hmac (a body HMAC-SHA256 " +
      "in signature_header with signature_prefix and signature_encoding).",
    errorMessage: `signature_scheme must be one of ${SCHEMES.join(", ")}.`,
  });
  const publicKeyValue = typeof options.publicKey === "string" ? options.publicKey : (options.publicKey ?? []).join(" ");
  const publicKey = patternSetting(pattern, "signature_public_key", publicKeyValue, {
    pattern: PUBLIC_KEYS_PATTERN,
    description:
      "sendgrid: SendGrid's verification key (base64 DER, from Mail Settings > Signed Event Webhook), not a secret; " +
      "two separated by a space while the key changes. Unused by the other schemes.",
    errorMessage: "signature_public_key must be base64 keys separated by single spaces.",
  });
  const tolerance = wholeNumberSetting(pattern, "signature_tolerance_seconds", options.toleranceSeconds ?? 300, {
    min: 1,
    max: 86_400,
    description: "Seconds a signed timestamp (stripe, standard-webhooks, slack, sendgrid) may be from now, either way; older or newer is 401.",
  });
  const parameter = patternSetting(pattern, "signing_secret_parameter", options.secretParameterName ?? `/${pattern.namePrefix}/webhook-proxy/signing-secret`, {
    pattern: PARAMETER_NAME_PATTERN,
    description:
      "SSM parameter (SecureString, full path) holding the webhook signing secret shared with the senders (every scheme but " +
      "sendgrid); one secret per line, so the old and the new both verify during a rotation. Create it yourself " +
      "(aws ssm put-parameter --type SecureString), so the secret never enters Terraform state.",
    errorMessage: "signing_secret_parameter must be a full parameter path starting with /.",
  });
  const header = stringSetting(
    pattern,
    "signature_header",
    options.header ?? "x-hub-signature-256",
    "Scheme hmac: request header carrying the webhook signature (GitHub: x-hub-signature-256).",
  );
  const prefix = stringSetting(pattern, "signature_prefix", options.prefix ?? "sha256=", "Text before the digest in the signature header (GitHub: sha256=); may be empty.");
  const encoding = enumSetting(pattern, "signature_encoding", options.encoding ?? "hex", {
    values: ["hex", "base64"],
    description: "Encoding of the HMAC-SHA256 digest in the header: hex or base64.",
    errorMessage: "signature_encoding must be hex or base64.",
  });
  // SendGrid's scheme cannot verify anything without its key: refused at synth, or (a variable) the plan fails, not every webhook.
  const [schemeRef, keyRef] = [settingReference(pattern, "signature_scheme"), settingReference(pattern, "signature_public_key")];
  if (schemeRef === undefined && scheme === "sendgrid" && publicKeyValue.trim() === "") {
    throw new Error(`${pattern.node.path}: signature scheme sendgrid needs publicKey (SendGrid's verification key: Mail Settings > Signed Event Webhook).`);
  }
  const parameterArn = `arn:aws:ssm:${pattern.regionName}:${pattern.accountId}:parameter${parameter}`;
  return {
    scheme,
    environment: {
      SIGNATURE_SCHEME: scheme,
      SIGNATURE_SECRET_PARAMETER: parameter,
      SIGNATURE_PUBLIC_KEY: publicKey,
      SIGNATURE_TOLERANCE_SECONDS: Token.isUnresolved(tolerance) ? Token.asString(tolerance) : String(tolerance),
      SIGNATURE_HEADER: header,
      SIGNATURE_PREFIX: prefix,
      SIGNATURE_ENCODING: encoding,
    },
    statements: [
      { sid: "ReadSigningSecret", actions: ["ssm:GetParameter"], resources: [parameterArn] },
      ...(options.kmsKeyArn ? [{ sid: "DecryptSigningSecret", actions: ["kms:Decrypt"], resources: [options.kmsKeyArn] }] : []),
    ],
    ...(schemeRef && keyRef
      ? {
          precondition: {
            condition: `\${${schemeRef} != "sendgrid" || length(trimspace(${keyRef})) > 0}`,
            error_message: `${schemeRef.slice(4)} is sendgrid: set ${keyRef.slice(4)} to SendGrid's verification key (Mail Settings > Signed Event Webhook).`,
          },
        }
      : {}),
  };
}
