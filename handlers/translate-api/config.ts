/** The function's configuration, read from its environment (`../shared/env`) when a request needs it (tests set it per case). */
import { Environment, integer, requiredString } from "../shared/env";
import { functionTimeoutMs, MAX_FUNCTION_TIMEOUT_MS } from "../shared/time-budget";
import { TranslateConfig } from "./translate";

/** `TABLE_NAME` (required) and `HISTORY_TTL_DAYS` (whole days, 0 = items never expire; @default 0). */
export function readConfig(env: Environment = process.env): TranslateConfig {
  return {
    tableName: requiredString("TABLE_NAME", env),
    historyTtlDays: integer("HISTORY_TTL_DAYS", { min: 0, default: 0 }, env),
  };
}

/**
 * Milliseconds the history write may take before it is abandoned (and
 * logged as HISTORY_WRITE_FAILED): `HISTORY_WRITE_BUDGET_MS`, which the stack
 * sets; without it 20 % of the function's timeout, at most 1 s.
 */
export function historyWriteBudgetMs(env: Environment = process.env): number {
  const fallback = Math.min(1000, Math.round(functionTimeoutMs(env) * 0.2));
  return integer("HISTORY_WRITE_BUDGET_MS", { min: 1, max: MAX_FUNCTION_TIMEOUT_MS, default: fallback }, env);
}
