/**
 * handlers/shared/env.ts: the one way handlers read settings, and its one
 * failure mode (a ConfigError naming the variable; never undefined, never NaN).
 */
import type { Context } from "aws-lambda";
import { handler as eventLogApi } from "../handlers/event-log-api";
import { ConfigError, Environment, integer, lazy, oneOf, optionalString, readSettings, reportConfigError, requiredString } from "../handlers/shared/env";
import { functionTimeoutMs } from "../handlers/shared/time-budget";
import { handler as translateApi } from "../handlers/translate-api";
import { handler as api2sqs } from "../handlers/webhook-proxy/api2sqs";
import { handler as sqs2upstream } from "../handlers/webhook-proxy/sqs2upstream";
import { getEvent } from "./translate-api/events";
import { apiEvent, sqsRecord } from "./webhook-proxy/fixtures";

/** The ConfigError `read` throws (failing the test when it returns instead). */
function configErrorOf(read: () => unknown): ConfigError {
  try {
    read();
  } catch (err) {
    if (err instanceof ConfigError) return err;
    throw err;
  }
  throw new Error("expected a ConfigError, got a value");
}

describe("requiredString", () => {
  test.each<[string, Environment, string]>([
    ["set", { NAME: "table-1" }, "table-1"],
    ["set to white space (a value, kept as is)", { NAME: " " }, " "],
  ])("%s -> the value", (_, env, expected) => {
    expect(requiredString("NAME", env)).toBe(expected);
  });

  test.each<[string, Environment]>([
    ["missing", {}],
    ["empty", { NAME: "" }],
  ])("%s -> ConfigError naming the variable", (_, env) => {
    const error = configErrorOf(() => requiredString("NAME", env));
    expect(error.variable).toBe("NAME");
    expect(error.message).toBe("NAME is not set.");
  });

  test("allowEmpty: empty is a value, missing is still a ConfigError", () => {
    expect(requiredString("NAME", { NAME: "" }, { allowEmpty: true })).toBe("");
    expect(configErrorOf(() => requiredString("NAME", {}, { allowEmpty: true })).variable).toBe("NAME");
  });
});

describe("optionalString", () => {
  test.each<[string, Environment, boolean, string]>([
    ["missing", {}, false, "fallback"],
    ["empty", { NAME: "" }, false, "fallback"],
    ["empty with keepEmpty", { NAME: "" }, true, ""],
    ["missing with keepEmpty", {}, true, "fallback"],
    ["set", { NAME: "value" }, false, "value"],
  ])("%s (keepEmpty: %p) -> %p", (_, env, keepEmpty, expected) => {
    expect(optionalString("NAME", { default: "fallback", keepEmpty }, env)).toBe(expected);
  });
});

describe("integer", () => {
  const rule = { min: 1, max: 100, default: 10 };

  test.each<[string, string | undefined, number]>([
    ["missing", undefined, 10],
    ["empty", "", 10],
    ["white space only", "  ", 10],
    ["the minimum", "1", 1],
    ["the maximum", "100", 100],
    ["padded", " 42 ", 42],
    ["signed", "+7", 7],
  ])("%s (%p) -> %p", (_, value, expected) => {
    expect(integer("SIZE", rule, value === undefined ? {} : { SIZE: value })).toBe(expected);
  });

  test.each<[string, string, RegExp]>([
    ["non-numeric", "abc", /SIZE must be a whole number from 1 to 100, got "abc"/],
    ["a number with a unit", "10ms", /got "10ms"/],
    ["fractional", "2.5", /got "2.5"/],
    ["exponent notation", "1e2", /got "1e2"/],
    ["hexadecimal", "0x10", /got "0x10"/],
    ["below the minimum", "0", /from 1 to 100, got "0"/],
    ["negative", "-5", /got "-5"/],
    ["above the maximum", "101", /got "101"/],
    ["beyond a safe integer", "99999999999999999999", /got "99999999999999999999"/],
    ["Infinity", "Infinity", /got "Infinity"/],
    ["NaN", "NaN", /got "NaN"/],
  ])("%s (%p) -> ConfigError, never NaN", (_, value, message) => {
    const error = configErrorOf(() => integer("SIZE", rule, { SIZE: value }));
    expect(error.variable).toBe("SIZE");
    expect(error.message).toMatch(message);
  });

  test("without a default, missing is a ConfigError saying what to give", () => {
    const error = configErrorOf(() => integer("SIZE", { min: 0 }, {}));
    expect(error.message).toBe(`SIZE is not set: give a whole number from 0 to ${Number.MAX_SAFE_INTEGER}.`);
  });
});

describe("oneOf", () => {
  const rule = { values: ["hex", "base64"] as const, default: "hex" as const };

  test.each<[string, Environment, string]>([
    ["missing", {}, "hex"],
    ["empty", { ENCODING: "" }, "hex"],
    ["a listed value", { ENCODING: "base64" }, "base64"],
  ])("%s -> %p", (_, env, expected) => {
    expect(oneOf("ENCODING", rule, env)).toBe(expected);
  });

  test.each<[string, string]>([
    ["unlisted", "base32"],
    ["another case (exact match only)", "HEX"],
    ["padded", " hex"],
  ])("%s -> ConfigError listing the choices", (_, value) => {
    const error = configErrorOf(() => oneOf("ENCODING", rule, { ENCODING: value }));
    expect(error.variable).toBe("ENCODING");
    expect(error.message).toBe(`ENCODING must be one of hex, base64, got "${value}".`);
  });
});

describe("FUNCTION_TIMEOUT_MS goes through the same rule", () => {
  test.each<[Environment, number]>([
    [{}, 3000],
    [{ FUNCTION_TIMEOUT_MS: "10000" }, 10000],
  ])("%p -> %p ms", (env, expected) => {
    expect(functionTimeoutMs(env)).toBe(expected);
  });

  test.each(["abc", "0", "900001", "1.5"])("%p -> ConfigError", (value) => {
    expect(configErrorOf(() => functionTimeoutMs({ FUNCTION_TIMEOUT_MS: value })).variable).toBe("FUNCTION_TIMEOUT_MS");
  });
});

describe("the failure mode", () => {
  let error: jest.SpyInstance;
  beforeEach(() => {
    error = jest.spyOn(console, "error").mockImplementation(() => undefined);
  });
  afterEach(() => error.mockRestore());

  test("reportConfigError logs one structured config_error line for a ConfigError, nothing for other errors", () => {
    expect(reportConfigError(new ConfigError("X", "X is not set."))).toBe(true);
    expect(reportConfigError(new Error("other"))).toBe(false);
    expect(error.mock.calls).toHaveLength(1);
    expect(JSON.parse(String(error.mock.calls[0][0]))).toMatchObject({ level: "ERROR", event: "config_error", variable: "X", message: "X is not set." });
  });

  test("readSettings logs and rethrows (a batch handler's whole batch fails)", () => {
    expect(() => readSettings(() => requiredString("TABLE_NAME", {}))).toThrow(ConfigError);
    expect(error).toHaveBeenCalledTimes(1);
    expect(readSettings(() => requiredString("TABLE_NAME", { TABLE_NAME: "t" }))).toBe("t");
  });

  test("lazy keeps a built value, and retries a build that threw", () => {
    let builds = 0;
    let fail = true;
    const value = lazy(() => {
      builds++;
      if (fail) throw new ConfigError("X", "X is not set.");
      return { built: builds };
    });
    expect(() => value()).toThrow(ConfigError);
    fail = false;
    expect(value()).toEqual({ built: 2 });
    expect(value()).toBe(value());
    expect(builds).toBe(2);
  });
});

/**
 * Each entry, given a bad setting, answers with the one failure mode before
 * any downstream call (no engine is started: nothing may be reached). The
 * settings that used to become NaN (`Number(process.env.X || DEFAULT)`) are here.
 */
describe("handlers answer a bad setting with the one failure mode", () => {
  const saved = { ...process.env };
  let error: jest.SpyInstance;
  let info: jest.SpyInstance;
  beforeEach(() => {
    error = jest.spyOn(console, "error").mockImplementation(() => undefined);
    info = jest.spyOn(console, "log").mockImplementation(() => undefined);
  });
  afterEach(() => {
    process.env = { ...saved };
    error.mockRestore();
    info.mockRestore();
  });

  const httpCases: [string, Record<string, string>, string, () => Promise<{ statusCode?: number; body?: string }>][] = [
    ["api2sqs, MAX_MESSAGE_BYTES not a number", { SQS_URL: "http://127.0.0.1:9/q", MAX_MESSAGE_BYTES: "lots" }, "MAX_MESSAGE_BYTES", () => api2sqs(apiEvent({ body: "x" }))],
    ["api2sqs, SIGNATURE_ENCODING unknown", { SQS_URL: "http://127.0.0.1:9/q", SIGNATURE_SECRET_PARAMETER: "/p", SIGNATURE_ENCODING: "base32" }, "SIGNATURE_ENCODING", () => api2sqs(apiEvent({ body: "x" }))],
    ["event-log-api, FUNCTION_TIMEOUT_MS out of bounds", { TABLE_NAME: "t", FUNCTION_TIMEOUT_MS: "0" }, "FUNCTION_TIMEOUT_MS", () => eventLogApi({ ...apiEvent(), routeKey: "GET /events" })],
    ["translate-api, HISTORY_TTL_DAYS negative", { TABLE_NAME: "t", HISTORY_TTL_DAYS: "-1" }, "HISTORY_TTL_DAYS", () => translateApi(getEvent({ input_text: "こんにちは" }))],
  ];

  test.each(httpCases)("%s -> 500 JSON and a config_error line naming it", async (_, env, variable, call) => {
    process.env = { ...saved, ...env };
    const answer = await call();
    expect(answer.statusCode).toBe(500);
    expect(JSON.parse(answer.body ?? "")).toEqual({ message: "Internal server error" });
    expect(error).toHaveBeenCalledWith(expect.stringContaining(`"event":"config_error","variable":"${variable}"`));
    // The entry's one line per answer says 500 too.
    expect(info).toHaveBeenCalledWith(expect.stringMatching(/"level":"INFO","message":"[^"]*\b500"/));
  });

  test("sqs2upstream, UPSTREAM_TIMEOUT_MS not a number -> the invocation fails (the batch returns to the queue)", async () => {
    process.env = { ...saved, UPSTREAM: "http://127.0.0.1:9", UPSTREAM_TIMEOUT_MS: "2s" };
    const context = { getRemainingTimeInMillis: () => 3000 } as unknown as Context;
    await expect(sqs2upstream({ Records: [sqsRecord("m", "{}")] }, context)).rejects.toMatchObject({ variable: "UPSTREAM_TIMEOUT_MS" });
    expect(error).toHaveBeenCalledWith(expect.stringContaining('"variable":"UPSTREAM_TIMEOUT_MS"'));
  });
});
