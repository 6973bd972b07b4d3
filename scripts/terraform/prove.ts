/**
 * Proves Terraform configurations with Terraform itself, offline: the one pool
 * every Terraform check of the project shares (the synthesized stacks, and any
 * other folder Terraform should plan: an HCL export, a tfvars variant).
 *
 * Several folders are planned in one Terraform run: a root module made for the
 * run calls each folder as a child module (its var files become the module's
 * arguments), so the provider's schema is read once for all of them, not once
 * per folder (half of a one-stack plan's CPU), and folders whose provider
 * configurations agree but for default tag values share one provider process
 * (./shared-provider.ts): five stacks plan in about the time of one. Each folder's result is its own
 * part of that plan: its planned resources, the diagnostics of its files. If
 * the run fails, every folder is proven again on its own, so a failure is
 * always reported against the folder that has it, in the words of a plan of
 * that folder alone. The one difference batching makes: Terraform ignores a
 * backend block in a child module (and warns so; that warning is dropped);
 * the stacks' backend is proven by real applies in state-location.test.ts.
 *
 * A run: `terraform init` (only when providers, backend or modules changed),
 * then one `terraform plan -json`. No separate `validate`: it would start the
 * 700 MB AWS provider once more, and `plan` already runs the same validation
 * as `terraform validate` before planning (the CLI sets `Validation = true` on
 * the local backend, which then calls `Core.Validate`).
 *
 * Work not repeated:
 * - one provider install for every folder: the local mirror (`TF_PLUGIN_MIRROR`,
 *   default /opt/tf-plugins) doubles as the plugin cache, so init only links it
 *   (without a mirror, the cache is node_modules/.cache/terraform/plugins);
 * - `.terraform` kept between runs in node_modules/.cache/terraform/data/<key>,
 *   `<key>` hashing what init depends on (the `terraform` block: providers,
 *   versions, backend; the Terraform version; the CLI configuration), with the
 *   lock file init wrote: an unchanged folder plans without init;
 * - at most `concurrency` AWS provider processes at once (default PROVIDER_SLOTS),
 *   counted across processes (jest workers), through lock files in one folder.
 *
 *   npx tsx scripts/terraform/prove.ts <dir> [var-file...]   # one folder, by hand
 */
import { cpSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { makeTempDir, removeTempDir, runMain, UsageError } from "../../tools/cli";
import { initInputs, terraformAvailable } from "./init";
import { type ModulePlan, type PlanJson, planRoot } from "./plan";
import { ProviderConfigs, providerConfigs } from "./shared-provider";
import { acquireSlots, PROVIDER_SLOTS } from "./slots";

export { acquireSlots, PROVIDER_SLOTS, terraformAvailable };

export interface ProveOptions {
  /** AWS provider processes at once, across every process using this pool (a run holds one per process it starts). @default PROVIDER_SLOTS */
  readonly concurrency?: number;
  /** `-var-file`s for a folder. @default none */
  readonly varFiles?: (dir: string) => readonly string[];
  /** Also return the plan as `terraform show -json` gives it (one more provider start per run). @default false */
  readonly planJson?: boolean;
  /** Plan the folders together in one Terraform run (see above); `false`: one run per folder. @default true */
  readonly batch?: boolean;
}

export interface ProofResult {
  readonly dir: string;
  readonly ok: boolean;
  /** Errors and warnings Terraform reported (or the failure), readable. */
  readonly log: string;
  /** `type.name` of every managed resource the plan would create (for_each/count keys folded). */
  readonly planned: readonly string[];
  /** Whether `terraform init` ran (false: `.terraform` reused). */
  readonly initialized: boolean;
  /** Wall time of the Terraform run that proved this folder, waiting for a slot excluded. */
  readonly ms: number;
  /** How many folders that run proved (1: this folder alone). */
  readonly batchSize: number;
  /** Whether its provider configuration was shared with other folders of the run (one provider process for them). */
  readonly sharedProvider?: boolean;
  /** With `planJson`: the saved plan, as `terraform show -json` prints it. */
  readonly plan?: unknown;
}

const elapsedSince = (start: bigint): number => Number(process.hrtime.bigint() - start) / 1e6;
const errorText = (err: unknown): string => (err instanceof Error ? (err.stack ?? err.message) : String(err));

/** Init (if needed) and plan one folder as the root module; never throws, a failure is in the result. */
async function proveOne(dir: string, varFiles: readonly string[], planJson = false): Promise<ProofResult> {
  const start = process.hrtime.bigint();
  try {
    const run = await planRoot(dir, varFiles.map((f) => `-var-file=${path.resolve(f)}`), planJson);
    const { planned, diagnostics } = run.byModule.get("") ?? { planned: new Set<string>(), diagnostics: [] };
    const log = [...diagnostics, run.failure].filter(Boolean).join("\n");
    return { dir, ok: run.ok, log, planned: [...planned], initialized: run.initialized, ms: elapsedSince(start), batchSize: 1, plan: run.plan };
  } catch (err) {
    return { dir, ok: false, log: errorText(err), planned: [], initialized: false, ms: elapsedSince(start), batchSize: 1 };
  }
}

/** Terraform's warning for a backend block in a child module: what batching does, not what the folder has. */
const BATCH_ARTIFACT = /^warning: Backend configuration ignored/;

/**
 * Plans every folder in one Terraform run: a root module calling a copy of each
 * folder (`m/<name>`) with its var files' settings as arguments, the folders'
 * provider configurations shared where they can be (./shared-provider.ts). A
 * folder's result is its module's part of the plan. Undefined if the run
 * failed: the caller proves each folder on its own.
 */
async function proveBatch(dirs: readonly string[], varFiles: (dir: string) => readonly string[], planJson: boolean): Promise<ProofResult[] | undefined> {
  const start = process.hrtime.bigint();
  const root = makeTempDir("terraform-proof-"); // removed below, or at exit (a signal, say)
  try {
    const names = moduleNames(dirs);
    const shared = sharedProviders(dirs);
    mkdirSync(path.join(root, "m"));
    const calls = dirs.map((dir, i) => {
      // A copy, not a link: Terraform records a module's real path at init, and `.terraform` is reused by key.
      const copy = path.join(root, "m", names[i]);
      cpSync(dir, copy, { recursive: true, filter: (source) => !path.basename(source).startsWith(".terraform") });
      if (shared.members.has(dir)) shared.configs?.strip(copy);
      const settings = varFiles(dir).map((file) => readFileSync(file, "utf8")).join("\n");
      return `module "${names[i]}" {\n  source = "./m/${names[i]}"\n${settings}\n}\n`;
    });
    writeFileSync(path.join(root, "main.tf"), calls.join("\n"));
    for (const [file, content] of Object.entries(shared.configs?.rootFiles ?? {})) writeFileSync(path.join(root, file), content);
    // init depends on the module calls and each module's terraform block, not on the arguments.
    const initKey = ["batch of copies", ...dirs.map((dir, i) => `${names[i]}\n${initInputs(dir)}`)].join("\n");
    const run = await planRoot(root, [], planJson, names, initKey);
    if (!run.ok) return undefined;
    const ms = elapsedSince(start);
    return dirs.map((dir, i) => {
      const own = run.byModule.get(names[i]) as ModulePlan;
      const log = [...own.diagnostics.filter((d) => !BATCH_ARTIFACT.test(d)), ...(run.byModule.get("")?.diagnostics ?? [])].join("\n");
      const plan = run.plan && modulePart(run.plan, names[i]);
      const sharedProvider = shared.members.has(dir);
      return { dir, ok: true, log, planned: [...own.planned], initialized: run.initialized, ms, batchSize: dirs.length, sharedProvider, plan };
    });
  } finally {
    removeTempDir(root);
  }
}

/** The provider configurations most of `dirs` can share, and which folders share them. */
function sharedProviders(dirs: readonly string[]): { configs?: ProviderConfigs; members: Set<string> } {
  const byKey = new Map<string, { configs: ProviderConfigs; members: Set<string> }>();
  for (const dir of dirs) {
    const configs = providerConfigs(dir);
    if (!configs) continue;
    const group = byKey.get(configs.key) ?? { configs, members: new Set<string>() };
    group.members.add(dir);
    byKey.set(configs.key, group);
  }
  const largest = [...byKey.values()].sort((a, b) => b.members.size - a.members.size)[0];
  return largest && largest.members.size > 1 ? largest : { members: new Set() };
}

/** AWS provider processes a batch of `dirs` holds at once: one shared, plus one per folder keeping its own. */
function providerProcesses(dirs: readonly string[]): number {
  const { members } = sharedProviders(dirs);
  return members.size > 0 ? 1 + dirs.length - members.size : dirs.length;
}

/** Module call names from folder names (`kinesis-ingest` -> `kinesis_ingest`, `kinesis_ingest_2` for the second). */
function moduleNames(dirs: readonly string[]): string[] {
  const used = new Set<string>();
  return dirs.map((dir) => {
    const base = path.basename(path.resolve(dir)).replace(/[^A-Za-z0-9_-]/g, "_").replace(/^[^A-Za-z_]/, "_$&");
    let name = base;
    for (let n = 2; used.has(name); n++) name = `${base}_${n}`;
    used.add(name);
    return name;
  });
}

/** One module call's part of a batch's `show -json`, shaped as if that folder had been planned alone. */
function modulePart(plan: PlanJson, name: string): unknown {
  const prefix = `module.${name}.`;
  return {
    configuration: { root_module: plan.configuration?.root_module?.module_calls?.[name]?.module ?? {} },
    resource_changes: (plan.resource_changes ?? [])
      .filter((c) => c.module_address === `module.${name}`)
      .map(({ module_address: _, ...change }) => ({ ...change, address: change.address.slice(prefix.length) })),
  };
}

/**
 * Proves every folder: together in one Terraform run, or each on its own (with
 * `batch: false`, for a single folder, or when that run fails), at most
 * `concurrency` provider processes at once. Results in the order of `dirs`.
 */
export async function proveStacks(dirs: readonly string[], options: ProveOptions = {}): Promise<ProofResult[]> {
  const concurrency = Math.max(1, Math.floor(options.concurrency ?? PROVIDER_SLOTS) || 1);
  const varFiles = (dir: string): readonly string[] => options.varFiles?.(dir) ?? [];
  const planJson = options.planJson ?? false;
  if (options.batch !== false && dirs.length > 1) {
    const release = await acquireSlots(concurrency, providerProcesses(dirs));
    let batched: ProofResult[] | undefined;
    try {
      batched = await proveBatch(dirs, varFiles, planJson);
    } catch {
      batched = undefined; // proven one by one below, where the error is reported against its folder
    } finally {
      release();
    }
    if (batched) return batched;
  }
  return Promise.all(
    dirs.map(async (dir) => {
      const release = await acquireSlots(concurrency);
      try {
        return await proveOne(dir, varFiles(dir), planJson);
      } finally {
        release();
      }
    }),
  );
}

/** `type.name` of every unconditional resource in a folder's cdk.tf.json (a `count` may plan to zero). */
export function synthesizedAddresses(dir: string): string[] {
  const synth = JSON.parse(readFileSync(path.join(dir, "cdk.tf.json"), "utf8")) as {
    resource?: Record<string, Record<string, { count?: unknown }>>;
  };
  return Object.entries(synth.resource ?? {}).flatMap(([type, byName]) =>
    Object.entries(byName)
      .filter(([, body]) => body.count === undefined)
      .map(([name]) => `${type}.${name}`),
  );
}

const USAGE = `usage: bash scripts/tf-plan.sh <terraform folder> [var-file...]
  init (when needed) and plan of one folder, offline (a stack synthesized with OFFLINE=1)
  --help, -h   this text`;

async function main(argv: readonly string[]): Promise<number> {
  const [dir, ...varFiles] = argv;
  if (!dir) throw new UsageError("which folder? name a Terraform folder (cdktf.out/stacks/<id>)");
  const option = argv.find((arg) => arg.startsWith("-"));
  if (option) throw new UsageError(`unknown option ${option}`);
  if (!terraformAvailable()) {
    console.error("terraform CLI not found: cannot plan. Install Terraform >= 1.10.");
    return 1;
  }
  const [result] = await proveStacks([path.resolve(dir)], { varFiles: () => varFiles });
  if (result.log) console.log(result.log);
  if (!result.ok && /hashicorp\/archive/.test(result.log)) {
    console.error("hint: this stack packages its code with hashicorp/archive, which the offline mirror lacks: synthesize with OFFLINE=1 (asset packaging).");
  }
  console.log(`${result.ok ? "ok  " : "FAIL"} ${dir}: ${result.planned.length} resources to create (${(result.ms / 1000).toFixed(1)} s${result.initialized ? ", with init" : ""})`);
  return result.ok ? 0 : 1;
}

if (require.main === module) runMain("tf-plan", USAGE, main, { exitOnSignals: true });
