/**
 * The translation history: one DynamoDB item per translation, in the
 * hands-on's `translate-history` table keyed by `timestamp`.
 *
 * Fix: the hands-on used the time alone as the key, so two translations in
 * the same instant (its `%Y%m%d%H%M%S` has one-second resolution; even
 * milliseconds collide under load) wrote the same key and the second
 * silently replaced the first. The key is now the ISO-8601 time plus a random
 * UUID (`2025-06-22T01:00:36.123Z#3f0c...`): still sorts by time as text,
 * never collides, and the put is conditional so even a collision could never
 * overwrite an item.
 */
import { DynamoDBDocumentClient, PutCommand } from "@aws-sdk/lib-dynamodb";

/** The table's partition key (the hands-on's name, kept). */
export const HISTORY_KEY = "timestamp";
/** The attribute the table's TTL reads (epoch seconds); written only when a TTL is configured. */
export const TTL_ATTRIBUTE = "expires_at";

export interface HistoryItem {
  /** `<ISO-8601 time>#<uuid>`: unique, time-ordered as text. */
  readonly timestamp: string;
  /** ISO-8601 time of the translation. */
  readonly created_at: string;
  readonly input_text: string;
  readonly output_text: string;
  /** The language Translate used: the detected one when the request said `auto`. */
  readonly source_language: string;
  readonly target_language: string;
  /** Epoch seconds after which DynamoDB may delete the item. */
  readonly expires_at?: number;
  /** The id of the request that translated (API Gateway's request id, answered in `x-correlation-id`). */
  readonly correlation_id?: string;
}

export interface HistoryEntry {
  readonly inputText: string;
  readonly outputText: string;
  readonly sourceLanguage: string;
  readonly targetLanguage: string;
  readonly correlationId?: string;
}

/** The item for one translation at `now`; `ttlDays` 0 keeps it forever (the hands-on's behaviour). */
export function historyItem(entry: HistoryEntry, now: Date, id: string, ttlDays: number): HistoryItem {
  const createdAt = now.toISOString();
  return {
    timestamp: `${createdAt}#${id}`,
    created_at: createdAt,
    input_text: entry.inputText,
    output_text: entry.outputText,
    source_language: entry.sourceLanguage,
    target_language: entry.targetLanguage,
    ...(ttlDays > 0 ? { expires_at: Math.floor(now.getTime() / 1000) + ttlDays * 86_400 } : {}),
    ...(entry.correlationId ? { correlation_id: entry.correlationId } : {}),
  };
}

/** Writes the item; never replaces an existing one (needs only `dynamodb:PutItem`). */
export async function saveHistory(
  documents: DynamoDBDocumentClient,
  tableName: string,
  item: HistoryItem,
  abortSignal?: AbortSignal,
): Promise<void> {
  await documents.send(
    new PutCommand({
      TableName: tableName,
      Item: item,
      ConditionExpression: "attribute_not_exists(#key)",
      ExpressionAttributeNames: { "#key": HISTORY_KEY },
    }),
    { abortSignal },
  );
}
