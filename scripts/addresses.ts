/**
 * Terraform addresses are contracts: a construct id becomes a resource address,
 * and renaming it makes Terraform destroy the live resource and create a new one.
 * Every stack's addresses are recorded in `stacks/<id>/addresses.txt`;
 * `__tests__/addresses.test.ts` fails when a recorded address disappears
 * without a `moved` block that carries it to its new address.
 *
 *   npm run addresses:record     re-record after a reviewed change (commit the diff)
 *
 * Takes no arguments: anything else is a usage error (exit status 2, nothing
 * written); `--help` prints the usage.
 */
import "../startup"; // as main.ts: before cdktf loads (a synth runs in this process)
import { readFileSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { loadDeployment } from "../config";
import { makeTempDir, removeTempDir, runMain, UsageError, type Command } from "../tools/cli";

/** The parts of a synthesized stack (`cdk.tf.json`) that define addresses. */
export interface AddressedStack {
  resource?: Record<string, Record<string, unknown>>;
  moved?: { from: string; to: string }[];
}

/** Every managed resource's address (`type.name`), sorted; data sources are not state that can be lost. */
export function resourceAddresses(stack: AddressedStack): string[] {
  return Object.entries(stack.resource ?? {})
    .flatMap(([type, byName]) => Object.keys(byName).map((name) => `${type}.${name}`))
    .sort();
}

export interface AddressDrift {
  /** Recorded addresses that are gone with no `moved` block to an address that exists. */
  readonly lost: string[];
  /** Addresses that exist but are not recorded yet (record them once reviewed). */
  readonly unrecorded: string[];
}

/** Compares the recorded addresses of a stack with what it synthesizes now. */
export function addressDrift(recorded: readonly string[], stack: AddressedStack): AddressDrift {
  const current = new Set(resourceAddresses(stack));
  const movedTo = new Map((stack.moved ?? []).map((m) => [m.from, m.to]));
  const lost = recorded.filter((address) => {
    if (current.has(address)) return false;
    const to = movedTo.get(address);
    return to === undefined || !current.has(to);
  });
  const known = new Set(recorded);
  const unrecorded = [...current].filter((address) => !known.has(address));
  return { lost, unrecorded };
}

export function addressFile(projectRoot: string, stackId: string): string {
  return path.join(projectRoot, "stacks", stackId, "addresses.txt");
}

export function readRecorded(projectRoot: string, stackId: string): string[] {
  return readFileSync(addressFile(projectRoot, stackId), "utf8")
    .split("\n")
    .map((line) => line.trim())
    .filter((line) => line !== "" && !line.startsWith("#"));
}

const HEADER = [
  "# Terraform resource addresses of this stack, recorded by `npm run addresses:record`.",
  "# A test fails if one disappears without a `moved` block (renaming a construct id",
  "# destroys and recreates the live resource). Review the diff of this file in every change.",
];

export function writeRecorded(projectRoot: string, stackId: string, addresses: readonly string[]): void {
  writeFileSync(addressFile(projectRoot, stackId), [...HEADER, ...addresses, ""].join("\n"));
}

/**
 * Synthesizes every stack with the configuration given (checked as synth checks it: a
 * ConfigurationError) and its optional parts all on (an alarm e-mail subscription, unless
 * ALARM_EMAIL names one), so the record holds every address a deployment can have.
 */
export async function synthesizeForAddresses(vars: NodeJS.ProcessEnv = process.env): Promise<Map<string, AddressedStack>> {
  const deployment = loadDeployment(vars);
  const { buildApp, STACK_IDS } = await import("../main");
  const outdir = makeTempDir("addresses-");
  try {
    buildApp({ ...deployment, alarmEmail: deployment.alarmEmail ?? "ops@example.com" }, outdir).synth();
    return new Map(
      STACK_IDS.map((id) => [
        id,
        JSON.parse(readFileSync(path.join(outdir, "stacks", id, "cdk.tf.json"), "utf8")) as AddressedStack,
      ]),
    );
  } finally {
    removeTempDir(outdir);
  }
}

const USAGE = `usage: npm run addresses:record
  synthesizes every stack and rewrites stacks/<id>/addresses.txt with its resource addresses
  (after a reviewed change; commit the diff). Takes no arguments.
  --help, -h   this text`;

async function record(argv: readonly string[]): Promise<number> {
  const [first] = argv;
  if (first !== undefined) throw new UsageError(first.startsWith("-") ? `unknown option ${first}` : `unexpected argument "${first}": addresses:record takes no arguments`);
  const root = path.resolve(__dirname, "..");
  for (const [id, stack] of await synthesizeForAddresses()) {
    const addresses = resourceAddresses(stack);
    writeRecorded(root, id, addresses);
    console.log(`${id}: ${addresses.length} addresses -> ${path.relative(root, addressFile(root, id))}`);
  }
  return 0;
}

/** The command line, for tests that run it in-process (__tests__/script-usage.test.ts). */
export const command: Command = { name: "addresses:record", usage: USAGE, main: record };

if (require.main === module) runMain(command.name, command.usage, command.main, { exitOnSignals: true });
