/** Signed webhooks: the secret stays in SSM; the function's environment only names it. */
import { TerraformVariable } from "cdktf";
import type { IamStatement } from "../../blocks/lambda/nodejs-function";
import type { ServerlessStack } from "../../blocks/serverless-stack";
import { enumVariable, patternVariable } from "../../blocks/variables";

/** What the `signing_secret_parameter` variable admits: a full path (the ARN is built from it). No `{n,m}` above 1000: RE2 refuses it. */
export const PARAMETER_NAME_PATTERN = "^/[A-Za-z0-9_./-]+$";

/** How webhook senders sign: defaults of the `signature_*` variables, and where the secret lives. */
export interface WebhookSignatureOptions {
  /**
   * Default of `signing_secret_parameter`: the SSM parameter (SecureString, created by you,
   * outside Terraform so the secret never enters the state) holding the shared secret.
   * @default "/<env>/webhook-proxy/signing-secret"
   */
  readonly secretParameterName?: string;
  /** Default of `signature_header`. @default "x-hub-signature-256" (GitHub) */
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
): { readonly environment: Record<string, string>; readonly statements: IamStatement[] } {
  const parameter = patternVariable(stack, "signing_secret_parameter", {
    pattern: PARAMETER_NAME_PATTERN,
    default: options.secretParameterName ?? `/${stack.env.name}/webhook-proxy/signing-secret`,
    description:
      "SSM parameter (SecureString, full path) holding the webhook signing secret shared with the senders. " +
      "Create it yourself (aws ssm put-parameter --type SecureString), so the secret never enters Terraform state.",
    errorMessage: "signing_secret_parameter must be a full parameter path starting with /.",
  });
  const header = new TerraformVariable(stack, "signature_header", {
    type: "string",
    default: options.header ?? "x-hub-signature-256",
    description: "Request header carrying the webhook signature (GitHub: x-hub-signature-256).",
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
    environment: {
      SIGNATURE_SECRET_PARAMETER: parameter.stringValue,
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
