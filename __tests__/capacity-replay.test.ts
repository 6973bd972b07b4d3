/**
 * The planner against the webhook-proxy replay (scripts/replay): a burst of
 * webhooks sent at once, delivered by as many consumers as the stack's
 * reserved concurrency to a local upstream that answers after a fixed delay.
 * The planner predicts the delivery rate (consumers x batch / upstream
 * latency) and the time to drain the burst; the replay measures them on
 * local-aws-sqs with the bundled handlers. The model is an upper bound on
 * the rate: it leaves out each delivery's local receive / invoke / delete round
 * trips. So the replay may never beat the prediction by more than 5 %
 * (measurement noise), nor drain the burst sooner than predicted; a machine
 * under load only makes the replay slower, so these hold whatever the load.
 * How close the replay comes to the prediction (12-19 % slower on a quiet
 * 2-core machine, up to ~40 % with Terraform planning alongside) is a speed
 * figure, not asserted here: no lower bound on speed, no upper bound on time.
 * The upstream answers after 1 s to keep those round trips a small share of
 * each delivery. Small and quick: 12 webhooks, 3-6 s per case.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { App } from "cdktf";
import { loadDeployment } from "../config";
import { TrafficOptions } from "../tools/capacity/model";
import { verdict } from "../tools/capacity/plan";
import { loadStack, parseSet } from "../tools/capacity/stack";
import { runReplay } from "../tools/replay";
import { WebhookProxyStack } from "../stacks/webhook-proxy";

/** Measurement noise: the replay may beat the model by this much at most. */
const NOISE = 0.05;
const WEBHOOKS = 12;
const UPSTREAM_MS = 1000;
let synthDir: string;

beforeAll(() => {
  synthDir = mkdtempSync(path.join(tmpdir(), "capacity-replay-"));
  const app = new App({ outdir: synthDir });
  new WebhookProxyStack(app, "webhook-proxy", { deployment: loadDeployment({ LAMBDA_PACKAGING: "archive" }) });
  app.synth();
}, 120_000);

afterAll(() => rmSync(synthDir, { recursive: true, force: true }));

describe.each([2, 4])(`webhook-proxy with reserved concurrency %i and a ${UPSTREAM_MS} ms upstream`, (reserved) => {
  it("delivers every webhook, never faster than the predicted rate nor draining the burst sooner than predicted (the model is an upper bound)", async () => {
    // The burst: all webhooks within 0.1 s (the replay sends them as fast as api2sqs takes them).
    const traffic: TrafficOptions = { rps: 0, burstRps: WEBHOOKS / 0.1, burstSeconds: 0.1, payloadKb: 1, durationMs: 100, upstreamLatencyMs: UPSTREAM_MS, clients: 1 };
    const predicted = verdict(loadStack(synthDir, "webhook-proxy", [parseSet(`reserved_concurrent_executions=${reserved}`)]), traffic);
    const deliveryRate = predicted.bottleneck.capacity;
    const predictedSeconds = traffic.burstSeconds! + predicted.burst!.drainSeconds;
    expect(deliveryRate).toBe((reserved * 1000) / UPSTREAM_MS);
    // What the burst adds, and only that: none refused, and all 12 waiting in the queue at its end (under 0.4 delivered in 0.1 s).
    expect(Object.values(predicted.burst!.refused).every((n) => n === 0)).toBe(true);
    expect(predicted.burst!.backlogPeak).toBe(WEBHOOKS);

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
    expect(summary.throughput).toBeLessThanOrEqual(deliveryRate * (1 + NOISE));
    expect(measuredSeconds).toBeGreaterThanOrEqual(predictedSeconds * (1 - NOISE));
  }, 60_000);
});
