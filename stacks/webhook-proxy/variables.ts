/** The stack's own plan-time variables (the seed's, minus app_env, plus the fixes'), validated as blocks/variables.ts does. */
import type { TerraformVariable } from "cdktf";
import type { ServerlessStack } from "../../blocks/serverless-stack";
import { DNS_NAME_PATTERN, patternVariable, wholeNumberVariable } from "../../blocks/variables";
import { API2SQS_P99_MS } from "./timing";

/** What the `upstream` variable admits (RE2 and JavaScript alike): host[:port][/path], no scheme. */
export const UPSTREAM_PATTERN =
  "^[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?([.][A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)*(:[0-9]{1,5})?(/[^?# ]*)?$";
export const ZONE_ID_PATTERN = "^Z[0-9A-Z]+$";
export const CERTIFICATE_ARN_PATTERN = "^arn:aws[a-z-]*:acm:[a-z0-9-]+:[0-9]{12}:certificate/.+$";
/** What `forwarded_headers` admits: lower-case header names (RFC 9110 tokens), comma-separated, or nothing. */
export const HEADER_LIST_PATTERN = "^([a-z0-9!#$%&'*+.^_`|~-]+(,[a-z0-9!#$%&'*+.^_`|~-]+)*)?$";

export interface StackVariables {
  readonly upstream: TerraformVariable;
  readonly reserved: TerraformVariable;
  readonly frontReserved: TerraformVariable;
  readonly forwardHeaders: TerraformVariable;
  readonly zoneId: TerraformVariable;
  readonly domainCertArn: TerraformVariable;
  readonly domainName: TerraformVariable;
}

/** Declares the variables with these defaults. */
export function stackVariables(
  stack: ServerlessStack,
  defaults: { readonly reserved: number; readonly api2sqsReserved: number; readonly forwardedHeaders: readonly string[] },
): StackVariables {
  // The seed's `app_env` (the queue's `Environment` tag) is gone: the environment is APP_ENV alone,
  // which names every resource and tags every one `environment = <env>` (provider default tags).
  // A second, plan-time label could only disagree with it.
  const upstream = patternVariable(stack, "upstream", {
    pattern: UPSTREAM_PATTERN,
    description:
      "Upstream host that receives the webhooks over HTTPS, e.g. example.com; optionally with :port and " +
      "a base path (example.com:8443/hooks). No scheme: deliveries are always HTTPS.",
    errorMessage:
      "upstream must be a host name with an optional :port and /path, without a scheme (HTTPS is implied).",
  });
  const reserved = wholeNumberVariable(stack, "reserved_concurrent_executions", {
    default: defaults.reserved,
    min: 1,
    description:
      "Reserved concurrency of sqs2upstream: the most webhooks delivered to the upstream at once. From 2 on, " +
      "the event source mapping's maximum concurrency is set to the same value (capped at 1000).",
    errorMessage: "reserved_concurrent_executions must be a whole number >= 1 (0 would stop every delivery).",
  });
  const frontReserved = wholeNumberVariable(stack, "api2sqs_reserved_concurrent_executions", {
    default: defaults.api2sqsReserved,
    min: 1,
    description:
      "Reserved concurrency of api2sqs: the most webhooks checked and queued at once. Sized as the stage's " +
      `throttling_rate_limit x ${API2SQS_P99_MS} ms x 2 (and its burst x ${API2SQS_P99_MS} ms), so a flood cannot take the account's concurrency.`,
    errorMessage: "api2sqs_reserved_concurrent_executions must be a whole number >= 1 (0 would refuse every webhook).",
  });
  const forwardHeaders = patternVariable(stack, "forwarded_headers", {
    pattern: HEADER_LIST_PATTERN,
    default: defaults.forwardedHeaders.join(","),
    description:
      "Allow-list of the request headers queued and forwarded to the upstream, lower case, comma-separated " +
      "(e.g. content-type,x-hub-signature-256); empty: every header but the deny-list (cookie, forwarded, x-forwarded-*, ...).",
    errorMessage: "forwarded_headers must be lower-case header names separated by commas, or empty.",
  });
  const zoneId = patternVariable(stack, "zone_id", {
    pattern: ZONE_ID_PATTERN,
    description: "Id of the existing Route53 hosted zone that holds domain_name (made beforehand, as in the seed).",
    errorMessage: "zone_id must be a Route53 hosted zone id such as Z0123456789ABCDEFGHIJ.",
  });
  const domainCertArn = patternVariable(stack, "domain_cert_arn", {
    pattern: CERTIFICATE_ARN_PATTERN,
    description: "ARN of an issued ACM certificate for domain_name, in this stack's region (made beforehand).",
    errorMessage: "domain_cert_arn must be an ACM certificate ARN (arn:aws:acm:<region>:<account>:certificate/<id>).",
  });
  const domainName = patternVariable(stack, "domain_name", {
    pattern: DNS_NAME_PATTERN,
    description: "Host name the webhook senders call, e.g. webhook.example.com; must be covered by domain_cert_arn.",
    errorMessage: "domain_name must be a lower-case DNS name such as webhook.example.com.",
  });
  return { upstream, reserved, frontReserved, forwardHeaders, zoneId, domainCertArn, domainName };
}
