/** The function's configuration, read from its environment when a request needs it (tests set it per case). */
import { functionTimeoutMs } from "../shared/time-budget";
import { TranslateConfig } from "./translate";

export function readConfig(vars: NodeJS.ProcessEnv = process.env): TranslateConfig {
  const tableName = vars.TABLE_NAME;
  if (!tableName) throw new Error("TABLE_NAME is not set");
  const ttl = vars.HISTORY_TTL_DAYS ?? "0";
  const historyTtlDays = Number(ttl);
  if (!Number.isInteger(historyTtlDays) || historyTtlDays < 0) {
    throw new Error(`HISTORY_TTL_DAYS must be a whole number of days >= 0, got "${ttl}"`);
  }
  return { tableName, historyTtlDays };
}

/**
 * Milliseconds the history write may take before it is abandoned (and
 * logged as HISTORY_WRITE_FAILED): `HISTORY_WRITE_BUDGET_MS`, which the stack
 * sets; without it 20 % of the function's timeout, at most 1 s.
 */
export function historyWriteBudgetMs(vars: NodeJS.ProcessEnv = process.env): number {
  const value = Number(vars.HISTORY_WRITE_BUDGET_MS);
  if (Number.isFinite(value) && value > 0) return value;
  return Math.min(1000, Math.round(functionTimeoutMs(vars) * 0.2));
}
