/** Bench child, for reference: the one-resource app (floor-app.ts) as a plain cdktf app under tsx, without startup.ts. */
import { synthFloorAndReport } from "./floor-app";

synthFloorAndReport(process.argv[2]);
