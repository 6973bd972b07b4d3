/** Signed webhooks: each sender's scheme by name; HMAC secrets stay in SSM (the function's environment only names them), SendGrid's public key is configuration. */
import { TerraformVariable } from "cdktf";
import type { IamStatement } from "../../blocks/lambda/nodejs-function";
import type { ServerlessStack } from "../../blocks/serverless-stack";
import { enumVariable, patternVariable, wholeNumberVariable } from "../../blocks/variables";
import { SCHEMES, type SchemeName } from "../../handlers/webhook-proxy/api2sqs/schemes";

/** What `signature_public_key` admits: base64 keys separated by single spaces, or nothing. */
export const PUBLIC_KEYS_PATTERN = "^([A-Za-z0-9+/]+={0,2}( [A-Za-z0-9+/]+={0,2})*)?$";

/** What the `signing_secret_parameter` variable admits: a full path (the ARN is built from it). No `{n,m}` above 1000: RE2 refuses it. */
export const PARAMETER_NAME_PATTERN = "^/[A-Za-z0-9_./-]+$";

/** How webhook senders sign: defaults of the `signature_*` variables, and where the secret lives. */
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
   * @default "/<env>/webhook-proxy/signing-secret"
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

/** The signature check's variables (in the stack), and what api2sqs gets from them: environment and IAM statements. */
export function signatureSettings(
  stack: ServerlessStack,
  options: WebhookSignatureOptions,
): { readonly environment: Record<string, string>; readonly statements: IamStatement[]; readonly scheme: TerraformVariable } {
  const scheme = enumVariable<SchemeName>(stack, "signature_scheme", {
    values: SCHEMES,
    default: options.scheme ?? "hmac",
    description:
      "How the senders sign: github, stripe, standard-webhooks, slack, shopify, sendgrid, or hmac (a body HMAC-SHA256 " +
      "in signature_header with signature_prefix and signature_encoding).",
    errorMessage: `signature_scheme must be one of ${SCHEMES.join(", ")}.`,
  });
  const publicKey = patternVariable(stack, "signature_public_key", {
    pattern: PUBLIC_KEYS_PATTERN,
    default: typeof options.publicKey === "string" ? options.publicKey : (options.publicKey ?? []).join(" "),
    description:
      "sendgrid: SendGrid's verification key (base64 DER, from Mail Settings > Signed Event Webhook), not a secret; " +
      "two separated by a space while the key changes. Unused by the other schemes.",
    errorMessage: "signature_public_key must be base64 keys separated by single spaces.",
  });
  const tolerance = wholeNumberVariable(stack, "signature_tolerance_seconds", {
    default: options.toleranceSeconds ?? 300,
    min: 1,
    max: 86_400,
    description: "Seconds a signed timestamp (stripe, standard-webhooks, slack, sendgrid) may be from now, either way; older or newer is 401.",
  });
  const parameter = patternVariable(stack, "signing_secret_parameter", {
    pattern: PARAMETER_NAME_PATTERN,
    default: options.secretParameterName ?? `/${stack.env.name}/webhook-proxy/signing-secret`,
    description:
      "SSM parameter (SecureString, full path) holding the webhook signing secret shared with the senders (every scheme but " +
      "sendgrid); one secret per line, so the old and the new both verify during a rotation. Create it yourself " +
      "(aws ssm put-parameter --type SecureString), so the secret never enters Terraform state.",
    errorMessage: "signing_secret_parameter must be a full parameter path starting with /.",
  });
  const header = new TerraformVariable(stack, "signature_header", {
    type: "string",
    default: options.header ?? "x-hub-signature-256",
    description: "Scheme hmac: request header carrying the webhook signature (GitHub: x-hub-signature-256).",
  });
  const prefix = new TerraformVariable(stack, "signature_prefix", {
    type: "string",
    default: options.prefix ?? "sha256=",
    description: "Text before the digest in the signature header (GitHub: sha256=); may be empty.",
  });
  const encoding = enumVariable(stack, "signature_encoding", {
    values: ["hex", "base64"],
    default: options.encoding ?? "hex",
    description: "Encoding of the HMAC-SHA256 digest in the header: hex or base64.",
    errorMessage: "signature_encoding must be hex or base64.",
  });
  const parameterArn = `arn:aws:ssm:${stack.regionName}:${stack.accountId}:parameter${parameter.stringValue}`;
  return {
    scheme,
    environment: {
      SIGNATURE_SCHEME: scheme.stringValue,
      SIGNATURE_SECRET_PARAMETER: parameter.stringValue,
      SIGNATURE_PUBLIC_KEY: publicKey.stringValue,
      SIGNATURE_TOLERANCE_SECONDS: tolerance.stringValue,
      SIGNATURE_HEADER: header.stringValue,
      SIGNATURE_PREFIX: prefix.stringValue,
      SIGNATURE_ENCODING: encoding.stringValue,
    },
    statements: [
      { sid: "ReadSigningSecret", actions: ["ssm:GetParameter"], resources: [parameterArn] },
      ...(options.kmsKeyArn ? [{ sid: "DecryptSigningSecret", actions: ["kms:Decrypt"], resources: [options.kmsKeyArn] }] : []),
    ],
  };
}
