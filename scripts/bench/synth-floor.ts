/** Bench child, the floor: the one-resource app (floor-app.ts), started the way main.ts starts (startup.ts). */
import "../../startup"; // as main.ts: the same process settings on both sides of the ratio
import { synthFloorAndReport } from "./floor-app";

synthFloorAndReport(process.argv[2]);
