/**
 * What the replays report (tools/replay/metrics.ts): the result line says what "OK" means
 * (nothing lost) and says so when nothing was delivered or accepted; the upstream's answers
 * are reported even when they came too late to count; a fault window the run never reached
 * is named, not passed over as "0 never answered".
 */
import { passed, runReplay } from "../tools/replay";
import { formatSummary, resultLine, type ReplaySummary } from "../tools/replay/metrics";
import { sharedSynthDir } from "./support/synth";

describe("replay reporting", () => {
  const summary = (over: Partial<ReplaySummary>): ReplaySummary => ({
    stack: "webhook-proxy",
    settings: {},
    sent: 30,
    accepted: 30,
    rejected: 0,
    delivered: 30,
    duplicates: 0,
    deadLettered: 0,
    lost: 0,
    invocations: 30,
    failedInvocations: 0,
    maxConcurrency: 2,
    concurrencyLimit: 2,
    durationMs: 1000,
    acceptRate: 1,
    throughput: 1,
    latency: { p50: 0, p90: 0, p99: 0, max: 0 },
    notes: [],
    samples: [],
    ...over,
  });

  test.each<[string, Partial<ReplaySummary>, string]>([
    ["all delivered", {}, "OK: nothing lost (30 delivered, 0 dead-lettered)"],
    ["nothing delivered", { delivered: 0, deadLettered: 30 }, "OK: nothing lost (0 delivered, 30 dead-lettered), but nothing was delivered"],
    ["some rejected", { accepted: 28, rejected: 2, delivered: 28 }, "OK: nothing lost (28 delivered, 0 dead-lettered, 2 rejected at the front door)"],
    ["nothing accepted", { accepted: 0, rejected: 30, delivered: 0 }, "OK: nothing lost (0 delivered, 0 dead-lettered, 30 rejected at the front door), but nothing was accepted"],
    ["kinesis", { stack: "kinesis-ingest", delivered: 29, deadLettered: 1 }, "OK: nothing lost (29 written, 1 dead-lettered)"],
    ["lost", { delivered: 29, lost: 1 }, "FAILED, 1 lost"],
    ["the limit broken", { maxConcurrency: 3 }, "FAILED, nothing lost but 3 concurrent upstream requests, above the limit of 2"],
  ])("the result line: %s", (_case, over, line) => {
    const s = summary(over);
    expect(resultLine(s)).toBe(line);
    expect(formatSummary(s).split("\n").pop()).toBe(`  result: ${line}`);
    expect(line.startsWith("OK")).toBe(passed(s));
  });

  test("webhook-proxy with an upstream slower than the handler's timeout: the upstream's late 2xx answers are reported, and that nothing was delivered", async () => {
    const s = await runReplay("webhook-proxy", {
      synthDir: sharedSynthDir("app"),
      requests: 2,
      concurrency: 2,
      reservedConcurrency: 2,
      timeScale: 0.01, // upstream timeout 500 ms
      upstreamDelayMs: 700,
      pollIntervalMs: 20,
      progress: false,
    });
    expect(s.lost).toBe(0);
    expect(s.delivered).toBe(0);
    expect(s.deadLettered).toBe(2);
    const notes = s.notes.join("\n");
    expect(notes).toMatch(/upstream: (\d+) request\(s\) for 2 of 2 accepted webhook\(s\), (\d+) answered 2xx \(\2 after the handler had given up at its 500 ms upstream timeout: not deliveries\)/);
    expect(notes).toMatch(/the upstream answers after 700 ms .*no delivery can succeed/);
    expect(formatSummary(s)).toMatch(/result: OK: nothing lost \(0 delivered, 2 dead-lettered\), but nothing was delivered$/);
  }, 120_000);

  test("webhook-proxy without faults: the upstream note is there all the same", async () => {
    const s = await runReplay("webhook-proxy", { synthDir: sharedSynthDir("app"), requests: 5, concurrency: 5, progress: false });
    expect(s.notes.join("\n")).toMatch(/upstream: 5 request\(s\) for 5 of 5 accepted webhook\(s\), 5 answered 2xx, 0 failed and 0 hung on purpose/);
  }, 60_000);

  test("kinesis-ingest: a DynamoDB silent window after the run has drained is reported as never reached (and not waited for)", async () => {
    // A window ten minutes in: were it waited for, the test would run out of its time.
    const s = await runReplay("kinesis-ingest", {
      synthDir: sharedSynthDir("app"),
      requests: 10,
      ddbSilenceMs: 30_000,
      ddbSilenceAtMs: 600_000,
      progress: false,
    });
    expect(s.lost).toBe(0);
    expect(s.notes.join("\n")).toMatch(/DynamoDB's silent window \(from 600000 ms\) was never reached: the stream was drained after \d+ ms/);
  }, 60_000);
});

