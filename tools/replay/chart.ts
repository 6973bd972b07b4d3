/**
 * A hand-written SVG of a replay's time series, the local counterpart of the
 * seed's CloudWatch screenshot: requests arriving and records written /
 * webhooks delivered (cumulative, left axis), and the backlog waiting in the
 * stream or queue (right axis), over seconds since the start.
 */
import type { ReplaySummary } from "./metrics";

const W = 900;
const H = 420;
const M = { left: 70, right: 70, top: 92, bottom: 56 };
const COLORS = { arrived: "#1f77b4", done: "#2ca02c", backlog: "#ff7f0e", dead: "#d62728" };

export function niceMax(value: number): number {
  if (value <= 0) return 1;
  const exp = 10 ** Math.floor(Math.log10(value));
  for (const step of [1, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10]) if (step * exp >= value) return step * exp;
  return 10 * exp;
}

export const esc = (text: string): string => text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");

export function renderChart(summary: ReplaySummary): string {
  const samples = summary.samples;
  const tMax = niceMax(Math.max(1, samples[samples.length - 1]?.t ?? 1) / 1000);
  const yMax = niceMax(Math.max(1, summary.sent));
  const bMax = niceMax(Math.max(1, ...samples.map((s) => s.backlog)));
  const pw = W - M.left - M.right;
  const ph = H - M.top - M.bottom;
  const x = (tMs: number): number => M.left + (tMs / 1000 / tMax) * pw;
  const y = (v: number): number => M.top + ph - (v / yMax) * ph;
  const yb = (v: number): number => M.top + ph - (v / bMax) * ph;
  const path = (pick: (s: (typeof samples)[number]) => number, scale: (v: number) => number): string =>
    samples.map((s, i) => `${i === 0 ? "M" : "L"}${x(s.t).toFixed(1)},${scale(pick(s)).toFixed(1)}`).join(" ");

  const parts: string[] = [];
  parts.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="Helvetica, Arial, sans-serif" font-size="12">`);
  parts.push(`<rect width="${W}" height="${H}" fill="#ffffff"/>`);
  const doneLabel = summary.stack === "kinesis-ingest" ? "records written (table)" : "webhooks delivered (upstream)";
  const bufferLabel = summary.stack === "kinesis-ingest" ? "stream" : "queue";
  parts.push(
    `<text x="${M.left}" y="22" font-size="15" font-weight="bold">${esc(`${summary.stack}: ${summary.sent} requests, ${summary.accepted} accepted, ${summary.delivered} ${summary.stack === "kinesis-ingest" ? "written" : "delivered"}, ${summary.deadLettered} dead-lettered, ${summary.lost} lost`)}</text>`,
  );
  // Settings on one or two lines under the title, cut at ~130 characters.
  const settings = Object.entries(summary.settings).map(([k, v]) => `${k}=${v}`);
  const lines: string[] = [""];
  for (const item of settings) {
    const last = lines.length - 1;
    if (lines[last].length + item.length > 130) lines.push(item);
    else lines[last] = lines[last] ? `${lines[last]}  ${item}` : item;
  }
  lines.slice(0, 2).forEach((line, i) => parts.push(`<text x="${M.left}" y="${40 + i * 15}" font-size="11" fill="#555">${esc(line)}</text>`));
  // Grid and axes.
  for (let i = 0; i <= 5; i++) {
    const gy = M.top + (ph * i) / 5;
    parts.push(`<line x1="${M.left}" y1="${gy}" x2="${M.left + pw}" y2="${gy}" stroke="#e5e5e5"/>`);
    parts.push(`<text x="${M.left - 8}" y="${gy + 4}" text-anchor="end" fill="#333">${Math.round(yMax - (yMax * i) / 5)}</text>`);
    parts.push(`<text x="${M.left + pw + 8}" y="${gy + 4}" fill="${COLORS.backlog}">${Math.round(bMax - (bMax * i) / 5)}</text>`);
  }
  for (let i = 0; i <= 10; i++) {
    const gx = M.left + (pw * i) / 10;
    parts.push(`<line x1="${gx}" y1="${M.top}" x2="${gx}" y2="${M.top + ph}" stroke="#f0f0f0"/>`);
    parts.push(`<text x="${gx}" y="${M.top + ph + 18}" text-anchor="middle" fill="#333">${+((tMax * i) / 10).toFixed(2)}</text>`);
  }
  parts.push(`<rect x="${M.left}" y="${M.top}" width="${pw}" height="${ph}" fill="none" stroke="#999"/>`);
  parts.push(`<text x="${M.left + pw / 2}" y="${H - 14}" text-anchor="middle" fill="#333">seconds since the replay started</text>`);
  parts.push(`<text transform="translate(18 ${M.top + ph / 2}) rotate(-90)" text-anchor="middle" fill="#333">requests / records (cumulative)</text>`);
  parts.push(`<text transform="translate(${W - 14} ${M.top + ph / 2}) rotate(90)" text-anchor="middle" fill="${COLORS.backlog}">backlog in the ${bufferLabel}</text>`);
  // Series: backlog as a filled area (right axis), then the cumulative lines.
  if (samples.length > 0) {
    const area = `${path((s) => s.backlog, yb)} L${x(samples[samples.length - 1].t).toFixed(1)},${yb(0)} L${x(samples[0].t).toFixed(1)},${yb(0)} Z`;
    parts.push(`<path d="${area}" fill="${COLORS.backlog}" fill-opacity="0.18" stroke="${COLORS.backlog}" stroke-width="1.5"/>`);
    parts.push(`<path d="${path((s) => s.arrived, y)}" fill="none" stroke="${COLORS.arrived}" stroke-width="2.5"/>`);
    parts.push(`<path d="${path((s) => s.done, y)}" fill="none" stroke="${COLORS.done}" stroke-width="2.5"/>`);
    if (summary.deadLettered > 0) parts.push(`<path d="${path((s) => s.deadLettered, y)}" fill="none" stroke="${COLORS.dead}" stroke-width="2" stroke-dasharray="5 3"/>`);
  }
  // Legend.
  const legend: [string, string, boolean][] = [
    ["requests arriving", COLORS.arrived, true],
    [doneLabel, COLORS.done, true],
    [`backlog in the ${bufferLabel} (right axis)`, COLORS.backlog, true],
    ["dead-lettered", COLORS.dead, summary.deadLettered > 0],
  ];
  let lx = M.left;
  for (const [label, color, shown] of legend) {
    if (!shown) continue;
    parts.push(`<rect x="${lx}" y="${M.top - 20}" width="14" height="4" fill="${color}"/>`);
    parts.push(`<text x="${lx + 20}" y="${M.top - 14}" fill="#222">${esc(label)}</text>`);
    lx += 34 + label.length * 6.8;
  }
  parts.push("</svg>");
  return parts.join("\n") + "\n";
}
