/**
 * The shared time budget (handlers/shared): SDK retries sized to fit the
 * function's timeout, the downstream fault classification every HTTP handler
 * answers from, and the rule that SDK clients are created in one place only.
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import * as path from "node:path";
import { downstreamFault, faultAnswer } from "../handlers/shared/downstream";
import { lastQueryValues } from "../handlers/shared/http";
import { Deadline, maxBackoffBeforeRetryMs, safetyMarginMs, sdkCallBudget, THROTTLING_BACKOFF_BASE_MS } from "../handlers/shared/time-budget";
import { GetItemCommand } from "@aws-sdk/client-dynamodb";
import { SendMessageCommand } from "@aws-sdk/client-sqs";
import { GetParameterCommand } from "@aws-sdk/client-ssm";
import { TranslateTextCommand } from "@aws-sdk/client-translate";
import { MAXIMUM_RETRY_DELAY, Retry } from "@smithy/core/retry";
import { RETRY_HINT_HEADERS } from "../handlers/shared/aws-clients";
import { dynamoDocumentClient } from "../handlers/shared/dynamodb-client";
import { sqsClient } from "../handlers/shared/sqs-client";
import { ssmClient } from "../handlers/shared/ssm-client";
import { translateClient } from "../handlers/shared/translate-client";
import { sdkEnv } from "./support/local-aws";
import { startThrottlingService, type ThrottlingService } from "./support/throttling-service";

describe("sdkCallBudget: one call with all its retries fits in the function's time", () => {
  test.each([1000, 3000, 10_000, 60_000])("a %i ms function", (timeoutMs) => {
    const env = { FUNCTION_TIMEOUT_MS: String(timeoutMs) };
    for (const maxAttempts of [1, 2, 3]) {
      const budget = sdkCallBudget(env, { maxAttempts });
      // Worst case: every attempt runs to its request timeout, every backoff to its throttling maximum (1000 ms x 2^n).
      const backoffs = Array.from({ length: budget.maxAttempts - 1 }, (_, n) => 1000 * 2 ** n).reduce((a, b) => a + b, 0);
      const worst = budget.maxAttempts * budget.requestTimeoutMs + backoffs;
      expect(worst).toBeLessThanOrEqual(timeoutMs - safetyMarginMs(timeoutMs));
      expect(budget.maxAttempts).toBeLessThanOrEqual(maxAttempts);
      expect(budget.connectionTimeoutMs).toBeLessThanOrEqual(budget.requestTimeoutMs);
    }
  });

  test("an operation budget (translate-api's history write) bounds the call, not the whole function", () => {
    const budget = sdkCallBudget({ FUNCTION_TIMEOUT_MS: "10000" }, { maxAttempts: 1, operationBudgetMs: 1000 });
    expect(budget.requestTimeoutMs).toBe(1000);
  });

  test("the deadline keeps its margin free and hands out signals that abort when the time is up", async () => {
    const deadline = Deadline.of({ getRemainingTimeInMillis: () => 3000 }, { FUNCTION_TIMEOUT_MS: "3000" });
    expect(deadline.leftMs()).toBe(3000 - safetyMarginMs(3000));
    const signal = Deadline.in(20).signal();
    expect(signal.aborted).toBe(false);
    // Waits for the abort itself (a signal that never aborts fails on the test timeout), not for a guessed delay.
    await new Promise<void>((resolve) => signal.addEventListener("abort", () => resolve(), { once: true }));
    expect(signal.aborted).toBe(true);
    expect(signal.reason).toMatchObject({ name: "TimeoutError" });
  });
});

describe("the backoff sdkCallBudget counts on is the installed SDK's, and no answer can stretch it", () => {
  test("the installed @smithy/core backs off at most THROTTLING_BACKOFF_BASE_MS x 2^(n-1) before retry n (throttling is its largest base)", () => {
    // StandardRetryStrategy: random x min(base x 2^(n-1), MAXIMUM_RETRY_DELAY), base 1000 ms for throttling, 50 ms otherwise.
    expect(Retry.throttlingDelay()).toBe(THROTTLING_BACKOFF_BASE_MS);
    expect(Retry.delay()).toBeLessThanOrEqual(THROTTLING_BACKOFF_BASE_MS);
    expect(MAXIMUM_RETRY_DELAY).toBeGreaterThanOrEqual(maxBackoffBeforeRetryMs(2));
    expect([1, 2, 3].map(maxBackoffBeforeRetryMs)).toEqual([1000, 2000, 4000]);
    expect([...RETRY_HINT_HEADERS].sort()).toEqual(["retry-after", "x-amz-retry-after"]);
  });

  describe("every shared client, throttled with a 5 s retry hint, waits no more than the budget's backoff", () => {
    const saved = { ...process.env };
    let service: ThrottlingService;
    beforeAll(async () => {
      service = await startThrottlingService({ retryAfterMs: 5000 });
      Object.assign(process.env, sdkEnv({ dynamodb: service, sqs: service, ssm: service }), {
        AWS_ENDPOINT_URL_TRANSLATE: service.endpoint,
        FUNCTION_TIMEOUT_MS: "3000",
      });
    });
    afterAll(async () => {
      process.env = saved;
      await service.stop();
    });

    // What the SDK itself reports waiting ($metadata.totalRetryDelay), not a clock: with the hint it would be 5000 ms.
    test.each([
      ["SSM", () => ssmClient().send(new GetParameterCommand({ Name: "/x" }))],
      ["SQS", () => sqsClient().send(new SendMessageCommand({ QueueUrl: `${service.endpoint}/123456789012/q`, MessageBody: "x" }))],
      ["DynamoDB", () => dynamoDocumentClient().send(new GetItemCommand({ TableName: "t", Key: { k: { S: "v" } } }))],
      ["Translate", () => translateClient().send(new TranslateTextCommand({ Text: "x", SourceLanguageCode: "ja", TargetLanguageCode: "en" }))],
    ])("%s", async (_service, call) => {
      const err = (await call().then(
        () => undefined,
        (e: unknown) => e,
      )) as { name?: string; $metadata?: { attempts?: number; totalRetryDelay?: number } } | undefined;
      expect(err?.name).toBe("ThrottlingException");
      expect(err?.$metadata?.attempts).toBe(2);
      expect(err?.$metadata?.totalRetryDelay).toBeLessThanOrEqual(maxBackoffBeforeRetryMs(1));
    });
  });
});

describe("downstreamFault", () => {
  const named = (name: string, extra: Record<string, unknown> = {}): Error => Object.assign(new Error(name), { name, ...extra });
  test.each([
    [named("ProvisionedThroughputExceededException"), "throttled"],
    [named("TooManyRequestsException"), "throttled"],
    [named("Anything", { $metadata: { httpStatusCode: 429 } }), "throttled"],
    [named("TimeoutError"), "timeout"],
    [named("AbortError"), "timeout"],
    [named("Error", { code: "ECONNREFUSED" }), "unavailable"],
    [named("InternalServerError", { $fault: "server", $metadata: { httpStatusCode: 500 } }), "unavailable"],
    [named("ValidationException", { $fault: "client", $metadata: { httpStatusCode: 400 } }), undefined],
    [named("AccessDeniedException"), undefined],
  ])("%s -> %s", (err, fault) => {
    expect(downstreamFault(err)).toBe(fault);
  });

  test("throttled and unavailable answer 503, silent 504, each with Retry-After", () => {
    expect(faultAnswer("throttled", "X")).toMatchObject({ statusCode: 503, headers: { "retry-after": "1" } });
    expect(faultAnswer("unavailable", "X")).toMatchObject({ statusCode: 503, headers: { "retry-after": "1" } });
    expect(faultAnswer("timeout", "X")).toMatchObject({ statusCode: 504, headers: { "retry-after": "1" } });
  });
});

test("a repeated query parameter: the last value counts", () => {
  expect(Object.fromEntries(lastQueryValues("a=1&b=x+y&a=2&c=%E3%81%82"))).toEqual({ a: "2", b: "x y", c: "あ" });
});

test("AWS SDK clients are created only in handlers/shared (so every client is bounded)", () => {
  const root = path.join(__dirname, "..", "handlers");
  const offenders: string[] = [];
  const walk = (dir: string): void => {
    for (const name of readdirSync(dir)) {
      const file = path.join(dir, name);
      if (statSync(file).isDirectory()) {
        if (file !== path.join(root, "shared")) walk(file);
      } else if (/\.ts$/.test(name) && /new [A-Z]\w*Client\(/.test(readFileSync(file, "utf8"))) {
        offenders.push(path.relative(root, file));
      }
    }
  };
  walk(root);
  expect(offenders).toEqual([]);
});
