/** The function's configuration, read from its environment (`../shared/env`) when a request needs it (tests set it per case). */
import { ConfigError, Environment, integer, requiredString } from "../shared/env";
import { functionTimeoutMs, safetyMarginMs } from "../shared/time-budget";
import { TranslateConfig } from "./translate";

/** `TABLE_NAME` (required) and `HISTORY_TTL_DAYS` (whole days, 0 = items never expire; @default 0). */
export function readConfig(env: Environment = process.env): TranslateConfig {
  return {
    tableName: requiredString("TABLE_NAME", env),
    historyTtlDays: integer("HISTORY_TTL_DAYS", { min: 0, default: 0 }, env),
  };
}

/** The least time the Translate call keeps, after the history write's budget and the safety margin. */
export const MIN_TRANSLATE_MS = 1000;

/** The largest history budget a function of `timeoutMs` can give: the rest must leave Translate MIN_TRANSLATE_MS. */
export function maxHistoryWriteBudgetMs(timeoutMs: number): number {
  return timeoutMs - safetyMarginMs(timeoutMs) - MIN_TRANSLATE_MS;
}

/**
 * Milliseconds the history write may take before it is abandoned (and
 * logged as HISTORY_WRITE_FAILED): `HISTORY_WRITE_BUDGET_MS`, which the stack
 * sets; without it 20 % of the function's timeout, at most 1 s. A budget that
 * would leave Translate less than MIN_TRANSLATE_MS is a ConfigError (every
 * request would otherwise time out): the stack refuses it at synth too.
 */
export function historyWriteBudgetMs(env: Environment = process.env): number {
  const timeoutMs = functionTimeoutMs(env);
  const max = maxHistoryWriteBudgetMs(timeoutMs);
  if (max < 1) {
    throw new ConfigError(
      "FUNCTION_TIMEOUT_MS",
      `FUNCTION_TIMEOUT_MS ${timeoutMs} leaves no time for the history write: Translate keeps ${MIN_TRANSLATE_MS} ms and the margin ${safetyMarginMs(timeoutMs)} ms.`,
    );
  }
  const fallback = Math.min(1000, Math.round(timeoutMs * 0.2), max);
  return integer("HISTORY_WRITE_BUDGET_MS", { min: 1, max, default: fallback }, env);
}
