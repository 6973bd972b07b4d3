/**
 * One capacity plan: the model at this configuration, the verdict at the
 * given traffic, the smallest `--set` change that holds it (checked by
 * planning again with it applied), the monthly cost and the ALB / API
 * Gateway break-even.
 */
import { SynthesizedStack } from "../replay/synth";
import { breakEven, BreakEven, CostLine, CostOptions, frontDoorCost, monthlyCost } from "./cost";
import { LIMITS, Limit, LimitName } from "./limits";
import { analyse, Analysis, buildModel, firstShort, TrafficOptions } from "./model";
import { PRICING_NOTES } from "./prices";
import { applySets, readTopology, SetValue, parseSet } from "./stack";

export interface Plan {
  readonly stack: string;
  readonly traffic: TrafficOptions;
  readonly cost: CostOptions;
  readonly sets: string[];
  readonly analysis: Analysis;
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

/** True when nothing is refused and the backlog does not grow (and a burst is fully admitted). */
export function holdsAll(analysis: Analysis): boolean {
  const refusedInBurst = analysis.burst ? Object.values(analysis.burst.refused).some((n) => n > 0) : false;
  return analysis.holds && !refusedInBurst && (analysis.burst ? Number.isFinite(analysis.burst.drainSeconds) : true);
}

/**
 * Fixes the first component that falls short, plans again with the fix
 * applied, and repeats: a change upstream (more shards) often lifts a later
 * component too, so the combined change stays the smallest. A component no
 * setting can change gets a sentence and is skipped.
 */
export function smallestChange(stack: SynthesizedStack, traffic: TrafficOptions): { sets: string[]; notes: string[] } {
  const sets = new Map<string, string>();
  const notes: string[] = [];
  const skip = new Set<string>();
  for (let round = 0; round < 20; round++) {
    const current = applySets(stack, [...sets].map(([k, v]) => parseSet(`${k}=${v}`)));
    const short = firstShort(buildModel(readTopology(current), traffic), traffic, skip);
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

export function plan(stack: SynthesizedStack, traffic: TrafficOptions, cost: CostOptions, sets: readonly [string, SetValue][] = []): Plan {
  const configured = applySets(stack, sets);
  const topology = readTopology(configured);
  const model = buildModel(topology, traffic);
  const analysis = analyse(model, traffic);
  const proposed = holdsAll(analysis) ? { sets: [], notes: [] } : smallestChange(configured, traffic);
  let verified: boolean | undefined;
  if (proposed.sets.length > 0) {
    const withFix = applySets(configured, proposed.sets.map(parseSet));
    verified = holdsAll(verdict(withFix, traffic));
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
