import { percentile } from "../../tools/replay/metrics";

/** The median of a bench's runs. */
export const median = (values: readonly number[]): number => percentile([...values].sort((a, b) => a - b), 50);
