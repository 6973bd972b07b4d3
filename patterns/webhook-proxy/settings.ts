/** WebhookProxy's tunable settings (variables in the deployable stack), validated as blocks/variables.ts does, and its defaults. */
import type { Pattern } from "../../blocks/pattern";
import { patternSetting, wholeNumberSetting } from "../../blocks/variables";
import type { WebhookQueueProps } from "./props";
import { API2SQS_P99_MS } from "./timing";

/** What `upstream` admits (RE2 and JavaScript alike): host[:port][/path], no scheme. */
export const UPSTREAM_PATTERN =
  "^[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?([.][A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)*(:[0-9]{1,5})?(/[^?# ]*)?$";
export const ZONE_ID_PATTERN = "^Z[0-9A-Z]+$";
export const CERTIFICATE_ARN_PATTERN = "^arn:aws[a-z-]*:acm:[a-z0-9-]+:[0-9]{12}:certificate/.+$";
/** What `forwarded_headers` admits: lower-case header names (RFC 9110 tokens), comma-separated, or nothing. */
export const HEADER_LIST_PATTERN = "^([a-z0-9!#$%&'*+.^_`|~-]+(,[a-z0-9!#$%&'*+.^_`|~-]+)*)?$";

/** The proxy queue's `message_retention_seconds`: SQS's maximum, 14 days. */
export const QUEUE_RETENTION_SECONDS = 1_209_600;
/** Age of the oldest queued webhook that raises the retention alarm: half the retention, a week to act. */
export const QUEUE_RETENTION_ALARM_SECONDS = QUEUE_RETENTION_SECONDS / 2;

export const WEBHOOK_PROXY_DEFAULTS = {
  /** Fix: SQS's default retention (4 days) deletes a long backlog's webhooks unseen; 14 days is its maximum. */
  queue: { visibilityTimeoutSeconds: 30, maxMessageSize: 262_144, messageRetentionSeconds: QUEUE_RETENTION_SECONDS } satisfies WebhookQueueProps,
} as const;

export interface WebhookProxySettings {
  readonly reserved: number;
  readonly frontReserved: number;
  readonly forwardHeaders: string;
}

export function webhookProxySettings(
  pattern: Pattern,
  values: { readonly reserved: number; readonly api2sqsReserved: number; readonly forwardedHeaders: readonly string[] },
): WebhookProxySettings {
  const reserved = wholeNumberSetting(pattern, "reserved_concurrent_executions", values.reserved, {
    min: 1,
    description:
      "Reserved concurrency of sqs2upstream: the most webhooks delivered to the upstream at once. From 2 on, " +
      "the event source mapping's maximum concurrency is set to the same value (capped at 1000).",
    errorMessage: "reserved_concurrent_executions must be a whole number >= 1 (0 would stop every delivery).",
  });
  const frontReserved = wholeNumberSetting(pattern, "api2sqs_reserved_concurrent_executions", values.api2sqsReserved, {
    min: 1,
    description:
      "Reserved concurrency of api2sqs: the most webhooks checked and queued at once. Sized as the stage's " +
      `throttling_rate_limit x ${API2SQS_P99_MS} ms x 2 (and its burst x ${API2SQS_P99_MS} ms), so a flood cannot take the account's concurrency.`,
    errorMessage: "api2sqs_reserved_concurrent_executions must be a whole number >= 1 (0 would refuse every webhook).",
  });
  const forwardHeaders = patternSetting(pattern, "forwarded_headers", values.forwardedHeaders.join(","), {
    pattern: HEADER_LIST_PATTERN,
    description:
      "Allow-list of the request headers queued and forwarded to the upstream, lower case, comma-separated " +
      "(e.g. content-type,x-hub-signature-256); empty: every header but the deny-list (cookie, forwarded, x-forwarded-*, ...).",
    errorMessage: "forwarded_headers must be lower-case header names separated by commas, or empty.",
  });
  return { reserved, frontReserved, forwardHeaders };
}

/** A literal upstream is checked at synth as the stack's `upstream` variable is at plan. */
export function checkUpstream(pattern: Pattern, upstream: string): void {
  if (!upstream.includes("${") && !new RegExp(UPSTREAM_PATTERN).test(upstream)) {
    throw new Error(`${pattern.node.path}: upstream must be a host name with an optional :port and /path, without a scheme (HTTPS is implied), got "${upstream}".`);
  }
}
