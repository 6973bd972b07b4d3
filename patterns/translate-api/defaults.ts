/** translate-api's default settings, in one place; a user's props are merged over them (`consolidateProps`). */
import type { ClientLimits } from "../../blocks/api-key-clients";
import type { TranslateApiTableProps } from "./index";

export const TRANSLATE_API_DEFAULTS = {
  /** The hands-on's stage name. */
  stageName: "dev",
  /** Per method of the stage; more get 429. */
  throttlingRateLimit: 10,
  throttlingBurstLimit: 20,
  /** Fix: the hands-on keeps every anonymous caller's text forever. */
  historyTtlDays: 30,
  api5xxRateThreshold: 0.05,
  /** The hands-on's memory. */
  memorySize: 128,
  /** The hands-on's 3 s leaves no room for the SDK's retries of a throttled Translate call. */
  functionTimeoutSeconds: 10,
  historyWriteBudgetMs: 1000,
  /** The hands-on's on-demand table (encryption, recovery and deletion protection: secureTableDefaults). */
  table: { billingMode: "PAY_PER_REQUEST" } satisfies TranslateApiTableProps,
  /** Translate bills per character: 200 requests of at most 10,000 characters cap one client at about 30 USD a day. */
  clientLimits: { rateLimit: 1, burstLimit: 2, dailyQuota: 200 } satisfies Required<ClientLimits>,
} as const;
