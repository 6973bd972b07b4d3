/** The function's configuration, read from its environment when a request needs it (tests set it per case). */
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
