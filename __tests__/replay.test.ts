/**
 * The spike replays (scripts/replay) at small N, on the app as synthesized
 * (archive packaging, the bundled handlers), against local engines the replay
 * starts and stops itself: with and without injected faults, nothing accepted
 * may be lost. No timing assertions: the figures depend on the machine.
 */
import { passed, runReplay } from "../tools/replay";
import type { ReplaySummary } from "../tools/replay/metrics";
import { readSynthesizedStack, sharedSynthDir } from "./support/synth";

// The run's shared synth (support/global-setup.ts): archive packaging, as `npm run replay` synthesizes.
const synthDir = sharedSynthDir("app");

function expectNothingLost(summary: ReplaySummary): void {
  expect(summary.lost).toBe(0);
  expect(summary.accepted).toBe(summary.sent);
  expect(summary.delivered + summary.deadLettered).toBeGreaterThanOrEqual(summary.accepted);
  expect(passed(summary)).toBe(true);
}

describe("replay kinesis-ingest", () => {
  it("stores every request exactly once, with the mapping's settings from synth", async () => {
    const summary = await runReplay("kinesis-ingest", { synthDir, requests: 80, concurrency: 8, progress: false });
    expectNothingLost(summary);
    expect(summary.delivered).toBe(80);
    expect(summary.duplicates).toBe(0);
    expect(summary.deadLettered).toBe(0);
    const mapping = Object.values(readSynthesizedStack("app", "kinesis-ingest").resource.aws_lambda_event_source_mapping)[0];
    expect(summary.settings.batchSize).toBe(mapping.batch_size);
    expect(summary.settings.maxRetries).toBe(mapping.maximum_retry_attempts);
    expect(summary.maxConcurrency).toBeLessThanOrEqual(summary.concurrencyLimit ?? 1);
  });

  it("dead-letters poison records and stores the rest exactly once under DynamoDB throttling", async () => {
    // The smallest run that shows every path: seed 1 poisons one of 12 requests (the consumer
    // dead-letters it itself) and the proxy throttles some puts (the handler's UnprocessedItems retry).
    const summary = await runReplay("kinesis-ingest", {
      synthDir,
      requests: 12,
      concurrency: 8,
      poisonRate: 0.1,
      throttleRate: 0.3,
      seed: 1,
      pollIntervalMs: 20,
      progress: false,
    });
    expectNothingLost(summary);
    expect(summary.duplicates).toBe(0);
    // The poison record (> 400 KB item) can never be stored: it ends in the DLQ, and only it.
    expect(summary.deadLettered).toBe(1);
    expect(summary.delivered + summary.deadLettered).toBe(12);
    expect(summary.notes.join("\n")).toMatch(/answered [1-9]\d* put request\(s\)/);
    // The method requires an API key (the default): the replay's client sent one, and every request was accepted.
    expect(summary.notes.join("\n")).toMatch(/requests carry the client's x-api-key/);
  });
});

describe("replay kinesis-ingest under downstream faults", () => {
  it("a share of DynamoDB calls throttled, then DynamoDB silent for a while: nothing lost, no invocation killed by its timeout", async () => {
    const summary = await runReplay("kinesis-ingest", {
      synthDir,
      requests: 60,
      concurrency: 8,
      ddbThrottleRate: 0.3,
      ddbSilenceMs: 1000,
      ddbSilenceAtMs: 0,
      progress: false,
    });
    expectNothingLost(summary);
    expect(summary.timedOutInvocations).toBe(0);
    expect(summary.duplicates).toBe(0);
    expect(summary.delivered).toBe(60);
    expect(summary.notes.join("\n")).toMatch(/fault proxy: [1-9]\d* of \d+ DynamoDB call\(s\) throttled as a whole/);
  });
});

describe("replay webhook-proxy", () => {
  it("delivers every webhook byte for byte within the concurrency limit", async () => {
    const summary = await runReplay("webhook-proxy", { synthDir, requests: 40, concurrency: 8, progress: false });
    expectNothingLost(summary);
    expect(summary.delivered).toBe(40);
    expect(summary.deadLettered).toBe(0);
    // The signature check is on by default: every webhook was signed, verified and delivered.
    expect(summary.notes.join("\n")).toMatch(/webhooks signed \(x-hub-signature-256: sha256=/);
    expect(summary.notes.join("\n")).not.toMatch(/differs from what was sent/);
    expect(summary.maxConcurrency).toBeLessThanOrEqual(summary.concurrencyLimit!);
  });

  it("retries failed and hung deliveries, dead-letters after maxReceiveCount, and holds the limit", async () => {
    // Time scaled to the floor (1 s function timeout and visibility, 500 ms upstream timeout); with
    // 80 % of deliveries failing or hanging, some of 20 webhooks fail all maxReceiveCount (5) receives.
    const summary = await runReplay("webhook-proxy", {
      synthDir,
      requests: 20,
      concurrency: 8,
      reservedConcurrency: 3,
      failRate: 0.7,
      hangRate: 0.1,
      timeScale: 0.01,
      seed: 2,
      pollIntervalMs: 20,
      progress: false,
    });
    expectNothingLost(summary);
    expect(summary.concurrencyLimit).toBe(3);
    expect(summary.maxConcurrency).toBeLessThanOrEqual(3);
    expect(summary.invocations).toBeGreaterThan(20); // failures were retried
    expect(summary.deadLettered).toBeGreaterThan(0); // ... up to maxReceiveCount, then to the DLQ
    expect(summary.delivered).toBeGreaterThan(0);
    expect(summary.notes.join("\n")).not.toMatch(/differs from what was sent/);
  });
});
