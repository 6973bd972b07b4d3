/**
 * The spike replays (scripts/replay) at small N, on the app as synthesized
 * (archive packaging, the bundled handlers), against local engines the replay
 * starts and stops itself: with and without injected faults, nothing accepted
 * may be lost. No timing assertions: the figures depend on the machine.
 */
import { readFileSync } from "node:fs";
import * as path from "node:path";
import { passed, runReplay } from "../scripts/replay";
import type { ReplaySummary } from "../scripts/replay/metrics";
import { sharedSynthDir } from "./support/synth";

// The run's shared synth (support/global-setup.ts): archive packaging, as `npm run replay` synthesizes.
const synthDir = sharedSynthDir("app");

function tfJson(stack: string): { resource: Record<string, Record<string, Record<string, unknown>>> } {
  return JSON.parse(readFileSync(path.join(synthDir, "stacks", stack, "cdk.tf.json"), "utf8"));
}

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
    const mapping = Object.values(tfJson("kinesis-ingest").resource.aws_lambda_event_source_mapping)[0];
    expect(summary.settings.batchSize).toBe(mapping.batch_size);
    expect(summary.settings.maxRetries).toBe(mapping.maximum_retry_attempts);
    expect(summary.maxConcurrency).toBeLessThanOrEqual(summary.concurrencyLimit ?? 1);
  });

  it("dead-letters poison records and stores the rest exactly once under DynamoDB throttling", async () => {
    const summary = await runReplay("kinesis-ingest", {
      synthDir,
      requests: 60,
      concurrency: 8,
      poisonRate: 0.05,
      throttleRate: 0.3,
      seed: 3,
      progress: false,
    });
    expectNothingLost(summary);
    expect(summary.duplicates).toBe(0);
    // The poison records (> 400 KB items) can never be stored: they end in the DLQ, and only they.
    expect(summary.deadLettered).toBeGreaterThan(0);
    expect(summary.delivered + summary.deadLettered).toBe(60);
    expect(summary.notes.join("\n")).toMatch(/answered [1-9]\d* put request\(s\)/);
  });
});

describe("replay webhook-proxy", () => {
  it("delivers every webhook byte for byte within the concurrency limit", async () => {
    const summary = await runReplay("webhook-proxy", { synthDir, requests: 40, concurrency: 8, progress: false });
    expectNothingLost(summary);
    expect(summary.delivered).toBe(40);
    expect(summary.deadLettered).toBe(0);
    expect(summary.notes.join("\n")).not.toMatch(/differs from what was sent/);
    expect(summary.maxConcurrency).toBeLessThanOrEqual(summary.concurrencyLimit!);
  });

  it("retries failed and hung deliveries, dead-letters after maxReceiveCount, and holds the limit", async () => {
    const summary = await runReplay("webhook-proxy", {
      synthDir,
      requests: 40,
      concurrency: 8,
      reservedConcurrency: 3,
      failRate: 0.5,
      hangRate: 0.15,
      timeScale: 0.1,
      seed: 2,
      progress: false,
    });
    expectNothingLost(summary);
    expect(summary.concurrencyLimit).toBe(3);
    expect(summary.maxConcurrency).toBeLessThanOrEqual(3);
    expect(summary.invocations).toBeGreaterThan(40); // failures were retried
    expect(summary.notes.join("\n")).not.toMatch(/differs from what was sent/);
  });
});
