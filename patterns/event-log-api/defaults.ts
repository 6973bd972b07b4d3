/** event-log-api's default settings, in one place; a user's props are merged over them (`consolidateProps`). */
import type { EventLogApiTableProps } from "./index";

export const EVENT_LOG_API_DEFAULTS = {
  /** The seed's PROVISIONED 1/1 table: cheapest for a trickle of events (one write a second). */
  table: { billingMode: "PROVISIONED", readCapacity: 1, writeCapacity: 1 } satisfies EventLogApiTableProps,
  /** The seed's CORS: every origin and header; harmless behind SigV4 (no cookies). */
  cors: { allowOrigins: ["*"], allowHeaders: ["*"] },
  /** Stage-wide, so a runaway caller cannot spend the table's single write unit (the seed has none). */
  throttling: { rateLimit: 10, burstLimit: 20 },
  /** Share of 5xx answers in a minute that raises the alarm. */
  api5xxRateThreshold: 0.05,
  /** Seed `var.app_name`, `var.log_events_lambda_function_name`, `var.log_events_api_name` (bases of physical names). */
  names: { appName: "event-log", functionName: "log-events", apiName: "log-events-http-api" },
} as const;
