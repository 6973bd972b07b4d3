/**
 * Where a stack breaks under a spike, and what it costs:
 *
 *   npm run capacity -- <stack> --rps N [--burst N --burst-seconds S] [--payload-kb K] [--set name=value ...]
 *                       [--json] [--chart FILE.svg] ... (USAGE below lists every option; --help prints it)
 *
 * Reads cdktf.out/stacks/<stack>/cdk.tf.json (npm run synth), applies
 * --set overrides (the stack's Terraform variables, or <type>.<name>.<attribute>),
 * and prints each component's capacity and utilisation, the first bottleneck,
 * what a burst adds (refusals, backlog and drain time), the smallest --set
 * change that holds the traffic, the monthly cost and the ALB / API Gateway
 * break-even. Validates the configuration as synth does (config.ts) and honours
 * it: `--synth` synthesizes with it, and a synth output made with another
 * APP_ENV / AWS_REGION / LAMBDA_PACKAGING than the one set is refused. Exits 2
 * with one line and the usage on a usage or configuration error, 0 with the
 * usage text on --help (tools/cli.ts).
 */
import "../../startup"; // as main.ts: before cdktf loads (a synth runs in this process)
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { loadDeployment } from "../../config";
import { STACK_IDS, type StackId } from "../../main";
import { exitOnSignals, printedHelp, readOptions, removeTempDir, reportFailure, stackArgument } from "../cli";
import { configurationMismatch, synthApp } from "../emulator/synth";
import { renderPlanChart } from "./chart";
import { TrafficOptions } from "./model";
import { plan } from "./plan";
import { Region, REGIONS } from "./prices";
import { formatPlan, planJson } from "./report";
import { applySets, CapacityError, loadStack, parseSet, SetValue } from "./stack";
import { readTopology } from "./topology";

export const USAGE = `usage: npm run capacity -- <${STACK_IDS.join("|")}> --rps N [options]
  --rps N                  steady request rate, requests/s (required)
  --burst N                request rate during a burst, requests/s, at least --rps (with --burst-seconds)
  --burst-seconds S        length of the burst, s
  --payload-kb K           request payload, KB (default 1)
  --duration-ms D          Lambda duration per invocation, ms (default 100)
  --upstream-rps N         webhook-proxy: what the upstream accepts, requests/s (default: not limited)
  --upstream-latency-ms L  webhook-proxy: upstream response time, ms (default 100)
  --clients N              API keys sharing the traffic (usage plans limit each key) (default 1)
  --requests-per-connection N   ALB keep-alive reuse (default 1: a new connection per request)
  --region R               ${REGIONS.join(" | ")} (default ap-northeast-1, the stacks')
  --set name=value         a Terraform variable of the stack (checked against its validation), or <type>.<name>.<attribute> (repeatable)
  --json                   print the plan as JSON
  --chart FILE.svg         draw cost vs request rate and utilisation per component (creates the folder)
  --synth-dir DIR          read this synth output (default cdktf.out)
  --synth                  synthesize the app into a temporary folder first
  --help, -h               print this text
Options take --name value or --name=value.`;

/** Options that take a value. */
export const VALUE_OPTIONS = [
  "--rps",
  "--burst",
  "--burst-seconds",
  "--payload-kb",
  "--duration-ms",
  "--upstream-rps",
  "--upstream-latency-ms",
  "--clients",
  "--requests-per-connection",
  "--region",
  "--set",
  "--chart",
  "--synth-dir",
] as const;

/** Options that take none (`--help`/`-h` anywhere: the usage, tools/cli.ts). */
export const FLAG_OPTIONS = ["--json", "--synth", "--help", "-h"] as const;

export interface CliArgs {
  readonly stack: StackId;
  readonly traffic: TrafficOptions;
  readonly region: Region;
  readonly requestsPerConnection: number;
  readonly sets: [string, SetValue][];
  readonly json: boolean;
  readonly chart?: string;
  readonly synthDir: string;
  readonly synth: boolean;
}

const optionName = (flag: string): string => flag.replace(/^--/, "");

function positive(flag: string, value: string | undefined, allowZero = false): number {
  const n = Number(value);
  if (value === undefined || value.trim() === "" || !Number.isFinite(n) || n < 0 || (!allowZero && n === 0)) {
    throw new CapacityError(`${flag} needs a ${allowZero ? "non-negative" : "positive"} number, got ${value === undefined ? "nothing" : `"${value}"`}`);
  }
  return n;
}

export function parseArgs(argv: readonly string[]): CliArgs {
  const [first, ...rest] = argv;
  const stack = stackArgument(first, STACK_IDS);
  const values = new Map<string, string>();
  const sets: [string, SetValue][] = [];
  const flags = new Set<string>();
  const flagNames = FLAG_OPTIONS.filter((f) => f.startsWith("--")).map(optionName);
  for (const [name, value] of readOptions(rest, flagNames, VALUE_OPTIONS.map(optionName))) {
    if (value === true) flags.add(`--${name}`);
    else if (name === "set") sets.push(parseSet(value));
    else values.set(`--${name}`, value);
  }
  if (!values.has("--rps")) throw new CapacityError("--rps N is required");
  if (values.has("--burst") !== values.has("--burst-seconds")) throw new CapacityError("--burst and --burst-seconds go together");
  const region = values.get("--region") ?? "ap-northeast-1";
  if (!(REGIONS as readonly string[]).includes(region)) throw new CapacityError(`no price table for region "${region}": one of ${REGIONS.join(", ")}`);
  const opt = (flag: string, fallback: number, allowZero = false): number => (values.has(flag) ? positive(flag, values.get(flag), allowZero) : fallback);
  const traffic: TrafficOptions = {
    rps: positive("--rps", values.get("--rps"), true),
    burstRps: values.has("--burst") ? positive("--burst", values.get("--burst")) : undefined,
    burstSeconds: values.has("--burst-seconds") ? positive("--burst-seconds", values.get("--burst-seconds")) : undefined,
    payloadKb: opt("--payload-kb", 1),
    durationMs: opt("--duration-ms", 100),
    upstreamRps: values.has("--upstream-rps") ? positive("--upstream-rps", values.get("--upstream-rps")) : undefined,
    upstreamLatencyMs: opt("--upstream-latency-ms", 100),
    clients: opt("--clients", 1),
  };
  if (traffic.burstRps !== undefined && traffic.burstRps < traffic.rps) {
    throw new CapacityError(`--burst ${traffic.burstRps} is below --rps ${traffic.rps}: a burst is the rate on top of which the steady rate resumes`);
  }
  return {
    stack,
    traffic,
    region: region as Region,
    requestsPerConnection: opt("--requests-per-connection", 1),
    sets,
    json: flags.has("--json"),
    chart: values.get("--chart"),
    synthDir: values.get("--synth-dir") ?? "cdktf.out",
    synth: flags.has("--synth"),
  };
}

/** Creates `dir` and its missing parents one level at a time (node 20's recursive mkdir spins forever under /proc). */
function makeFolder(dir: string): void {
  if (existsSync(dir)) return;
  makeFolder(path.dirname(dir));
  mkdirSync(dir);
}

/** Writes `text` to `file`, creating its folder; a path that cannot be written is a usage error. */
function writeChart(file: string, text: string): void {
  try {
    makeFolder(path.dirname(path.resolve(file)));
    writeFileSync(file, text);
  } catch (error) {
    throw new CapacityError(`--chart ${file}: cannot write it (${error instanceof Error ? error.message.split("\n")[0] : String(error)})`);
  }
}

/** The command, in this process: its exit status (0, or 2 with one line and the usage on a usage or configuration error). */
export function main(argv: readonly string[], vars: NodeJS.ProcessEnv = process.env): number {
  if (printedHelp(argv, USAGE)) return 0;
  let tempDir: string | undefined;
  try {
    const args = parseArgs(argv);
    const deployment = loadDeployment(vars);
    if (args.synth) tempDir = synthApp(deployment, [args.stack]);
    const stack = loadStack(tempDir ?? args.synthDir, args.stack);
    const mismatch = configurationMismatch(stack, deployment, vars);
    if (mismatch) throw new CapacityError(mismatch);
    const cost = { region: args.region, requestsPerConnection: args.requestsPerConnection, responseKb: 1 };
    const result = plan(stack, args.traffic, cost, args.sets);
    // The chart first: a path that cannot be written fails before the report, not after it.
    if (args.chart) writeChart(args.chart, renderPlanChart(result, readTopology(applySets(stack, args.sets))));
    process.stdout.write(args.json ? planJson(result) : formatPlan(result));
    if (args.chart && !args.json) process.stdout.write(`chart: ${path.resolve(args.chart)}\n`);
    return 0;
  } catch (error) {
    return reportFailure("capacity", USAGE, error);
  } finally {
    if (tempDir) removeTempDir(tempDir);
  }
}

if (require.main === module) {
  exitOnSignals("capacity"); // Ctrl-C during the synth removes its folder
  process.exitCode = main(process.argv.slice(2));
}
