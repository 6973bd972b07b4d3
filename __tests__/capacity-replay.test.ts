/**
 * The planner against the webhook-proxy replay (scripts/replay): a burst of
 * webhooks sent at once, delivered by as many consumers as the stack's
 * reserved concurrency to a local upstream that answers after a fixed delay.
 * The planner predicts the delivery rate (consumers x batch / upstream
 * latency) and the time to drain the burst; the replay measures them on
 * local-aws-sqs with the bundled handlers. Tolerance: 30 %: the model
 * leaves out each delivery's local receive / invoke / delete round trips
 * (70-120 ms on a loaded 2-core machine; measured 12-19 % slower than
 * predicted with a 500 ms upstream). Small and quick: 16 webhooks, 2-5 s per case.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { App } from "cdktf";
import { loadEnvironment } from "../config";
import { TrafficOptions } from "../scripts/capacity/model";
import { verdict } from "../scripts/capacity/plan";
import { loadStack, parseSet } from "../scripts/capacity/stack";
import { runReplay } from "../scripts/replay";
import { WebhookProxyStack } from "../stacks/webhook-proxy";

const TOLERANCE = 0.3;
const WEBHOOKS = 16;
const UPSTREAM_MS = 500;
let synthDir: string;

beforeAll(() => {
  synthDir = mkdtempSync(path.join(tmpdir(), "capacity-replay-"));
  const app = new App({ outdir: synthDir });
  new WebhookProxyStack(app, "webhook-proxy", { env: loadEnvironment({ LAMBDA_PACKAGING: "archive" }) });
  app.synth();
}, 120_000);

afterAll(() => rmSync(synthDir, { recursive: true, force: true }));

describe.each([2, 4])(`webhook-proxy with reserved concurrency %i and a ${UPSTREAM_MS} ms upstream`, (reserved) => {
  it("delivers at the predicted rate and drains the burst in the predicted time", async () => {
    // The burst: all webhooks within 0.1 s (the replay sends them as fast as api2sqs takes them).
    const traffic: TrafficOptions = { rps: 0, burstRps: WEBHOOKS / 0.1, burstSeconds: 0.1, payloadKb: 1, durationMs: 100, upstreamLatencyMs: UPSTREAM_MS, clients: 1 };
    const predicted = verdict(loadStack(synthDir, "webhook-proxy", [parseSet(`reserved_concurrent_executions=${reserved}`)]), traffic);
    const deliveryRate = predicted.bottleneck.capacity;
    const predictedSeconds = traffic.burstSeconds! + predicted.burst!.drainSeconds;
    expect(deliveryRate).toBe((reserved * 1000) / UPSTREAM_MS);

    const summary = await runReplay("webhook-proxy", {
      synthDir,
      requests: WEBHOOKS,
      concurrency: WEBHOOKS,
      reservedConcurrency: reserved,
      upstreamDelayMs: UPSTREAM_MS,
      pollIntervalMs: 10,
      progress: false,
    });
    expect(summary.lost).toBe(0);
    expect(summary.delivered).toBe(WEBHOOKS);
    const measuredSeconds = WEBHOOKS / summary.throughput;
    expect(Math.abs(summary.throughput - deliveryRate) / deliveryRate).toBeLessThanOrEqual(TOLERANCE);
    expect(Math.abs(measuredSeconds - predictedSeconds) / predictedSeconds).toBeLessThanOrEqual(TOLERANCE);
  }, 60_000);
});
