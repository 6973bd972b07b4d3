/** The plan as text for a terminal, and as JSON for scripts (Infinity as null). */
import { money } from "./cost";
import { Plan } from "./plan";

const num = (n: number): string => (!Number.isFinite(n) ? "unlimited" : n >= 100 ? Math.round(n).toLocaleString("en-US") : String(+n.toFixed(2)));
const pct = (u: number): string =>
  !Number.isFinite(u) ? "all refused" : u === 0 ? "0 %" : u < 0.001 ? "<0.1 %" : `${(u * 100).toFixed(u < 0.1 ? 1 : 0)} %`;
const duration = (s: number): string => (!Number.isFinite(s) ? "never (drain capacity is not above the steady rate)" : s < 120 ? `${+s.toFixed(s < 10 ? 2 : 0)} s` : s < 7200 ? `${+(s / 60).toFixed(1)} min` : `${+(s / 3600).toFixed(1)} h`);

export function formatPlan(p: Plan): string {
  const t = p.traffic;
  const a = p.analysis;
  const out: string[] = [];
  out.push(
    `${p.stack} at ${num(t.rps)} requests/s of ${t.payloadKb} KB, ${p.cost.region}` +
      (t.burstRps !== undefined ? `, burst ${num(t.burstRps)} requests/s for ${t.burstSeconds} s` : "") +
      (p.sets.length ? ` (--set ${p.sets.join(" ")})` : ""),
  );
  out.push(`assumed: Lambda ${t.durationMs} ms per invocation${p.stack === "webhook-proxy" ? `, upstream ${t.upstreamLatencyMs} ms per request, upstream rate ${t.upstreamRps === undefined ? "not limited (--upstream-rps)" : `${num(t.upstreamRps)}/s`}` : ""}`);
  out.push("");
  const width = Math.max(...a.components.map((c) => c.name.length), 9);
  out.push(`${"component".padEnd(width)}  ${"where".padEnd(5)}  ${"capacity/s".padStart(11)}  ${"util".padStart(7)}  basis`);
  for (const c of a.components) {
    out.push(`${c.name.padEnd(width)}  ${c.stage.padEnd(5)}  ${num(c.capacity).padStart(11)}  ${pct(c.utilisation).padStart(7)}  ${c.basis}`);
  }
  out.push("");
  const b = a.bottleneck;
  out.push(`first bottleneck: ${b.name} at ${num(b.capacity)} requests/s -> ${b.symptom}`);
  const burst = a.burst;
  const burstText = burst ? `the burst of ${num(burst.burstRps)} requests/s for ${burst.burstSeconds} s` : "";
  if (a.holds) out.push(`verdict: holds ${num(t.rps)} requests/s (${pct(t.rps / b.capacity)} of the bottleneck)${burst ? ` and ${burstText}` : ""}`);
  else if (a.refusedRps > 0) out.push(`verdict: does NOT hold: ${num(a.refusedRps)} requests/s refused (${pct(a.refusedRps / t.rps)} of requests) -> ${b.symptom}`);
  else if (a.backlogGrowthRps > 0) {
    out.push(`verdict: does NOT hold: the backlog grows by ${num(a.backlogGrowthRps)} requests/s -> ${b.symptom}`);
    if (a.secondsToMaxAge !== undefined) out.push(`         waiting requests pass the buffer's maximum age after ${duration(a.secondsToMaxAge)}`);
  } else if (burst) {
    // The steady rate holds; the burst does not.
    const refused = Object.entries(burst.refused).filter(([, n]) => n > 0);
    const first = refused.length ? a.components.find((c) => c.id === refused[0][0]) : undefined;
    const why = [
      ...(refused.length ? [`${num(refused.reduce((sum, [, n]) => sum + n, 0))} of its requests refused${first ? ` -> ${first.symptom}` : ""}`] : []),
      ...(!Number.isFinite(burst.drainSeconds) ? ["its backlog never drains (the drain is not faster than the steady rate)"] : []),
      ...(burst.passesMaxAge ? [`its backlog waits ${duration(burst.longestWaitS)}, past the buffer's maximum age -> ${p.buffer?.maxAgeNote ?? "lost"}`] : []),
    ];
    out.push(`verdict: does NOT hold ${burstText}: ${why.join("; ")}`);
    out.push(`         (the steady ${num(t.rps)} requests/s alone holds: ${pct(t.rps / b.capacity)} of the bottleneck)`);
  }
  if (burst) {
    const refused = Object.entries(burst.refused).filter(([, n]) => n > 0);
    const parts = [
      refused.length
        ? `${refused.map(([id, n]) => `${num(n)} refused at ${a.components.find((c) => c.id === id)?.name ?? id}`).join(", ")}` +
          (burst.steadyRefused > 0 ? ` (beyond the ${num(burst.steadyRefused)} the steady rate alone has refused in those ${burst.burstSeconds} s)` : "")
        : "none refused beyond the steady rate's own" + (burst.steadyRefused > 0 ? ` (${num(burst.steadyRefused)} in those ${burst.burstSeconds} s)` : ""),
    ];
    if (p.buffer) {
      if (burst.backlogPeak === 0 && !burst.passesMaxAge) parts.push("no backlog");
      else {
        parts.push(
          `backlog up to ${num(burst.backlogPeak)} above the steady rate's, ` +
            (Number.isFinite(burst.drainSeconds) ? `drained ${duration(burst.drainSeconds)} after the burst` : "never drains (the drain is not faster than the steady rate)") +
            `, longest added wait ${duration(burst.longestWaitS)}` +
            (burst.passesMaxAge ? `: past the buffer's maximum age -> ${p.buffer.maxAgeNote ?? "lost"}` : ""),
        );
      }
    }
    out.push(`burst: ${num(burst.burstRps)} requests/s for ${burst.burstSeconds} s, ${num(burst.extraRequests)} requests above the steady rate: ${parts.join("; ")}`);
  }
  for (const note of a.notes) out.push(`note: ${note}`);
  if (p.fixes.sets.length || p.fixes.notes.length) {
    out.push("");
    out.push(`smallest change that holds it${p.fixes.verified === false ? " (NOT enough on its own: see the notes)" : p.fixes.verified ? " (checked: re-planned with it applied)" : ""}:`);
    for (const line of p.fixes.sets) out.push(`  --set ${line}`);
    for (const note of p.fixes.notes) out.push(`  ${note}`);
  }
  out.push("");
  out.push(`monthly cost at ${num(t.rps)} requests/s (${p.pricingNotes.join("; ")}):`);
  const cw = Math.max(...p.costs.map((c) => c.component.length));
  for (const c of p.costs) out.push(`  ${c.component.padEnd(cw)}  ${money(c.usdPerMonth).padStart(10)}  ${c.basis}`);
  out.push(`  ${"total".padEnd(cw)}  ${money(p.totalUsdPerMonth).padStart(10)}`);
  out.push("");
  for (const be of p.breakEven) {
    const api = be.a === "rest" ? "REST API" : "HTTP API";
    out.push(
      be.rps === undefined
        ? `ALB vs API Gateway ${api}: the ALB costs more at every rate up to 100,000 requests/s`
        : `ALB vs API Gateway ${api}: break-even at ${num(be.rps)} requests/s (${num((be.rps * 730 * 3600) / 1e6)} M requests/month, ${money(be.usdPerMonth ?? 0)}/month each); above it the ALB costs less`,
    );
  }
  out.push(`front door alone at ${num(t.rps)} requests/s: ALB ${money(p.frontDoors.alb)}, REST API ${money(p.frontDoors.rest)}, HTTP API ${money(p.frontDoors.http)} per month`);
  out.push("");
  out.push("limits used (default quotas):");
  for (const [name, l] of Object.entries(p.limits)) out.push(`  ${name} = ${num(l.value)} ${l.unit}  (${l.source}, read ${l.read})`);
  return out.join("\n") + "\n";
}

export function planJson(p: Plan): string {
  return JSON.stringify(p, (_, v: unknown) => (typeof v === "number" && !Number.isFinite(v) ? null : v), 2) + "\n";
}
