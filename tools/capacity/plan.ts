/**
 * One capacity plan: the model at this configuration, the verdict at the
 * given traffic, the smallest `--set` change that holds it (checked by
 * planning again with it applied), the monthly cost and the ALB / API
 * Gateway break-even.
 */
import { SynthesizedStack } from "../emulator/synth";
import { breakEven, BreakEven, CostLine, CostOptions, frontDoorCost, monthlyCost } from "./cost";
import { LIMITS, Limit, LimitName } from "./limits";
import { analyse, Analysis, firstShort } from "./analysis";
import { Buffer, buildModel, TrafficOptions } from "./model";
import { PRICING_NOTES } from "./prices";
import { applySets, checkSets, SetValue, parseSet } from "./stack";
import { readTopology } from "./topology";

export interface Plan {
  readonly stack: string;
  readonly traffic: TrafficOptions;
  readonly cost: CostOptions;
  readonly sets: string[];
  readonly analysis: Analysis;
  /** Where accepted requests wait (stream or queue), if the stack has one. */
  readonly buffer?: Buffer;
  readonly fixes: { readonly sets: string[]; readonly notes: string[]; readonly verified?: boolean };
  readonly costs: CostLine[];
  readonly totalUsdPerMonth: number;
  readonly breakEven: BreakEven[];
  /** Monthly cost of each front door option at the given rate (the rest of the stack is the same behind any of them). */
  readonly frontDoors: { readonly alb: number; readonly rest: number; readonly http: number };
  readonly limits: Record<string, Limit>;
  readonly pricingNotes: string[];
}

export function verdict(stack: SynthesizedStack, traffic: TrafficOptions): Analysis {
  const topology = readTopology(stack);
  return analyse(buildModel(topology, traffic), traffic);
}

/** True when nothing is refused or lost and the backlog does not grow, at the steady rate and in the burst. */
export function holdsAll(analysis: Analysis): boolean {
  return analysis.holds;
}

/**
 * Fixes the first component that falls short, plans again with the fix
 * applied, and repeats: a change upstream (more shards) often lifts a later
 * component too, so the combined change stays the smallest. A component no
 * setting can change gets a sentence and is skipped. Each round simulates
 * the burst again, so a component whose token bucket absorbs it is left alone.
 */
export function smallestChange(stack: SynthesizedStack, traffic: TrafficOptions): { sets: string[]; notes: string[] } {
  const sets = new Map<string, string>();
  const notes: string[] = [];
  const skip = new Set<string>();
  for (let round = 0; round < 20; round++) {
    const current = applySets(stack, [...sets].map(([k, v]) => parseSet(`${k}=${v}`)));
    const model = buildModel(readTopology(current), traffic);
    const short = firstShort(model, traffic, skip, analyse(model, traffic).burst);
    if (!short) break;
    const fix = short.component.fix(short.target);
    skip.add(short.component.id);
    if (typeof fix === "string") {
      notes.push(`${short.component.name}: ${fix}`);
      continue;
    }
    for (const line of fix) {
      const [name, value] = parseSet(line);
      const previous = sets.get(name);
      if (previous === undefined || Number(value) > Number(previous)) sets.set(name, String(value));
    }
    // The component may now hold; a later round looks at it again only through the others.
  }
  return { sets: [...sets].map(([k, v]) => `${k}=${v}`), notes };
}

const num = (n: number): string => (!Number.isFinite(n) ? "unlimited" : n >= 100 ? Math.round(n).toLocaleString("en-US") : String(+n.toFixed(2)));

/** What still fails in `analysis`, one sentence (empty when it holds). */
export function shortfall(analysis: Analysis): string[] {
  const out: string[] = [];
  const name = (id: string): string => analysis.components.find((c) => c.id === id)?.name ?? id;
  // Components tied at the bottleneck's capacity limit the rate together: name them all.
  const at = analysis.components
    .filter((c) => c.stage === analysis.bottleneck.stage && c.capacity === analysis.bottleneck.capacity)
    .map((c) => c.name)
    .join(" and ");
  if (analysis.refusedRps > 0) out.push(`${num(analysis.refusedRps)} requests/s refused at ${at}`);
  else if (analysis.backlogGrowthRps > 0) out.push(`the backlog grows by ${num(analysis.backlogGrowthRps)} requests/s at ${at}`);
  const burst = analysis.burst;
  if (burst && !burst.holds) {
    const refused = Object.entries(burst.refused).filter(([, n]) => n > 0);
    if (refused.length) out.push(`the burst has ${refused.map(([id, n]) => `${num(n)} refused at ${name(id)}`).join(", ")}`);
    if (!Number.isFinite(burst.drainSeconds)) out.push("the burst's backlog never drains");
    if (burst.passesMaxAge) out.push(`the burst's waiting requests pass the buffer's maximum age (longest wait ${num(burst.longestWaitS)} s)`);
  }
  return out;
}

export function plan(stack: SynthesizedStack, traffic: TrafficOptions, cost: CostOptions, sets: readonly [string, SetValue][] = []): Plan {
  const { unchecked } = checkSets(stack, sets);
  const configured = applySets(stack, sets);
  const topology = readTopology(configured);
  const model = buildModel(topology, traffic);
  const modelled = analyse(model, traffic);
  const analysis: Analysis = { ...modelled, notes: [...unchecked, ...modelled.notes] };
  const proposed = holdsAll(analysis) ? { sets: [], notes: [] } : smallestChange(configured, traffic);
  let verified: boolean | undefined;
  if (proposed.sets.length > 0) {
    const withFix = applySets(configured, proposed.sets.map(parseSet));
    const after = verdict(withFix, traffic);
    verified = holdsAll(after);
    // Say what the change leaves failing, so "NOT enough on its own" always has its reason beside it.
    if (!verified) proposed.notes.push(`with it applied: ${shortfall(after).join("; ")}`);
  } else if (!holdsAll(analysis) && proposed.notes.length === 0) {
    proposed.notes.push(`no --set change found for: ${shortfall(analysis).join("; ")}`);
  }
  const costs = monthlyCost(topology, traffic, cost);
  const front = topology.front;
  const rules = front.kind === "alb" ? front.rulesPerRequest : 2;
  const usedLimits = new Set<LimitName>(model.components.flatMap((c) => c.limits));
  return {
    stack: stack.id,
    traffic,
    cost,
    sets: sets.map(([k, v]) => `${k}=${String(v)}`),
    analysis,
    buffer: model.buffer,
    fixes: { ...proposed, verified },
    costs,
    totalUsdPerMonth: costs.reduce((sum, line) => sum + line.usdPerMonth, 0),
    breakEven: [breakEven("rest", traffic, cost, rules), breakEven("http", traffic, cost, rules)],
    frontDoors: {
      alb: frontDoorCost("alb", traffic.rps, traffic, cost, rules).usdPerMonth,
      rest: frontDoorCost("rest", traffic.rps, traffic, cost).usdPerMonth,
      http: frontDoorCost("http", traffic.rps, traffic, cost).usdPerMonth,
    },
    limits: Object.fromEntries([...usedLimits].map((name) => [name, LIMITS[name]])),
    pricingNotes: PRICING_NOTES,
  };
}
