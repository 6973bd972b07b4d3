/**
 * The capacity model's verdict (./model.ts): utilisation and the bottleneck at the steady
 * rate, what a burst adds (simulated on the components' token buckets and the buffer), and
 * the first component that falls short, with the rate it must hold.
 */
import type { Component, Model, Stage, TrafficOptions } from "./model";

export interface ComponentResult {
  readonly id: string;
  readonly name: string;
  readonly stage: Stage;
  readonly capacity: number;
  readonly utilisation: number;
  readonly basis: string;
  readonly symptom: string;
}

export interface BurstResult {
  readonly burstRps: number;
  readonly burstSeconds: number;
  /** Requests the burst brings above the steady rate: (burstRps - rps) x burstSeconds. */
  readonly extraRequests: number;
  /**
   * Requests refused because of the burst, per front component id: refused
   * with the burst minus refused at the steady rate alone over the same time
   * (what the burst adds, not the steady rate's own refusals).
   */
  readonly refused: Record<string, number>;
  /** Requests the steady rate alone refuses during the burst's seconds (left out of `refused`). */
  readonly steadyRefused: number;
  /** Backlog the burst adds in the buffer (above the steady rate's own), at its peak. */
  readonly backlogPeak: number;
  /** Seconds after the burst ends until that added backlog is gone (Infinity: never; 0 without a buffer). */
  readonly drainSeconds: number;
  /** Longest wait the burst adds in the buffer, seconds (added backlog / drain rate). */
  readonly longestWaitS: number;
  /** The burst's waiting requests pass the buffer's maximum age (lost, or sent to the DLQ). */
  readonly passesMaxAge: boolean;
  /** Nothing refused, nothing past the maximum age, and the backlog drains. */
  readonly holds: boolean;
}

export interface Analysis {
  readonly components: ComponentResult[];
  /** The steady rate holds and so does the burst, if any: nothing refused or lost, no backlog that grows or never drains. */
  readonly holds: boolean;
  /** The steady rate alone holds: nothing refused, the backlog does not grow. */
  readonly steadyHolds: boolean;
  readonly bottleneck: { id: string; name: string; capacity: number; symptom: string; stage: Stage };
  /** Requests/s refused at steady state (front bottleneck). */
  readonly refusedRps: number;
  /** Backlog growth, requests/s (drain bottleneck). */
  readonly backlogGrowthRps: number;
  /** Seconds until waiting records exceed the buffer's maximum age (growing backlog only). */
  readonly secondsToMaxAge?: number;
  readonly burst?: BurstResult;
  readonly notes: string[];
}

const minBy = <T>(items: T[], f: (t: T) => number): T => items.reduce((a, b) => (f(b) < f(a) ? b : a));

export function analyse(model: Model, options: TrafficOptions): Analysis {
  const { rps } = options;
  const components = model.components.map((c) => ({
    id: c.id,
    name: c.name,
    stage: c.stage,
    capacity: c.capacity,
    utilisation: rps / c.capacity,
    basis: c.basis,
    symptom: c.symptom,
  }));
  const fronts = model.components.filter((c) => c.stage === "front");
  const drains = model.components.filter((c) => c.stage === "drain");
  const frontCap = Math.min(...fronts.map((c) => c.capacity));
  const drainCap = drains.length > 0 ? Math.min(...drains.map((c) => c.capacity)) : Number.POSITIVE_INFINITY;
  const accepted = Math.min(rps, frontCap);
  const bottleneck = minBy(model.components, (c) => c.capacity);
  const refusedRps = Math.max(0, rps - frontCap);
  const backlogGrowthRps = model.buffer ? Math.max(0, accepted - drainCap) : 0;
  const secondsToMaxAge = backlogGrowthRps > 0 && model.buffer?.maxAgeS !== undefined ? (model.buffer.maxAgeS * drainCap) / backlogGrowthRps : undefined;
  const steadyHolds = refusedRps === 0 && backlogGrowthRps === 0;
  const burst = options.burstRps !== undefined && options.burstSeconds !== undefined ? simulateBurst(model, options) : undefined;
  return {
    components,
    holds: steadyHolds && (burst?.holds ?? true),
    steadyHolds,
    bottleneck: { id: bottleneck.id, name: bottleneck.name, capacity: bottleneck.capacity, symptom: bottleneck.symptom, stage: bottleneck.stage },
    refusedRps,
    backlogGrowthRps,
    secondsToMaxAge,
    burst,
    notes: model.notes,
  };
}

interface Run {
  /** Tokens left in each front component's bucket. */
  readonly tokens: number[];
  /** Requests refused so far, per front component. */
  readonly refused: number[];
  backlog: number;
}

/**
 * What a burst adds: `burstRps` for `burstSeconds`, then the steady `rps`,
 * stepped beside the steady rate alone from the same start, and the
 * difference reported. The start is the steady state: a front component
 * the steady rate overflows has spent its token bucket, the others are full.
 * Front components pass what their bucket admits (refusing the rest); the
 * buffer takes what passes and drains at the smallest drain capacity. The
 * two runs are stepped until they agree again (or an hour after the burst),
 * so neither an hour of the steady rate's own refusals nor its own growing
 * backlog is counted as the burst's.
 */
export function simulateBurst(model: Model, options: TrafficOptions): BurstResult {
  const { rps } = options;
  const burstRps = options.burstRps!;
  const burstSeconds = options.burstSeconds!;
  const fronts = model.components.filter((c) => c.stage === "front");
  const drains = model.components.filter((c) => c.stage === "drain");
  const fine = Math.min(0.1, Math.max(0.0005, burstSeconds / 200));
  const capAt = (c: Component, t: number): number => (c.capacityAt ? Math.min(c.capacity, c.capacityAt(t)) : c.capacity);
  const drainAt = (t: number): number => (drains.length > 0 ? Math.min(...drains.map((c) => capAt(c, t))) : Number.POSITIVE_INFINITY);
  const start = (): Run => {
    let flow = rps;
    const tokens = fronts.map((c) => {
      const rate = capAt(c, 0);
      const spent = flow > rate;
      flow = Math.min(flow, rate);
      return spent ? 0 : c.bucket;
    });
    return { tokens, refused: fronts.map(() => 0), backlog: 0 };
  };
  const step = (run: Run, t: number, dt: number, arrivals: number): void => {
    let flow = arrivals;
    fronts.forEach((c, i) => {
      const rate = capAt(c, t);
      const available = Math.min(run.tokens[i] + rate * dt, c.bucket + rate * dt);
      const pass = Math.min(flow, available);
      run.tokens[i] = available - pass;
      run.refused[i] += flow - pass;
      flow = pass;
    });
    if (!model.buffer) return;
    run.backlog += flow;
    run.backlog -= Math.min(run.backlog, drainAt(t) * dt);
  };
  const total = (run: Run): number => run.refused.reduce((a, b) => a + b, 0);
  const same = (a: number, b: number, scale: number): boolean => a === b || Math.abs(a - b) <= 1e-9 * (1 + scale);

  const withBurst = start();
  const steady = start();
  const horizon = burstSeconds + 3600;
  let t = 0;
  let peak = 0;
  let longestWait = 0;
  let steadyRefused = 0;
  let drainSeconds: number | undefined = model.buffer ? undefined : 0;
  while (t < horizon) {
    // Fine steps through the burst; after it, steps grow with the time since (at most 0.1 s).
    const dt = t < burstSeconds ? fine : Math.max(fine, Math.min(0.1, (t - burstSeconds) / 200));
    const inBurst = Math.min(dt, Math.max(0, burstSeconds - t));
    const steadyBefore = total(steady);
    step(withBurst, t, dt, burstRps * inBurst + rps * (dt - inBurst));
    step(steady, t, dt, rps * dt);
    steadyRefused += ((total(steady) - steadyBefore) * inBurst) / dt;
    t += dt;
    const extra = withBurst.backlog - steady.backlog;
    const drainRate = drainAt(t);
    peak = Math.max(peak, extra);
    if (drainRate > 0 && Number.isFinite(drainRate)) longestWait = Math.max(longestWait, extra / drainRate);
    if (t < burstSeconds - 1e-9) continue;
    if (drainSeconds === undefined && extra <= 1e-6 * Math.max(1, steady.backlog)) drainSeconds = Math.max(0, t - burstSeconds);
    if (drainSeconds !== undefined && fronts.every((c, i) => same(withBurst.tokens[i], steady.tokens[i], c.bucket))) break;
  }
  if (drainSeconds === undefined) {
    // Past the simulated hour: the added backlog drains at (drain - steady arrivals) if positive.
    const drainCap = drains.length > 0 ? Math.min(...drains.map((c) => c.capacity)) : Number.POSITIVE_INFINITY;
    const net = drainCap - Math.min(rps, ...fronts.map((c) => c.capacity));
    drainSeconds = net > 0 ? t - burstSeconds + (withBurst.backlog - steady.backlog) / net : Number.POSITIVE_INFINITY;
  }
  const refused: Record<string, number> = Object.fromEntries(fronts.map((c, i) => [c.id, Math.max(0, Math.round(withBurst.refused[i] - steady.refused[i]))]));
  const passesMaxAge = model.buffer?.maxAgeS !== undefined && longestWait > model.buffer.maxAgeS;
  return {
    burstRps,
    burstSeconds,
    extraRequests: Math.max(0, (burstRps - rps) * burstSeconds),
    refused,
    steadyRefused: Math.round(steadyRefused),
    backlogPeak: Math.round(peak),
    drainSeconds,
    longestWaitS: longestWait,
    passesMaxAge,
    holds: Object.values(refused).every((n) => n === 0) && Number.isFinite(drainSeconds) && !passesMaxAge,
  };
}

/**
 * The first component on the path (in the order a request meets it) that
 * cannot hold the traffic, skipping `skip`, with the rate it must hold.
 * Front components: short of the steady rate, or refusing part of the
 * burst (`burst`, the simulated one; without it, short of the burst rate);
 * they must hold the peak rate. Drain components: short of the steady rate,
 * or, with a burst, not faster than it (the backlog never drains) or so slow
 * that the burst's backlog passes the buffer's maximum age; they must hold a
 * little more than the steady rate (a backlog only shrinks if the drain is
 * faster than arrivals), or what drains the burst within the maximum age.
 */
export function firstShort(
  model: Model,
  options: TrafficOptions,
  skip: ReadonlySet<string> = new Set(),
  burst?: BurstResult,
): { component: Component; target: number } | undefined {
  const peak = Math.max(options.rps, options.burstRps ?? 0);
  const bursting = peak > options.rps && options.burstSeconds !== undefined;
  const drains = model.components.filter((c) => c.stage === "drain");
  const slowestDrain = drains.length > 0 ? minBy(drains, (c) => c.capacity) : undefined;
  for (const c of model.components) {
    if (skip.has(c.id)) continue;
    if (c.stage === "front") {
      const short = c.capacity < options.rps || (burst ? (burst.refused[c.id] ?? 0) > 0 : c.capacity < peak);
      if (short) return { component: c, target: peak };
      continue;
    }
    if (c.capacity < options.rps || (bursting && c.capacity <= options.rps)) return { component: c, target: bursting ? options.rps * 1.1 : options.rps };
    if (burst?.passesMaxAge && c === slowestDrain && model.buffer?.maxAgeS !== undefined) {
      // The added backlog (A - D) x S waits (A - D) x S / D: under the maximum age M when D > A x S / (M + S).
      const admitted = Math.min(peak, ...model.components.filter((f) => f.stage === "front").map((f) => f.capacity));
      const needed = (admitted * options.burstSeconds!) / (model.buffer.maxAgeS + options.burstSeconds!);
      return { component: c, target: Math.max(options.rps * 1.1, needed * 1.05) };
    }
  }
  return undefined;
}
