/**
 * Proves the synthesized stacks with Terraform itself, offline: synthesizes the
 * app with `OFFLINE=1` settings (supplied lookups, asset packaging), then runs
 * `scripts/tf-plan.sh` (init, validate, plan) on each stack, two at a time.
 *
 *   npm run tf:check                 # every stack, with its defaults and with its options on
 *   npm run tf:check -- media-alb    # some stacks
 *
 * Used by `__tests__/terraform.test.ts`; without a `terraform` CLI it says so and skips.
 */
import { execFile, execFileSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { promisify } from "node:util";
import { App } from "cdktf";
import { loadEnvironment } from "../config";
import { buildApp, STACK_IDS } from "../main";
import { KinesisIngestStack } from "../stacks/kinesis-ingest";
import { MediaAlbStack } from "../stacks/media-alb";
import { TranslateApiStack } from "../stacks/translate-api";
import { WebhookProxyStack } from "../stacks/webhook-proxy";

const run = promisify(execFile);
const ROOT = path.resolve(__dirname, "..");

export interface PlanResult {
  readonly stack: string;
  readonly ok: boolean;
  /** validate/plan output, or the error. */
  readonly log: string;
  /** `type.name` of every unconditional resource in cdk.tf.json (a `count` may plan to zero). */
  readonly synthesized: readonly string[];
  /** `type.name` of every resource the plan would create (for_each keys folded). */
  readonly planned: readonly string[];
}

export function terraformAvailable(): boolean {
  try {
    execFileSync("terraform", ["version"], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

/** Synthesizes every stack as `OFFLINE=1` would, into a fresh temporary folder. */
export function synthOffline(): string {
  const outdir = mkdtempSync(path.join(tmpdir(), "tf-check-"));
  mkdirSync(outdir, { recursive: true });
  buildApp(loadEnvironment({ OFFLINE: "1" }), outdir).synth();
  return outdir;
}

/**
 * The stacks whose typed options change what is planned, each built with every
 * such option flipped from its default (the callers' alternatives, the web
 * ACLs, the REST APIs' custom domains), so the offline proof covers both sides.
 */
export const OPTIONS_ON: Readonly<Record<string, (app: App, env: ReturnType<typeof loadEnvironment>) => void>> = {
  "kinesis-ingest": (app, env) => new KinesisIngestStack(app, "kinesis-ingest", {
      env,
      callerAuth: "iam",
      webAcl: {},
      customDomain: { domainName: "ingest.example.com", zoneName: "example.com" },
    }),
  "webhook-proxy": (app, env) => new WebhookProxyStack(app, "webhook-proxy", { env, signature: false }),
  "media-alb": (app, env) => new MediaAlbStack(app, "media-alb", { env, webAcl: {} }),
  "translate-api": (app, env) => new TranslateApiStack(app, "translate-api", {
      env,
      callerAuth: "iam",
      webAcl: {},
      customDomain: { domainName: "translate.example.com", zoneName: "example.com" },
    }),
};

/** Synthesizes the `OPTIONS_ON` variants (offline settings) into a fresh temporary folder. */
export function synthOptionsOn(stacks: readonly string[] = Object.keys(OPTIONS_ON)): string {
  const outdir = mkdtempSync(path.join(tmpdir(), "tf-check-options-"));
  const app = new App({ outdir });
  const env = loadEnvironment({ OFFLINE: "1" });
  for (const id of stacks) OPTIONS_ON[id]?.(app, env);
  app.synth();
  return outdir;
}

interface PlanJson {
  resource_changes?: { mode: string; type: string; name: string; change: { actions: string[] } }[];
}

export async function planStack(outdir: string, stack: string): Promise<PlanResult> {
  const dir = path.join(outdir, "stacks", stack);
  const synth = JSON.parse(readFileSync(path.join(dir, "cdk.tf.json"), "utf8")) as {
    resource?: Record<string, Record<string, unknown>>;
  };
  const synthesized = Object.entries(synth.resource ?? {}).flatMap(([type, byName]) =>
    Object.entries(byName)
      .filter(([, body]) => (body as { count?: unknown }).count === undefined)
      .map(([name]) => `${type}.${name}`),
  );
  const varFile = path.join(ROOT, "stacks", stack, "example.tfvars");
  const args = [path.join(ROOT, "scripts", "tf-plan.sh"), dir, ...(existsSync(varFile) ? [varFile] : [])];
  try {
    const { stdout, stderr } = await run("bash", args, { maxBuffer: 64 * 1024 * 1024 });
    const plan = JSON.parse(readFileSync(path.join(dir, "plan.json"), "utf8")) as PlanJson;
    const planned = [
      ...new Set(
        (plan.resource_changes ?? [])
          .filter((c) => c.mode === "managed" && c.change.actions.includes("create"))
          .map((c) => `${c.type}.${c.name}`),
      ),
    ];
    return { stack, ok: true, log: stdout + stderr, synthesized, planned };
  } catch (err) {
    const e = err as { stdout?: string; stderr?: string; message: string };
    return { stack, ok: false, log: `${e.message}\n${e.stdout ?? ""}${e.stderr ?? ""}`, synthesized, planned: [] };
  }
}

/** Plans the given stacks, `parallel` at a time (provider start-up is CPU-heavy). */
export async function planAll(outdir: string, stacks: readonly string[], parallel = 2): Promise<PlanResult[]> {
  const results: PlanResult[] = [];
  const queue = [...stacks];
  await Promise.all(
    Array.from({ length: parallel }, async () => {
      for (let s = queue.shift(); s !== undefined; s = queue.shift()) results.push(await planStack(outdir, s));
    }),
  );
  return stacks.map((s) => results.find((r) => r.stack === s) as PlanResult);
}

/** One line per stack: what the plan creates, measured against what cdk.tf.json declares. */
export function summaryLine(r: PlanResult): string {
  const missing = r.synthesized.filter((a) => !r.planned.includes(a));
  if (!r.ok) return `FAIL ${r.stack}: terraform failed (output below)`;
  const extra = r.planned.length - (r.synthesized.length - missing.length);
  if (missing.length > 0) {
    return `FAIL ${r.stack}: ${missing.length} of the ${r.synthesized.length} resources in cdk.tf.json not in the plan: ${missing.join(", ")}`;
  }
  return (
    `ok   ${r.stack}: the plan creates all ${r.synthesized.length} resources of cdk.tf.json` +
    (extra > 0 ? `, and ${extra} more with count/for_each (${r.planned.length} in all)` : "")
  );
}

/** Runs `fn` on an offline synth in a temporary folder, and removes the folder afterwards. */
export function withOfflineSynth<T>(fn: (outdir: string) => Promise<T>): Promise<T> {
  return withSynth(synthOffline, fn);
}

/** Runs `fn` on the folder `synth` writes, and removes the folder afterwards. */
export async function withSynth<T>(synth: () => string, fn: (outdir: string) => Promise<T>): Promise<T> {
  const outdir = synth();
  try {
    return await fn(outdir);
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const wanted = process.argv.slice(2);
  const unknown = wanted.filter((s) => !(STACK_IDS as readonly string[]).includes(s));
  if (unknown.length > 0) {
    console.error(`tf:check: unknown stack ${unknown.map((s) => `"${s}"`).join(", ")}; the stacks are ${STACK_IDS.join(", ")}`);
    process.exit(2);
  }
  if (!terraformAvailable()) {
    console.error("terraform CLI not found: cannot validate or plan. Install Terraform >= 1.10.");
    process.exit(1);
  }
  const stacks = wanted.length > 0 ? wanted : [...STACK_IDS];
  const variants = stacks.filter((s) => s in OPTIONS_ON);
  let failed = 0;
  const runs: [string, () => string, readonly string[]][] = [
    ["defaults", synthOffline, stacks],
    ["options on", () => synthOptionsOn(variants), variants],
  ];
  // One after the other: terraform's provider start-up is CPU-heavy.
  for (const [label, synth, ids] of runs) {
    for (const r of await withSynth(synth, (outdir) => planAll(outdir, ids))) {
      const line = summaryLine(r).replace(` ${r.stack}:`, ` ${r.stack} (${label}):`);
      if (line.startsWith("FAIL")) failed++;
      console.log(line);
      if (!r.ok) console.log(r.log);
    }
  }
  process.exit(failed ? 1 : 0);
}

if (require.main === module) void main();
