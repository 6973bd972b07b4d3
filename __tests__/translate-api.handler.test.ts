/**
 * The translate-api handler through its real Lambda entry, with:
 * - DynamoDB: a real engine (dynalite) started by this test on 127.0.0.1, the
 *   module-scope client pointed at it with the SDK's `AWS_ENDPOINT_URL_DYNAMODB`;
 * - Amazon Translate: STUBBED at the SDK boundary with aws-sdk-client-mock,
 *   because it has no local engine. The stub stands in for Translate only; with
 *   `source=auto` Translate calls Comprehend itself, so no Comprehend client is
 *   used or stubbed.
 *
 * Every status code the handler answers is covered (200, 400, 405, 415, 503,
 * 500), and every refused request is checked to reach neither Translate nor the table.
 */
import {
  DetectedLanguageLowConfidenceException,
  TooManyRequestsException,
  TranslateClient,
  TranslateTextCommand,
  UnsupportedLanguagePairException,
} from "@aws-sdk/client-translate";
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from "aws-lambda";
import { mockClient } from "aws-sdk-client-mock";
import { historyWriteBudgetMs } from "../handlers/translate-api/config";
import { HISTORY_WRITE_FAILED } from "../handlers/translate-api/translate";
import { getEvent, postEvent, restEvent } from "./translate-api/events";
import { LocalDynamo, sdkEnv, startLocalDynamo } from "./support/local-aws";

const translateMock = mockClient(TranslateClient);
let dynamo: LocalDynamo;
let handler: (event: APIGatewayProxyEvent) => Promise<APIGatewayProxyResult>;
let table: string;
let tables = 0;
const savedEnv = { ...process.env };

beforeAll(async () => {
  dynamo = await startLocalDynamo();
  Object.assign(process.env, sdkEnv({ dynamodb: dynamo }));
  // Imported only now: the entry creates its clients at module scope, from the environment above.
  ({ handler } = await import("../handlers/translate-api"));
});

afterAll(async () => {
  process.env = savedEnv;
  await dynamo.stop();
});

/** The entry's one log line per answer (console.log): captured in every test. */
let infoLog: jest.SpyInstance;

beforeEach(async () => {
  infoLog = jest.spyOn(console, "log").mockImplementation(() => undefined);
  translateMock.reset();
  translateMock.on(TranslateTextCommand).callsFake(async (input: { Text: string; SourceLanguageCode: string; TargetLanguageCode: string }) => ({
    TranslatedText: `[${input.TargetLanguageCode}] ${input.Text}`,
    SourceLanguageCode: input.SourceLanguageCode === "auto" ? "fr" : input.SourceLanguageCode,
    TargetLanguageCode: input.TargetLanguageCode,
  }));
  // A fresh table keyed like `translate-history` (`timestamp`, S), so tests never share items.
  table = await dynamo.createTable(`translate-history-${++tables}`, "timestamp");
  process.env.TABLE_NAME = table;
  delete process.env.HISTORY_TTL_DAYS;
});

afterEach(() => {
  jest.restoreAllMocks();
  jest.useRealTimers();
});

/** Everything jest can fake except Date: the clock stands still, timers and I/O run normally. */
const nonDateTimers: FakeTimersConfig["doNotFake"] = [
  "hrtime",
  "nextTick",
  "performance",
  "queueMicrotask",
  "requestAnimationFrame",
  "cancelAnimationFrame",
  "requestIdleCallback",
  "cancelIdleCallback",
  "setImmediate",
  "clearImmediate",
  "setInterval",
  "clearInterval",
  "setTimeout",
  "clearTimeout",
];

function body(result: APIGatewayProxyResult): Record<string, unknown> {
  expect(result.headers?.["content-type"]).toMatch(/^application\/json/);
  return JSON.parse(result.body) as Record<string, unknown>;
}

function translateCalls(): Array<{ Text?: string; SourceLanguageCode?: string; TargetLanguageCode?: string }> {
  return translateMock.commandCalls(TranslateTextCommand).map((call) => call.args[0].input);
}

describe("200: translation answered and recorded", () => {
  it("GET ?input_text= translates ja -> en by default (the hands-on's request) and writes one history item", async () => {
    const result = await handler(getEvent({ input_text: "こんにちは" }));

    expect(result.statusCode).toBe(200);
    expect(infoLog).toHaveBeenCalledWith(expect.stringContaining('"event":"answered","method":"GET","status":200'));
    expect(body(result)).toEqual({ output_text: "[en] こんにちは", source_language: "ja", target_language: "en" });
    expect(translateCalls()).toEqual([{ Text: "こんにちは", SourceLanguageCode: "ja", TargetLanguageCode: "en" }]);
    const items = await dynamo.items(table);
    expect(items).toHaveLength(1);
    expect(items[0]).toMatchObject({
      input_text: "こんにちは",
      output_text: "[en] こんにちは",
      source_language: "ja",
      target_language: "en",
    });
    expect(items[0].timestamp).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z#[0-9a-f-]{36}$/);
    expect(String(items[0].timestamp).startsWith(String(items[0].created_at))).toBe(true);
    expect(items[0]).not.toHaveProperty("expires_at"); // TTL 0: kept forever, as the hands-on
  });

  it("POST with source=auto answers the language Translate detected, and records it", async () => {
    const result = await handler(postEvent({ input_text: "Bonjour", source: "auto", target: "ja" }));

    expect(result.statusCode).toBe(200);
    expect(body(result)).toEqual({ output_text: "[ja] Bonjour", source_language: "fr", target_language: "ja" });
    expect(translateCalls()[0]).toMatchObject({ SourceLanguageCode: "auto", TargetLanguageCode: "ja" });
    expect(await dynamo.items(table)).toEqual([expect.objectContaining({ source_language: "fr", input_text: "Bonjour" })]);
  });

  it("normalizes language codes (`ZH-tw` -> `zh-TW`) and accepts a charset in Content-Type", async () => {
    const result = await handler(
      postEvent({ input_text: "hello", source: "EN", target: "ZH-tw" }, { "content-type": "application/json; charset=utf-8" }),
    );
    expect(result.statusCode).toBe(200);
    expect(translateCalls()[0]).toMatchObject({ SourceLanguageCode: "en", TargetLanguageCode: "zh-TW" });
  });

  it("accepts exactly 10,000 bytes of UTF-8", async () => {
    const text = "a".repeat(9_997) + "あ"; // 9,997 + 3 bytes
    const result = await handler(postEvent({ input_text: text }));
    expect(result.statusCode).toBe(200);
  });

  it("sets expires_at when HISTORY_TTL_DAYS is set", async () => {
    process.env.HISTORY_TTL_DAYS = "30";
    const now = Date.UTC(2025, 5, 22, 1, 0, 36, 123);
    jest.useFakeTimers({ now, doNotFake: nonDateTimers });

    expect((await handler(getEvent({ input_text: "テスト" }))).statusCode).toBe(200);

    const [item] = await dynamo.items(table);
    expect(item.expires_at).toBe(Math.floor(now / 1000) + 30 * 86_400);
    expect(item.created_at).toBe("2025-06-22T01:00:36.123Z");
  });
});


describe("the hands-on's key collision is fixed", () => {
  it("two requests in the same millisecond leave two history items", async () => {
    const frozen = Date.UTC(2025, 5, 22, 1, 0, 36, 123);
    jest.useFakeTimers({ now: frozen, doNotFake: nonDateTimers });
    expect(Date.now()).toBe(frozen); // the faked clock is in place...

    const results = await Promise.all([
      handler(getEvent({ input_text: "一つ目" })),
      handler(getEvent({ input_text: "二つ目" })),
    ]);
    expect(Date.now()).toBe(frozen); // ...and did not move: both requests ran in the same millisecond

    expect(results.map((r) => r.statusCode)).toEqual([200, 200]);
    const items = await dynamo.items(table);
    expect(items).toHaveLength(2);
    expect(new Set(items.map((i) => i.created_at))).toEqual(new Set(["2025-06-22T01:00:36.123Z"]));
    expect(new Set(items.map((i) => i.timestamp)).size).toBe(2);
    expect(items.map((i) => i.input_text).sort()).toEqual(["一つ目", "二つ目"].sort());
  });
});

describe("4xx: bad input is refused before Translate, and nothing is written", () => {
  const cases: Array<[string, APIGatewayProxyEvent, number, RegExp]> = [
    ["GET without input_text", getEvent({}), 400, /"input_text" is required/],
    ["GET with only other parameters", getEvent({ source: "ja" }), 400, /"input_text" is required/],
    ["GET with empty input_text", getEvent({ input_text: "" }), 400, /must not be empty/],
    ["GET with blank input_text", getEvent({ input_text: " \n\t " }), 400, /must not be empty/],
    ["GET with input_text repeated, the last one empty (the last value counts)", getEvent({ input_text: ["a", ""] }), 400, /"input_text" must not be empty/],
    ["GET with target repeated, the last one malformed (the last value counts)", getEvent({ input_text: "a", target: ["en", "english!"] }), 400, /"target" must be/],
    ["text over 10,000 bytes (3,334 x 3-byte characters)", getEvent({ input_text: "あ".repeat(3_334) }), 400, /10002 bytes.*at most 10000 bytes/],
    ["text with a lone surrogate", postEvent('{"input_text": "bad \\ud800 text"}'), 400, /not valid Unicode/],
    ["malformed source language", getEvent({ input_text: "a", source: "japanese" }), 400, /"source" must be "auto" or a language code/],
    ["source with injection attempt", getEvent({ input_text: "a", source: "ja'; DROP" }), 400, /"source" must be/],
    ["empty target language", getEvent({ input_text: "a", target: "" }), 400, /"target" must be a language code/],
    ["target auto", getEvent({ input_text: "a", target: "auto" }), 400, /"target" must be a language code/],
    ["same source and target", getEvent({ input_text: "a", source: "en", target: "EN" }), 400, /both "en"/],
    ["POST malformed JSON", postEvent("{not json"), 400, /not valid JSON/],
    ["POST empty body", postEvent(""), 400, /body is empty/],
    ["POST JSON array", postEvent("[1,2]"), 400, /must be a JSON object/],
    ["POST input_text not a string", postEvent({ input_text: 42 }), 400, /"input_text" must be a string/],
    ["POST source not a string", postEvent({ input_text: "a", source: 1 }), 400, /"source" must be/],
    ["POST unknown field", postEvent({ input_text: "a", text: "b" }), 400, /Unknown field\(s\) "text"/],
    ["POST body over 64 KiB", postEvent({ input_text: "a".repeat(70_000) }), 413, /larger than 65536 bytes/],
    [
      "POST base64 body that is not UTF-8",
      restEvent({ httpMethod: "POST", headers: { "content-type": "application/json" }, body: Buffer.from([0x7b, 0xff, 0x7d]).toString("base64"), isBase64Encoded: true }),
      400,
      /not valid UTF-8/,
    ],
    ["POST with a non-JSON content type", postEvent("input_text=a", { "Content-Type": "application/x-www-form-urlencoded" }), 415, /application\/json/],
    ["DELETE", restEvent({ httpMethod: "DELETE" }), 405, /use GET or POST/],
  ];

  it.each(cases.map(([name, event, status, message]) => ({ name, event, status, message })))(
    "$name -> $status",
    async ({ event, status, message }) => {
    const result = await handler(event);
    expect(result.statusCode).toBe(status);
    expect(body(result).message).toMatch(message);
    expect(translateCalls()).toHaveLength(0);
    expect(await dynamo.items(table)).toHaveLength(0);
    },
  );
});

describe("Amazon Translate errors", () => {
  it("unsupported language pair -> 400 with Translate's message", async () => {
    const message = "Unsupported language pair: ja to xx";
    translateMock.on(TranslateTextCommand).rejects(new UnsupportedLanguagePairException({ message, $metadata: {} }));

    const result = await handler(getEvent({ input_text: "こんにちは", target: "xx" }));

    expect(result.statusCode).toBe(400);
    expect(body(result)).toEqual({ message });
    expect(await dynamo.items(table)).toHaveLength(0);
  });

  it("language detection failed (source=auto) -> 400 with Translate's message", async () => {
    const message = "Confidence in the detected language is too low";
    translateMock.on(TranslateTextCommand).rejects(new DetectedLanguageLowConfidenceException({ message, $metadata: {} }));

    const result = await handler(getEvent({ input_text: "???", source: "auto" }));

    expect(result.statusCode).toBe(400);
    expect(body(result)).toEqual({ message });
  });

  it("Translate throttled -> 503 with Retry-After (the service's capacity, not the caller's rate)", async () => {
    translateMock.on(TranslateTextCommand).rejects(new TooManyRequestsException({ message: "Rate exceeded", $metadata: {} }));
    const warning = jest.spyOn(console, "warn").mockImplementation(() => undefined);

    const result = await handler(getEvent({ input_text: "こんにちは" }));

    expect(warning).toHaveBeenCalledWith(expect.stringContaining('"event":"DOWNSTREAM_FAULT","fault":"throttled","dependency":"Amazon Translate"'));
    expect(result.statusCode).toBe(503);
    expect(result.headers?.["retry-after"]).toBe("1");
    expect(body(result).message).toMatch(/Amazon Translate is busy; retry in 1 s/);
    expect(await dynamo.items(table)).toHaveLength(0);
  });

  it("anything else -> 500 with a generic message; the stack trace goes to the log only", async () => {
    const error = jest.spyOn(console, "error").mockImplementation(() => undefined);
    translateMock.on(TranslateTextCommand).rejects(new Error("socket hang up at /var/task/secret.js:1"));

    const result = await handler(getEvent({ input_text: "こんにちは" }));

    expect(result.statusCode).toBe(500);
    expect(body(result)).toEqual({ message: "Internal server error" });
    expect(result.body).not.toMatch(/secret|socket/);
    expect(error).toHaveBeenCalled();
  });
});

describe("history write failures", () => {
  it("a failed write still answers 200 with the translation, and logs HISTORY_WRITE_FAILED (the alarm's metric)", async () => {
    const error = jest.spyOn(console, "error").mockImplementation(() => undefined);
    process.env.TABLE_NAME = "no-such-table";

    const result = await handler(getEvent({ input_text: "こんにちは" }));

    expect(result.statusCode).toBe(200);
    expect(infoLog).toHaveBeenCalledWith(expect.stringContaining('"event":"answered","method":"GET","status":200'));
    expect(body(result).output_text).toBe("[en] こんにちは");
    const lines = error.mock.calls.map((call) => JSON.parse(String(call[0])) as Record<string, unknown>);
    expect(lines).toContainEqual(
      expect.objectContaining({ event: HISTORY_WRITE_FAILED, outcome: "HistoryWriteFailed", table: "no-such-table", error: expect.stringMatching(/ResourceNotFoundException/) }),
    );
    // The input text stays out of the log.
    expect(JSON.stringify(error.mock.calls)).not.toContain("こんにちは");
  });

  it("a missing TABLE_NAME is a deployment error: 500, never a silent success", async () => {
    const error = jest.spyOn(console, "error").mockImplementation(() => undefined);
    delete process.env.TABLE_NAME;

    const result = await handler(getEvent({ input_text: "こんにちは" }));

    expect(result.statusCode).toBe(500);
    expect(body(result)).toEqual({ message: "Internal server error" });
    expect(translateCalls()).toHaveLength(0);
    expect(error).toHaveBeenCalled();
  });
});

describe("history write budget (HISTORY_WRITE_BUDGET_MS)", () => {
  test("the stack's value within what leaves Translate its minimum; 20 % of the timeout (at most 1 s) without one", () => {
    expect(historyWriteBudgetMs({ FUNCTION_TIMEOUT_MS: "10000", HISTORY_WRITE_BUDGET_MS: "1000" })).toBe(1000);
    expect(historyWriteBudgetMs({ FUNCTION_TIMEOUT_MS: "10000" })).toBe(1000);
    expect(historyWriteBudgetMs({ FUNCTION_TIMEOUT_MS: "3000" })).toBe(600);
    // 3 s: margin 300 ms, Translate 1000 ms -> at most 1700 ms.
    expect(historyWriteBudgetMs({ FUNCTION_TIMEOUT_MS: "3000", HISTORY_WRITE_BUDGET_MS: "1700" })).toBe(1700);
  });

  test("a budget that would starve Translate is a ConfigError naming the variable, not a 504 on every request", () => {
    expect(() => historyWriteBudgetMs({ FUNCTION_TIMEOUT_MS: "3000", HISTORY_WRITE_BUDGET_MS: "1701" })).toThrow(
      expect.objectContaining({ name: "ConfigError", variable: "HISTORY_WRITE_BUDGET_MS" }),
    );
    expect(() => historyWriteBudgetMs({ FUNCTION_TIMEOUT_MS: "1000" })).toThrow(
      expect.objectContaining({ name: "ConfigError", variable: "FUNCTION_TIMEOUT_MS" }),
    );
  });
});
