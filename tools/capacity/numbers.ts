/** Math.ceil, forgiving the last bits of float error (220 x 0.05 is 11.000000000000002, and needs 11). */
export const ceil = (x: number): number => Math.ceil(x - 1e-9 * Math.max(1, Math.abs(x)));
/** A figure for the report: thousands separated, two decimals below 100, "unlimited" for Infinity. */
export const fmt = (n: number): string => (Number.isFinite(n) ? (n >= 100 ? Math.round(n).toLocaleString("en-US") : String(+n.toFixed(2))) : "unlimited");
