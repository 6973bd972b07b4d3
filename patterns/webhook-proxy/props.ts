/** WebhookProxy's typed options: every default reproduces the seed or is explained. */
import type { SqsQueueConfig } from "@cdktf/provider-aws/lib/sqs-queue";
import type { PatternProps } from "../../blocks/pattern";
import type { QueueRef } from "../../blocks/references";
import type { WebhookSignatureOptions } from "./signature";

/** The webhook-proxy's custom domain, made beforehand as in the seed: a hosted zone and an issued certificate. */
export interface WebhookDomain {
  /** Host name the senders call, e.g. webhook.example.com (`domain_name` in the stack). */
  readonly domainName: string;
  /** The Route53 hosted zone holding it (`zone_id`). */
  readonly hostedZoneId: string;
  /** An issued ACM certificate for it, in the stack's region (`domain_cert_arn`). */
  readonly certificateArn: string;
}

export interface WebhookProxyProps extends PatternProps {
  /**
   * The upstream host that receives the webhooks over HTTPS, e.g. `example.com`, optionally with
   * `:port` and a base path; no scheme. Required: there is no sensible default.
   */
  readonly upstream: string;
  /**
   * Serve the webhook API on this custom domain (TLS 1.2) and turn its execute-api endpoint off,
   * as the seed does. @default none: senders call the execute-api endpoint (`executeApiUrl`)
   */
  readonly customDomain?: WebhookDomain;
  /**
   * Verify an HMAC-SHA256 signature of each webhook's raw body before queueing it
   * (401 and nothing queued on mismatch). `false` turns the check off: the route is
   * then declared public and anyone who knows the URL can queue webhooks.
   * @default {} (on, GitHub-style `x-hub-signature-256: sha256=<hex>`)
   */
  readonly signature?: WebhookSignatureOptions | false;
  /**
   * How many
   * `sqs2upstream` invocations (so upstream requests) may run at once.
   * @default 1 (the seed's data.tfvars)
   */
  readonly reservedConcurrentExecutions?: number;
  /** Timeout of both functions, in seconds. @default 3 (seed) */
  readonly functionTimeoutSeconds?: number;
  /**
   * Longest wait for one upstream delivery, in milliseconds; must be below the
   * function timeout so a slow upstream is a reported failure, not a killed invocation.
   * @default function timeout - 1000
   */
  readonly upstreamTimeoutMs?: number;
  /**
   * Visibility timeout of the proxy queue, in seconds; synth fails unless it is
   * at least 6x the function timeout plus the batching window (AWS's guidance).
   * @default 30 (the SQS default the seed's queue gets)
   */
  readonly visibilityTimeoutSeconds?: number;
  /** Records per `sqs2upstream` invocation. @default 1 (seed) */
  readonly batchSize?: number;
  /** Seconds the mapping may wait to fill a batch. @default 0 (seed: unset) */
  readonly maximumBatchingWindowSeconds?: number;
  /**
   * Receives before a message moves to the DLQ, when the mapping's maximum
   * concurrency holds polling to the reserved concurrency (reserved >= 2):
   * every receive is then a real delivery attempt.
   * @default 5
   */
  readonly maxReceiveCount?: number;
  /**
   * Receives before a message moves to the DLQ when the reserved concurrency
   * is 1: the mapping cannot be capped (maximum concurrency >= 2), so
   * throttled invocations also spend receives; a generous count keeps a burst
   * from pushing undelivered webhooks into the DLQ.
   * @default 20
   */
  readonly throttledMaxReceiveCount?: number;
  /** Largest queue message (the queue's `max_message_size`); bigger webhooks get a 413. @default 262144 */
  readonly maxMessageBytes?: number;
  /**
   * How many `api2sqs`
   * invocations may run at once, so a flood cannot take the account's concurrency. Synth
   * fails when it is below what the stage's throttling admits (`api2sqsConcurrencyFor`).
   * @default api2sqsConcurrencyFor(the stage's defaults): 200 with 1,000 requests/s and a burst of 2,000
   */
  readonly api2sqsReservedConcurrency?: number;
  /** Requests per second the stage accepts (`throttling_rate_limit`). @default 1000 */
  readonly throttlingRateLimit?: number;
  /** Burst above the rate (`throttling_burst_limit`). @default 2000 */
  readonly throttlingBurstLimit?: number;
  /**
   * The only request headers queued and
   * forwarded (lower case); the deny-list applies either way. @default [] (all but the deny-list)
   */
  readonly forwardedHeaders?: readonly string[];
  /**
   * IAM roles or users that may read, redrive
   * and purge both queues (the key and queue policies name them), e.g. whoever starts a DLQ redrive.
   * @default [] (only the two functions and the account root)
   */
  readonly queueOperatorArns?: readonly string[];
  /** Age of the oldest queued webhook that raises the backlog alarm, in seconds. @default 900 */
  readonly backlogAgeAlarmSeconds?: number;
  /** A queue the user has, between api2sqs and sqs2upstream (its redrive policy and encryption are theirs). Not with `queueProps`. @default a new queue */
  readonly existingQueue?: QueueRef;
  /** Overrides of the new queue's settings (merged over WEBHOOK_PROXY_DEFAULTS.queue). Not with `existingQueue`. */
  readonly queueProps?: WebhookQueueProps;
}

/** The new queue's settings a user may override (name, retention floor and redrive are the pattern's). */
export type WebhookQueueProps = Partial<Omit<SqsQueueConfig, "name" | "redrivePolicy">>;
