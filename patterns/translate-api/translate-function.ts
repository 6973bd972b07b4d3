/**
 * translate-api's function (the hands-on's `translate-function`): Translate and the
 * history write within its timeout, and the metric filter and alarm that keep a
 * failed history write (answered 200) from going unnoticed. A function, not a
 * construct: its resources sit directly in the pattern, at the addresses the stack
 * had before the pattern existed.
 */
import { Token } from "cdktf";
import { NodejsFunction } from "../../blocks/lambda/nodejs-function";
import { Pattern } from "../../blocks/pattern";
import { TableRef } from "../../blocks/references";
import { wholeNumberSetting } from "../../blocks/variables";
import { maxHistoryWriteBudgetMs, MIN_TRANSLATE_MS } from "../../handlers/translate-api/config";

export interface TranslateFunction {
  readonly handler: NodejsFunction;
}

export function translateFunction(
  pattern: Pattern,
  props: {
    readonly table: TableRef;
    readonly historyTtlDays: number;
    readonly memorySize: number;
    readonly functionTimeoutSeconds: number;
    readonly historyWriteBudgetMs: number;
  },
): TranslateFunction {
  // Fix: callers are anonymous and their text is personal data as often as not; keep it a month, not forever.
  const ttlDays = wholeNumberSetting(pattern, "history_ttl_days", props.historyTtlDays, {
    min: 0,
    description: "Days a translation history item lives before DynamoDB's TTL deletes it; 0 keeps items forever.",
  });

  // The handler's own rule (handlers/translate-api/config.ts), refused here rather than as a 500 on every request.
  const { functionTimeoutSeconds, historyWriteBudgetMs } = props;
  const maxHistoryBudgetMs = maxHistoryWriteBudgetMs(functionTimeoutSeconds * 1000);
  if (!Number.isInteger(historyWriteBudgetMs) || historyWriteBudgetMs < 1 || historyWriteBudgetMs > maxHistoryBudgetMs) {
    throw new Error(
      `translate-api: historyWriteBudgetMs must be a whole number from 1 to ${maxHistoryBudgetMs} with a ${functionTimeoutSeconds} s timeout ` +
        `(Translate keeps at least ${MIN_TRANSLATE_MS} ms after the history write and the safety margin), got ${historyWriteBudgetMs}.`,
    );
  }

  const handler = new NodejsFunction(pattern, "handler", {
    ...pattern.functionDefaults,
    entry: "handlers/translate-api/index.ts",
    functionName: pattern.name("translate-function"),
    roleName: pattern.name("translate-function-role"),
    description: "Translates text with Amazon Translate and records the history (seed 004)",
    memorySize: props.memorySize,
    timeout: functionTimeoutSeconds,
    environment: {
      TABLE_NAME: props.table.name,
      HISTORY_TTL_DAYS: Token.isUnresolved(ttlDays) ? Token.asString(ttlDays) : String(ttlDays),
      HISTORY_WRITE_BUDGET_MS: String(historyWriteBudgetMs),
    },
    statements: [
      {
        // `*` is required: the Service Authorization Reference gives TranslateText one resource type,
        // `terminology`, and it is optional. A request that names no terminology (this handler never
        // does) is authorized against `*`, so a statement scoped to terminology ARNs would deny it.
        // If you add TerminologyNames, keep this and add the terminology's ARN, never `translate:*`.
        sid: "TranslateText",
        actions: ["translate:TranslateText"],
        resources: ["*"],
      },
      {
        // `source=auto`: Translate calls Comprehend's DetectDominantLanguage with the caller's
        // permissions. That action has no resource type at all: only `*` can grant it.
        sid: "DetectSourceLanguage",
        actions: ["comprehend:DetectDominantLanguage"],
        resources: ["*"],
      },
      { sid: "WriteHistory", actions: ["dynamodb:PutItem"], resources: [props.table.arn] },
    ],
  });

  // A failed history write answers 200 (the translation succeeded) and counts HistoryWriteFailed (EMF):
  // the pattern's outcome alarms (blocks/observability) make sure it is never silent.
  return { handler };
}
