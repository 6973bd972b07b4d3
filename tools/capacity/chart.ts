/**
 * An SVG of a plan: monthly cost against request rate (log scale) for the
 * stack as configured and for each front door option (ALB, REST API, HTTP
 * API), and each component's utilisation at the given rate.
 */
import { esc, niceMax } from "../replay/chart";
import { frontDoorCost, monthlyCost } from "./cost";
import { Plan } from "./plan";
import { PRICES_READ } from "./prices";
import { Topology } from "./topology";

const W = 1000;
const H = 460;
const COLORS = { stack: "#111111", alb: "#2ca02c", rest: "#d62728", http: "#1f77b4", ok: "#2ca02c", warn: "#ff7f0e", over: "#d62728" };

export function renderPlanChart(plan: Plan, topology: Topology): string {
  const parts: string[] = [];
  parts.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="Helvetica, Arial, sans-serif" font-size="12">`);
  parts.push(`<rect width="${W}" height="${H}" fill="#ffffff"/>`);
  parts.push(`<text x="20" y="24" font-size="15" font-weight="bold">${esc(`${plan.stack}: monthly cost vs request rate (${plan.cost.region}), and utilisation at ${plan.traffic.rps} requests/s`)}</text>`);

  // Left: cost curves, x = log10(rps) from 0.01 to 100,000.
  const L = { x: 70, y: 60, w: 520, h: 330 };
  const rates = Array.from({ length: 71 }, (_, i) => 10 ** (-2 + i / 10));
  const rules = topology.front.kind === "alb" ? topology.front.rulesPerRequest : 2;
  const series: [string, string, number[]][] = [
    [`${plan.stack} as configured`, COLORS.stack, rates.map((r) => monthlyCost(topology, { ...plan.traffic, rps: r }, plan.cost).reduce((s, c) => s + c.usdPerMonth, 0))],
    ["ALB (front door only)", COLORS.alb, rates.map((r) => frontDoorCost("alb", r, plan.traffic, plan.cost, rules).usdPerMonth)],
    ["API Gateway REST API", COLORS.rest, rates.map((r) => frontDoorCost("rest", r, plan.traffic, plan.cost).usdPerMonth)],
    ["API Gateway HTTP API", COLORS.http, rates.map((r) => frontDoorCost("http", r, plan.traffic, plan.cost).usdPerMonth)],
  ];
  const yMinLog = -1;
  const yMaxLog = Math.ceil(Math.log10(Math.max(1, ...series.flatMap(([, , v]) => v))));
  const x = (r: number): number => L.x + ((Math.log10(r) + 2) / 7) * L.w;
  const y = (usd: number): number => L.y + L.h - ((Math.log10(Math.max(10 ** yMinLog, usd)) - yMinLog) / (yMaxLog - yMinLog)) * L.h;
  for (let e = -2; e <= 5; e++) {
    parts.push(`<line x1="${x(10 ** e)}" y1="${L.y}" x2="${x(10 ** e)}" y2="${L.y + L.h}" stroke="#eeeeee"/>`);
    parts.push(`<text x="${x(10 ** e)}" y="${L.y + L.h + 16}" text-anchor="middle" fill="#333">${(10 ** e).toLocaleString("en-US")}</text>`);
  }
  for (let e = yMinLog; e <= yMaxLog; e++) {
    parts.push(`<line x1="${L.x}" y1="${y(10 ** e)}" x2="${L.x + L.w}" y2="${y(10 ** e)}" stroke="#eeeeee"/>`);
    parts.push(`<text x="${L.x - 6}" y="${y(10 ** e) + 4}" text-anchor="end" fill="#333">$${(10 ** e).toLocaleString("en-US")}</text>`);
  }
  parts.push(`<rect x="${L.x}" y="${L.y}" width="${L.w}" height="${L.h}" fill="none" stroke="#999"/>`);
  parts.push(`<text x="${L.x + L.w / 2}" y="${L.y + L.h + 34}" text-anchor="middle" fill="#333">requests per second (log)</text>`);
  parts.push(`<text transform="translate(16 ${L.y + L.h / 2}) rotate(-90)" text-anchor="middle" fill="#333">USD per month (log)</text>`);
  series.forEach(([label, color, values], i) => {
    const d = rates.map((r, k) => `${k === 0 ? "M" : "L"}${x(r).toFixed(1)},${y(values[k]).toFixed(1)}`).join(" ");
    parts.push(`<path d="${d}" fill="none" stroke="${color}" stroke-width="${i === 0 ? 3 : 2}"${i === 0 ? "" : ' stroke-dasharray="6 3"'}/>`);
    parts.push(`<rect x="${L.x + 10}" y="${L.y + 10 + i * 16}" width="14" height="4" fill="${color}"/>`);
    parts.push(`<text x="${L.x + 30}" y="${L.y + 16 + i * 16}" fill="#222">${esc(label)}</text>`);
  });
  for (const be of plan.breakEven) {
    if (be.rps === undefined || be.rps <= 0.01) continue;
    parts.push(`<line x1="${x(be.rps)}" y1="${L.y}" x2="${x(be.rps)}" y2="${L.y + L.h}" stroke="${be.a === "rest" ? COLORS.rest : COLORS.http}" stroke-width="1" stroke-dasharray="2 3"/>`);
  }
  parts.push(`<line x1="${x(plan.traffic.rps)}" y1="${L.y}" x2="${x(plan.traffic.rps)}" y2="${L.y + L.h}" stroke="#111" stroke-width="1"/>`);

  // Right: utilisation bars (capped at 200 %).
  const R = { x: 640, y: 60, w: 330, h: 330 };
  const comps = plan.analysis.components;
  const barH = Math.min(28, R.h / Math.max(1, comps.length) - 6);
  const uMax = Math.max(1, niceMax(Math.min(2, Math.max(...comps.map((c) => c.utilisation)))));
  parts.push(`<text x="${R.x}" y="${R.y - 8}" fill="#333">utilisation at ${plan.traffic.rps} requests/s (100 % = capacity)</text>`);
  comps.forEach((c, i) => {
    const by = R.y + i * (barH + 6);
    const u = Math.min(c.utilisation, uMax);
    const color = c.utilisation > 1 ? COLORS.over : c.utilisation > 0.8 ? COLORS.warn : COLORS.ok;
    parts.push(`<rect x="${R.x}" y="${by}" width="${((u / uMax) * R.w).toFixed(1)}" height="${barH}" fill="${color}" fill-opacity="0.75"/>`);
    parts.push(`<text x="${R.x + 4}" y="${by + barH / 2 + 4}" fill="#111" font-size="11">${esc(`${c.name}: ${c.utilisation < 0.001 ? "<0.1" : (c.utilisation * 100).toFixed(1)} %`)}</text>`);
  });
  parts.push(`<line x1="${R.x + R.w / uMax}" y1="${R.y}" x2="${R.x + R.w / uMax}" y2="${R.y + R.h}" stroke="#111" stroke-dasharray="4 3"/>`);
  parts.push(`<text x="20" y="${H - 12}" fill="#555" font-size="11">${esc(`prices read ${PRICES_READ}; free tiers ignored; the stack curve keeps this configuration (its capacity is not raised with the rate)`)}</text>`);
  parts.push("</svg>");
  return parts.join("\n") + "\n";
}
