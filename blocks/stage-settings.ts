/** What the REST and HTTP API stage constructs share: access-log fields and plan-time throttling limits. */
import { Construct } from "constructs";
import { TerraformVariable } from "cdktf";
import { enumVariable, positiveNumberVariable } from "./variables";

/**
 * A JSON access-log line: field name -> `$context` variable. Written in key
 * order, one JSON object per request.
 */
export type AccessLogFields = Readonly<Record<string, string>>;

/** Plan-time throttling of a stage, as props of the stage constructs. */
export interface StageThrottlingProps {
  /**
   * Default of the `<prefix>throttling_rate_limit` variable: steady-state requests
   * per second the stage accepts; above it, 429.
   * @default 100
   */
  readonly throttlingRateLimit?: number;
  /**
   * Default of the `<prefix>throttling_burst_limit` variable: requests accepted in a burst above the rate.
   * @default 200
   */
  readonly throttlingBurstLimit?: number;
  /**
   * Prefix of the two throttling variables' names; set it when a stack has two stages.
   * @default "" (`throttling_rate_limit`, `throttling_burst_limit`)
   */
  readonly variablePrefix?: string;
}

/**
 * The stage's two throttling variables, tunable at plan time and validated (> 0).
 * `what` names what they limit in the descriptions, e.g. "each method of the dev stage of the REST API".
 */
export function throttlingVariables(
  scope: Construct,
  props: StageThrottlingProps,
  what: string,
): { readonly rateLimit: TerraformVariable; readonly burstLimit: TerraformVariable } {
  const prefix = props.variablePrefix ?? "";
  return {
    rateLimit: positiveNumberVariable(
      scope,
      `${prefix}throttling_rate_limit`,
      props.throttlingRateLimit ?? 100,
      `Steady-state requests per second ${what} accepts; above it, 429.`,
    ),
    burstLimit: positiveNumberVariable(
      scope,
      `${prefix}throttling_burst_limit`,
      props.throttlingBurstLimit ?? 200,
      `Requests ${what} accepts in a burst above the rate limit; above it, 429.`,
    ),
  };
}

/** Execution-logging levels of a REST API stage (data trace stays off: it logs request bodies). */
export const API_LOGGING_LEVELS = ["OFF", "ERROR", "INFO"] as const;

/**
 * The `api_logging_level` variable of a REST API stack: execution logging of every
 * method, validated at plan time. ERROR logs failures (not request bodies).
 */
export function apiLoggingLevelVariable(scope: Construct, defaultValue: (typeof API_LOGGING_LEVELS)[number] = "ERROR"): TerraformVariable {
  return enumVariable(scope, "api_logging_level", {
    values: API_LOGGING_LEVELS,
    default: defaultValue,
    description: "API Gateway execution logging: OFF, ERROR or INFO (data trace stays off: it logs request bodies).",
    errorMessage: "api_logging_level must be OFF, ERROR or INFO.",
  });
}
