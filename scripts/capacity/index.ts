/**
 * Where a stack breaks under a spike, and what it costs:
 *
 *   npm run capacity -- <stack> --rps N [--burst N --burst-seconds S] [--payload-kb K]
 *                       [--region ap-northeast-1|us-east-1] [--set name=value ...] [--json] [--chart FILE.svg]
 *
 * Reads cdktf.out/stacks/<stack>/cdk.tf.json (npm run synth), applies
 * --set overrides (the stack's Terraform variables, or <type>.<name>.<attribute>),
 * and prints each component's capacity and utilisation, the first bottleneck,
 * a burst's backlog and drain time, the smallest --set change that holds
 * the traffic, the monthly cost and the ALB / API Gateway break-even.
 * Exits 2 with a one-line message on a usage error.
 */
import { rmSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { STACK_IDS } from "../../main";
import { synthApp } from "../replay/synth";
import { renderPlanChart } from "./chart";
import { TrafficOptions } from "./model";
import { plan } from "./plan";
import { Region, REGIONS } from "./prices";
import { formatPlan, planJson } from "./report";
import { applySets, CapacityError, loadStack, parseSet, readTopology, SetValue } from "./stack";

export const USAGE = `usage: npm run capacity -- <${STACK_IDS.join("|")}> --rps N [options]
  --rps N                  steady request rate, requests/s (required)
  --burst N                request rate during a burst, requests/s (with --burst-seconds)
  --burst-seconds S        length of the burst, s
  --payload-kb K           request payload, KB (default 1)
  --duration-ms D          Lambda duration per invocation, ms (default 100)
  --upstream-rps N         webhook-proxy: what the upstream accepts, requests/s (default: not limited)
  --upstream-latency-ms L  webhook-proxy: upstream response time, ms (default 100)
  --clients N              API keys sharing the traffic (usage plans limit each key) (default 1)
  --requests-per-connection N   ALB keep-alive reuse (default 1: a new connection per request)
  --region R               ${REGIONS.join(" | ")} (default ap-northeast-1, the stacks')
  --set name=value         a Terraform variable of the stack, or <type>.<name>.<attribute> (repeatable)
  --json                   print the plan as JSON
  --chart FILE.svg         draw cost vs request rate and utilisation per component
  --synth-dir DIR          read this synth output (default cdktf.out)
  --synth                  synthesize the app into a temporary folder first`;

export interface CliArgs {
  readonly stack: string;
  readonly traffic: TrafficOptions;
  readonly region: Region;
  readonly requestsPerConnection: number;
  readonly sets: [string, SetValue][];
  readonly json: boolean;
  readonly chart?: string;
  readonly synthDir: string;
  readonly synth: boolean;
}

function positive(flag: string, value: string | undefined, allowZero = false): number {
  const n = Number(value);
  if (value === undefined || value.trim() === "" || !Number.isFinite(n) || n < 0 || (!allowZero && n === 0)) {
    throw new CapacityError(`${flag} needs a ${allowZero ? "non-negative" : "positive"} number, got ${value === undefined ? "nothing" : `"${value}"`}`);
  }
  return n;
}

export function parseArgs(argv: readonly string[]): CliArgs {
  const [stack, ...rest] = argv;
  if (!stack || stack.startsWith("-")) throw new CapacityError(`name a stack: ${STACK_IDS.join(", ")}`);
  if (!(STACK_IDS as readonly string[]).includes(stack)) throw new CapacityError(`unknown stack "${stack}": one of ${STACK_IDS.join(", ")}`);
  const values = new Map<string, string>();
  const sets: [string, SetValue][] = [];
  const flags = new Set<string>();
  for (let i = 0; i < rest.length; i++) {
    const arg = rest[i];
    if (arg === "--json" || arg === "--synth") {
      flags.add(arg);
      continue;
    }
    if (!arg.startsWith("--")) throw new CapacityError(`unexpected argument "${arg}"`);
    const value = rest[++i];
    if (value === undefined) throw new CapacityError(`${arg} needs a value`);
    if (arg === "--set") sets.push(parseSet(value));
    else if (
      [
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
        "--chart",
        "--synth-dir",
      ].includes(arg)
    )
      values.set(arg, value);
    else throw new CapacityError(`unknown option ${arg}`);
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

export function main(argv: readonly string[]): number {
  let tempDir: string | undefined;
  try {
    const args = parseArgs(argv);
    if (args.synth) tempDir = synthApp();
    const stack = loadStack(tempDir ?? args.synthDir, args.stack);
    const cost = { region: args.region, requestsPerConnection: args.requestsPerConnection, responseKb: 1 };
    const result = plan(stack, args.traffic, cost, args.sets);
    process.stdout.write(args.json ? planJson(result) : formatPlan(result));
    if (args.chart) {
      writeFileSync(args.chart, renderPlanChart(result, readTopology(applySets(stack, args.sets))));
      if (!args.json) process.stdout.write(`chart: ${path.resolve(args.chart)}\n`);
    }
    return 0;
  } catch (error) {
    if (error instanceof CapacityError) {
      process.stderr.write(`capacity: ${error.message}\n`);
      return 2;
    }
    throw error;
  } finally {
    if (tempDir) rmSync(tempDir, { recursive: true, force: true });
  }
}

if (require.main === module) process.exitCode = main(process.argv.slice(2));
