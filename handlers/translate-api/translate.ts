/**
 * The translation itself: call Amazon Translate, map its errors to answers a
 * caller can act on, record the history. Plain functions taking their clients
 * and clock, so tests run them against dynalite with a frozen clock.
 */
import { TranslateClient, TranslateTextCommand } from "@aws-sdk/client-translate";
import { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { ClientError, JsonResponse, jsonResponse } from "../shared/http";
import { log, outcomeField } from "../shared/observability";
import { OUTCOMES } from "../shared/outcomes";
import { historyItem, saveHistory } from "./history";
import { TranslateRequest } from "./request";

export interface TranslateConfig {
  /** The history table. */
  readonly tableName: string;
  /** Days a history item lives; 0 keeps it forever. */
  readonly historyTtlDays: number;
}

export interface TranslateDeps {
  readonly translate: TranslateClient;
  readonly documents: DynamoDBDocumentClient;
  readonly config: TranslateConfig;
  readonly now: () => Date;
  readonly newId: () => string;
  /** Written on the history item. @default none */
  readonly correlationId?: string;
  /**
   * Per-call abort signals, from the invocation's deadline: the translation
   * stops early enough to leave the history write its own short budget, and
   * the history write stops early enough to leave time to answer.
   * @default no signals (tests that call the logic directly)
   */
  readonly signals?: {
    readonly translate: () => AbortSignal;
    readonly history: () => AbortSignal;
  };
}

/** The success body: the hands-on's `output_text`, plus the languages actually used. */
export interface TranslateResult {
  readonly output_text: string;
  readonly source_language: string;
  readonly target_language: string;
}

/** The log marker of a failed history write; the stack's metric filter counts it and alarms. */
export const HISTORY_WRITE_FAILED = "HISTORY_WRITE_FAILED";

/** Translate errors that describe the caller's input: 400 with Translate's own message. */
const CALLER_ERRORS = new Set([
  "UnsupportedLanguagePairException",
  "DetectedLanguageLowConfidenceException",
  "TextSizeLimitExceededException",
  "InvalidRequestException",
]);

/**
 * Translates, records the history, answers 200. Translate throttled, silent
 * or down escapes as the SDK's error: `answer` turns it into 503/504 with
 * `Retry-After` (`../shared/downstream`).
 *
 * A failed history write does not fail the request: the translation is done
 * (and paid for); answering 5xx would make the caller retry and pay again for
 * a bookkeeping problem. It is not silent either: it is logged at ERROR with
 * the `HISTORY_WRITE_FAILED` marker, which the stack turns into a metric and
 * an alarm. A history table that does not answer is the same failure: its
 * write has its own short budget (`HISTORY_WRITE_BUDGET_MS`), then is abandoned.
 */
export async function translateAndRecord(request: TranslateRequest, deps: TranslateDeps): Promise<JsonResponse> {
  const result = await translateText(request, deps.translate, deps.signals?.translate());
  const item = historyItem(
    {
      inputText: request.text,
      outputText: result.output_text,
      sourceLanguage: result.source_language,
      targetLanguage: result.target_language,
      correlationId: deps.correlationId,
    },
    deps.now(),
    deps.newId(),
    deps.config.historyTtlDays,
  );
  try {
    await saveHistory(deps.documents, deps.config.tableName, item, deps.signals?.history());
  } catch (err) {
    // The key identifies the item; the text itself stays out of the log.
    const scope = log();
    scope.error(`${HISTORY_WRITE_FAILED}: the translation is answered, its history item not written`, {
      event: HISTORY_WRITE_FAILED,
      ...outcomeField(OUTCOMES.historyWriteFailed),
      table: deps.config.tableName,
      key: item.timestamp,
      error: err instanceof Error ? `${err.name}: ${err.message}` : String(err),
    });
    scope.count(OUTCOMES.historyWriteFailed);
  }
  return jsonResponse(200, result);
}

/** One TranslateText call; Translate's caller errors become ClientErrors (400). */
export async function translateText(
  request: TranslateRequest,
  translate: TranslateClient,
  abortSignal?: AbortSignal,
): Promise<TranslateResult> {
  try {
    const response = await translate.send(
      new TranslateTextCommand({
        Text: request.text,
        SourceLanguageCode: request.source,
        TargetLanguageCode: request.target,
      }),
      { abortSignal },
    );
    return {
      output_text: response.TranslatedText ?? "",
      source_language: response.SourceLanguageCode ?? request.source,
      target_language: response.TargetLanguageCode ?? request.target,
    };
  } catch (err) {
    throw asClientError(err) ?? err;
  }
}

function asClientError(err: unknown): ClientError | undefined {
  if (!(err instanceof Error)) return undefined;
  if (CALLER_ERRORS.has(err.name)) return new ClientError(400, err.message || err.name);
  return undefined;
}
