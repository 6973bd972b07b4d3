/** What the REST and HTTP API stage constructs share: access-log fields and plan-time throttling limits. */
import { Construct } from "constructs";
import { enumSetting, positiveNumberSetting } from "./variables";

/**
 * A JSON access-log line: field name -> `$context` variable. Written in key
 * order, one JSON object per request.
 */
export type AccessLogFields = Readonly<Record<string, string>>;

/** Plan-time throttling of a stage, as props of the stage constructs. */
export interface StageThrottlingProps {
  /**
   * Steady-state requests per second the stage accepts; above it, 429 (with variables
   * on, the default of `<prefix>throttling_rate_limit`).
   * @default 100
   */
  readonly throttlingRateLimit?: number;
  /**
   * Requests accepted in a burst above the rate (`<prefix>throttling_burst_limit`).
   * @default 200
   */
  readonly throttlingBurstLimit?: number;
  /**
   * Prefix of the two throttling variables' names; set it when a stack has two stages.
   * @default "" (`throttling_rate_limit`, `throttling_burst_limit`)
   */
  readonly variablePrefix?: string;
}

/** The names of the stage's two throttling settings (`variablePrefix` included; the pattern's prefix comes on top). */
export function throttlingSettingNames(props: StageThrottlingProps): { readonly rateLimit: string; readonly burstLimit: string } {
  const prefix = props.variablePrefix ?? "";
  return { rateLimit: `${prefix}throttling_rate_limit`, burstLimit: `${prefix}throttling_burst_limit` };
}

/**
 * The stage's two throttling settings (> 0; variables tunable at plan time when the
 * pattern declares them). `what` names what they limit in the descriptions, e.g.
 * "each method of the dev stage of the REST API".
 */
export function throttlingSettings(
  scope: Construct,
  props: StageThrottlingProps,
  what: string,
): { readonly rateLimit: number; readonly burstLimit: number } {
  const names = throttlingSettingNames(props);
  return {
    rateLimit: positiveNumberSetting(
      scope,
      names.rateLimit,
      props.throttlingRateLimit ?? 100,
      `Steady-state requests per second ${what} accepts; above it, 429.`,
    ),
    burstLimit: positiveNumberSetting(
      scope,
      names.burstLimit,
      props.throttlingBurstLimit ?? 200,
      `Requests ${what} accepts in a burst above the rate limit; above it, 429.`,
    ),
  };
}

/** Execution-logging levels of a REST API stage (data trace stays off: it logs request bodies). */
export const API_LOGGING_LEVELS = ["OFF", "ERROR", "INFO"] as const;

/**
 * The `api_logging_level` setting of a REST API: execution logging of every
 * method. ERROR logs failures (not request bodies).
 */
export function apiLoggingLevelSetting(scope: Construct, value: (typeof API_LOGGING_LEVELS)[number] = "ERROR"): string {
  return enumSetting(scope, "api_logging_level", value, {
    values: API_LOGGING_LEVELS,
    description: "API Gateway execution logging: OFF, ERROR or INFO (data trace stays off: it logs request bodies).",
    errorMessage: "api_logging_level must be OFF, ERROR or INFO.",
  });
}
