/**
 * Bench child: synthesizes the whole app (five stacks) with the configuration it
 * inherits (the bench checked it: default archive packaging) into the folder given
 * as argv[2], then prints its peak RSS. Run in a fresh process.
 */
import "../../startup"; // as main.ts
import { loadDeployment } from "../../config";
import { buildApp } from "../../main";

buildApp(loadDeployment(), process.argv[2]).synth();
const usage = process.resourceUsage();
process.stdout.write(`${JSON.stringify({ maxRssKb: usage.maxRSS, cpuMs: (usage.userCPUTime + usage.systemCPUTime) / 1000 })}\n`);
